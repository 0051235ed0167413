/**
 * The HTTP edge (Express 5): thin handlers over the engine's ports, one error handler at the end that maps
 * typed errors to statuses and JSON bodies. `makeApp` never listens.
 */
import { type Adapter, constantTimeEqual, makeGenericAdapter, type SourceCredentials } from "@workbridge/adapters"
import type { Catalog, TicketEvent } from "@workbridge/catalog"
import { Effect, Either, type Tracer } from "effect"
import express from "express"
import type { Logger } from "pino"
import { type CrashPoint, secretVariableFor } from "./Config.js"
import type { EngineService } from "./Engine.js"
import type { Feeds } from "./Feeds.js"
import { crashIfAt } from "./Engine.js"
import { storeCannotWrite } from "./Errors.js"
import { acceptPromiseOf, type InboxService } from "./Inbox.js"
import type { LinkStoreService } from "./LinkStore.js"
import type { ServiceMetrics } from "./Metrics.js"
import { type RequestSpan, startRequestSpan, tracedAccept } from "./Tracing.js"

/** A failure the edge answers with `status` and `{ error: code, message }`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {}
  ) {
    super(message)
  }
}

export interface AppDeps {
  readonly catalog: Catalog
  /** Source name → adapter (built-ins and configured generic sources). */
  readonly sources: Readonly<Record<string, Adapter>>
  /** Source name → configured credentials. */
  readonly credentials: Readonly<Record<string, SourceCredentials>>
  readonly inbox: InboxService
  readonly links: LinkStoreService
  readonly engine: EngineService
  readonly metrics: ServiceMetrics
  readonly log: Logger
  /** Readiness beyond the inbox: Genesys reachable and authenticated. Rejects with the reason. */
  readonly genesysReady: () => Promise<void>
  /** Refresh gauges before /metrics renders. */
  readonly refreshGauges: () => Promise<void>
  /** Operations whose 403s are retried while permissions propagate; `/readyz` lists them (they do not fail it). */
  readonly permissionWaits?: () => ReadonlyArray<{ readonly operation: string; readonly since: number; readonly until: number }>
  /** Replaying a `GenesysForbidden` dead letter says the role was changed: a new permission-propagation window. */
  readonly permissionsChanged?: () => void
  readonly inboxRetryAfterSeconds: number
  readonly maxBodyBytes?: number
  readonly dataActions?: express.Router
  readonly crashAt?: CrashPoint
  /** Replay window of timestamped signatures (Zendesk), passed to `verify`; default the adapter's (300 s). */
  readonly webhookToleranceSeconds?: number
  /** Generic source → its signature header (`WEBHOOK_SIGNATURE_HEADER_<SOURCE>`): the source gets a generic adapter reading it. */
  readonly signatureHeaders?: Readonly<Record<string, string>>
  /**
   * `WORKBRIDGE_ADMIN_TOKEN`: when set, `/metrics`, `/tickets/*` and `/dead-letters*` require
   * `Authorization: Bearer <token>`; when unset they are open on a loopback `host` (with a warning) and refused
   * with 403 on any other host unless `adminOpen` is set.
   */
  readonly adminToken?: string
  /** The operator console (mounted at /ops; it checks the admin token itself). */
  readonly ops?: express.Router
  /** `WORKBRIDGE_ADMIN_OPEN=true`: the operator's explicit opt-out, exposing the admin endpoints without a token. */
  readonly adminOpen?: boolean
  /** The address the listener binds (`HOST`); undefined is taken as loopback. */
  readonly host?: string
  /** The helpdesk API feeds: fetch-on-notify for the webhook route, `POST /reconcile/:source` for a pass by hand. */
  readonly feeds?: Feeds
  /** Longest wait of `/readyz` for each of its checks (default 2000 ms): past it, the check reports not ready. */
  readonly readyTimeoutMs?: number
  /**
   * The tracer when tracing is on (Tracing.ts): each webhook request gets a server span and the inbox write an
   * `Inbox.accept` span whose context is stored with the event. Without it the webhook path creates no span.
   */
  readonly tracer?: Tracer.Tracer
}

/** Whether a listener address only accepts connections from this machine. */
export const isLoopbackHost = (host: string | undefined): boolean =>
  host === undefined || host === "localhost" || host === "::1" || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/i.test(host)

/** The variable that exposes the admin endpoints on a non-loopback host without a token. */
export const ADMIN_OPEN_VARIABLE = "WORKBRIDGE_ADMIN_OPEN"

/** The refusals of clients (4xx) are logged at debug, at most this many per window; the rest are counted. */
const CLIENT_LOG_LIMIT = 20
const CLIENT_LOG_WINDOW_MS = 60_000

/** Routes that need the admin token when one is configured. */
const ADMIN_PATHS = ["/metrics", "/tickets", "/dead-letters", "/reconcile", "/backfill"]

/** Constant-time check of an `Authorization: Bearer <token>` header (hashing first hides the length too). */
export const bearerMatches = (header: string | undefined, token: string): boolean => {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "")
  const given = m?.[1] ?? ""
  return constantTimeEqual(given, token) && m !== null
}

/** The sources with `signatureHeaders` applied: each named source becomes a generic adapter reading that header. */
export const withSignatureHeaders = (
  sources: Readonly<Record<string, Adapter>>,
  signatureHeaders: Readonly<Record<string, string>>
): Record<string, Adapter> => {
  const out: Record<string, Adapter> = { ...sources }
  for (const [name, signatureHeader] of Object.entries(signatureHeaders)) out[name] = makeGenericAdapter({ name, signatureHeader })
  return out
}

export const MAX_WEBHOOK_BYTES = 500 * 1024

/** Errors of Express and body-parser that are the client's fault: their own 4xx status and our error code. */
const CLIENT_ERROR_CODES: Readonly<Record<string, string>> = {
  "encoding.unsupported": "UnsupportedEncoding",
  "charset.unsupported": "UnsupportedCharset",
  "request.aborted": "RequestAborted",
  "request.size.invalid": "BadRequest",
  "stream.encoding.set": "BadRequest",
  "entity.parse.failed": "BadJson",
  "entity.verify.failed": "BadRequest"
}

/** A promise that settles within `ms`, else rejects naming what did not answer. */
const within = <A>(promise: Promise<A>, ms: number, what: string): Promise<A> =>
  new Promise<A>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms)
    promise.then(
      (a) => {
        clearTimeout(timer)
        resolve(a)
      },
      (e: unknown) => {
        clearTimeout(timer)
        reject(e instanceof Error ? e : new Error(String(e)))
      }
    )
  })

const run = <A, E>(effect: Effect.Effect<A, E>): Promise<A> =>
  Effect.runPromise(Effect.either(effect)).then((r) => {
    if (Either.isLeft(r)) throw r.left
    return r.right
  })

/** Request headers with list values joined (`set-cookie`, the one header Node keeps as a list). */
const joinedHeaders = (raw: express.Request["headers"]): Record<string, string | undefined> => {
  const headers: Record<string, string | undefined> = {}
  for (const k in raw) {
    const v = raw[k]
    headers[k] = Array.isArray(v) ? v.join(", ") : v
  }
  return headers
}

const hasAny = (creds: SourceCredentials | undefined, adapter: Adapter): boolean =>
  creds !== undefined &&
  adapter.credentialKinds.some((k) =>
    k === "secret" ? (creds.secret ?? "") !== "" : k === "basicAuth" ? (creds.basicAuth ?? "") !== "" : creds.token !== undefined
  )

export const makeApp = (deps: AppDeps): express.Express => {
  const app = express()
  app.disable("x-powered-by")
  app.set("etag", false)
  const maxBody = deps.maxBodyBytes ?? MAX_WEBHOOK_BYTES
  const sources = withSignatureHeaders(deps.sources, deps.signatureHeaders ?? {})
  const crashAfterAccept = deps.crashAt === "after-accept"
  const verifyOptions = deps.webhookToleranceSeconds !== undefined ? { toleranceSeconds: deps.webhookToleranceSeconds } : {}
  // The inbox's accept as a plain Promise when it has one (the SQLite inbox, audited or not): no Effect runtime per
  // webhook. A wrapped inbox without one is run through its Effect `accept`.
  const acceptPromise = acceptPromiseOf(deps.inbox)
  const acceptEvent = acceptPromise ?? ((event: Parameters<InboxService["accept"]>[0]) => run(deps.inbox.accept(event)))

  const readyTimeoutMs = deps.readyTimeoutMs ?? 2000

  // Client errors are logged at debug, rate-limited: unauthenticated requests must not be able to fill the logs.
  let clientLogWindow = 0
  let clientLogged = 0
  let clientSuppressed = 0
  const logClientError = (status: number, code: string, req: express.Request): void => {
    const now = Date.now()
    if (now - clientLogWindow >= CLIENT_LOG_WINDOW_MS) {
      if (clientSuppressed > 0) deps.log.debug({ suppressed: clientSuppressed }, "client errors not logged in the last window")
      clientLogWindow = now
      clientLogged = 0
      clientSuppressed = 0
    }
    if (clientLogged >= CLIENT_LOG_LIMIT) {
      clientSuppressed++
      return
    }
    clientLogged++
    deps.log.debug({ status, error: code, method: req.method, path: req.path.length > 100 ? `${req.path.slice(0, 100)}…` : req.path }, "request refused")
  }

  const adminToken = deps.adminToken
  if (adminToken === undefined && !isLoopbackHost(deps.host) && deps.adminOpen !== true) {
    deps.log.warn(
      { endpoints: ADMIN_PATHS, host: deps.host },
      `WORKBRIDGE_ADMIN_TOKEN is not set and HOST is not loopback: /metrics, /tickets, /dead-letters and /ops answer 403; set WORKBRIDGE_ADMIN_TOKEN to require Authorization: Bearer <token>, or ${ADMIN_OPEN_VARIABLE}=true to expose them without one`
    )
    // The operator console is an admin surface too (it logs in with the same token).
    app.use([...ADMIN_PATHS, "/ops"], (_req, _res, next) => {
      next(
        new HttpError(
          403,
          "AdminDisabled",
          `the admin endpoints are not exposed on a non-loopback HOST without WORKBRIDGE_ADMIN_TOKEN (or ${ADMIN_OPEN_VARIABLE}=true)`,
          { "x-workbridge-missing-variable": "WORKBRIDGE_ADMIN_TOKEN" }
        )
      )
    })
  } else if (adminToken === undefined) {
    deps.log.warn(
      { endpoints: ADMIN_PATHS },
      "WORKBRIDGE_ADMIN_TOKEN is not set: /metrics, /tickets, /dead-letters and the /ops console are open to anyone who reaches this listener; set it to require Authorization: Bearer <token> (and a login on /ops)"
    )
  } else {
    app.use(ADMIN_PATHS, (req, _res, next) => {
      if (bearerMatches(req.headers.authorization, adminToken)) next()
      else next(new HttpError(401, "Unauthorized", "this endpoint needs Authorization: Bearer <WORKBRIDGE_ADMIN_TOKEN>", { "www-authenticate": 'Bearer realm="workbridge"' }))
    })
  }

  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" })
  })

  app.get("/readyz", async (_req, res) => {
    const checks: Record<string, string> = {}
    let ready = true
    try {
      await within(run(deps.inbox.checkWritable), readyTimeoutMs, "the inbox")
      checks["inbox"] = "ok"
    } catch (e) {
      ready = false
      checks["inbox"] = e instanceof Error ? e.message : String(e)
    }
    try {
      await within(deps.genesysReady(), readyTimeoutMs, "the Genesys health check")
      checks["genesys"] = "ok"
    } catch (e) {
      ready = false
      checks["genesys"] = e instanceof Error ? e.message : String(e)
    }
    // 403s being retried while a permission change propagates: shown, not a reason to stop taking webhooks.
    const waits = deps.permissionWaits?.() ?? []
    const permissions =
      waits.length === 0
        ? {}
        : {
            permissionWait: waits.map((w) => ({ operation: w.operation, since: new Date(w.since).toISOString(), until: new Date(w.until).toISOString() }))
          }
    res.status(ready ? 200 : 503).json({ status: ready ? "ready" : "not ready", checks, ...permissions })
  })

  app.get("/metrics", async (_req, res) => {
    await deps.refreshGauges()
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics())
  })

  const tracer = deps.tracer
  // Tracing on: the request's server span, ended when the response is sent (or the connection closes). Off, the
  // route below is all there is.
  if (tracer !== undefined) {
    app.post("/webhooks/:source", (req, res, next) => {
      // Like the metric labels: a configured source name, or "unknown" (a path is not an attribute).
      const source = Object.prototype.hasOwnProperty.call(sources, req.params["source"]) ? req.params["source"] : "unknown"
      const span = startRequestSpan(tracer, source)
      res.locals["requestSpan"] = span
      res.once("finish", () => span.end(res.statusCode))
      res.once("close", () => span.end(res.statusCode))
      next()
    })
  }

  app.post(
    "/webhooks/:source",
    (req, _res, next) => {
      // Unknown sources and missing credentials are refused before the body is read.
      const source = req.params["source"] ?? ""
      const adapter = Object.prototype.hasOwnProperty.call(sources, source) ? sources[source] : undefined
      if (adapter === undefined) {
        next(new HttpError(404, "UnknownSource", `no webhook source named "${source}"; known sources: ${Object.keys(sources).join(", ")}`))
        return
      }
      // Signatures cover the bytes as sent: a compressed body would have to be inflated before it could be
      // checked, so no Content-Encoding is accepted (none of the supported helpdesks compresses its webhooks).
      const encoding = (req.headers["content-encoding"] ?? "identity").trim().toLowerCase()
      if (encoding !== "" && encoding !== "identity") {
        next(
          new HttpError(
            415,
            "UnsupportedEncoding",
            `webhook bodies are verified on the bytes as sent and must not be compressed; Content-Encoding ${JSON.stringify(encoding.slice(0, 40))} is not accepted`,
            { "accept-encoding": "identity" }
          )
        )
        return
      }
      if (!hasAny(deps.credentials[source], adapter)) {
        const kind = adapter.credentialKinds[0] ?? "secret"
        next(
          new HttpError(
            401,
            "SourceNotConfigured",
            `no credentials are configured for source "${source}": set ${adapter.credentialKinds.map((k) => secretVariableFor(source, k)).join(" or ")}`,
            { "x-workbridge-missing-variable": secretVariableFor(source, kind) }
          )
        )
        return
      }
      next()
    },
    express.raw({ type: () => true, limit: maxBody, inflate: false }),
    async (req, res, next) => {
      const source = req.params["source"]!
      try {
        const adapter = sources[source]!
        const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)
        // Node's parser already lower-cases header names and joins repeated headers into one string; only
        // `set-cookie` stays a list, and only then is a copy made.
        const headers = req.headers["set-cookie"] === undefined ? (req.headers as Record<string, string | undefined>) : joinedHeaders(req.headers)
        const wreq = { headers, rawBody, receivedAt: new Date() }
        const verified = adapter.verify(wreq, deps.credentials[source] ?? {}, verifyOptions)
        if (Either.isLeft(verified)) {
          throw new HttpError(401, "Unauthorized", verified.left.message)
        }
        const decoded = adapter.decode(wreq, deps.catalog)
        if (Either.isLeft(decoded)) {
          const e = decoded.left
          if (e.status === 200) {
            deps.log.warn({ source, reason: e.reason }, "webhook payload refused and acknowledged")
            deps.metrics.webhooks.inc({ source, status: "200" })
            res.status(200).json({ status: "refused", message: e.message })
            return
          }
          throw new HttpError(e.status, /JSON/i.test(e.reason) ? "BadJson" : "BadPayload", e.message)
        }
        if (decoded.right._tag === "Ignored") {
          deps.metrics.webhooks.inc({ source, status: "200" })
          res.status(200).json({ status: "ignored", reason: decoded.right.reason })
          return
        }
        // A fetch-on-notify source: the webhook is a notice; the ticket is read from the API and that state enqueued.
        const event: TicketEvent = deps.feeds === undefined ? decoded.right.event : await Effect.runPromise(deps.feeds.notified(decoded.right.event))
        const requestSpan = res.locals["requestSpan"] as RequestSpan | undefined
        const accepted =
          tracer === undefined || requestSpan === undefined
            ? await acceptEvent(event)
            : await run(tracedAccept(tracer, requestSpan.span, event, (traceparent) => deps.inbox.accept(event, { traceparent })))
        if (accepted._tag === "Duplicate") {
          deps.metrics.events.inc({ outcome: "duplicate" })
          deps.metrics.webhooks.inc({ source, status: "202" })
          res.status(202).json({ status: "duplicate", deliveryKey: event.deliveryKey })
          return
        }
        deps.metrics.events.inc({ outcome: "accepted" })
        if (crashAfterAccept) await Effect.runPromise(crashIfAt(deps.crashAt, "after-accept"))
        deps.metrics.webhooks.inc({ source, status: "202" })
        res.status(202).json({ status: "accepted", id: accepted.id, deliveryKey: event.deliveryKey, ticketId: event.ticketId, revision: event.revision })
      } catch (e) {
        next(e)
      }
    }
  )

  app.get("/tickets/:source/:id", async (req, res, next) => {
    try {
      const key = { source: req.params["source"]!, ticketId: req.params["id"]! }
      const status = await run(deps.engine.ticketStatus(key))
      if (status.workitemId === undefined && status.pendingEvents === 0 && status.lastError === undefined) {
        throw new HttpError(404, "UnknownTicket", `no events of ticket "${key.ticketId}" from "${key.source}" were accepted`)
      }
      res.json(status)
    } catch (e) {
      next(e)
    }
  })

  app.get("/dead-letters", async (req, res, next) => {
    try {
      const limitRaw = req.query["limit"]
      const limit = typeof limitRaw === "string" && /^\d{1,6}$/.test(limitRaw) ? Number(limitRaw) : 1000
      res.json({ deadLetters: await run(deps.links.listDeadLetters({ limit })), total: await run(deps.links.deadLetterCount) })
    } catch (e) {
      next(e)
    }
  })

  app.post("/dead-letters/:id/replay", async (req, res, next) => {
    try {
      const letter = await run(deps.links.getDeadLetter(req.params["id"]!))
      const inboxId = await run(deps.inbox.requeue(letter.event))
      await run(deps.links.removeDeadLetter(letter.id))
      if (letter.reason === "GenesysForbidden") deps.permissionsChanged?.()
      deps.log.info({ deadLetter: letter.id, source: letter.source, ticketId: letter.ticketId }, "dead letter replayed")
      res.status(202).json({ status: "requeued", id: letter.id, inboxId })
    } catch (e) {
      next(e)
    }
  })

  app.delete("/dead-letters/:id", async (req, res, next) => {
    try {
      await run(deps.links.removeDeadLetter(req.params["id"]!))
      res.status(204).end()
    } catch (e) {
      next(e)
    }
  })

  // One reconciliation pass by hand (`pnpm reconcile`): ?dryRun=true writes nothing; ?since=ISO reads from then
  // instead of the saved cursor; ?waitMs= bounds how long it waits for the repairs (default 60 s).
  app.post("/reconcile/:source", async (req, res, next) => {
    try {
      const feeds = deps.feeds
      if (feeds === undefined) throw new HttpError(404, "UnknownFeedSource", "no helpdesk API is configured")
      const q = req.query
      const dryRun = q["dryRun"] === "true" || q["dryRun"] === "1"
      let since: Date | undefined
      if (typeof q["since"] === "string") {
        since = new Date(q["since"])
        if (!/^\d{4}-\d{2}-\d{2}/.test(q["since"]) || Number.isNaN(since.getTime())) throw new HttpError(400, "BadRequest", "since must be an ISO-8601 date such as 2026-01-31T00:00:00Z")
      }
      const waitRaw = q["waitMs"]
      if (waitRaw !== undefined && (typeof waitRaw !== "string" || !/^\d{1,7}$/.test(waitRaw))) throw new HttpError(400, "BadRequest", "waitMs must be a number of milliseconds")
      const report = await run(
        feeds.reconcile(req.params["source"]!, {
          dryRun,
          ...(since !== undefined ? { since } : {}),
          ...(typeof waitRaw === "string" ? { repairWaitMs: Number(waitRaw) } : {})
        })
      ).catch((e: unknown) => {
        const tag = typeof e === "object" && e !== null && "_tag" in e ? (e as { _tag: unknown })._tag : undefined
        if (tag === "UnknownFeedSource") throw new HttpError(404, "UnknownFeedSource", (e as Error).message)
        if (tag === "PassBusy") throw new HttpError(409, "PassBusy", (e as Error).message)
        if (tag === "HelpdeskError" || tag === "RateLimited") throw new HttpError(502, "HelpdeskUnavailable", (e as Error).message)
        throw e
      })
      res.json(report)
    } catch (e) {
      next(e)
    }
  })

  // A backfill (`pnpm backfill`): starts in the background and answers its job; GET the job for progress and summary.
  app.post("/backfill/:source", async (req, res, next) => {
    try {
      const feeds = deps.feeds
      if (feeds === undefined) throw new HttpError(404, "UnknownFeedSource", "no helpdesk API is configured")
      const q = req.query
      let since: Date | undefined
      if (typeof q["since"] === "string") {
        since = new Date(q["since"])
        if (!/^\d{4}-\d{2}-\d{2}/.test(q["since"]) || Number.isNaN(since.getTime())) throw new HttpError(400, "BadRequest", "since must be an ISO-8601 date such as 2026-01-31T00:00:00Z")
      }
      const limitRaw = q["limit"]
      if (limitRaw !== undefined && (typeof limitRaw !== "string" || !/^[1-9]\d{0,8}$/.test(limitRaw))) throw new HttpError(400, "BadRequest", "limit must be a positive whole number")
      const job = await run(
        feeds.startBackfill(req.params["source"]!, {
          dryRun: q["dryRun"] === "true" || q["dryRun"] === "1",
          ...(since !== undefined ? { since } : {}),
          ...(typeof limitRaw === "string" ? { limit: Number(limitRaw) } : {})
        })
      ).catch((e: unknown) => {
        const tag = typeof e === "object" && e !== null && "_tag" in e ? (e as { _tag: unknown })._tag : undefined
        if (tag === "UnknownFeedSource") throw new HttpError(404, "UnknownFeedSource", (e as Error).message)
        if (tag === "PassBusy") throw new HttpError(409, "BackfillBusy", `a backfill of ${req.params["source"]} is already running`)
        throw e
      })
      res.status(202).json(job)
    } catch (e) {
      next(e)
    }
  })

  app.get("/backfill/jobs/:id", (req, res, next) => {
    const job = deps.feeds?.backfillJob(req.params["id"]!)
    if (job === undefined) next(new HttpError(404, "UnknownJob", "no backfill job with that id (jobs are kept in memory until the service restarts)"))
    else res.json(job)
  })

  if (deps.dataActions !== undefined) app.use("/data-actions", deps.dataActions)
  if (deps.ops !== undefined) app.use("/ops", deps.ops)

  app.use((req, _res, next) => {
    next(new HttpError(404, "NotFound", `no route ${req.method} ${req.path}`))
  })

  // The one error handler: typed errors → status + JSON body naming the problem.
  app.use((err: unknown, req: express.Request, res: express.Response, _next: express.NextFunction): void => {
    // Metric labels only ever take configured source names (or "unknown"): a path is not a label.
    const rawSource = req.path.startsWith("/webhooks/") ? (req.path.split("/")[2] ?? "") : undefined
    const source = rawSource === undefined ? undefined : Object.prototype.hasOwnProperty.call(sources, rawSource) ? rawSource : "unknown"
    let status = 500
    let body: { error: string; message: string }
    const headers: Record<string, string> = {}
    const tag = typeof err === "object" && err !== null && "_tag" in err ? String((err as { _tag: unknown })._tag) : undefined
    const type = typeof err === "object" && err !== null && "type" in err ? String((err as { type: unknown }).type) : undefined
    const errStatus = typeof err === "object" && err !== null && "status" in err ? Number((err as { status: unknown }).status) : undefined
    if (err instanceof HttpError) {
      status = err.status
      body = { error: err.code, message: err.message }
      Object.assign(headers, err.headers)
    } else if (type === "entity.too.large") {
      status = 413
      body = { error: "PayloadTooLarge", message: `the body exceeds ${maxBody} bytes` }
    } else if (err instanceof URIError || (errStatus === 400 && type === undefined && tag === undefined)) {
      // Express could not decode the path (`%ff`): the client's mistake, not ours.
      status = 400
      body = { error: "BadRequest", message: "the request URL is not valid (malformed percent-encoding)" }
    } else if (type !== undefined && errStatus !== undefined && errStatus >= 400 && errStatus < 500) {
      status = errStatus
      const code = CLIENT_ERROR_CODES[type] ?? "BadRequest"
      body = {
        error: code,
        message: code === "UnsupportedEncoding" ? "the Content-Encoding is not supported" : status === 400 && /encod|incorrect header|unexpected end/i.test(String((err as Error).message)) ? "the body could not be decoded (corrupt Content-Encoding)" : `the request was refused (${type})`
      }
    } else if (tag === "StoreError") {
      // The store could not take the write (disk full, I/O error): the sender should retry, so 503 + Retry-After
      // (Zendesk and GitHub do not retry a 500).
      status = 503
      body = {
        error: "StoreUnavailable",
        message: storeCannotWrite(err) ? "the store cannot write right now (disk full or I/O error); retry later" : "the store failed; retry later"
      }
      headers["retry-after"] = String(deps.inboxRetryAfterSeconds)
      deps.log.error({ error: (err as Error).message, path: req.path.slice(0, 100) }, "store failed; answered 503")
    } else if (tag === "InboxFull") {
      status = 503
      body = { error: "InboxFull", message: (err as Error).message }
      headers["retry-after"] = String(deps.inboxRetryAfterSeconds)
    } else if (tag === "DeadLetterNotFound") {
      status = 404
      body = { error: "DeadLetterNotFound", message: (err as Error).message }
    } else {
      deps.log.error({ err: err instanceof Error ? { message: err.message, stack: err.stack } : String(err), path: req.path.slice(0, 100) }, "request failed")
      body = { error: "Internal", message: "internal error" }
    }
    if (status < 500) logClientError(status, body.error, req)
    if (source !== undefined && source !== "") deps.metrics.webhooks.inc({ source: status === 404 ? "unknown" : source, status: String(status) })
    res.status(status).set(headers).json(body)
  })

  return app
}
