/**
 * Bulk creation through the Genesys client against the emulator, via the official SDK: one result per body in
 * order (the created workitem's id, or the entity's error), a handful of Genesys calls per 50 workitems, and the
 * client's retries and typed errors on the bulk calls.
 */
import { defaultCatalog } from "@workbridge/catalog"
import { type Emulator, type EmulatorOptions, startEmulator } from "@workbridge/genesys-emulator"
import { Effect, Layer } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { GenesysError } from "./GenesysError.js"
import { type BulkAddOptions, Genesys, layer as genesysLayer } from "./Genesys.js"
import { type Provisioned, provision } from "./Provision.js"
import { layerMemory, RateBudget } from "./RateBudget.js"
import { layerNoTelemetry } from "./Telemetry.js"

/** An emulator with generous limits, provisioned from the default catalog as its admin client. */
const startEmulatorAndProvision = async (emulatorOptions: EmulatorOptions = {}) => {
  const emulator = await startEmulator({
    port: 0,
    rateLimitPerMinute: 100_000,
    workitemUpdatesPerMinute: 10_000,
    ...emulatorOptions
  })
  const provisioned = await provision({
    gatewayUrl: emulator.url,
    clientId: emulator.adminClientId,
    clientSecret: emulator.adminClientSecret,
    catalog: defaultCatalog
  })
  return { emulator, provisioned }
}

let emulator: Emulator
let provisioned: Provisioned
beforeAll(async () => {
  ;({ emulator, provisioned } = await startEmulatorAndProvision())
})
afterAll(async () => {
  await emulator?.close()
})

const body = (n: string): Record<string, unknown> => ({
  name: `Ticket ${n}`,
  typeId: provisioned.worktypeId,
  externalTag: `BULK-${n}`,
  customFields: { ticket_id_identifier: `T-${n}`, source_system_enum: "zendesk", subject_text: `Ticket ${n}` }
})

/** Runs `bulkAddWorkitems` with a fresh client (its own token and budget). */
const bulkAdd = (bodies: ReadonlyArray<Record<string, unknown>>, options: BulkAddOptions, emu: Emulator = emulator) => {
  const base = Layer.mergeAll(layerNoTelemetry, layerMemory({ perMinute: 6000, burst: 20 }))
  const genesys = genesysLayer({
    gatewayUrl: emu.url,
    clientId: emu.adminClientId,
    clientSecret: emu.adminClientSecret,
    timeoutMs: 2000,
    maxInFlight: 4,
    retryBaseMs: 10,
    retryMaxMs: 50,
    retryAttempts: 3
  }).pipe(Layer.provide(base))
  return Effect.runPromise(
    Effect.flatMap(Genesys, (g) => Effect.either(g.bulkAddWorkitems(bodies, options))).pipe(Effect.provide(genesys))
  )
}

const BULK = "/api/v2/taskmanagement/workitems/bulk/add/jobs"
const bulkCalls = (since: number, emu: Emulator = emulator) =>
  emu
    .requests()
    .filter((r) => Date.parse(r.at) >= since && r.path.startsWith(BULK))
    .map((r) => `${r.method} ${r.route ?? r.path}`)

describe("bulkAddWorkitems", () => {
  it("creates no job while a 429 pauses the creates (a job created then could not be queued and would be left Idle)", async () => {
    const since = Date.now()
    const base = Layer.mergeAll(layerNoTelemetry, layerMemory({ perMinute: 6000, burst: 20 }))
    const genesys = genesysLayer({
      gatewayUrl: emulator.url,
      clientId: emulator.adminClientId,
      clientSecret: emulator.adminClientSecret,
      timeoutMs: 2000,
      maxInFlight: 4,
      retryBaseMs: 10,
      retryMaxMs: 50,
      retryAttempts: 3
    }).pipe(Layer.provideMerge(base))
    const r = await Effect.runPromise(
      Effect.gen(function* () {
        yield* (yield* RateBudget).pause(3600, { kind: "creates" })
        return yield* Effect.either((yield* Genesys).bulkAddWorkitems([body("paused")], { firstPollMs: 10 }))
      }).pipe(Effect.provide(genesys))
    )
    if (r._tag === "Right") throw new Error("bulk add ran while creates were paused")
    expect([r.left.reason, r.left.heldBack]).toEqual(["RateLimited", true])
    expect(bulkCalls(since)).toEqual([])
  })

  it("creates 200 workitems in 4 jobs of 50 with 16 Genesys calls, answering each body's workitem id in order", async () => {
    const since = Date.now()
    const bodies = Array.from({ length: 200 }, (_, i) => body(`many-${i}`))
    // The emulator runs a queued job 250 ms after it was queued: a first status read after 300 ms finds it finished.
    const r = await bulkAdd(bodies, { firstPollMs: 300 })
    if (r._tag === "Left") throw r.left
    expect(r.right).toHaveLength(200)
    r.right.forEach((x, i) => {
      if (!x.ok) throw new Error(`item ${i} failed: ${x.message}`)
      const w = emulator.state.workitems.get(x.workitemId)
      expect([i, w?.name, w?.attrs["externalTag"]]).toEqual([i, `Ticket many-${i}`, `BULK-many-${i}`])
    })
    expect(new Set(r.right.map((x) => (x.ok ? x.workitemId : ""))).size).toBe(200)
    const calls = bulkCalls(since)
    expect(calls.filter((c) => c === `POST ${BULK}`)).toHaveLength(4)
    expect(calls.filter((c) => c === `PATCH ${BULK}/{bulkJobId}`)).toHaveLength(4)
    expect(calls.filter((c) => c === `GET ${BULK}/{bulkJobId}`)).toHaveLength(4)
    expect(calls.filter((c) => c === `GET ${BULK}/{bulkJobId}/results`)).toHaveLength(4)
    expect(calls).toHaveLength(16)
  })

  it("after a job that needed several status reads, waits that long before reading the next job: one status read each", async () => {
    const since = Date.now()
    // The emulator runs a queued job 250 ms after it was queued: the first job, read after 10 ms and then with doubling
    // waits, needs several reads; the next jobs wait as long as it took before their first read.
    const r = await bulkAdd(
      Array.from({ length: 150 }, (_, i) => body(`learn-${i}`)),
      { firstPollMs: 10 }
    )
    if (r._tag === "Left") throw r.left
    expect(r.right.filter((x) => x.ok)).toHaveLength(150)
    const reads = emulator
      .requests()
      .filter((q) => Date.parse(q.at) >= since && q.method === "GET" && q.route === `${BULK}/{bulkJobId}`)
      .map((q) => q.path.slice(BULK.length + 1))
    const perJob = [...new Set(reads)].map((id) => reads.filter((x) => x === id).length)
    expect(perJob).toHaveLength(3)
    expect(perJob[0]).toBeGreaterThan(1)
    expect(perJob.slice(1)).toEqual([1, 1])
  })

  it("reports a refused item with its error and still creates the others", async () => {
    const bad = {
      ...body("bad-field"),
      customFields: { ticket_id_identifier: "T-bad", source_system_enum: "not-a-system", subject_text: "x" }
    }
    const r = await bulkAdd(
      [body("ok-1"), bad, { ...body("bad-type"), typeId: "00000000-0000-4000-8000-000000000000" }, body("ok-2")],
      { firstPollMs: 300 }
    )
    if (r._tag === "Left") throw r.left
    const [a, b, c, d] = r.right
    expect(a?.ok && emulator.state.workitems.get(a.workitemId)?.name).toBe("Ticket ok-1")
    expect(d?.ok && emulator.state.workitems.get(d.workitemId)?.name).toBe("Ticket ok-2")
    expect(b).toMatchObject({ ok: false, code: "bad.request" })
    expect(!b?.ok && b?.message).toContain("source_system_enum")
    expect(c).toMatchObject({ ok: false, code: "bad.request" })
    expect(!c?.ok && c?.message).toContain("typeId")
  })

  it("retries a transient failure of the create and of the queue call, creating each workitem once", async () => {
    emulator.faults.add({ method: "POST", path: BULK, kind: "status", status: 503, count: 1 })
    emulator.faults.add({ method: "PATCH", path: BULK, kind: "rateLimit", retryAfterSeconds: 1, count: 1 })
    try {
      const r = await bulkAdd([body("retry-1"), body("retry-2")], { firstPollMs: 300 })
      if (r._tag === "Left") throw r.left
      expect(r.right.map((x) => x.ok)).toEqual([true, true])
      const tagged = [...emulator.state.workitems.values()].filter((w) =>
        String(w.attrs["externalTag"]).startsWith("BULK-retry-")
      )
      expect(tagged).toHaveLength(2)
    } finally {
      emulator.faults.clear()
    }
  })

  it("fails with a typed GenesysError when the job's status cannot be read", async () => {
    emulator.faults.add({ method: "GET", path: `${BULK}/`, kind: "status", status: 500 })
    try {
      const r = await bulkAdd([body("unread-1")], { firstPollMs: 10 })
      expect(r._tag).toBe("Left")
      if (r._tag === "Right") return
      expect(r.left).toBeInstanceOf(GenesysError)
      expect([r.left.reason, r.left.operation]).toEqual(["ServerError", "getBulkAddJob"])
    } finally {
      emulator.faults.clear()
    }
  })
})

describe("bulkAddWorkitems while a job takes its time", () => {
  // This emulator's clock only moves when the test moves it, so a queued job runs exactly when the test says.
  let t = Date.parse("2026-03-02T08:00:00.000Z")
  let slow: Emulator
  let slowProvisioned: Provisioned
  beforeAll(async () => {
    ;({ emulator: slow, provisioned: slowProvisioned } = await startEmulatorAndProvision({ clock: () => t }))
  })
  afterAll(async () => {
    await slow?.close()
  })
  const slowBody = (n: string) => ({ ...body(n), typeId: slowProvisioned.worktypeId })
  const statusReads = () => bulkCalls(0, slow).filter((c) => c === `GET ${BULK}/{bulkJobId}`).length

  it("reads the job's status again, backing off, until it has finished", async () => {
    const pending = bulkAdd([slowBody("slow-1")], { firstPollMs: 10, maxPollMs: 40 }, slow)
    while (statusReads() < 2) await new Promise((r) => setTimeout(r, 10))
    t += 1_000
    const r = await pending
    if (r._tag === "Left") throw r.left
    const first = r.right[0]
    expect(first?.ok && slow.state.workitems.get(first.workitemId)?.name).toBe("Ticket slow-1")
    expect(statusReads()).toBeGreaterThanOrEqual(3)
  })

  it("gives up on a job that does not finish in time", async () => {
    const r = await bulkAdd([slowBody("late-1")], { firstPollMs: 10, maxPollMs: 10, jobTimeoutMs: 50 }, slow)
    expect(r._tag).toBe("Left")
    if (r._tag === "Right") return
    expect(r.left).toBeInstanceOf(GenesysError)
    expect([r.left.reason, r.left.operation]).toEqual(["Timeout", "getBulkAddJob"])
  })
})
