/**
 * The reconcile pass lock with two replicas' feeds on one Redis: one runs a source's pass at a time (the holder
 * renews the lock for as long as its pass runs, well past the lock's time to live); when the holder dies it stops
 * renewing, the lock expires and the other replica takes the source over; the former holder, back again, neither
 * extends nor deletes the new holder's lock.
 */
import type { HelpdeskClient, ReadPage } from "@workbridge/helpdesk-clients"
import { Deferred, Effect, Either, Exit, Fiber } from "effect"
import { Redis } from "ioredis"
import { afterAll, describe, expect, it } from "vitest"
import { makeFeeds, type Feeds } from "../feeds/Feeds.js"
import { makeLogger } from "../observability/Log.js"
import { ServiceMetrics } from "../observability/Metrics.js"
import { openDatabase } from "../store/Sqlite.js"
import * as SqliteInbox from "../inbox/SqliteInbox.js"
import { testEvent } from "../testing/events.js"
import * as RedisCursorStore from "./RedisCursorStore.js"
import * as RedisLinkStore from "./RedisLinkStore.js"
import { dropNamespaces, freshPrefix, REDIS_URL } from "./testSupport.js"

const clients: Array<Redis> = []
const connect = () => {
  const r = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 })
  clients.push(r)
  return r
}
afterAll(async () => {
  await dropNamespaces()
  for (const c of clients) c.disconnect()
})

const TTL_MS = 600
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A helpdesk whose pass reads one page, and only once `gate` opens; `reading` tells that the pass started. */
const gatedClient = (reading: Deferred.Deferred<void>, gate: Deferred.Deferred<void>): HelpdeskClient => ({
  source: "github",
  readPage: () =>
    Deferred.succeed(reading, undefined).pipe(
      Effect.zipRight(Deferred.await(gate)),
      Effect.as<ReadPage>({
        events: [testEvent({ source: "github", ticketId: "1", rev: 1 })],
        cursor: "c-1",
        done: true
      })
    ),
  readTicket: () => Effect.die("not read")
})

/** One replica's feeds: its own Redis connection and inbox, the namespace's cursors, links and pass lock. */
const replica = (redis: Redis, prefix: string, client: HelpdeskClient): Feeds =>
  makeFeeds({
    clients: { github: client },
    inbox: Effect.runSync(SqliteInbox.make(openDatabase(":memory:"), { hardLimit: 100 })),
    links: RedisLinkStore.make(redis, { prefix }),
    cursors: RedisCursorStore.make(redis, prefix),
    metrics: new ServiceMetrics(),
    log: makeLogger("silent"),
    fetchOnNotify: [],
    repairWaitMs: 0,
    passLockTtlMs: TTL_MS
  })

describe("reconcile pass lock across replicas", () => {
  it("one replica runs a source's pass at a time; a dead holder's lock expires and the other takes over; nobody deletes another's lock", async () => {
    const prefix = freshPrefix()
    const lockKey = `${prefix}:feed:lock:github`
    const redisA = connect()
    const redisB = connect()
    const watcher = connect()
    const [readingA, gateA, readingB, gateB] = await Effect.runPromise(
      Effect.all([Deferred.make<void>(), Deferred.make<void>(), Deferred.make<void>(), Deferred.make<void>()])
    )
    const a = replica(redisA, prefix, gatedClient(readingA, gateA))
    const b = replica(redisB, prefix, gatedClient(readingB, gateB))

    const passA = Effect.runFork(a.reconcile("github"))
    await Effect.runPromise(Deferred.await(readingA))
    const tokenA = await watcher.get(lockKey)
    expect(tokenA).toMatch(/^[0-9a-f-]{36}$/)

    // A's pass runs for more than three times the lock's time to live: A renews it, B is refused every time.
    const refusals: Array<string> = []
    for (let i = 0; i < 6; i++) {
      const r = await Effect.runPromise(Effect.either(b.reconcile("github")))
      refusals.push(Either.isLeft(r) ? String((r.left as { _tag?: string })._tag) : "ran")
      await sleep(TTL_MS / 2)
    }
    expect(refusals).toEqual(Array(6).fill("PassBusy"))
    expect(await watcher.get(lockKey)).toBe(tokenA)
    expect(await Effect.runPromise(Deferred.isDone(readingB))).toBe(false)

    // A dies (its Redis connection is gone, so it renews no more): the lock expires and B takes the source over.
    redisA.disconnect()
    let passB: Fiber.RuntimeFiber<unknown, unknown> | undefined
    const deadline = Date.now() + 10 * TTL_MS
    while (passB === undefined && Date.now() < deadline) {
      const attempt = Effect.runFork(b.reconcile("github"))
      const started = await Promise.race([
        Effect.runPromise(Deferred.await(readingB)).then(() => true),
        Effect.runPromise(Fiber.await(attempt)).then(() => false)
      ])
      if (started) passB = attempt
      else await sleep(50)
    }
    expect(passB).not.toBeUndefined()
    const tokenB = await watcher.get(lockKey)
    expect(tokenB).toMatch(/^[0-9a-f-]{36}$/)
    expect(tokenB).not.toBe(tokenA)

    // A comes back and finishes its pass: its renewal and its release find B's token and leave the lock alone.
    await redisA.connect()
    await Effect.runPromise(Deferred.succeed(gateA, undefined))
    const exitA = await Effect.runPromise(Fiber.await(passA))
    expect(Exit.isSuccess(exitA)).toBe(true)
    await sleep(TTL_MS)
    expect(await watcher.get(lockKey)).toBe(tokenB)
    // B's pass holds on past its lock's time to live, still alone.
    const third = replica(connect(), prefix, gatedClient(await Effect.runPromise(Deferred.make<void>()), gateB))
    const refusedThird = await Effect.runPromise(Effect.either(third.reconcile("github")))
    expect(Either.isLeft(refusedThird) ? (refusedThird.left as { _tag?: string })._tag : "ran").toBe("PassBusy")

    // B finishes and lets go: the lock is gone at once (not left to expire).
    await Effect.runPromise(Deferred.succeed(gateB, undefined))
    const exitB = await Effect.runPromise(Fiber.await(passB!))
    expect(Exit.isSuccess(exitB)).toBe(true)
    expect(await watcher.exists(lockKey)).toBe(0)
  })
})
