/** The engine on its own: real SQLite stores and the SDK against an in-process emulator, a mapping that can misbehave. */
import { defaultCatalog, makeRevision } from "@workbridge/catalog"
import type { Emulator } from "@workbridge/genesys-emulator"
import { Clock, Effect, Fiber, Layer, ManagedRuntime } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { createPendingLink, isCreatePending, type Link } from "../domain/records.js"
import { make as makeEngine } from "./index.js"
import {
  Genesys,
  type GenesysClientOptions,
  type GenesysService,
  type Provisioned,
  provision,
  rateBudgetLayerMemory as layerMemory
} from "@workbridge/genesys"
import { layer as genesysLayer } from "../genesys/GenesysLive.js"
import { Inbox } from "../inbox/Inbox.js"
import { LinkStore, type LinkStoreService } from "../links/LinkStore.js"
import { Log, makeLogger } from "../observability/Log.js"
import { catalogMapping, type WorkitemMapping } from "./Mapping.js"
import { Metrics, ServiceMetrics } from "../observability/Metrics.js"
import { testEvent } from "../testing/events.js"
import { startEmulatorAndProvision } from "../testing/harness.js"
import { SqliteStoresLive } from "../store/SqliteStores.js"

let emulator: Emulator
let provisioned: Provisioned
beforeAll(async () => {
  ;({ emulator, provisioned } = await startEmulatorAndProvision())
})
afterAll(async () => {
  await emulator?.close()
})

const runtimeFor = (emu: Emulator = emulator, genesysOptions: Partial<GenesysClientOptions> = {}) => {
  const base = Layer.mergeAll(
    Layer.succeed(Metrics, new ServiceMetrics()),
    Layer.succeed(Log, makeLogger("silent")),
    layerMemory({ perMinute: 6000, burst: 20 })
  )
  return ManagedRuntime.make(
    Layer.mergeAll(
      SqliteStoresLive(":memory:", { hardLimit: 1000, pollIntervalMs: 10 }),
      base,
      genesysLayer({
        gatewayUrl: emu.url,
        clientId: emu.adminClientId,
        clientSecret: emu.adminClientSecret,
        timeoutMs: 2000,
        maxInFlight: 4,
        retryBaseMs: 10,
        retryMaxMs: 50,
        retryAttempts: 3,
        ...genesysOptions
      }).pipe(Layer.provide(base))
    )
  )
}

/** Run `f` with the runtime, disposed after it whatever happens. */
const disposing = async <T>(
  runtime: ReturnType<typeof runtimeFor>,
  f: (runtime: ReturnType<typeof runtimeFor>) => Promise<T>
) => {
  try {
    return await f(runtime)
  } finally {
    await runtime.dispose()
  }
}

const fields = (ticketId: string, subject: string) => ({ ticket_id: ticketId, source_system: "generic", subject })

/** The engine on the default catalog over a worktype, and the ports the tests read. */
const engineOver = (worktypeId: string) =>
  Effect.gen(function* () {
    const genesys = yield* Genesys
    const statuses = yield* genesys.getStatuses(worktypeId)
    const engine = yield* makeEngine({
      mapping: catalogMapping(defaultCatalog),
      target: { typeId: worktypeId, statuses }
    })
    return { genesys, statuses, engine, inbox: yield* Inbox, links: yield* LinkStore }
  })

describe("Engine", () => {
  it("survives a defect in one apply: the ticket waits, is retried, and the worker keeps working", async () => {
    await disposing(runtimeFor(), async (runtime) => {
      const base = catalogMapping(defaultCatalog)
      let failures = 1
      const flaky: WorkitemMapping = {
        ...base,
        normalize: (f) => {
          if (f["ticket_id"] === "DEFECT-1" && failures-- > 0) throw new Error("boom")
          return base.normalize(f)
        }
      }
      const result = await runtime.runPromise(
        Effect.gen(function* () {
          const genesys = yield* Genesys
          const statuses = yield* genesys.getStatuses(provisioned.worktypeId)
          const engine = yield* makeEngine({
            mapping: flaky,
            target: { typeId: provisioned.worktypeId, statuses },
            failureBackoffMs: 100
          })
          const inbox = yield* Inbox
          const links = yield* LinkStore
          yield* inbox.accept(testEvent({ ticketId: "DEFECT-1", rev: 1, fields: fields("DEFECT-1", "first ticket") }))
          yield* inbox.accept(testEvent({ ticketId: "DEFECT-2", rev: 1, fields: fields("DEFECT-2", "second ticket") }))
          const workers = yield* Effect.fork(engine.run(1))
          for (let i = 0; i < 200; i++) {
            const a = yield* links.get({ source: "generic", ticketId: "DEFECT-1" })
            const b = yield* links.get({ source: "generic", ticketId: "DEFECT-2" })
            // A create intent (recorded before the POST) is not yet the link.
            if (a !== undefined && b !== undefined && !isCreatePending(a) && !isCreatePending(b)) break
            yield* Effect.sleep(25)
          }
          yield* Fiber.interrupt(workers)
          return {
            a: yield* links.get({ source: "generic", ticketId: "DEFECT-1" }),
            b: yield* links.get({ source: "generic", ticketId: "DEFECT-2" }),
            depth: yield* inbox.depth
          }
        })
      )
      expect(failures).toBe(-1)
      expect(result.a?.appliedRevision).toBe(makeRevision(1))
      expect(result.b?.appliedRevision).toBe(makeRevision(1))
      expect(result.depth).toBe(0)
    })
  })

  it("records every event of a batch: the newest applied, the rest superseded; a stale batch only superseded", async () => {
    await disposing(runtimeFor(), async (runtime) => {
      const r = await runtime.runPromise(
        Effect.gen(function* () {
          const { engine, inbox, links } = yield* engineOver(provisioned.worktypeId)
          for (const rev of [2, 1, 3])
            yield* inbox.accept(testEvent({ ticketId: "OUT-1", rev, fields: fields("OUT-1", `rev ${rev}`) }))
          const first = yield* engine.process(yield* inbox.take)
          yield* inbox.accept(
            testEvent({ ticketId: "OUT-1", rev: 2, deliveryKey: "late-copy", fields: fields("OUT-1", "late") })
          )
          const second = yield* engine.process(yield* inbox.take)
          return { first, second, counts: yield* links.outcomeCounts }
        })
      )
      expect(r.first?._tag).toBe("Applied")
      expect(r.second?._tag).toBe("Superseded")
      expect(r.counts).toEqual({ applied: 1, superseded: 3, dead: 0 })
    })
  })
})

describe("Engine time", () => {
  /** A clock fixed at `at` for reading the time; its sleeps are the real clock's (the client's timeouts, the budget). */
  const fixedClock = (at: number): Clock.Clock => {
    const real = Clock.make()
    return {
      [Clock.ClockTypeId]: Clock.ClockTypeId,
      unsafeCurrentTimeMillis: () => at,
      currentTimeMillis: Effect.succeed(at),
      unsafeCurrentTimeNanos: () => BigInt(at) * 1_000_000n,
      currentTimeNanos: Effect.succeed(BigInt(at) * 1_000_000n),
      sleep: (d) => real.sleep(d)
    }
  }

  it("reads the time from the Effect Clock: the link's applied time, the workitem's last sync and the ticket's lag", async () => {
    const at = Date.parse("2031-05-06T07:08:09.000Z")
    await disposing(runtimeFor(), async (runtime) => {
      const r = await runtime.runPromise(
        Effect.gen(function* () {
          const { genesys, engine, inbox, links } = yield* engineOver(provisioned.worktypeId)
          const key = { source: "generic", ticketId: "CLOCK-1" }
          yield* inbox.accept(testEvent({ ticketId: "CLOCK-1", rev: 1, fields: fields("CLOCK-1", "clock") }))
          const result = yield* Effect.flatMap(inbox.take, (b) => engine.process(b)).pipe(
            Effect.withClock(fixedClock(at))
          )
          const link = yield* links.get(key)
          const workitem = yield* genesys.getWorkitem(link!.workitemId)
          yield* inbox.accept(testEvent({ ticketId: "CLOCK-1", rev: 2, fields: fields("CLOCK-1", "clock 2") }))
          const accepted = Date.parse((yield* inbox.pendingFor(key)).oldestAcceptedAt!)
          const status = yield* engine.ticketStatus(key).pipe(Effect.withClock(fixedClock(accepted + 90_000)))
          return { result, link, workitem, status }
        })
      )
      expect(r.result?._tag).toBe("Applied")
      expect(r.link?.appliedAt).toBe("2031-05-06T07:08:09.000Z")
      expect(r.workitem.customFields?.["last_synced_datetime"]).toBe("2031-05-06T07:08:09.000Z")
      expect(r.status.lagSeconds).toBe(90)
    })
  })
})

describe("Engine calls on a worktype it has known since it was empty", () => {
  let own: Emulator
  let ownProvisioned: Provisioned
  beforeAll(async () => {
    ;({ emulator: own, provisioned: ownProvisioned } = await startEmulatorAndProvision())
  })
  afterAll(async () => {
    await own?.close()
  })
  const routes = () =>
    own
      .requests()
      .filter((r) => r.path.startsWith("/api/v2/taskmanagement/workitems"))
      .map((r) => `${r.method} ${r.route ?? r.path}`)
  const QUERY = "POST /api/v2/taskmanagement/workitems/query"
  const CREATE = "POST /api/v2/taskmanagement/workitems"
  const GET = "GET /api/v2/taskmanagement/workitems/{workitemId}"
  const PATCH = "PATCH /api/v2/taskmanagement/workitems/{workitemId}"

  it("a new ticket costs one POST, a status change one PATCH; a status moved in Genesys is read and walked from", async () => {
    await disposing(runtimeFor(own), async (runtime) => {
      const r = await runtime.runPromise(
        Effect.gen(function* () {
          const genesys = yield* Genesys
          const statuses = yield* genesys.getStatuses(ownProvisioned.worktypeId)
          const id = (name: string) => statuses.find((s) => s.name === name)!.id
          const engine = yield* makeEngine({
            mapping: catalogMapping(defaultCatalog),
            target: { typeId: ownProvisioned.worktypeId, statuses }
          })
          const inbox = yield* Inbox
          const links = yield* LinkStore
          const step = (ticketId: string, rev: number, extra: Record<string, unknown> = {}) =>
            Effect.gen(function* () {
              own.clearRequests()
              yield* inbox.accept(
                testEvent({ ticketId, rev, fields: { ...fields(ticketId, `${ticketId} rev ${rev}`), ...extra } })
              )
              const result = yield* engine.process(yield* inbox.take)
              return { result: result?._tag, routes: routes() }
            })
          // The first miss of the process asks once whether the worktype has workitems (it has none).
          const first = yield* step("NEW-1", 1)
          const second = yield* step("NEW-2", 1, { status: "new" })
          const closed = yield* step("NEW-2", 2, { status: "closed" })
          const workitemId = (yield* links.get({ source: "generic", ticketId: "NEW-2" }))!.workitemId
          // Someone moves the workitem in Genesys (Closed → Open → Waiting); the link still says Closed.
          yield* genesys.updateWorkitem(workitemId, { statusId: id("Open") })
          yield* genesys.updateWorkitem(workitemId, { statusId: id("Waiting") })
          const moved = yield* step("NEW-2", 3, { status: "open" })
          const finalStatus = (yield* genesys.getWorkitem(workitemId)).status?.id
          const all = yield* genesys.queryWorkitems(ownProvisioned.worktypeId, [])
          return { first, second, closed, moved, finalStatus, inProgress: id("In Progress"), count: all.length }
        })
      )
      expect(r.first).toEqual({ result: "Applied", routes: [QUERY, CREATE] })
      expect(r.second).toEqual({ result: "Applied", routes: [CREATE] })
      expect(r.closed).toEqual({ result: "Applied", routes: [PATCH] })
      // The first step from the recorded status is refused; the workitem is read and walked from where it is.
      expect(r.moved).toEqual({ result: "Applied", routes: [PATCH, GET, PATCH] })
      expect(r.finalStatus).toBe(r.inProgress)
      expect(r.count).toBe(2)
    })
  })

  it("a recorded status that is not one of the worktype's is not trusted: the workitem is read and walked from its real status", async () => {
    await disposing(runtimeFor(own), async (runtime) => {
      const r = await runtime.runPromise(
        Effect.gen(function* () {
          const { genesys, statuses, engine, inbox, links } = yield* engineOver(ownProvisioned.worktypeId)
          const key = { source: "generic", ticketId: "UNK-1" }
          yield* inbox.accept(testEvent({ ticketId: "UNK-1", rev: 1, fields: fields("UNK-1", "first") }))
          yield* engine.process(yield* inbox.take)
          const created = (yield* links.get(key))!
          // A link written before links recorded their worktype, naming a status of a worktype since replaced.
          const { typeId: _typeId, ...legacy } = created
          yield* links.compareAndSet(key, created.appliedRevision, {
            ...legacy,
            statusId: "status-of-a-former-worktype"
          })
          own.clearRequests()
          yield* inbox.accept(
            testEvent({ ticketId: "UNK-1", rev: 2, fields: { ...fields("UNK-1", "first"), status: "in progress" } })
          )
          const result = yield* engine.process(yield* inbox.take)
          const after = (yield* links.get(key))!
          return {
            created,
            result,
            routes: routes(),
            after,
            status: (yield* genesys.getWorkitem(created.workitemId)).status?.id,
            inProgress: statuses.find((s) => s.name === "In Progress")!.id
          }
        })
      )
      expect(r.created.typeId).toBe(ownProvisioned.worktypeId)
      expect(r.result?._tag).toBe("Applied")
      expect(r.routes).toEqual([GET, PATCH])
      expect(r.status).toBe(r.inProgress)
      expect(r.after).toMatchObject({
        workitemId: r.created.workitemId,
        statusId: r.inProgress,
        typeId: ownProvisioned.worktypeId
      })
    })
  })

  it("a link from before links recorded their worktype, into another worktype, is not PATCHed: the ticket is created here", async () => {
    const other = await provision({
      gatewayUrl: own.url,
      clientId: own.adminClientId,
      clientSecret: own.adminClientSecret,
      catalog: defaultCatalog,
      worktypeName: "Workbridge ticket elsewhere"
    })
    await disposing(runtimeFor(own), async (runtime) => {
      const r = await runtime.runPromise(
        Effect.gen(function* () {
          const { genesys, engine, inbox, links } = yield* engineOver(ownProvisioned.worktypeId)
          const key = { source: "generic", ticketId: "UNK-2" }
          const elsewhere = yield* genesys.createWorkitem({ name: "UNK-2 elsewhere", typeId: other.worktypeId })
          yield* links.compareAndSet(key, undefined, {
            workitemId: elsewhere.id,
            appliedRevision: makeRevision(1),
            appliedValues: {},
            statusId: other.statusIds["Open"]!,
            appliedAt: new Date().toISOString()
          })
          own.clearRequests()
          yield* inbox.accept(
            testEvent({ ticketId: "UNK-2", rev: 2, fields: { ...fields("UNK-2", "second"), status: "in progress" } })
          )
          const result = yield* engine.process(yield* inbox.take)
          return {
            result,
            routes: routes(),
            link: (yield* links.get(key))!,
            elsewhere: yield* genesys.getWorkitem(elsewhere.id)
          }
        })
      )
      expect(r.result?._tag).toBe("Applied")
      expect(r.routes).toEqual([GET, CREATE])
      expect(r.link.workitemId).not.toBe(r.elsewhere.id)
      expect(r.link.typeId).toBe(ownProvisioned.worktypeId)
      expect(r.elsewhere.name).toBe("UNK-2 elsewhere")
      expect(r.elsewhere.status?.id).toBe(other.statusIds["Open"])
    })
  })

  it("a link from before links recorded their worktype, into another worktype, is not PATCHed even when the status stays", async () => {
    const other = await provision({
      gatewayUrl: own.url,
      clientId: own.adminClientId,
      clientSecret: own.adminClientSecret,
      catalog: defaultCatalog,
      worktypeName: "Workbridge ticket elsewhere too"
    })
    await disposing(runtimeFor(own), async (runtime) => {
      const r = await runtime.runPromise(
        Effect.gen(function* () {
          const { genesys, engine, inbox, links } = yield* engineOver(ownProvisioned.worktypeId)
          const key = { source: "generic", ticketId: "UNK-3" }
          const elsewhere = yield* genesys.createWorkitem({ name: "UNK-3 elsewhere", typeId: other.worktypeId })
          // Applied values as the event's but for the subject: only the subject changes, no status step.
          yield* links.compareAndSet(key, undefined, {
            workitemId: elsewhere.id,
            appliedRevision: makeRevision(1),
            appliedValues: { ...fields("UNK-3", "first"), status: "open" },
            statusId: other.statusIds["Open"]!,
            appliedAt: new Date().toISOString()
          })
          own.clearRequests()
          yield* inbox.accept(
            testEvent({ ticketId: "UNK-3", rev: 2, fields: { ...fields("UNK-3", "second"), status: "open" } })
          )
          const result = yield* engine.process(yield* inbox.take)
          return {
            result,
            routes: routes(),
            link: (yield* links.get(key))!,
            elsewhere: yield* genesys.getWorkitem(elsewhere.id)
          }
        })
      )
      expect(r.result?._tag).toBe("Applied")
      expect(r.routes).toEqual([GET, CREATE])
      expect(r.link.workitemId).not.toBe(r.elsewhere.id)
      expect(r.link.typeId).toBe(ownProvisioned.worktypeId)
      expect(r.elsewhere.name).toBe("UNK-3 elsewhere")
    })
  })

  it("a create that may have been interrupted (its intent is still recorded) is looked up first and adopted", async () => {
    await disposing(runtimeFor(own), async (runtime) => {
      const r = await runtime.runPromise(
        Effect.gen(function* () {
          const genesys = yield* Genesys
          const statuses = yield* genesys.getStatuses(ownProvisioned.worktypeId)
          const mapping = catalogMapping(defaultCatalog)
          const engine = yield* makeEngine({ mapping, target: { typeId: ownProvisioned.worktypeId, statuses } })
          const inbox = yield* Inbox
          const links = yield* LinkStore
          const key = { source: "generic", ticketId: "INTENT-1" }
          // What a run killed between the POST and the link write leaves: the intent and an unlinked workitem.
          yield* links.compareAndSet(key, undefined, createPendingLink(new Date().toISOString()))
          const normalized = mapping.normalize(fields("INTENT-1", "before the crash"))
          if (normalized._tag === "Invalid") return yield* Effect.die(normalized.issues)
          const ctx = {
            typeId: ownProvisioned.worktypeId,
            statusIds: Object.fromEntries(statuses.map((s) => [s.name, s.id]))
          }
          const orphan = yield* genesys.createWorkitem(
            mapping.create({ ...normalized.values, source_revision: makeRevision(1) }, ctx)
          )
          const pendingStatus = yield* engine.ticketStatus(key)
          own.clearRequests()
          yield* inbox.accept(
            testEvent({ ticketId: "INTENT-1", rev: 2, fields: fields("INTENT-1", "after the crash") })
          )
          const result = yield* engine.process(yield* inbox.take)
          const calls = routes()
          const found = yield* genesys.queryWorkitems(ownProvisioned.worktypeId, [
            { name: "customFields.ticket_id_identifier", value: "INTENT-1" }
          ])
          return {
            pendingStatus,
            result: result?._tag,
            routes: calls,
            orphan: orphan.id,
            link: yield* links.get(key),
            found
          }
        })
      )
      expect(r.pendingStatus.workitemId).toBeUndefined()
      expect(r.result).toBe("Applied")
      expect(r.routes).toEqual([
        "POST /api/v2/taskmanagement/workitems/query",
        "PATCH /api/v2/taskmanagement/workitems/{workitemId}"
      ])
      expect(r.link?.workitemId).toBe(r.orphan)
      expect(r.link?.appliedRevision).toBe(makeRevision(2))
      expect(r.found.map((w) => w.id)).toEqual([r.orphan])
      expect(r.found[0]?.name).toBe("after the crash")
    })
  })

  it("a fresh store on a worktype that already has workitems looks every missing ticket up before creating", async () => {
    await disposing(runtimeFor(own), async (runtime) => {
      const r = await runtime.runPromise(
        Effect.gen(function* () {
          const genesys = yield* Genesys
          const statuses = yield* genesys.getStatuses(ownProvisioned.worktypeId)
          const mapping = catalogMapping(defaultCatalog)
          const engine = yield* makeEngine({ mapping, target: { typeId: ownProvisioned.worktypeId, statuses } })
          const inbox = yield* Inbox
          const links = yield* LinkStore
          // A workitem an earlier data directory made and linked; this store has never heard of it.
          const normalized = mapping.normalize(fields("OLD-1", "from the old data directory"))
          if (normalized._tag === "Invalid") return yield* Effect.die(normalized.issues)
          const ctx = {
            typeId: ownProvisioned.worktypeId,
            statusIds: Object.fromEntries(statuses.map((s) => [s.name, s.id]))
          }
          const old = yield* genesys.createWorkitem(
            mapping.create({ ...normalized.values, source_revision: makeRevision(1) }, ctx)
          )
          const step = (ticketId: string, rev: number) =>
            Effect.gen(function* () {
              own.clearRequests()
              yield* inbox.accept(testEvent({ ticketId, rev, fields: fields(ticketId, `${ticketId} rev ${rev}`) }))
              const result = yield* engine.process(yield* inbox.take)
              return { result: result?._tag, routes: routes() }
            })
          const adopted = yield* step("OLD-1", 2)
          const fresh = yield* step("FRESH-1", 1)
          const found = yield* genesys.queryWorkitems(ownProvisioned.worktypeId, [
            { name: "customFields.ticket_id_identifier", value: "OLD-1" }
          ])
          return {
            old: old.id,
            adopted,
            fresh,
            link: yield* links.get({ source: "generic", ticketId: "OLD-1" }),
            found: found.map((w) => w.id)
          }
        })
      )
      // The check (the worktype has workitems), then the lookup that finds the old workitem.
      expect(r.adopted).toEqual({ result: "Applied", routes: [QUERY, QUERY, PATCH] })
      expect(r.link?.workitemId).toBe(r.old)
      expect(r.found).toEqual([r.old])
      // Every later miss is looked up too.
      expect(r.fresh).toEqual({ result: "Applied", routes: [QUERY, CREATE] })
    })
  })
})

/**
 * Writes whose outcome is unknown. A "crash" here is the engine's fiber dying at the exact point (a port that
 * dies instead of answering), then a new engine on the same stores and the batch back in the inbox: what a
 * kill -9 and a restart leave. Each window is followed by a revision that changes a field back.
 */
describe("Engine after a write whose outcome is unknown", () => {
  const crash = new Error("simulated kill -9")
  /** The link store of a process killed just before it writes a link that `when` matches. */
  const dyingLinks = (links: LinkStoreService, when: (link: Link) => boolean): LinkStoreService => ({
    ...links,
    compareAndSet: (key, expected, link) => (when(link) ? Effect.die(crash) : links.compareAndSet(key, expected, link))
  })
  /** The Genesys client of a process killed right after its `n`-th PATCH was answered. */
  const dyingGenesys = (genesys: GenesysService, n: number): GenesysService => {
    let patches = 0
    return {
      ...genesys,
      updateWorkitem: (id, body) =>
        Effect.flatMap(genesys.updateWorkitem(id, body), (w) =>
          ++patches >= n ? Effect.die(crash) : Effect.succeed(w)
        )
    }
  }
  const ticket = (ticketId: string, extra: Record<string, unknown>) => ({
    ...fields(ticketId, `${ticketId}`),
    ...extra
  })

  const setup = Effect.gen(function* () {
    const genesys = yield* Genesys
    const statuses = yield* genesys.getStatuses(provisioned.worktypeId)
    const id = (name: string) => statuses.find((s) => s.name === name)!.id
    const mapping = catalogMapping(defaultCatalog)
    const options = { mapping, target: { typeId: provisioned.worktypeId, statuses }, failureBackoffMs: 50 }
    const inbox = yield* Inbox
    const links = yield* LinkStore
    const applyNext = (engine: Effect.Effect.Success<ReturnType<typeof makeEngine>>) =>
      Effect.flatMap(inbox.take, (b) => engine.process(b))
    /** Take the next batch with an engine that dies; put the batch back as a restart would find it. */
    const crashOnNext = (engine: Effect.Effect.Success<ReturnType<typeof makeEngine>>) =>
      Effect.gen(function* () {
        const batch = yield* inbox.take
        const exit = yield* Effect.exit(engine.process(batch))
        yield* inbox.release(batch)
        return exit._tag === "Failure" && String(exit.cause).includes(crash.message)
      })
    const workitem = (ticketId: string) =>
      Effect.flatMap(links.get({ source: "generic", ticketId }), (l) => genesys.getWorkitem(l!.workitemId))
    return { genesys, statuses, id, mapping, options, inbox, links, applyNext, crashOnNext, workitem }
  })

  it("a kill -9 between a PATCH and its link write: the next PATCH covers the field changed back", async () => {
    await disposing(runtimeFor(), async (runtime) => {
      const r = await runtime.runPromise(
        Effect.gen(function* () {
          const t = yield* setup
          const engine = yield* makeEngine(t.options)
          yield* t.inbox.accept(
            testEvent({ ticketId: "UNK-1", rev: 1, fields: ticket("UNK-1", { priority: "normal" }) })
          )
          yield* t.applyNext(engine)
          yield* t.inbox.accept(
            testEvent({ ticketId: "UNK-1", rev: 2, fields: ticket("UNK-1", { priority: "urgent" }) })
          )
          const dying = yield* makeEngine(t.options).pipe(
            Effect.provideService(
              LinkStore,
              dyingLinks(t.links, (l) => l.appliedRevision === makeRevision(2))
            )
          )
          const crashed = yield* t.crashOnNext(dying)
          const afterCrash = yield* t.workitem("UNK-1")
          const stored = yield* t.links.get({ source: "generic", ticketId: "UNK-1" })
          // The ticket is changed back before the restart works the ticket off: one batch, revisions 2 and 3.
          yield* t.inbox.accept(
            testEvent({ ticketId: "UNK-1", rev: 3, fields: ticket("UNK-1", { priority: "normal" }) })
          )
          const restarted = yield* makeEngine(t.options)
          const result = yield* t.applyNext(restarted)
          return {
            crashed,
            afterCrash,
            stored,
            result,
            final: yield* t.workitem("UNK-1"),
            link: yield* t.links.get({ source: "generic", ticketId: "UNK-1" })
          }
        })
      )
      expect(r.crashed).toBe(true)
      expect(r.result?._tag).toBe("Applied")
      expect(r.final.customFields?.["priority_enum"]).toBe("normal")
      expect(r.final["priority"]).toBe(2)
      expect(r.final.customFields?.["source_revision_text"]).toBe(makeRevision(3))
      expect(r.afterCrash.customFields?.["priority_enum"]).toBe("urgent")
      expect(r.stored?.appliedRevision).toBe(makeRevision(1))
      expect(r.stored?.updateIntent?.revision).toBe(makeRevision(2))
      expect(r.link?.updateIntent).toBeUndefined()
    })
  })

  it("a PATCH Genesys applies but never answers: the ticket waits, then the next PATCH covers the field changed back", async () => {
    // No retries and a short timeout: the lost answer fails the apply.
    await disposing(runtimeFor(emulator, { timeoutMs: 300, retryAttempts: 0 }), async (runtime) => {
      try {
        const r = await runtime.runPromise(
          Effect.gen(function* () {
            const t = yield* setup
            const engine = yield* makeEngine(t.options)
            yield* t.inbox.accept(
              testEvent({ ticketId: "UNK-2", rev: 1, fields: ticket("UNK-2", { priority: "low" }) })
            )
            yield* t.applyNext(engine)
            const workitemId = (yield* t.links.get({ source: "generic", ticketId: "UNK-2" }))!.workitemId
            emulator.faults.add({
              kind: "lostResponse",
              method: "PATCH",
              path: `/api/v2/taskmanagement/workitems/${workitemId}`,
              count: 1
            })
            yield* t.inbox.accept(
              testEvent({ ticketId: "UNK-2", rev: 2, fields: ticket("UNK-2", { priority: "high" }) })
            )
            const lost = yield* t.applyNext(engine)
            const afterLoss = yield* t.workitem("UNK-2")
            const stored = yield* t.links.get({ source: "generic", ticketId: "UNK-2" })
            yield* t.inbox.accept(
              testEvent({ ticketId: "UNK-2", rev: 3, fields: ticket("UNK-2", { priority: "low" }) })
            )
            const result = yield* t.applyNext(engine)
            return { lost, afterLoss, stored, result, final: yield* t.workitem("UNK-2") }
          })
        )
        expect(r.lost).toBeUndefined()
        expect(r.result?._tag).toBe("Applied")
        expect(r.final.customFields?.["priority_enum"]).toBe("low")
        expect(r.final["priority"]).toBe(1)
        expect(r.final.customFields?.["source_revision_text"]).toBe(makeRevision(3))
        expect(r.afterLoss.customFields?.["priority_enum"]).toBe("high")
        expect(r.stored?.appliedRevision).toBe(makeRevision(1))
        expect(r.stored?.updateIntent?.values.map((v) => v["priority"])).toEqual(["high"])
      } finally {
        emulator.faults.clear()
      }
    })
  })

  it("a kill -9 between two status steps of a linked ticket: the status changed back is walked from where the workitem is", async () => {
    await disposing(runtimeFor(), async (runtime) => {
      const r = await runtime.runPromise(
        Effect.gen(function* () {
          const t = yield* setup
          const engine = yield* makeEngine(t.options)
          yield* t.inbox.accept(testEvent({ ticketId: "UNK-3", rev: 1, fields: ticket("UNK-3", { status: "closed" }) }))
          yield* t.applyNext(engine)
          // Closed → In Progress is two steps (Closed → Open → In Progress); the process dies after the first.
          yield* t.inbox.accept(testEvent({ ticketId: "UNK-3", rev: 2, fields: ticket("UNK-3", { status: "open" }) }))
          const dying = yield* makeEngine(t.options).pipe(Effect.provideService(Genesys, dyingGenesys(t.genesys, 1)))
          const crashed = yield* t.crashOnNext(dying)
          const afterCrash = yield* t.workitem("UNK-3")
          yield* t.inbox.accept(testEvent({ ticketId: "UNK-3", rev: 3, fields: ticket("UNK-3", { status: "closed" }) }))
          const result = yield* t.applyNext(yield* makeEngine(t.options))
          return {
            crashed,
            afterCrash,
            result,
            final: yield* t.workitem("UNK-3"),
            open: t.id("Open"),
            closed: t.id("Closed")
          }
        })
      )
      expect(r.crashed).toBe(true)
      expect(r.result?._tag).toBe("Applied")
      expect(r.final.status?.id).toBe(r.closed)
      expect(r.final.customFields?.["source_revision_text"]).toBe(makeRevision(3))
      expect(r.afterCrash.status?.id).toBe(r.open)
      // The marker did not move with the first step.
      expect(r.afterCrash.customFields?.["source_revision_text"]).toBe(makeRevision(1))
    })
  })

  it("a kill -9 between two status steps while adopting, then adoption again: the marker was not moved, the walk is finished", async () => {
    await disposing(runtimeFor(), async (runtime) => {
      const r = await runtime.runPromise(
        Effect.gen(function* () {
          const t = yield* setup
          const key = { source: "generic", ticketId: "UNK-4" }
          // What a run killed between the POST and the link write leaves: the create intent and an unlinked
          // workitem at revision 1, Closed.
          yield* t.links.compareAndSet(key, undefined, createPendingLink(new Date().toISOString()))
          const normalized = t.mapping.normalize(ticket("UNK-4", { status: "closed", priority: "normal" }))
          if (normalized._tag === "Invalid") return yield* Effect.die(normalized.issues)
          const ctx = {
            typeId: provisioned.worktypeId,
            statusIds: Object.fromEntries(t.statuses.map((s) => [s.name, s.id]))
          }
          const orphan = yield* t.genesys.createWorkitem(
            t.mapping.create({ ...normalized.values, source_revision: makeRevision(1) }, ctx)
          )
          // Revision 2 adopts it and walks Closed → Open → In Progress; the process dies after the first step.
          yield* t.inbox.accept(
            testEvent({ ticketId: "UNK-4", rev: 2, fields: ticket("UNK-4", { status: "open", priority: "urgent" }) })
          )
          const dying = yield* makeEngine(t.options).pipe(Effect.provideService(Genesys, dyingGenesys(t.genesys, 1)))
          const crashed = yield* t.crashOnNext(dying)
          const afterCrash = yield* t.genesys.getWorkitem(orphan.id)
          // The restart adopts again, from what the workitem says.
          const engine = yield* makeEngine(t.options)
          const adopted = yield* t.applyNext(engine)
          const afterAdoption = yield* t.genesys.getWorkitem(orphan.id)
          yield* t.inbox.accept(
            testEvent({ ticketId: "UNK-4", rev: 3, fields: ticket("UNK-4", { status: "open", priority: "normal" }) })
          )
          const result = yield* t.applyNext(engine)
          return {
            crashed,
            afterCrash,
            adopted,
            afterAdoption,
            result,
            final: yield* t.genesys.getWorkitem(orphan.id),
            open: t.id("Open"),
            inProgress: t.id("In Progress")
          }
        })
      )
      expect(r.crashed).toBe(true)
      expect(r.result?._tag).toBe("Applied")
      expect(r.final.status?.id).toBe(r.inProgress)
      expect(r.final.customFields?.["priority_enum"]).toBe("normal")
      expect(r.final.customFields?.["source_revision_text"]).toBe(makeRevision(3))
      expect(r.afterCrash.status?.id).toBe(r.open)
      expect(r.afterCrash.customFields?.["source_revision_text"]).toBe(makeRevision(1))
      expect(r.adopted?._tag).toBe("Applied")
      expect(r.afterAdoption.status?.id).toBe(r.inProgress)
      expect(r.afterAdoption.customFields?.["source_revision_text"]).toBe(makeRevision(2))
    })
  })
})
