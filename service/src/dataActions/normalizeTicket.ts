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
import type { Catalog, FieldDecl } from "@workbridge/catalog"
import { GENESYS_LIMITS, normalizeFlatFields, truncateText } from "@workbridge/catalog"
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

/**
 * Prepare the action for a catalog (contract, lookups). Throws when the catalog's field names collide with the
 * action's outputs (see `normalizeTicketContract`).
 */
export const makeNormalizeTicketAction = (catalog: Catalog): NormalizeTicketAction => {
  const contract = normalizeTicketContract(catalog)
  const fields = new Map<string, FieldDecl>(catalog.fields.map((field) => [field.key, field]))
  const fieldKeys = catalog.fields.map((field) => field.key)
  /** Per catalog field, in order: its key and whether one text input is split into tag values. */
  const inputs = catalog.fields.map((field) => ({ key: field.key, tag: field.type === "tag" }))
  const flags = vocabularyFields(catalog).map((field) => [field.key, unmappedFlag(field.key)] as const)
  const joined = catalog.fields
    .filter((field) => field.type === "tag")
    .map((field) => [field.key, joinedOutput(field.key)] as const)
  const priority = priorityField(catalog)
  const priorities = new Map((priority?.vocabulary ?? []).map((entry) => [entry.value, entry.priority]))
  const status = statusField(catalog)

  const mappings = sourceMappingIndex(catalog)

  const shapeIssues = (body: Record<string, unknown>): Array<InputIssue> => {
    const issues: Array<InputIssue> = []
    for (const [key, value] of Object.entries(body)) {
      const field = fields.get(key)
      if (key === SOURCE_INPUT) {
        if (value !== null && typeof value !== "string") {
          issues.push({ field: key, problem: `must be a source name, got ${describeType(value)}` })
        } else if (typeof value === "string" && value.trim().length > TICKET_REF_MAX_LENGTH) {
          issues.push({ field: key, problem: `must be at most ${TICKET_REF_MAX_LENGTH} characters` })
        }
      } else if (field === undefined) {
        issues.push({ field: key, problem: "is not an input of this action (not a catalog field)" })
      } else if (value === null || isScalar(value)) {
      } else if (Array.isArray(value)) {
        if (!value.every((item) => item === null || isScalar(item))) {
          issues.push({ field: key, problem: "must be a list of text values" })
        } else if (field.type !== "tag") {
          issues.push({ field: key, problem: "must be a single value, got a list" })
        }
      } else {
        issues.push({
          field: key,
          problem: `must be text, a number, a boolean or a list of text, got ${describeType(value)}`
        })
      }
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
    const issues = shapeIssues(record)
    if (issues.length > 0) return Either.left(issues)
    const source = record[SOURCE_INPUT]
    const sourceMappings = typeof source === "string" ? mappings.get(source.trim()) : undefined
    const fieldsOnly: Record<string, unknown> = {}
    for (const { key, tag } of inputs) {
      if (!(key in record)) continue
      const table = sourceMappings?.get(key)
      const raw = record[key]
      const value = tag && typeof raw === "string" ? raw.split(TAG_INPUT_DELIMITER) : raw
      fieldsOnly[key] =
        table === undefined
          ? value
          : Array.isArray(value)
            ? value.map((item) => mapVendorValue(table, item))
            : mapVendorValue(table, value)
    }
    // Flat by construction (catalog keys; `shapeIssues` refused nested objects): no flattening needed.
    const outcome = normalizeFlatFields(catalog, fieldsOnly, { checkRequired: false })
    if (outcome.issues.length > 0) {
      return Either.left(outcome.issues.map((issue) => ({ field: issue.field, problem: issue.problem })))
    }
    // Built by assignment in catalog order: spreading `values` and then adding keys is an order of magnitude slower.
    const out: Record<string, string | number | boolean | ReadonlyArray<string>> = {}
    const provided: Array<string> = []
    for (const key of fieldKeys) {
      const value = outcome.values[key]
      if (value !== undefined) {
        out[key] = value
        provided.push(key)
      }
    }
    const unmappedFields =
      outcome.unmapped.length === 0 ? undefined : new Set(outcome.unmapped.map((entry) => entry.field))
    out[NORMALIZE_MARKERS.unmapped] = outcome.unmapped.map(
      (entry) => `${entry.field}=${truncateText(entry.value, UNMAPPED_VALUE_MAX_LENGTH).text}`
    )
    out[NORMALIZE_MARKERS.hasUnmapped] = outcome.unmapped.length > 0
    out[NORMALIZE_MARKERS.truncated] = outcome.truncated
    out[NORMALIZE_MARKERS.hasTruncated] = outcome.truncated.length > 0
    out[NORMALIZE_MARKERS.provided] = provided
    for (const [key, name] of joined) {
      const value = outcome.values[key]
      if (Array.isArray(value)) out[name] = value.join(TAG_INPUT_DELIMITER)
    }
    for (const [key, flag] of flags) out[flag] = unmappedFields?.has(key) ?? false
    if (priority !== undefined) {
      const value = outcome.values[priority.key]
      const level = typeof value === "string" ? priorities.get(value) : undefined
      if (level !== undefined) out[NORMALIZE_MARKERS.workitemPriority] = level
    }
    if (status !== undefined) {
      const value = outcome.values[status.key]
      const name =
        typeof value === "string" && Object.hasOwn(catalog.statusMapping, value)
          ? catalog.statusMapping[value]
          : undefined
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
