/**
 * Derivations: what the catalog and a normalized ticket become on the Genesys side — the workitem schema
 * (docs/genesys-api.md §2.3), the JSON Schema of normalized values (Data Action contracts), and the workitem create
 * and minimal update bodies (docs/genesys-api.md §2.6). Pure functions; no I/O.
 */
import { Data } from "effect"
import type { Catalog, CoreType, FieldDecl, WorkitemAttribute } from "./Field.js"
import { customFieldKey, GENESYS_LIMITS } from "./Field.js"
import { maxItemsOf, maxLengthOf, rangeOf, STRING_TYPES } from "./Limits.js"
import type { NormalizedTicket, NormalizedValue } from "./Normalize.js"
import { normalizeFields, truncateText } from "./Normalize.js"

/** Ids the workitem bodies need that only exist once the Genesys side is provisioned. */
export interface WorkitemContext {
  /** The worktype's id. */
  readonly typeId: string
  /** Status name → status id, for the worktype's statuses. */
  readonly statusIds: Readonly<Record<string, string>>
  /** Vocabulary value of the field that sets `skillIds` → routing skill id. Without it, no skills are set. */
  readonly skillIds?: Readonly<Record<string, string>>
}

/** A bad derivation input: the context lacks an id the ticket needs, or the body would be too large. */
export class DerivationError extends Data.TaggedError("DerivationError")<{
  readonly field: string
  readonly problem: string
}> {
  override get message(): string {
    return `${this.field}: ${this.problem}`
  }
}

// --- the Genesys workitem schema ---

/** One property of the Genesys workitem schema (the `allOf/$ref` core-type form). */
export interface SchemaProperty {
  readonly allOf: ReadonlyArray<{ readonly $ref: string }>
  readonly title: string
  readonly description?: string
  readonly minLength?: number
  readonly maxLength?: number
  readonly enum?: ReadonlyArray<string>
  readonly _enumProperties?: Readonly<Record<string, { readonly title: string; readonly _disabled: boolean }>>
  readonly items?: { readonly minLength: number; readonly maxLength: number }
  readonly minItems?: number
  readonly maxItems?: number
  readonly uniqueItems?: boolean
  readonly minimum?: number
  readonly maximum?: number
}

/** The Genesys `DataSchema` create body for the workitem custom fields. */
export interface WorkitemSchemaBody {
  readonly name: string
  readonly version: number
  readonly enabled: true
  readonly appliesTo: ReadonlyArray<"WORKITEM">
  readonly jsonSchema: {
    readonly $schema: "http://json-schema.org/draft-04/schema#"
    readonly title: string
    readonly description: string
    readonly type: "object"
    readonly properties: Readonly<Record<string, SchemaProperty>>
  }
}

/** The fields stored as custom fields, in catalog order. */
export const customFields = (catalog: Catalog): ReadonlyArray<FieldDecl> => catalog.fields.filter((f) => f.custom)

const schemaProperty = (field: FieldDecl): SchemaProperty => {
  const base = {
    allOf: [{ $ref: `#/definitions/${field.type}` }],
    title: field.title,
    ...(field.description === undefined ? {} : { description: field.description })
  }
  if (STRING_TYPES.has(field.type)) {
    return { ...base, minLength: field.limits?.minLength ?? 0, maxLength: maxLengthOf(field) }
  }
  switch (field.type) {
    case "enum": {
      const entries = field.vocabulary ?? []
      return {
        ...base,
        enum: entries.map((e) => e.value),
        _enumProperties: Object.fromEntries(entries.map((e) => [e.value, { title: e.title, _disabled: false }]))
      }
    }
    case "tag":
      return {
        ...base,
        items: { minLength: 1, maxLength: maxLengthOf(field) },
        minItems: field.limits?.minItems ?? 0,
        maxItems: maxItemsOf(field),
        uniqueItems: true
      }
    case "integer":
    case "number":
      return {
        ...base,
        ...(field.limits?.minimum === undefined ? {} : { minimum: field.limits.minimum }),
        ...(field.limits?.maximum === undefined ? {} : { maximum: field.limits.maximum })
      }
    default:
      return base
  }
}

/**
 * The workitem schema Genesys stores for the catalog's custom fields (docs/genesys-api.md §2.3): keys `<key>_<coretype>`,
 * each property in the `allOf: [{$ref: "#/definitions/<coretype>"}]` form with its limits, enums with
 * `_enumProperties`, tags with `items`/`minItems`/`maxItems`/`uniqueItems`. `version` is 1 for a create;
 * a PUT needs the current version instead.
 */
export const toWorkitemSchema = (catalog: Catalog): WorkitemSchemaBody => ({
  name: catalog.schemaName,
  version: 1,
  enabled: true,
  appliesTo: ["WORKITEM"],
  jsonSchema: {
    $schema: "http://json-schema.org/draft-04/schema#",
    title: catalog.schemaName,
    description: catalog.schemaDescription,
    type: "object",
    // No `additionalProperties`: no public example of a workitem schema has it (CX as Code and the blueprints send
    // `$schema`, `title`, `description`, `properties`), so the documented form is kept (docs/genesys-api.md §2.3).
    properties: Object.fromEntries(customFields(catalog).map((f) => [customFieldKey(f), schemaProperty(f)]))
  }
})

// --- JSON Schema of normalized values ---

/** A JSON Schema (draft-07) object, as plain data. */
export type JsonSchema = Readonly<Record<string, unknown>>

const valueSchema = (field: FieldDecl): JsonSchema => {
  const meta = { title: field.title, ...(field.description === undefined ? {} : { description: field.description }) }
  const vocabulary = field.vocabulary?.map((e) => e.value)
  const byType: Record<CoreType, () => JsonSchema> = {
    text: () => ({ type: "string", minLength: 1, maxLength: maxLengthOf(field) }),
    longtext: () => ({ type: "string", minLength: 1, maxLength: maxLengthOf(field) }),
    identifier: () => ({ type: "string", minLength: 1, maxLength: maxLengthOf(field) }),
    url: () => ({ type: "string", format: "uri", minLength: 1, maxLength: maxLengthOf(field) }),
    enum: () => ({ type: "string", enum: vocabulary ?? [] }),
    tag: () => ({
      type: "array",
      items:
        vocabulary === undefined
          ? { type: "string", minLength: 1, maxLength: maxLengthOf(field) }
          : { type: "string", enum: vocabulary },
      minItems: 1,
      maxItems: maxItemsOf(field),
      uniqueItems: true
    }),
    date: () => ({ type: "string", format: "date", pattern: "^\\d{4}-\\d{2}-\\d{2}$" }),
    datetime: () => ({
      type: "string",
      format: "date-time",
      pattern: "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$"
    }),
    integer: () => ({ type: "integer", ...rangeOf(field) }),
    number: () => {
      const { minimum, maximum } = rangeOf(field)
      return {
        type: "number",
        ...(Number.isFinite(minimum) ? { minimum } : {}),
        ...(Number.isFinite(maximum) ? { maximum } : {})
      }
    },
    checkbox: () => ({ type: "boolean" })
  }
  return { ...meta, ...byType[field.type]() }
}

/**
 * The JSON Schema (draft-07) of `NormalizedTicket.values` for a catalog: one property per field key,
 * required fields listed, nothing else allowed. Used for Data Action contracts.
 */
export const toTicketJsonSchema = (catalog: Catalog): JsonSchema => ({
  $schema: "http://json-schema.org/draft-07/schema#",
  title: catalog.schemaName,
  description: catalog.schemaDescription,
  type: "object",
  properties: Object.fromEntries(catalog.fields.map((f) => [f.key, valueSchema(f)])),
  required: catalog.fields.filter((f) => f.required).map((f) => f.key),
  additionalProperties: false
})

// --- workitem bodies ---

/** A custom-field value in a workitem body; `null` clears the field (PATCH only). */
export type CustomFieldValue = string | number | boolean | Array<string> | null

/** A `WorkitemCreate` body (docs/genesys-api.md §2.6), as plain data. */
export interface WorkitemCreateBody {
  name: string
  typeId: string
  description?: string
  priority?: number
  dateDue?: string
  statusId?: string
  externalTag?: string
  skillIds?: Array<string>
  customFields?: Record<string, CustomFieldValue>
}

/** A `WorkitemUpdate` (PATCH) body; `null` clears an attribute. */
export interface WorkitemUpdateBody {
  name?: string
  description?: string | null
  priority?: number
  dateDue?: string | null
  statusId?: string
  externalTag?: string | null
  skillIds?: Array<string>
  customFields?: Record<string, CustomFieldValue>
}

/** The field that sets a workitem attribute, if any. */
export const attributeField = (catalog: Catalog, attribute: WorkitemAttribute): FieldDecl | undefined =>
  catalog.fields.find((f) => f.attribute === attribute)

/** The field holding the ticket's id: the first required `identifier` field (else the first `identifier`). */
export const ticketIdField = (catalog: Catalog): FieldDecl | undefined =>
  catalog.fields.find((f) => f.type === "identifier" && f.required) ??
  catalog.fields.find((f) => f.type === "identifier")

const asText = (value: NormalizedValue | undefined): string | undefined =>
  value === undefined ? undefined : Array.isArray(value) ? value.join(", ") : String(value)

/**
 * The workitem name: the `name` field's value; prefixed with the ticket id when shorter than 3 characters,
 * cut with the marker when longer than 256.
 */
export const workitemName = (catalog: Catalog, ticket: NormalizedTicket): string => {
  const { minLength, maxLength } = GENESYS_LIMITS.workitemName
  const idKey = ticketIdField(catalog)?.key
  const id = idKey === undefined ? undefined : asText(ticket.values[idKey])
  const nameKey = attributeField(catalog, "name")?.key
  let name = (nameKey === undefined ? undefined : asText(ticket.values[nameKey])) ?? ""
  if (name.length < minLength && id !== undefined) name = `${id} ${name}`.trim()
  if (name.length < minLength) name = `Ticket ${name}`.trim()
  return truncateText(name, maxLength).text
}

interface WorkitemState {
  readonly name: string
  readonly description?: string
  readonly priority?: number
  readonly dateDue?: string
  readonly statusId?: string
  readonly externalTag?: string
  readonly skillIds?: ReadonlyArray<string>
  readonly customFields: Readonly<Record<string, NormalizedValue>>
}

const workitemState = (catalog: Catalog, ticket: NormalizedTicket, ctx: WorkitemContext): WorkitemState => {
  const valueFor = (attribute: WorkitemAttribute): readonly [FieldDecl, NormalizedValue] | undefined => {
    const field = attributeField(catalog, attribute)
    const value = field === undefined ? undefined : ticket.values[field.key]
    return field === undefined || value === undefined ? undefined : [field, value]
  }
  const state: {
    -readonly [K in keyof WorkitemState]: WorkitemState[K]
  } = { name: workitemName(catalog, ticket), customFields: {} }

  const description = valueFor("description")
  if (description !== undefined) {
    state.description = truncateText(asText(description[1]) ?? "", GENESYS_LIMITS.workitemDescription.maxLength).text
  }

  const priority = valueFor("priority")
  if (priority !== undefined) {
    const [field, value] = priority
    const n = typeof value === "number" ? value : field.vocabulary?.find((e) => e.value === value)?.priority
    if (n !== undefined) state.priority = n
  }

  const due = valueFor("dateDue")
  if (due !== undefined && typeof due[1] === "string") {
    state.dateDue = due[0].type === "date" ? `${due[1]}T00:00:00.000Z` : due[1]
  }

  const status = valueFor("statusId")
  if (status !== undefined) {
    const [field, value] = status
    const name = typeof value === "string" ? catalog.statusMapping[value] : undefined
    if (name === undefined) {
      throw new DerivationError({
        field: field.key,
        problem: `value ${JSON.stringify(value)} has no entry in statusMapping`
      })
    }
    const id = ctx.statusIds[name]
    if (id === undefined) {
      throw new DerivationError({
        field: field.key,
        problem: `the worktype has no status named ${JSON.stringify(name)}`
      })
    }
    state.statusId = id
  }

  const tag = valueFor("externalTag")
  if (tag !== undefined) state.externalTag = asText(tag[1]) ?? ""

  const skills = valueFor("skillIds")
  if (skills !== undefined && ctx.skillIds !== undefined) {
    const [field, value] = skills
    const ids: Array<string> = []
    for (const v of Array.isArray(value) ? value : [String(value)]) {
      const id = ctx.skillIds[v]
      if (id === undefined) {
        throw new DerivationError({
          field: field.key,
          problem: `no routing skill id is configured for ${JSON.stringify(v)}`
        })
      }
      if (!ids.includes(id)) ids.push(id)
    }
    state.skillIds = ids
  }

  state.customFields = Object.fromEntries(
    customFields(catalog).flatMap((f) => {
      const value = ticket.values[f.key]
      return value === undefined ? [] : [[customFieldKey(f), value] as const]
    })
  )
  return state
}

const copy = (value: NormalizedValue): CustomFieldValue =>
  Array.isArray(value) ? [...value] : (value as string | number | boolean)

/** Throws {@link DerivationError} when a request body would reach Workbridge's 500 KB cap (`GENESYS_LIMITS.requestBodyBytes`). */
export const checkBodySize = <A>(body: A): A => {
  const bytes = new TextEncoder().encode(JSON.stringify(body)).length
  if (bytes >= GENESYS_LIMITS.requestBodyBytes) {
    throw new DerivationError({
      field: "(body)",
      problem: `is ${bytes} bytes, over the ${GENESYS_LIMITS.requestBodyBytes}-byte limit`
    })
  }
  return body
}

const ATTRIBUTES = ["name", "description", "priority", "dateDue", "statusId", "externalTag", "skillIds"] as const

/**
 * The `WorkitemCreate` body of a normalized ticket. Throws {@link DerivationError} when the context lacks the
 * status id (or the configured skill id) the ticket needs, or when the body would reach 500 KB.
 */
export const toWorkitemCreate = (
  catalog: Catalog,
  ticket: NormalizedTicket,
  ctx: WorkitemContext
): WorkitemCreateBody => {
  const state = workitemState(catalog, ticket, ctx)
  const body: WorkitemCreateBody = { name: state.name, typeId: ctx.typeId }
  if (state.description !== undefined) body.description = state.description
  if (state.priority !== undefined) body.priority = state.priority
  if (state.dateDue !== undefined) body.dateDue = state.dateDue
  if (state.statusId !== undefined) body.statusId = state.statusId
  if (state.externalTag !== undefined) body.externalTag = state.externalTag
  if (state.skillIds !== undefined) body.skillIds = [...state.skillIds]
  const custom = Object.entries(state.customFields)
  if (custom.length > 0) body.customFields = Object.fromEntries(custom.map(([k, v]) => [k, copy(v)]))
  return checkBodySize(body)
}

const same = (a: unknown, b: unknown): boolean =>
  Array.isArray(a) && Array.isArray(b) ? a.length === b.length && a.every((x, i) => x === b[i]) : a === b

/**
 * The minimal `WorkitemUpdate` (PATCH) body from `before` to `after`, or `undefined` when nothing changed.
 * - Only attributes whose value changed are sent, and `customFields` holds only the changed keys (Genesys merges
 *   custom fields on PATCH, docs/genesys-api.md §2.6).
 * - A custom field that disappeared is sent as `null`, which clears it; so are `description`, `dateDue` and
 *   `externalTag` when they disappear, and `skillIds` becomes `[]`. `name`, `priority` and `statusId` always
 *   have a value in Genesys, so when their field disappears they are left as they are.
 * - `before === undefined` means the workitem's state is unknown: every attribute and custom field of `after`
 *   is sent (no `null`s; read the workitem with {@link workitemToValues} to clear stale fields).
 */
export const toWorkitemUpdate = (
  catalog: Catalog,
  before: NormalizedTicket | undefined,
  after: NormalizedTicket,
  ctx: WorkitemContext
): WorkitemUpdateBody | undefined => {
  const next = workitemState(catalog, after, ctx)
  const prev: WorkitemState | undefined = before === undefined ? undefined : workitemState(catalog, before, ctx)
  const body: WorkitemUpdateBody = {}
  const patch = body as Record<string, unknown>
  for (const attribute of ATTRIBUTES) {
    const a = next[attribute]
    const b = prev?.[attribute]
    if (prev !== undefined && same(a, b)) continue
    if (a !== undefined) patch[attribute] = Array.isArray(a) ? [...a] : a
    else if (b === undefined) continue
    else if (attribute === "skillIds") patch[attribute] = []
    else if (attribute === "description" || attribute === "dateDue" || attribute === "externalTag")
      patch[attribute] = null
  }
  const custom: Record<string, CustomFieldValue> = {}
  for (const [key, value] of Object.entries(next.customFields)) {
    if (prev === undefined || !same(value, prev.customFields[key])) custom[key] = copy(value)
  }
  for (const key of Object.keys(prev?.customFields ?? {})) {
    if (!(key in next.customFields)) custom[key] = null
  }
  if (Object.keys(custom).length > 0) body.customFields = custom
  return Object.keys(body).length === 0 ? undefined : checkBodySize(body)
}

// --- reading a workitem back ---

/** The parts of a Genesys `Workitem` response that carry ticket values (the SDK's `Workitem` fits). */
export interface WorkitemLike {
  readonly name?: string
  readonly description?: string
  readonly priority?: number
  readonly dateDue?: string
  readonly externalTag?: string
  readonly status?: { readonly id?: string }
  readonly skills?: ReadonlyArray<{ readonly id?: string }>
  readonly customFields?: Readonly<Record<string, unknown>> | null
}

const invert = (record: Readonly<Record<string, string>> | undefined, id: string | undefined): ReadonlyArray<string> =>
  record === undefined || id === undefined ? [] : Object.keys(record).filter((k) => record[k] === id)

/**
 * The normalized `values` a Genesys workitem represents: custom fields by their `<key>_<coretype>` keys, and
 * fields stored only as attributes (name, description, priority, dateDue, externalTag; with `ctx`, also
 * statusId and skillIds) read back from the workitem. A status shared by several vocabulary values reads back
 * as the first of them (in vocabulary order). Values that no longer normalize are left out.
 */
export const workitemToValues = (
  catalog: Catalog,
  workitem: WorkitemLike,
  ctx?: WorkitemContext
): Readonly<Record<string, NormalizedValue>> => {
  const raw: Record<string, unknown> = {}
  const custom = workitem.customFields ?? {}
  for (const field of catalog.fields) {
    if (field.custom) {
      const value = custom[customFieldKey(field)]
      if (value !== undefined && value !== null) raw[field.key] = value
      continue
    }
    switch (field.attribute) {
      case "name":
      case "description":
      case "externalTag":
        raw[field.key] = workitem[field.attribute]
        break
      case "dateDue":
        raw[field.key] = workitem.dateDue
        break
      case "priority": {
        const p = workitem.priority
        raw[field.key] = field.type === "enum" ? field.vocabulary?.find((e) => e.priority === p)?.value : p
        break
      }
      case "statusId": {
        const names = invert(ctx?.statusIds, workitem.status?.id)
        raw[field.key] = field.vocabulary?.find((e) => names.includes(catalog.statusMapping[e.value] ?? ""))?.value
        break
      }
      case "skillIds": {
        const values = (workitem.skills ?? []).flatMap((s) => invert(ctx?.skillIds, s.id))
        raw[field.key] = field.type === "tag" ? values : values[0]
        break
      }
      default:
        break
    }
  }
  return normalizeFields(catalog, raw, { checkRequired: false }).values
}
