/** The HTTP edge: every refusal gets its status and a JSON error naming the problem, and the inbox is unchanged. */
import { adapters, makeGenericAdapter, sign } from "@workbridge/adapters"
import { defaultCatalog } from "@workbridge/catalog"
import { Effect, ManagedRuntime } from "effect"
import request from "supertest"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeApp } from "./index.js"
import { type AuditTrailService, auditedInbox } from "../observability/AuditTrail.js"
import type { EngineService } from "../sync/index.js"
import { Inbox, type InboxService } from "../inbox/Inbox.js"
import { LinkStore, type LinkStoreService } from "../links/LinkStore.js"
import { makeLogger } from "../observability/Log.js"
import { ServiceMetrics } from "../observability/Metrics.js"
import * as Sqlite from "../store/Sqlite.js"
import * as SqliteInbox from "../inbox/SqliteInbox.js"
import { genericBody } from "../testing/harness.js"
import { SqliteStoresLive } from "../store/SqliteStores.js"

const SECRET = "edge-secret"
const credentials = { generic: { secret: SECRET }, acme: { secret: SECRET } }

let runtime: ManagedRuntime.ManagedRuntime<Inbox | LinkStore, unknown>
let inbox: InboxService
let links: LinkStoreService
let app: ReturnType<typeof makeApp>
let metrics: ServiceMetrics
let genesysUp = true

beforeAll(async () => {
  runtime = ManagedRuntime.make(SqliteStoresLive(":memory:", { hardLimit: 3 }))
  ;({ inbox, links } = await runtime.runPromise(Effect.all({ inbox: Inbox, links: LinkStore })))
  metrics = new ServiceMetrics()
  const engine: EngineService = {
    process: () => Effect.die("not used"),
    run: () => Effect.never,
    ticketStatus: (key) =>
      Effect.map(inbox.pendingFor(key), (p) => ({ source: key.source, ticketId: key.ticketId, pendingEvents: p.count }))
  }
  app = makeApp(
    {
      catalog: defaultCatalog,
      sources: { ...adapters, acme: makeGenericAdapter({ name: "acme" }) },
      credentials,
      inbox,
      links,
      engine,
      metrics,
      log: makeLogger("silent"),
      genesysReady: async () => {
        if (!genesysUp) throw new Error("Genesys getWorktype: Unauthorized (HTTP 401)")
      },
      refreshGauges: async () => {
        metrics.inboxDepth.set(await runtime.runPromise(inbox.depth))
      },
      inboxRetryAfterSeconds: 17
    },
    runtime
  )
})
afterAll(async () => {
  await runtime.dispose()
})

const depth = () => runtime.runPromise(inbox.depth)
const signed = (body: Buffer | string, source = "generic") => sign(source, body, { secret: SECRET }, new Date())
const post = (source: string, body: Buffer | string, headers: Record<string, string>) => {
  let r = request(app).post(`/webhooks/${source}`)
  for (const [k, v] of Object.entries(headers)) r = r.set(k, v)
  // Send the exact bytes that were signed (no re-serialization).
  return r.serialize((x: unknown) => x as string).send(Buffer.isBuffer(body) ? body : Buffer.from(body))
}

describe("POST /webhooks/:source refusals", () => {
  it.each([
    ["bad JSON", "generic", "{not json", () => signed("{not json"), 400, /JSON/i],
    [
      "bad signature",
      "generic",
      JSON.stringify(genericBody({ ticketId: "X", rev: 1 })),
      () => ({ "content-type": "application/json", "x-workbridge-signature": `sha256=${"0".repeat(64)}` }),
      401,
      /signature|match/i
    ],
    [
      "missing signature",
      "generic",
      JSON.stringify(genericBody({ ticketId: "X", rev: 1 })),
      () => ({ "content-type": "application/json" }),
      401,
      /x-workbridge-signature/
    ],
    ["unknown source", "nosuch", "{}", () => signed("{}"), 404, /nosuch/],
    [
      "source without credentials",
      "zendesk",
      "{}",
      () => ({ "content-type": "application/json" }),
      401,
      /WEBHOOK_SECRET_ZENDESK/
    ],
    [
      "missing ticket id",
      "generic",
      JSON.stringify({ revision: 1, fields: {} }),
      () => signed(JSON.stringify({ revision: 1, fields: {} })),
      422,
      /ticket_id/
    ]
  ])("%s → its status and a JSON error; nothing stored", async (_name, source, body, headers, status, message) => {
    const before = await depth()
    const res = await post(source, body, headers())
    expect(res.status).toBe(status)
    expect(res.headers["content-type"]).toMatch(/json/)
    expect(typeof res.body.error).toBe("string")
    expect(res.body.message).toMatch(message)
    expect(await depth()).toBe(before)
  })

  it("a body over 500 KB → 413, nothing stored", async () => {
    const before = await depth()
    const big = JSON.stringify({ ...genericBody({ ticketId: "BIG", rev: 1 }), pad: "x".repeat(520 * 1024) })
    const res = await post("generic", big, signed(big))
    expect(res.status).toBe(413)
    expect(res.body.error).toBe("PayloadTooLarge")
    expect(await depth()).toBe(before)
  })

  it("never echoes the secret in a refusal", async () => {
    const res = await post("generic", "{}", { "x-workbridge-signature": "sha256=00" })
    expect(JSON.stringify(res.body)).not.toContain(SECRET)
  })
})

describe("POST /webhooks/:source acceptance and backpressure", () => {
  it("accepts a signed event with 202 (configured generic sources too), acknowledges a duplicate, and answers 503 + Retry-After at the hard cap", async () => {
    const body = (t: string) => JSON.stringify(genericBody({ ticketId: t, rev: 1 }))
    const a = await post("generic", body("A"), signed(body("A")))
    expect(a.status).toBe(202)
    expect(a.body.status).toBe("accepted")
    const dup = await post("generic", body("A"), signed(body("A")))
    expect(dup.status).toBe(202)
    expect(dup.body.status).toBe("duplicate")
    const acme = await post("acme", body("B"), signed(body("B"), "acme"))
    expect(acme.status).toBe(202)
    const c = await post("generic", body("C"), signed(body("C")))
    expect(c.status).toBe(202)
    expect(await depth()).toBe(3)
    const full = await post("generic", body("D"), signed(body("D")))
    expect(full.status).toBe(503)
    expect(full.headers["retry-after"]).toBe("17")
    expect(full.body.error).toBe("InboxFull")
    expect(await depth()).toBe(3)
    const ticket = await request(app).get("/tickets/generic/A")
    expect(ticket.status).toBe(200)
    expect(ticket.body.pendingEvents).toBe(1)
    expect((await request(app).get("/tickets/generic/unknown")).status).toBe(404)
  })
})

describe("operations endpoints", () => {
  it("healthz, readyz (Genesys down → 503 naming the problem), metrics", async () => {
    expect((await request(app).get("/healthz")).body).toEqual({ status: "ok" })
    expect((await request(app).get("/readyz")).status).toBe(200)
    genesysUp = false
    const down = await request(app).get("/readyz")
    genesysUp = true
    expect(down.status).toBe(503)
    expect(down.body.checks.genesys).toMatch(/Unauthorized/)
    const m = await request(app).get("/metrics")
    expect(m.status).toBe(200)
    for (const name of [
      "workbridge_inbox_depth",
      "workbridge_dead_letters",
      "workbridge_genesys_calls_total",
      "workbridge_genesys_429_total",
      "workbridge_budget_tokens",
      "workbridge_budget_tokens_dropped_total",
      "workbridge_apply_duration_seconds",
      "workbridge_sync_lag_seconds"
    ]) {
      expect(m.text).toContain(name)
    }
  })

  it("dead letters: list, 404 for unknown ids, delete", async () => {
    const event = {
      source: "generic",
      ticketId: "DL",
      revision: "1",
      occurredAt: "2026-01-01T00:00:00.000Z",
      deliveryKey: "dl-1",
      kind: "updated" as const,
      fields: {}
    }
    const d = await runtime.runPromise(
      links.addDeadLetter({
        source: "generic",
        ticketId: "DL",
        revision: "1",
        reason: "Invalid",
        details: ["subject: required"],
        event
      })
    )
    const list = await request(app).get("/dead-letters")
    expect(list.body.deadLetters.map((x: { id: string }) => x.id)).toContain(d.id)
    expect((await request(app).post("/dead-letters/999999/replay")).status).toBe(404)
    expect((await request(app).delete("/dead-letters/nope")).body.error).toBe("DeadLetterNotFound")
    expect((await request(app).delete(`/dead-letters/${d.id}`)).status).toBe(204)
    expect((await request(app).delete(`/dead-letters/${d.id}`)).status).toBe(404)
  })
})

describe("the webhook's durable write behind inbox wrappers", () => {
  const appOver = (wrap: (inner: InboxService) => InboxService) =>
    Effect.runPromise(
      Effect.gen(function* () {
        const db = Sqlite.openDatabase(":memory:")
        const own = yield* SqliteInbox.make(db, { hardLimit: 100 })
        const wrapped = wrap(own)
        const edge = makeApp({
          catalog: defaultCatalog,
          sources: adapters,
          credentials,
          inbox: wrapped,
          links,
          engine: {
            process: () => Effect.die("not used"),
            run: () => Effect.never,
            ticketStatus: () => Effect.die("not used")
          },
          metrics: new ServiceMetrics(),
          log: makeLogger("silent"),
          genesysReady: async () => undefined,
          refreshGauges: async () => undefined,
          inboxRetryAfterSeconds: 1
        })
        const send = (body: string) =>
          request(edge)
            .post("/webhooks/generic")
            .set(signed(body))
            .set("content-type", "application/json")
            .serialize((x: unknown) => x as string)
            .send(Buffer.from(body))
        return { own, send }
      })
    )

  it("runs a wrapper's own accept, never the inner inbox's behind its back", async () => {
    const seen: Array<string> = []
    const { own, send } = await appOver((inner) => ({
      ...inner,
      accept: (event) => Effect.tap(inner.accept(event), () => Effect.sync(() => seen.push(event.deliveryKey)))
    }))
    const body = JSON.stringify(genericBody({ ticketId: "WRAP-1", rev: 1 }))
    const res = await send(body).expect(202)
    expect(res.body.status).toBe("accepted")
    expect(seen).toEqual([res.body.deliveryKey])
    expect(await Effect.runPromise(own.depth)).toBe(1)
  })

  it("records every webhook in the audit trail of an audited inbox, accepted and duplicate", async () => {
    const recorded: Array<{ readonly ticketId: string; readonly kind: string }> = []
    const audit: AuditTrailService = {
      record: (key, entry) => Effect.sync(() => recorded.push({ ticketId: key.ticketId, kind: entry.kind })),
      list: () => Effect.succeed([]),
      flush: Effect.void
    }
    const { own, send } = await appOver((inner) => auditedInbox(inner, audit))
    const body = JSON.stringify(genericBody({ ticketId: "AUDIT-1", rev: 1 }))
    expect((await send(body).expect(202)).body.status).toBe("accepted")
    expect((await send(body).expect(202)).body.status).toBe("duplicate")
    expect(recorded).toEqual([
      { ticketId: "AUDIT-1", kind: "received" },
      { ticketId: "AUDIT-1", kind: "duplicate" }
    ])
    expect(await Effect.runPromise(own.depth)).toBe(1)
  })
})
