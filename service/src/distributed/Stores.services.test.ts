/**
 * The distributed adapters against a real RabbitMQ and Redis: the same contract suites as the SQLite
 * adapters, the shared rate budget, and connection cuts. Fails (never skips) when the services are absent.
 */
import { Deferred, Effect, Fiber, Layer } from "effect"
import { Redis } from "ioredis"
import { afterAll, describe, expect, it } from "vitest"
import { Inbox } from "../inbox/Inbox.js"
import { inboxContract } from "../testing/inboxContract.js"
import { linkStoreContract } from "../testing/linkStoreContract.js"
import { RedisConnection, redisLayer } from "./Connections.js"
import * as RabbitInbox from "./RabbitInbox.js"
import * as RedisLinkStore from "./RedisLinkStore.js"
import { RABBITMQ_URL, REDIS_URL, dropNamespaces, freshPrefix } from "./testSupport.js"

afterAll(dropNamespaces, 60_000)

const redis = () => redisLayer({ url: REDIS_URL })

inboxContract("RabbitMQ + Redis", () =>
  RabbitInbox.layer({ url: RABBITMQ_URL, prefix: freshPrefix(2), partitions: 2, hardLimit: 5, settleMs: 300 }).pipe(
    Layer.provide(redis())
  )
)
linkStoreContract("Redis", () => RedisLinkStore.layer({ prefix: freshPrefix() }).pipe(Layer.provide(redis())))

describe("distributed start-up", () => {
  it("refuses a namespace started with another partition count, naming the variable", async () => {
    const prefix = freshPrefix(2)
    const start = (partitions: number) =>
      Effect.runPromise(
        Effect.scoped(
          Effect.provide(
            Effect.flatMap(Inbox, (i) => i.depth),
            RabbitInbox.layer({ url: RABBITMQ_URL, prefix, partitions, hardLimit: 10 }).pipe(Layer.provide(redis()))
          )
        )
      )
    await expect(start(2)).resolves.toBe(0)
    await expect(start(3)).rejects.toThrow(/WORKBRIDGE_PARTITIONS: .*runs with 2 partitions, got 3/)
  })

  it("fails with the variable's name and without the password when a broker is unreachable", async () => {
    const bad = Effect.runPromise(
      Effect.scoped(
        Effect.provide(
          Effect.flatMap(RedisConnection, (r) => Effect.promise(() => r.ping())),
          redisLayer({ url: "redis://:s3cret-pw@127.0.0.1:1", connectTimeoutMs: 500 })
        )
      )
    )
    await expect(bad).rejects.toThrow(/WORKBRIDGE_REDIS_URL/)
    await expect(bad).rejects.not.toThrow(/s3cret-pw/)
    const rabbit = Effect.runPromise(
      Effect.scoped(
        Effect.provide(
          Effect.flatMap(Inbox, (i) => i.depth),
          RabbitInbox.layer({
            url: "amqp://guest:s3cret-pw@127.0.0.1:1",
            prefix: freshPrefix(),
            partitions: 1,
            hardLimit: 1,
            connectAttempts: 1
          }).pipe(Layer.provide(redis()))
        )
      )
    )
    await expect(rabbit).rejects.toThrow(/WORKBRIDGE_RABBITMQ_URL/)
    await expect(rabbit).rejects.not.toThrow(/s3cret-pw/)
  })
})

describe("the RabbitMQ inbox's scope", () => {
  it("interrupting the fiber that owns it stops its loops and closes the connection (no heartbeat after that)", async () => {
    const prefix = freshPrefix(2)
    const watcher = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 })
    try {
      const built = await Effect.runPromise(Deferred.make<RabbitInbox.RabbitInbox>())
      const owner = Effect.runFork(
        Effect.scoped(
          Effect.gen(function* () {
            yield* Deferred.succeed(
              built,
              yield* RabbitInbox.scoped({ url: RABBITMQ_URL, prefix, partitions: 2, hardLimit: 10, rebalanceMs: 50 })
            )
            return yield* Effect.never
          })
        ).pipe(Effect.provide(redis()))
      )
      const inbox = await Effect.runPromise(Deferred.await(built))
      const replicas = `${prefix}:replicas`
      // The rebalance loop heartbeats while the inbox lives.
      for (let i = 0; i < 100 && (await watcher.zcard(replicas)) === 0; i++) await new Promise((r) => setTimeout(r, 20))
      expect(await watcher.zcard(replicas)).toBe(1)
      expect(inbox.control.isConnected()).toBe(true)
      expect(inbox.control.runningLoops()).toBe(5)

      await Effect.runPromise(Fiber.interrupt(owner))
      expect(inbox.control.runningLoops()).toBe(0)
      expect(inbox.control.isConnected()).toBe(false)
      expect(await watcher.zcard(replicas)).toBe(0)
      await new Promise((r) => setTimeout(r, 300))
      expect(await watcher.zcard(replicas)).toBe(0)
      const refused = await Effect.runPromise(Effect.either(inbox.service.checkWritable))
      expect(refused._tag).toBe("Left")
    } finally {
      watcher.disconnect()
    }
  })
})
