/**
 * Workitem events on topic `v2.taskmanagement.workitems.{id}` (SDK `WorkitemsEventsNotificationWorkitem`) and the
 * Process Automation trigger matching that turns them into workflow executions (docs/genesys-api.md §9.3, §9.4).
 * Nothing here runs unless an enabled trigger listens on the topic: `workitemTriggersActive` is checked first.
 */
import type { Ctx } from "./route.js"
import type { MatchCriterion, State, Trigger, Workitem, WorkflowExecution } from "./State.js"
import { schemaVersionOf } from "./taskmanagement.js"
import { type Json, isObject } from "./validate.js"

export const WORKITEM_TOPIC = "v2.taskmanagement.workitems.{id}"
/** Topics a trigger may name (`GET …/triggers/topics`): the emulator raises events on this one only. */
export const TOPICS: ReadonlyArray<string> = [WORKITEM_TOPIC]

/** The operators `MatchCriteria.operator` takes in the emulator (docs/genesys-api.md §9.1). */
export const OPERATORS = [
  "Equal",
  "NotEqual",
  "GreaterThan",
  "GreaterThanOrEqual",
  "LessThan",
  "LessThanOrEqual",
  "In",
  "NotIn",
  "Contains",
  "NotContains"
] as const
export const LIST_OPERATORS: ReadonlyArray<string> = ["In", "NotIn"]

/** How many executions the emulator keeps (the oldest finished ones are dropped beyond it). */
export const MAX_EXECUTIONS = 10_000

export type WorkitemOperation = "add" | "update" | "delete"

/** Whether some enabled trigger listens on the workitem topic: the only cost of events when none does. */
export const workitemTriggersActive = (s: State): boolean => {
  if (s.triggers.size === 0) return false
  for (const t of s.triggers.values()) if (t.enabled && t.topicName === WORKITEM_TOPIC) return true
  return false
}

const str = (v: unknown): string | undefined =>
  v === undefined || v === null ? undefined : typeof v === "string" ? v : JSON.stringify(v)

/** The event's flat fields, before `operation`, `changes` and `modifiedBy` are added. */
const eventFields = (s: State, w: Workitem): Json => {
  const a = w.attrs
  const schema = w.schemaId === undefined ? undefined : schemaVersionOf(s, w.schemaId, w.schemaVersion)
  const customFields: Record<string, { dataType: string; value: string }> = {}
  for (const [k, v] of Object.entries(w.customFields)) {
    const value = str(v)
    if (value !== undefined) customFields[k] = { dataType: schema?.compiled.fields.get(k)?.type ?? "text", value }
  }
  const out: Json = {
    id: w.id,
    name: w.name,
    typeId: w.typeId,
    typeName: s.worktypes.get(w.typeId)?.name,
    description: a["description"],
    languageId: a["languageId"],
    priority: w.priority,
    dateCreated: w.dateCreated,
    dateModified: w.dateModified,
    dateDue: a["dateDue"],
    dateExpires: a["dateExpires"],
    durationSeconds: a["durationSeconds"],
    ttl: a["ttl"],
    statusId: w.statusId,
    statusCategory: w.statusCategory,
    dateClosed: w.dateClosed,
    workbinId: w.workbinId,
    workbinName: s.workbins.get(w.workbinId)?.name,
    reporterId: w.reporterId,
    assigneeId: a["assigneeId"],
    externalContactId: a["externalContactId"],
    externalTag: a["externalTag"],
    wrapupId: a["wrapupCode"],
    assignmentState: a["assignmentState"],
    queueId: a["queueId"],
    skillIds: a["skillIds"],
    scriptId: a["scriptId"],
    preferredAgentIds: a["preferredAgentIds"],
    divisionId: w.divisionId,
    utilizationLabelId: a["utilizationLabelId"],
    customFields
  }
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k]
  return out
}

/** Fields compared for `changes` (custom fields are compared per key as `customFields.<key>`). */
const CHANGE_FIELDS = [
  "name",
  "description",
  "languageId",
  "priority",
  "dateDue",
  "dateExpires",
  "durationSeconds",
  "ttl",
  "statusId",
  "statusCategory",
  "dateClosed",
  "workbinId",
  "assigneeId",
  "externalContactId",
  "externalTag",
  "wrapupId",
  "assignmentState",
  "queueId",
  "skillIds",
  "scriptId",
  "preferredAgentIds",
  "utilizationLabelId"
]

type Delta = { op: string; field: string; oldValue?: string; newValue?: string }

const delta = (field: string, oldValue: string | undefined, newValue: string | undefined): Delta | undefined => {
  if (oldValue === newValue) return undefined
  const op = oldValue === undefined ? "add" : newValue === undefined ? "remove" : "replace"
  return {
    op,
    field,
    ...(oldValue === undefined ? {} : { oldValue }),
    ...(newValue === undefined ? {} : { newValue })
  }
}

const changesBetween = (before: Json | undefined, after: Json): ReadonlyArray<Delta> => {
  const out: Array<Delta> = []
  for (const f of CHANGE_FIELDS) {
    const d = delta(f, str(before?.[f]), str(after[f]))
    if (d !== undefined) out.push(d)
  }
  const oldCf = (before?.["customFields"] ?? {}) as Record<string, { value: string }>
  const newCf = after["customFields"] as Record<string, { value: string }>
  for (const k of new Set([...Object.keys(oldCf), ...Object.keys(newCf)])) {
    const d = delta(`customFields.${k}`, oldCf[k]?.value, newCf[k]?.value)
    if (d !== undefined) out.push(d)
  }
  return out
}

/** The event body of a workitem as it is now (`before` = the fields before an update, for `changes`). */
export const workitemEvent = (
  s: State,
  w: Workitem,
  operation: WorkitemOperation,
  modifiedBy: string,
  before?: Json
): Json => {
  const fields = eventFields(s, w)
  const changes = operation === "delete" ? [] : changesBetween(before, fields)
  const wrapupCode = w.attrs["wrapupCode"]
  return {
    ...fields,
    modifiedBy,
    operation,
    changes,
    ...(typeof wrapupCode === "string" ? { wrapup: { code: wrapupCode, userId: modifiedBy } } : {})
  }
}

/** The fields of a workitem before an update, when some trigger will want its `changes`; else undefined (no cost). */
export const beforeUpdate = (s: State, w: Workitem): Json | undefined =>
  workitemTriggersActive(s) ? eventFields(s, w) : undefined

// --- matching ---

/** Reads a JSON path (`$.a.b`, `a.b`, `a[0]`, `$['a']`) in the event; undefined when it does not resolve. */
export const readPath = (event: unknown, jsonPath: string): unknown => {
  let p = jsonPath.trim()
  if (p.startsWith("$")) p = p.slice(1)
  const parts: Array<string> = []
  const re = /\.?([^.[\]]+)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]/g
  let m: RegExpExecArray | null
  let consumed = 0
  while ((m = re.exec(p)) !== null) {
    if (m.index !== consumed) return undefined
    consumed = re.lastIndex
    parts.push((m[1] ?? m[2] ?? m[3] ?? m[4]) as string)
  }
  if (consumed !== p.length) return undefined
  let cur: unknown = event
  for (const part of parts) {
    if (Array.isArray(cur) && /^\d+$/.test(part)) cur = cur[Number(part)]
    else if (isObject(cur)) cur = cur[part]
    else return undefined
  }
  return cur
}

const same = (a: unknown, b: unknown): boolean =>
  a === b || (a !== undefined && b !== undefined && JSON.stringify(a) === JSON.stringify(b))

const compare = (a: unknown, b: unknown): number | undefined => {
  if (typeof a === "number" && typeof b === "number") return a - b
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0
  return undefined
}

/** Whether one criterion holds for the event. A path that does not resolve satisfies only the negative operators. */
export const criterionHolds = (c: MatchCriterion, event: unknown): boolean => {
  const v = readPath(event, c.jsonPath)
  const values = c.values ?? []
  switch (c.operator) {
    case "Equal":
      return same(v, c.value)
    case "NotEqual":
      return !same(v, c.value)
    case "In":
      return values.some((x) => same(v, x))
    case "NotIn":
      return !values.some((x) => same(v, x))
    case "Contains":
    case "NotContains": {
      const has =
        typeof v === "string" && typeof c.value === "string"
          ? v.includes(c.value)
          : Array.isArray(v) && v.some((x) => same(x, c.value))
      return c.operator === "Contains" ? has : !has
    }
    default: {
      const d = compare(v, c.value)
      if (d === undefined) return false
      if (c.operator === "GreaterThan") return d > 0
      if (c.operator === "GreaterThanOrEqual") return d >= 0
      if (c.operator === "LessThan") return d < 0
      if (c.operator === "LessThanOrEqual") return d <= 0
      return false
    }
  }
}

export const triggerMatches = (t: Trigger, event: unknown): boolean =>
  t.matchCriteria.every((c) => criterionHolds(c, event))

/**
 * Raises the event of a workitem change: one pending execution per enabled trigger on the workitem topic whose match
 * criteria all hold, queued for the dispatcher (which runs it after the API has answered). A no-op without triggers.
 */
export const raiseWorkitemEvent = (
  c: Pick<Ctx, "state" | "clientId" | "nowIso">,
  w: Workitem,
  operation: WorkitemOperation,
  before?: Json
): void => {
  const s = c.state
  if (!workitemTriggersActive(s)) return
  const event = workitemEvent(s, w, operation, c.clientId, before)
  for (const t of s.triggers.values()) {
    if (!t.enabled || t.topicName !== WORKITEM_TOPIC || !triggerMatches(t, event)) continue
    const x: WorkflowExecution = {
      id: s.newId(),
      triggerId: t.id,
      flowId: t.target.id,
      workitemId: w.id,
      operation,
      dataFormat: t.target.workflowTargetSettings?.dataFormat ?? "TopLevelPrimitives",
      event: structuredClone(event),
      status: "pending",
      attempts: 0,
      dateQueued: c.nowIso
    }
    s.executions.push(x)
    s.pendingExecutions.push(x)
  }
  if (s.executions.length > MAX_EXECUTIONS) {
    const drop = s.executions.findIndex((x) => x.status === "succeeded" || x.status === "failed")
    if (drop >= 0) s.executions.splice(drop, 1)
  }
}
