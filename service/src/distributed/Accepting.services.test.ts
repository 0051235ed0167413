/**
 * The RabbitMQ inbox's batched accept against a real RabbitMQ and Redis: accepts made together share one claim
 * script, one round of publisher confirms and one commit script; dedupe and the hard limit hold inside a batch; a
 * claim is renewed while its accept is in flight, and a claim whose replica stopped (killed mid-accept) is free
 * again within the time another replica waits for it. Fails (never skips) when the services are absent.
 */
import type { TicketEvent } from "@workbridge/catalog"
import { Effect } from "effect"
import { Redis } from "ioredis"
import { afterAll, afterEach, describe, expect, it } from "vitest"
import type { AcceptResult } from "../domain/records.js"
import { acceptPromiseOf } from "../inbox/Inbox.js"
import * as RabbitInbox from "./RabbitInbox.js"
import { RABBITMQ_URL, REDIS_URL, dropNamespaces, freshPrefix } from "./testSupport.js"

afterAll(dropNamespaces, 60_000)

const event = (ticketId: string, revision: number, deliveryKey = `${ticketId}-${revision}`): TicketEvent => ({
  source: "generic",
  ticketId,
  deliveryKey,
  revision: String(revision).padStart(6, "0"),
  occurredAt: "2026-12-01T00:00:00.000Z",
  kind: "updated",
  fields: { title: `ticket ${ticketId}` }
})

/**
 * A Redis client whose script runs are recorded (the keys of each), which can delay the accept's commit script, and
 * which can be frozen: every later command hangs, as for a replica that stopped.
 */
const recordingRedis = () => {
  const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 })
  const scripts: Array<ReadonlyArray<string>> = []
  const state = { frozen: false, afterFirstClaim: undefined as (() => void) | undefined, delayCommit: 0 }
  const proxy = new Proxy(client, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver)
      if (typeof value !== "function") return value
      return (...args: Array<unknown>) => {
        if (state.frozen) return new Promise(() => undefined)
        if (prop === "evalsha" || prop === "eval") {
          const n = Number(args[1])
          const keys = args.slice(2, 2 + n).map(String)
          // Recorded when it ran (a script Redis did not know yet fails with NOSCRIPT and is sent again in full).
          const run = () =>
            (Reflect.apply(value, target, args) as Promise<unknown>).then((r) => {
              scripts.push(keys)
              return r
            })
          // The commit script: its first key is the pending count and its third a dedupe key.
          const isCommit = keys[0]?.endsWith(":pending") === true && keys[1]?.endsWith(":live") === true
          if (isCommit && state.delayCommit > 0) {
            const ms = state.delayCommit
            return new Promise((r) => setTimeout(r, ms)).then(run)
          }
          const isClaim = keys[0]?.endsWith(":pending") === true && !isCommit
          const hook = state.afterFirstClaim
          if (isClaim && hook !== undefined) {
            state.afterFirstClaim = undefined
            return run().then((r) => {
              hook()
              return r
            })
          }
          return run()
        }
        return Reflect.apply(value, target, args)
      }
    }
  })
  return { client, redis: proxy, scripts, state }
}

type Recording = ReturnType<typeof recordingRedis>
const opened: Array<{ readonly rec: Recording; readonly close: Effect.Effect<void> }> = []

const open = async (prefix: string, hardLimit = 1000) => {
  const rec = recordingRedis()
  const built = await Effect.runPromise(
    RabbitInbox.make(rec.redis, { url: RABBITMQ_URL, prefix, partitions: 2, hardLimit, consume: false })
  )
  opened.push({ rec, close: built.close })
  const accept = acceptPromiseOf(built.service)
  if (accept === undefined) throw new Error("the RabbitMQ inbox registers no Promise form of accept")
  const settle = (e: TicketEvent) =>
    accept(e).then(
      (r): AcceptResult | string => r,
      (error: unknown) => (error as { _tag?: string })._tag ?? String(error)
    )
  return { built, rec, accept, settle }
}

afterEach(async () => {
  for (const { rec, close } of opened.splice(0)) {
    rec.state.frozen = false
    await Effect.runPromise(close)
    rec.client.disconnect()
  }
})

/** Messages waiting in the namespace's partition queues. */
const queued = async (prefix: string): Promise<number> => {
  const { default: amqp } = await import("amqplib")
  const m = await amqp.connect(RABBITMQ_URL)
  try {
    const ch = await m.createChannel()
    let n = 0
    for (const q of RabbitInbox.queueNames(prefix, 2).partitions) n += (await ch.checkQueue(q)).messageCount
    return n
  } finally {
    await m.close()
  }
}

describe("the RabbitMQ inbox's batched accept", () => {
  it("accepts made together share one claim script, one round of publisher confirms and one commit script", async () => {
    const prefix = freshPrefix(2)
    const { built, rec, settle } = await open(prefix)
    const before = { batches: built.control.acceptBatches(), rounds: built.control.publishRounds() }
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => settle(event(`T${i % 7}`, i))))
    expect(results.every((r) => typeof r !== "string" && r._tag === "Accepted")).toBe(true)
    expect(new Set(results.map((r) => (typeof r === "string" ? r : r._tag === "Accepted" ? r.id : ""))).size).toBe(40)
    expect(built.control.acceptBatches() - before.batches).toBe(1)
    expect(built.control.publishRounds() - before.rounds).toBe(1)
    // One claim and one commit for the forty, each naming every delivery key (not two script calls per accept).
    const batchScripts = rec.scripts.filter((keys) => keys[0] === `${prefix}:pending`)
    expect(batchScripts).toHaveLength(2)
    for (const keys of batchScripts) expect(keys.filter((k) => k.includes(":dedupe:"))).toHaveLength(40)
    expect(await Effect.runPromise(built.service.depth)).toBe(40)
    expect(await queued(prefix)).toBe(40)
  })

  it("dedupes inside a batch and across batches: one message per delivery key", async () => {
    const prefix = freshPrefix(2)
    const { built, settle } = await open(prefix)
    expect(await settle(event("A", 1))).toMatchObject({ _tag: "Accepted" })
    const results = await Promise.all([
      settle(event("A", 1)),
      settle(event("B", 1)),
      settle(event("B", 1)),
      settle(event("C", 1))
    ])
    expect(results.map((r) => (typeof r === "string" ? r : r._tag))).toEqual([
      "Duplicate",
      "Accepted",
      "Duplicate",
      "Accepted"
    ])
    expect(await Effect.runPromise(built.service.depth)).toBe(3)
    expect(await queued(prefix)).toBe(3)
  })

  it("holds the hard limit inside one batch: the claims count as they are made", async () => {
    const prefix = freshPrefix(2)
    const { built, settle } = await open(prefix, 5)
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => settle(event(`L${i}`, 1))))
    expect(results.filter((r) => typeof r !== "string" && r._tag === "Accepted")).toHaveLength(5)
    expect(results.filter((r) => r === "InboxFull")).toHaveLength(3)
    expect(built.control.acceptBatches()).toBe(1)
    expect(await queued(prefix)).toBe(5)
    // Refused deliveries were not claimed: once there is room, a retry is accepted.
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 })
    try {
      const refused = results.indexOf("InboxFull")
      expect(await redis.get(`${prefix}:dedupe:generic/L${refused}-1`)).toBeNull()
    } finally {
      redis.disconnect()
    }
  })

  it("renews a claim while its accept is in flight, past the claim's time to live", async () => {
    const prefix = freshPrefix(2)
    const { rec, settle } = await open(prefix)
    const watcher = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 })
    try {
      rec.state.delayCommit = 4_500
      const done = settle(event("R", 1))
      await new Promise((r) => setTimeout(r, 3_800))
      // Still claimed by this replica (the claim alone lasts 3 s).
      expect(await watcher.get(`${prefix}:dedupe:generic/R-1`)).toMatch(/^pending:/)
      expect(await done).toMatchObject({ _tag: "Accepted" })
      expect(await watcher.get(`${prefix}:dedupe:generic/R-1`)).toBe("done")
    } finally {
      watcher.disconnect()
    }
  })

  it("a claim whose replica stopped mid-accept is free again while another replica waits for it", async () => {
    const prefix = freshPrefix(2)
    const a = await open(prefix)
    const b = await open(prefix)
    const claimed = new Promise<void>((resolve) => {
      // Replica A stops right after its claim: no publish outcome, no commit, no renewal.
      a.rec.state.afterFirstClaim = () => {
        a.rec.state.frozen = true
        resolve()
      }
    })
    const stuck = a.settle(event("K", 1))
    await claimed
    const watcher = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 })
    try {
      expect(await watcher.get(`${prefix}:dedupe:generic/K-1`)).toMatch(/^pending:/)
    } finally {
      watcher.disconnect()
    }
    // The sender's retry reaches replica B: it waits for A's claim, which expires, and accepts the delivery.
    expect(await b.settle(event("K", 1))).toMatchObject({ _tag: "Accepted" })
    void stuck
  }, 15_000)
})
