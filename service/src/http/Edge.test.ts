import express from "express"
/**
 * The edge under hostile input and faults: malformed URLs, unbounded metric labels and logs, nesting, content
 * encodings, a store that cannot write, a hanging readiness check, the admin surface on a network address.
 */
import { Writable } from "node:stream"
import { gzipSync } from "node:zlib"
import { adapters, sign } from "@workbridge/adapters"
import { defaultCatalog } from "@workbridge/catalog"
import { Effect, ManagedRuntime } from "effect"
import request from "supertest"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeApp, type AppDeps } from "./index.js"
import type { EngineService } from "../sync/index.js"
import { StoreError } from "../domain/errors.js"
import { Inbox, type InboxService } from "../inbox/Inbox.js"
import { LinkStore, type LinkStoreService } from "../links/LinkStore.js"
import { makeLogger } from "../observability/Log.js"
import { ServiceMetrics } from "../observability/Metrics.js"
import { makeDataActions } from "../dataActions/index.js"
import { genericBody } from "../testing/harness.js"
import { SqliteStoresLive } from "../store/SqliteStores.js"

const SECRET = "edge-secret"
const TOKEN = "wb-token-0123456789abcdef"

let runtime: ManagedRuntime.ManagedRuntime<Inbox | LinkStore, unknown>
let inbox: InboxService
let links: LinkStoreService

beforeAll(async () => {
  runtime = ManagedRuntime.make(SqliteStoresLive(":memory:", { hardLimit: 100_000 }))
  ;({ inbox, links } = await runtime.runPromise(Effect.all({ inbox: Inbox, links: LinkStore })))
})
afterAll(async () => {
  await runtime.dispose()
})

/** Log lines captured as parsed JSON. */
const captureLog = () => {
  const lines: Array<Record<string, unknown>> = []
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString("utf8").split("\n"))
        if (l.trim() !== "") lines.push(JSON.parse(l) as Record<string, unknown>)
      cb()
    }
  })
  return { lines, log: makeLogger("debug", stream) }
}

const makeEdge = (overrides: Partial<AppDeps> = {}) => {
  const metrics = new ServiceMetrics()
  const captured = captureLog()
  const engine: EngineService = {
    process: () => Effect.die("not used"),
    run: () => Effect.never,
    ticketStatus: (key) =>
      Effect.map(inbox.pendingFor(key), (p) => ({ source: key.source, ticketId: key.ticketId, pendingEvents: p.count }))
  }
  const app = makeApp({
    catalog: defaultCatalog,
    sources: { ...adapters },
    credentials: { generic: { secret: SECRET } },
    inbox,
    links,
    engine,
    metrics,
    log: captured.log,
    genesysReady: async () => undefined,
    refreshGauges: async () => undefined,
    inboxRetryAfterSeconds: 17,
    dataActions: makeDataActions({
      catalog: defaultCatalog,
      auth: { bearerToken: TOKEN },
      ticketStatus: async () => undefined
    }),
    ...overrides
  })
  return { app, metrics, logLines: captured.lines }
}

const signed = (body: Buffer | string) => sign("generic", body, { secret: SECRET }, new Date())
const post = (
  app: ReturnType<typeof makeApp>,
  path: string,
  body: Buffer | string,
  headers: Record<string, string>
) => {
  let r = request(app).post(path)
  for (const [k, v] of Object.entries(headers)) r = r.set(k, v)
  return r.serialize((x: unknown) => x as string).send(Buffer.isBuffer(body) ? body : Buffer.from(body))
}
const seriesOf = async (metrics: ServiceMetrics, name: string) =>
  (await metrics.registry.getSingleMetric(name)!.get()).values.map((v) => JSON.stringify(v.labels)).sort()

describe("malformed and unknown paths", () => {
  it("a malformed URL answers 400, takes no metric label of its own and logs nothing above debug", async () => {
    const { app, metrics, logLines } = makeEdge()
    const startup = logLines.length
    for (let i = 0; i < 50; i++) {
      const res = await post(app, `/webhooks/%ff${"a".repeat(100)}${i}`, "{}", { "content-type": "application/json" })
      expect(res.status).toBe(400)
      expect(res.body.error).toBe("BadRequest")
    }
    const series = await seriesOf(metrics, "workbridge_webhooks_total")
    expect(series).toEqual([JSON.stringify({ source: "unknown", status: "400" })])
    expect(logLines.slice(startup).filter((l) => Number(l["level"]) > 20)).toEqual([])
  })

  it("unknown sources share the one `unknown` label, and client errors are logged at debug at most 20 times a minute", async () => {
    const { app, metrics, logLines } = makeEdge()
    for (let i = 0; i < 60; i++) {
      expect((await post(app, `/webhooks/nosuch${i}`, "{}", {})).status).toBe(404)
      expect((await post(app, `/webhooks/generic`, "{}", { "x-workbridge-signature": "sha256=00" })).status).toBe(401)
    }
    const series = await seriesOf(metrics, "workbridge_webhooks_total")
    expect(series).toEqual(
      [
        JSON.stringify({ source: "generic", status: "401" }),
        JSON.stringify({ source: "unknown", status: "404" })
      ].sort()
    )
    const refused = logLines.filter((l) => l["msg"] === "request refused")
    expect(refused.length).toBeLessThanOrEqual(20)
    expect(refused.every((l) => l["level"] === 20)).toBe(true)
  })
})

describe("nesting", () => {
  it("a signed delivery nested 12,000 levels deep is refused with 400 naming the field; the deliveries beside it are accepted", async () => {
    const { app } = makeEdge()
    const deep = `{"ticket_id":"DEEP","revision":1,"fields":{"subject":"x","description":${"[".repeat(12_000)}${"]".repeat(12_000)}}}`
    const normal = Array.from({ length: 30 }, (_, i) => JSON.stringify(genericBody({ ticketId: `N${i}`, rev: 1 })))
    const results = await Promise.all(
      [deep, ...normal].map((b) =>
        post(app, "/webhooks/generic", b, { ...signed(b), "content-type": "application/json" })
      )
    )
    expect(results[0]!.status).toBe(400)
    expect(results[0]!.body.message).toContain('"fields"')
    expect(results.slice(1).map((r) => r.status)).toEqual(normal.map(() => 202))
  })
})

describe("content encodings", () => {
  const body = JSON.stringify(genericBody({ ticketId: "ENC", rev: 1 }))

  it("a gzip body is refused with 415 even when its signature covers the inflated bytes (signatures cover the bytes as sent)", async () => {
    const { app } = makeEdge()
    const res = await post(app, "/webhooks/generic", gzipSync(body), {
      ...signed(body),
      "content-type": "application/json",
      "content-encoding": "gzip"
    })
    expect(res.status).toBe(415)
    expect(res.body.error).toBe("UnsupportedEncoding")
    expect((await runtime.runPromise(inbox.pendingFor({ source: "generic", ticketId: "ENC" }))).count).toBe(0)
  })

  it.each(["br", "x-unknown", "gzip, gzip"])(
    "Content-Encoding %s on a webhook answers 415, also unsigned",
    async (encoding) => {
      const { app } = makeEdge()
      const res = await post(app, "/webhooks/generic", "garbage", {
        "content-type": "application/json",
        "content-encoding": encoding
      })
      expect(res.status).toBe(415)
    }
  )

  it("Data Actions: a corrupt gzip body answers 400, an unsupported encoding 415, never 500", async () => {
    const { app } = makeEdge()
    const auth = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" }
    const corrupt = await post(app, "/data-actions/normalize-ticket", Buffer.from("not gzip at all"), {
      ...auth,
      "content-encoding": "gzip"
    })
    expect(corrupt.status).toBe(400)
    const unsupported = await post(app, "/data-actions/normalize-ticket", Buffer.from("{}"), {
      ...auth,
      "content-encoding": "x-unknown"
    })
    expect(unsupported.status).toBe(415)
    const good = await post(app, "/data-actions/normalize-ticket", gzipSync(JSON.stringify({ subject: "x" })), {
      ...auth,
      "content-encoding": "gzip"
    })
    expect(good.status).toBeLessThan(500)
  })

  it("a corrupt body on a webhook answers 4xx", async () => {
    const { app } = makeEdge()
    const res = await post(app, "/webhooks/generic", Buffer.from("not gzip"), {
      ...signed("not gzip"),
      "content-encoding": "gzip"
    })
    expect(res.status).toBe(415)
  })
})

describe("Data Action error listing", () => {
  it("an input with 5,000 unknown keys lists at most 20 issues and counts the rest", async () => {
    const { app } = makeEdge()
    const input: Record<string, string> = {}
    for (let i = 0; i < 5000; i++) input[`k${i}`] = "v"
    const res = await post(app, "/data-actions/ticket-status", JSON.stringify(input), {
      authorization: `Bearer ${TOKEN}`,
      "content-type": "application/json"
    })
    expect(res.status).toBe(400)
    expect(res.body.issues.length).toBeLessThanOrEqual(21)
    expect(res.body.issues.at(-1).field).toBe("(more)")
    expect(JSON.stringify(res.body).length).toBeLessThan(10_000)
  })
})

describe("a store that cannot write", () => {
  it("answers 503 + Retry-After (senders retry 503, not 500)", async () => {
    const full = Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" })
    const failing: InboxService = {
      ...inbox,
      accept: () => Effect.fail(new StoreError({ operation: "inbox.accept", cause: full }))
    }
    const { app } = makeEdge({ inbox: failing })
    const b = JSON.stringify(genericBody({ ticketId: "DISK", rev: 1 }))
    const res = await post(app, "/webhooks/generic", b, { ...signed(b), "content-type": "application/json" })
    expect(res.status).toBe(503)
    expect(res.headers["retry-after"]).toBe("17")
    expect(res.body.error).toBe("StoreUnavailable")
  })
})

describe("/readyz", () => {
  it("answers 503 within its bound when the Genesys check hangs", async () => {
    const { app } = makeEdge({ genesysReady: () => new Promise<void>(() => undefined), readyTimeoutMs: 50 })
    const res = await request(app).get("/readyz")
    expect(res.status).toBe(503)
    expect(res.body.checks.genesys).toMatch(/did not answer within 50 ms/)
  })
})

describe("the admin surface on a network address", () => {
  const admin = ["/metrics", "/tickets/generic/X", "/dead-letters"]

  it("without WORKBRIDGE_ADMIN_TOKEN on a non-loopback HOST, the admin endpoints answer 403 naming the variables", async () => {
    const { app } = makeEdge({ host: "0.0.0.0" })
    for (const path of admin) {
      const res = await request(app).get(path)
      expect(res.status).toBe(403)
      expect(res.body.message).toContain("WORKBRIDGE_ADMIN_TOKEN")
      expect(res.body.message).toContain("WORKBRIDGE_ADMIN_OPEN")
    }
    expect((await request(app).post("/dead-letters/1/replay")).status).toBe(403)
    expect((await request(app).delete("/dead-letters/1")).status).toBe(403)
    // the operator console is an admin surface too
    const consoleApp = makeEdge({
      host: "0.0.0.0",
      ops: express.Router().get("/", (_req, res) => void res.send("console"))
    }).app
    expect((await request(consoleApp).get("/ops")).status).toBe(403)
    expect((await request(consoleApp).post("/ops/dead-letters/replay")).status).toBe(403)
    expect(
      (
        await request(
          makeEdge({ host: "127.0.0.1", ops: express.Router().get("/", (_req, res) => void res.send("console")) }).app
        ).get("/ops")
      ).status
    ).toBe(200)
    // the probes and the webhooks stay open
    expect((await request(app).get("/healthz")).status).toBe(200)
    expect((await request(app).get("/readyz")).status).toBe(200)
  })

  it("the explicit opt-out, a token, or a loopback HOST expose them as before", async () => {
    expect((await request(makeEdge({ host: "0.0.0.0", adminOpen: true }).app).get("/metrics")).status).toBe(200)
    const withToken = makeEdge({ host: "0.0.0.0", adminToken: TOKEN }).app
    expect((await request(withToken).get("/metrics")).status).toBe(401)
    expect((await request(withToken).get("/metrics").set("authorization", `Bearer ${TOKEN}`)).status).toBe(200)
    for (const host of ["127.0.0.1", "::1", "localhost"])
      expect((await request(makeEdge({ host }).app).get("/metrics")).status).toBe(200)
  })
})
