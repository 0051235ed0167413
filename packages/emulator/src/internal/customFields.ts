/**
 * Workitem schemas (`DataSchema` with a draft-04 `jsonSchema`, docs/genesys-api.md §2.3): parsing a schema document into
 * per-field rules, and checking workitem custom fields against them.
 */
import { CORE_TYPES, type CoreType, GENESYS_LIMITS } from "@workbridge/catalog"
import { badRequest } from "./errors.js"
import { isObject, type Json } from "./validate.js"

/** Genesys's safe-integer bound of an integer or number property (docs/genesys-api.md §2.3). */
const MAX_SAFE = GENESYS_LIMITS.integer.maximum

/** Per-core-type maxima (docs/genesys-api.md §2.3): the catalog's record of the real Genesys limits. */
const STRING_MAX: Partial<Record<CoreType, number>> = {
  text: GENESYS_LIMITS.text.maxLength,
  longtext: GENESYS_LIMITS.longtext.maxLength,
  url: GENESYS_LIMITS.url.maxLength,
  identifier: GENESYS_LIMITS.identifier.maxLength
}
const ENUM_MAX_OPTIONS = GENESYS_LIMITS.enum.maxOptions
const ENUM_OPTION_MAX_LENGTH = GENESYS_LIMITS.enum.maxLength
const TAG_MAX_ITEMS = GENESYS_LIMITS.tag.maxItems
const TAG_ITEM_MAX_LENGTH = GENESYS_LIMITS.tag.maxLength

/** The schema quantity limits this emulator enforces and reports on `GET …/schemas/limits`. */
export const SCHEMA_LIMITS = {
  minFieldNameCharacters: 1,
  maxFieldNameCharacters: 100,
  minFieldTitleCharacters: 1,
  maxFieldTitleCharacters: 100,
  minFieldDescriptionCharacters: 0,
  maxFieldDescriptionCharacters: 512,
  minSchemaNameCharacters: 1,
  maxSchemaNameCharacters: 100,
  minSchemaDescriptionCharacters: 0,
  maxSchemaDescriptionCharacters: 512,
  maxNumberOfSchemasPerOrg: 100,
  maxNumberOfFieldsPerSchema: GENESYS_LIMITS.fieldsPerSchema,
  maxNumberOfFieldsPerOrg: 5000
} as const

export interface FieldRule {
  readonly key: string
  readonly type: CoreType
  readonly minLength?: number
  readonly maxLength?: number
  readonly enumValues?: ReadonlyArray<string>
  readonly minItems?: number
  readonly maxItems?: number
  readonly uniqueItems?: boolean
  readonly minimum?: number
  readonly maximum?: number
}

export interface CompiledSchema {
  readonly fields: ReadonlyMap<string, FieldRule>
  readonly required: ReadonlyArray<string>
}

const FIELD_KEY = /^[A-Za-z][A-Za-z0-9_]*$/

const num = (o: Json, k: string, where: string): number | undefined => {
  const v = o[k]
  if (v === undefined) return undefined
  if (typeof v !== "number" || !Number.isFinite(v)) throw badRequest(`${where}.${k} must be a number`, `${where}.${k}`)
  return v
}

const lengthBounds = (o: Json, where: string, max: number): { minLength?: number; maxLength?: number } => {
  const minLength = num(o, "minLength", where)
  const maxLength = num(o, "maxLength", where)
  if (minLength !== undefined && (minLength < 0 || !Number.isInteger(minLength)))
    throw badRequest(`${where}.minLength must be a whole number >= 0`, `${where}.minLength`)
  if (maxLength !== undefined && (maxLength < 1 || maxLength > max || !Number.isInteger(maxLength)))
    throw badRequest(`${where}.maxLength must be a whole number in 1..${max} (got ${maxLength})`, `${where}.maxLength`)
  if (minLength !== undefined && maxLength !== undefined && minLength > maxLength)
    throw badRequest(`${where}.minLength exceeds maxLength`, `${where}.minLength`)
  return { ...(minLength === undefined ? {} : { minLength }), maxLength: maxLength ?? max }
}

const coreTypeOf = (prop: Json, where: string): CoreType => {
  const allOf = prop["allOf"]
  const ref = Array.isArray(allOf) && allOf.length === 1 && isObject(allOf[0]) ? allOf[0]["$ref"] : undefined
  const m = typeof ref === "string" ? /^#\/definitions\/([a-z]+)$/.exec(ref) : null
  const type = m?.[1]
  if (type === undefined || !(CORE_TYPES as ReadonlyArray<string>).includes(type))
    throw badRequest(
      `${where} must be { "allOf": [{ "$ref": "#/definitions/<coretype>" }] } with a core type (${CORE_TYPES.join(", ")})`,
      where
    )
  return type as CoreType
}

/** Parses and checks a schema document; throws a 400 naming the bad property. */
export const compileSchema = (jsonSchema: unknown): CompiledSchema => {
  if (!isObject(jsonSchema)) throw badRequest("jsonSchema must be an object", "jsonSchema")
  if (jsonSchema["$schema"] !== "http://json-schema.org/draft-04/schema#")
    throw badRequest('jsonSchema.$schema must be "http://json-schema.org/draft-04/schema#"', "jsonSchema.$schema")
  // `type` may be left out (CX as Code sends none); when present it must be "object".
  if (jsonSchema["type"] !== undefined && jsonSchema["type"] !== "object")
    throw badRequest('jsonSchema.type must be "object"', "jsonSchema.type")
  const properties = jsonSchema["properties"] ?? {}
  if (!isObject(properties)) throw badRequest("jsonSchema.properties must be an object", "jsonSchema.properties")
  const keys = Object.keys(properties)
  if (keys.length > SCHEMA_LIMITS.maxNumberOfFieldsPerSchema)
    throw badRequest(
      `A schema may have at most ${SCHEMA_LIMITS.maxNumberOfFieldsPerSchema} custom attributes (got ${keys.length})`,
      "jsonSchema.properties"
    )
  const fields = new Map<string, FieldRule>()
  for (const key of keys) {
    const where = `jsonSchema.properties.${key}`
    const prop = properties[key]
    if (!isObject(prop)) throw badRequest(`${where} must be an object`, where)
    const type = coreTypeOf(prop, where)
    if (!FIELD_KEY.test(key) || !key.endsWith(`_${type}`) || key.length === type.length + 1)
      throw badRequest(`Custom attribute key "${key}" must be <name>_${type} (letters, digits, underscores)`, where)
    if (key.length > SCHEMA_LIMITS.maxFieldNameCharacters)
      throw badRequest(
        `Custom attribute key "${key}" is longer than ${SCHEMA_LIMITS.maxFieldNameCharacters} characters`,
        where
      )
    const title = prop["title"]
    if (title !== undefined && (typeof title !== "string" || title.length > SCHEMA_LIMITS.maxFieldTitleCharacters))
      throw badRequest(
        `${where}.title must be a string of at most ${SCHEMA_LIMITS.maxFieldTitleCharacters} characters`,
        `${where}.title`
      )
    let rule: FieldRule
    switch (type) {
      case "text":
      case "longtext":
      case "url":
      case "identifier":
        rule = { key, type, ...lengthBounds(prop, where, STRING_MAX[type] ?? 0) }
        break
      case "enum": {
        const values = prop["enum"]
        if (!Array.isArray(values) || values.length === 0 || values.some((v) => typeof v !== "string"))
          throw badRequest(`${where}.enum must be a non-empty array of strings`, `${where}.enum`)
        if (values.length > ENUM_MAX_OPTIONS)
          throw badRequest(
            `${where}.enum may hold at most ${ENUM_MAX_OPTIONS} options (got ${values.length})`,
            `${where}.enum`
          )
        const long = (values as Array<string>).find((v) => v.length > ENUM_OPTION_MAX_LENGTH || v.length === 0)
        if (long !== undefined)
          throw badRequest(
            `${where}.enum option "${long}" must be 1..${ENUM_OPTION_MAX_LENGTH} characters`,
            `${where}.enum`
          )
        rule = { key, type, enumValues: values as Array<string> }
        break
      }
      case "tag": {
        const items = prop["items"] ?? {}
        if (!isObject(items)) throw badRequest(`${where}.items must be an object`, `${where}.items`)
        const itemBounds = lengthBounds(items, `${where}.items`, TAG_ITEM_MAX_LENGTH)
        const minItems = num(prop, "minItems", where)
        const maxItems = num(prop, "maxItems", where)
        if (maxItems !== undefined && (maxItems < 0 || maxItems > TAG_MAX_ITEMS || !Number.isInteger(maxItems)))
          throw badRequest(
            `${where}.maxItems must be a whole number in 0..${TAG_MAX_ITEMS} (got ${maxItems})`,
            `${where}.maxItems`
          )
        const unique = prop["uniqueItems"]
        rule = {
          key,
          type,
          ...itemBounds,
          ...(minItems === undefined ? {} : { minItems }),
          maxItems: maxItems ?? TAG_MAX_ITEMS,
          uniqueItems: unique === true
        }
        break
      }
      case "integer":
      case "number": {
        const minimum = num(prop, "minimum", where)
        const maximum = num(prop, "maximum", where)
        for (const [k, v] of [
          ["minimum", minimum],
          ["maximum", maximum]
        ] as const) {
          if (v !== undefined && Math.abs(v) > MAX_SAFE)
            throw badRequest(`${where}.${k} must be within ±${MAX_SAFE}`, `${where}.${k}`)
        }
        if (minimum !== undefined && maximum !== undefined && minimum > maximum)
          throw badRequest(`${where}.minimum exceeds maximum`, `${where}.minimum`)
        rule = {
          key,
          type,
          minimum: minimum ?? -MAX_SAFE,
          maximum: maximum ?? MAX_SAFE
        }
        break
      }
      default:
        rule = { key, type }
    }
    fields.set(key, rule)
  }
  const required = jsonSchema["required"] ?? []
  if (!Array.isArray(required) || required.some((r) => typeof r !== "string" || !fields.has(r)))
    throw badRequest("jsonSchema.required must list property names of this schema", "jsonSchema.required")
  return { fields, required: required as Array<string> }
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

const validDate = (v: string): boolean => {
  const m = DATE.exec(v)
  if (m === null) return false
  const d = new Date(`${v}T00:00:00.000Z`)
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(v)
}

const validDateTime = (v: string): boolean => {
  if (!DATETIME.test(v)) return false
  const d = new Date(v)
  return !Number.isNaN(d.getTime()) && d.toISOString() === v
}

const validUrl = (v: string): boolean => {
  try {
    const u = new URL(v)
    return u.protocol === "http:" || u.protocol === "https:"
  } catch {
    return false
  }
}

/** Checks one custom field value; throws a 400 naming `customFields.<key>`. */
export const checkValue = (rule: FieldRule, value: unknown): void => {
  const field = `customFields.${rule.key}`
  const fail = (why: string): never => {
    throw badRequest(`${field} ${why}`, field)
  }
  switch (rule.type) {
    case "text":
    case "longtext":
    case "url":
    case "identifier": {
      if (typeof value !== "string") return fail(`must be a string (${rule.type})`)
      if (rule.maxLength !== undefined && value.length > rule.maxLength)
        fail(`must be at most ${rule.maxLength} characters (got ${value.length})`)
      if (rule.minLength !== undefined && value.length < rule.minLength)
        fail(`must be at least ${rule.minLength} characters (got ${value.length})`)
      if (rule.type === "url" && !validUrl(value)) fail("must be an http(s) URL")
      return
    }
    case "enum":
      if (typeof value !== "string") return fail("must be a string (enum)")
      if (!(rule.enumValues ?? []).includes(value))
        fail(`must be one of ${(rule.enumValues ?? []).join(", ")} (got "${value}")`)
      return
    case "tag": {
      if (!Array.isArray(value) || value.some((v) => typeof v !== "string"))
        return fail("must be an array of strings (tag)")
      const items = value as Array<string>
      if (rule.maxItems !== undefined && items.length > rule.maxItems)
        fail(`may hold at most ${rule.maxItems} tags (got ${items.length})`)
      if (rule.minItems !== undefined && items.length < rule.minItems) fail(`must hold at least ${rule.minItems} tags`)
      for (const item of items) {
        if (rule.maxLength !== undefined && item.length > rule.maxLength)
          fail(`tag "${item.slice(0, 20)}…" is longer than ${rule.maxLength} characters`)
        if (rule.minLength !== undefined && item.length < rule.minLength)
          fail(`tags must be at least ${rule.minLength} characters`)
      }
      if (rule.uniqueItems === true && new Set(items).size !== items.length) fail("must not repeat a tag")
      return
    }
    case "date":
      if (typeof value !== "string" || !validDate(value)) fail("must be a date YYYY-MM-DD")
      return
    case "datetime":
      if (typeof value !== "string" || !validDateTime(value)) fail("must be a datetime YYYY-MM-DDTHH:mm:ss.sssZ")
      return
    case "integer":
    case "number": {
      if (typeof value !== "number" || !Number.isFinite(value)) return fail(`must be a number (${rule.type})`)
      if (rule.type === "integer" && !Number.isInteger(value)) fail("must be a whole number (integer)")
      if (rule.minimum !== undefined && value < rule.minimum) fail(`must be >= ${rule.minimum} (got ${value})`)
      if (rule.maximum !== undefined && value > rule.maximum) fail(`must be <= ${rule.maximum} (got ${value})`)
      return
    }
    case "checkbox":
      if (typeof value !== "boolean") fail("must be a boolean (checkbox)")
      return
  }
}

/** Checks a complete set of custom field values against a schema version. */
export const checkCustomFields = (
  schema: CompiledSchema | undefined,
  values: Readonly<Record<string, unknown>>
): void => {
  const keys = Object.keys(values)
  if (schema === undefined) {
    if (keys.length > 0)
      throw badRequest(`customFields.${keys[0]} is not allowed: the worktype has no schema`, `customFields.${keys[0]}`)
    return
  }
  for (const key of keys) {
    const rule = schema.fields.get(key)
    if (rule === undefined)
      throw badRequest(`customFields.${key} is not a property of the workitem schema`, `customFields.${key}`)
    checkValue(rule, values[key])
  }
  for (const key of schema.required) {
    if (!(key in values))
      throw badRequest(`customFields.${key} is required by the workitem schema`, `customFields.${key}`)
  }
}
