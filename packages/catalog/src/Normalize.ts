/**
 * Normalization: pure functions that turn the raw fields of a canonical ticket into the values Genesys accepts.
 * The rules are listed in docs/catalog.md; every function here is total (it never throws, whatever the input).
 */
import { Data, Either } from "effect"
import { isoDate, isoDateTime, parseInstant } from "./Dates.js"
import type { Catalog, FieldDecl, VocabularyEntry } from "./Field.js"
import { TRUNCATION_MARKER } from "./Field.js"
import { maxItemsOf, maxLengthOf, minLengthOf, rangeOf, STRING_TYPES } from "./Limits.js"
import { canonicalToken, entrySpellings, vocabularyIndex } from "./Vocabulary.js"

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

/**
 * What one field's raw value normalizes to: absent (with the spellings that matched no vocabulary entry, if any), a
 * value, or a problem.
 */
export type FieldResult =
  | { readonly _tag: "Absent"; readonly unmapped?: ReadonlyArray<string> }
  | {
      readonly _tag: "Value"
      readonly value: NormalizedValue
      readonly truncated: boolean
      readonly unmapped?: ReadonlyArray<string>
    }
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

/** One field's normalization with everything its declaration decides (limits, vocabulary index) resolved once. */
export type FieldNormalizer = (raw: unknown) => FieldResult

const compileString = (field: FieldDecl): FieldNormalizer => {
  const min = minLengthOf(field)
  const max = maxLengthOf(field)
  const isUrl = field.type === "url"
  const isIdentifier = field.type === "identifier"
  return (raw) => {
    if (Array.isArray(raw)) return problem(expectedSingle)
    const text = scalarText(raw)
    if (text === undefined) return problem("expected text")
    if (text === "") return absent
    if (text.length < min) return problem(`is shorter than ${min} characters`)
    if (isUrl) {
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
    if (isIdentifier && text.length > max) {
      return problem(`is longer than ${max} characters (a cut identifier could match another ticket)`)
    }
    const cut = truncateText(text, max)
    return ok(cut.text, cut.truncated)
  }
}

/**
 * The vocabulary entry of a spelling, by the field's index built once (as `matchVocabulary` does per call). The
 * declared spellings and their lower case are looked up as sent first: each maps to the entry of its canonical token,
 * so the answer is the same, without canonicalizing the common spellings per value.
 */
const vocabularyMatcher = (field: FieldDecl): ((spelling: string) => VocabularyEntry | undefined) => {
  if (field.vocabulary === undefined) return () => undefined
  const index = vocabularyIndex(field.vocabulary)
  const declared = new Map<string, VocabularyEntry>()
  for (const spelling of field.vocabulary.flatMap(entrySpellings)) {
    for (const text of [spelling, spelling.toLowerCase()]) {
      const entry = index.get(canonicalToken(text))
      if (entry !== undefined) declared.set(text, entry)
    }
  }
  return (spelling) => {
    const exact = declared.get(spelling)
    if (exact !== undefined) return exact
    const lower = spelling.toLowerCase()
    return declared.get(lower) ?? index.get(canonicalToken(lower))
  }
}

const compileEnum = (field: FieldDecl): FieldNormalizer => {
  const match = vocabularyMatcher(field)
  return (raw) => {
    if (Array.isArray(raw)) return problem(expectedSingle)
    const text = scalarText(raw)
    if (text === undefined) return problem("expected a vocabulary value")
    if (text === "") return absent
    const entry = match(text)
    return entry === undefined ? { _tag: "Absent", unmapped: [text] } : ok(entry.value)
  }
}

const compileTag = (field: FieldDecl): FieldNormalizer => {
  const max = maxLengthOf(field)
  const maxItems = maxItemsOf(field)
  const match = field.vocabulary === undefined ? undefined : vocabularyMatcher(field)
  return (raw) => {
    let items: ReadonlyArray<unknown>
    if (Array.isArray(raw)) items = raw
    else if (typeof raw === "string") items = raw.split(",")
    else if (typeof raw === "number" || typeof raw === "boolean") items = [raw]
    else return problem("expected a list of strings")
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
      if (match !== undefined) {
        const entry = match(text)
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
    if (out.length > maxItems) {
      out.length = maxItems
      truncated = true
    }
    if (out.length === 0) return unmapped.length === 0 ? absent : { _tag: "Absent", unmapped }
    return ok(out, truncated, unmapped)
  }
}

const numberFrom = (raw: unknown): number | undefined => {
  if (typeof raw === "number") return Number.isFinite(raw) ? raw + 0 : undefined
  if (typeof raw === "string" && raw.trim() !== "") {
    const n = Number(raw.trim())
    return Number.isFinite(n) ? n + 0 : undefined
  }
  return undefined
}

const compileNumber = (field: FieldDecl): FieldNormalizer => {
  const isInteger = field.type === "integer"
  const { minimum, maximum } = rangeOf(field)
  return (raw) => {
    if (Array.isArray(raw)) return problem(expectedSingle)
    if (typeof raw === "string" && raw.trim() === "") return absent
    const n = numberFrom(raw)
    if (n === undefined) return problem("is not a number")
    if (isInteger && !Number.isInteger(n)) return problem("is not a whole number")
    if (n < minimum) return problem(`is less than ${minimum}`)
    if (n > maximum) return problem(`is greater than ${maximum}`)
    return ok(n)
  }
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

const compileInstant = (field: FieldDecl): FieldNormalizer => {
  const format = field.type === "date" ? isoDate : isoDateTime
  return (raw) => {
    if (Array.isArray(raw)) return problem(expectedSingle)
    if (typeof raw === "string" && raw.trim() === "") return absent
    const parsed = parseInstant(raw)
    if ("problem" in parsed) return problem(parsed.problem)
    return ok(format(parsed.ms))
  }
}

/** The normalization of one field, compiled from its declaration; `null` and `undefined` are absent. */
const compileField = (field: FieldDecl): FieldNormalizer => {
  const byType = ((): FieldNormalizer => {
    if (STRING_TYPES.has(field.type)) return compileString(field)
    switch (field.type) {
      case "enum":
        return compileEnum(field)
      case "tag":
        return compileTag(field)
      case "integer":
      case "number":
        return compileNumber(field)
      case "checkbox":
        return normalizeCheckbox
      case "date":
      case "datetime":
        return compileInstant(field)
      default: {
        const unknownType = problem(`has unknown type ${String(field.type)}`)
        return () => unknownType
      }
    }
  })()
  return (raw) => (raw === null || raw === undefined ? absent : byType(raw))
}

/** A field and its compiled normalization. */
export interface FieldPlan {
  readonly field: FieldDecl
  /** The field's normalization (`null` and `undefined` are absent), as `normalizeFields` applies it. */
  readonly normalize: FieldNormalizer
}

/** A catalog's field plans, compiled at its first use and kept as long as its field list lives. */
const plans = new WeakMap<ReadonlyArray<FieldDecl>, ReadonlyArray<FieldPlan>>()

/**
 * The catalog's fields, in order, each with its compiled normalization: for a caller that walks the fields itself
 * (the normalize-ticket Data Action), with the same per-field outcome as {@link normalizeFields}.
 */
export const fieldPlans = (catalog: Catalog): ReadonlyArray<FieldPlan> => {
  const cached = plans.get(catalog.fields)
  if (cached !== undefined) return cached
  const compiled = catalog.fields.map((field) => ({ field, normalize: compileField(field) }))
  plans.set(catalog.fields, compiled)
  return compiled
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
export const normalizeFields = (
  catalog: Catalog,
  fields: unknown,
  options: NormalizeOptions = {}
): NormalizationOutcome => {
  if (!isPlainObject(fields)) {
    return {
      values: {},
      truncated: [],
      unmapped: [],
      issues: [{ field: "(ticket)", problem: "expected an object of fields", value: fields }]
    }
  }
  const table = lookupTable(fields)
  return normalizeLookup(catalog, (key) => table.get(key), options)
}

/**
 * Like {@link normalizeFields} for fields that are already flat: `fields` is keyed by catalog field keys and its
 * values are not nested objects (no flattening, no dotted aliases; other keys are ignored). For such input the
 * outcome is the same as `normalizeFields`'s.
 */
export const normalizeFlatFields = (
  catalog: Catalog,
  fields: Readonly<Record<string, unknown>>,
  options: NormalizeOptions = {}
): NormalizationOutcome =>
  normalizeLookup(catalog, (key) => (Object.hasOwn(fields, key) ? fields[key] : undefined), options)

const normalizeLookup = (
  catalog: Catalog,
  lookup: (key: string) => unknown,
  options: NormalizeOptions
): NormalizationOutcome => {
  const checkRequired = options.checkRequired !== false
  const issues: Array<FieldIssue> = []
  const values: Array<[string, NormalizedValue]> = []
  const truncated: Array<string> = []
  const unmapped: Array<{ field: string; value: string }> = []
  for (const { field, normalize } of fieldPlans(catalog)) {
    const raw = lookup(field.key)
    const result = normalize(raw)
    if (result._tag !== "Problem" && result.unmapped !== undefined)
      for (const value of result.unmapped) unmapped.push({ field: field.key, value })
    switch (result._tag) {
      case "Problem":
        issues.push({ field: field.key, problem: result.problem, value: raw })
        break
      case "Value":
        values.push([field.key, result.value])
        if (result.truncated) truncated.push(field.key)
        break
      case "Absent":
        if (field.required && checkRequired) {
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
