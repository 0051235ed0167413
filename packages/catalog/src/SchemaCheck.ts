/**
 * Checks of the Genesys workitem-schema form (docs/genesys-api.md §2.3) and of custom-field values against such a
 * schema: what a Genesys-side schema must look like, and what a workitem's `customFields` may hold.
 * Each function returns the list of problems (empty when valid), each naming the offending property.
 */
import { CORE_TYPES, GENESYS_LIMITS } from "./Field.js"
import type { CoreType } from "./Field.js"

type Json = Readonly<Record<string, unknown>>
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v)
const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v)
const KEY = new RegExp(`^[a-z][a-z0-9_]*_(${CORE_TYPES.join("|")})$`, "u")
const STRING_MAX: Partial<Record<CoreType, number>> = {
  text: GENESYS_LIMITS.text.maxLength,
  longtext: GENESYS_LIMITS.longtext.maxLength,
  url: GENESYS_LIMITS.url.maxLength,
  identifier: GENESYS_LIMITS.identifier.maxLength
}

/** The core type a property key names (`<name>_<coretype>`), if the key has that form. */
export const coreTypeOfKey = (key: string): CoreType | undefined => KEY.exec(key)?.[1] as CoreType | undefined

const checkProperty = (key: string, prop: unknown): ReadonlyArray<string> => {
  const at = (problem: string) => `properties.${key}: ${problem}`
  const type = coreTypeOfKey(key)
  if (type === undefined) return [at(`key must be <name>_<coretype> with a core type (${CORE_TYPES.join(", ")})`)]
  if (!isObject(prop)) return [at("must be an object")]
  const problems: Array<string> = []
  const allOf = prop["allOf"]
  if (
    !Array.isArray(allOf) ||
    allOf.length !== 1 ||
    !isObject(allOf[0]) ||
    allOf[0]["$ref"] !== `#/definitions/${type}`
  ) {
    problems.push(at(`allOf must be [{ "$ref": "#/definitions/${type}" }]`))
  }
  if (typeof prop["title"] !== "string" || prop["title"].length === 0)
    problems.push(at("title must be a non-empty string"))
  const max = STRING_MAX[type]
  if (max !== undefined) {
    const maxLength = prop["maxLength"]
    const minLength = prop["minLength"] ?? 0
    if (!isInt(maxLength) || maxLength < 1 || maxLength > max)
      problems.push(at(`maxLength must be an integer 1–${max}`))
    if (!isInt(minLength) || minLength < 0 || (isInt(maxLength) && minLength > maxLength)) {
      problems.push(at("minLength must be an integer from 0 to maxLength"))
    }
  }
  if (type === "enum") {
    const values = prop["enum"]
    const { maxOptions, maxLength } = GENESYS_LIMITS.enum
    if (!Array.isArray(values) || values.length === 0 || values.length > maxOptions) {
      problems.push(at(`enum must list 1–${maxOptions} options`))
    } else {
      if (!values.every((v) => typeof v === "string" && v.length >= 1 && v.length <= maxLength)) {
        problems.push(at(`enum options must be strings of 1–${maxLength} characters`))
      }
      if (new Set(values).size !== values.length) problems.push(at("enum options must be unique"))
      const props = prop["_enumProperties"]
      if (
        !isObject(props) ||
        Object.keys(props).length !== values.length ||
        !values.every((v) => typeof v === "string" && isObject(props[v]) && typeof props[v]["title"] === "string")
      ) {
        problems.push(at("_enumProperties must give a title for each enum option, and nothing else"))
      }
    }
  }
  if (type === "tag") {
    const items = prop["items"]
    const { maxItems, maxLength } = GENESYS_LIMITS.tag
    if (!isObject(items) || !isInt(items["maxLength"]) || items["maxLength"] > maxLength) {
      problems.push(at(`items.maxLength must be an integer ≤ ${maxLength}`))
    }
    if (!isInt(prop["maxItems"]) || prop["maxItems"] > maxItems)
      problems.push(at(`maxItems must be an integer ≤ ${maxItems}`))
    if (prop["uniqueItems"] !== true) problems.push(at("uniqueItems must be true"))
  }
  return problems
}

/** Problems with a workitem `DataSchema` body (empty when it has the docs/genesys-api.md §2.3 form and limits). */
export const checkWorkitemSchema = (body: unknown): ReadonlyArray<string> => {
  if (!isObject(body)) return ["(body): must be an object"]
  const problems: Array<string> = []
  if (typeof body["name"] !== "string" || body["name"].length === 0) problems.push("name: must be a non-empty string")
  const appliesTo = body["appliesTo"]
  if (!Array.isArray(appliesTo) || !appliesTo.includes("WORKITEM")) problems.push('appliesTo: must include "WORKITEM"')
  const schema = body["jsonSchema"]
  if (!isObject(schema)) return [...problems, "jsonSchema: must be an object"]
  if (schema["$schema"] !== "http://json-schema.org/draft-04/schema#") {
    problems.push('jsonSchema.$schema: must be "http://json-schema.org/draft-04/schema#"')
  }
  if (schema["type"] !== "object") problems.push('jsonSchema.type: must be "object"')
  const properties = schema["properties"]
  if (!isObject(properties)) return [...problems, "jsonSchema.properties: must be an object"]
  const keys = Object.keys(properties)
  if (keys.length > GENESYS_LIMITS.fieldsPerSchema) {
    problems.push(`jsonSchema.properties: has ${keys.length} attributes, more than ${GENESYS_LIMITS.fieldsPerSchema}`)
  }
  for (const key of keys) problems.push(...checkProperty(key, properties[key]).map((p) => `jsonSchema.${p}`))
  return problems
}

const DATE = /^\d{4}-\d{2}-\d{2}$/u
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z$/u

/**
 * Problems with a workitem's `customFields` against a schema's `properties` (as produced by
 * {@link checkWorkitemSchema}-valid schemas): unknown keys, wrong value types, lengths, enum options, ranges.
 * `null` is accepted (it clears the field on PATCH).
 */
export const checkCustomFields = (
  properties: Readonly<Record<string, unknown>>,
  values: unknown
): ReadonlyArray<string> => {
  if (!isObject(values)) return ["customFields: must be an object"]
  const problems: Array<string> = []
  for (const [key, value] of Object.entries(values)) {
    const at = (problem: string) => `customFields.${key}: ${problem}`
    const prop = properties[key]
    const type = coreTypeOfKey(key)
    if (!isObject(prop) || type === undefined) {
      problems.push(at("is not a property of the schema"))
      continue
    }
    if (value === null) continue
    const maxLength = isInt(prop["maxLength"]) ? prop["maxLength"] : (STRING_MAX[type] ?? Infinity)
    const minLength = isInt(prop["minLength"]) ? prop["minLength"] : 0
    switch (type) {
      case "text":
      case "longtext":
      case "url":
      case "identifier":
        if (typeof value !== "string") problems.push(at("must be a string"))
        else if (value.length > maxLength || value.length < minLength) {
          problems.push(at(`must be ${minLength}–${maxLength} characters long`))
        }
        break
      case "enum": {
        const options = Array.isArray(prop["enum"]) ? prop["enum"] : []
        if (typeof value !== "string" || !options.includes(value)) problems.push(at("must be one of the enum options"))
        break
      }
      case "tag": {
        const items = isObject(prop["items"]) ? prop["items"] : {}
        const itemMax = isInt(items["maxLength"]) ? items["maxLength"] : GENESYS_LIMITS.tag.maxLength
        const maxItems = isInt(prop["maxItems"]) ? prop["maxItems"] : GENESYS_LIMITS.tag.maxItems
        if (
          !Array.isArray(value) ||
          !value.every((v) => typeof v === "string" && v.length >= 1 && v.length <= itemMax)
        ) {
          problems.push(at(`must be a list of strings of 1–${itemMax} characters`))
        } else if (value.length > maxItems) problems.push(at(`must have at most ${maxItems} items`))
        else if (new Set(value).size !== value.length) problems.push(at("must not repeat an item"))
        break
      }
      case "date":
        if (typeof value !== "string" || !DATE.test(value)) problems.push(at("must be a date YYYY-MM-DD"))
        break
      case "datetime":
        if (typeof value !== "string" || !DATETIME.test(value))
          problems.push(at("must be a date-time YYYY-MM-DDTHH:mm:ss.sssZ"))
        break
      case "integer":
      case "number": {
        const ok = type === "integer" ? isInt(value) : typeof value === "number" && Number.isFinite(value)
        if (!ok || typeof value !== "number")
          problems.push(at(`must be ${type === "integer" ? "a whole number" : "a number"}`))
        else if (typeof prop["minimum"] === "number" && value < prop["minimum"])
          problems.push(at(`must be ≥ ${prop["minimum"]}`))
        else if (typeof prop["maximum"] === "number" && value > prop["maximum"])
          problems.push(at(`must be ≤ ${prop["maximum"]}`))
        break
      }
      case "checkbox":
        if (typeof value !== "boolean") problems.push(at("must be true or false"))
        break
    }
  }
  return problems
}
