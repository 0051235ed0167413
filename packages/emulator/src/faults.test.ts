import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { type Emulator, startEmulator } from "./Emulator.js"
import { type SdkSession, call, login } from "./testing.js"

const SCHEMAS = "/api/v2/taskmanagement/workitems/schemas"
const json = (r: Response): Promise<any> => r.json()

describe("per-token rate limit", () => {
  let now = Date.parse("2026-03-05T12:00:00.000Z")
  let emu: Emulator
  beforeAll(async () => {
    emu = await startEmulator({ rateLimitPerMinute: 3, clock: () => now })
  })
  afterAll(async () => {
    await emu.close()
  })

  it("answers the normalized 429 too.many.requests.retry.after with Retry-After and no rate-limit headers, per token", async () => {
    const s = await login(emu.url, emu.adminClientId, emu.adminClientSecret)
    for (let i = 0; i < 3; i++) expect((await call(s.tm.getTaskmanagementWorkitemsSchemas())).status).toBe(200)
    now += 20_000
    const limited = await call(s.tm.getTaskmanagementWorkitemsSchemas())
    expect(limited.status).toBe(429)
    expect(limited.headers["retry-after"]).toBe("40")
    expect(limited.body).toEqual({
      message: "Rate limit exceeded the maximum. Retry the request in [40] seconds",
      code: "too.many.requests.retry.after",
      status: 429,
      contextId: limited.headers["inin-correlation-id"],
      details: [],
      errors: []
    })
    expect(Object.keys(limited.headers).filter((h) => /ratelimit/i.test(h))).toEqual([])
    const other = await login(emu.url, emu.adminClientId, emu.adminClientSecret)
    expect((await call(other.tm.getTaskmanagementWorkitemsSchemas())).status).toBe(200)
    now += 40_000
    expect((await call(s.tm.getTaskmanagementWorkitemsSchemas())).status).toBe(200)
    expect(emu.stats().rateLimited).toBe(1)
  })
})

describe("fault injection", () => {
  let emu: Emulator
  let s: SdkSession
  beforeAll(async () => {
    emu = await startEmulator()
    s = await login(emu.url, emu.adminClientId, emu.adminClientSecret)
  })
  afterEach(() => {
    emu.faults.clear()
  })
  afterAll(async () => {
    await emu.close()
  })

  it("injects a status for a route, a limited number of times", async () => {
    emu.faults.add({ path: SCHEMAS, method: "GET", kind: "status", status: 503, count: 2 })
    const first = await call(s.tm.getTaskmanagementWorkitemsSchemas())
    expect(first.status).toBe(503)
    expect(first.body).toMatchObject({ status: 503, code: "service.unavailable" })
    expect((await call(s.tm.getTaskmanagementWorkitemsSchemas())).status).toBe(503)
    expect((await call(s.tm.getTaskmanagementWorkitemsSchemas())).status).toBe(200)
    expect((await call(s.tm.postTaskmanagementWorkbins({ name: "Unaffected" }))).status).toBe(200)
  })

  it("injects the status-concurrency 400 and version conflicts Genesys answers, leaving the state unchanged", async () => {
    const wb = await call(s.tm.postTaskmanagementWorkbins({ name: "Transient" }))
    const wt = await call(
      s.tm.postTaskmanagementWorktypes({
        name: "Transient type",
        defaultWorkbinId: wb.body.id,
        disableDefaultStatusCreation: true
      } as never)
    )
    emu.faults.add({ path: /\/statuses/, method: "POST", kind: "statusConcurrency", count: 1 })
    const before = emu.state.statuses.size
    const refused = await call(s.tm.postTaskmanagementWorktypeStatuses(wt.body.id, { name: "Open", category: "Open" }))
    expect(refused.status).toBe(400)
    expect(refused.body).toMatchObject({ code: "bad.request", message: "Database transaction was cancelled" })
    expect(emu.state.statuses.size).toBe(before)
    expect(
      (await call(s.tm.postTaskmanagementWorktypeStatuses(wt.body.id, { name: "Open", category: "Open" }))).status
    ).toBe(200)

    emu.faults.add({ path: SCHEMAS, method: "POST", kind: "versionConflict", count: 1 })
    emu.faults.add({ path: SCHEMAS, method: "POST", kind: "versionConflict", status: 400, count: 1 })
    const conflict = await call(s.tm.postTaskmanagementWorkitemsSchemas({ name: "x" } as never))
    expect(conflict.status).toBe(409)
    expect(conflict.body.message).toContain("does not match the current version")
    const asBadRequest = await call(s.tm.postTaskmanagementWorkitemsSchemas({ name: "x" } as never))
    expect(asBadRequest.status).toBe(400)
    expect(asBadRequest.body.message).toContain("does not match the current version")
    expect(() => emu.faults.add({ kind: "versionConflict", status: 500 })).toThrow(/status/)
  })

  it("injects 429 bursts with Retry-After", async () => {
    emu.faults.add({ path: /\/workitems\/schemas$/, kind: "rateLimit", retryAfterSeconds: 7, count: 3 })
    const statuses: Array<number> = []
    for (let i = 0; i < 4; i++) {
      const r = await call(s.tm.getTaskmanagementWorkitemsSchemas())
      statuses.push(r.status)
      if (r.status === 429) {
        expect(r.headers["retry-after"]).toBe("7")
        expect(r.body.code).toBe("too.many.requests.retry.after")
      }
    }
    expect(statuses).toEqual([429, 429, 429, 200])
  })

  it("adds latency and records it", async () => {
    emu.clearRequests()
    emu.faults.add({ path: SCHEMAS, kind: "latency", latencyMs: 30, count: 1 })
    expect((await call(s.tm.getTaskmanagementWorkitemsSchemas())).status).toBe(200)
    expect(emu.requests().map((r) => r.fault)).toEqual(["latency"])
  })

  it("hangs a request until the client times out", async () => {
    emu.faults.add({ path: SCHEMAS, kind: "hang", count: 1 })
    s.client.getHttpClient().setTimeout(300)
    try {
      const err = await s.tm.getTaskmanagementWorkitemsSchemas().then(
        () => undefined,
        (e: unknown) => e
      )
      expect(JSON.stringify(err)).toMatch(/ECONNABORTED|timeout/i)
    } finally {
      s.client.getHttpClient().setTimeout(16_000)
    }
    expect((await call(s.tm.getTaskmanagementWorkitemsSchemas())).status).toBe(200)
  })

  it("applies a request but never answers it (lostResponse): the client times out, the change is made", async () => {
    emu.clearRequests()
    emu.faults.add({ path: "/api/v2/taskmanagement/workbins", method: "POST", kind: "lostResponse", count: 1 })
    s.client.getHttpClient().setTimeout(300)
    try {
      const err = await s.tm.postTaskmanagementWorkbins({ name: "Made but unanswered" }).then(
        () => undefined,
        (e: unknown) => e
      )
      expect(JSON.stringify(err)).toMatch(/ECONNABORTED|timeout/i)
    } finally {
      s.client.getHttpClient().setTimeout(16_000)
    }
    expect(emu.requests().at(-1)).toMatchObject({ method: "POST", status: 0, fault: "lostResponse" })
    const bins = [...emu.state.workbins.values()].map((b) => b.name)
    expect(bins.filter((n) => n === "Made but unanswered")).toHaveLength(1)
  })

  it("drops the connection", async () => {
    emu.faults.add({ path: SCHEMAS, kind: "drop", count: 1 })
    const err = await s.tm.getTaskmanagementWorkitemsSchemas().then(
      () => undefined,
      (e: unknown) => e
    )
    expect(JSON.stringify(err)).toMatch(/ECONNRESET|socket hang up/i)
    expect(emu.requests().at(-1)).toMatchObject({ status: 0, fault: "drop" })
  })

  it("draws probabilities from a seeded PRNG, so runs repeat", async () => {
    const run = async (seed: number): Promise<Array<number>> => {
      const e = await startEmulator({ seed })
      try {
        const t = await login(e.url, e.adminClientId, e.adminClientSecret)
        e.faults.add({ path: SCHEMAS, kind: "status", status: 500, probability: 0.5 })
        const out: Array<number> = []
        for (let i = 0; i < 16; i++) out.push((await call(t.tm.getTaskmanagementWorkitemsSchemas())).status)
        return out
      } finally {
        await e.close()
      }
    }
    const a = await run(42)
    expect(await run(42)).toEqual(a)
    expect(a).toContain(500)
    expect(a).toContain(200)
    expect(await run(7)).not.toEqual(a)
  })

  it("takes rules for a whole run from the options", async () => {
    const e = await startEmulator({ faults: [{ path: SCHEMAS, kind: "status", status: 504, count: 1 }] })
    try {
      const t = await login(e.url, e.adminClientId, e.adminClientSecret)
      expect((await call(t.tm.getTaskmanagementWorkitemsSchemas())).status).toBe(504)
      expect((await call(t.tm.getTaskmanagementWorkitemsSchemas())).status).toBe(200)
    } finally {
      await e.close()
    }
    await expect(startEmulator({ faults: [{ kind: "hang", probability: -1 }] })).rejects.toThrow(/probability/)
  })

  it("rejects invalid rules naming the field", () => {
    expect(() => emu.faults.add({ kind: "explode" } as never)).toThrow(/kind/)
    expect(() => emu.faults.add({ kind: "status" })).toThrow(/status/)
    expect(() => emu.faults.add({ kind: "latency" })).toThrow(/latencyMs/)
    expect(() => emu.faults.add({ kind: "drop", probability: 2 })).toThrow(/probability/)
    expect(emu.faults.list()).toEqual([])
  })
})

describe("control API over HTTP", () => {
  let emu: Emulator
  beforeAll(async () => {
    emu = await startEmulator()
  })
  afterAll(async () => {
    await emu.close()
  })
  const ctl = (method: string, path: string, body?: unknown) =>
    fetch(`${emu.url}/__emulator${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } })
    })

  it("adds and clears faults with a path regex, and is never faulted itself", async () => {
    const s = await login(emu.url, emu.adminClientId, emu.adminClientSecret)
    const added = await ctl("POST", "/faults", { path: ".*", kind: "status", status: 502 })
    expect(added.status).toBe(201)
    expect((await json(added)).id).toEqual(expect.any(String))
    expect((await call(s.tm.getTaskmanagementWorkitemsSchemas())).status).toBe(502)
    expect((await ctl("GET", "/stats")).status).toBe(200)
    expect((await ctl("DELETE", "/faults")).status).toBe(204)
    expect((await call(s.tm.getTaskmanagementWorkitemsSchemas())).status).toBe(200)
    const bad = await ctl("POST", "/faults", { kind: "status" })
    expect(bad.status).toBe(400)
    expect((await json(bad)).message).toContain("status")
  })

  it("serves the request log, clears it, and counts calls by route template and status", async () => {
    const s = await login(emu.url, emu.adminClientId, emu.adminClientSecret)
    expect((await ctl("DELETE", "/requests")).status).toBe(204)
    await call(s.tm.getTaskmanagementWorkbin("00000000-0000-4000-8000-000000000001"))
    const log = (await json(await ctl("GET", "/requests"))).requests
    expect(log).toEqual([
      expect.objectContaining({
        method: "GET",
        path: "/api/v2/taskmanagement/workbins/00000000-0000-4000-8000-000000000001",
        status: 404,
        clientId: emu.adminClientId,
        route: "/api/v2/taskmanagement/workbins/{workbinId}"
      })
    ])
    expect((await json(await ctl("GET", `/requests?clientId=${emu.adminClientId}`))).requests).toHaveLength(1)
    expect((await json(await ctl("GET", "/requests?clientId=someone-else"))).requests).toEqual([])
    expect((await json(await ctl("GET", "/requests?since=2999-01-01T00:00:00Z"))).requests).toEqual([])
    expect((await ctl("GET", "/requests?since=yesterday")).status).toBe(400)
    const stats = await json(await ctl("GET", "/stats"))
    expect(stats.calls["GET /api/v2/taskmanagement/workbins/{workbinId}"]).toEqual({ "404": 1 })
    expect(stats.calls["POST /oauth/token"]["200"]).toBeGreaterThan(0)
  })

  it("expires tokens and changes the configuration, refusing bad values", async () => {
    const s = await login(emu.url, emu.adminClientId, emu.adminClientSecret)
    expect((await ctl("POST", "/tokens/expire")).status).toBe(204)
    expect((await call(s.tm.getTaskmanagementWorkitemsSchemas())).status).toBe(401)
    const okPatch = await ctl("PATCH", "/config", { rateLimitPerMinute: 1 })
    expect(okPatch.status).toBe(200)
    const t = await login(emu.url, emu.adminClientId, emu.adminClientSecret)
    expect((await call(t.tm.getTaskmanagementWorkitemsSchemas())).status).toBe(200)
    expect((await call(t.tm.getTaskmanagementWorkitemsSchemas())).status).toBe(429)
    expect((await ctl("GET", "/stats")).status).toBe(200)
    const bad = await ctl("PATCH", "/config", { rateLimitPerMinute: "fast" })
    expect(bad.status).toBe(400)
    expect((await json(bad)).message).toContain("rateLimitPerMinute")
    expect((await ctl("PATCH", "/config", { rateLimitPerMinute: 300 })).status).toBe(200)
  })
})
