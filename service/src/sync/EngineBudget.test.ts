/**
 * The workers wait for the budget before applying a batch and top it up with what its ticket received meanwhile:
 * the SDK against an in-process emulator, real SQLite stores, and a budget the test opens and closes.
 */
import { defaultCatalog, makeRevision } from "@workbridge/catalog"
import type { Emulator } from "@workbridge/genesys-emulator"
import { Effect, Fiber, Layer, ManagedRuntime } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { isCreatePending } from "../domain/records.js"
import { make as makeEngine } from "./index.js"
import { Genesys, type Provisioned, RateBudget, type RateBudgetService } from "@workbridge/genesys"
import { layer as genesysLayer } from "../genesys/GenesysLive.js"
import { Inbox } from "../inbox/Inbox.js"
import { LinkStore } from "../links/LinkStore.js"
import { Log, makeLogger } from "../observability/Log.js"
import { catalogMapping } from "./Mapping.js"
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

/** A budget that admits while open and holds every caller while closed; counts waits, admissions and refunds. */
const gatedBudget = Effect.gen(function* () {
  const gate = yield* Effect.makeLatch(true)
  const counts = { waiting: 0, admitted: 0, refunds: 0 }
  const budget: RateBudgetService = {
    acquire: Effect.suspend(() => {
      counts.waiting++
      return gate.await.pipe(
        Effect.zipRight(
          Effect.sync(() => {
            counts.waiting--
            counts.admitted++
          })
        ),
        Effect.onInterrupt(() => Effect.sync(() => counts.waiting--))
      )
    }),
    refund: Effect.sync(() => {
      counts.refunds++
    }),
    pause: () => Effect.void,
    tokens: Effect.succeed(1),
    pausedUntil: Effect.succeed(0),
    tokenPauseLeft: Effect.succeed(0),
    pausedUntilFor: () => Effect.succeed(0)
  }
  return { gate, counts, budget }
})

const fields = (ticketId: string, subject: string) => ({ ticket_id: ticketId, source_system: "generic", subject })
const PATCH = "PATCH /api/v2/taskmanagement/workitems/{workitemId}"

/** Poll `check` every 20 ms until it holds (at most 10 s). */
const until = <E, R>(check: Effect.Effect<boolean, E, R>) =>
  Effect.gen(function* () {
    for (let i = 0; i < 500; i++) {
      if (yield* check) return
      yield* Effect.sleep(20)
    }
    throw new Error("the condition did not hold within 10 s")
  })

describe("Engine workers and the budget", () => {
  it("a batch waiting for the budget is applied with the events its ticket received meanwhile (one PATCH); a token no call needed is handed back", async () => {
    const { gate, counts, budget } = await Effect.runPromise(gatedBudget)
    const base = Layer.mergeAll(
      Layer.succeed(Metrics, new ServiceMetrics()),
      Layer.succeed(Log, makeLogger("silent")),
      Layer.succeed(RateBudget, budget)
    )
    const runtime = ManagedRuntime.make(
      Layer.mergeAll(
        SqliteStoresLive(":memory:", { hardLimit: 1000, pollIntervalMs: 10 }),
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
    try {
      const r = await runtime.runPromise(
        Effect.gen(function* () {
          const genesys = yield* Genesys
          const statuses = yield* genesys.getStatuses(provisioned.worktypeId)
          const engine = yield* makeEngine({
            mapping: catalogMapping(defaultCatalog),
            target: { typeId: provisioned.worktypeId, statuses }
          })
          const inbox = yield* Inbox
          const links = yield* LinkStore
          const key = { source: "generic", ticketId: "WAIT-1" }
          const event = (rev: number, deliveryKey?: string) =>
            testEvent({
              ticketId: "WAIT-1",
              rev,
              fields: fields("WAIT-1", `rev ${rev}`),
              ...(deliveryKey !== undefined ? { deliveryKey } : {})
            })
          const appliedAt = (rev: number) =>
            Effect.map(
              links.get(key),
              (l) => l !== undefined && !isCreatePending(l) && l.appliedRevision === makeRevision(rev)
            )
          const workers = yield* Effect.fork(engine.run(1))
          yield* inbox.accept(event(1))
          yield* until(appliedAt(1))
          const workitemId = (yield* links.get(key))!.workitemId
          const patches = () =>
            emulator
              .requests()
              .filter((q) => `${q.method} ${q.route ?? q.path}` === PATCH && q.path.includes(workitemId)).length

          // The budget is spent elsewhere: the worker takes rev 2 and waits for a token while revs 3 and 4 come in.
          yield* gate.close
          yield* inbox.accept(event(2))
          yield* until(Effect.sync(() => counts.waiting === 1))
          yield* inbox.accept(event(4))
          yield* inbox.accept(event(3))
          const refundsBefore = counts.refunds
          yield* gate.open
          yield* until(Effect.zipWith(appliedAt(4), inbox.depth, (applied, depth) => applied && depth === 0))
          const afterWait = { patches: patches(), refunds: counts.refunds - refundsBefore }

          // A stale copy needs no call: the token the worker waited for goes back.
          yield* inbox.accept(event(2, "stale-copy"))
          yield* until(Effect.zipWith(inbox.depth, links.outcomeCounts, (depth, c) => depth === 0 && c.superseded >= 3))
          yield* Fiber.interrupt(workers)
          return { afterWait, refunds: counts.refunds - refundsBefore, patches: patches() }
        })
      )
      expect(r.afterWait).toEqual({ patches: 1, refunds: 0 })
      expect(r.patches).toBe(1)
      expect(r.refunds).toBe(1)
    } finally {
      await runtime.dispose()
    }
  })
})
