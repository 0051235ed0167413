/**
 * Process Automation triggers (SDK ProcessAutomationApi; docs/genesys-api.md §9.1): create, list, read, replace
 * (current `version`), delete, and the topics a trigger may name.
 */
import { ApiError, badRequest, notFound } from "./errors.js"
import { LIST_OPERATORS, OPERATORS, TOPICS } from "./events.js"
import { type Route, noContent, ok } from "./route.js"
import type { MatchCriterion, State, Trigger } from "./State.js"
import { type Json, isObject, onlyKeys, optBool, optInt, optString, reqString, requireBody } from "./validate.js"

const T = "/api/v2/processautomation/triggers"
const DATA_FORMATS = ["Json", "TopLevelPrimitives"]
const COMMON_KEYS = [
  "target",
  "enabled",
  "matchCriteria",
  "name",
  "topicName",
  "eventTTLSeconds",
  "delayBySeconds",
  "description"
]

export const triggerJson = (t: Trigger): Json => ({
  id: t.id,
  name: t.name,
  topicName: t.topicName,
  target: structuredClone(t.target),
  version: t.version,
  enabled: t.enabled,
  matchCriteria: structuredClone(t.matchCriteria),
  ...(t.eventTTLSeconds === undefined ? {} : { eventTTLSeconds: t.eventTTLSeconds }),
  ...(t.delayBySeconds === undefined ? {} : { delayBySeconds: t.delayBySeconds }),
  ...(t.description === undefined ? {} : { description: t.description }),
  selfUri: `${T}/${t.id}`
})

const parseTarget = (s: State, v: unknown): Trigger["target"] => {
  if (!isObject(v)) throw badRequest('target is required: {type: "Workflow", id}', "target")
  onlyKeys(v, ["type", "id", "workflowTargetSettings"], "TriggerTarget")
  if (v["type"] !== "Workflow")
    throw badRequest(`target.type must be Workflow (got ${JSON.stringify(v["type"])})`, "target.type")
  const id = v["id"]
  if (typeof id !== "string" || id === "") throw badRequest("target.id is required", "target.id")
  if (!s.flows.has(id)) throw badRequest(`target.id ${id} does not name a published workflow`, "target.id")
  const settings = v["workflowTargetSettings"]
  if (settings === undefined || settings === null) return { type: "Workflow", id }
  if (!isObject(settings))
    throw badRequest("target.workflowTargetSettings must be an object", "target.workflowTargetSettings")
  onlyKeys(settings, ["dataFormat"], "WorkflowTargetSettings")
  const df = settings["dataFormat"]
  if (df === undefined) return { type: "Workflow", id, workflowTargetSettings: { dataFormat: "TopLevelPrimitives" } }
  if (typeof df !== "string" || !DATA_FORMATS.includes(df))
    throw badRequest(
      `target.workflowTargetSettings.dataFormat must be one of ${DATA_FORMATS.join(", ")} (got ${JSON.stringify(df)})`,
      "target.workflowTargetSettings.dataFormat"
    )
  return { type: "Workflow", id, workflowTargetSettings: { dataFormat: df } }
}

const parseCriteria = (v: unknown): ReadonlyArray<MatchCriterion> => {
  if (v === undefined || v === null) return []
  if (!Array.isArray(v)) throw badRequest("matchCriteria must be an array", "matchCriteria")
  return v.map((c, i) => {
    const at = `matchCriteria[${i}]`
    if (!isObject(c)) throw badRequest(`${at} must be an object`, at)
    onlyKeys(c, ["jsonPath", "operator", "value", "values"], "MatchCriteria")
    const jsonPath = c["jsonPath"]
    if (typeof jsonPath !== "string" || jsonPath.trim() === "")
      throw badRequest(`${at}.jsonPath is required`, `${at}.jsonPath`)
    const operator = c["operator"]
    if (typeof operator !== "string" || !(OPERATORS as ReadonlyArray<string>).includes(operator))
      throw badRequest(
        `${at}.operator must be one of ${OPERATORS.join(", ")} (got ${JSON.stringify(operator)})`,
        `${at}.operator`
      )
    const hasValue = c["value"] !== undefined && c["value"] !== null
    const hasValues = c["values"] !== undefined && c["values"] !== null
    if (hasValue && hasValues) throw badRequest(`${at}: give value or values, not both`, `${at}.values`)
    if (LIST_OPERATORS.includes(operator)) {
      if (!Array.isArray(c["values"]) || c["values"].length === 0)
        throw badRequest(`${at}.values must be a non-empty array for operator ${operator}`, `${at}.values`)
      return { jsonPath, operator, values: structuredClone(c["values"]) }
    }
    if (!hasValue) throw badRequest(`${at}.value is required for operator ${operator}`, `${at}.value`)
    return { jsonPath, operator, value: structuredClone(c["value"]) }
  })
}

/** The fields common to CreateTriggerRequest and UpdateTriggerRequest. */
const parseTrigger = (s: State, b: Json): Omit<Trigger, "id" | "version"> => {
  const name = reqString(b, "name", { min: 1, max: 256 })
  const topicName = reqString(b, "topicName", { min: 1, max: 256 })
  if (!TOPICS.includes(topicName))
    throw badRequest(`topicName ${topicName} is not an available topic (${TOPICS.join(", ")})`, "topicName")
  const enabled = optBool(b, "enabled")
  if (enabled === undefined) throw badRequest("enabled is required", "enabled")
  const target = parseTarget(s, b["target"])
  const matchCriteria = parseCriteria(b["matchCriteria"])
  const eventTTLSeconds = optInt(b, "eventTTLSeconds", { min: 10 })
  const delayBySeconds = optInt(b, "delayBySeconds", { min: 60, max: 900 })
  if (eventTTLSeconds !== undefined && delayBySeconds !== undefined)
    throw badRequest("Only one of eventTTLSeconds or delayBySeconds can be set", "delayBySeconds")
  const description = optString(b, "description", { max: 512 })
  return {
    name,
    topicName,
    target,
    enabled,
    matchCriteria,
    ...(eventTTLSeconds === undefined ? {} : { eventTTLSeconds }),
    ...(delayBySeconds === undefined ? {} : { delayBySeconds }),
    ...(description === undefined ? {} : { description })
  }
}

const getTrigger = (s: State, id: string): Trigger => {
  const t = s.triggers.get(id)
  if (t === undefined) throw notFound("Trigger", id)
  return t
}

/** `pageSize` (1–200, default 25) and the `after` cursor (an opaque position) of the cursor listings. */
const cursorPage = <A>(items: ReadonlyArray<A>, q: URLSearchParams, path: string, json: (a: A) => unknown): Json => {
  const raw = q.get("pageSize")
  const pageSize = raw === null ? 25 : Number(raw)
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 200)
    throw badRequest(`pageSize must be a whole number in 1..200 (got ${raw})`, "pageSize")
  const after = q.get("after")
  let start = 0
  if (after !== null) {
    start = Number.parseInt(Buffer.from(after, "base64url").toString("utf8"), 10)
    if (!Number.isInteger(start) || start < 0) throw badRequest("after is not a cursor this listing returned", "after")
  }
  const page = items.slice(start, start + pageSize)
  const next = start + pageSize < items.length ? Buffer.from(String(start + pageSize)).toString("base64url") : undefined
  return {
    entities: page.map(json),
    ...(next === undefined ? {} : { nextUri: `${path}?pageSize=${pageSize}&after=${next}` }),
    selfUri: path
  }
}

const boolParam = (q: URLSearchParams, name: string): boolean | undefined => {
  const v = q.get(name)
  if (v === null) return undefined
  if (v !== "true" && v !== "false") throw badRequest(`${name} must be true or false`, name)
  return v === "true"
}

export const triggerRoutes: ReadonlyArray<Route> = [
  {
    method: "POST",
    template: T,
    permissions: ["processautomation:trigger:add"],
    handler: (c) => {
      const b = requireBody(c.body)
      onlyKeys(b, COMMON_KEYS, "CreateTriggerRequest")
      const t: Trigger = { id: c.state.newId(), version: 1, ...parseTrigger(c.state, b) }
      c.state.triggers.set(t.id, t)
      return ok(triggerJson(t))
    }
  },
  {
    method: "GET",
    template: T,
    permissions: ["processautomation:trigger:edit", "processautomation:trigger:view"],
    handler: (c) => {
      const topics = c.query
        .get("topicName")
        ?.split(",")
        .filter((x) => x !== "")
      const enabled = boolParam(c.query, "enabled")
      const hasDelayBy = boolParam(c.query, "hasDelayBy")
      const all = [...c.state.triggers.values()].filter(
        (t) =>
          (topics === undefined || topics.includes(t.topicName)) &&
          (enabled === undefined || t.enabled === enabled) &&
          (hasDelayBy === undefined || (t.delayBySeconds !== undefined) === hasDelayBy)
      )
      return ok(cursorPage(all, c.query, T, triggerJson))
    }
  },
  {
    method: "GET",
    template: `${T}/topics`,
    permissions: ["processautomation:trigger:edit", "processautomation:trigger:view"],
    handler: (c) => ok(cursorPage(TOPICS, c.query, `${T}/topics`, (x) => x))
  },
  {
    method: "GET",
    template: `${T}/{triggerId}`,
    permissions: ["processautomation:trigger:edit", "processautomation:trigger:view"],
    handler: (c) => ok(triggerJson(getTrigger(c.state, c.params["triggerId"] ?? "")))
  },
  {
    method: "PUT",
    template: `${T}/{triggerId}`,
    permissions: ["processautomation:trigger:edit"],
    handler: (c) => {
      const t = getTrigger(c.state, c.params["triggerId"] ?? "")
      const b = requireBody(c.body)
      onlyKeys(b, [...COMMON_KEYS, "version"], "UpdateTriggerRequest")
      const version = optInt(b, "version")
      if (version === undefined) throw badRequest("version is required: send the trigger's current version", "version")
      if (version !== t.version)
        throw new ApiError(409, "conflict", `The version ${version} does not match the current version ${t.version}`, {
          details: [{ errorCode: "version.mismatch", fieldName: "version" }]
        })
      const next = parseTrigger(c.state, b)
      if (next.topicName !== t.topicName)
        throw badRequest("topicName cannot be updated: create a new trigger for a new topicName", "topicName")
      const updated: Trigger = { id: t.id, version: t.version + 1, ...next }
      c.state.triggers.set(t.id, updated)
      return ok(triggerJson(updated))
    }
  },
  {
    method: "DELETE",
    template: `${T}/{triggerId}`,
    permissions: ["processautomation:trigger:delete"],
    handler: (c) => {
      const t = getTrigger(c.state, c.params["triggerId"] ?? "")
      c.state.triggers.delete(t.id)
      return noContent
    }
  }
]
