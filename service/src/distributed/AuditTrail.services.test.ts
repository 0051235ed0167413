/** The Redis audit trail against a real Redis: the adapter contract, the list bound and the retention as a TTL. */
import { Effect, Layer } from "effect"
import { Redis } from "ioredis"
import { afterAll, describe, expect, it } from "vitest"
import { auditTrailContract } from "../testing/auditTrailContract.js"
import { redisLayer } from "./Connections.js"
import * as RedisAuditTrail from "./RedisAuditTrail.js"
import { REDIS_URL, dropNamespaces, freshPrefix } from "./testSupport.js"

afterAll(dropNamespaces, 60_000)

const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 })
afterAll(() => client.disconnect())

let prefix = ""

auditTrailContract(
  "Redis",
  (perTicket) => {
    prefix = freshPrefix()
    return RedisAuditTrail.layer({ prefix, retentionDays: 7, perTicket }).pipe(
      Layer.provide(redisLayer({ url: REDIS_URL }))
    )
  },
  {
    check: async (_audit, key) => {
      if (client.status !== "ready") await client.connect()
      // The ticket's list expires seven days after its last write.
      const ttl = await client.ttl(`${prefix}:audit:${key.source}/${key.ticketId}`)
      expect(ttl).toBeGreaterThan(7 * 86_400 - 60)
      expect(ttl).toBeLessThanOrEqual(7 * 86_400)
    }
  }
)

describe("Redis audit trail storage", () => {
  it("trims a ticket's list to its newest perTicket entries", async () => {
    if (client.status !== "ready") await client.connect()
    const p = freshPrefix()
    const audit = RedisAuditTrail.make(client, { prefix: p, retentionDays: 1, perTicket: 3 })
    const key = { source: "generic", ticketId: "T-9" }
    for (let i = 0; i < 10; i++)
      await Effect.runPromise(audit.record(key, { at: new Date().toISOString(), kind: "call", latencyMs: i }))
    await Effect.runPromise(audit.flush)
    expect(await client.llen(`${p}:audit:generic/T-9`)).toBe(3)
    expect((await Effect.runPromise(audit.list(key))).map((e) => e.latencyMs)).toEqual([7, 8, 9])
  })

  it("writes one flush of several tickets, hundreds of entries for one of them, in order, each list bounded", async () => {
    if (client.status !== "ready") await client.connect()
    const p = freshPrefix()
    const audit = RedisAuditTrail.make(client, { prefix: p, retentionDays: 1, perTicket: 450 })
    const busy = { source: "generic", ticketId: "T-busy" }
    const quiet = { source: "zendesk", ticketId: "41" }
    for (let i = 0; i < 500; i++) {
      await Effect.runPromise(audit.record(busy, { at: new Date().toISOString(), kind: "call", latencyMs: i }))
      if (i % 100 === 0)
        await Effect.runPromise(audit.record(quiet, { at: new Date().toISOString(), kind: "call", latencyMs: i }))
    }
    await Effect.runPromise(audit.flush)
    expect(await client.llen(`${p}:audit:generic/T-busy`)).toBe(450)
    expect((await Effect.runPromise(audit.list(busy, { limit: 450 }))).map((e) => e.latencyMs)).toEqual(
      Array.from({ length: 450 }, (_, i) => i + 50)
    )
    expect((await Effect.runPromise(audit.list(quiet))).map((e) => e.latencyMs)).toEqual([0, 100, 200, 300, 400])
    expect(await client.ttl(`${p}:audit:zendesk/41`)).toBeGreaterThan(86_400 - 60)
  })
})
