/**
 * The edge settings read from the environment (loadConfig → `config.edge` → makeApp, as Service.ts wires them):
 * the Zendesk timestamp tolerance, a generic source's signature header, and the optional admin token on the
 * operations endpoints.
 */
import { Writable } from "node:stream"
import { sign } from "@workbridge/adapters"
import { loadFixture } from "@workbridge/adapters/fixtures"
import { defaultCatalog } from "@workbridge/catalog"
import { Effect, ManagedRuntime } from "effect"
import request from "supertest"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { bearerMatches, makeApp } from "./index.js"
import { type Env, loadConfig } from "../config/Config.js"
import type { EngineService } from "../sync/index.js"
import { Inbox, type InboxService } from "../inbox/Inbox.js"
import { LinkStore, type LinkStoreService } from "../links/LinkStore.js"
import { makeLogger } from "../observability/Log.js"
import { ServiceMetrics } from "../observability/Metrics.js"
import { makeSources } from "../Service.js"
import { genericBody } from "../testing/harness.js"
import { SqliteStoresLive } from "../store/SqliteStores.js"

const SECRET = "settings-secret"
const ADMIN = "an-admin-token-of-some-length-42"

let runtime: ManagedRuntime.ManagedRuntime<Inbox | LinkStore, unknown>
let inbox: InboxService
let links: LinkStoreService

beforeAll(async () => {
  runtime = ManagedRuntime.make(SqliteStoresLive(":memory:", { hardLimit: 1000 }))
  ;({ inbox, links } = await runtime.runPromise(Effect.all({ inbox: Inbox, links: LinkStore })))
})
afterAll(async () => {
  await runtime.dispose()
})

/** The app as startService builds it from `env`, with its warning-level log lines collected. */
const appFrom = (env: Env) => {
  const config = loadConfig(env, "/srv")
  const logLines: Array<string> = []
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(chunk.toString("utf8"))
      done()
    }
  })
  const engine: EngineService = {
    process: () => Effect.die("not used"),
    run: () => Effect.never,
    ticketStatus: (key) =>
      Effect.map(inbox.pendingFor(key), (p) => ({ source: key.source, ticketId: key.ticketId, pendingEvents: p.count }))
  }
  const metrics = new ServiceMetrics()
  const app = makeApp({
    catalog: defaultCatalog,
    sources: makeSources(config.webhooks),
    credentials: config.webhooks,
    inbox,
    links,
    engine,
    metrics,
    log: makeLogger("warn", destination),
    genesysReady: async () => undefined,
    refreshGauges: async () => undefined,
    inboxRetryAfterSeconds: 5,
    ...config.edge
  })
  return { app, logLines }
}

const post = (app: ReturnType<typeof makeApp>, source: string, body: Buffer, headers: Record<string, string>) => {
  let r = request(app).post(`/webhooks/${source}`)
  for (const [k, v] of Object.entries(headers)) r = r.set(k, v)
  return r.serialize((x: unknown) => x as string).send(body)
}

describe("WORKBRIDGE_WEBHOOK_TOLERANCE_SECONDS", () => {
  const fixture = loadFixture("zendesk-ticket-created")
  const tenMinutesAgo = () => new Date(Date.now() - 10 * 60 * 1000)

  it("a Zendesk delivery signed 10 minutes ago is refused with the default 300 s", async () => {
    const { app } = appFrom({ WEBHOOK_SECRET_ZENDESK: SECRET })
    const res = await post(
      app,
      "zendesk",
      fixture.rawBody,
      sign("zendesk", fixture.rawBody, { secret: SECRET }, tenMinutesAgo())
    )
    expect(res.status).toBe(401)
    expect(res.body.message).toMatch(/StaleTimestamp|300 s/)
  })

  it("the same delivery is accepted with a 900 s tolerance", async () => {
    const { app } = appFrom({ WEBHOOK_SECRET_ZENDESK: SECRET, WORKBRIDGE_WEBHOOK_TOLERANCE_SECONDS: "900" })
    const res = await post(
      app,
      "zendesk",
      fixture.rawBody,
      sign("zendesk", fixture.rawBody, { secret: SECRET }, tenMinutesAgo())
    )
    expect(res.status).toBe(202)
    expect(res.body.status).toBe("accepted")
  })
})

describe("WEBHOOK_SIGNATURE_HEADER_<SOURCE>", () => {
  const raw = (ticketId: string) => Buffer.from(JSON.stringify(genericBody({ ticketId, rev: 1 })))

  it("a configured generic source reads its signature from the custom header, and only there", async () => {
    const { app } = appFrom({ WEBHOOK_SECRET_ACME: SECRET, WEBHOOK_SIGNATURE_HEADER_ACME: "X-Acme-Signature" })
    const ok = await post(
      app,
      "acme",
      raw("HDR-1"),
      sign("acme", raw("HDR-1"), { secret: SECRET }, new Date(), { signatureHeader: "X-Acme-Signature" })
    )
    expect(ok.status).toBe(202)
    const defaultHeader = await post(
      app,
      "acme",
      raw("HDR-2"),
      sign("acme", raw("HDR-2"), { secret: SECRET }, new Date())
    )
    expect(defaultHeader.status).toBe(401)
    expect(defaultHeader.body.message).toContain("x-acme-signature")
  })

  it("applies to the built-in generic source too", async () => {
    const { app } = appFrom({ WEBHOOK_SECRET_GENERIC: SECRET, WEBHOOK_SIGNATURE_HEADER_GENERIC: "X-Signature" })
    const ok = await post(
      app,
      "generic",
      raw("HDR-3"),
      sign("generic", raw("HDR-3"), { secret: SECRET }, new Date(), { signatureHeader: "x-signature" })
    )
    expect(ok.status).toBe(202)
  })

  it("a source with only a signature header still needs credentials (401 naming the variable)", async () => {
    const { app } = appFrom({ WEBHOOK_SIGNATURE_HEADER_BETA: "X-Beta-Signature" })
    const res = await post(
      app,
      "beta",
      raw("HDR-4"),
      sign("beta", raw("HDR-4"), { secret: SECRET }, new Date(), { signatureHeader: "x-beta-signature" })
    )
    expect(res.status).toBe(401)
    expect(res.body.error).toBe("SourceNotConfigured")
    expect(res.body.message).toContain("WEBHOOK_SECRET_BETA")
  })
})

describe("WORKBRIDGE_ADMIN_TOKEN", () => {
  const operations: ReadonlyArray<readonly [string, string]> = [
    ["get", "/metrics"],
    ["get", "/tickets/generic/ADM-1"],
    ["get", "/dead-letters"],
    ["post", "/dead-letters/some-id/replay"],
    ["delete", "/dead-letters/some-id"]
  ]
  const call = (app: ReturnType<typeof makeApp>, method: string, path: string, auth?: string) => {
    const r =
      method === "get"
        ? request(app).get(path)
        : method === "post"
          ? request(app).post(path)
          : request(app).delete(path)
    return auth === undefined ? r : r.set("authorization", auth)
  }

  it("when set: every operations endpoint answers 401 JSON without the bearer token or with a wrong one", async () => {
    const { app, logLines } = appFrom({ WORKBRIDGE_ADMIN_TOKEN: ADMIN })
    for (const [method, path] of operations) {
      for (const auth of [
        undefined,
        "Bearer wrong-token",
        `Basic ${Buffer.from(`x:${ADMIN}`).toString("base64")}`,
        ADMIN,
        `Bearer ${ADMIN}x`
      ]) {
        const res = await call(app, method, path, auth)
        expect({ method, path, auth, status: res.status }).toEqual({ method, path, auth, status: 401 })
        expect(res.headers["content-type"]).toMatch(/json/)
        expect(res.body.error).toBe("Unauthorized")
        expect(res.body.message).toContain("WORKBRIDGE_ADMIN_TOKEN")
        expect(JSON.stringify(res.body)).not.toContain(ADMIN)
      }
    }
    expect(logLines.join("")).not.toContain("WORKBRIDGE_ADMIN_TOKEN is not set")
  })

  it("when set: the right token passes; health and webhooks need none", async () => {
    const { app } = appFrom({ WORKBRIDGE_ADMIN_TOKEN: ADMIN, WEBHOOK_SECRET_GENERIC: SECRET })
    const bearer = `Bearer ${ADMIN}`
    expect((await call(app, "get", "/metrics", bearer)).status).toBe(200)
    expect((await call(app, "get", "/dead-letters", bearer)).status).toBe(200)
    expect((await call(app, "get", "/tickets/generic/ADM-1", bearer)).status).toBe(404)
    expect((await call(app, "delete", "/dead-letters/some-id", bearer)).status).toBe(404)
    expect((await call(app, "get", "/healthz")).status).toBe(200)
    const raw = Buffer.from(JSON.stringify(genericBody({ ticketId: "ADM-1", rev: 1 })))
    expect((await post(app, "generic", raw, sign("generic", raw, { secret: SECRET }, new Date()))).status).toBe(202)
    const status = await call(app, "get", "/tickets/generic/ADM-1", `bearer   ${ADMIN}`)
    expect(status.status).toBe(200)
    expect(status.body.pendingEvents).toBe(1)
  })

  it("when unset: the operations endpoints stay open and a warning recommends the variable", async () => {
    const { app, logLines } = appFrom({})
    expect((await call(app, "get", "/metrics")).status).toBe(200)
    expect((await call(app, "get", "/dead-letters")).status).toBe(200)
    const warning = logLines
      .map((l) => JSON.parse(l) as { level: number; msg: string })
      .find((l) => l.msg.includes("WORKBRIDGE_ADMIN_TOKEN"))
    expect(warning?.level).toBe(40)
    expect(warning?.msg).toContain("is not set")
    expect(warning?.msg).toContain("/ops")
  })

  it("bearerMatches compares the whole token", () => {
    expect(bearerMatches(`Bearer ${ADMIN}`, ADMIN)).toBe(true)
    expect(bearerMatches(`Bearer ${ADMIN.slice(0, -1)}`, ADMIN)).toBe(false)
    expect(bearerMatches(`Bearer ${ADMIN} extra`, ADMIN)).toBe(false)
    expect(bearerMatches(undefined, ADMIN)).toBe(false)
    expect(bearerMatches("Bearer ", ADMIN)).toBe(false)
  })
})
