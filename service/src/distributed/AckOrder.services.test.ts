/**
 * Done with a batch, a replica uncounts its events in Redis before it acknowledges them in the broker. A replica
 * whose connection is cut (as by kill -9) between the two gets the events delivered again, instead of leaving them
 * counted pending for good with nothing left to apply (an inbox that never drains). Against the real broker and
 * Redis: the uncount is held while the connection is cut.
 */
import { Effect, Fiber } from "effect"
import { Redis } from "ioredis"
import { afterAll, describe, expect, it } from "vitest"
import { testEvent } from "../testing/events.js"
import * as RabbitInbox from "./RabbitInbox.js"
import { RABBITMQ_URL, REDIS_URL, dropNamespaces, freshPrefix, until } from "./testSupport.js"

const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 })
afterAll(async () => {
  await dropNamespaces()
  client.disconnect()
}, 60_000)

/** A Redis client whose uncount script (keys: pending, the ticket's hash, live, …) waits for `release()` while held. */
const holdingUncount = () => {
  const state: { hold: boolean; held: number; release: () => void } = { hold: false, held: 0, release: () => {} }
  const gate = () =>
    new Promise<void>((resolve) => {
      state.held++
      state.release = resolve
    })
  const redis = new Proxy(client, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver)
      if (typeof value !== "function") return value
      return (...args: Array<unknown>) => {
        if (prop === "evalsha" || prop === "eval") {
          const n = Number(args[1])
          const keys = args.slice(2, 2 + n).map(String)
          const isUncount = keys[0]?.endsWith(":pending") === true && keys[2]?.endsWith(":live") === true
          if (isUncount && state.hold) return gate().then(() => Reflect.apply(value, target, args))
        }
        return Reflect.apply(value, target, args)
      }
    }
  })
  return { redis, state }
}

describe("acknowledging a batch", () => {
  it("uncounts it in Redis first: cut before the broker heard of it, the event comes again and then drains", async () => {
    const prefix = freshPrefix(1)
    const { redis, state } = holdingUncount()
    const result = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const replica = yield* Effect.acquireRelease(
            RabbitInbox.make(redis, { url: RABBITMQ_URL, prefix, partitions: 1, hardLimit: 100, rebalanceMs: 0 }),
            (b) => b.close
          )
          yield* replica.service.accept(testEvent({ ticketId: "T1", rev: 1 }))
          const batch = yield* Effect.timeout(replica.service.take, 10_000)
          state.hold = true
          const acking = yield* Effect.fork(replica.service.ack(batch))
          yield* Effect.promise(() => until("the uncount to be asked", () => state.held === 1))
          // Time for a broker ack already written to reach the broker, had it gone first.
          yield* Effect.sleep(300)
          replica.control.cutConnection()
          // The broker had not been told: it delivers the event again once the replica is back.
          yield* Effect.promise(() =>
            until("the event delivered again", () => replica.control.deliveries() === 2, 15_000)
          )
          state.hold = false
          state.release()
          yield* Fiber.join(acking)
          // Applied again (superseded in the engine) and acknowledged: nothing stays pending.
          const again = yield* Effect.timeout(replica.service.take, 10_000)
          yield* replica.service.ack(again)
          return { again: again.entries.length, depth: yield* replica.service.depth }
        })
      )
    )
    expect(result).toEqual({ again: 1, depth: 0 })
  }, 40_000)
})
