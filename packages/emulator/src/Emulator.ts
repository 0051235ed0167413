/**
 * The Genesys Cloud emulator server: the vendor's paths, bodies, limits, error body and headers for the API subset
 * Workbridge uses, plus an HTTP control API under `/__emulator/` for tests and chaos runs.
 */
import { randomUUID } from "node:crypto"
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http"
import type { AddressInfo, Socket } from "node:net"
import {
  KNOWN_PERMISSIONS,
  authRoutes,
  authenticate,
  checkPermissions,
  issueToken,
  policiesFor
} from "./internal/auth.js"
import { bulkRoutes, runDueBulkAddJobs } from "./internal/bulk.js"
import { controlApi, executionView } from "./internal/control.js"
import { DEFAULT_RETRY_DELAYS_MS, type Dispatcher, makeDispatcher } from "./internal/dispatch.js"
import { ApiError, platformRateLimit } from "./internal/errors.js"
import { answerFault, type FaultBook, makeFaultBook } from "./internal/faultBook.js"
import { type FaultRule, prng } from "./internal/faults.js"
import { flowRoutes, receiveFlowUpload, UPLOAD_PREFIX, UPLOAD_TOKEN_HEADER } from "./internal/flows.js"
import { MAX_BODY_BYTES, readBody, send, sendError } from "./internal/http.js"
import { integrationRoutes } from "./internal/integrations.js"
import { type EmulatorStats, type LoggedRequest, makeRequestLog, type RequestLog } from "./internal/requestLog.js"
import type { Config, Ctx, Route } from "./internal/route.js"
import { readStateFile, State, type WorkflowExecution, writeStateFile } from "./internal/State.js"
import { taskManagementRoutes } from "./internal/taskmanagement.js"
import { triggerRoutes } from "./internal/triggers.js"
import { workitemRoutes } from "./internal/workitems.js"

export type { FaultKind, FaultRule } from "./internal/faults.js"
export type { State, WorkflowExecution } from "./internal/State.js"
export type { EmulatorStats, LoggedRequest } from "./internal/requestLog.js"

export interface EmulatorOptions {
  /** 0 = a random free port (default). */
  port?: number
  /** Default 127.0.0.1. */
  host?: string
  /** Seeded admin client id; default `workbridge-admin`. */
  adminClientId?: string
  /** Seeded admin client secret; default `workbridge-admin-secret`. */
  adminClientSecret?: string
  /** Token lifetime for every client; default: the client's `accessTokenValiditySeconds` − 1 (86399 for the admin). */
  tokenTtlSeconds?: number
  /** Requests per minute per token; default 300. */
  rateLimitPerMinute?: number
  /** Updates per minute per workitem; default 60. */
  workitemUpdatesPerMinute?: number
  /** Workitem creations per UTC day, organisation-wide; default 100000. */
  dailyWorkitemCreates?: number
  /** Workitem updates per UTC day, organisation-wide; default 1000000. */
  dailyWorkitemUpdates?: number
  /** Seconds a role change (a role's permission policies, a client's roles) takes to apply; default 0 (at once). */
  permissionDelaySeconds?: number
  /** When false, log one line per request to stdout. Default true. */
  quiet?: boolean
  /** Seed of the PRNG that draws fault probabilities; default 1. */
  seed?: number
  /** Clock in epoch ms (for tests of token expiry and throttle windows); default `Date.now`. */
  clock?: () => number
  /** Fault rules active from the start (a whole chaos run). */
  faults?: ReadonlyArray<FaultRule>
  /**
   * A JSON file that keeps the organisation across restarts: loaded at start when it exists, written (atomically)
   * within 100 ms after each successful change and on `close()`. Tokens, throttle windows, faults and the request
   * log are not kept. Default: none (the organisation lives in memory only).
   */
  stateFile?: string
  /**
   * Delays (ms) before each retry of a workflow's failed Data Action call (non-2xx or network error); the number of
   * entries is the number of retries. Default [250, 1000, 4000].
   */
  workflowRetryDelaysMs?: ReadonlyArray<number>
}

/** Options that can change while the emulator runs. */
export type RuntimeOptions = Pick<
  EmulatorOptions,
  | "tokenTtlSeconds"
  | "rateLimitPerMinute"
  | "workitemUpdatesPerMinute"
  | "dailyWorkitemCreates"
  | "dailyWorkitemUpdates"
  | "permissionDelaySeconds"
  | "quiet"
  | "seed"
>

export interface Emulator {
  readonly url: string
  readonly port: number
  readonly adminClientId: string
  readonly adminClientSecret: string
  close(): Promise<void>
  readonly faults: { add(rule: FaultRule): string; clear(): void; list(): ReadonlyArray<FaultRule & { id: string }> }
  requests(): ReadonlyArray<LoggedRequest>
  clearRequests(): void
  stats(): EmulatorStats
  /** Makes every issued token invalid (the next call with one answers 401). */
  expireAllTokens(): void
  /** Changes runtime options; throws an Error naming a bad option and changes nothing then. */
  configure(partial: RuntimeOptions): void
  /** The in-memory organisation, for assertions. Do not mutate. */
  readonly state: State
  /** Workflow executions started by triggers, oldest first (as `GET /__emulator/workflow-executions`). */
  workflowExecutions(): ReadonlyArray<WorkflowExecution>
  /** Resolves once every raised workflow execution has finished (succeeded or failed). */
  workflowsIdle(): Promise<void>
}

export const DEFAULTS = {
  port: 0,
  host: "127.0.0.1",
  adminClientId: "workbridge-admin",
  adminClientSecret: "workbridge-admin-secret",
  rateLimitPerMinute: 300,
  workitemUpdatesPerMinute: 60,
  dailyWorkitemCreates: 100_000,
  dailyWorkitemUpdates: 1_000_000,
  permissionDelaySeconds: 0,
  seed: 1
} as const

const checkOptions = (o: EmulatorOptions): void => {
  const int = (k: keyof EmulatorOptions, min: number, max = Number.MAX_SAFE_INTEGER): void => {
    const v = o[k]
    if (v !== undefined && (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max))
      throw new Error(`Invalid emulator option ${k}: must be a whole number in ${min}..${max} (got ${String(v)})`)
  }
  int("port", 0, 65_535)
  int("tokenTtlSeconds", 1)
  int("rateLimitPerMinute", 1)
  int("workitemUpdatesPerMinute", 1)
  int("dailyWorkitemCreates", 1)
  int("dailyWorkitemUpdates", 1)
  int("permissionDelaySeconds", 0, 86_400)
  int("seed", 0, 2 ** 32 - 1)
  for (const k of ["host", "adminClientId", "adminClientSecret", "stateFile"] as const) {
    const v = o[k]
    if (v !== undefined && (typeof v !== "string" || v === ""))
      throw new Error(`Invalid emulator option ${k}: must be a non-empty string`)
  }
  if (o.quiet !== undefined && typeof o.quiet !== "boolean")
    throw new Error("Invalid emulator option quiet: must be a boolean")
  const delays = o.workflowRetryDelaysMs
  if (
    delays !== undefined &&
    (!Array.isArray(delays) ||
      delays.length > 10 ||
      delays.some((d) => typeof d !== "number" || !Number.isInteger(d) || d < 0 || d > 60_000))
  )
    throw new Error("Invalid emulator option workflowRetryDelaysMs: must be at most 10 whole numbers in 0..60000")
}

interface Compiled {
  readonly route: Route
  readonly regex: RegExp
  readonly names: ReadonlyArray<string>
}

const compile = (routes: ReadonlyArray<Route>): ReadonlyArray<Compiled> =>
  routes
    .map((route) => {
      const names: Array<string> = []
      const pattern = route.template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{(\w+)\}/g, (_, n: string) => {
        names.push(n)
        return "([^/]+)"
      })
      return { route, regex: new RegExp(`^${pattern}$`), names }
    })
    .sort((a, b) => a.names.length - b.names.length)

/** Every Genesys route the emulator serves (besides `POST /oauth/token`). */
export const ROUTES: ReadonlyArray<Route> = [
  ...authRoutes,
  ...taskManagementRoutes,
  ...workitemRoutes,
  ...bulkRoutes,
  ...integrationRoutes,
  ...triggerRoutes,
  ...flowRoutes
]
const COMPILED = compile(ROUTES)

const findRoute = (method: string, path: string): { route: Route; params: Record<string, string> } | undefined => {
  for (const c of COMPILED) {
    if (c.route.method !== method) continue
    const m = c.regex.exec(path)
    if (m === null) continue
    const params: Record<string, string> = {}
    c.names.forEach((n, i) => {
      params[n] = decodeURIComponent(m[i + 1] ?? "")
    })
    return { route: c.route, params }
  }
  return undefined
}

/** The organisation at start: the state file's when there is one, and the admin client and its role seeded. */
const seedOrganisation = (options: EmulatorOptions, adminClientId: string, adminClientSecret: string) => {
  const state = new State()
  const stateFile = options.stateFile
  const saved = stateFile === undefined ? undefined : readStateFile(stateFile)
  if (saved !== undefined) {
    try {
      state.restore(saved)
    } catch (e) {
      throw new Error(
        `cannot use the emulator state file ${stateFile}: ${e instanceof Error ? e.message : String(e)}; move it away to start empty`
      )
    }
  }
  // The admin client and its role are seeded on every start (a kept state keeps their ids, takes the configured secret).
  const keptAdmin = state.clients.get(adminClientId)
  const keptRoleId = keptAdmin?.roleDivisions[0]?.roleId
  const adminRole = {
    id: keptRoleId !== undefined && state.roles.has(keptRoleId) ? keptRoleId : state.newId(),
    name: "Workbridge emulator admin",
    permissionPolicies: policiesFor(KNOWN_PERMISSIONS),
    permissions: []
  }
  state.roles.set(adminRole.id, adminRole)
  const seededAt = keptAdmin?.dateCreated ?? new Date().toISOString()
  state.clients.set(adminClientId, {
    id: adminClientId,
    name: "Emulator admin",
    secret: adminClientSecret,
    authorizedGrantType: "CLIENT-CREDENTIALS",
    accessTokenValiditySeconds: 86_400,
    roleDivisions: [{ roleId: adminRole.id, divisionId: state.homeDivision.id }],
    scope: [],
    registeredRedirectUri: [],
    state: "active",
    dateCreated: seededAt,
    dateModified: seededAt
  })
  return { state, restored: saved !== undefined }
}

/** The state file: written at most every 100 ms while the organisation changes, and on close (`save`). */
const stateSaver = (stateFile: string | undefined, state: State, restored: boolean) => {
  let dirty = false
  let saveTimer: ReturnType<typeof setTimeout> | undefined
  const save = (): void => {
    if (saveTimer !== undefined) clearTimeout(saveTimer)
    saveTimer = undefined
    if (stateFile === undefined || !dirty) return
    dirty = false
    try {
      writeStateFile(stateFile, state.toSnapshot())
    } catch (e) {
      process.stderr.write(
        `genesys-emulator: cannot write the state file ${stateFile}: ${e instanceof Error ? e.message : String(e)}\n`
      )
    }
  }
  const changed = (): void => {
    if (stateFile === undefined) return
    dirty = true
    if (saveTimer === undefined) {
      saveTimer = setTimeout(save, 100)
      saveTimer.unref()
    }
  }
  if (stateFile !== undefined && !restored) {
    dirty = true
    save()
  }
  return { save, changed }
}

const RUNTIME_OPTIONS: ReadonlyArray<keyof RuntimeOptions> = [
  "tokenTtlSeconds",
  "rateLimitPerMinute",
  "workitemUpdatesPerMinute",
  "dailyWorkitemCreates",
  "dailyWorkitemUpdates",
  "permissionDelaySeconds",
  "quiet",
  "seed"
]

/** Change runtime options; a bad one throws an Error naming it and changes nothing. */
const configurer =
  (config: Config, reseed: (seed: number) => void) =>
  (partial: RuntimeOptions): void => {
    if (typeof partial !== "object" || partial === null)
      throw new Error("Invalid emulator configuration: must be an object")
    for (const k of Object.keys(partial))
      if (!(RUNTIME_OPTIONS as ReadonlyArray<string>).includes(k))
        throw new Error(`Invalid emulator option ${k}: not a runtime option (${RUNTIME_OPTIONS.join(", ")})`)
    checkOptions(partial)
    if (partial.tokenTtlSeconds !== undefined) config.tokenTtlSeconds = partial.tokenTtlSeconds
    if (partial.rateLimitPerMinute !== undefined) config.rateLimitPerMinute = partial.rateLimitPerMinute
    if (partial.workitemUpdatesPerMinute !== undefined)
      config.workitemUpdatesPerMinute = partial.workitemUpdatesPerMinute
    if (partial.dailyWorkitemCreates !== undefined) config.dailyWorkitemCreates = partial.dailyWorkitemCreates
    if (partial.dailyWorkitemUpdates !== undefined) config.dailyWorkitemUpdates = partial.dailyWorkitemUpdates
    if (partial.permissionDelaySeconds !== undefined) config.permissionDelaySeconds = partial.permissionDelaySeconds
    if (partial.quiet !== undefined) config.quiet = partial.quiet
    if (partial.seed !== undefined) reseed(partial.seed)
  }

/** What the Genesys surface works with. */
interface Surface {
  readonly state: State
  readonly config: Config
  readonly clock: () => number
  readonly faults: FaultBook
  readonly random: () => number
  readonly log: RequestLog
  /** The organisation may have changed (the state file is written soon). */
  readonly changed: () => void
  /** Runs the workflow executions the last request raised. */
  readonly dispatcher: Dispatcher
}

/** One request that got past the faults: the parsed request and how its answer is sent and logged. */
interface Served {
  readonly req: IncomingMessage
  readonly method: string
  readonly path: string
  readonly url: URL
  readonly isToken: boolean
  readonly found: { route: Route; params: Record<string, string> } | undefined
  readonly correlationId: string
  /** Send the answer (unless its response is to be lost) and log it. */
  readonly reply: (status: number, answer: () => void) => void
  readonly setClient: (clientId: string) => void
}

/** Authenticate, rate-limit (per token), authorize and run the route; or issue a token. */
const serveGenesys = async (s: Surface, res: ServerResponse, r: Served): Promise<void> => {
  const { state, config, req, correlationId } = { ...s, ...r }
  const raw = await readBody(req)
  try {
    if (raw === "too-large")
      throw new ApiError(413, "request.entity.too.large", `The request body exceeds ${MAX_BODY_BYTES} bytes`)
    const now = s.clock()
    if (r.isToken) {
      const result = issueToken(
        state,
        {
          authorization: req.headers.authorization,
          contentType: req.headers["content-type"],
          body: raw.toString("utf8")
        },
        now,
        config.tokenTtlSeconds
      )
      if ("clientId" in result) r.setClient(result.clientId)
      r.reply(result.status, () =>
        send(res, result.status, result.body, correlationId, { "Cache-Control": "no-store" })
      )
      return
    }
    if (r.found === undefined) throw new ApiError(404, "not.found", `Resource not found: ${r.method} ${r.path}`)
    const auth = authenticate(state, req.headers.authorization, now)
    r.setClient(auth.clientId)
    // per-token rate limit (docs/genesys-api.md §6.2)
    let win = state.tokenWindows.get(auth.token)
    if (win === undefined || now - win.start >= 60_000)
      state.tokenWindows.set(auth.token, (win = { start: now, count: 0 }))
    if (win.count >= config.rateLimitPerMinute) {
      throw platformRateLimit(Math.max(1, Math.ceil((win.start + 60_000 - now) / 1000)))
    }
    win.count++
    checkPermissions(state, auth.clientId, r.found.route.permissions, now)
    let body: unknown
    if (raw.length > 0) {
      const ct = req.headers["content-type"] ?? ""
      if (!ct.toLowerCase().includes("json"))
        throw new ApiError(415, "unsupported.media.type", "Content-Type must be application/json")
      try {
        body = JSON.parse(raw.toString("utf8"))
      } catch {
        throw new ApiError(400, "bad.request", "The request body is not valid JSON")
      }
    }
    const ctx: Ctx = {
      params: r.found.params,
      query: r.url.searchParams,
      body,
      state,
      config,
      clientId: auth.clientId,
      now,
      nowIso: new Date(now).toISOString(),
      path: r.path,
      origin: `http://${req.headers.host ?? "127.0.0.1"}`
    }
    // Queued bulk add jobs run on the first request handled after their delay (docs/genesys-api.md §2.12).
    if (runDueBulkAddJobs(ctx)) s.changed()
    const result = r.found.route.handler(ctx)
    r.reply(result.status, () => send(res, result.status, result.body, correlationId))
    // Workflow executions the request raised run now that it has been answered (docs/genesys-api.md §9.4).
    s.dispatcher.kick()
    // Every successful call but a read may have changed the organisation (queries are POSTs: harmless).
    if (r.method !== "GET" && result.status < 300) s.changed()
  } catch (e) {
    const err =
      e instanceof ApiError
        ? e
        : new ApiError(500, "internal.server.error", "The emulator failed to handle the request")
    if (!(e instanceof ApiError) && !config.quiet) process.stderr.write(`${String(e instanceof Error ? e.stack : e)}\n`)
    r.reply(err.status, () => sendError(res, err, correlationId))
  }
}

/** The YAML of an Architect import job, PUT to the job's upload URL (no token, as a presigned URL needs none). */
const receiveUpload = async (s: Surface, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
  const id = randomUUID()
  const raw = await readBody(req)
  if (raw === "too-large") return send(res, 413, { message: `The file exceeds ${MAX_BODY_BYTES} bytes` }, id)
  const token = req.headers[UPLOAD_TOKEN_HEADER]
  const answer = receiveFlowUpload(
    s.state,
    decodeURIComponent(path.slice(UPLOAD_PREFIX.length)),
    typeof token === "string" ? token : undefined,
    raw.toString("utf8"),
    new Date(s.clock()).toISOString()
  )
  if (answer.status === 200) s.changed()
  send(res, answer.status, answer.message === undefined ? undefined : { message: answer.message }, id)
}

/** The request handler: the control API, else the faults in force, else the Genesys surface; every request logged. */
const handler =
  (s: Surface, control: (req: IncomingMessage, res: ServerResponse, path: string) => Promise<void>) =>
  async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = s.clock()
    const at = new Date(started).toISOString()
    const correlationId = randomUUID()
    const method = (req.method ?? "GET").toUpperCase()
    const url = new URL(req.url ?? "/", "http://emulator.invalid")
    const path = url.pathname.length > 1 && url.pathname.endsWith("/") ? url.pathname.slice(0, -1) : url.pathname
    if (method === "PUT" && path.startsWith(UPLOAD_PREFIX)) return receiveUpload(s, req, res, path)
    if (path === "/__emulator" || path.startsWith("/__emulator/")) return control(req, res, path)

    const isToken = method === "POST" && path === "/oauth/token"
    const found = isToken ? undefined : findRoute(method, path)
    const template = isToken ? "/oauth/token" : found?.route.template
    let clientId: string | undefined
    const { delayed, terminal } = await s.faults.draw(method, path, s.random)
    const done = (status: number, terminalFault?: string): void => {
      const fault = terminalFault ?? (delayed ? "latency" : undefined)
      s.log.record(
        {
          method,
          path,
          status,
          at,
          correlationId,
          ...(clientId === undefined ? {} : { clientId }),
          ...(template === undefined ? {} : { route: template }),
          ...(fault === undefined ? {} : { fault })
        },
        started
      )
    }
    // `lostResponse`: the request is handled as usual (its effect stays) but its answer is never sent.
    const lost = terminal?.rule.kind === "lostResponse"
    if (terminal !== undefined && !lost)
      return done(answerFault(req, res, terminal.rule, correlationId), terminal.rule.kind)
    const reply = (status: number, answer: () => void): void => {
      if (lost) return done(0, "lostResponse")
      answer()
      done(status)
    }
    const setClient = (id: string): void => {
      clientId = id
    }
    return serveGenesys(s, res, { req, method, path, url, isToken, found, correlationId, reply, setClient })
  }

const listen = async (server: Server, host: string, port: number): Promise<number> => {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(port, host, () => {
      server.off("error", reject)
      resolve()
    })
  })
  return (server.address() as AddressInfo).port
}

/** Starts an emulator; resolves once it listens. */
export const startEmulator = async (options: EmulatorOptions = {}): Promise<Emulator> => {
  checkOptions(options)
  const adminClientId = options.adminClientId ?? DEFAULTS.adminClientId
  const adminClientSecret = options.adminClientSecret ?? DEFAULTS.adminClientSecret
  const config: Config = {
    tokenTtlSeconds: options.tokenTtlSeconds,
    rateLimitPerMinute: options.rateLimitPerMinute ?? DEFAULTS.rateLimitPerMinute,
    workitemUpdatesPerMinute: options.workitemUpdatesPerMinute ?? DEFAULTS.workitemUpdatesPerMinute,
    dailyWorkitemCreates: options.dailyWorkitemCreates ?? DEFAULTS.dailyWorkitemCreates,
    dailyWorkitemUpdates: options.dailyWorkitemUpdates ?? DEFAULTS.dailyWorkitemUpdates,
    permissionDelaySeconds: options.permissionDelaySeconds ?? DEFAULTS.permissionDelaySeconds,
    quiet: options.quiet ?? true
  }
  let random = prng(options.seed ?? DEFAULTS.seed)
  const clock = options.clock ?? Date.now
  if (typeof clock !== "function")
    throw new Error("Invalid emulator option clock: must be a function returning epoch ms")

  const { state, restored } = seedOrganisation(options, adminClientId, adminClientSecret)
  const { save, changed } = stateSaver(options.stateFile, state, restored)
  const faults = makeFaultBook()
  for (const rule of options.faults ?? []) faults.add(rule)
  const log = makeRequestLog(config, clock)
  const configure = configurer(config, (seed) => {
    random = prng(seed)
  })
  const retryDelays = options.workflowRetryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS
  const dispatcher = makeDispatcher(
    state,
    () => retryDelays,
    () => new Date(clock()).toISOString()
  )
  const surface: Surface = { state, config, clock, faults, random: () => random(), log, changed, dispatcher }
  const handle = handler(surface, controlApi({ faults, log, state, config, configure }))

  const sockets = new Set<Socket>()
  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end()
    })
  })
  server.on("connection", (s: Socket) => {
    sockets.add(s)
    s.on("close", () => sockets.delete(s))
  })
  const host = options.host ?? DEFAULTS.host
  const port = await listen(server, host, options.port ?? DEFAULTS.port)

  return {
    url: `http://${host}:${port}`,
    port,
    adminClientId,
    adminClientSecret,
    state,
    close: () =>
      new Promise<void>((resolve, reject) => {
        save()
        dispatcher.close()
        for (const s of sockets) s.destroy()
        server.close((err) => (err === undefined ? resolve() : reject(err)))
      }),
    faults: { add: faults.add, clear: faults.clear, list: faults.list },
    requests: log.requests,
    clearRequests: log.clear,
    stats: log.stats,
    expireAllTokens: () => state.tokens.clear(),
    configure,
    workflowExecutions: () => state.executions.map((x) => executionView(x)),
    workflowsIdle: dispatcher.idle
  }
}
