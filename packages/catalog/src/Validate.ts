/**
 * Catalog validation: the Genesys rules a catalog must follow before anything is derived from it
 * (docs/genesys-api.md §2.3, §2.5, §2.6), and the consistency rules between its parts.
 */
import { Data, Either } from "effect"
import type { Catalog, CoreType, FieldDecl, WorkitemAttribute } from "./Field.js"
import { CORE_TYPES, FIELD_DIRECTIONS, GENESYS_LIMITS, WORKITEM_ATTRIBUTES } from "./Field.js"
import { ATTRIBUTE_MAX_LENGTH, STRING_TYPES } from "./Limits.js"
import { canonicalToken, entrySpellings } from "./Vocabulary.js"

/** A catalog (or catalog file) that breaks a rule: `file`, the `path` inside it, and the `problem`. */
export class CatalogConfigError extends Data.TaggedError("CatalogConfigError")<{
  readonly file: string
  readonly path: string
  readonly problem: string
}> {
  override get message(): string {
    return `${this.file}: ${this.path}: ${this.problem}`
  }
}

/** One broken rule, at a path such as `fields[2].type`. */
export interface CatalogProblem {
  readonly path: string
  readonly problem: string
}

const KEY = /^[a-z][a-z0-9_]*$/u
const STATUS_CATEGORIES = ["Open", "InProgress", "Waiting", "Closed"]
const MAX_DESTINATIONS = 24
const q = (s: unknown): string => JSON.stringify(s) ?? String(s)

/** Which core types can set each workitem attribute. */
const ATTRIBUTE_TYPES: Record<WorkitemAttribute, ReadonlyArray<CoreType>> = {
  name: ["text", "longtext", "identifier", "url", "enum"],
  description: ["text", "longtext", "identifier", "url", "enum"],
  externalTag: ["text", "longtext", "identifier", "url", "enum"],
  priority: ["enum", "integer"],
  dateDue: ["date", "datetime"],
  statusId: ["enum"],
  skillIds: ["enum", "tag"]
}

const isInt = (n: unknown): n is number => typeof n === "number" && Number.isInteger(n)

const limitProblems = (field: FieldDecl, at: string): Array<CatalogProblem> => {
  const out: Array<CatalogProblem> = []
  const limits = field.limits
  if (limits === undefined) return out
  const allowed: ReadonlyArray<string> = STRING_TYPES.has(field.type)
    ? ["minLength", "maxLength"]
    : field.type === "tag"
      ? ["minLength", "maxLength", "minItems", "maxItems"]
      : field.type === "integer" || field.type === "number"
        ? ["minimum", "maximum"]
        : []
  for (const [name, value] of Object.entries(limits)) {
    if (value === undefined) continue
    if (!allowed.includes(name)) {
      out.push({ path: `${at}.limits.${name}`, problem: `does not apply to a ${field.type} field` })
      continue
    }
    if (name !== "minimum" && name !== "maximum" && (!isInt(value) || value < 0)) {
      out.push({ path: `${at}.limits.${name}`, problem: "must be a whole number ≥ 0" })
    } else if (typeof value !== "number" || !Number.isFinite(value)) {
      out.push({ path: `${at}.limits.${name}`, problem: "must be a finite number" })
    }
  }
  if (out.length > 0) return out
  const typeMax =
    field.type === "tag"
      ? GENESYS_LIMITS.tag.maxLength
      : STRING_TYPES.has(field.type)
        ? GENESYS_LIMITS[field.type as "text"].maxLength
        : undefined
  const attributeMax =
    !field.custom && field.attribute !== undefined ? ATTRIBUTE_MAX_LENGTH[field.attribute] : undefined
  const maxLength = attributeMax ?? typeMax
  if (
    limits.maxLength !== undefined &&
    maxLength !== undefined &&
    (limits.maxLength > maxLength || limits.maxLength < 1)
  ) {
    out.push({
      path: `${at}.limits.maxLength`,
      problem: `must be 1–${maxLength} for a ${field.type} field (Genesys limit)`
    })
  }
  if (limits.minLength !== undefined && limits.minLength > (limits.maxLength ?? maxLength ?? Infinity)) {
    out.push({ path: `${at}.limits.minLength`, problem: "is greater than maxLength" })
  }
  if (limits.maxItems !== undefined && (limits.maxItems > GENESYS_LIMITS.tag.maxItems || limits.maxItems < 1)) {
    out.push({ path: `${at}.limits.maxItems`, problem: `must be 1–${GENESYS_LIMITS.tag.maxItems} (Genesys limit)` })
  }
  if (limits.minItems !== undefined && limits.minItems > (limits.maxItems ?? GENESYS_LIMITS.tag.maxItems)) {
    out.push({ path: `${at}.limits.minItems`, problem: "is greater than maxItems" })
  }
  if (limits.minimum !== undefined && limits.maximum !== undefined && limits.minimum > limits.maximum) {
    out.push({ path: `${at}.limits.minimum`, problem: "is greater than maximum" })
  }
  if (field.type === "integer") {
    for (const name of ["minimum", "maximum"] as const) {
      const v = limits[name]
      if (v !== undefined && !Number.isSafeInteger(v))
        out.push({ path: `${at}.limits.${name}`, problem: "must be a safe integer" })
    }
  }
  return out
}

const vocabularyProblems = (field: FieldDecl, at: string): Array<CatalogProblem> => {
  const out: Array<CatalogProblem> = []
  const vocabulary = field.vocabulary
  if (vocabulary === undefined) {
    if (field.type === "enum") out.push({ path: `${at}.vocabulary`, problem: "an enum field needs a vocabulary" })
    return out
  }
  if (field.type !== "enum" && field.type !== "tag") {
    out.push({ path: `${at}.vocabulary`, problem: `a ${field.type} field takes no vocabulary (only enum and tag do)` })
    return out
  }
  const { maxOptions, maxLength } = GENESYS_LIMITS.enum
  if (vocabulary.length === 0) out.push({ path: `${at}.vocabulary`, problem: "is empty" })
  if (field.type === "enum" && vocabulary.length > maxOptions) {
    out.push({
      path: `${at}.vocabulary`,
      problem: `has ${vocabulary.length} entries, more than the ${maxOptions} options Genesys allows`
    })
  }
  const owner = new Map<string, number>()
  vocabulary.forEach((entry, j) => {
    const e = `${at}.vocabulary[${j}]`
    if (
      typeof entry.value !== "string" ||
      entry.value.length < 1 ||
      entry.value.length > maxLength ||
      entry.value !== entry.value.trim()
    ) {
      out.push({ path: `${e}.value`, problem: `must be 1–${maxLength} characters without surrounding spaces` })
    }
    if (typeof entry.title !== "string" || entry.title.trim() === "")
      out.push({ path: `${e}.title`, problem: "must not be empty" })
    if (entry.priority !== undefined) {
      const { minimum, maximum } = GENESYS_LIMITS.workitemPriority
      if (!isInt(entry.priority) || entry.priority < minimum || entry.priority > maximum) {
        out.push({ path: `${e}.priority`, problem: `must be a whole number ${minimum}…${maximum}` })
      }
    }
    entrySpellings(entry).forEach((spelling, k) => {
      const where = k === 0 ? `${e}.value` : k === 1 ? `${e}.title` : `${e}.aliases[${k - 2}]`
      const token = canonicalToken(spelling)
      if (token === "") {
        out.push({ path: where, problem: `${q(spelling)} has no letters or digits to match on` })
        return
      }
      const other = owner.get(token)
      if (other !== undefined && other !== j) {
        out.push({
          path: where,
          problem: `${q(spelling)} (of entry ${q(entry.value)}) also matches the entry ${q(vocabulary[other]?.value)}`
        })
      } else owner.set(token, j)
    })
  })
  return out
}

const fieldProblems = (field: FieldDecl, at: string): Array<CatalogProblem> => {
  const out: Array<CatalogProblem> = []
  if (typeof field.key !== "string" || !KEY.test(field.key) || field.key.length > 64) {
    out.push({
      path: `${at}.key`,
      problem: `${q(field.key)} must be 1–64 characters of a-z, 0-9 and _, starting with a letter`
    })
  }
  if (!(CORE_TYPES as ReadonlyArray<unknown>).includes(field.type)) {
    out.push({ path: `${at}.type`, problem: `${q(field.type)} is not a Genesys core type (${CORE_TYPES.join(", ")})` })
    return out
  }
  if (field.direction !== undefined && !(FIELD_DIRECTIONS as ReadonlyArray<unknown>).includes(field.direction)) {
    out.push({
      path: `${at}.direction`,
      problem: `${q(field.direction)} is not a field direction (${FIELD_DIRECTIONS.join(", ")})`
    })
  }
  if (typeof field.title !== "string" || field.title.trim() === "")
    out.push({ path: `${at}.title`, problem: "must not be empty" })
  out.push(...limitProblems(field, at), ...vocabularyProblems(field, at))
  const free = STRING_TYPES.has(field.type) || (field.type === "tag" && field.vocabulary === undefined)
  if (field.usage.routing && free) {
    out.push({
      path: `${at}.usage.routing`,
      problem:
        "a routing field needs a controlled vocabulary (an enum, or a tag with a vocabulary), or a checkbox, number or date type"
    })
  }
  if (field.attribute !== undefined) {
    if (!(WORKITEM_ATTRIBUTES as ReadonlyArray<unknown>).includes(field.attribute)) {
      out.push({
        path: `${at}.attribute`,
        problem: `${q(field.attribute)} is not a workitem attribute (${WORKITEM_ATTRIBUTES.join(", ")})`
      })
    } else if (!ATTRIBUTE_TYPES[field.attribute].includes(field.type)) {
      out.push({
        path: `${at}.attribute`,
        problem: `${field.attribute} cannot be set from a ${field.type} field (use ${ATTRIBUTE_TYPES[field.attribute].join(" or ")})`
      })
    } else if (
      field.attribute === "priority" &&
      field.type === "enum" &&
      field.vocabulary?.some((e) => e.priority === undefined)
    ) {
      out.push({
        path: `${at}.vocabulary`,
        problem: "every entry of a field that sets priority needs a priority number"
      })
    } else if (field.attribute === "skillIds" && field.vocabulary === undefined) {
      out.push({ path: `${at}.vocabulary`, problem: "a field that sets skillIds needs a vocabulary" })
    }
  } else if (!field.custom) {
    out.push({ path: `${at}.custom`, problem: "a field that is not a custom field must set a workitem attribute" })
  }
  return out
}

/** Every broken rule of a catalog, in document order. */
export const catalogProblems = (catalog: Catalog): ReadonlyArray<CatalogProblem> => {
  const out: Array<CatalogProblem> = []
  if (typeof catalog.schemaName !== "string" || !/^[A-Za-z0-9_-]{1,256}$/u.test(catalog.schemaName)) {
    out.push({ path: "schemaName", problem: "must be 1–256 characters of letters, digits, _ and -" })
  }
  if (typeof catalog.schemaDescription !== "string")
    out.push({ path: "schemaDescription", problem: "must be a string" })
  const keys = new Map<string, number>()
  const attributes = new Map<string, number>()
  catalog.fields.forEach((field, i) => {
    const at = `fields[${i}]`
    out.push(...fieldProblems(field, at))
    const seen = keys.get(field.key)
    if (seen !== undefined)
      out.push({ path: `${at}.key`, problem: `${q(field.key)} is already the key of fields[${seen}]` })
    else keys.set(field.key, i)
    if (field.attribute !== undefined) {
      const other = attributes.get(field.attribute)
      if (other !== undefined)
        out.push({ path: `${at}.attribute`, problem: `${field.attribute} is already set by fields[${other}]` })
      else attributes.set(field.attribute, i)
    }
  })
  const customCount = catalog.fields.filter((f) => f.custom).length
  if (customCount > GENESYS_LIMITS.fieldsPerSchema) {
    out.push({
      path: "fields",
      problem: `has ${customCount} custom fields, more than the ${GENESYS_LIMITS.fieldsPerSchema} Genesys allows per schema`
    })
  }
  if (!catalog.fields.some((f) => f.type === "identifier" && f.required)) {
    out.push({ path: "fields", problem: "needs a required identifier field (the ticket id)" })
  }

  const names = new Map<string, number>()
  catalog.statuses.forEach((status, i) => {
    const at = `statuses[${i}]`
    const { minLength, maxLength } = GENESYS_LIMITS.workitemName
    if (typeof status.name !== "string" || status.name.length < minLength || status.name.length > maxLength) {
      out.push({ path: `${at}.name`, problem: `must be ${minLength}–${maxLength} characters` })
    }
    if (names.has(status.name))
      out.push({
        path: `${at}.name`,
        problem: `${q(status.name)} is already the name of statuses[${names.get(status.name)}]`
      })
    else names.set(status.name, i)
    if (!STATUS_CATEGORIES.includes(status.category)) {
      out.push({
        path: `${at}.category`,
        problem: `${q(status.category)} is not one of ${STATUS_CATEGORIES.join(", ")}`
      })
    }
    if (status.description !== undefined && status.description.length > GENESYS_LIMITS.workitemDescription.maxLength) {
      out.push({
        path: `${at}.description`,
        problem: `is longer than ${GENESYS_LIMITS.workitemDescription.maxLength} characters`
      })
    }
    if (status.destinations.length > MAX_DESTINATIONS) {
      out.push({ path: `${at}.destinations`, problem: `has more than ${MAX_DESTINATIONS} destinations` })
    }
  })
  catalog.statuses.forEach((status, i) =>
    status.destinations.forEach((d, j) => {
      if (!names.has(d))
        out.push({ path: `statuses[${i}].destinations[${j}]`, problem: `${q(d)} is not a declared status` })
    })
  )

  const statusField = catalog.fields.find((f) => f.attribute === "statusId")
  const statusValues = new Set(statusField?.vocabulary?.map((e) => e.value) ?? [])
  if (statusField !== undefined && catalog.statuses.length === 0) {
    out.push({
      path: "statuses",
      problem: `field ${q(statusField.key)} sets statusId, so at least one status is needed`
    })
  }
  for (const [value, target] of Object.entries(catalog.statusMapping)) {
    if (!statusValues.has(value)) {
      out.push({
        path: `statusMapping.${value}`,
        problem:
          statusField === undefined
            ? "no field sets statusId"
            : `${q(value)} is not a value of field ${q(statusField.key)}`
      })
    }
    if (!names.has(target))
      out.push({ path: `statusMapping.${value}`, problem: `${q(target)} is not a declared status` })
  }
  for (const value of statusValues) {
    if (catalog.statusMapping[value] === undefined) {
      out.push({
        path: "statusMapping",
        problem: `has no status for ${q(value)} (a value of field ${q(statusField?.key)})`
      })
    }
  }

  for (const [source, mapping] of Object.entries(catalog.writeBackStatuses ?? {})) {
    for (const [value, vendorStatus] of Object.entries(mapping)) {
      const at = `writeBackStatuses.${source}.${value}`
      if (!statusValues.has(value)) {
        out.push({
          path: at,
          problem:
            statusField === undefined
              ? "no field sets statusId"
              : `${q(value)} is not a value of field ${q(statusField.key)}`
        })
      }
      if (typeof vendorStatus !== "string" || vendorStatus.trim() === "")
        out.push({ path: at, problem: "must name the helpdesk's status" })
    }
  }

  for (const [source, perField] of Object.entries(catalog.sourceMappings ?? {})) {
    for (const [key, mapping] of Object.entries(perField)) {
      const at = `sourceMappings.${source}.${key}`
      const field = catalog.fields.find((f) => f.key === key)
      if (field?.vocabulary === undefined) {
        out.push({
          path: at,
          problem: field === undefined ? "is not a field of the catalog" : "field has no vocabulary to map onto"
        })
        continue
      }
      const values = new Set(field.vocabulary.map((e) => e.value))
      for (const [vendor, value] of Object.entries(mapping)) {
        if (!values.has(value))
          out.push({ path: `${at}.${vendor}`, problem: `${q(value)} is not a value of field ${q(key)}` })
      }
    }
  }
  return out
}

/** The catalog if it follows every rule, else the first broken rule as a {@link CatalogConfigError}. */
export const validateCatalog = (catalog: Catalog, file = "(catalog)"): Either.Either<Catalog, CatalogConfigError> => {
  const first = catalogProblems(catalog)[0]
  return first === undefined ? Either.right(catalog) : Either.left(new CatalogConfigError({ file, ...first }))
}
