/**
 * What every helpdesk emulator shares: an Express 5 app on an ephemeral port, a clock, per-minute rate-limit windows,
 * fault rules (a vendor-shaped 429 with `Retry-After`, or any status), a request log, and the webhook outbox that
 * signs and sends the vendor's webhook on every change — with a seeded share dropped on purpose, a hold switch and a
 * replay control. The control API lives under `/__emulator/` (see README.md).
 */
import { randomUUID } from "node:crypto"
import type { Server } from "node:http"
import type { AddressInfo, Socket } from "node:net"
import type { SourceCredentials } from "@workbridge/adapters"
import { sign } from "@workbridge/adapters"
import { prng } from "@workbridge/genesys-emulator"
import express, { type Express, type NextFunction, type Request, type Response } from "express"

/** The seedable PRNG (mulberry32) the Genesys emulator uses for its fault draws, for the webhook drops here. */
export { prng }

export interface WebhookOptions {
  /** Where to POST the webhook; none = changes are recorded but nothing is sent. */
  readonly url?: string
  /** How the webhook is authenticated, as the receiving adapter expects it (`secret` signs; `basicAuth`/`token` add headers). */
  readonly credentials?: SourceCredentials
  /** Share 0..1 of webhooks dropped on purpose (never sent; recorded as `dropped`). Default 0. */
  readonly dropShare?: number
  /** When true, webhooks are kept (`held`) until `replay` or `hold: false`. Default false. */
  readonly hold?: boolean
  /** Multiplies the vendor's redelivery delays (e.g. 0.0001 turns Freshdesk's +5 min into 30 ms); default 1. */
  readonly retryDelayScale?: number
}

/** One webhook the emulator produced. */
export interface Delivery {
  readonly id: string
  readonly ticketId: string
  /** `sent` (answered 2xx), `failed` (other answer in `status`, or a network error), `dropped` on purpose, `held`, `pending` (in flight), or `unsent` (no URL). */
  state: "pending" | "sent" | "failed" | "dropped" | "held" | "unsent"
  status?: number
  readonly rawBody: string
  /** Vendor headers besides authentication (event names, delivery ids); signing headers are added at send time. */
  readonly headers: Readonly<Record<string, string>>
  attempts: number
}

export interface FaultRule {
  /** Matched on the URL path: a RegExp or a string prefix. Default: every vendor route (not `/__emulator/`). */
  readonly path?: string | RegExp
  readonly method?: string
  /**
   * `rateLimit` answers the vendor's 429; `status` answers `status` with the vendor's error body; `noAnswer` never
   * answers (a helpdesk that accepts the connection and hangs): the request is held until its client gives up or the
   * emulator closes, and is listed in `requests` with status 0.
   */
  readonly kind: "rateLimit" | "status" | "noAnswer"
  readonly status?: number
  /** Seconds in `Retry-After` for `rateLimit`; default 1. */
  readonly retryAfterSeconds?: number
  /** How many times it fires; unlimited when omitted. */
  readonly count?: number
}

export interface CoreOptions {
  /** 0 = a random free port (default). */
  readonly port?: number
  readonly host?: string
  /** Clock in epoch ms; default `Date.now`. Tests move it to step the vendor's timestamps. */
  readonly clock?: () => number
  /** Seed of the PRNG that decides which webhooks are dropped; default 1. */
  readonly seed?: number
  readonly webhook?: WebhookOptions
  /** Requests per minute per bucket before the vendor's 429 (see each vendor); default per vendor. */
  readonly rateLimitPerMinute?: number
  /**
   * Told of every request as it arrives, before any fault, limit or handler reads the clock (e.g. a test's clock that
   * moves to the next whole second on every write, so that vendors with one-second timestamps order every change).
   */
  readonly onRequest?: (method: string, path: string) => void
}

/** What a vendor module plugs into the core. */
export interface VendorSpec {
  /** Adapter source name (`zendesk`, …): how the outbox signs. */
  readonly source: string
  /** The vendor's 429 answer (status, headers, body) for `retryAfterSeconds`. */
  readonly rateLimited: (res: Response, retryAfterSeconds: number) => void
  /** The vendor's error envelope for an injected `status` fault, an unknown route (404) or a malformed body (400). */
  readonly failure: (res: Response, status: number, message: string) => void
  /** Rate-limit bucket of a request (e.g. Zendesk's incremental export has its own); undefined = not limited. */
  readonly bucket: (req: Request) => { readonly name: string; readonly perMinute: number } | undefined
  /**
   * How the vendor redelivers a failed webhook: which answers (undefined = no answer) it retries, the delay before
   * each redelivery, and headers a redelivery carries. None = no automatic redelivery.
   */
  readonly retry?: {
    readonly retries: (status: number | undefined) => boolean
    readonly delaysMs: ReadonlyArray<number>
    readonly headers?: (attempt: number) => Readonly<Record<string, string>>
  }
  /** Headers every answer carries for a bucket with `remaining` calls left (e.g. `X-Rate-Limit-Remaining`). */
  readonly limitHeaders?: (res: Response, limit: number, remaining: number, resetEpochSeconds: number) => void
}

export class Core {
  readonly app: Express = express()
  readonly deliveries: Array<Delivery> = []
  readonly requests: Array<{ readonly method: string; readonly path: string; status: number }> = []
  private webhook: Required<Pick<WebhookOptions, "dropShare" | "hold">> & WebhookOptions
  private random: () => number
  private readonly windows = new Map<string, { start: number; count: number }>()
  private faults: Array<FaultRule & { remaining: number }> = []
  private readonly inFlight = new Set<Promise<void>>()
  readonly now: () => number

  constructor(
    readonly spec: VendorSpec,
    readonly options: CoreOptions
  ) {
    this.now = options.clock ?? Date.now
    this.random = prng(options.seed ?? 1)
    this.webhook = { dropShare: 0, hold: false, ...options.webhook }
    this.app.disable("x-powered-by")
    this.app.use(express.json({ limit: "1mb" }))
    this.app.use((req, res, next) => {
      options.onRequest?.(req.method, req.path)
      const entry = { method: req.method, path: req.path, status: 0 }
      this.requests.push(entry)
      res.on("finish", () => (entry.status = res.statusCode))
      // Every answer is dated by the emulator's clock, as a vendor's server dates its answers by its own (RFC 9110
      // §6.6.1): a client compares it with the update times the same clock gives.
      res.setHeader("Date", new Date(this.now()).toUTCString())
      next()
    })
    this.controlRoutes()
    this.app.use((req, res, next) => this.gate(req, res, next))
  }

  /** Fault rules, then the vendor's per-minute window: answer the vendor's 429 / error, or let the request through. */
  private gate(req: Request, res: Response, next: NextFunction): void {
    for (const f of this.faults) {
      if (f.remaining <= 0) continue
      if (f.method !== undefined && f.method.toUpperCase() !== req.method) continue
      if (f.path !== undefined && !(f.path instanceof RegExp ? f.path.test(req.path) : req.path.startsWith(f.path)))
        continue
      f.remaining -= 1
      if (f.kind === "rateLimit") return this.spec.rateLimited(res, f.retryAfterSeconds ?? 1)
      if (f.kind === "noAnswer") return
      return this.spec.failure(res, f.status ?? 500, "Injected failure")
    }
    const bucket = this.spec.bucket(req)
    if (bucket === undefined) return next()
    const perMinute = this.options.rateLimitPerMinute ?? bucket.perMinute
    const now = this.now()
    let w = this.windows.get(bucket.name)
    if (w === undefined || now - w.start >= 60_000) this.windows.set(bucket.name, (w = { start: now, count: 0 }))
    const reset = Math.ceil((w.start + 60_000) / 1000)
    if (w.count >= perMinute) {
      this.spec.limitHeaders?.(res, perMinute, 0, reset)
      return this.spec.rateLimited(res, Math.max(1, Math.ceil((w.start + 60_000 - now) / 1000)))
    }
    w.count += 1
    this.spec.limitHeaders?.(res, perMinute, perMinute - w.count, reset)
    next()
  }

  private controlRoutes(): void {
    const r = express.Router()
    r.get("/webhooks", (_req, res) => {
      res.json({ settings: this.webhookSettings(), deliveries: this.deliveries.map(({ rawBody: _b, ...d }) => d) })
    })
    r.put("/webhooks", (req, res) => {
      const body = (req.body ?? {}) as Record<string, unknown>
      try {
        this.configureWebhooks(body as WebhookOptions & { seed?: number })
      } catch (e) {
        res.status(400).json({ error: (e as Error).message })
        return
      }
      res.json(this.webhookSettings())
    })
    r.post("/webhooks/replay", async (req, res) => {
      const ids = (req.body as { ids?: unknown } | undefined)?.ids
      if (ids !== undefined && !(Array.isArray(ids) && ids.every((i) => typeof i === "string"))) {
        res.status(400).json({ error: "ids must be an array of delivery ids" })
        return
      }
      const replayed = await this.replay(ids as ReadonlyArray<string> | undefined)
      res.json({ replayed })
    })
    r.post("/faults", (req, res) => {
      const body = (req.body ?? {}) as Record<string, unknown>
      try {
        this.addFault({
          ...(body as unknown as FaultRule),
          ...(typeof body["path"] === "string" ? { path: new RegExp(body["path"]) } : {})
        })
      } catch (e) {
        res.status(400).json({ error: (e as Error).message })
        return
      }
      res.status(201).json({ faults: this.faults.length })
    })
    r.delete("/faults", (_req, res) => {
      this.faults = []
      res.status(204).end()
    })
    r.get("/requests", (_req, res) => res.json({ requests: this.requests }))
    this.app.use("/__emulator", r)
  }

  private webhookSettings() {
    return {
      url: this.webhook.url ?? null,
      dropShare: this.webhook.dropShare,
      hold: this.webhook.hold,
      signed: this.webhook.credentials !== undefined
    }
  }

  /** Change where and how webhooks go (the control API's `PUT /__emulator/webhooks`). Throws naming a bad field. */
  configureWebhooks(change: WebhookOptions & { readonly seed?: number }): void {
    if (
      change.dropShare !== undefined &&
      !(typeof change.dropShare === "number" && change.dropShare >= 0 && change.dropShare <= 1)
    ) {
      throw new Error("dropShare must be a number in 0..1")
    }
    if (change.hold !== undefined && typeof change.hold !== "boolean") throw new Error("hold must be true or false")
    if (
      change.retryDelayScale !== undefined &&
      !(typeof change.retryDelayScale === "number" && change.retryDelayScale >= 0)
    ) {
      throw new Error("retryDelayScale must be a number ≥ 0")
    }
    if (change.url !== undefined) {
      try {
        new URL(change.url)
      } catch {
        throw new Error("url must be an absolute URL")
      }
    }
    if (change.seed !== undefined) {
      if (!Number.isInteger(change.seed)) throw new Error("seed must be an integer")
      this.random = prng(change.seed)
    }
    const { seed: _s, ...rest } = change
    const wasHeld = this.webhook.hold
    this.webhook = { ...this.webhook, ...rest }
    if (wasHeld && !this.webhook.hold)
      void this.replay(this.deliveries.filter((d) => d.state === "held").map((d) => d.id))
  }

  /** Add a fault rule (the control API's `POST /__emulator/faults`). Throws naming a bad field. */
  addFault(rule: FaultRule): void {
    if (rule.kind !== "rateLimit" && rule.kind !== "status" && rule.kind !== "noAnswer")
      throw new Error('kind must be "rateLimit", "status" or "noAnswer"')
    if (rule.kind === "status" && !(Number.isInteger(rule.status) && rule.status! >= 400 && rule.status! <= 599))
      throw new Error("status must be 400..599")
    if (
      rule.retryAfterSeconds !== undefined &&
      !(Number.isInteger(rule.retryAfterSeconds) && rule.retryAfterSeconds >= 0)
    ) {
      throw new Error("retryAfterSeconds must be a whole number ≥ 0")
    }
    if (rule.count !== undefined && !(Number.isInteger(rule.count) && rule.count >= 1))
      throw new Error("count must be a whole number ≥ 1")
    this.faults.push({ ...rule, remaining: rule.count ?? Number.POSITIVE_INFINITY })
  }

  /**
   * Record the webhook of one change and send it (unless held or dropped). `headers` are the vendor's own (event
   * names, delivery ids); authentication headers are added when it is sent.
   */
  emit(ticketId: string, body: unknown, headers: Readonly<Record<string, string>> = {}): Delivery {
    const delivery: Delivery = {
      id: randomUUID(),
      ticketId,
      state: "unsent",
      rawBody: JSON.stringify(body),
      headers,
      attempts: 0
    }
    this.deliveries.push(delivery)
    if (this.webhook.url === undefined) return delivery
    if (this.webhook.dropShare > 0 && this.random() < this.webhook.dropShare) {
      delivery.state = "dropped"
      return delivery
    }
    if (this.webhook.hold) {
      delivery.state = "held"
      return delivery
    }
    this.track(this.send(delivery))
    return delivery
  }

  /** Send again (same body and vendor headers, freshly signed) the given deliveries, or every held/dropped/failed one. */
  async replay(ids?: ReadonlyArray<string>): Promise<number> {
    const chosen =
      ids === undefined
        ? this.deliveries.filter((d) => ["held", "dropped", "failed", "unsent"].includes(d.state))
        : this.deliveries.filter((d) => ids.includes(d.id))
    await Promise.all(chosen.map((d) => this.track(this.send(d))))
    return chosen.length
  }

  private track(p: Promise<void>): Promise<void> {
    this.inFlight.add(p)
    return p.finally(() => this.inFlight.delete(p))
  }

  private async send(d: Delivery, retry = 0): Promise<void> {
    const url = this.webhook.url
    if (url === undefined) return
    d.state = "pending"
    d.attempts += 1
    const auth = sign(this.spec.source, d.rawBody, this.webhook.credentials ?? {}, new Date(this.now()))
    const policy = this.spec.retry
    const retryHeaders = retry > 0 ? (policy?.headers?.(retry) ?? {}) : {}
    let status: number | undefined
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { ...auth, ...d.headers, ...retryHeaders },
        body: d.rawBody,
        signal: AbortSignal.timeout(10_000)
      })
      await res.arrayBuffer()
      status = d.status = res.status
      // As GitHub counts a delivery: failed unless answered 2xx.
      d.state = res.ok ? "sent" : "failed"
    } catch {
      d.state = "failed"
    }
    const delay = policy?.delaysMs[retry]
    if (d.state === "failed" && policy !== undefined && delay !== undefined && policy.retries(status)) {
      // The vendor's own redelivery, scaled (tests shrink minutes to milliseconds); `settle` waits for it.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(
          () => {
            this.timers.delete(timer)
            resolve()
          },
          delay * (this.webhook.retryDelayScale ?? 1)
        )
        this.timers.add(timer)
      })
      if (!this.closed) await this.send(d, retry + 1)
    }
  }

  private readonly timers = new Set<ReturnType<typeof setTimeout>>()
  private closed = false

  /** Resolves when every webhook in flight, vendor redeliveries included, has been answered. */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight])
  }

  /** Stop scheduled redeliveries (on close). */
  stopRetries(): void {
    this.closed = true
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
  }
}

export interface Running {
  readonly url: string
  readonly port: number
  close(): Promise<void>
}

/** Listen on the configured port (0 = any free one); `close` ends open connections too. */
export const listen = async (core: Core): Promise<Running> => {
  // Last: an unknown route, and a body that is not JSON, answered in the vendor's error envelope.
  core.app.use((req: Request, res: Response) => core.spec.failure(res, 404, `No route for ${req.method} ${req.path}`))
  core.app.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err)
    const status = (err as { status?: unknown }).status
    if (status === 400 || (err as { type?: unknown }).type === "entity.parse.failed")
      return core.spec.failure(res, 400, "The request body is not valid JSON")
    core.spec.failure(res, 500, "Internal error")
  })
  const sockets = new Set<Socket>()
  const server: Server = await new Promise((resolve, reject) => {
    const s = core.app.listen(core.options.port ?? 0, core.options.host ?? "127.0.0.1", (err?: Error) =>
      err ? reject(err) : resolve(s)
    )
  })
  server.on("connection", (s: Socket) => {
    sockets.add(s)
    s.on("close", () => sockets.delete(s))
  })
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://${core.options.host ?? "127.0.0.1"}:${port}`,
    port,
    close: async () => {
      core.stopRetries()
      await core.settle()
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

/** The user and password of an HTTP Basic `Authorization` header, or undefined. */
export const basicAuth = (req: Request): { readonly user: string; readonly password: string } | undefined => {
  const h = req.headers.authorization
  if (h === undefined || !/^basic /i.test(h)) return undefined
  const decoded = Buffer.from(h.slice(6).trim(), "base64").toString("utf8")
  const i = decoded.indexOf(":")
  return i < 0 ? undefined : { user: decoded.slice(0, i), password: decoded.slice(i + 1) }
}

/** ISO-8601 UTC with second precision (`2024-05-01T10:00:00Z`), as most helpdesk APIs print times. */
export const isoSeconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z")

/** An absolute URL to `path` on the emulator that received `req` (for `after_url`, `Link` headers). */
export const selfUrl = (req: Request, path: string, query: Record<string, string | number | undefined>): string => {
  const u = new URL(path, `${req.protocol}://${req.get("host") ?? "127.0.0.1"}`)
  for (const [k, v] of Object.entries(query)) if (v !== undefined) u.searchParams.set(k, String(v))
  return u.toString()
}

/** A query parameter as a single string. */
export const q = (req: Request, name: string): string | undefined => {
  const v = (req.query as Record<string, unknown>)[name]
  return typeof v === "string" ? v : Array.isArray(v) && typeof v[0] === "string" ? v[0] : undefined
}
