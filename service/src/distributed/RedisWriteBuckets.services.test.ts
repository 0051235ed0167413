/**
 * The write budget shared by replicas: two replicas (two Redis connections) draw from one bucket per helpdesk
 * source, so together they get the burst and then one token per interval — not a burst each — and a replica that
 * starts later finds the bucket as the others left it.
 */
import { Effect } from "effect"
import { Redis } from "ioredis"
import { afterAll, describe, expect, it } from "vitest"
import { makeWriteBudget } from "../writeBack/Budget.js"
import { make } from "./RedisWriteBuckets.js"
import { REDIS_URL, dropNamespaces, freshPrefix } from "./testSupport.js"

afterAll(dropNamespaces, 60_000)

const connect = async () => {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 })
  await redis.connect()
  return redis
}

describe("RedisWriteBuckets", () => {
  it("gives the replicas of one deployment one budget per source between them", async () => {
    const prefix = freshPrefix()
    const [a, b, c] = [await connect(), await connect(), await connect()]
    try {
      const settings = { zendesk: { perMinute: 6, burst: 3 }, github: { perMinute: 6, burst: 1 } }
      const replicaA = makeWriteBudget(settings, make(a, { prefix }))
      const replicaB = makeWriteBudget(settings, make(b, { prefix }))
      const waits = await Effect.runPromise(
        Effect.all([
          replicaA.take("zendesk"),
          replicaB.take("zendesk"),
          replicaA.take("zendesk"),
          replicaB.take("zendesk"),
          replicaB.take("github"),
          replicaA.take("github")
        ])
      )
      // Zendesk: a burst of 3 between both replicas, then a wait of about 10 s (6 a minute); GitHub its own bucket.
      expect(waits.slice(0, 3)).toEqual([0, 0, 0])
      expect(waits[3]).toBeGreaterThan(9_000)
      expect(waits[4]).toBe(0)
      expect(waits[5]).toBeGreaterThan(9_000)
      // A replica started now (a restart) finds the bucket spent.
      const replicaC = makeWriteBudget(settings, make(c, { prefix }))
      expect(await Effect.runPromise(replicaC.take("zendesk"))).toBeGreaterThan(9_000)
    } finally {
      for (const r of [a, b, c]) r.disconnect()
    }
  })

  it("makes the write wait when Redis cannot be asked", async () => {
    const redis = await connect()
    redis.disconnect()
    const budget = makeWriteBudget({ zendesk: { perMinute: 60 } }, make(redis, { prefix: freshPrefix() }))
    expect(await Effect.runPromise(budget.take("zendesk"))).toBeGreaterThan(0)
  })
})
