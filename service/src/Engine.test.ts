/** The engine on its own: real SQLite stores and the SDK against an in-process emulator, a mapping that can misbehave. */
import { defaultCatalog, makeRevision } from "@workbridge/catalog"
import type { Emulator } from "@workbridge/genesys-emulator"
import { Effect, Fiber, Layer, ManagedRuntime } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { make as makeEngine } from "./Engine.js"
import { Genesys, layer as genesysLayer } from "./Genesys.js"
import { Inbox } from "./Inbox.js"
import { LinkStore } from "./LinkStore.js"
import { Log, makeLogger } from "./Log.js"
import { catalogMapping, type WorkitemMapping } from "./Mapping.js"
import { Metrics, ServiceMetrics } from "./Metrics.js"
import type { Provisioned } from "./Provision.js"
import { layerMemory } from "./RateBudget.js"
import * as Sqlite from "./Sqlite.js"
import * as SqliteInbox from "./SqliteInbox.js"
import * as SqliteLinkStore from "./SqliteLinkStore.js"
import { testEvent } from "./testing/events.js"
import { startEmulatorAndProvision } from "./testing/harness.js"

let emulator: Emulator
let provisioned: Provisioned
beforeAll(async () => {
  ;({ emulator, provisioned } = await startEmulatorAndProvision())
})
afterAll(async () => {
  await emulator?.close()
})

const runtimeFor = () => {
  const base = Layer.mergeAll(Layer.succeed(Metrics, new ServiceMetrics()), Layer.succeed(Log, makeLogger("silent")), layerMemory({ perMinute: 6000, burst: 20 }))
  return ManagedRuntime.make(
    Layer.mergeAll(
      Layer.mergeAll(SqliteInbox.layer({ hardLimit: 1000, pollIntervalMs: 10 }), SqliteLinkStore.layer).pipe(Layer.provide(Sqlite.layer(":memory:"))),
      base,
      genesysLayer({
        gatewayUrl: emulator.url,
        clientId: emulator.adminClientId,
        clientSecret: emulator.adminClientSecret,
        timeoutMs: 2000,
        maxInFlight: 4,
        retryBaseMs: 10,
        retryMaxMs: 50,
        retryAttempts: 3
      }).pipe(Layer.provide(base))
    )
  )
}

const fields = (ticketId: string, subject: string) => ({ ticket_id: ticketId, source_system: "generic", subject })

describe("Engine", () => {
  it("survives a defect in one apply: the ticket waits, is retried, and the worker keeps working", async () => {
    const runtime = runtimeFor()
    try {
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
          const engine = yield* makeEngine({ mapping: flaky, target: { typeId: provisioned.worktypeId, statuses }, failureBackoffMs: 100 })
          const inbox = yield* Inbox
          const links = yield* LinkStore
          yield* inbox.accept(testEvent({ ticketId: "DEFECT-1", rev: 1, fields: fields("DEFECT-1", "first ticket") }))
          yield* inbox.accept(testEvent({ ticketId: "DEFECT-2", rev: 1, fields: fields("DEFECT-2", "second ticket") }))
          const workers = yield* Effect.fork(engine.run(1))
          for (let i = 0; i < 200; i++) {
            const a = yield* links.get({ source: "generic", ticketId: "DEFECT-1" })
            const b = yield* links.get({ source: "generic", ticketId: "DEFECT-2" })
            if (a !== undefined && b !== undefined) break
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
    } finally {
      await runtime.dispose()
    }
  })

  it("records every event of a batch: the newest applied, the rest superseded; a stale batch only superseded", async () => {
    const runtime = runtimeFor()
    try {
      const r = await runtime.runPromise(
        Effect.gen(function* () {
          const genesys = yield* Genesys
          const statuses = yield* genesys.getStatuses(provisioned.worktypeId)
          const engine = yield* makeEngine({ mapping: catalogMapping(defaultCatalog), target: { typeId: provisioned.worktypeId, statuses } })
          const inbox = yield* Inbox
          const links = yield* LinkStore
          for (const rev of [2, 1, 3]) yield* inbox.accept(testEvent({ ticketId: "OUT-1", rev, fields: fields("OUT-1", `rev ${rev}`) }))
          const first = yield* engine.process(yield* inbox.take)
          yield* inbox.accept(testEvent({ ticketId: "OUT-1", rev: 2, deliveryKey: "late-copy", fields: fields("OUT-1", "late") }))
          const second = yield* engine.process(yield* inbox.take)
          return { first, second, counts: yield* links.outcomeCounts }
        })
      )
      expect(r.first?._tag).toBe("Applied")
      expect(r.second?._tag).toBe("Superseded")
      expect(r.counts).toEqual({ applied: 1, superseded: 3, dead: 0 })
    } finally {
      await runtime.dispose()
    }
  })
})
