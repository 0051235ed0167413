/** The structured `filters[]` queries of Task Management (docs/genesys-api.md §2.2, §2.4, §2.7). */
import { badRequest } from "./errors.js"
import { isObject, type Json } from "./validate.js"

export const OPERATORS = ["EQ", "NEQ", "GT", "LT", "GTE", "LTE", "IN", "CONTAINS", "BETWEEN", "BEGINS_WITH"] as const
export type Operator = (typeof OPERATORS)[number]

export interface Filter {
  readonly name: string
  readonly type: "String" | "Int"
  readonly operator: Operator
  readonly values: ReadonlyArray<string>
}

export type FieldValue = string | number | boolean | ReadonlyArray<string> | undefined

export const MAX_PAGE_SIZE = 200
export const DEFAULT_PAGE_SIZE = 25

/** Parses `filters[]`, checking each name against `isAllowedName`, operators, types and value counts. */
export const parseFilters = (
  body: Json,
  isAllowedName: (name: string) => boolean,
  required: boolean
): ReadonlyArray<Filter> => {
  const raw = body["filters"]
  if (raw === undefined || raw === null) {
    if (required) throw badRequest("filters is required", "filters")
    return []
  }
  if (!Array.isArray(raw)) throw badRequest("filters must be an array", "filters")
  return raw.map((f, i): Filter => {
    const at = `filters[${i}]`
    if (!isObject(f)) throw badRequest(`${at} must be an object`, at)
    const name = f["name"]
    if (typeof name !== "string" || !isAllowedName(name))
      throw badRequest(`${at}.name "${String(name)}" is not a filterable attribute`, `${at}.name`)
    const typeRaw = f["type"]
    if (typeof typeRaw !== "string" || !["string", "int"].includes(typeRaw.toLowerCase()))
      throw badRequest(`${at}.type must be String or Int`, `${at}.type`)
    const opRaw = f["operator"]
    if (typeof opRaw !== "string" || !(OPERATORS as ReadonlyArray<string>).includes(opRaw.toUpperCase()))
      throw badRequest(`${at}.operator must be one of ${OPERATORS.join(", ")}`, `${at}.operator`)
    const operator = opRaw.toUpperCase() as Operator
    const values = f["values"]
    if (!Array.isArray(values) || values.some((v) => typeof v !== "string"))
      throw badRequest(`${at}.values must be an array of strings`, `${at}.values`)
    const expected = operator === "IN" ? undefined : operator === "BETWEEN" ? 2 : 1
    if (expected === undefined ? values.length === 0 : values.length !== expected)
      throw badRequest(
        `${at}.values must hold ${expected === undefined ? "at least one value" : `exactly ${expected} value(s)`} for ${operator}`,
        `${at}.values`
      )
    const type = typeRaw.toLowerCase() === "int" ? "Int" : "String"
    if (type === "Int" && values.some((v) => !/^-?\d+$/.test(v as string)))
      throw badRequest(`${at}.values must be whole numbers for type Int`, `${at}.values`)
    return { name, type, operator, values: values as Array<string> }
  })
}

const cmp = (a: string | number, b: string | number): number => (a < b ? -1 : a > b ? 1 : 0)

/** Whether `value` satisfies the filter. `caseInsensitive` applies to string comparisons (identifier fields). */
export const matches = (filter: Filter, value: FieldValue, caseInsensitive = false): boolean => {
  if (value === undefined) return filter.operator === "NEQ"
  if (Array.isArray(value)) return value.some((v) => matches(filter, v as string, caseInsensitive))
  const norm = (s: string): string | number =>
    filter.type === "Int" ? Number(s) : caseInsensitive ? s.toLowerCase() : s
  const v: string | number =
    typeof value === "boolean" ? String(value) : filter.type === "Int" ? Number(value) : norm(String(value))
  const vals = filter.values.map(norm)
  const first = vals[0] as string | number
  switch (filter.operator) {
    case "EQ":
      return v === first
    case "NEQ":
      return v !== first
    case "GT":
      return cmp(v, first) > 0
    case "LT":
      return cmp(v, first) < 0
    case "GTE":
      return cmp(v, first) >= 0
    case "LTE":
      return cmp(v, first) <= 0
    case "IN":
      return vals.includes(v)
    case "CONTAINS":
      return String(v).includes(String(first))
    case "BEGINS_WITH":
      return String(v).startsWith(String(first))
    case "BETWEEN":
      return cmp(v, first) >= 0 && cmp(v, vals[1] as string | number) <= 0
  }
}

export interface Page {
  /** Position after which the page starts: an offset, or (keyset cursors) the key of the last item returned. */
  readonly cursor: { readonly kind: "offset" | "key"; readonly value: number } | undefined
  readonly pageSize: number
}

/** Reads `pageSize` (1..200) and the opaque `after` cursor. */
export const parsePage = (body: Json): Page => {
  const ps = body["pageSize"]
  let pageSize = DEFAULT_PAGE_SIZE
  if (ps !== undefined && ps !== null) {
    if (typeof ps !== "number" || !Number.isInteger(ps) || ps < 1 || ps > MAX_PAGE_SIZE)
      throw badRequest(`pageSize must be a whole number in 1..${MAX_PAGE_SIZE} (got ${String(ps)})`, "pageSize")
    pageSize = ps
  }
  const after = body["after"]
  if (after === undefined || after === null || after === "") return { cursor: undefined, pageSize }
  const decoded =
    typeof after === "string" ? /^([ok])(\d+)$/.exec(Buffer.from(after, "base64url").toString("utf8")) : null
  if (decoded === null) throw badRequest("after is not a cursor returned by this query", "after")
  return { cursor: { kind: decoded[1] === "k" ? "key" : "offset", value: Number(decoded[2]) }, pageSize }
}

const cursor = (kind: "o" | "k", value: number): string => Buffer.from(`${kind}${value}`, "utf8").toString("base64url")

/**
 * One page of a listing in the `…QueryEntityListing` shape. With `keyOf` (items in ascending key order) the cursor is
 * the last key returned, so items created or deleted between pages neither repeat nor vanish from later pages.
 */
export const pageOf = <T>(
  items: ReadonlyArray<T>,
  page: Page,
  body: Json,
  selfUri: string,
  view: (t: T) => Json,
  keyOf?: (t: T) => number
): Json => {
  if (body["select"] === "Count") return { entities: [], count: items.length, selfUri }
  if (body["select"] !== undefined && body["select"] !== null) throw badRequest('select may only be "Count"', "select")
  if (page.cursor !== undefined && (page.cursor.kind === "key") !== (keyOf !== undefined))
    throw badRequest("after is not a cursor returned by this query", "after")
  let start = 0
  if (page.cursor !== undefined) {
    const c = page.cursor.value
    if (keyOf === undefined) start = c
    else {
      let lo = 0
      let hi = items.length
      while (lo < hi) {
        const mid = (lo + hi) >>> 1
        if (keyOf(items[mid] as T) <= c) lo = mid + 1
        else hi = mid
      }
      start = lo
    }
  }
  const raw = items.slice(start, start + page.pageSize)
  const result: Json = { entities: raw.map(view), count: raw.length, selfUri }
  if (start + raw.length < items.length) {
    const last = raw[raw.length - 1] as T
    result["after"] = keyOf === undefined ? cursor("o", start + raw.length) : cursor("k", keyOf(last))
    result["nextUri"] = selfUri
  }
  return result
}

/** Parses `sort {name, ascending}` against the allowed names. */
export const parseSort = (
  body: Json,
  allowed: ReadonlyArray<string>
): { name: string; ascending: boolean } | undefined => {
  const s = body["sort"]
  if (s === undefined || s === null) return undefined
  if (!isObject(s) || typeof s["name"] !== "string" || !allowed.includes(s["name"]))
    throw badRequest(`sort.name must be one of ${allowed.join(", ")}`, "sort.name")
  const asc = s["ascending"]
  if (asc !== undefined && typeof asc !== "boolean")
    throw badRequest("sort.ascending must be a boolean", "sort.ascending")
  return { name: s["name"], ascending: asc !== false }
}
