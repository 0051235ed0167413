/**
 * Architect workflows as CX as Code's genesyscloud_flow deploys them (docs/genesys-api.md §9.2): register an import
 * job, PUT the Architect YAML to its upload URL, poll the job; read, list and delete flows. The emulator publishes the
 * subset of workflow YAML it can run (one state of callData actions and endWorkflow); anything else fails the job
 * with a message naming it.
 */
import { parse as parseYaml } from "yaml"
import { conflict, notFound } from "./errors.js"
import { type Ctx, type Route, noContent, ok, ref } from "./route.js"
import type { CallDataAction, Flow, FlowInput, FlowJob, State } from "./State.js"
import { type Json, isObject } from "./validate.js"

const F = "/api/v2/flows"
/** Where an import job's YAML is PUT (the emulator's stand-in for a presigned storage URL; no token). */
export const UPLOAD_PREFIX = "/__emulator/flow-uploads/"
/** The header a job's upload must carry (returned in the job's `headers`, as a presigned URL's signed headers). */
export const UPLOAD_TOKEN_HEADER = "x-emulator-upload-token"
/** The one expression an input may use: the workflow's event as JSON text (docs/genesys-api.md §9.2). */
export const EVENT_JSON_EXPRESSION = "ToString(Flow.jsonData)"

export const flowJson = (s: State, f: Flow): Json => ({
  id: f.id,
  name: f.name,
  ...(f.description === undefined ? {} : { description: f.description }),
  division: { id: f.divisionId, name: s.homeDivision.name, selfUri: `/api/v2/authorization/divisions/${f.divisionId}` },
  type: "WORKFLOW",
  active: true,
  system: false,
  deleted: false,
  publishedVersion: { id: `${f.version}.0`, name: f.name, selfUri: `${F}/${f.id}/versions/${f.version}.0` },
  publishedBy: ref(f.modifiedBy, "/api/v2/oauth/clients"),
  dateModified: f.dateModified,
  selfUri: `${F}/${f.id}`
})

const jobJson = (j: FlowJob): Json => ({
  id: j.id,
  status: j.status === "Registered" ? "Started" : j.status,
  command: "Publish",
  ...(j.flowId === undefined ? {} : { flow: { id: j.flowId, name: j.flowName, selfUri: `${F}/${j.flowId}` } }),
  messages: j.messages,
  selfUri: `${F}/jobs/${j.id}`
})

// --- the YAML subset ---

class Unsupported extends Error {}
const fail = (text: string): never => {
  throw new Unsupported(text)
}

const onlyYamlKeys = (o: Json, allowed: ReadonlyArray<string>, where: string): void => {
  for (const k of Object.keys(o))
    if (!allowed.includes(k))
      fail(`${where}: "${k}" is not supported by the emulator (supported: ${allowed.join(", ")})`)
}

const single = (v: unknown, where: string): [string, unknown] => {
  if (!isObject(v) || Object.keys(v).length !== 1) return fail(`${where} must be a mapping with exactly one key`)
  return Object.entries(v)[0] as [string, unknown]
}

const parseInputs = (v: unknown, where: string, declared: ReadonlySet<string>): Record<string, FlowInput> => {
  if (v === undefined || v === null) return {}
  if (!isObject(v)) return fail(`${where}.inputs must be a mapping of input name to {exp} or {lit}`)
  const out: Record<string, FlowInput> = {}
  for (const [name, value] of Object.entries(v)) {
    const at = `${where}.inputs.${name}`
    if (!isObject(value)) return fail(`${at} must be {exp: ${EVENT_JSON_EXPRESSION}} or {lit: <string>}`)
    const [kind, body] = single(value, at)
    if (kind === "lit") {
      if (typeof body !== "string" && typeof body !== "number" && typeof body !== "boolean")
        return fail(`${at}.lit must be a string`)
      out[name] = { kind: "literal", value: String(body) }
    } else if (kind === "exp") {
      if (typeof body !== "string" || body.replace(/\s+/g, "") !== EVENT_JSON_EXPRESSION)
        return fail(
          `${at}.exp ${JSON.stringify(body)} is not supported: the emulator evaluates only ${EVENT_JSON_EXPRESSION}`
        )
      if (!declared.has("Flow.jsonData"))
        return fail(`${at}: Flow.jsonData is not a declared jsonVariable of the workflow`)
      out[name] = { kind: "eventJson" }
    } else return fail(`${at}: "${kind}" is not supported (exp or lit)`)
  }
  return out
}

const parseCallData = (s: State, v: unknown, where: string, declared: ReadonlySet<string>): CallDataAction => {
  if (!isObject(v)) return fail(`${where} must be a mapping`)
  onlyYamlKeys(
    v,
    ["name", "timeout", "category", "inputs", "successOutputs", "failureOutputs", "processingPrompt"],
    where
  )
  const name = typeof v["name"] === "string" ? v["name"] : "Call Data Action"
  const [integrationName, cat] = single(v["category"], `${where}.category`)
  if (!isObject(cat)) return fail(`${where}.category.${integrationName} must hold dataAction`)
  onlyYamlKeys(cat, ["dataAction"], `${where}.category.${integrationName}`)
  const [actionName, action] = single(cat["dataAction"], `${where}.category.${integrationName}.dataAction`)
  const actionWhere = `${where}.category.${integrationName}.dataAction.${actionName}`
  if (action !== null && action !== undefined && !isObject(action)) return fail(`${actionWhere} must be a mapping`)
  const body = (action ?? {}) as Json
  onlyYamlKeys(body, ["inputs", "successOutputs", "failureOutputs"], actionWhere)
  const inputs = parseInputs(body["inputs"] ?? v["inputs"], actionWhere, declared)
  const integration = [...s.integrations.values()].find((i) => i.name === integrationName)
  if (integration === undefined) return fail(`${where}: integration "${integrationName}" was not found`)
  const published = [...s.actions.values()].find((a) => a.integrationId === integration.id && a.name === actionName)
  if (published === undefined)
    return fail(
      `${where}: data action "${actionName}" of integration "${integrationName}" was not found or is not published`
    )
  const schema = (published.contract["input"] as Json | undefined)?.["inputSchema"] as Json | undefined
  const properties = isObject(schema?.["properties"]) ? (schema["properties"] as Json) : {}
  for (const k of Object.keys(inputs))
    if (!(k in properties)) fail(`${actionWhere}.inputs.${k} is not an input of data action "${actionName}"`)
  const required = Array.isArray(schema?.["required"]) ? (schema["required"] as Array<string>) : []
  for (const k of required)
    if (!(k in inputs)) fail(`${actionWhere}.inputs.${k} is required by data action "${actionName}"`)
  return { name, integrationName, actionName, inputs }
}

const parseVariables = (v: unknown): ReadonlySet<string> => {
  const names = new Set<string>()
  if (v === undefined || v === null) return names
  if (!Array.isArray(v)) return fail("workflow.variables must be a list")
  v.forEach((entry, i) => {
    const [kind, body] = single(entry, `workflow.variables[${i}]`)
    if (!["jsonVariable", "stringVariable", "booleanVariable", "integerVariable"].includes(kind))
      fail(`workflow.variables[${i}]: ${kind} is not supported by the emulator`)
    if (!isObject(body) || typeof body["name"] !== "string")
      return fail(`workflow.variables[${i}].${kind}.name is required`)
    if (body["name"] === "Flow.jsonData" && kind !== "jsonVariable")
      fail(`workflow.variables[${i}]: Flow.jsonData must be a jsonVariable`)
    names.add(body["name"])
  })
  return names
}

/** The workflow a YAML document describes, or an Unsupported error naming what the emulator cannot run. */
export const parseWorkflowYaml = (
  s: State,
  text: string
): { name: string; description?: string; actions: ReadonlyArray<CallDataAction> } => {
  let doc: unknown
  try {
    doc = parseYaml(text)
  } catch (e) {
    return fail(`The file is not valid YAML: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`)
  }
  const [flowType, wf] = single(doc, "The flow document")
  if (flowType !== "workflow") return fail(`Flow type ${flowType} is not supported by the emulator (only workflow)`)
  if (!isObject(wf)) return fail("workflow must be a mapping")
  onlyYamlKeys(
    wf,
    [
      "name",
      "description",
      "division",
      "startUpRef",
      "defaultLanguage",
      "supportedLanguages",
      "settingsErrorHandling",
      "variables",
      "states"
    ],
    "workflow"
  )
  const name = wf["name"]
  if (typeof name !== "string" || name.trim() === "") return fail("workflow.name is required")
  const division = wf["division"]
  if (division !== undefined && division !== s.homeDivision.name)
    fail(
      `workflow.division "${String(division)}" was not found (the emulator has the ${s.homeDivision.name} division only)`
    )
  const declared = parseVariables(wf["variables"])
  const states = wf["states"]
  if (!Array.isArray(states) || states.length !== 1)
    return fail(`workflow.states must hold exactly one state (got ${Array.isArray(states) ? states.length : "none"})`)
  const [stateKey, state] = single(states[0], "workflow.states[0]")
  if (stateKey !== "state" || !isObject(state)) return fail("workflow.states[0] must be a state")
  onlyYamlKeys(state, ["name", "refId", "actions", "variables"], "workflow.states[0].state")
  const refId = state["refId"]
  if (typeof refId !== "string") return fail("workflow.states[0].state.refId is required")
  const startUpRef = wf["startUpRef"]
  if (startUpRef !== `/workflow/states/state[${refId}]`)
    fail(`workflow.startUpRef ${JSON.stringify(startUpRef)} does not name the state ${refId}`)
  const rawActions = state["actions"]
  if (!Array.isArray(rawActions)) return fail("workflow.states[0].state.actions must be a list")
  const actions: Array<CallDataAction> = []
  rawActions.forEach((entry, i) => {
    const where = `workflow.states[0].state.actions[${i}]`
    const [kind, body] = single(entry, where)
    if (kind === "callData") actions.push(parseCallData(s, body, `${where}.callData`, declared))
    else if (kind === "endWorkflow") {
      if (i !== rawActions.length - 1) fail(`${where}: endWorkflow must be the last action`)
    } else fail(`${where}: action ${kind} is not supported by the emulator (callData and endWorkflow only)`)
  })
  const description = wf["description"]
  return { name, ...(typeof description === "string" && description !== "" ? { description } : {}), actions }
}

/**
 * Receives the YAML PUT to a job's upload URL: validates it, publishes the workflow (a new one, or a new version of the
 * workflow with the same name), and completes the job with Success or Failure. Returns the HTTP status to answer.
 */
export const receiveFlowUpload = (
  s: State,
  jobId: string,
  token: string | undefined,
  text: string,
  nowIso: string
): { status: number; message?: string } => {
  const j = s.flowJobs.get(jobId)
  if (j === undefined) return { status: 404, message: `No upload is expected for job ${jobId}` }
  if (token !== j.uploadToken)
    return { status: 403, message: `The upload must carry the job's headers (${UPLOAD_TOKEN_HEADER})` }
  if (j.status !== "Registered") return { status: 409, message: `Job ${jobId} already received its file` }
  try {
    const wf = parseWorkflowYaml(s, text)
    const existing = [...s.flows.values()].find((f) => f.name.toLowerCase() === wf.name.toLowerCase())
    const flow: Flow = {
      id: existing?.id ?? s.newId(),
      name: wf.name,
      type: "workflow",
      ...(wf.description === undefined ? {} : { description: wf.description }),
      divisionId: s.homeDivision.id,
      version: (existing?.version ?? 0) + 1,
      actions: wf.actions,
      dateCreated: existing?.dateCreated ?? nowIso,
      dateModified: nowIso,
      modifiedBy: j.clientId
    }
    s.flows.set(flow.id, flow)
    Object.assign(j, { status: "Success", flowId: flow.id, flowName: flow.name, messages: [] })
  } catch (e) {
    if (!(e instanceof Unsupported)) throw e
    Object.assign(j, { status: "Failure", messages: [{ dateTime: nowIso, type: "Error", text: e.message }] })
  }
  return { status: 200 }
}

const getFlow = (s: State, id: string): Flow => {
  const f = s.flows.get(id)
  if (f === undefined) throw notFound("Flow", id)
  return f
}

const listFlows = (c: Ctx): Json => {
  const types = c.query
    .getAll("type")
    .flatMap((t) => t.split(","))
    .map((t) => t.toLowerCase())
  const name = c.query.get("name")?.toLowerCase()
  const hits = [...c.state.flows.values()]
    .filter(
      (f) =>
        (types.length === 0 || types.includes(f.type)) && (name === undefined || f.name.toLowerCase().includes(name))
    )
    .sort((a, b) => a.name.localeCompare(b.name))
  const pageSize = Math.min(Math.max(Number(c.query.get("pageSize") ?? 25) || 25, 1), 500)
  const pageNumber = Math.max(Number(c.query.get("pageNumber") ?? 1) || 1, 1)
  const page = hits.slice((pageNumber - 1) * pageSize, pageNumber * pageSize)
  return {
    entities: page.map((f) => flowJson(c.state, f)),
    pageSize,
    pageNumber,
    total: hits.length,
    pageCount: Math.ceil(hits.length / pageSize),
    selfUri: F
  }
}

export const flowRoutes: ReadonlyArray<Route> = [
  {
    method: "POST",
    template: `${F}/jobs`,
    permissions: ["architect:job:create"],
    handler: (c) => {
      const j: FlowJob = {
        id: c.state.newId(),
        clientId: c.clientId,
        uploadToken: c.state.newId(),
        status: "Registered",
        messages: []
      }
      c.state.flowJobs.set(j.id, j)
      return ok({
        id: j.id,
        presignedUrl: `${c.origin}${UPLOAD_PREFIX}${j.id}`,
        headers: { [UPLOAD_TOKEN_HEADER]: j.uploadToken },
        selfUri: `${F}/jobs/${j.id}`
      })
    }
  },
  {
    method: "GET",
    template: `${F}/jobs/{jobId}`,
    permissions: ["architect:job:view"],
    handler: (c) => {
      const j = c.state.flowJobs.get(c.params["jobId"] ?? "")
      if (j === undefined) throw notFound("Architect job", c.params["jobId"] ?? "")
      return ok(jobJson(j))
    }
  },
  {
    method: "GET",
    template: F,
    permissions: ["architect:flow:view", "architect:flow:search"],
    handler: (c) => ok(listFlows(c))
  },
  {
    method: "GET",
    template: `${F}/{flowId}`,
    permissions: ["architect:flow:view"],
    handler: (c) => ok(flowJson(c.state, getFlow(c.state, c.params["flowId"] ?? "")))
  },
  {
    method: "DELETE",
    template: `${F}/{flowId}`,
    permissions: ["architect:flow:delete"],
    handler: (c) => {
      const f = getFlow(c.state, c.params["flowId"] ?? "")
      const user = [...c.state.triggers.values()].find((t) => t.target.id === f.id)
      if (user !== undefined)
        throw conflict(`Flow ${f.id} is the target of trigger ${user.id}; delete the trigger first`)
      c.state.flows.delete(f.id)
      return noContent
    }
  }
]
