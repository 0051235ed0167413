/**
 * Reconciliation cursors in Redis (distributed mode), and the pass lock that lets one replica at a time run a
 * source's pass:
 *
 *   `<prefix>:feed:cursors`        hash source → `{ cursor, updatedAt }` JSON
 *   `<prefix>:feed:lock:<source>`  the holder's random token, `SET NX PX` (expires by itself if the holder dies)
 */
import { randomUUID } from "node:crypto"
import { Effect, Layer } from "effect"
import type { Redis } from "ioredis"
import { type CursorStore, FeedCursors, type FeedCursor } from "../Feeds.js"
import { RedisConnection, checkPrefix, redisOp } from "./Connections.js"

/** Deletes the lock only while it is still this holder's. */
const RELEASE = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) else return 0 end`

export const make = (redis: Redis, prefix: string): CursorStore => {
  const p = checkPrefix(prefix)
  const cursors = `${p}:feed:cursors`
  const lockKey = (source: string) => `${p}:feed:lock:${encodeURIComponent(source)}`
  return {
    get: (source) =>
      Effect.map(redisOp("feeds.cursor.get", () => redis.hget(cursors, source)), (raw) => (raw === null ? undefined : (JSON.parse(raw) as FeedCursor))),
    set: (source, cursor) =>
      Effect.asVoid(redisOp("feeds.cursor.set", () => redis.hset(cursors, source, JSON.stringify({ cursor, updatedAt: new Date().toISOString() } satisfies FeedCursor)))),
    lock: (source, ttlMs) =>
      Effect.gen(function* () {
        const token = randomUUID()
        const ok = yield* redisOp("feeds.lock", () => redis.set(lockKey(source), token, "PX", ttlMs, "NX"))
        if (ok !== "OK") return undefined
        return () => Effect.ignore(redisOp("feeds.unlock", () => redis.eval(RELEASE, 1, lockKey(source), token)))
      })
  }
}

export const layer = (options: { readonly prefix: string }): Layer.Layer<FeedCursors, never, RedisConnection> =>
  Layer.effect(FeedCursors, Effect.map(RedisConnection, (redis) => make(redis, options.prefix)))
