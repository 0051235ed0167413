/**
 * The link store on Redis, shared by every replica:
 *   `<prefix>:links`        hash ticket → link JSON      `<prefix>:rev` hash ticket → applied revision
 *   `<prefix>:outcome:<source>/<deliveryKey>` first outcome of a delivery (kept 7 days), `<prefix>:outcomes` counts
 *   `<prefix>:dead` hash id → dead letter, `<prefix>:dead:ids` sorted set (order), `<prefix>:dead:seq` ids
 *   `<prefix>:errors`       hash ticket → last error
 * The compare-and-set on the applied revision is one Lua script, so two replicas can never both win. A link's
 * update intent is part of its JSON: written with the link, gone when the link is written without one.
 */
import { Effect, Layer } from "effect"
import type { Redis } from "ioredis"
import type { DeadLetter, Link, OutcomeKind } from "../domain/records.js"
import { DeadLetterNotFound } from "../domain/errors.js"
import { LinkStore, type LinkStoreService } from "../links/LinkStore.js"
import { RedisConnection, checkPrefix, redisOp, ticketSegment } from "./Connections.js"
import { luaScript } from "./lua.js"

export interface RedisLinkStoreOptions {
  /** Key prefix shared by all replicas of one deployment. */
  readonly prefix: string
  /** How long an outcome marks its delivery (seconds); default 7 days. */
  readonly outcomeTtlSeconds?: number
}

/** KEYS: rev, links. ARGV: ticket, hasExpected ("1"/"0"), expected, revision, link JSON. */
const CAS = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if ARGV[2] == '1' then
  if cur ~= ARGV[3] then return 0 end
else
  if cur then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[4])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[5])
return 1
`

/** KEYS: counts hash, then one outcome key per outcome. ARGV: ttl, then one kind per outcome. */
const OUTCOMES = `
for i = 2, #KEYS do
  if redis.call('SET', KEYS[i], ARGV[i], 'NX', 'EX', ARGV[1]) then
    redis.call('HINCRBY', KEYS[1], ARGV[i], 1)
  end
end
return 1
`

const casScript = luaScript(CAS)
const outcomesScript = luaScript(OUTCOMES)

/** Dead letters are stored as written (no Lua JSON round trip, which would turn `[]` into `{}`). */
const toDeadLetter = (json: string): DeadLetter => JSON.parse(json) as DeadLetter

export const make = (redis: Redis, options: RedisLinkStoreOptions): LinkStoreService => {
  const p = checkPrefix(options.prefix)
  const ttl = options.outcomeTtlSeconds ?? 7 * 24 * 3600
  const k = {
    links: `${p}:links`,
    rev: `${p}:rev`,
    outcomes: `${p}:outcomes`,
    dead: `${p}:dead`,
    deadIds: `${p}:dead:ids`,
    deadSeq: `${p}:dead:seq`,
    errors: `${p}:errors`
  }

  const validId = (id: string) => /^\d{1,15}$/.test(id)

  return {
    get: (key) =>
      redisOp("links.get", async () => {
        const raw = await redis.hget(k.links, ticketSegment(key))
        return raw === null ? undefined : (JSON.parse(raw) as Link)
      }),
    compareAndSet: (key, expected, link) =>
      redisOp("links.compareAndSet", async () => {
        const r = await casScript(
          redis,
          [k.rev, k.links],
          [
            ticketSegment(key),
            expected === undefined ? "0" : "1",
            expected ?? "",
            link.appliedRevision,
            JSON.stringify(link)
          ]
        )
        return r === 1
      }),
    countOtherWorktype: (typeId) =>
      redisOp("links.countOtherWorktype", async () => {
        let n = 0
        let cursor = "0"
        do {
          const [next, flat] = await redis.hscan(k.links, cursor, "COUNT", 1000)
          cursor = next
          for (let i = 1; i < flat.length; i += 2) {
            const other = (JSON.parse(flat[i]!) as Link).typeId
            if (other !== undefined && other !== typeId) n++
          }
        } while (cursor !== "0")
        return n
      }),
    recordOutcomes: (key, outcomes) =>
      outcomes.length === 0
        ? Effect.void
        : redisOp("links.recordOutcomes", async () => {
            const keys = outcomes.map(
              (o) => `${p}:outcome:${encodeURIComponent(key.source)}/${encodeURIComponent(o.deliveryKey)}`
            )
            await outcomesScript(redis, [k.outcomes, ...keys], [String(ttl), ...outcomes.map((o) => o.outcome)])
          }),
    outcomeCounts: redisOp("links.outcomeCounts", async () => {
      const raw = await redis.hgetall(k.outcomes)
      const out: Record<OutcomeKind, number> = { applied: 0, superseded: 0, dead: 0 }
      for (const kind of ["applied", "superseded", "dead"] as const) out[kind] = Number(raw[kind] ?? 0)
      return out
    }),
    addDeadLetter: (letter) =>
      redisOp("links.addDeadLetter", async () => {
        const createdAt = new Date().toISOString()
        const id = String(await redis.incr(k.deadSeq))
        const stored: DeadLetter = { ...letter, id, createdAt }
        await redis
          .multi()
          .hset(k.dead, id, JSON.stringify(stored))
          .zadd(k.deadIds, Number(id), id)
          .hset(k.errors, ticketSegment(letter), `${letter.reason}: ${letter.details.join("; ")}`)
          .exec()
        return { ...letter, id, createdAt } satisfies DeadLetter
      }),
    listDeadLetters: (options) =>
      redisOp("links.listDeadLetters", async () => {
        const ids = await redis.zrange(k.deadIds, "0", String((options?.limit ?? 1000) - 1))
        if (ids.length === 0) return []
        const rows = await redis.hmget(k.dead, ...ids)
        return rows.flatMap((r) => (r === null ? [] : [toDeadLetter(r)]))
      }),
    getDeadLetter: (id) =>
      Effect.flatMap(
        redisOp("links.getDeadLetter", () => (validId(id) ? redis.hget(k.dead, id) : Promise.resolve(null))),
        (r) => (r === null ? Effect.fail(new DeadLetterNotFound({ id })) : Effect.succeed(toDeadLetter(r)))
      ),
    removeDeadLetter: (id) =>
      Effect.flatMap(
        redisOp("links.removeDeadLetter", async () => {
          if (!validId(id)) return 0
          const r = await redis.multi().hdel(k.dead, id).zrem(k.deadIds, id).exec()
          return Number(r?.[0]?.[1] ?? 0)
        }),
        (n) => (n === 0 ? Effect.fail(new DeadLetterNotFound({ id })) : Effect.void)
      ),
    deadLetterCount: redisOp("links.deadLetterCount", () => redis.hlen(k.dead)),
    lastError: (key) =>
      redisOp("links.lastError", async () => (await redis.hget(k.errors, ticketSegment(key))) ?? undefined),
    clearError: (key) =>
      redisOp("links.clearError", async () => {
        await redis.hdel(k.errors, ticketSegment(key))
      })
  }
}

/** Delete every key under the prefix (tests and teardown of a namespace). */
export const deleteNamespace = async (redis: Redis, prefix: string): Promise<void> => {
  const p = checkPrefix(prefix)
  let cursor = "0"
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${p}:*`, "COUNT", 500)
    cursor = next
    if (keys.length > 0) await redis.del(...keys)
  } while (cursor !== "0")
}

export const layer = (options: RedisLinkStoreOptions): Layer.Layer<LinkStore, never, RedisConnection> =>
  Layer.effect(
    LinkStore,
    Effect.map(RedisConnection, (redis) => make(redis, options))
  )
