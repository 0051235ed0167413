/** Workitems: create, get, patch, delete and the synchronous query (docs/genesys-api.md §2.6, §2.7, §2.11). */
import { GENESYS_LIMITS } from "@workbridge/catalog"
import { checkCustomFields } from "./customFields.js"
import { ApiError, badRequest, notFound } from "./errors.js"
import { beforeUpdate, raiseWorkitemEvent } from "./events.js"
import { type Filter, type FieldValue, matches, pageOf, parseFilters, parsePage, parseSort } from "./query.js"
import { type Ctx, type Route, noContent, ok, ref } from "./route.js"
import { type State, type Window, type Workitem, customFieldIndexKey } from "./State.js"
import { PRIORITY, TM, schemaVersionOf, statusJson } from "./taskmanagement.js"
import {
  type Json,
  YEAR_SECONDS,
  isObject,
  isUuid,
  onlyKeys,
  optBool,
  optInstant,
  optInt,
  optString,
  optStringArray,
  optUuid,
  reqString,
  requireBody
} from "./validate.js"

/** A workitem's name and description lengths (docs/genesys-api.md §2.6), as the catalog records them. */
const WORKITEM_NAME = { min: GENESYS_LIMITS.workitemName.minLength, max: GENESYS_LIMITS.workitemName.maxLength }
const WORKITEM_DESCRIPTION = { max: GENESYS_LIMITS.workitemDescription.maxLength }

const ASSIGNMENT_STATES = [
  "Unknown",
  "AcdStarted",
  "Alerting",
  "AlertTimeout",
  "AcdCancelled",
  "Terminated",
  "Idle",
  "Declined",
  "Connected",
  "Disconnected",
  "Parked",
  "Held",
  "AcdExpired"
]

const COMMON_KEYS = [
  "name",
  "description",
  "languageId",
  "utilizationLabelId",
  "priority",
  "dateDue",
  "dateExpires",
  "durationSeconds",
  "ttl",
  "statusId",
  "workbinId",
  "assigneeId",
  "externalContactId",
  "externalTag",
  "queueId",
  "skillIds",
  "scriptId",
  "preferredAgentIds",
  "autoStatusTransition",
  "customFields",
  "scoredAgents"
]
const CREATE_KEYS = [...COMMON_KEYS, "typeId", "wrapupCode"]
const UPDATE_KEYS = [...COMMON_KEYS, "dateClosed", "assignmentState", "assignmentOperation"]
/**
 * `WorkitemCommonCreate`, the entity of a bulk add job (SDK `index.d.ts`): the create model without wrap-up code,
 * utilization label, scored and preferred agents (docs/genesys-api.md §2.12).
 */
export const BULK_CREATE_KEYS = CREATE_KEYS.filter(
  (k) => !["wrapupCode", "utilizationLabelId", "scoredAgents", "preferredAgentIds"].includes(k)
)

/** Validates the optional attributes common to create and update; returns those present (null = cleared). */
const attributes = (c: Ctx, b: Json, update: boolean): Json => {
  const out: Json = {}
  const put = (k: string, v: unknown): void => {
    if (v !== undefined) out[k] = v
    else if (update && b[k] === null) out[k] = null
  }
  put("description", optString(b, "description", WORKITEM_DESCRIPTION))
  for (const k of ["languageId", "utilizationLabelId", "assigneeId", "externalContactId", "queueId", "scriptId"])
    put(k, optUuid(b, k))
  const horizon = c.now + YEAR_SECONDS * 1000
  for (const k of ["dateDue", "dateExpires"]) {
    const v = optInstant(b, k)
    if (v !== undefined && Date.parse(v) > horizon) throw badRequest(`${k} must be at most 365 days ahead`, k)
    put(k, v)
  }
  put("durationSeconds", optInt(b, "durationSeconds", { min: 0, max: YEAR_SECONDS }))
  const ttl = optInt(b, "ttl", { min: 0 })
  if (ttl !== undefined && (ttl * 1000 <= c.now || ttl * 1000 > horizon))
    throw badRequest("ttl must be epoch seconds in the future, at most 365 days ahead", "ttl")
  put("ttl", ttl)
  put("externalTag", optString(b, "externalTag"))
  for (const k of ["skillIds", "preferredAgentIds"]) {
    const v = optStringArray(b, k, 20)
    if (v?.some((x) => !isUuid(x)) === true) throw badRequest(`${k} must hold UUIDs`, k)
    put(k, v)
  }
  const scored = b["scoredAgents"]
  if (scored !== undefined && scored !== null) {
    if (
      !Array.isArray(scored) ||
      scored.length > 20 ||
      scored.some((s) => !isObject(s) || typeof s["agentId"] !== "string" || typeof s["score"] !== "number")
    )
      throw badRequest("scoredAgents must be at most 20 entries of {agentId, score}", "scoredAgents")
    put("scoredAgents", scored)
  }
  return out
}

const checkRequiredNotNull = (b: Json, keys: ReadonlyArray<string>): void => {
  for (const k of keys) if (b[k] === null) throw badRequest(`${k} cannot be null`, k)
}

// --- throttles (docs/genesys-api.md §2.11) ---

const MINUTE = 60_000
const DAY = 86_400_000

const tooMany = (message: string, retryAfterSeconds: number, key: string, value: number): ApiError =>
  new ApiError(429, "too.many.requests", message, {
    headers: { "Retry-After": String(Math.max(1, Math.ceil(retryAfterSeconds))) },
    limit: { key, namespace: "task.management", value }
  })

const daily = (w: Window, now: number): Window => {
  const start = Math.floor(now / DAY) * DAY
  if (w.start !== start) {
    w.start = start
    w.count = 0
  }
  return w
}

const checkDaily = (w: Window, now: number, limit: number, key: string, what: string): void => {
  daily(w, now)
  if (w.count >= limit)
    throw tooMany(
      `The daily limit of ${limit} workitem ${what} has been reached`,
      (w.start + DAY - now) / 1000,
      key,
      limit
    )
}

const perWorkitem = (s: State, id: string, now: number, limit: number): Window => {
  let w = s.workitemWindows.get(id)
  if (w === undefined || now - w.start >= MINUTE) s.workitemWindows.set(id, (w = { start: now, count: 0 }))
  if (w.count >= limit)
    throw tooMany(
      `Workitem ${id} was updated ${limit} times in the last minute`,
      (w.start + MINUTE - now) / 1000,
      "workitem.updates.per.minute",
      limit
    )
  return w
}

// --- views ---

export const workitemJson = (s: State, w: Workitem, expands: ReadonlySet<string> = new Set()): Json => {
  const type = s.worktypes.get(w.typeId)
  const status = s.statuses.get(w.statusId)
  const schema = w.schemaId === undefined ? undefined : schemaVersionOf(s, w.schemaId, w.schemaVersion)
  const out: Json = {
    id: w.id,
    name: w.name,
    division: { ...s.homeDivision, selfUri: `/api/v2/authorization/divisions/${s.homeDivision.id}` },
    type:
      expands.has("type") && type !== undefined
        ? { id: type.id, name: type.name, selfUri: `${TM}/worktypes/${type.id}` }
        : ref(w.typeId, `${TM}/worktypes`),
    priority: w.priority,
    dateCreated: w.dateCreated,
    dateModified: w.dateModified,
    status:
      expands.has("status") && status !== undefined
        ? statusJson(status)
        : ref(w.statusId, `${TM}/worktypes/${w.typeId}/statuses`, status?.name),
    statusCategory: w.statusCategory,
    dateStatusChanged: w.dateStatusChanged,
    ...(w.dateClosed === undefined ? {} : { dateClosed: w.dateClosed }),
    workbin: ref(w.workbinId, `${TM}/workbins`),
    reporter: ref(w.reporterId, "/api/v2/oauth/clients"),
    modifiedBy: ref(w.modifiedBy, "/api/v2/oauth/clients"),
    autoStatusTransition: w.autoStatusTransition,
    customFields: { ...w.customFields },
    selfUri: `${TM}/workitems/${w.id}`
  }
  for (const [k, v] of Object.entries(w.attrs)) {
    if (k === "queueId") out["queue"] = ref(v as string, "/api/v2/routing/queues")
    else if (k === "assigneeId") out["assignee"] = ref(v as string, "/api/v2/users")
    else if (k === "languageId") out["language"] = ref(v as string, "/api/v2/routing/languages")
    else if (k === "externalContactId") out["externalContact"] = ref(v as string, "/api/v2/externalcontacts/contacts")
    else if (k === "scriptId") out["script"] = ref(v as string, "/api/v2/scripts")
    else if (k === "utilizationLabelId")
      out["utilizationLabel"] = ref(v as string, "/api/v2/routing/utilization/labels")
    else if (k === "skillIds") out["skills"] = (v as Array<string>).map((id) => ref(id, "/api/v2/routing/skills"))
    else if (k === "preferredAgentIds")
      out["preferredAgents"] = (v as Array<string>).map((id) => ref(id, "/api/v2/users"))
    else out[k] = v
  }
  if (w.schemaId !== undefined)
    out["schema"] = {
      id: w.schemaId,
      ...(schema === undefined ? {} : { name: schema.name }),
      version: w.schemaVersion,
      selfUri: `${TM}/workitems/schemas/${w.schemaId}`
    }
  return out
}

const getWorkitem = (s: State, id: string): Workitem => {
  const w = s.workitems.get(id)
  if (w === undefined) throw notFound("Workitem", id)
  return w
}

const customFieldsBody = (b: Json): Record<string, unknown> | undefined => {
  const cf = b["customFields"]
  if (cf === undefined) return undefined
  if (cf === null) throw badRequest("customFields cannot be null; send {} to clear all custom fields", "customFields")
  if (!isObject(cf)) throw badRequest("customFields must be an object keyed by schema property name", "customFields")
  return cf
}

// --- query ---

const ANCHORS = ["typeId", "workbinId", "queueId", "assigneeId"]
const QUERY_NAMES = new Set([
  "workbinId",
  "typeId",
  "assigneeId",
  "id",
  "name",
  "description",
  "languageId",
  "priority",
  "dateCreated",
  "dateModified",
  "dateDue",
  "dateExpires",
  "durationInSeconds",
  "ttl",
  "statusId",
  "statusCategory",
  "dateClosed",
  "externalContactId",
  "reporterId",
  "queueId",
  "externalTag",
  "modifiedBy",
  "assignmentState",
  "divisionId"
])
export const MAX_FILTERS = 3

const fieldOf = (w: Workitem, name: string): FieldValue => {
  if (name.startsWith("customFields.")) return w.customFields[name.slice(13)] as FieldValue
  switch (name) {
    case "id":
    case "name":
    case "typeId":
    case "workbinId":
    case "statusId":
    case "statusCategory":
    case "priority":
    case "dateCreated":
    case "dateModified":
    case "dateClosed":
    case "divisionId":
    case "modifiedBy":
    case "reporterId":
      return w[name]
    case "durationInSeconds":
      return w.attrs["durationSeconds"] as FieldValue
    default:
      return w.attrs[name] as FieldValue
  }
}

/** The candidate ids for a query: the smallest index hit among the anchor and the indexed filters. */
const candidates = (s: State, filters: ReadonlyArray<Filter>, typeId: string | undefined): ReadonlyArray<Workitem> => {
  let best: ReadonlySet<string> | undefined
  const consider = (set: ReadonlySet<string>): void => {
    if (best === undefined || set.size < best.size) best = set
  }
  for (const f of filters) {
    if (f.operator !== "EQ") continue
    const v = f.values[0] as string
    if (f.name === "typeId") consider(s.byType.get(v))
    else if (f.name === "workbinId") consider(s.byWorkbin.get(v))
    else if (f.name === "queueId") consider(s.byQueue.get(v))
    else if (f.name === "assigneeId") consider(s.byAssignee.get(v))
    else if (f.name === "statusId") consider(s.byStatus.get(v))
    else if (typeId !== undefined && f.name === "externalTag") consider(s.byExternalTag.get(`${typeId}\u0000${v}`))
    else if (typeId !== undefined && f.name.startsWith("customFields.")) {
      const key = customFieldIndexKey(typeId, f.name.slice(13), v)
      if (key !== undefined) consider(s.byCustomField.get(key))
    }
  }
  const ids = [...(best ?? [])]
  return ids
    .map((id) => s.workitems.get(id))
    .filter((w): w is Workitem => w !== undefined)
    .sort((a, b) => a.seq - b.seq)
}

const queryRoute: Route = {
  method: "POST",
  template: `${TM}/workitems/query`,
  permissions: ["workitems:workitem:view"],
  handler: (c) => {
    const b = requireBody(c.body)
    onlyKeys(b, ["filters", "pageSize", "after", "sort", "select", "attributes", "expands"], "WorkitemQueryPostRequest")
    const filters = parseFilters(b, (n) => QUERY_NAMES.has(n) || /^customFields\.[A-Za-z0-9_]+$/.test(n), true)
    if (filters.length === 0) throw badRequest("filters must hold at least one filter", "filters")
    if (filters.length > MAX_FILTERS)
      throw badRequest(`A query may have at most ${MAX_FILTERS} filters (got ${filters.length})`, "filters")
    const anchor = filters.find((f) => f.operator === "EQ" && ANCHORS.includes(f.name))
    if (anchor === undefined)
      throw badRequest("The query needs one EQ filter on typeId, workbinId, queueId or assigneeId", "filters")
    const sort = parseSort(b, ["dateDue", "priority"])
    if (sort !== undefined) {
      const onSort = filters.filter((f) => f.name === sort.name)
      if (onSort.length > 1 || onSort.some((f) => ["NEQ", "IN", "CONTAINS"].includes(f.operator)))
        throw badRequest(
          `The sort attribute ${sort.name} may appear in one filter using EQ, LT, LTE, GT, GTE, BETWEEN or BEGINS_WITH`,
          "sort"
        )
    }
    const page = parsePage(b)
    const typeFilter = filters.find((f) => f.name === "typeId" && f.operator === "EQ")
    const typeId = typeFilter?.values[0]
    if (typeId !== undefined) {
      const wt = c.state.worktypes.get(typeId)
      const schema = wt?.schemaId === undefined ? undefined : schemaVersionOf(c.state, wt.schemaId, wt.schemaVersion)
      for (const f of filters) {
        if (!f.name.startsWith("customFields.")) continue
        const key = f.name.slice(13)
        if (wt !== undefined && schema?.compiled.fields.has(key) !== true)
          throw badRequest(`${f.name} is not a property of the schema of worktype ${typeId}`, "filters")
      }
    }
    const ci = (f: Filter): boolean => f.name.startsWith("customFields.") && f.name.endsWith("_identifier")
    let hits = candidates(c.state, filters, typeId).filter((w) =>
      filters.every((f) => matches(f, fieldOf(w, f.name), ci(f)))
    )
    if (sort !== undefined) {
      const dir = sort.ascending ? 1 : -1
      hits = hits.sort((x, y) => {
        const a = fieldOf(x, sort.name) ?? ""
        const z = fieldOf(y, sort.name) ?? ""
        return a < z ? -dir : a > z ? dir : x.seq - y.seq
      })
    }
    const expands = new Set(optStringArray(b, "expands") ?? [])
    return ok(
      pageOf(
        hits,
        page,
        b,
        `${TM}/workitems/query`,
        (w) => workitemJson(c.state, w, expands),
        sort === undefined ? (w) => w.seq : undefined
      )
    )
  }
}

/**
 * Validates one workitem create body (the `keys` of its model) and creates the workitem: the single create and each
 * entity of a bulk add job go through here, so both apply the same rules and the daily creation limit.
 */
export const createWorkitem = (c: Ctx, b: Json, keys: ReadonlyArray<string>, model: string): Workitem => {
  const s = c.state
  onlyKeys(b, keys, model)
  const name = reqString(b, "name", WORKITEM_NAME)
  const typeId = reqString(b, "typeId")
  const wt = s.worktypes.get(typeId)
  if (wt === undefined) throw badRequest(`typeId ${typeId} does not name an existing worktype`, "typeId")
  const priority = optInt(b, "priority", PRIORITY) ?? (wt.attrs["defaultPriority"] as number | undefined) ?? 0
  const statusId = optString(b, "statusId") ?? wt.defaultStatusId
  if (statusId === undefined)
    throw badRequest(`statusId is required: worktype ${wt.id} has no default status`, "statusId")
  const status = s.statuses.get(statusId)
  if (status?.worktypeId !== wt.id)
    throw badRequest(`statusId ${statusId} is not a status of worktype ${wt.id}`, "statusId")
  const workbinId = optString(b, "workbinId") ?? wt.defaultWorkbinId
  if (!s.workbins.has(workbinId))
    throw badRequest(`workbinId ${workbinId} does not name an existing workbin`, "workbinId")
  const autoStatusTransition = optBool(b, "autoStatusTransition") ?? true
  const attrs = attributes(c, b, false)
  const wrapupCode = optUuid(b, "wrapupCode")
  if (wrapupCode !== undefined) attrs["wrapupCode"] = wrapupCode
  const schemaVersion = wt.schemaId === undefined ? undefined : schemaVersionOf(s, wt.schemaId, wt.schemaVersion)
  const customFields = customFieldsBody(b) ?? {}
  checkCustomFields(schemaVersion?.compiled, customFields)
  checkDaily(s.dailyCreates, c.now, c.config.dailyWorkitemCreates, "workitem.creates.per.day", "creations")
  const w: Workitem = {
    id: s.newId(),
    seq: s.nextSeq(),
    name,
    typeId: wt.id,
    workbinId,
    statusId,
    statusCategory: status.category,
    divisionId: wt.divisionId,
    priority,
    ...(wt.schemaId === undefined ? {} : { schemaId: wt.schemaId }),
    ...(schemaVersion === undefined ? {} : { schemaVersion: schemaVersion.version }),
    customFields: structuredClone(customFields),
    attrs,
    autoStatusTransition,
    dateCreated: c.nowIso,
    dateModified: c.nowIso,
    dateStatusChanged: c.nowIso,
    ...(status.category === "Closed" ? { dateClosed: c.nowIso } : {}),
    modifiedBy: c.clientId,
    reporterId: c.clientId
  }
  s.dailyCreates.count++
  s.workitems.set(w.id, w)
  s.indexWorkitem(w, true)
  raiseWorkitemEvent(c, w, "add")
  return w
}

// --- create / get / patch / delete ---

export const workitemRoutes: ReadonlyArray<Route> = [
  queryRoute,
  {
    method: "POST",
    template: `${TM}/workitems`,
    permissions: ["workitems:workitem:add"],
    handler: (c) => ok(workitemJson(c.state, createWorkitem(c, requireBody(c.body), CREATE_KEYS, "WorkitemCreate")))
  },
  {
    method: "GET",
    template: `${TM}/workitems/{workitemId}`,
    permissions: ["workitems:workitem:view"],
    handler: (c) => {
      const w = getWorkitem(c.state, c.params["workitemId"] ?? "")
      const expands = new Set((c.query.get("expands") ?? "").split(",").filter((x) => x !== ""))
      for (const e of expands)
        if (!["type", "workbin", "status", "queue", "assignee"].includes(e))
          throw badRequest(`expands: unknown value "${e}"`, "expands")
      return ok(workitemJson(c.state, w, expands))
    }
  },
  {
    method: "PATCH",
    template: `${TM}/workitems/{workitemId}`,
    permissions: ["workitems:workitem:edit", "workitems:workitem:accept"],
    handler: (c) => {
      const s = c.state
      const w = getWorkitem(s, c.params["workitemId"] ?? "")
      const b = requireBody(c.body)
      if ("typeId" in b) throw badRequest("typeId cannot change: the worktype of a workitem is fixed", "typeId")
      onlyKeys(b, UPDATE_KEYS, "WorkitemUpdate")
      checkRequiredNotNull(b, ["name", "priority", "statusId", "workbinId", "autoStatusTransition"])
      const name = optString(b, "name", WORKITEM_NAME)
      const priority = optInt(b, "priority", PRIORITY)
      const workbinId = optString(b, "workbinId")
      if (workbinId !== undefined && !s.workbins.has(workbinId))
        throw badRequest(`workbinId ${workbinId} does not name an existing workbin`, "workbinId")
      const autoStatusTransition = optBool(b, "autoStatusTransition")
      const statusId = optString(b, "statusId")
      let newStatus = undefined as ReturnType<typeof s.statuses.get>
      if (statusId !== undefined && statusId !== w.statusId) {
        newStatus = s.statuses.get(statusId)
        if (newStatus?.worktypeId !== w.typeId)
          throw badRequest(`statusId ${statusId} is not a status of worktype ${w.typeId}`, "statusId")
        const current = s.statuses.get(w.statusId)
        const allowed = current?.destinationStatusIds ?? []
        if (allowed.length > 0 && !allowed.includes(statusId))
          throw badRequest(
            `Status transition not allowed: ${current?.name ?? w.statusId} (${w.statusId}) cannot move to ${newStatus.name} (${statusId}); allowed destinations: ${allowed.join(", ")}`,
            "statusId"
          )
      }
      const dateClosed = optInstant(b, "dateClosed")
      const assignmentState = optString(b, "assignmentState")
      if (assignmentState !== undefined && !ASSIGNMENT_STATES.includes(assignmentState))
        throw badRequest(`assignmentState must be one of ${ASSIGNMENT_STATES.join(", ")}`, "assignmentState")
      const attrs = attributes(c, b, true)
      // custom fields: {} clears all, null on one key removes that key, other keys merge
      const cf = customFieldsBody(b)
      let merged: Record<string, unknown> | undefined
      if (cf !== undefined) {
        if (Object.keys(cf).length === 0) merged = {}
        else {
          merged = { ...w.customFields }
          for (const [k, v] of Object.entries(cf)) {
            if (v === null) delete merged[k]
            else merged[k] = v
          }
        }
        const schema = w.schemaId === undefined ? undefined : schemaVersionOf(s, w.schemaId, w.schemaVersion)
        for (const k of Object.keys(cf))
          if (schema !== undefined && !schema.compiled.fields.has(k))
            throw badRequest(`customFields.${k} is not a property of the workitem schema`, `customFields.${k}`)
        checkCustomFields(schema?.compiled, merged)
      }
      checkDaily(s.dailyUpdates, c.now, c.config.dailyWorkitemUpdates, "workitem.updates.per.day", "updates")
      const win = perWorkitem(s, w.id, c.now, c.config.workitemUpdatesPerMinute)
      // every check passed: apply
      const before = beforeUpdate(s, w)
      s.indexWorkitem(w, false)
      if (name !== undefined) w.name = name
      if (priority !== undefined) w.priority = priority
      if (workbinId !== undefined) w.workbinId = workbinId
      if (autoStatusTransition !== undefined) w.autoStatusTransition = autoStatusTransition
      if (newStatus !== undefined) {
        w.statusId = newStatus.id
        w.statusCategory = newStatus.category
        w.dateStatusChanged = c.nowIso
        if (newStatus.category === "Closed") w.dateClosed = dateClosed ?? c.nowIso
        else delete w.dateClosed
      } else if (dateClosed !== undefined && w.statusCategory === "Closed") w.dateClosed = dateClosed
      if (assignmentState !== undefined) w.attrs["assignmentState"] = assignmentState
      for (const [k, v] of Object.entries(attrs)) {
        if (v === null) delete w.attrs[k]
        else w.attrs[k] = v
      }
      if (merged !== undefined) w.customFields = structuredClone(merged)
      w.dateModified = c.nowIso
      w.modifiedBy = c.clientId
      s.indexWorkitem(w, true)
      s.dailyUpdates.count++
      win.count++
      raiseWorkitemEvent(c, w, "update", before)
      return ok(workitemJson(s, w))
    }
  },
  {
    method: "DELETE",
    template: `${TM}/workitems/{workitemId}`,
    permissions: ["workitems:workitem:delete"],
    handler: (c) => {
      const w = getWorkitem(c.state, c.params["workitemId"] ?? "")
      c.state.indexWorkitem(w, false)
      c.state.workitems.delete(w.id)
      c.state.workitemWindows.delete(w.id)
      raiseWorkitemEvent(c, w, "delete")
      return noContent
    }
  }
]
