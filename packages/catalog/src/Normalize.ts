/**
 * Normalization: pure functions that turn the raw fields of a canonical ticket into the values Genesys accepts.
 * The rules are listed in docs/catalog.md; every function here is total (it never throws, whatever the input).
 */
import { Data, Either } from "effect"
import { isoDate, isoDateTime, parseInstant } from "./Dates.js"
import type { Catalog, FieldDecl } from "./Field.js"
import { TRUNCATION_MARKER } from "./Field.js"
import { maxItemsOf, maxLengthOf, minLengthOf, rangeOf, STRING_TYPES } from "./Limits.js"
import { matchVocabulary } from "./Vocabulary.js"

/** A normalized field value. */
export type NormalizedValue = string | number | boolean | ReadonlyArray<string>

/** A ticket whose fields are cast, mapped onto vocabularies and cut to the Genesys limits. */
export interface NormalizedTicket {
  /** Catalog field key → value; absent and unmapped fields have no key. */
  readonly values: Readonly<Record<string, NormalizedValue>>
  /** Keys of the fields that were cut to fit a limit (each value then ends with `[TRUNCATED]`). */
  readonly truncated: ReadonlyArray<string>
  /** Values that matched no vocabulary entry, and were therefore dropped. */
  readonly unmapped: ReadonlyArray<{ readonly field: string; readonly value: string }>
}

/** One problem with one field. */
export interface FieldIssue {
  readonly field: string
  readonly problem: string
  readonly value?: unknown
}

/** A ticket that cannot be normalized; `issues` lists every offending field. */
export class NormalizationError extends Data.TaggedError("NormalizationError")<{
  readonly issues: ReadonlyArray<FieldIssue>
}> {
  override get message(): string {
    const n = this.issues.length
    return `invalid ticket (${n} field${n === 1 ? "" : "s"}): ${this.issues.map(describeIssue).join("; ")}`
  }
}

const preview = (value: unknown): string => {
  let text: string
  try {
    text = typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? typeof value)
  } catch {
    text = typeof value
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}

const describeIssue = (issue: FieldIssue): string =>
  `${issue.field}: ${issue.problem}${"value" in issue ? ` (got ${preview(issue.value)})` : ""}`

// --- flattening ---

const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false
  const proto: unknown = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

const MAX_DEPTH = 32

/**
 * Flatten nested plain objects into one level with dotted keys: `{ a: { b: 1 } }` → `{ "a.b": 1 }`.
 * Arrays, dates and other values are leaves; empty objects vanish; nesting deeper than 32 levels is cut off.
 */
export const flatten = (obj: Readonly<Record<string, unknown>>): Record<string, unknown> => {
  const out: Array<[string, unknown]> = []
  const seen = new Set<object>()
  const walk = (node: Readonly<Record<string, unknown>>, prefix: string, depth: number): void => {
    if (seen.has(node) || depth > MAX_DEPTH) return
    seen.add(node)
    for (const [key, value] of Object.entries(node)) {
      const path = prefix === "" ? key : `${prefix}.${key}`
      if (isPlainObject(value)) walk(value, path, depth + 1)
      else out.push([path, value])
    }
    seen.delete(node)
  }
  if (isPlainObject(obj)) walk(obj, "", 0)
  return Object.fromEntries(out)
}

/** Flattened input keyed for lookup: exact keys first, then dotted keys with `.` read as `_`. */
const lookupTable = (fields: Readonly<Record<string, unknown>>): ReadonlyMap<string, unknown> => {
  const flat = flatten(fields)
  const table = new Map<string, unknown>()
  for (const [key, value] of Object.entries(flat)) table.set(key, value)
  for (const [key, value] of Object.entries(flat)) {
    const alias = key.replaceAll(".", "_")
    if (!table.has(alias)) table.set(alias, value)
  }
  return table
}

// --- one field ---

type FieldResult =
  | { readonly _tag: "Absent"; readonly unmapped?: ReadonlyArray<string> }
  | { readonly _tag: "Value"; readonly value: NormalizedValue; readonly truncated: boolean; readonly unmapped?: ReadonlyArray<string> }
  | { readonly _tag: "Problem"; readonly problem: string }

const absent: FieldResult = { _tag: "Absent" }
const problem = (text: string): FieldResult => ({ _tag: "Problem", problem: text })
const ok = (value: NormalizedValue, truncated = false, unmapped?: ReadonlyArray<string>): FieldResult =>
  unmapped === undefined || unmapped.length === 0
    ? { _tag: "Value", value, truncated }
    : { _tag: "Value", value, truncated, unmapped }

/** A scalar as text (strings trimmed); undefined for values that have no text form. */
const scalarText = (raw: unknown): string | undefined => {
  if (typeof raw === "string") return raw.trim()
  if (typeof raw === "number") return Number.isFinite(raw) ? String(raw + 0) : undefined
  if (typeof raw === "boolean") return String(raw)
  return undefined
}

/**
 * Cut a string so that it plus `[TRUNCATED]` fits in `max` characters (never splitting a surrogate pair).
 * A limit shorter than the marker cuts without it.
 */
export const truncateText = (text: string, max: number): { readonly text: string; readonly truncated: boolean } => {
  if (text.length <= max) return { text, truncated: false }
  const marker = max > TRUNCATION_MARKER.length ? TRUNCATION_MARKER : ""
  let cut = max - marker.length
  const last = text.charCodeAt(cut - 1)
  if (cut > 0 && last >= 0xd800 && last <= 0xdbff) cut -= 1
  return { text: text.slice(0, cut) + marker, truncated: true }
}

const expectedSingle = "expected a single value, got a list"

const normalizeString = (field: FieldDecl, raw: unknown): FieldResult => {
  if (Array.isArray(raw)) return problem(expectedSingle)
  const text = scalarText(raw)
  if (text === undefined) return problem("expected text")
  if (text === "") return absent
  if (text.length < minLengthOf(field)) return problem(`is shorter than ${minLengthOf(field)} characters`)
  const max = maxLengthOf(field)
  if (field.type === "url") {
    let url: URL | undefined
    try {
      url = new URL(text)
    } catch {
      url = undefined
    }
    if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) {
      return problem("is not an http(s) URL")
    }
    if (text.length > max) return problem(`is longer than ${max} characters (a cut URL would not work)`)
    return ok(text)
  }
  if (field.type === "identifier" && text.length > max) {
    return problem(`is longer than ${max} characters (a cut identifier could match another ticket)`)
  }
  const cut = truncateText(text, max)
  return ok(cut.text, cut.truncated)
}

const normalizeEnum = (field: FieldDecl, raw: unknown): FieldResult => {
  if (Array.isArray(raw)) return problem(expectedSingle)
  const text = scalarText(raw)
  if (text === undefined) return problem("expected a vocabulary value")
  if (text === "") return absent
  const entry = matchVocabulary(field, text)
  return entry === undefined ? { _tag: "Absent", unmapped: [text] } : ok(entry.value)
}

const normalizeTag = (field: FieldDecl, raw: unknown): FieldResult => {
  let items: ReadonlyArray<unknown>
  if (Array.isArray(raw)) items = raw
  else if (typeof raw === "string") items = raw.split(",")
  else if (typeof raw === "number" || typeof raw === "boolean") items = [raw]
  else return problem("expected a list of strings")
  const max = maxLengthOf(field)
  const out: Array<string> = []
  const unmapped: Array<string> = []
  let truncated = false
  for (const item of items) {
    const text = scalarText(item)
    if (text === undefined) {
      if (item === null || item === undefined) continue
      return problem("expected a list of strings")
    }
    if (text === "") continue
    let value: string
    if (field.vocabulary !== undefined) {
      const entry = matchVocabulary(field, text)
      if (entry === undefined) {
        unmapped.push(text)
        continue
      }
      value = entry.value
    } else {
      const cut = truncateText(text, max)
      truncated ||= cut.truncated
      value = cut.text
    }
    if (!out.includes(value)) out.push(value)
  }
  const maxItems = maxItemsOf(field)
  if (out.length > maxItems) {
    out.length = maxItems
    truncated = true
  }
  if (out.length === 0) return unmapped.length === 0 ? absent : { _tag: "Absent", unmapped }
  return ok(out, truncated, unmapped)
}

const numberFrom = (raw: unknown): number | undefined => {
  if (typeof raw === "number") return Number.isFinite(raw) ? raw + 0 : undefined
  if (typeof raw === "string" && raw.trim() !== "") {
    const n = Number(raw.trim())
    return Number.isFinite(n) ? n + 0 : undefined
  }
  return undefined
}

const normalizeNumber = (field: FieldDecl, raw: unknown): FieldResult => {
  if (Array.isArray(raw)) return problem(expectedSingle)
  if (typeof raw === "string" && raw.trim() === "") return absent
  const n = numberFrom(raw)
  if (n === undefined) return problem("is not a number")
  if (field.type === "integer" && !Number.isInteger(n)) return problem("is not a whole number")
  const { minimum, maximum } = rangeOf(field)
  if (n < minimum) return problem(`is less than ${minimum}`)
  if (n > maximum) return problem(`is greater than ${maximum}`)
  return ok(n)
}

const TRUE = new Set(["true", "yes", "1", "y", "on"])
const FALSE = new Set(["false", "no", "0", "n", "off"])

const normalizeCheckbox = (raw: unknown): FieldResult => {
  if (typeof raw === "boolean") return ok(raw)
  if (typeof raw === "number") return raw === 1 ? ok(true) : raw === 0 ? ok(false) : problem("is not a yes/no value")
  if (typeof raw === "string") {
    const text = raw.trim().toLowerCase()
    if (text === "") return absent
    if (TRUE.has(text)) return ok(true)
    if (FALSE.has(text)) return ok(false)
  }
  return problem("is not a yes/no value (true/false, yes/no, 1/0)")
}

const normalizeInstant = (field: FieldDecl, raw: unknown): FieldResult => {
  if (Array.isArray(raw)) return problem(expectedSingle)
  if (typeof raw === "string" && raw.trim() === "") return absent
  const parsed = parseInstant(raw)
  if ("problem" in parsed) return problem(parsed.problem)
  return ok(field.type === "date" ? isoDate(parsed.ms) : isoDateTime(parsed.ms))
}

/** Normalize one raw value for one field. */
const normalizeValue = (field: FieldDecl, raw: unknown): FieldResult => {
  if (raw === null || raw === undefined) return absent
  if (STRING_TYPES.has(field.type)) return normalizeString(field, raw)
  switch (field.type) {
    case "enum":
      return normalizeEnum(field, raw)
    case "tag":
      return normalizeTag(field, raw)
    case "integer":
    case "number":
      return normalizeNumber(field, raw)
    case "checkbox":
      return normalizeCheckbox(raw)
    case "date":
    case "datetime":
      return normalizeInstant(field, raw)
    default:
      return problem(`has unknown type ${String(field.type)}`)
  }
}

// --- a whole ticket ---

/** Options of {@link normalizeFields}. */
export interface NormalizeOptions {
  /** Report required fields that are missing (default true). */
  readonly checkRequired?: boolean
}

/** The outcome of normalizing every field, valid or not. */
export interface NormalizationOutcome extends NormalizedTicket {
  readonly issues: ReadonlyArray<FieldIssue>
}

/**
 * Normalize every catalog field found in `fields`, collecting issues instead of failing: invalid fields are
 * left out of `values`. Never throws, whatever `fields` is.
 */
export const normalizeFields = (catalog: Catalog, fields: unknown, options: NormalizeOptions = {}): NormalizationOutcome => {
  const issues: Array<FieldIssue> = []
  if (!isPlainObject(fields)) {
    return { values: {}, truncated: [], unmapped: [], issues: [{ field: "(ticket)", problem: "expected an object of fields", value: fields }] }
  }
  const table = lookupTable(fields)
  const values: Array<[string, NormalizedValue]> = []
  const truncated: Array<string> = []
  const unmapped: Array<{ field: string; value: string }> = []
  for (const field of catalog.fields) {
    const raw = table.get(field.key)
    const result = normalizeValue(field, raw)
    for (const value of result._tag === "Problem" ? [] : (result.unmapped ?? [])) unmapped.push({ field: field.key, value })
    switch (result._tag) {
      case "Problem":
        issues.push({ field: field.key, problem: result.problem, value: raw })
        break
      case "Value":
        values.push([field.key, result.value])
        if (result.truncated) truncated.push(field.key)
        break
      case "Absent":
        if (field.required && options.checkRequired !== false) {
          issues.push(
            result.unmapped === undefined
              ? { field: field.key, problem: "is required" }
              : { field: field.key, problem: "is required, and the value is not in its vocabulary", value: raw }
          )
        }
    }
  }
  return { values: Object.fromEntries(values), truncated, unmapped, issues }
}

/**
 * Normalize a ticket's raw fields (keys are catalog field keys; nested objects are flattened and a dotted key
 * `a.b` also matches the field `a_b`; unknown keys are ignored). Fails with every offending field.
 */
export const normalizeTicket = (
  catalog: Catalog,
  fields: Readonly<Record<string, unknown>>
): Either.Either<NormalizedTicket, NormalizationError> => {
  const { issues, ...ticket } = normalizeFields(catalog, fields)
  return issues.length === 0 ? Either.right(ticket) : Either.left(new NormalizationError({ issues }))
}
