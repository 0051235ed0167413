/** Task Management: workbins, workitem schemas, worktypes and their statuses (docs/genesys-api.md §2.2–§2.5). */
import { CORE_TYPES, GENESYS_LIMITS } from "@workbridge/catalog"
import { SCHEMA_LIMITS, compileSchema } from "./customFields.js"
import { ApiError, badRequest, conflict, notFound } from "./errors.js"
import { type FieldValue, matches, pageOf, parseFilters, parsePage, parseSort } from "./query.js"
import { type Ctx, type Route, noContent, ok, ref } from "./route.js"
import type {
  SchemaVersion,
  State,
  StatusCategory,
  Workbin,
  WorkitemSchema,
  WorkitemStatus,
  Worktype
} from "./State.js"
import {
  DAY_SECONDS,
  type Json,
  YEAR_SECONDS,
  isUuid,
  onlyKeys,
  optBool,
  optEnum,
  optInt,
  optString,
  optStringArray,
  optUuid,
  reqString,
  requireBody
} from "./validate.js"

export const TM = "/api/v2/taskmanagement"
const NAME = { min: 3, max: 256 }
const DESCRIPTION = { max: 512 }
/** A workitem's priority range (docs/genesys-api.md §2.6), as the catalog records it. */
export const PRIORITY = { min: GENESYS_LIMITS.workitemPriority.minimum, max: GENESYS_LIMITS.workitemPriority.maximum }

// --- lookups ---

export const getWorkbin = (s: State, id: string): Workbin => {
  const w = s.workbins.get(id)
  if (w === undefined) throw notFound("Workbin", id)
  return w
}
export const getWorktype = (s: State, id: string): Worktype => {
  const w = s.worktypes.get(id)
  if (w === undefined) throw notFound("Worktype", id)
  return w
}
const getSchema = (s: State, id: string): WorkitemSchema => {
  const w = s.schemas.get(id)
  if (w === undefined) throw notFound("Workitem schema", id)
  return w
}
export const currentVersion = (schema: WorkitemSchema): SchemaVersion =>
  schema.versions[schema.versions.length - 1] as SchemaVersion
export const schemaVersionOf = (s: State, schemaId: string, version: number | undefined): SchemaVersion | undefined => {
  const schema = s.schemas.get(schemaId)
  if (schema === undefined) return undefined
  return version === undefined ? currentVersion(schema) : schema.versions.find((v) => v.version === version)
}
const getStatus = (s: State, worktypeId: string, statusId: string): WorkitemStatus => {
  const st = s.statuses.get(statusId)
  if (st === undefined || st.worktypeId !== worktypeId) throw notFound("Status", statusId)
  return st
}

// --- JSON views ---

const division = (s: State): Json => ({
  ...s.homeDivision,
  selfUri: `/api/v2/authorization/divisions/${s.homeDivision.id}`
})

export const workbinJson = (s: State, w: Workbin): Json => ({
  id: w.id,
  name: w.name,
  ...(w.description === undefined ? {} : { description: w.description }),
  division: division(s),
  dateCreated: w.dateCreated,
  dateModified: w.dateModified,
  modifiedBy: ref(w.modifiedBy, "/api/v2/oauth/clients"),
  selfUri: `${TM}/workbins/${w.id}`
})

const schemaJson = (id: string, v: SchemaVersion): Json => ({
  id,
  name: v.name,
  ...(v.description === undefined ? {} : { description: v.description }),
  version: v.version,
  appliesTo: v.appliesTo,
  enabled: v.enabled,
  createdBy: ref(v.createdBy, "/api/v2/oauth/clients"),
  dateCreated: v.dateCreated,
  jsonSchema: v.jsonSchema,
  selfUri: `${TM}/workitems/schemas/${id}`
})

export const statusJson = (st: WorkitemStatus): Json => ({
  id: st.id,
  name: st.name,
  category: st.category,
  destinationStatuses: st.destinationStatusIds.map((id) => ref(id, `${TM}/worktypes/${st.worktypeId}/statuses`)),
  ...(st.description === undefined ? {} : { description: st.description }),
  ...(st.defaultDestinationStatusId === undefined
    ? {}
    : { defaultDestinationStatus: ref(st.defaultDestinationStatusId, `${TM}/worktypes/${st.worktypeId}/statuses`) }),
  ...(st.statusTransitionDelaySeconds === undefined
    ? {}
    : { statusTransitionDelaySeconds: st.statusTransitionDelaySeconds }),
  ...(st.statusTransitionTime === undefined ? {} : { statusTransitionTime: st.statusTransitionTime }),
  ...(st.autoTerminateWorkitem === undefined ? {} : { autoTerminateWorkitem: st.autoTerminateWorkitem }),
  worktype: ref(st.worktypeId, `${TM}/worktypes`),
  selfUri: `${TM}/worktypes/${st.worktypeId}/statuses/${st.id}`
})

export const worktypeJson = (s: State, w: Worktype): Json => {
  const out: Json = {
    id: w.id,
    name: w.name,
    ...(w.description === undefined ? {} : { description: w.description }),
    division: division(s),
    dateCreated: w.dateCreated,
    dateModified: w.dateModified,
    defaultWorkbin: ref(w.defaultWorkbinId, `${TM}/workbins`),
    ...(w.defaultStatusId === undefined
      ? {}
      : { defaultStatus: ref(w.defaultStatusId, `${TM}/worktypes/${w.id}/statuses`) }),
    statuses: w.statusIds
      .map((id) => s.statuses.get(id))
      .filter((x) => x !== undefined)
      .map(statusJson),
    modifiedBy: ref(w.modifiedBy, "/api/v2/oauth/clients"),
    assignmentEnabled: false,
    serviceLevelTarget: 100,
    unassignedDivisionContactsEnabled: true,
    selfUri: `${TM}/worktypes/${w.id}`
  }
  for (const [k, v] of Object.entries(w.attrs)) {
    if (k === "defaultQueueId") out["defaultQueue"] = ref(v as string, "/api/v2/routing/queues")
    else if (k === "defaultLanguageId") out["defaultLanguage"] = ref(v as string, "/api/v2/routing/languages")
    else if (k === "defaultScriptId") out["defaultScript"] = ref(v as string, "/api/v2/scripts")
    else if (k === "defaultSkillIds")
      out["defaultSkills"] = (v as Array<string>).map((id) => ref(id, "/api/v2/routing/skills"))
    else out[k] = v
  }
  if (w.schemaId !== undefined) {
    const v = schemaVersionOf(s, w.schemaId, w.schemaVersion)
    out["schema"] = {
      id: w.schemaId,
      ...(v === undefined ? {} : { name: v.name, version: w.schemaVersion ?? v.version }),
      selfUri: `${TM}/workitems/schemas/${w.schemaId}`
    }
  }
  return out
}

// --- shared query helpers ---

const sortBy = <T>(
  items: Array<T>,
  sort: { name: string; ascending: boolean } | undefined,
  get: (t: T, k: string) => FieldValue
): Array<T> => {
  if (sort === undefined) return items
  const dir = sort.ascending ? 1 : -1
  return items.sort((a, b) => {
    const x = get(a, sort.name) ?? ""
    const y = get(b, sort.name) ?? ""
    return x < y ? -dir : x > y ? dir : 0
  })
}

/**
 * The synchronous `POST ${TM}/<path>/query` of workbins and worktypes: the body's keys checked, optional filters over
 * the allowed names (CX as Code lists every workbin and worktype with a query that has no `filters`), a page, an
 * optional sort on dateModified or name, and a page of JSON views.
 */
const queryRoute = <T>(q: {
  readonly path: string
  readonly permission: string
  readonly keys: ReadonlyArray<string>
  readonly model: string
  readonly filters: ReadonlyArray<string>
  readonly all: (s: State) => Iterable<T>
  readonly field: (t: T, k: string) => FieldValue
  readonly json: (s: State, t: T) => Json
}): Route => ({
  method: "POST",
  template: `${TM}/${q.path}/query`,
  permissions: [q.permission],
  handler: (c) => {
    const b = requireBody(c.body)
    onlyKeys(b, q.keys, q.model)
    const filters = parseFilters(b, (n) => q.filters.includes(n), false)
    const page = parsePage(b)
    const sort = parseSort(b, ["dateModified", "name"])
    const hits = [...q.all(c.state)].filter((t) => filters.every((f) => matches(f, q.field(t, f.name))))
    return ok(pageOf(sortBy(hits, sort, q.field), page, b, `${TM}/${q.path}/query`, (t) => q.json(c.state, t)))
  }
})

// --- workbins ---

const WORKBIN_FILTERS = ["id", "name", "description", "divisionId", "dateCreated", "dateModified", "modifiedBy"]
const workbinField = (w: Workbin, k: string): FieldValue =>
  k === "divisionId" ? w.divisionId : k === "modifiedBy" ? w.modifiedBy : ((w as unknown as Json)[k] as FieldValue)

const workbinRoutes: ReadonlyArray<Route> = [
  {
    method: "POST",
    template: `${TM}/workbins`,
    permissions: ["workitems:workbin:add"],
    handler: (c) => {
      const b = requireBody(c.body)
      onlyKeys(b, ["name", "description", "divisionId"], "WorkbinCreate")
      const name = reqString(b, "name", NAME)
      const description = optString(b, "description", DESCRIPTION)
      const divisionId = optString(b, "divisionId")
      if (divisionId !== undefined && divisionId !== c.state.homeDivision.id && divisionId !== "*")
        throw badRequest(`divisionId ${divisionId} is not a division of this organization`, "divisionId")
      const w: Workbin = {
        id: c.state.newId(),
        name,
        ...(description === undefined ? {} : { description }),
        divisionId: c.state.homeDivision.id,
        dateCreated: c.nowIso,
        dateModified: c.nowIso,
        modifiedBy: c.clientId
      }
      c.state.workbins.set(w.id, w)
      return ok(workbinJson(c.state, w))
    }
  },
  queryRoute({
    path: "workbins",
    permission: "workitems:workbin:view",
    keys: ["filters", "pageSize", "after", "sort", "select", "attributes"],
    model: "WorkbinQueryRequest",
    filters: WORKBIN_FILTERS,
    all: (st) => st.workbins.values(),
    field: workbinField,
    json: workbinJson
  }),
  {
    method: "GET",
    template: `${TM}/workbins/{workbinId}`,
    permissions: ["workitems:workbin:view"],
    handler: (c) => ok(workbinJson(c.state, getWorkbin(c.state, c.params["workbinId"] ?? "")))
  },
  {
    method: "PATCH",
    template: `${TM}/workbins/{workbinId}`,
    permissions: ["workitems:workbin:edit"],
    handler: (c) => {
      const w = getWorkbin(c.state, c.params["workbinId"] ?? "")
      const b = requireBody(c.body)
      onlyKeys(b, ["name", "description"], "WorkbinUpdate")
      const name = optString(b, "name", NAME)
      const description = optString(b, "description", DESCRIPTION)
      if (name !== undefined) w.name = name
      if (description !== undefined) w.description = description
      w.dateModified = c.nowIso
      w.modifiedBy = c.clientId
      return ok(workbinJson(c.state, w))
    }
  },
  {
    method: "DELETE",
    template: `${TM}/workbins/{workbinId}`,
    permissions: ["workitems:workbin:delete"],
    handler: (c) => {
      const w = getWorkbin(c.state, c.params["workbinId"] ?? "")
      if (c.state.byWorkbin.get(w.id).size > 0) throw conflict(`Workbin ${w.id} still holds workitems`)
      const user = [...c.state.worktypes.values()].find((t) => t.defaultWorkbinId === w.id)
      if (user !== undefined) throw conflict(`Workbin ${w.id} is the default workbin of worktype ${user.id}`)
      c.state.workbins.delete(w.id)
      return noContent
    }
  }
]

// --- schemas ---

interface SchemaBody {
  name: string
  description?: string
  enabled: boolean
  appliesTo: ReadonlyArray<string>
  jsonSchema: Json
}

const parseSchemaBody = (b: Json): SchemaBody & { version?: number } => {
  onlyKeys(
    b,
    [
      "id",
      "name",
      "description",
      "version",
      "appliesTo",
      "enabled",
      "jsonSchema",
      "createdBy",
      "dateCreated",
      "selfUri"
    ],
    "DataSchema"
  )
  const name = reqString(b, "name", {
    min: SCHEMA_LIMITS.minSchemaNameCharacters,
    max: SCHEMA_LIMITS.maxSchemaNameCharacters
  })
  const description = optString(b, "description", { max: SCHEMA_LIMITS.maxSchemaDescriptionCharacters })
  const enabled = optBool(b, "enabled") ?? true
  const appliesTo = optStringArray(b, "appliesTo") ?? ["WORKITEM"]
  if (appliesTo.some((a) => a !== "WORKITEM")) throw badRequest('appliesTo may only contain "WORKITEM"', "appliesTo")
  const version = optInt(b, "version", { min: 0 })
  const jsonSchema = b["jsonSchema"]
  if (jsonSchema === undefined) throw badRequest("jsonSchema is required", "jsonSchema")
  return {
    name,
    ...(description === undefined ? {} : { description }),
    enabled,
    appliesTo,
    jsonSchema: jsonSchema as Json,
    ...(version === undefined ? {} : { version })
  }
}

const newVersion = (c: Ctx, body: SchemaBody, version: number): SchemaVersion => ({
  version,
  name: body.name,
  ...(body.description === undefined ? {} : { description: body.description }),
  enabled: body.enabled,
  appliesTo: body.appliesTo,
  jsonSchema: structuredClone(body.jsonSchema),
  compiled: compileSchema(body.jsonSchema),
  dateCreated: c.nowIso,
  createdBy: c.clientId
})

const schemaRoutes: ReadonlyArray<Route> = [
  {
    method: "POST",
    template: `${TM}/workitems/schemas`,
    permissions: ["workitems:workitemSchema:add"],
    handler: (c) => {
      const body = parseSchemaBody(requireBody(c.body))
      if (c.state.schemas.size >= SCHEMA_LIMITS.maxNumberOfSchemasPerOrg)
        throw badRequest(`An organization may have at most ${SCHEMA_LIMITS.maxNumberOfSchemasPerOrg} schemas`, "name")
      if ([...c.state.schemas.values()].some((s) => currentVersion(s).name === body.name))
        throw badRequest(`A schema named "${body.name}" already exists`, "name")
      const id = c.state.newId()
      const v = newVersion(c, body, 1)
      c.state.schemas.set(id, { id, versions: [v] })
      return ok(schemaJson(id, v))
    }
  },
  {
    method: "GET",
    template: `${TM}/workitems/schemas`,
    permissions: ["workitems:workitemSchema:view"],
    handler: (c) => {
      const entities = [...c.state.schemas.values()].map((s) => schemaJson(s.id, currentVersion(s)))
      return ok({ entities, total: entities.length, selfUri: `${TM}/workitems/schemas` })
    }
  },
  {
    method: "GET",
    template: `${TM}/workitems/schemas/limits`,
    permissions: ["workitems:workitemSchema:view"],
    handler: () => ok({ ...SCHEMA_LIMITS, selfUri: `${TM}/workitems/schemas/limits` })
  },
  {
    method: "GET",
    template: `${TM}/workitems/schemas/coretypes`,
    permissions: ["workitems:workitemSchema:view"],
    handler: () => {
      const entities = CORE_TYPES.map((name) => ({
        id: name,
        name,
        selfUri: `${TM}/workitems/schemas/coretypes/${name}`
      }))
      return ok({ entities, total: entities.length, selfUri: `${TM}/workitems/schemas/coretypes` })
    }
  },
  {
    method: "GET",
    template: `${TM}/workitems/schemas/{schemaId}`,
    permissions: ["workitems:workitemSchema:view"],
    handler: (c) => {
      const s = getSchema(c.state, c.params["schemaId"] ?? "")
      return ok(schemaJson(s.id, currentVersion(s)))
    }
  },
  {
    method: "PUT",
    template: `${TM}/workitems/schemas/{schemaId}`,
    permissions: ["workitems:workitemSchema:edit"],
    handler: (c) => {
      const s = getSchema(c.state, c.params["schemaId"] ?? "")
      const body = parseSchemaBody(requireBody(c.body))
      const cur = currentVersion(s)
      if (body.version === undefined)
        throw badRequest("version is required: send the current version of the schema", "version")
      if (body.version !== cur.version)
        throw new ApiError(
          409,
          "conflict",
          `The version ${body.version} does not match the current version ${cur.version}`,
          {
            details: [{ errorCode: "version.mismatch", fieldName: "version" }]
          }
        )
      const v = newVersion(c, body, cur.version + 1)
      s.versions.push(v)
      return ok(schemaJson(s.id, v))
    }
  },
  {
    method: "DELETE",
    template: `${TM}/workitems/schemas/{schemaId}`,
    permissions: ["workitems:workitemSchema:delete"],
    handler: (c) => {
      const s = getSchema(c.state, c.params["schemaId"] ?? "")
      const user = [...c.state.worktypes.values()].find((t) => t.schemaId === s.id)
      if (user !== undefined) throw conflict(`Schema ${s.id} is used by worktype ${user.id}`)
      c.state.schemas.delete(s.id)
      return noContent
    }
  },
  {
    method: "GET",
    template: `${TM}/workitems/schemas/{schemaId}/versions`,
    permissions: ["workitems:workitemSchema:view"],
    handler: (c) => {
      const s = getSchema(c.state, c.params["schemaId"] ?? "")
      const entities = s.versions.map((v) => schemaJson(s.id, v)).reverse()
      return ok({ entities, total: entities.length, selfUri: `${TM}/workitems/schemas/${s.id}/versions` })
    }
  },
  {
    method: "GET",
    template: `${TM}/workitems/schemas/{schemaId}/versions/{versionId}`,
    permissions: ["workitems:workitemSchema:view"],
    handler: (c) => {
      const s = getSchema(c.state, c.params["schemaId"] ?? "")
      const vid = c.params["versionId"] ?? ""
      const v = s.versions.find((x) => String(x.version) === vid)
      if (v === undefined) throw notFound("Schema version", vid)
      return ok(schemaJson(s.id, v))
    }
  }
]

// --- worktypes ---

const WORKTYPE_ATTRS = [
  "defaultPriority",
  "defaultDurationSeconds",
  "defaultExpirationSeconds",
  "defaultDueDurationSeconds",
  "defaultTtlSeconds",
  "assignmentEnabled",
  "defaultQueueId",
  "defaultLanguageId",
  "defaultScriptId",
  "defaultSkillIds",
  "serviceLevelTarget",
  "ruleSettings",
  "unassignedDivisionContactsEnabled"
] as const

/** Validates the optional worktype attributes present in `b` and returns them. */
const worktypeAttrs = (b: Json): Json => {
  const out: Json = {}
  const put = (k: string, v: unknown): void => {
    if (v !== undefined) out[k] = v
  }
  put("defaultPriority", optInt(b, "defaultPriority", PRIORITY))
  put("defaultDurationSeconds", optInt(b, "defaultDurationSeconds", { min: 0, max: YEAR_SECONDS }))
  put("defaultExpirationSeconds", optInt(b, "defaultExpirationSeconds", { min: 0, max: YEAR_SECONDS }))
  put("defaultDueDurationSeconds", optInt(b, "defaultDueDurationSeconds", { min: 0, max: YEAR_SECONDS }))
  put("defaultTtlSeconds", optInt(b, "defaultTtlSeconds", { min: DAY_SECONDS, max: YEAR_SECONDS }))
  const assignmentEnabled = optBool(b, "assignmentEnabled")
  put("assignmentEnabled", assignmentEnabled)
  put("defaultQueueId", optUuid(b, "defaultQueueId"))
  put("defaultLanguageId", optUuid(b, "defaultLanguageId"))
  put("defaultScriptId", optUuid(b, "defaultScriptId"))
  const skills = optStringArray(b, "defaultSkillIds", 20)
  if (skills?.some((s) => !isUuid(s)) === true) throw badRequest("defaultSkillIds must hold UUIDs", "defaultSkillIds")
  put("defaultSkillIds", skills)
  put("serviceLevelTarget", optInt(b, "serviceLevelTarget", { min: 0, max: 100 }))
  const rs = b["ruleSettings"]
  if (rs !== undefined && rs !== null) {
    if (typeof rs !== "object" || Array.isArray(rs) || typeof (rs as Json)["flowRulesEnabled"] !== "boolean")
      throw badRequest("ruleSettings must be { flowRulesEnabled: boolean }", "ruleSettings")
    put("ruleSettings", { flowRulesEnabled: (rs as Json)["flowRulesEnabled"] })
  }
  put("unassignedDivisionContactsEnabled", optBool(b, "unassignedDivisionContactsEnabled"))
  return out
}

const checkSchemaRef = (s: State, schemaId: string, version: number | undefined): void => {
  const schema = s.schemas.get(schemaId)
  if (schema === undefined) throw badRequest(`schemaId ${schemaId} does not name an existing schema`, "schemaId")
  const v = schemaVersionOf(s, schemaId, version)
  if (v === undefined)
    throw badRequest(`schemaVersion ${String(version)} does not exist for schema ${schemaId}`, "schemaVersion")
  if (!currentVersion(schema).enabled)
    throw badRequest(`Schema ${schemaId} is disabled and cannot be attached`, "schemaId")
}

const WORKTYPE_FILTERS = [
  "id",
  "name",
  "divisionId",
  "defaultWorkbinId",
  "schemaId",
  "schemaVersion",
  "dateCreated",
  "dateModified",
  ...WORKTYPE_ATTRS,
  "defaultStatusId"
]
const worktypeField = (w: Worktype, k: string): FieldValue => {
  switch (k) {
    case "id":
    case "name":
    case "divisionId":
    case "defaultWorkbinId":
    case "schemaId":
    case "schemaVersion":
    case "dateCreated":
    case "dateModified":
    case "defaultStatusId":
      return w[k]
    default:
      return w.attrs[k] as FieldValue
  }
}

const createDefaultStatuses = (s: State, w: Worktype): void => {
  const open: WorkitemStatus = {
    id: s.newId(),
    worktypeId: w.id,
    name: "Open",
    category: "Open",
    destinationStatusIds: []
  }
  const closed: WorkitemStatus = {
    id: s.newId(),
    worktypeId: w.id,
    name: "Closed",
    category: "Closed",
    destinationStatusIds: []
  }
  for (const st of [open, closed]) {
    s.statuses.set(st.id, st)
    w.statusIds.push(st.id)
  }
  w.defaultStatusId = open.id
}

const worktypeRoutes: ReadonlyArray<Route> = [
  {
    method: "POST",
    template: `${TM}/worktypes`,
    permissions: ["workitems:worktype:add"],
    handler: (c) => {
      const b = requireBody(c.body)
      onlyKeys(
        b,
        [
          "name",
          "description",
          "divisionId",
          "defaultWorkbinId",
          "schemaId",
          "schemaVersion",
          "disableDefaultStatusCreation",
          ...WORKTYPE_ATTRS
        ],
        "WorktypeCreate"
      )
      const name = reqString(b, "name", NAME)
      const description = optString(b, "description", DESCRIPTION)
      const defaultWorkbinId = reqString(b, "defaultWorkbinId")
      if (!c.state.workbins.has(defaultWorkbinId))
        throw badRequest(`defaultWorkbinId ${defaultWorkbinId} does not name an existing workbin`, "defaultWorkbinId")
      const divisionId = optString(b, "divisionId")
      if (divisionId !== undefined && divisionId !== c.state.workbins.get(defaultWorkbinId)?.divisionId)
        throw badRequest("divisionId must match the division of the default workbin", "divisionId")
      const schemaId = optString(b, "schemaId")
      const schemaVersion = optInt(b, "schemaVersion", { min: 1 })
      if (schemaVersion !== undefined && schemaId === undefined)
        throw badRequest("schemaVersion needs schemaId", "schemaVersion")
      if (schemaId !== undefined) checkSchemaRef(c.state, schemaId, schemaVersion)
      const disable = optBool(b, "disableDefaultStatusCreation") ?? false
      const attrs = worktypeAttrs(b)
      if ([...c.state.worktypes.values()].some((t) => t.name === name))
        throw badRequest(`A worktype named "${name}" already exists`, "name")
      const w: Worktype = {
        id: c.state.newId(),
        name,
        ...(description === undefined ? {} : { description }),
        divisionId: c.state.homeDivision.id,
        defaultWorkbinId,
        ...(schemaId === undefined ? {} : { schemaId }),
        ...(schemaVersion === undefined ? {} : { schemaVersion }),
        attrs,
        statusIds: [],
        dateCreated: c.nowIso,
        dateModified: c.nowIso,
        modifiedBy: c.clientId
      }
      if (!disable) createDefaultStatuses(c.state, w)
      c.state.worktypes.set(w.id, w)
      return ok(worktypeJson(c.state, w))
    }
  },
  queryRoute({
    path: "worktypes",
    permission: "workitems:worktype:view",
    keys: ["filters", "pageSize", "after", "sort", "select", "attributes", "expands"],
    model: "WorktypeQueryRequest",
    filters: WORKTYPE_FILTERS,
    all: (st) => st.worktypes.values(),
    field: worktypeField,
    json: worktypeJson
  }),
  {
    method: "GET",
    template: `${TM}/worktypes/{worktypeId}`,
    permissions: ["workitems:worktype:view"],
    handler: (c) => ok(worktypeJson(c.state, getWorktype(c.state, c.params["worktypeId"] ?? "")))
  },
  {
    method: "PATCH",
    template: `${TM}/worktypes/{worktypeId}`,
    permissions: ["workitems:worktype:edit"],
    handler: (c) => {
      const w = getWorktype(c.state, c.params["worktypeId"] ?? "")
      const b = requireBody(c.body)
      onlyKeys(
        b,
        ["name", "description", "defaultWorkbinId", "defaultStatusId", "schemaId", "schemaVersion", ...WORKTYPE_ATTRS],
        "WorktypeUpdate"
      )
      const name = optString(b, "name", NAME)
      const description = optString(b, "description", DESCRIPTION)
      const defaultWorkbinId = optString(b, "defaultWorkbinId")
      if (defaultWorkbinId !== undefined && !c.state.workbins.has(defaultWorkbinId))
        throw badRequest(`defaultWorkbinId ${defaultWorkbinId} does not name an existing workbin`, "defaultWorkbinId")
      const defaultStatusId = optString(b, "defaultStatusId")
      if (defaultStatusId !== undefined && c.state.statuses.get(defaultStatusId)?.worktypeId !== w.id)
        throw badRequest(`defaultStatusId ${defaultStatusId} is not a status of worktype ${w.id}`, "defaultStatusId")
      const schemaId = optString(b, "schemaId")
      if (schemaId !== undefined && w.schemaId !== undefined && schemaId !== w.schemaId)
        throw badRequest("schemaId cannot change once set; only schemaVersion can", "schemaId")
      const schemaVersion = optInt(b, "schemaVersion", { min: 1 })
      const effectiveSchema = schemaId ?? w.schemaId
      if (schemaVersion !== undefined && effectiveSchema === undefined)
        throw badRequest("schemaVersion needs schemaId", "schemaVersion")
      if (effectiveSchema !== undefined && (schemaId !== undefined || schemaVersion !== undefined))
        checkSchemaRef(c.state, effectiveSchema, schemaVersion ?? w.schemaVersion)
      const attrs = worktypeAttrs(b)
      if (name !== undefined && name !== w.name && [...c.state.worktypes.values()].some((t) => t.name === name))
        throw badRequest(`A worktype named "${name}" already exists`, "name")
      // all checks passed: apply
      if (name !== undefined) w.name = name
      if (description !== undefined) w.description = description
      if (defaultWorkbinId !== undefined) w.defaultWorkbinId = defaultWorkbinId
      if (defaultStatusId !== undefined) w.defaultStatusId = defaultStatusId
      if (schemaId !== undefined) w.schemaId = schemaId
      if (schemaVersion !== undefined) w.schemaVersion = schemaVersion
      Object.assign(w.attrs, attrs)
      w.dateModified = c.nowIso
      w.modifiedBy = c.clientId
      return ok(worktypeJson(c.state, w))
    }
  },
  {
    method: "DELETE",
    template: `${TM}/worktypes/{worktypeId}`,
    permissions: ["workitems:worktype:delete"],
    handler: (c) => {
      const w = getWorktype(c.state, c.params["worktypeId"] ?? "")
      const n = c.state.byType.get(w.id).size
      if (n > 0) throw conflict(`Worktype ${w.id} still has ${n} workitem(s); delete them first`)
      for (const id of w.statusIds) c.state.statuses.delete(id)
      c.state.worktypes.delete(w.id)
      return noContent
    }
  }
]

// --- statuses ---

const CATEGORIES: ReadonlyArray<StatusCategory> = ["Open", "InProgress", "Waiting", "Closed"]
/** `HH:mm:ss` (the form CX as Code documents and sends) or `HH:mm:ss.SSS` (the SDK's model text); README, "Task Management". */
const TRANSITION_TIME = /^([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{3})?$/

const statusFields = (c: Ctx, w: Worktype, b: Json, self: string | undefined, category: StatusCategory) => {
  const name = optString(b, "name", NAME)
  const description = optString(b, "description", DESCRIPTION)
  const dest = optStringArray(b, "destinationStatusIds", 24)
  for (const id of dest ?? []) {
    if (id === self) throw badRequest("A status cannot list itself in destinationStatusIds", "destinationStatusIds")
    if (c.state.statuses.get(id)?.worktypeId !== w.id)
      throw badRequest(`destinationStatusIds: ${id} is not a status of worktype ${w.id}`, "destinationStatusIds")
  }
  const defaultDest = optString(b, "defaultDestinationStatusId")
  const delay = optInt(b, "statusTransitionDelaySeconds", { min: 60, max: YEAR_SECONDS })
  if ((defaultDest === undefined) !== (delay === undefined))
    throw badRequest(
      "defaultDestinationStatusId and statusTransitionDelaySeconds must be set together",
      defaultDest === undefined ? "defaultDestinationStatusId" : "statusTransitionDelaySeconds"
    )
  if (defaultDest !== undefined && c.state.statuses.get(defaultDest)?.worktypeId !== w.id)
    throw badRequest(
      `defaultDestinationStatusId ${defaultDest} is not a status of worktype ${w.id}`,
      "defaultDestinationStatusId"
    )
  const time = optString(b, "statusTransitionTime")
  if (time !== undefined && !TRANSITION_TIME.test(time))
    throw badRequest("statusTransitionTime must be HH:mm:ss or HH:mm:ss.SSS", "statusTransitionTime")
  const autoTerminate = optBool(b, "autoTerminateWorkitem")
  if (autoTerminate === true && category !== "Closed")
    throw badRequest("autoTerminateWorkitem is only allowed on a Closed status", "autoTerminateWorkitem")
  if (name !== undefined && w.statusIds.some((id) => id !== self && c.state.statuses.get(id)?.name === name))
    throw badRequest(`Worktype ${w.id} already has a status named "${name}"`, "name")
  return { name, description, dest, defaultDest, delay, time, autoTerminate }
}

const STATUS_KEYS = [
  "name",
  "description",
  "destinationStatusIds",
  "defaultDestinationStatusId",
  "statusTransitionDelaySeconds",
  "statusTransitionTime",
  "autoTerminateWorkitem"
]

const statusRoutes: ReadonlyArray<Route> = [
  {
    method: "POST",
    template: `${TM}/worktypes/{worktypeId}/statuses`,
    permissions: ["workitems:status:add"],
    handler: (c) => {
      const w = getWorktype(c.state, c.params["worktypeId"] ?? "")
      const b = requireBody(c.body)
      onlyKeys(b, ["category", ...STATUS_KEYS], "WorkitemStatusCreate")
      reqString(b, "name", NAME)
      const category = optEnum(b, "category", CATEGORIES)
      if (category === undefined)
        throw badRequest("category is required (Open, InProgress, Waiting, Closed)", "category")
      if (w.statusIds.length >= 50) throw badRequest("A worktype may have at most 50 statuses", "name")
      const f = statusFields(c, w, b, undefined, category)
      const st: WorkitemStatus = {
        id: c.state.newId(),
        worktypeId: w.id,
        name: f.name as string,
        category,
        ...(f.description === undefined ? {} : { description: f.description }),
        destinationStatusIds: f.dest ?? [],
        ...(f.defaultDest === undefined ? {} : { defaultDestinationStatusId: f.defaultDest }),
        ...(f.delay === undefined ? {} : { statusTransitionDelaySeconds: f.delay }),
        ...(f.time === undefined ? {} : { statusTransitionTime: f.time }),
        ...(f.autoTerminate === undefined ? {} : { autoTerminateWorkitem: f.autoTerminate })
      }
      c.state.statuses.set(st.id, st)
      w.statusIds.push(st.id)
      w.dateModified = c.nowIso
      return ok(statusJson(st))
    }
  },
  {
    method: "GET",
    template: `${TM}/worktypes/{worktypeId}/statuses`,
    permissions: ["workitems:status:view"],
    handler: (c) => {
      const w = getWorktype(c.state, c.params["worktypeId"] ?? "")
      const entities = w.statusIds
        .map((id) => c.state.statuses.get(id))
        .filter((x) => x !== undefined)
        .map(statusJson)
      return ok({ entities, total: entities.length, selfUri: `${TM}/worktypes/${w.id}/statuses` })
    }
  },
  {
    method: "GET",
    template: `${TM}/worktypes/{worktypeId}/statuses/{statusId}`,
    permissions: ["workitems:status:view"],
    handler: (c) => ok(statusJson(getStatus(c.state, c.params["worktypeId"] ?? "", c.params["statusId"] ?? "")))
  },
  {
    method: "PATCH",
    template: `${TM}/worktypes/{worktypeId}/statuses/{statusId}`,
    permissions: ["workitems:status:edit"],
    handler: (c) => {
      const w = getWorktype(c.state, c.params["worktypeId"] ?? "")
      const st = getStatus(c.state, w.id, c.params["statusId"] ?? "")
      const b = requireBody(c.body)
      if ("category" in b) throw badRequest("category cannot change after a status is created", "category")
      onlyKeys(b, STATUS_KEYS, "WorkitemStatusUpdate")
      const f = statusFields(c, w, b, st.id, st.category)
      if (f.name !== undefined) st.name = f.name
      if (f.description !== undefined) st.description = f.description
      if (f.dest !== undefined) st.destinationStatusIds = f.dest
      if (f.defaultDest !== undefined) st.defaultDestinationStatusId = f.defaultDest
      if (f.delay !== undefined) st.statusTransitionDelaySeconds = f.delay
      if (f.time !== undefined) st.statusTransitionTime = f.time
      if (f.autoTerminate !== undefined) st.autoTerminateWorkitem = f.autoTerminate
      w.dateModified = c.nowIso
      return ok(statusJson(st))
    }
  },
  {
    method: "DELETE",
    template: `${TM}/worktypes/{worktypeId}/statuses/{statusId}`,
    permissions: ["workitems:status:delete"],
    handler: (c) => {
      const w = getWorktype(c.state, c.params["worktypeId"] ?? "")
      const st = getStatus(c.state, w.id, c.params["statusId"] ?? "")
      if (w.defaultStatusId === st.id) throw conflict(`Status ${st.id} is the default status of worktype ${w.id}`)
      if (c.state.byStatus.get(st.id).size > 0) throw conflict(`Status ${st.id} is the status of existing workitems`)
      const referrer = w.statusIds
        .map((id) => c.state.statuses.get(id))
        .find(
          (o) => o !== undefined && (o.destinationStatusIds.includes(st.id) || o.defaultDestinationStatusId === st.id)
        )
      if (referrer !== undefined) throw conflict(`Status ${st.id} is a destination of status ${referrer.id}`)
      c.state.statuses.delete(st.id)
      w.statusIds = w.statusIds.filter((id) => id !== st.id)
      return noContent
    }
  }
]

export const taskManagementRoutes: ReadonlyArray<Route> = [
  ...workbinRoutes,
  ...schemaRoutes,
  ...worktypeRoutes,
  ...statusRoutes
]
