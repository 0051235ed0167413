/**
 * Runs the workflow executions raised by workitem events (docs/genesys-api.md §9.4): after the API has answered, in
 * event order per workitem, each callData action calls its Data Action's request (Velocity `${input.X}`
 * substitution, Basic auth from the integration's basicAuth credential, the action's timeout) with fetch; a non-2xx
 * answer or a network error is retried after each delay of `retryDelaysMs`, then the execution is recorded as failed.
 */
import type { CallDataAction, DataAction, Integration, State, WorkflowExecution } from "./State.js"
import { type Json, isObject } from "./validate.js"

/** Delays before each retry of a failed Data Action call (the emulator's choice; Genesys's is unverified). */
export const DEFAULT_RETRY_DELAYS_MS: ReadonlyArray<number> = [250, 1000, 4000]
/** Timeout of a Data Action call whose config has no `timeoutSeconds` (the emulator's choice). */
const DEFAULT_TIMEOUT_SECONDS = 60

export interface Dispatcher {
  /** Start running the executions raised since the last call (cheap when there are none). */
  readonly kick: () => void
  /** Resolves once no execution is pending or running. */
  readonly idle: () => Promise<void>
  /** Stop: running calls are aborted, nothing more is started. */
  readonly close: () => void
}

const esc = (s: string): string => JSON.stringify(s).slice(1, -1)

/** Velocity's `${input.X}`, `$!{input.X}`, `$input.X`, `$esc.jsonString(...)` and `${credentials.X}` (the subset used). */
export const renderTemplate = (
  template: string,
  input: Readonly<Record<string, string>>,
  credentials: Readonly<Record<string, string>>
): string =>
  template
    .replace(/\$esc\.jsonString\(\s*\$!?\{?input\.(\w+)\}?\s*\)/g, (_, n: string) => esc(input[n] ?? ""))
    .replace(/\$(!?)\{input\.(\w+)\}|\$input\.(\w+)/g, (whole, bang: string, a?: string, b?: string) => {
      const v = input[(a ?? b) as string]
      return v ?? (bang === "!" ? "" : whole)
    })
    .replace(
      /\$(!?)\{credentials\.(\w+)\}/g,
      (whole, bang: string, n: string) => credentials[n] ?? (bang === "!" ? "" : whole)
    )

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const t = setTimeout(done, ms)
    function done(): void {
      clearTimeout(t)
      signal.removeEventListener("abort", done)
      resolve()
    }
    signal.addEventListener("abort", done)
  })

interface Resolved {
  readonly integration: Integration
  readonly action: DataAction
}

const resolve = (s: State, a: CallDataAction): Resolved | string => {
  const integration = [...s.integrations.values()].find((i) => i.name === a.integrationName)
  if (integration === undefined) return `integration "${a.integrationName}" was not found`
  const action = [...s.actions.values()].find((x) => x.integrationId === integration.id && x.name === a.actionName)
  if (action === undefined) return `data action "${a.actionName}" of integration "${a.integrationName}" was not found`
  return { integration, action }
}

/** The request one callData action makes: URL, method, headers (with Authorization), body, timeout. */
const requestOf = (s: State, r: Resolved, a: CallDataAction, event: Json) => {
  const input: Record<string, string> = {}
  for (const [k, v] of Object.entries(a.inputs)) input[k] = v.kind === "eventJson" ? JSON.stringify(event) : v.value
  if (!("rawRequest" in input)) input["rawRequest"] = JSON.stringify(input)
  const fields: Record<string, string> = {}
  let basic: string | undefined
  for (const ref of Object.values(r.integration.config.credentials)) {
    const cred = s.credentials.get(ref.id)
    if (cred === undefined) continue
    Object.assign(fields, cred.credentialFields)
    if (cred.typeName === "basicAuth")
      basic = Buffer.from(
        `${cred.credentialFields["userName"] ?? ""}:${cred.credentialFields["password"] ?? ""}`
      ).toString("base64")
  }
  const config = r.action.config
  const req = (isObject(config["request"]) ? config["request"] : {}) as Json
  const method = String(req["requestType"] ?? "POST")
  const url = renderTemplate(String(req["requestUrlTemplate"] ?? ""), input, fields)
  const headers: Record<string, string> = {}
  if (isObject(req["headers"]))
    for (const [k, v] of Object.entries(req["headers"])) headers[k] = renderTemplate(String(v), input, fields)
  const lower = new Set(Object.keys(headers).map((k) => k.toLowerCase()))
  if (basic !== undefined && !lower.has("authorization")) headers["Authorization"] = `Basic ${basic}`
  const hasBody = method !== "GET" && method !== "DELETE"
  const body = hasBody
    ? renderTemplate(
        typeof req["requestTemplate"] === "string" ? req["requestTemplate"] : "${input.rawRequest}",
        input,
        fields
      )
    : undefined
  if (hasBody && !lower.has("content-type")) headers["Content-Type"] = "application/json"
  const timeout = typeof config["timeoutSeconds"] === "number" ? config["timeoutSeconds"] : DEFAULT_TIMEOUT_SECONDS
  return { method, url, headers, body, timeoutMs: timeout * 1000 }
}

export const makeDispatcher = (
  state: State,
  retryDelaysMs: () => ReadonlyArray<number>,
  nowIso: () => string
): Dispatcher => {
  const tails = new Map<string, Promise<void>>()
  const controller = new AbortController()
  let running = 0
  let waiters: Array<() => void> = []
  const settle = (): void => {
    if (running > 0 || state.pendingExecutions.length > 0) return
    const w = waiters
    waiters = []
    for (const f of w) f()
  }

  /** Calls one action, retrying; returns the outcome of its last attempt. */
  const callAction = async (
    x: WorkflowExecution,
    a: CallDataAction
  ): Promise<{ ok: boolean; httpStatus?: number; error?: string }> => {
    const r = resolve(state, a)
    if (typeof r === "string") return { ok: false, error: `${a.name}: ${r}` }
    const req = requestOf(state, r, a, x.event)
    const delays = retryDelaysMs()
    let last: { ok: boolean; httpStatus?: number; error?: string } = { ok: false }
    for (let attempt = 0; attempt <= delays.length; attempt++) {
      if (controller.signal.aborted) return { ...last, error: "the emulator closed" }
      if (attempt > 0) await sleep(delays[attempt - 1] ?? 0, controller.signal)
      if (controller.signal.aborted) return { ...last, error: "the emulator closed" }
      x.attempts++
      try {
        const res = await fetch(req.url, {
          method: req.method,
          headers: req.headers,
          ...(req.body === undefined ? {} : { body: req.body }),
          signal: AbortSignal.any([controller.signal, AbortSignal.timeout(req.timeoutMs)])
        })
        await res.arrayBuffer().catch(() => undefined)
        x.httpStatus = res.status
        if (res.ok) return { ok: true, httpStatus: res.status }
        last = { ok: false, httpStatus: res.status, error: `${a.name}: HTTP ${res.status}` }
      } catch (e) {
        delete x.httpStatus
        const why = e instanceof Error ? (e.name === "TimeoutError" ? "timed out" : e.message) : String(e)
        last = { ok: false, error: `${a.name}: ${why}` }
      }
    }
    return last
  }

  const run = async (x: WorkflowExecution): Promise<void> => {
    if (controller.signal.aborted) return
    x.status = "running"
    const flow = state.flows.get(x.flowId)
    const errors: Array<string> = []
    if (flow === undefined) errors.push(`flow ${x.flowId} was not found`)
    const needsJson = flow?.actions.some((a) => Object.values(a.inputs).some((i) => i.kind === "eventJson")) === true
    if (needsJson && x.dataFormat !== "Json")
      errors.push(
        `the workflow reads Flow.jsonData, which is set only when the trigger's workflowTargetSettings.dataFormat is Json (it is ${x.dataFormat})`
      )
    for (const a of errors.length > 0 ? [] : (flow?.actions ?? [])) {
      const outcome = await callAction(x, a)
      if (!outcome.ok && outcome.error !== undefined) errors.push(outcome.error)
    }
    x.status = errors.length === 0 ? "succeeded" : "failed"
    if (errors.length > 0) x.error = errors.join("; ")
    x.dateFinished = nowIso()
  }

  const kick = (): void => {
    while (state.pendingExecutions.length > 0) {
      const x = state.pendingExecutions.shift() as WorkflowExecution
      running++
      const next = (tails.get(x.workitemId) ?? Promise.resolve())
        .then(() => run(x))
        .catch(() => undefined)
        .finally(() => {
          running--
          if (tails.get(x.workitemId) === next) tails.delete(x.workitemId)
          settle()
        })
      tails.set(x.workitemId, next)
    }
  }

  return {
    kick,
    idle: () =>
      new Promise<void>((resolve) => {
        kick()
        waiters.push(resolve)
        settle()
      }),
    close: () => {
      controller.abort()
      state.pendingExecutions.length = 0
      settle()
    }
  }
}
