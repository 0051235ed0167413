/**
 * The behaviour every inbox adapter must have. Adapters call `inboxContract(name, makeLayer)` from their own
 * test file; `makeLayer` gives a fresh, empty inbox (and `hardLimit` 5) for each test.
 */
import { Effect, Exit, type Layer, Option } from "effect"
import { describe, expect, it } from "vitest"
import { Inbox } from "../inbox/Inbox.js"
import { testEvent } from "./events.js"

/** Runs one case's program against a fresh inbox. */
type Run = <A, E>(f: Effect.Effect<A, E, Inbox>) => Promise<A>

/** Accepting once, handing out one ticket's events together, ack and release. */
const deliveryCases = (run: Run) => {
  it("accepts an event once and acknowledges a re-delivery as a duplicate", async () => {
    const [a, b, depth] = await run(
      Effect.gen(function* () {
        const inbox = yield* Inbox
        const e = testEvent({ ticketId: "dup", rev: 1 })
        const a = yield* inbox.accept(e)
        const b = yield* inbox.accept({ ...e })
        return [a, b, yield* inbox.depth] as const
      })
    )
    expect(a._tag).toBe("Accepted")
    expect(b._tag).toBe("Duplicate")
    expect(depth).toBe(1)
  })

  it("hands out all pending events of one ticket, sorted by revision, to one taker at a time", async () => {
    const r = await run(
      Effect.gen(function* () {
        const inbox = yield* Inbox
        yield* inbox.accept(testEvent({ ticketId: "A", rev: 3 }))
        yield* inbox.accept(testEvent({ ticketId: "A", rev: 1 }))
        yield* inbox.accept(testEvent({ ticketId: "B", rev: 1 }))
        yield* inbox.accept(testEvent({ ticketId: "A", rev: 2 }))
        const first = yield* inbox.take
        const second = yield* inbox.take
        const third = yield* inbox.poll
        return { first, second, third }
      })
    )
    expect(r.first.key.ticketId).toBe("A")
    expect(r.first.entries.map((e) => e.event.revision)).toEqual(
      [...r.first.entries.map((e) => e.event.revision)].sort()
    )
    expect(r.first.entries).toHaveLength(3)
    expect(r.second.key.ticketId).toBe("B")
    expect(r.third).toBeUndefined()
  })

  it("ack removes the batch; release puts it back", async () => {
    const r = await run(
      Effect.gen(function* () {
        const inbox = yield* Inbox
        yield* inbox.accept(testEvent({ ticketId: "R", rev: 1 }))
        const b1 = yield* inbox.take
        yield* inbox.release(b1)
        const b2 = yield* inbox.take
        const afterRelease = b2.entries.length
        yield* inbox.ack(b2)
        return { afterRelease, depth: yield* inbox.depth, next: yield* inbox.poll }
      })
    )
    expect(r.afterRelease).toBe(1)
    expect(r.depth).toBe(0)
    expect(r.next).toBeUndefined()
  })
}

/** A ticket held back: released with a delay, or taken while more of its events arrive; `take` waiting. */
const holdCases = (run: Run) => {
  it("a ticket released with a delay is not handed out before the delay ends; others are", async () => {
    const r = await run(
      Effect.gen(function* () {
        const inbox = yield* Inbox
        yield* inbox.accept(testEvent({ ticketId: "D1", rev: 1 }))
        const b1 = yield* inbox.take
        yield* inbox.release(b1, { delayMs: 2_000 })
        yield* inbox.accept(testEvent({ ticketId: "D2", rev: 1 }))
        // `take`, not `poll`: a broker-backed inbox receives D2 asynchronously after the accept's confirm. The
        // first ticket handed out while D1 is held must be D2.
        const other = yield* Effect.timeout(inbox.take, 1_500)
        const meanwhile = yield* inbox.poll
        const later = yield* Effect.timeout(inbox.take, 5_000)
        return { other: other.key.ticketId, meanwhile, later: later.key.ticketId }
      })
    )
    expect(r.other).toBe("D2")
    expect(r.meanwhile).toBeUndefined()
    expect(r.later).toBe("D1")
  })

  it("an event accepted while its ticket is held waits for the next batch", async () => {
    const r = await run(
      Effect.gen(function* () {
        const inbox = yield* Inbox
        yield* inbox.accept(testEvent({ ticketId: "H", rev: 1 }))
        const b1 = yield* inbox.take
        yield* inbox.accept(testEvent({ ticketId: "H", rev: 2 }))
        const meanwhile = yield* inbox.poll
        yield* inbox.ack(b1)
        const b2 = yield* inbox.take
        return { meanwhile, b2: b2.entries.map((e) => e.event.revision) }
      })
    )
    expect(r.meanwhile).toBeUndefined()
    expect(r.b2).toHaveLength(1)
  })

  it("take waits until an event arrives", async () => {
    const ticket = await run(
      Effect.gen(function* () {
        const inbox = yield* Inbox
        const fiber = yield* Effect.fork(inbox.take)
        yield* Effect.sleep(20)
        yield* inbox.accept(testEvent({ ticketId: "W", rev: 1 }))
        const batch = yield* Effect.timeout(fiber.await, 5_000)
        return Exit.isSuccess(batch) ? batch.value.key.ticketId : undefined
      })
    )
    expect(ticket).toBe("W")
  })
}

/** What acceptance keeps: the hard limit, and each event's trace context. */
const acceptanceCases = (run: Run) => {
  it("refuses events beyond the hard limit without storing them, and accepts the same delivery later", async () => {
    const r = await run(
      Effect.gen(function* () {
        const inbox = yield* Inbox
        for (let i = 1; i <= 5; i++) yield* inbox.accept(testEvent({ ticketId: `L${i}`, rev: 1 }))
        const extra = testEvent({ ticketId: "L6", rev: 1 })
        const refused = yield* Effect.either(inbox.accept(extra))
        const depthFull = yield* inbox.depth
        const b = yield* inbox.take
        yield* inbox.ack(b)
        const again = yield* inbox.accept(extra)
        return { refused, depthFull, again }
      })
    )
    expect(r.refused._tag).toBe("Left")
    expect(r.refused._tag === "Left" ? r.refused.left._tag : undefined).toBe("InboxFull")
    expect(r.depthFull).toBe(5)
    expect(r.again._tag).toBe("Accepted")
  })

  it("hands back the trace context an event was accepted with, and none for an event accepted without", async () => {
    const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    const batch = await run(
      Effect.gen(function* () {
        const inbox = yield* Inbox
        yield* inbox.accept(testEvent({ ticketId: "T", rev: 1 }), { traceparent })
        yield* inbox.accept(testEvent({ ticketId: "T", rev: 2 }))
        return yield* inbox.take
      })
    )
    expect(batch.entries.map((e) => [e.event.revision, e.traceparent])).toEqual([
      [testEvent({ ticketId: "T", rev: 1 }).revision, traceparent],
      [testEvent({ ticketId: "T", rev: 2 }).revision, undefined]
    ])
  })
}

/** Live before background, requeue and the per-ticket pending count. */
const laneCases = (run: Run) => {
  it("hands out tickets with live events before tickets with only background events accepted earlier; a replay is live", async () => {
    const order = await run(
      Effect.gen(function* () {
        const inbox = yield* Inbox
        yield* inbox.accept({ ...testEvent({ ticketId: "BG1", rev: 1 }), origin: "reconcile" })
        yield* inbox.accept({ ...testEvent({ ticketId: "BG2", rev: 1 }), origin: "backfill" })
        yield* inbox.accept({ ...testEvent({ ticketId: "LV1", rev: 1 }), origin: "fetch" })
        yield* inbox.accept(testEvent({ ticketId: "LV2", rev: 1 }))
        yield* inbox.requeue({ ...testEvent({ ticketId: "RQ", rev: 1 }), origin: "reconcile" })
        const order: Array<string> = []
        for (let i = 0; i < 5; i++) {
          const batch = yield* Effect.timeout(inbox.take, 5_000)
          order.push(batch.key.ticketId)
          yield* inbox.ack(batch)
        }
        return order
      })
    )
    expect(order.slice(0, 3).sort()).toEqual(["LV1", "LV2", "RQ"])
    expect(order.slice(3).sort()).toEqual(["BG1", "BG2"])
  })

  it("the write-back reconciliation's finds (genesys-reconcile) are background work, a delivered agent's change (genesys) live", async () => {
    const order = await run(
      Effect.gen(function* () {
        const inbox = yield* Inbox
        yield* inbox.accept({ ...testEvent({ ticketId: "FOUND", rev: 1 }), origin: "genesys-reconcile" })
        yield* inbox.accept({ ...testEvent({ ticketId: "DELIVERED", rev: 1 }), origin: "genesys" })
        const order: Array<string> = []
        for (let i = 0; i < 2; i++) {
          const batch = yield* Effect.timeout(inbox.take, 5_000)
          order.push(batch.key.ticketId)
          yield* inbox.ack(batch)
        }
        return order
      })
    )
    expect(order).toEqual(["DELIVERED", "FOUND"])
  })

  it("requeue stores the event again under a fresh delivery key; pendingFor counts per ticket", async () => {
    const r = await run(
      Effect.gen(function* () {
        const inbox = yield* Inbox
        const e = testEvent({ ticketId: "Q", rev: 1 })
        yield* inbox.accept(e)
        yield* inbox.requeue(e)
        const pending = yield* inbox.pendingFor({ source: e.source, ticketId: "Q" })
        const other = yield* inbox.pendingFor({ source: e.source, ticketId: "none" })
        const batch = yield* inbox.take
        return { pending, other, keys: batch.entries.map((x) => x.event.deliveryKey) }
      })
    )
    expect(r.pending.count).toBe(2)
    expect(Option.fromNullable(r.pending.oldestAcceptedAt).pipe(Option.isSome)).toBe(true)
    expect(r.other.count).toBe(0)
    expect(new Set(r.keys).size).toBe(2)
  })
}

export const inboxContract = (name: string, makeLayer: () => Layer.Layer<Inbox, unknown>) =>
  describe(`Inbox contract: ${name}`, () => {
    const run: Run = (f) => Effect.runPromise(Effect.scoped(Effect.provide(f, makeLayer())))
    deliveryCases(run)
    holdCases(run)
    acceptanceCases(run)
    laneCases(run)
  })
