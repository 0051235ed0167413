/**
 * The Genesys Cloud emulator server: the vendor's paths, bodies, limits, error body and headers for the API subset
 * Workbridge uses, plus an HTTP control API under `/__emulator/` for tests and chaos runs.
 */
import { randomUUID } from "node:crypto"
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http"
import type { AddressInfo, Socket } from "node:net"
import { KNOWN_PERMISSIONS, authRoutes, authenticate, checkPermissions, issueToken, policiesFor } from "./internal/auth.js"
import { ApiError, codeForStatus } from "./internal/errors.js"
import { type ActiveFault, type FaultRule, TRANSIENT_FAULTS, checkFaultRule, pathMatches, prng } from "./internal/faults.js"
import { bulkRoutes, runDueBulkAddJobs } from "./internal/bulk.js"
import { integrationRoutes } from "./internal/integrations.js"
import type { Config, Ctx, Route } from "./internal/route.js"
import { readStateFile, State, writeStateFile } from "./internal/State.js"
import { taskManagementRoutes } from "./internal/taskmanagement.js"
import { workitemRoutes } from "./internal/workitems.js"

export type { FaultKind, FaultRule } from "./internal/faults.js"
export type { State } from "./internal/State.js"

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

export interface LoggedRequest {
  readonly method: string
  readonly path: string
  /** HTTP status answered; 0 when the connection was hung or dropped by a fault. */
  readonly status: number
  /** ISO instant the request arrived. */
  readonly at: string
  readonly clientId?: string
  /** Route template, e.g. `/api/v2/taskmanagement/workitems/{workitemId}`. */
  readonly route?: string
  /** The fault kind applied, if any. */
  readonly fault?: string
  readonly correlationId: string
}

export interface EmulatorStats {
  /** `"METHOD template"` → status → count. */
  readonly calls: Readonly<Record<string, Readonly<Record<string, number>>>>
  readonly total: number
  readonly rateLimited: number
}

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

const MAX_BODY_BYTES = 1024 * 1024
const MAX_LOG = 100_000

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
    if (v !== undefined && (typeof v !== "string" || v === "")) throw new Error(`Invalid emulator option ${k}: must be a non-empty string`)
  }
  if (o.quiet !== undefined && typeof o.quiet !== "boolean") throw new Error("Invalid emulator option quiet: must be a boolean")
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
export const ROUTES: ReadonlyArray<Route> = [...authRoutes, ...taskManagementRoutes, ...workitemRoutes, ...bulkRoutes, ...integrationRoutes]
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

const readBody = (req: IncomingMessage): Promise<Buffer | "too-large"> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    let size = 0
    let tooLarge = false
    req.on("data", (c: Buffer) => {
      size += c.length
      if (size > MAX_BODY_BYTES) tooLarge = true
      else chunks.push(c)
    })
    req.on("end", () => resolve(tooLarge ? "too-large" : Buffer.concat(chunks)))
    req.on("error", reject)
  })

/**
 * The platform's per-token 429 in its normalized form (developer.genesys.cloud forum "Normalized Platform API 429
 * responses", docs/genesys-api.md §6.4): code `too.many.requests.retry.after`, no `details`, `errors` or `limit`.
 */
const platformRateLimit = (retryAfterSeconds: number): ApiError =>
  new ApiError(429, "too.many.requests.retry.after", `Rate limit exceeded the maximum. Retry the request in [${retryAfterSeconds}] seconds`, {
    headers: { "Retry-After": String(retryAfterSeconds) }
  })

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

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
  if (typeof clock !== "function") throw new Error("Invalid emulator option clock: must be a function returning epoch ms")

  const state = new State()
  const stateFile = options.stateFile
  const saved = stateFile === undefined ? undefined : readStateFile(stateFile)
  if (saved !== undefined) {
    try {
      state.restore(saved)
    } catch (e) {
      throw new Error(`cannot use the emulator state file ${stateFile}: ${e instanceof Error ? e.message : String(e)}; move it away to start empty`)
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

  // The state file: written at most every 100 ms while the organisation changes, and on close.
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
      process.stderr.write(`genesys-emulator: cannot write the state file ${stateFile}: ${e instanceof Error ? e.message : String(e)}\n`)
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
  if (stateFile !== undefined && saved === undefined) {
    dirty = true
    save()
  }

  let faults: Array<ActiveFault> = []
  let log: Array<LoggedRequest> = []
  const calls = new Map<string, Map<number, number>>()
  let total = 0
  let rateLimited = 0
  const sockets = new Set<Socket>()

  const addFault = (rule: FaultRule): string => {
    const r = checkFaultRule(rule)
    const id = randomUUID()
    faults.push({ id, rule: r, path: r.path, remaining: r.count ?? Number.POSITIVE_INFINITY })
    return id
  }

  for (const rule of options.faults ?? []) addFault(rule)

  const configure = (partial: RuntimeOptions): void => {
    if (typeof partial !== "object" || partial === null) throw new Error("Invalid emulator configuration: must be an object")
    const allowed = [
      "tokenTtlSeconds",
      "rateLimitPerMinute",
      "workitemUpdatesPerMinute",
      "dailyWorkitemCreates",
      "dailyWorkitemUpdates",
      "permissionDelaySeconds",
      "quiet",
      "seed"
    ]
    for (const k of Object.keys(partial)) if (!allowed.includes(k)) throw new Error(`Invalid emulator option ${k}: not a runtime option (${allowed.join(", ")})`)
    checkOptions(partial)
    if (partial.tokenTtlSeconds !== undefined) config.tokenTtlSeconds = partial.tokenTtlSeconds
    if (partial.rateLimitPerMinute !== undefined) config.rateLimitPerMinute = partial.rateLimitPerMinute
    if (partial.workitemUpdatesPerMinute !== undefined) config.workitemUpdatesPerMinute = partial.workitemUpdatesPerMinute
    if (partial.dailyWorkitemCreates !== undefined) config.dailyWorkitemCreates = partial.dailyWorkitemCreates
    if (partial.dailyWorkitemUpdates !== undefined) config.dailyWorkitemUpdates = partial.dailyWorkitemUpdates
    if (partial.permissionDelaySeconds !== undefined) config.permissionDelaySeconds = partial.permissionDelaySeconds
    if (partial.quiet !== undefined) config.quiet = partial.quiet
    if (partial.seed !== undefined) random = prng(partial.seed)
  }

  const record = (entry: LoggedRequest, started: number): void => {
    total++
    if (entry.status === 429) rateLimited++
    const key = `${entry.method} ${entry.route ?? "(unmatched)"}`
    let byStatus = calls.get(key)
    if (byStatus === undefined) calls.set(key, (byStatus = new Map()))
    byStatus.set(entry.status, (byStatus.get(entry.status) ?? 0) + 1)
    if (log.length >= MAX_LOG) log = log.slice(MAX_LOG / 2)
    log.push(entry)
    if (!config.quiet)
      process.stdout.write(`${entry.at} ${entry.method} ${entry.path} ${entry.status}${entry.fault === undefined ? "" : ` fault=${entry.fault}`} ${clock() - started}ms\n`)
  }

  const stats = (): EmulatorStats => {
    const out: Record<string, Record<string, number>> = {}
    for (const [k, m] of calls) out[k] = Object.fromEntries([...m].map(([s, n]) => [String(s), n]))
    return { calls: out, total, rateLimited }
  }

  const send = (res: ServerResponse, status: number, body: unknown, correlationId: string, headers: Readonly<Record<string, string>> = {}): void => {
    const h: Record<string, string> = { "inin-correlation-id": correlationId, ...headers }
    if (status === 204 || body === undefined) {
      res.writeHead(status, h)
      res.end()
      return
    }
    const text = JSON.stringify(body)
    res.writeHead(status, { ...h, "Content-Type": "application/json", "Content-Length": String(Buffer.byteLength(text)) })
    res.end(text)
  }

  const sendError = (res: ServerResponse, e: ApiError, correlationId: string): void =>
    send(res, e.status, e.body(correlationId), correlationId, e.headers)

  // --- control API ---

  const control = async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
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
      if (path === "/__emulator/faults" && m === "POST") {
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
        const faultId = addFault({ ...(b as unknown as FaultRule), ...(regex === undefined ? {} : { path: regex }) })
        return send(res, 201, { id: faultId }, id)
      }
      if (path === "/__emulator/faults" && m === "DELETE") {
        faults = []
        return send(res, 204, undefined, id)
      }
      if (path === "/__emulator/faults" && m === "GET")
        return send(res, 200, { faults: faults.map((f) => ({ id: f.id, ...f.rule, path: f.path instanceof RegExp ? f.path.source : f.path })) }, id)
      if (path === "/__emulator/requests" && m === "GET") {
        const q = new URL(req.url ?? "/", "http://emulator.invalid").searchParams
        const client = q.get("clientId")
        const since = q.get("since")
        if (since !== null && Number.isNaN(Date.parse(since))) throw new Error("since must be an ISO-8601 instant")
        const from = since === null ? undefined : new Date(Date.parse(since)).toISOString()
        const requests = log.filter((r) => (client === null || r.clientId === client) && (from === undefined || r.at >= from))
        return send(res, 200, { requests }, id)
      }
      if (path === "/__emulator/requests" && m === "DELETE") {
        log = []
        return send(res, 204, undefined, id)
      }
      if (path === "/__emulator/tokens/expire" && m === "POST") {
        state.tokens.clear()
        return send(res, 204, undefined, id)
      }
      if (path === "/__emulator/config" && m === "PATCH") {
        configure((body ?? {}) as RuntimeOptions)
        return send(res, 200, { ...config }, id)
      }
      if (path === "/__emulator/config" && m === "GET") return send(res, 200, { ...config }, id)
      if (path === "/__emulator/stats" && m === "GET") return send(res, 200, stats(), id)
      send(res, 404, { message: `No control route ${m} ${path}` }, id)
    } catch (e) {
      send(res, 400, { message: e instanceof Error ? e.message : String(e) }, id)
    }
  }

  // --- Genesys surface ---

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = clock()
    const at = new Date(started).toISOString()
    const correlationId = randomUUID()
    const method = (req.method ?? "GET").toUpperCase()
    const url = new URL(req.url ?? "/", "http://emulator.invalid")
    const path = url.pathname.length > 1 && url.pathname.endsWith("/") ? url.pathname.slice(0, -1) : url.pathname
    if (path === "/__emulator" || path.startsWith("/__emulator/")) return control(req, res, path)

    const isToken = method === "POST" && path === "/oauth/token"
    const found = isToken ? undefined : findRoute(method, path)
    const template = isToken ? "/oauth/token" : found?.route.template
    let clientId: string | undefined
    const done = (status: number, terminalFault?: string): void => {
      const fault = terminalFault ?? (delayed ? "latency" : undefined)
      record(
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

    // faults
    let terminal: ActiveFault | undefined
    let delayed = false
    for (const f of faults) {
      if (f.remaining <= 0) continue
      if (f.rule.method !== undefined && f.rule.method.toUpperCase() !== method) continue
      if (!pathMatches(f, path)) continue
      if ((f.rule.probability ?? 1) < 1 && random() >= (f.rule.probability ?? 1)) continue
      f.remaining--
      if (f.rule.kind === "latency") {
        delayed = true
        await sleep(f.rule.latencyMs ?? 0)
      } else {
        terminal = f
        break
      }
    }
    faults = faults.filter((f) => f.remaining > 0)
    // `lostResponse`: the request is handled as usual (its effect stays) but its answer is never sent.
    const lost = terminal?.rule.kind === "lostResponse"
    if (lost) terminal = undefined
    const reply = (status: number, answer: () => void): void => {
      if (lost) {
        done(0, "lostResponse")
        return
      }
      answer()
      done(status)
    }
    if (terminal !== undefined) {
      const r = terminal.rule
      if (r.kind === "hang") {
        done(0, "hang")
        req.resume()
        return
      }
      if (r.kind === "drop") {
        done(0, "drop")
        req.socket.destroy()
        return
      }
      if (r.kind === "statusConcurrency" || r.kind === "versionConflict") {
        const t = TRANSIENT_FAULTS[r.kind]
        const status = r.kind === "statusConcurrency" ? TRANSIENT_FAULTS.statusConcurrency.status : (r.status ?? 409)
        sendError(res, new ApiError(status, r.kind === "versionConflict" && status === 400 ? "bad.request" : t.code, t.message), correlationId)
        req.resume()
        done(status, r.kind)
        return
      }
      const status = r.kind === "rateLimit" ? 429 : (r.status ?? 500)
      const retryAfter = r.retryAfterSeconds ?? 1
      const headers: Record<string, string> = status === 429 ? { "Retry-After": String(retryAfter) } : {}
      // An injected 429 is the platform's normalized one (docs/genesys-api.md §6.4).
      const error = status === 429 ? platformRateLimit(retryAfter) : new ApiError(status, codeForStatus(status), `Injected fault: ${status}`, { headers })
      sendError(res, error, correlationId)
      req.resume()
      done(status, r.kind)
      return
    }

    const raw = await readBody(req)
    try {
      if (raw === "too-large") throw new ApiError(413, "request.entity.too.large", `The request body exceeds ${MAX_BODY_BYTES} bytes`)
      const now = clock()
      if (isToken) {
        const result = issueToken(
          state,
          { authorization: req.headers.authorization, contentType: req.headers["content-type"], body: raw.toString("utf8") },
          now,
          config.tokenTtlSeconds
        )
        if ("clientId" in result) clientId = result.clientId
        reply(result.status, () => send(res, result.status, result.body, correlationId, { "Cache-Control": "no-store" }))
        return
      }
      if (found === undefined) throw new ApiError(404, "not.found", `Resource not found: ${method} ${path}`)
      const auth = authenticate(state, req.headers.authorization, now)
      clientId = auth.clientId
      // per-token rate limit (docs/genesys-api.md §6.2)
      let win = state.tokenWindows.get(auth.token)
      if (win === undefined || now - win.start >= 60_000) state.tokenWindows.set(auth.token, (win = { start: now, count: 0 }))
      if (win.count >= config.rateLimitPerMinute) {
        throw platformRateLimit(Math.max(1, Math.ceil((win.start + 60_000 - now) / 1000)))
      }
      win.count++
      checkPermissions(state, auth.clientId, found.route.permissions, now)
      let body: unknown
      if (raw.length > 0) {
        const ct = req.headers["content-type"] ?? ""
        if (!ct.toLowerCase().includes("json")) throw new ApiError(415, "unsupported.media.type", "Content-Type must be application/json")
        try {
          body = JSON.parse(raw.toString("utf8"))
        } catch {
          throw new ApiError(400, "bad.request", "The request body is not valid JSON")
        }
      }
      const ctx: Ctx = { params: found.params, query: url.searchParams, body, state, config, clientId: auth.clientId, now, nowIso: new Date(now).toISOString(), path }
      // Queued bulk add jobs run on the first request handled after their delay (docs/genesys-api.md §2.12).
      if (runDueBulkAddJobs(ctx)) changed()
      const result = found.route.handler(ctx)
      reply(result.status, () => send(res, result.status, result.body, correlationId))
      // Every successful call but a read may have changed the organisation (queries are POSTs: harmless).
      if (method !== "GET" && result.status < 300) changed()
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError(500, "internal.server.error", "The emulator failed to handle the request")
      if (!(e instanceof ApiError) && !config.quiet) process.stderr.write(`${String(e instanceof Error ? e.stack : e)}\n`)
      reply(err.status, () => sendError(res, err, correlationId))
    }
  }

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
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(options.port ?? DEFAULTS.port, host, () => {
      server.off("error", reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port

  return {
    url: `http://${host}:${port}`,
    port,
    adminClientId,
    adminClientSecret,
    state,
    close: () =>
      new Promise<void>((resolve, reject) => {
        save()
        for (const s of sockets) s.destroy()
        server.close((err) => (err === undefined ? resolve() : reject(err)))
      }),
    faults: {
      add: addFault,
      clear: () => {
        faults = []
      },
      list: () => faults.map((f) => ({ id: f.id, ...f.rule }))
    },
    requests: () => log.slice(),
    clearRequests: () => {
      log = []
    },
    stats,
    expireAllTokens: () => state.tokens.clear(),
    configure
  }
}
