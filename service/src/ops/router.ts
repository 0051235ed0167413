/**
 * The operator console at /ops: server-rendered pages over the service's own ports (see docs/console.md).
 * `makeOpsConsole` builds the router and the sampler that turns the metrics into per-minute figures; `close`
 * stops the sampler.
 */
import { Effect, Either } from "effect"
import express from "express"
import type { Logger } from "pino"
import type { AuditTrailService } from "../observability/AuditTrail.js"
import type { DeadLetter } from "../domain/records.js"
import type { EngineService } from "../sync/index.js"
import type { InboxService } from "../inbox/Inbox.js"
import type { LinkStoreService } from "../links/LinkStore.js"
import type { ServiceMetrics } from "../observability/Metrics.js"
import type { RateBudgetService } from "@workbridge/genesys"
import { type EdgeRunner, type EdgeRuntime, makeEdgeRunner } from "../http/runtime.js"
import { CSS, JS } from "./assets.js"
import { makeOpsAuth, type OpsAuth } from "./auth.js"
import type { Html } from "./html.js"
import { OpsSampler, readMetrics } from "./sampler.js"
import {
  BASE,
  confirmView,
  deadLettersView,
  deadLetterView,
  errorView,
  loginView,
  type Overview,
  overviewLive,
  overviewView,
  type PageContext,
  ticketView
} from "./views.js"

export interface OpsDeps {
  readonly inbox: InboxService
  readonly links: LinkStoreService
  readonly engine: EngineService
  /** The audit trail the timeline reads (absent: WORKBRIDGE_AUDIT_RETENTION_DAYS=0). */
  readonly audit?: AuditTrailService
  readonly metrics: ServiceMetrics
  readonly budget: RateBudgetService
  readonly budgetPerMinute: number
  /** Readiness beyond the inbox: Genesys reachable and authenticated. Rejects with the reason. */
  readonly genesysReady: () => Promise<void>
  /** A replayed `GenesysForbidden` dead letter means a role was changed: the next 403 opens a new permission window. */
  readonly permissionsChanged?: () => void
  /** Source names offered by the ticket search. */
  readonly sources: ReadonlyArray<string>
  readonly adminToken?: string
  /** The service serves TLS itself: the session cookie is marked Secure. */
  readonly secure: boolean
  /** 429 pauses longer than the alert threshold still in force, by scope (the Genesys client's `longPauses`). */
  readonly longPauses?: () => ReadonlyArray<{ readonly scope: string; readonly until: number }>
  /** Whom a 429 pause holds (this process, or every replica sharing the OAuth client). */
  readonly pauseScope: string
  /** What the per-minute figures cover. */
  readonly figuresScope: string
  readonly log: Logger
  /** Sampling period of the metrics (default 5 s). */
  readonly sampleMs?: number
}

export interface OpsConsole {
  readonly router: express.Router
  close(): void
}

class OpsError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message)
  }
}

const one = (v: unknown): string | undefined =>
  typeof v === "string" ? v : Array.isArray(v) && typeof v[0] === "string" ? v[0] : undefined
const many = (v: unknown): Array<string> =>
  typeof v === "string" ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []

const DEAD_LETTER_LIMIT = 1000

/** What the console's route groups share. */
interface Console {
  readonly deps: OpsDeps
  readonly auth: OpsAuth
  readonly runner: EdgeRunner
  readonly sampler: OpsSampler
  readonly sample: () => Promise<void>
  readonly ctxOf: (req: express.Request) => PageContext
  readonly send: (res: express.Response, page: Html, status?: number) => void
}

/** The console's own security headers on every answer. */
const securityHeaders: express.RequestHandler = function securityHeaders(_req, res, next) {
  res.set({
    "content-security-policy":
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cache-control": "no-store"
  })
  next()
}

const mountAssets = (router: express.Router): void => {
  router.get("/assets/ops.css", (_req, res) => {
    res.type("css").set("cache-control", "max-age=300").send(CSS)
  })
  router.get("/assets/ops.js", (_req, res) => {
    res.type("js").set("cache-control", "max-age=300").send(JS)
  })
}

/** Every POST: the form parsed, then same origin and the form's CSRF token, before anything else is looked at. */
const mountSameOriginPosts = (router: express.Router, c: Console): void => {
  const form = express.urlencoded({ extended: false, limit: "64kb", parameterLimit: 2000 })
  router.post(/.*/, form, function sameOrigin(req, _res, next) {
    const body = (req.body ?? {}) as Record<string, unknown>
    const refused = c.auth.refuseUnsafe(req, body["csrf"])
    if (refused !== undefined) {
      c.deps.log.warn({ path: req.originalUrl, reason: refused }, "console POST refused")
      next(new OpsError(403, refused))
      return
    }
    next()
  })
}

const safeNext = (v: unknown): string => {
  const s = one(v)
  return s !== undefined && /^\/ops(\/[\w\-./?=&%]*)?$/.test(s) && !s.startsWith("//") ? s : BASE
}

const mountLogin = (router: express.Router, c: Console): void => {
  const { auth, ctxOf, send } = c
  router.get("/login", (req, res) => {
    if (!auth.enabled) {
      res.redirect(303, BASE)
      return
    }
    send(res, loginView({ ...ctxOf(req), authenticated: false }, safeNext(req.query["next"])))
  })

  router.post("/login", (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>
    if (!auth.enabled) {
      res.redirect(303, BASE)
      return
    }
    const token = one(body["token"]) ?? ""
    if (!auth.tokenMatches(token)) {
      c.deps.log.warn({ ip: req.ip }, "console login refused: wrong admin token")
      send(
        res,
        loginView({ ...ctxOf(req), authenticated: false }, safeNext(body["next"]), "That is not the admin token."),
        401
      )
      return
    }
    auth.setCookie(res)
    res.redirect(303, safeNext(body["next"]))
  })

  router.post("/logout", (_req, res) => {
    auth.clearCookie(res)
    res.redirect(303, `${BASE}/login`)
  })
}

/** Everything past the login needs the session (or the bearer token) when a token is set. */
const requireSession = (auth: OpsAuth): express.RequestHandler =>
  function requireSession(req, res, next) {
    if (auth.authenticated(req)) {
      next()
      return
    }
    if (req.method === "GET" && req.path !== "/overview/live") {
      res.redirect(303, `${BASE}/login?next=${encodeURIComponent(`${BASE}${req.url === "/" ? "" : req.url}`)}`)
      return
    }
    next(new OpsError(401, "log in first: this console needs the admin token (WORKBRIDGE_ADMIN_TOKEN)"))
  }

const readiness = async (c: Console): Promise<Record<string, string>> => {
  const out: Record<string, string> = {}
  const inbox = await c.runner.run(Effect.either(c.deps.inbox.checkWritable))
  out["inbox"] = Either.isLeft(inbox) ? inbox.left.message : "ok"
  try {
    await c.deps.genesysReady()
    out["genesys"] = "ok"
  } catch (e) {
    out["genesys"] = e instanceof Error ? e.message : String(e)
  }
  return out
}

const overview = async (c: Console): Promise<Overview> => {
  const { deps, runner, sampler } = c
  await c.sample()
  const now = Date.now()
  return {
    at: new Date(now),
    inboxDepth: await runner.run(deps.inbox.depth),
    oldestAgeSeconds: await runner.run(deps.inbox.oldestAgeSeconds),
    lag: sampler.lag(now),
    minutes: sampler.callsPerMinute(now),
    budgetPerMinute: deps.budgetPerMinute,
    budgetTokens: await runner.run(deps.budget.tokens),
    pausedUntil: await runner.run(deps.budget.pausedUntil),
    pauseScope: deps.pauseScope,
    scopedPauses: deps.longPauses?.() ?? [],
    deadLetters: await runner.run(deps.links.deadLetterCount),
    readiness: await readiness(c),
    figuresScope: deps.figuresScope
  }
}

/** The overview (and its live fragment) and the ticket page. */
const mountPages = (router: express.Router, c: Console): void => {
  const { deps, runner, ctxOf, send } = c
  router.get("/", async (req, res) => {
    send(res, overviewView(ctxOf(req), await overview(c)))
  })

  router.get("/overview/live", async (_req, res) => {
    send(res, overviewLive(await overview(c)))
  })

  router.get("/ticket", async (req, res) => {
    const source = one(req.query["source"])?.trim() ?? ""
    const ticketId = one(req.query["id"])?.trim() ?? ""
    const sources = deps.sources.includes(source) || source === "" ? deps.sources : [...deps.sources, source]
    if (source === "" || ticketId === "") {
      send(
        res,
        ticketView(
          ctxOf(req),
          sources,
          undefined,
          source === "" ? (deps.sources.includes("generic") ? "generic" : (deps.sources[0] ?? "")) : source,
          ticketId
        )
      )
      return
    }
    const key = { source, ticketId }
    const status = await runner.run(deps.engine.ticketStatus(key))
    const entries = deps.audit === undefined ? [] : await runner.run(deps.audit.list(key))
    const deadLetters = (await runner.run(deps.links.listDeadLetters({ limit: DEAD_LETTER_LIMIT }))).filter(
      (d) => d.source === source && d.ticketId === ticketId
    )
    send(
      res,
      ticketView(
        ctxOf(req),
        sources,
        { source, ticketId, status, entries, deadLetters, auditEnabled: deps.audit !== undefined },
        source,
        ticketId
      )
    )
  })
}

/** The dead letters that exist among `ids` and the ids that do not. */
const lookup = async (c: Console, ids: ReadonlyArray<string>) => {
  const found: Array<DeadLetter> = []
  const missing: Array<string> = []
  for (const id of [...new Set(ids)]) {
    const r = await c.runner.run(Effect.either(c.deps.links.getDeadLetter(id)))
    if (Either.isRight(r)) found.push(r.right)
    else if (r.left._tag === "DeadLetterNotFound") missing.push(id)
    else throw r.left
  }
  return { found, missing }
}

/** The dead letters: the list (filtered by reason), one letter, and replay or discard after a confirmation page. */
const mountDeadLetters = (router: express.Router, c: Console): void => {
  const { deps, runner, ctxOf, send } = c
  router.get("/dead-letters", async (req, res) => {
    const reason = one(req.query["reason"]) || undefined
    const all = await runner.run(deps.links.listDeadLetters({ limit: DEAD_LETTER_LIMIT }))
    const total = await runner.run(deps.links.deadLetterCount)
    const reasons = [...new Set(all.map((d) => d.reason))].sort()
    const done = one(req.query["done"])
    const n = one(req.query["n"])
    const notice =
      (done === "replayed" || done === "discarded") && n !== undefined && /^\d{1,6}$/.test(n)
        ? `${n} dead letter${n === "1" ? "" : "s"} ${done}.`
        : undefined
    send(
      res,
      deadLettersView(
        ctxOf(req),
        reason === undefined ? all : all.filter((d) => d.reason === reason),
        total,
        reasons,
        reason,
        notice
      )
    )
  })

  router.get("/dead-letters/confirm", async (req, res) => {
    const action = one(req.query["action"])
    if (action !== "replay" && action !== "discard") throw new OpsError(400, 'action must be "replay" or "discard"')
    const ids = many(req.query["id"])
    if (ids.length === 0) throw new OpsError(400, "select at least one dead letter")
    const { found, missing } = await lookup(c, ids)
    send(res, confirmView(ctxOf(req), action, found, missing))
  })

  router.get("/dead-letters/:id", async (req, res) => {
    const { found } = await lookup(c, [req.params["id"] ?? ""])
    const letter = found[0]
    if (letter === undefined) throw new OpsError(404, `no dead letter with id "${req.params["id"] ?? ""}"`)
    send(res, deadLetterView(ctxOf(req), letter))
  })

  router.post("/dead-letters/:action", async (req, res) => {
    const action = req.params["action"]
    if (action !== "replay" && action !== "discard") throw new OpsError(404, `no console action "${action ?? ""}"`)
    const ids = many(((req.body ?? {}) as Record<string, unknown>)["id"])
    if (ids.length === 0) throw new OpsError(400, "select at least one dead letter")
    const { found } = await lookup(c, ids)
    let n = 0
    for (const letter of found) {
      if (action === "replay") {
        const inboxId = await runner.run(deps.inbox.requeue(letter.event))
        await runner.run(deps.links.removeDeadLetter(letter.id))
        if (letter.reason === "GenesysForbidden") deps.permissionsChanged?.()
        deps.log.info(
          { deadLetter: letter.id, source: letter.source, ticketId: letter.ticketId, inboxId },
          "dead letter replayed from the console"
        )
      } else {
        await runner.run(deps.links.removeDeadLetter(letter.id))
        deps.log.info(
          { deadLetter: letter.id, source: letter.source, ticketId: letter.ticketId },
          "dead letter discarded from the console"
        )
      }
      n++
    }
    res.redirect(303, `${BASE}/dead-letters?done=${action === "replay" ? "replayed" : "discarded"}&n=${n}`)
  })
}

/** The console's own error pages (HTML, not the JSON of the rest of the edge). */
const opsErrors = (c: Console): express.ErrorRequestHandler =>
  function opsErrors(err: unknown, req: express.Request, res: express.Response, _next: express.NextFunction): void {
    const status =
      err instanceof OpsError
        ? err.status
        : typeof (err as { status?: unknown }).status === "number"
          ? (err as { status: number }).status
          : 500
    const message =
      err instanceof OpsError
        ? err.message
        : status === 413
          ? "the form is too large"
          : status >= 500
            ? "internal error (see the service log)"
            : "bad request"
    if (status >= 500)
      c.deps.log.error(
        { path: req.originalUrl, error: err instanceof Error ? err.message : String(err) },
        "console request failed"
      )
    if (status === 401 && c.auth.enabled) res.set("www-authenticate", 'Bearer realm="workbridge"')
    c.send(res, errorView(c.ctxOf(req), status, message), status)
  }

/**
 * The console. `runtime` is what its pages run the ports' effects on (the service's runtime; default Effect's
 * default runtime).
 */
export const makeOpsConsole = (deps: OpsDeps, runtime?: EdgeRuntime): OpsConsole => {
  const auth = makeOpsAuth({
    ...(deps.adminToken !== undefined ? { adminToken: deps.adminToken } : {}),
    secure: deps.secure
  })
  const sampler = new OpsSampler(() => readMetrics(deps.metrics))
  const sample = () =>
    sampler
      .sample()
      .catch((e: unknown) =>
        deps.log.debug({ error: e instanceof Error ? e.message : String(e) }, "console sample failed")
      )
  void sample()
  const timer = setInterval(() => void sample(), deps.sampleMs ?? 5000)
  timer.unref()
  const c: Console = {
    deps,
    auth,
    runner: makeEdgeRunner(runtime),
    sampler,
    sample,
    ctxOf: (req) => ({
      protectedByToken: auth.enabled,
      authenticated: auth.authenticated(req),
      csrf: auth.csrfToken(req)
    }),
    send: (res, page, status = 200) => {
      res.status(status).type("html").send(page.value)
    }
  }

  const router = express.Router()
  router.use(securityHeaders)
  mountAssets(router)
  mountSameOriginPosts(router, c)
  mountLogin(router, c)
  router.use(requireSession(auth))
  mountPages(router, c)
  mountDeadLetters(router, c)
  router.use((_req, _res, next) => {
    next(new OpsError(404, "no such console page"))
  })
  router.use(opsErrors(c))

  return {
    router,
    close: () => clearInterval(timer)
  }
}
