/** Helpers shared by the decoders: tolerant JSON access, strict time parsing, vocabularies and event assembly. */
import { createHash } from "node:crypto"
import type { Catalog, TicketEventKind } from "@workbridge/catalog"
import { makeRevision, maxLengthOf } from "@workbridge/catalog"
import { Either } from "effect"
import type { DecodeResult } from "../Adapter.js"
import { DecodeError } from "../Adapter.js"

export type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }
export type JsonObject = { readonly [key: string]: Json }

export type Decoded = Either.Either<DecodeResult, DecodeError>

export const isObject = (value: unknown): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** Deepest nesting of arrays and objects a webhook body may have (the vendors' payloads stay under 10). */
export const MAX_JSON_DEPTH = 64

/**
 * Scan JSON text for nesting deeper than `max` without parsing it (no recursion, so any depth is safe).
 * Answers the top-level key under which the limit is first exceeded ("(body)" when the body itself is too
 * deep), or undefined when the text stays within the limit. Invalid JSON is left for the parser to refuse.
 */
export const tooDeep = (text: string, max: number = MAX_JSON_DEPTH): string | undefined => {
  let depth = 0
  let inString = false
  let escaped = false
  let stringStart = -1
  let lastTopKey: string | undefined
  let lastString: string | undefined
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (escaped) escaped = false
      else if (c === 0x5c) escaped = true
      else if (c === 0x22) {
        inString = false
        if (depth === 1) lastString = text.slice(stringStart, i)
      }
      continue
    }
    if (c === 0x22) {
      inString = true
      stringStart = i + 1
    } else if (c === 0x3a) {
      if (depth === 1) lastTopKey = lastString
    } else if (c === 0x7b || c === 0x5b) {
      depth++
      if (depth > max) return lastTopKey === undefined ? "(body)" : lastTopKey.slice(0, 60)
    } else if (c === 0x7d || c === 0x5d) {
      depth--
    }
  }
  return undefined
}

/** Parse the raw body as a JSON object, or fail naming the problem. */
export const parseBody = (
  source: string,
  rawBody: Buffer,
  status: 400 | 422 | 200
): Either.Either<JsonObject, DecodeError> => {
  const text = rawBody.toString("utf8")
  const deep = tooDeep(text)
  if (deep !== undefined) {
    return Either.left(
      new DecodeError({
        source,
        reason: `${deep === "(body)" ? "the body" : `the field ${JSON.stringify(deep)}`} is nested deeper than ${MAX_JSON_DEPTH} levels`,
        status
      })
    )
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return Either.left(new DecodeError({ source, reason: "the body is not valid JSON", status }))
  }
  return isObject(parsed)
    ? Either.right(parsed)
    : Either.left(new DecodeError({ source, reason: "the body is not a JSON object", status }))
}

/** Value at a dotted path (`a.b.0.c`); undefined when any step is missing. */
export const at = (value: unknown, path: string): unknown => atSteps(value, path.split("."))

/** `at` with the path already split into its steps (split once, not per request). */
export const atSteps = (value: unknown, steps: ReadonlyArray<string>): unknown => {
  let current: unknown = value
  for (const step of steps) {
    if (Array.isArray(current)) {
      const index = Number(step)
      current = Number.isInteger(index) ? current[index] : undefined
    } else if (isObject(current)) {
      current = Object.hasOwn(current, step) ? current[step] : undefined
    } else {
      return undefined
    }
  }
  return current
}

/** A scalar as a trimmed non-empty string (numbers and booleans are stringified); undefined otherwise. */
export const str = (value: unknown): string | undefined => {
  if (typeof value === "string") {
    const trimmed = value.trim()
    return trimmed === "" ? undefined : trimmed
  }
  if (typeof value === "number" && Number.isFinite(value)) return String(value)
  if (typeof value === "boolean") return String(value)
  return undefined
}

/** A list of non-empty strings from an array of scalars or of objects carrying `key`. */
export const strings = (value: unknown, key?: string): ReadonlyArray<string> | undefined => {
  if (!Array.isArray(value)) return undefined
  const out: Array<string> = []
  for (const item of value) {
    const s = key !== undefined && isObject(item) ? str(item[key]) : str(item)
    if (s !== undefined) out.push(s)
  }
  return out
}

/** A non-negative safe integer from a number or a decimal string. */
export const nonNegativeInt = (value: unknown): number | undefined => {
  const n =
    typeof value === "number" ? value : typeof value === "string" && /^\s*\d+\s*$/.test(value) ? Number(value) : NaN
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined
}

export interface Instant {
  /** Epoch milliseconds. */
  readonly ms: number
  /** Fraction digits beyond milliseconds, padded to 6 (microseconds then nanoseconds), e.g. "717030". */
  readonly subMs: string
}

const TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i

/**
 * Parse an ISO-8601 date-time strictly (also `YYYY-MM-DD HH:MM:SS` and offsets without a colon, as ServiceNow and Jira
 * send them). A time without a zone is UTC. Undefined for anything else, including times before 1970.
 */
export const parseInstant = (value: unknown): Instant | undefined => {
  if (typeof value !== "string") return undefined
  const m = TIME.exec(value.trim())
  if (m === null) return undefined
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? "0"].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number
  ]
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59)
    return undefined
  const fraction = (m[7] ?? "").padEnd(9, "0")
  let ms = Date.UTC(year, month - 1, day, hour, minute, second, Number(fraction.slice(0, 3)))
  if (new Date(ms).getUTCDate() !== day) return undefined
  const zone = m[8]
  if (zone !== undefined && zone.toUpperCase() !== "Z") {
    const sign = zone.startsWith("-") ? -1 : 1
    const digits = zone.slice(1).replace(":", "")
    const offset = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || "0")
    if (offset > 18 * 60) return undefined
    ms -= sign * offset * 60_000
  }
  if (!Number.isSafeInteger(ms) || ms < 0) return undefined
  return { ms, subMs: fraction.slice(3) }
}

/** Epoch ms as an ISO string. */
export const iso = (ms: number): string => new Date(ms).toISOString()

/**
 * Map a vendor value onto the catalog vocabulary: the deployment's `sourceMappings[source][field]` first, then the
 * adapter's defaults (both matched case-insensitively); an unknown value passes through for the catalog to judge.
 */
export const mapValue = (
  catalog: Catalog,
  source: string,
  field: string,
  value: string | undefined,
  defaults: Readonly<Record<string, string>>
): string | undefined => {
  if (value === undefined) return undefined
  const overrides = catalog.sourceMappings?.[source]?.[field]
  if (overrides !== undefined) {
    if (Object.hasOwn(overrides, value)) return overrides[value]
    const lower = value.toLowerCase()
    for (const [k, v] of Object.entries(overrides)) if (k.toLowerCase() === lower) return v
  }
  return lookup(defaults, value.toLowerCase()) ?? value
}

/** An own entry of a table (never an inherited `constructor` or `toString`). */
export const lookup = <V>(table: Readonly<Record<string, V>>, key: string): V | undefined =>
  Object.hasOwn(table, key) ? table[key] : undefined

const CLOSED_STATUSES = new Set(["solved", "closed"])

/** Whether a catalog status value means the ticket is done. */
export const isClosedStatus = (status: string | undefined): boolean =>
  status !== undefined && CLOSED_STATUSES.has(status)

/** A vendor-supplied value quoted for a reason text: JSON-escaped and cut to 60 characters. */
export const quote = (value: string): string => JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value)

export const ignored = (reason: string): Decoded => Either.right({ _tag: "Ignored", reason })

export const fail = (source: string, reason: string, status: 400 | 422 | 200): Decoded =>
  Either.left(new DecodeError({ source, reason, status }))

/** The order of events of one ticket at the same vendor time: a creation comes first. */
const kindRank = (kind: TicketEventKind): string => (kind === "created" ? "0" : "1")

export interface EventParts {
  readonly ticketId: string
  /** Vendor ordering number (a counter, or epoch ms / µs). */
  readonly primary: number
  /** Extra ordering digits that did not fit `primary` (fixed width per source), before the kind rank. */
  readonly subOrder?: string
  readonly occurredAt: string
  readonly deliveryKey: string
  readonly kind: TicketEventKind
  readonly fields: Readonly<Record<string, unknown>>
}

/** Longest delivery key kept as sent; a longer one is replaced by its hash (the dedupe stays exact). */
export const MAX_DELIVERY_KEY_LENGTH = 200

/** Length of the revision field when the catalog has none (the default catalog's `source_revision` limit). */
const DEFAULT_REVISION_MAX = 100

const shortHash = (text: string): string => `h:${createHash("sha256").update(text, "utf8").digest("hex").slice(0, 32)}`

/**
 * The revision string: `<primary>:<subOrder><kind rank>:<delivery key>`. It is written to the catalog's
 * `source_revision` text field, so it is built to fit that field's limit: an over-long delivery key is replaced by
 * `h:<32 hex of its sha256>` (the key only breaks ties between events of one ticket at the same vendor time).
 */
export const fitRevision = (primary: number, order: string, deliveryKey: string, max: number): string | undefined => {
  const full = makeRevision(primary, `${order}:${deliveryKey}`)
  if (full.length <= max) return full
  const hashed = makeRevision(primary, `${order}:${shortHash(deliveryKey)}`)
  return hashed.length <= max ? hashed : undefined
}

/** Assemble the TicketEvent: revision, catalog keys only, `ticket_id`/`source_system`/`external_key` set. */
export const buildEvent = (source: string, catalog: Catalog, parts: EventParts, status: 400 | 422 | 200): Decoded => {
  if (!Number.isSafeInteger(parts.primary) || parts.primary < 0) {
    return fail(source, `the revision (${parts.primary}) is not a non-negative safe integer`, status)
  }
  // Everything written to Genesys is checked against the catalog before the event is accepted: an accepted event
  // must always be applicable. Identifiers and URLs cannot be cut (text fields are truncated when applied).
  const facts = catalogFacts(catalog)
  if (facts.ticketIdMax !== undefined && parts.ticketId.length > facts.ticketIdMax) {
    return fail(
      source,
      `the ticket id is longer than ${facts.ticketIdMax} characters (the catalog's ticket_id limit)`,
      status
    )
  }
  const deliveryKey =
    parts.deliveryKey.length > MAX_DELIVERY_KEY_LENGTH
      ? `sha256:${createHash("sha256").update(parts.deliveryKey, "utf8").digest("hex")}`
      : parts.deliveryKey
  const revisionMax = facts.revisionMax
  const revision = fitRevision(
    parts.primary,
    `${parts.subOrder ?? ""}${kindRank(parts.kind)}`,
    deliveryKey,
    revisionMax
  )
  if (revision === undefined) {
    return fail(
      source,
      `the revision does not fit the catalog's source_revision limit of ${revisionMax} characters`,
      status
    )
  }
  const declared = facts.declared
  const fields: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(parts.fields)) {
    if (!declared.has(key) || value === undefined || value === null || value === "") continue
    fields[key] = value
  }
  for (const { key, max } of facts.uncuttable) {
    const value = fields[key]
    if (typeof value === "string" && value.trim().length > max) {
      return fail(source, `${key} is longer than ${max} characters (the catalog's limit; it cannot be cut)`, status)
    }
  }
  fields["ticket_id"] = parts.ticketId
  fields["source_system"] = facts.sourceSystem(source)
  fields["external_key"] = `${source}:${parts.ticketId}`
  for (const key of ["ticket_id", "source_system", "external_key"]) if (!declared.has(key)) delete fields[key]
  return Either.right({
    _tag: "Event",
    event: {
      source,
      ticketId: parts.ticketId,
      revision,
      occurredAt: parts.occurredAt,
      deliveryKey,
      kind: parts.kind,
      fields
    }
  })
}

/** What `buildEvent` needs of a catalog, derived once per catalog object (catalogs are not changed once built). */
interface CatalogFacts {
  readonly declared: ReadonlySet<string>
  readonly ticketIdMax: number | undefined
  readonly revisionMax: number
  /** The identifier and URL fields, which cannot be cut, and their limits. */
  readonly uncuttable: ReadonlyArray<{ readonly key: string; readonly max: number }>
  readonly sourceSystem: (source: string) => string
}

const catalogFactsCache = new WeakMap<Catalog, CatalogFacts>()

const catalogFacts = (catalog: Catalog): CatalogFacts => {
  const cached = catalogFactsCache.get(catalog)
  if (cached !== undefined) return cached
  const ticketIdField = catalog.fields.find((f) => f.key === "ticket_id")
  const revisionField = catalog.fields.find((f) => f.key === "source_revision")
  const sourceSystems = new Map<string, string>()
  const facts: CatalogFacts = {
    declared: new Set(catalog.fields.map((f) => f.key)),
    ticketIdMax: ticketIdField !== undefined ? maxLengthOf(ticketIdField) : undefined,
    revisionMax: revisionField !== undefined ? maxLengthOf(revisionField) : DEFAULT_REVISION_MAX,
    uncuttable: catalog.fields
      .filter((f) => f.type === "identifier" || f.type === "url")
      .map((f) => ({ key: f.key, max: maxLengthOf(f) })),
    sourceSystem: (source) => {
      let value = sourceSystems.get(source)
      if (value === undefined) {
        value = sourceSystemValue(catalog, source)
        sourceSystems.set(source, value)
      }
      return value
    }
  }
  catalogFactsCache.set(catalog, facts)
  return facts
}

/** The `source_system` value of a source: its own name when the catalog's vocabulary knows it, else `generic`. */
const sourceSystemValue = (catalog: Catalog, source: string): string => {
  const field = catalog.fields.find((f) => f.key === "source_system")
  const vocabulary = field?.vocabulary
  if (vocabulary === undefined) return source
  const lower = source.toLowerCase()
  const known = vocabulary.find((v) => v.value === lower || v.aliases.some((a) => a.toLowerCase() === lower))
  return known?.value ?? "generic"
}
