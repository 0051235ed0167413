/**
 * `POST /data-actions/normalize-ticket`: raw ticket attributes in, normalized routing-ready fields out, by the
 * catalog's normalization rules (the ones the sync engine applies before writing a workitem).
 *
 * - Every input is optional: a flow sends the attributes it has. `null` and `""` count as absent.
 * - A tag field arrives as one text of values separated by `TAG_INPUT_DELIMITER` (the contract's input is a string:
 *   Genesys allows no array inputs); a JSON list is still accepted. Its output is the list of normalized values plus
 *   `<field>_joined`, the same values joined by the delimiter.
 * - With `source`, the deployment's `sourceMappings[source]` turn vendor values into vocabulary values first
 *   (exact match, then case-insensitive), as for that source's webhooks.
 * - A value outside its field's vocabulary is not an error: the field is left out, `unmapped` lists
 *   `field=value`, `<field>_unmapped` is true.
 * - A value that cannot be cast (a date that is no date, text for a number, an object) is an error: every
 *   offending input is named.
 */
import type { Catalog, FieldDecl, FieldNormalizer } from "@workbridge/catalog"
import { GENESYS_LIMITS, fieldPlans, truncateText } from "@workbridge/catalog"
import { Either } from "effect"
import {
  NORMALIZE_MARKERS,
  SOURCE_INPUT,
  TAG_INPUT_DELIMITER,
  TICKET_REF_MAX_LENGTH,
  joinedOutput,
  normalizeTicketContract,
  priorityField,
  statusField,
  unmappedFlag,
  vocabularyFields
} from "@workbridge/data-actions"
import type { ActionContract } from "@workbridge/data-actions"
import type { InputIssue } from "./errors.js"
import { describeType } from "./ticketStatus.js"

/** The flat answer: catalog field keys, the markers and the derived workitem outputs. */
export type NormalizeTicketOutput = Readonly<Record<string, string | number | boolean | ReadonlyArray<string>>>

export interface NormalizeTicketAction {
  readonly contract: ActionContract
  /** Validate and normalize a request body. */
  readonly run: (body: unknown) => Either.Either<NormalizeTicketOutput, ReadonlyArray<InputIssue>>
}

/** An unmapped value is echoed in `unmapped` cut to the longest vocabulary value Genesys allows. */
export const UNMAPPED_VALUE_MAX_LENGTH = GENESYS_LIMITS.enum.maxLength

const isScalar = (value: unknown): boolean =>
  typeof value === "string" || typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value))

/** One catalog field as the action walks it, with everything its declaration decides resolved at start. */
interface InputPlan {
  readonly key: string
  /** The field's compiled normalization (the catalog's, as the sync engine applies it). */
  readonly normalize: FieldNormalizer
  /** Whether one text input is split into tag values. */
  readonly tag: boolean
  /** The `<field>_joined` output of a tag field. */
  readonly joined: string | undefined
}

/**
 * Prepare the action for a catalog: the contract, and every lookup, output name and field normalization the answer
 * needs, compiled once. Throws when the catalog's field names collide with the action's outputs (see
 * `normalizeTicketContract`).
 */
export const makeNormalizeTicketAction = (catalog: Catalog): NormalizeTicketAction => {
  const contract = normalizeTicketContract(catalog)
  const fields = new Map<string, FieldDecl>(catalog.fields.map((field) => [field.key, field]))
  const plans: ReadonlyArray<InputPlan> = fieldPlans(catalog).map(({ field, normalize }) => ({
    key: field.key,
    normalize,
    tag: field.type === "tag",
    joined: field.type === "tag" ? joinedOutput(field.key) : undefined
  }))
  const joined = plans.flatMap((plan) => (plan.joined === undefined ? [] : [[plan.key, plan.joined] as const]))
  const flags = vocabularyFields(catalog).map((field) => [field.key, unmappedFlag(field.key)] as const)
  const priority = priorityField(catalog)
  const priorities = new Map((priority?.vocabulary ?? []).map((entry) => [entry.value, entry.priority]))
  const status = statusField(catalog)
  const statusMapping = new Map(Object.entries(catalog.statusMapping))

  const mappings = sourceMappingIndex(catalog)

  const shapeIssues = (body: Record<string, unknown>): Array<InputIssue> | undefined => {
    let issues: Array<InputIssue> | undefined
    for (const key of Object.keys(body)) {
      const value = body[key]
      let problem: string | undefined
      if (key === SOURCE_INPUT) {
        if (value !== null && typeof value !== "string") {
          problem = `must be a source name, got ${describeType(value)}`
        } else if (typeof value === "string" && value.trim().length > TICKET_REF_MAX_LENGTH) {
          problem = `must be at most ${TICKET_REF_MAX_LENGTH} characters`
        }
      } else {
        const field = fields.get(key)
        if (field === undefined) {
          problem = "is not an input of this action (not a catalog field)"
        } else if (value === null || isScalar(value)) {
        } else if (Array.isArray(value)) {
          if (!value.every((item) => item === null || isScalar(item))) {
            problem = "must be a list of text values"
          } else if (field.type !== "tag") {
            problem = "must be a single value, got a list"
          }
        } else {
          problem = `must be text, a number, a boolean or a list of text, got ${describeType(value)}`
        }
      }
      if (problem !== undefined) (issues ??= []).push({ field: key, problem })
    }
    return issues
  }

  const run = (body: unknown): Either.Either<NormalizeTicketOutput, ReadonlyArray<InputIssue>> => {
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      return Either.left([
        { field: "body", problem: `must be a JSON object of ticket attributes, got ${describeType(body)}` }
      ])
    }
    const record = body as Record<string, unknown>
    const shape = shapeIssues(record)
    if (shape !== undefined) return Either.left(shape)
    const source = record[SOURCE_INPUT]
    const sourceMappings = typeof source === "string" ? mappings.get(source.trim()) : undefined
    // The answer is built by assignment: catalog fields in catalog order, then the markers (spreading is an order
    // of magnitude slower). Every field is normalized even after a problem, so that every bad input is named.
    const out: Record<string, string | number | boolean | ReadonlyArray<string>> = {}
    const provided: Array<string> = []
    const truncated: Array<string> = []
    let unmapped: Array<string> | undefined
    let unmappedFields: Set<string> | undefined
    let issues: Array<InputIssue> | undefined
    for (const plan of plans) {
      const key = plan.key
      // Absent and `null` inputs normalize to nothing (no field is required here).
      const raw = Object.hasOwn(record, key) ? record[key] : undefined
      if (raw === undefined || raw === null) continue
      const table = sourceMappings?.get(key)
      const value = plan.tag && typeof raw === "string" ? raw.split(TAG_INPUT_DELIMITER) : raw
      const result = plan.normalize(
        table === undefined
          ? value
          : Array.isArray(value)
            ? value.map((item) => mapVendorValue(table, item))
            : mapVendorValue(table, value)
      )
      if (result._tag === "Problem") {
        ;(issues ??= []).push({ field: key, problem: result.problem })
        continue
      }
      if (result.unmapped !== undefined && result.unmapped.length > 0) {
        unmapped ??= []
        for (const text of result.unmapped) {
          unmapped.push(`${key}=${truncateText(text, UNMAPPED_VALUE_MAX_LENGTH).text}`)
        }
        ;(unmappedFields ??= new Set()).add(key)
      }
      if (result._tag === "Value") {
        out[key] = result.value
        provided.push(key)
        if (result.truncated) truncated.push(key)
      }
    }
    if (issues !== undefined) return Either.left(issues)
    out[NORMALIZE_MARKERS.unmapped] = unmapped ?? []
    out[NORMALIZE_MARKERS.hasUnmapped] = unmapped !== undefined
    out[NORMALIZE_MARKERS.truncated] = truncated
    out[NORMALIZE_MARKERS.hasTruncated] = truncated.length > 0
    out[NORMALIZE_MARKERS.provided] = provided
    for (const [key, name] of joined) {
      const value = out[key]
      if (Array.isArray(value)) out[name] = value.join(TAG_INPUT_DELIMITER)
    }
    for (const [key, flag] of flags) out[flag] = unmappedFields?.has(key) ?? false
    if (priority !== undefined) {
      const value = out[priority.key]
      const level = typeof value === "string" ? priorities.get(value) : undefined
      if (level !== undefined) out[NORMALIZE_MARKERS.workitemPriority] = level
    }
    if (status !== undefined) {
      const value = out[status.key]
      const name = typeof value === "string" ? statusMapping.get(value) : undefined
      if (name !== undefined) out[NORMALIZE_MARKERS.workitemStatus] = name
    }
    return Either.right(out)
  }

  return { contract, run }
}

/** Vendor value → vocabulary value, by exact spelling and by lower case (exact wins). */
interface VendorTable {
  readonly exact: ReadonlyMap<string, string>
  readonly folded: ReadonlyMap<string, string>
}

/** `catalog.sourceMappings` as lookup tables: source → field key → vendor table. */
const sourceMappingIndex = (catalog: Catalog): ReadonlyMap<string, ReadonlyMap<string, VendorTable>> => {
  const index = new Map<string, Map<string, VendorTable>>()
  for (const [source, byField] of Object.entries(catalog.sourceMappings ?? {})) {
    const tables = new Map<string, VendorTable>()
    for (const [field, table] of Object.entries(byField)) {
      const exact = new Map(Object.entries(table))
      const folded = new Map<string, string>()
      for (const [vendor, value] of exact)
        if (!folded.has(vendor.toLowerCase())) folded.set(vendor.toLowerCase(), value)
      tables.set(field, { exact, folded })
    }
    index.set(source, tables)
  }
  return index
}

const mapVendorValue = (table: VendorTable, raw: unknown): unknown => {
  if (typeof raw !== "string" && typeof raw !== "number") return raw
  const text = String(raw).trim()
  return table.exact.get(text) ?? table.folded.get(text.toLowerCase()) ?? raw
}
