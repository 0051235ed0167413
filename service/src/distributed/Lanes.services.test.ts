/**
 * The background lane across replicas: a replica holds back its background (reconciliation, backfill) tickets while
 * a live event waits anywhere in the namespace, here at another consumer of the live queue, and hands the live
 * ticket out first once it reaches it.
 */
import { Effect, Option } from "effect"
import amqp from "amqplib"
import type { ConsumeMessage } from "amqplib"
import { Redis } from "ioredis"
import { afterAll, describe, expect, it } from "vitest"
import { testEvent } from "../testing/events.js"
import * as RabbitInbox from "./RabbitInbox.js"
import { RABBITMQ_URL, REDIS_URL, dropNamespaces, freshPrefix, until } from "./testSupport.js"

const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 })
afterAll(async () => {
  await dropNamespaces()
  redis.disconnect()
}, 60_000)

describe("RabbitMQ inbox lanes across replicas", () => {
  it("holds back background tickets while a live event waits at another consumer, then hands out the live ticket first", async () => {
    const prefix = freshPrefix(1)
    const names = RabbitInbox.queueNames(prefix, 1)
    const options = { url: RABBITMQ_URL, prefix, partitions: 1, hardLimit: 100, settleMs: 100, rebalanceMs: 0 }
    const order = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const publisher = yield* Effect.acquireRelease(
            RabbitInbox.make(redis, { ...options, consume: false }),
            (b) => b.close
          )
          // Another consumer is the live queue's single active consumer first, and keeps what it is given.
          const other = yield* Effect.acquireRelease(
            Effect.promise(() => amqp.connect(RABBITMQ_URL)),
            (m) => Effect.promise(() => m.close().catch(() => undefined))
          )
          const otherChannel = yield* Effect.promise(() => other.createChannel())
          const atOther: Array<ConsumeMessage> = []
          yield* Effect.promise(() => otherChannel.prefetch(1))
          yield* Effect.promise(() =>
            otherChannel.consume(names.partitions[0]!, (m) => void (m !== null && atOther.push(m)), { noAck: false })
          )
          const replica = yield* Effect.acquireRelease(RabbitInbox.make(redis, options), (b) => b.close)

          yield* publisher.service.accept({ ...testEvent({ ticketId: "BG", rev: 1 }), origin: "backfill" })
          yield* publisher.service.accept(testEvent({ ticketId: "LIVE", rev: 1 }))
          yield* Effect.promise(() =>
            until(
              "the live event at the other consumer and the background one at the replica",
              () => atOther.length === 1 && replica.control.deliveries() === 1
            )
          )

          // The replica has only the background ticket: it waits while the live one waits elsewhere.
          const meanwhile = yield* Effect.option(Effect.timeout(replica.service.take, 1_500))
          expect(Option.isNone(meanwhile)).toBe(true)
          expect(yield* replica.service.poll).toBeUndefined()

          // The other consumer goes away without acknowledging: the live event comes to the replica, first.
          yield* Effect.promise(() => otherChannel.close())
          const order: Array<string> = []
          for (let i = 0; i < 2; i++) {
            const batch = yield* Effect.timeout(replica.service.take, 10_000)
            order.push(batch.key.ticketId)
            yield* replica.service.ack(batch)
          }
          expect(yield* replica.service.depth).toBe(0)
          return order
        })
      )
    )
    expect(order).toEqual(["LIVE", "BG"])
  })
})
