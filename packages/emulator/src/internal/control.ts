/** The emulator's HTTP control API under `/__emulator/` (faults, request log, tokens, runtime options, stats). */
import { randomUUID } from "node:crypto"
import type { IncomingMessage, ServerResponse } from "node:http"
import type { RuntimeOptions } from "../Emulator.js"
import type { FaultBook } from "./faultBook.js"
import type { FaultRule } from "./faults.js"
import { readBody, send } from "./http.js"
import type { RequestLog } from "./requestLog.js"
import type { Config } from "./route.js"
import type { State, WorkflowExecution } from "./State.js"

export interface ControlDeps {
  readonly faults: FaultBook
  readonly log: RequestLog
  readonly state: State
  readonly config: Config
  readonly configure: (partial: RuntimeOptions) => void
}

/** An execution as the control API and `emu.workflowExecutions()` show it. */
export const executionView = (x: WorkflowExecution): WorkflowExecution => ({ ...x, event: structuredClone(x.event) })

/** A fault rule posted as JSON: its `path`, when given, is a regular expression's source. */
const faultRuleOf = (body: unknown): FaultRule => {
  const b = (body ?? {}) as Record<string, unknown>
  const p = b["path"]
  let regex: RegExp | undefined
  if (p !== undefined) {
    if (typeof p !== "string") throw new Error("Invalid fault rule: path must be a regular expression string")
    try {
      regex = new RegExp(p)
    } catch {
      throw new Error("Invalid fault rule: path is not a valid regular expression")
    }
  }
  return { ...(b as unknown as FaultRule), ...(regex === undefined ? {} : { path: regex }) }
}

/** The answer of one control route (status and body), or undefined when there is no such route. */
const route = (
  d: ControlDeps,
  req: IncomingMessage,
  m: string,
  path: string,
  body: unknown
): { status: number; body?: unknown } | undefined => {
  switch (`${m} ${path}`) {
    case "POST /__emulator/faults":
      return { status: 201, body: { id: d.faults.add(faultRuleOf(body)) } }
    case "DELETE /__emulator/faults":
      d.faults.clear()
      return { status: 204 }
    case "GET /__emulator/faults":
      return { status: 200, body: { faults: d.faults.listForControl() } }
    case "GET /__emulator/requests": {
      const q = new URL(req.url ?? "/", "http://emulator.invalid").searchParams
      const client = q.get("clientId")
      const since = q.get("since")
      if (since !== null && Number.isNaN(Date.parse(since))) throw new Error("since must be an ISO-8601 instant")
      const from = since === null ? undefined : new Date(Date.parse(since)).toISOString()
      const requests = d.log
        .requests()
        .filter((r) => (client === null || r.clientId === client) && (from === undefined || r.at >= from))
      return { status: 200, body: { requests } }
    }
    case "DELETE /__emulator/requests":
      d.log.clear()
      return { status: 204 }
    case "POST /__emulator/tokens/expire":
      d.state.tokens.clear()
      return { status: 204 }
    case "PATCH /__emulator/config":
      d.configure((body ?? {}) as RuntimeOptions)
      return { status: 200, body: { ...d.config } }
    case "GET /__emulator/config":
      return { status: 200, body: { ...d.config } }
    case "GET /__emulator/workflow-executions": {
      const q = new URL(req.url ?? "/", "http://emulator.invalid").searchParams
      const filters = ["workitemId", "triggerId", "flowId", "status", "operation"] as const
      const executions = d.state.executions
        .filter((x) => filters.every((f) => q.get(f) === null || x[f] === q.get(f)))
        .map(executionView)
      return { status: 200, body: { executions } }
    }
    case "DELETE /__emulator/workflow-executions":
      d.state.executions.length = 0
      return { status: 204 }
    case "GET /__emulator/stats":
      return { status: 200, body: d.log.stats() }
    default:
      return undefined
  }
}

export const controlApi =
  (d: ControlDeps) =>
  async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    const id = randomUUID()
    const raw = await readBody(req)
    let body: unknown
    try {
      body = raw === "too-large" || raw.length === 0 ? undefined : JSON.parse(raw.toString("utf8"))
    } catch {
      send(res, 400, { message: "body is not valid JSON" }, id)
      return
    }
    const m = req.method ?? "GET"
    try {
      const answer = route(d, req, m, path, body)
      if (answer === undefined) send(res, 404, { message: `No control route ${m} ${path}` }, id)
      else send(res, answer.status, answer.body, id)
    } catch (e) {
      send(res, 400, { message: e instanceof Error ? e.message : String(e) }, id)
    }
  }
