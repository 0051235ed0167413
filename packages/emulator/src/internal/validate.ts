/** Small, explicit body validators: each failure is a 400 naming the field. */
import { badRequest } from "./errors.js"

export type Json = Record<string, unknown>

export const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v)

export const requireBody = (body: unknown): Json => {
  if (!isObject(body)) throw badRequest("The request body must be a JSON object", "body")
  return body
}

/** Rejects properties the endpoint's request model does not have. */
export const onlyKeys = (body: Json, allowed: ReadonlyArray<string>, model: string): void => {
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) throw badRequest(`Unrecognized field "${key}" in ${model}`, key)
  }
}

export const optString = (
  body: Json,
  field: string,
  limits: { min?: number; max?: number } = {}
): string | undefined => {
  const v = body[field]
  if (v === undefined || v === null) return undefined
  if (typeof v !== "string") throw badRequest(`${field} must be a string`, field)
  if (limits.min !== undefined && v.length < limits.min)
    throw badRequest(`${field} must be at least ${limits.min} characters (got ${v.length})`, field)
  if (limits.max !== undefined && v.length > limits.max)
    throw badRequest(`${field} must be at most ${limits.max} characters (got ${v.length})`, field)
  return v
}

export const reqString = (body: Json, field: string, limits: { min?: number; max?: number } = {}): string => {
  const v = optString(body, field, limits)
  if (v === undefined) throw badRequest(`${field} is required`, field)
  return v
}

export const optInt = (body: Json, field: string, limits: { min?: number; max?: number } = {}): number | undefined => {
  const v = body[field]
  if (v === undefined || v === null) return undefined
  if (typeof v !== "number" || !Number.isInteger(v)) throw badRequest(`${field} must be an integer`, field)
  if (limits.min !== undefined && v < limits.min)
    throw badRequest(`${field} must be >= ${limits.min} (got ${v})`, field)
  if (limits.max !== undefined && v > limits.max)
    throw badRequest(`${field} must be <= ${limits.max} (got ${v})`, field)
  return v
}

export const optBool = (body: Json, field: string): boolean | undefined => {
  const v = body[field]
  if (v === undefined || v === null) return undefined
  if (typeof v !== "boolean") throw badRequest(`${field} must be a boolean`, field)
  return v
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export const isUuid = (v: string): boolean => UUID.test(v)

export const optUuid = (body: Json, field: string): string | undefined => {
  const v = optString(body, field)
  if (v !== undefined && !isUuid(v)) throw badRequest(`${field} must be a UUID`, field)
  return v
}

export const optStringArray = (body: Json, field: string, max?: number): ReadonlyArray<string> | undefined => {
  const v = body[field]
  if (v === undefined || v === null) return undefined
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string"))
    throw badRequest(`${field} must be an array of strings`, field)
  if (max !== undefined && v.length > max)
    throw badRequest(`${field} may hold at most ${max} entries (got ${v.length})`, field)
  return v as ReadonlyArray<string>
}

export const optEnum = <T extends string>(body: Json, field: string, values: ReadonlyArray<T>): T | undefined => {
  const v = optString(body, field)
  if (v === undefined) return undefined
  if (!(values as ReadonlyArray<string>).includes(v))
    throw badRequest(`${field} must be one of ${values.join(", ")} (got "${v}")`, field)
  return v as T
}

/** ISO-8601 instant `yyyy-MM-ddTHH:mm:ss[.SSS]Z`. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/

export const isIsoInstant = (v: string): boolean => ISO_INSTANT.test(v) && !Number.isNaN(Date.parse(v))

export const optInstant = (body: Json, field: string): string | undefined => {
  const v = optString(body, field)
  if (v !== undefined && !isIsoInstant(v))
    throw badRequest(`${field} must be an ISO-8601 instant yyyy-MM-ddTHH:mm:ss[.SSS]Z (got "${v}")`, field)
  return v
}

export const DAY_SECONDS = 86_400
export const YEAR_SECONDS = 365 * DAY_SECONDS
