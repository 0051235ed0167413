/**
 * The operator console at /ops: server-rendered pages over the service's own ports (see docs/console.md).
 * `makeOpsConsole` builds the router and the sampler that turns the metrics into per-minute figures; `close`
 * stops the sampler.
 */
import { Effect, Either } from "effect"
import express from "express"
import type { Logger } from "pino"
import type { AuditTrailService } from "../AuditTrail.js"
import type { DeadLetter } from "../Domain.js"
import type { EngineService } from "../Engine.js"
import type { InboxService } from "../Inbox.js"
import type { LinkStoreService } from "../LinkStore.js"
import type { ServiceMetrics } from "../Metrics.js"
import type { RateBudgetService } from "@workbridge/genesys"
import { CSS, JS } from "./assets.js"
import { makeOpsAuth } from "./auth.js"
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

const run = <A, E>(effect: Effect.Effect<A, E>): Promise<A> =>
  Effect.runPromise(Effect.either(effect)).then((r) => {
    if (Either.isLeft(r)) throw r.left
    return r.right
  })

const one = (v: unknown): string | undefined => (typeof v === "string" ? v : Array.isArray(v) && typeof v[0] === "string" ? v[0] : undefined)
const many = (v: unknown): Array<string> => (typeof v === "string" ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [])

const DEAD_LETTER_LIMIT = 1000

export const makeOpsConsole = (deps: OpsDeps): OpsConsole => {
  const auth = makeOpsAuth({ ...(deps.adminToken !== undefined ? { adminToken: deps.adminToken } : {}), secure: deps.secure })
  const sampler = new OpsSampler(() => readMetrics(deps.metrics))
  const sample = () => sampler.sample().catch((e: unknown) => deps.log.debug({ error: e instanceof Error ? e.message : String(e) }, "console sample failed"))
  void sample()
  const timer = setInterval(() => void sample(), deps.sampleMs ?? 5000)
  timer.unref()

  const router = express.Router()
  const ctxOf = (req: express.Request): PageContext => ({ protectedByToken: auth.enabled, authenticated: auth.authenticated(req), csrf: auth.csrfToken(req) })
  const send = (res: express.Response, page: Html, status = 200) => {
    res.status(status).type("html").send(page.value)
  }

  router.use((_req, res, next) => {
    res.set({
      "content-security-policy":
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      "x-content-type-options": "nosniff",
      "referrer-policy": "same-origin",
      "cache-control": "no-store"
    })
    next()
  })

  router.get("/assets/ops.css", (_req, res) => {
    res.type("css").set("cache-control", "max-age=300").send(CSS)
  })
  router.get("/assets/ops.js", (_req, res) => {
    res.type("js").set("cache-control", "max-age=300").send(JS)
  })

  const form = express.urlencoded({ extended: false, limit: "64kb", parameterLimit: 2000 })

  // Every POST: same origin and the form's CSRF token, before anything else is looked at.
  router.post(/.*/, form, (req, _res, next) => {
    const body = (req.body ?? {}) as Record<string, unknown>
    const refused = auth.refuseUnsafe(req, body["csrf"])
    if (refused !== undefined) {
      deps.log.warn({ path: req.originalUrl, reason: refused }, "console POST refused")
      next(new OpsError(403, refused))
      return
    }
    next()
  })

  const safeNext = (v: unknown): string => {
    const s = one(v)
    return s !== undefined && /^\/ops(\/[\w\-./?=&%]*)?$/.test(s) && !s.startsWith("//") ? s : BASE
  }

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
      deps.log.warn({ ip: req.ip }, "console login refused: wrong admin token")
      send(res, loginView({ ...ctxOf(req), authenticated: false }, safeNext(body["next"]), "That is not the admin token."), 401)
      return
    }
    auth.setCookie(res)
    res.redirect(303, safeNext(body["next"]))
  })

  router.post("/logout", (_req, res) => {
    auth.clearCookie(res)
    res.redirect(303, `${BASE}/login`)
  })

  // Everything else needs the session (or the bearer token) when a token is set.
  router.use((req, res, next) => {
    if (auth.authenticated(req)) {
      next()
      return
    }
    if (req.method === "GET" && req.path !== "/overview/live") {
      res.redirect(303, `${BASE}/login?next=${encodeURIComponent(`${BASE}${req.url === "/" ? "" : req.url}`)}`)
      return
    }
    next(new OpsError(401, "log in first: this console needs the admin token (WORKBRIDGE_ADMIN_TOKEN)"))
  })

  const readiness = async (): Promise<Record<string, string>> => {
    const out: Record<string, string> = {}
    const inbox = await Effect.runPromise(Effect.either(deps.inbox.checkWritable))
    out["inbox"] = Either.isLeft(inbox) ? inbox.left.message : "ok"
    try {
      await deps.genesysReady()
      out["genesys"] = "ok"
    } catch (e) {
      out["genesys"] = e instanceof Error ? e.message : String(e)
    }
    return out
  }

  const overview = async (): Promise<Overview> => {
    await sample()
    const now = Date.now()
    return {
      at: new Date(now),
      inboxDepth: await run(deps.inbox.depth),
      oldestAgeSeconds: await run(deps.inbox.oldestAgeSeconds),
      lag: sampler.lag(now),
      minutes: sampler.callsPerMinute(now),
      budgetPerMinute: deps.budgetPerMinute,
      budgetTokens: await Effect.runPromise(deps.budget.tokens),
      pausedUntil: await Effect.runPromise(deps.budget.pausedUntil),
      pauseScope: deps.pauseScope,
      scopedPauses: deps.longPauses?.() ?? [],
      deadLetters: await run(deps.links.deadLetterCount),
      readiness: await readiness(),
      figuresScope: deps.figuresScope
    }
  }

  router.get("/", async (req, res, next) => {
    try {
      send(res, overviewView(ctxOf(req), await overview()))
    } catch (e) {
      next(e)
    }
  })

  router.get("/overview/live", async (_req, res, next) => {
    try {
      send(res, overviewLive(await overview()))
    } catch (e) {
      next(e)
    }
  })

  router.get("/ticket", async (req, res, next) => {
    try {
      const source = one(req.query["source"])?.trim() ?? ""
      const ticketId = one(req.query["id"])?.trim() ?? ""
      const sources = deps.sources.includes(source) || source === "" ? deps.sources : [...deps.sources, source]
      if (source === "" || ticketId === "") {
        send(res, ticketView(ctxOf(req), sources, undefined, source === "" ? (deps.sources.includes("generic") ? "generic" : (deps.sources[0] ?? "")) : source, ticketId))
        return
      }
      const key = { source, ticketId }
      const status = await run(deps.engine.ticketStatus(key))
      const entries = deps.audit === undefined ? [] : await run(deps.audit.list(key))
      const deadLetters = (await run(deps.links.listDeadLetters({ limit: DEAD_LETTER_LIMIT }))).filter((d) => d.source === source && d.ticketId === ticketId)
      send(res, ticketView(ctxOf(req), sources, { source, ticketId, status, entries, deadLetters, auditEnabled: deps.audit !== undefined }, source, ticketId))
    } catch (e) {
      next(e)
    }
  })

  router.get("/dead-letters", async (req, res, next) => {
    try {
      const reason = one(req.query["reason"]) || undefined
      const all = await run(deps.links.listDeadLetters({ limit: DEAD_LETTER_LIMIT }))
      const total = await run(deps.links.deadLetterCount)
      const reasons = [...new Set(all.map((d) => d.reason))].sort()
      const done = one(req.query["done"])
      const n = one(req.query["n"])
      const notice =
        (done === "replayed" || done === "discarded") && n !== undefined && /^\d{1,6}$/.test(n)
          ? `${n} dead letter${n === "1" ? "" : "s"} ${done}.`
          : undefined
      send(res, deadLettersView(ctxOf(req), reason === undefined ? all : all.filter((d) => d.reason === reason), total, reasons, reason, notice))
    } catch (e) {
      next(e)
    }
  })

  const lookup = async (ids: ReadonlyArray<string>) => {
    const found: Array<DeadLetter> = []
    const missing: Array<string> = []
    for (const id of [...new Set(ids)]) {
      const r = await Effect.runPromise(Effect.either(deps.links.getDeadLetter(id)))
      if (Either.isRight(r)) found.push(r.right)
      else if (r.left._tag === "DeadLetterNotFound") missing.push(id)
      else throw r.left
    }
    return { found, missing }
  }

  router.get("/dead-letters/confirm", async (req, res, next) => {
    try {
      const action = one(req.query["action"])
      if (action !== "replay" && action !== "discard") throw new OpsError(400, 'action must be "replay" or "discard"')
      const ids = many(req.query["id"])
      if (ids.length === 0) throw new OpsError(400, "select at least one dead letter")
      const { found, missing } = await lookup(ids)
      send(res, confirmView(ctxOf(req), action, found, missing))
    } catch (e) {
      next(e)
    }
  })

  router.get("/dead-letters/:id", async (req, res, next) => {
    try {
      const { found } = await lookup([req.params["id"] ?? ""])
      const letter = found[0]
      if (letter === undefined) throw new OpsError(404, `no dead letter with id "${req.params["id"] ?? ""}"`)
      send(res, deadLetterView(ctxOf(req), letter))
    } catch (e) {
      next(e)
    }
  })

  router.post("/dead-letters/:action", async (req, res, next) => {
    try {
      const action = req.params["action"]
      if (action !== "replay" && action !== "discard") throw new OpsError(404, `no console action "${action ?? ""}"`)
      const ids = many(((req.body ?? {}) as Record<string, unknown>)["id"])
      if (ids.length === 0) throw new OpsError(400, "select at least one dead letter")
      const { found } = await lookup(ids)
      let n = 0
      for (const letter of found) {
        if (action === "replay") {
          const inboxId = await run(deps.inbox.requeue(letter.event))
          await run(deps.links.removeDeadLetter(letter.id))
          if (letter.reason === "GenesysForbidden") deps.permissionsChanged?.()
          deps.log.info({ deadLetter: letter.id, source: letter.source, ticketId: letter.ticketId, inboxId }, "dead letter replayed from the console")
        } else {
          await run(deps.links.removeDeadLetter(letter.id))
          deps.log.info({ deadLetter: letter.id, source: letter.source, ticketId: letter.ticketId }, "dead letter discarded from the console")
        }
        n++
      }
      res.redirect(303, `${BASE}/dead-letters?done=${action === "replay" ? "replayed" : "discarded"}&n=${n}`)
    } catch (e) {
      next(e)
    }
  })

  router.use((_req, _res, next) => {
    next(new OpsError(404, "no such console page"))
  })

  router.use((err: unknown, req: express.Request, res: express.Response, _next: express.NextFunction): void => {
    const status = err instanceof OpsError ? err.status : typeof (err as { status?: unknown }).status === "number" ? (err as { status: number }).status : 500
    const message =
      err instanceof OpsError ? err.message : status === 413 ? "the form is too large" : status >= 500 ? "internal error (see the service log)" : "bad request"
    if (status >= 500) deps.log.error({ path: req.originalUrl, error: err instanceof Error ? err.message : String(err) }, "console request failed")
    if (status === 401 && auth.enabled) res.set("www-authenticate", 'Bearer realm="workbridge"')
    send(res, errorView(ctxOf(req), status, message), status)
  })

  return {
    router,
    close: () => clearInterval(timer)
  }
}
