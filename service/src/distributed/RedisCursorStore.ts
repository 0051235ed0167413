/**
 * Reconciliation cursors in Redis (distributed mode), and the pass lock that lets one replica at a time run a
 * source's pass:
 *
 *   `<prefix>:feed:cursors`        hash source → `{ cursor, updatedAt }` JSON
 *   `<prefix>:feed:lock:<source>`  the holder's random token, `SET NX PX`; the holder extends it every third of
 *                                  its time to live while the pass runs (only while the token is still its own),
 *                                  so it expires by itself only when the holder dies or loses Redis
 */
import { randomUUID } from "node:crypto"
import { Duration, Effect, Fiber, Layer, Schedule } from "effect"
import type { Redis } from "ioredis"
import { type CursorStore, FeedCursors, type FeedCursor } from "../feeds/Feeds.js"
import { RedisConnection, checkPrefix, redisOp } from "./Connections.js"
import { luaScript } from "./lua.js"

/** KEYS: lock. ARGV: token. Deletes the lock only while it is still this holder's. */
const RELEASE = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) else return 0 end`

/** KEYS: lock. ARGV: token, ttl ms. Extends the lock only while it is still this holder's (1), else 0. */
const RENEW = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) else return 0 end`
const releaseScript = luaScript(RELEASE)
const renewScript = luaScript(RENEW)

/**
 * Renew a held lock every third of its time to live until it is lost: a renewal that finds another token (the
 * lock expired and another replica took it) stops; one that fails (Redis unreachable) is tried again next time,
 * and the lock expires by itself if Redis stays out of reach longer than its time to live.
 */
const renewal = (redis: Redis, key: string, token: string, ttlMs: number): Effect.Effect<void> =>
  redisOp("feeds.lock.renew", () => renewScript(redis, [key], [token, String(ttlMs)])).pipe(
    Effect.map((n) => Number(n) === 1),
    Effect.orElseSucceed(() => true),
    Effect.delay(Duration.millis(Math.max(10, Math.floor(ttlMs / 3)))),
    Effect.repeat({ schedule: Schedule.forever, while: (held) => held }),
    Effect.asVoid
  )

export const make = (redis: Redis, prefix: string): CursorStore => {
  const p = checkPrefix(prefix)
  const cursors = `${p}:feed:cursors`
  const lockKey = (source: string) => `${p}:feed:lock:${encodeURIComponent(source)}`
  return {
    get: (source) =>
      Effect.map(
        redisOp("feeds.cursor.get", () => redis.hget(cursors, source)),
        (raw) => (raw === null ? undefined : (JSON.parse(raw) as FeedCursor))
      ),
    set: (source, cursor) =>
      Effect.asVoid(
        redisOp("feeds.cursor.set", () =>
          redis.hset(
            cursors,
            source,
            JSON.stringify({ cursor, updatedAt: new Date().toISOString() } satisfies FeedCursor)
          )
        )
      ),
    lock: (source, ttlMs) =>
      Effect.gen(function* () {
        const token = randomUUID()
        const key = lockKey(source)
        const ok = yield* redisOp("feeds.lock", () => redis.set(key, token, "PX", ttlMs, "NX"))
        if (ok !== "OK") return undefined
        // Not a child of the caller's fiber: the release (the caller's `ensuring`) is what ends it; interruptible even
        // when the lock is taken in an uninterruptible region.
        const renewing = yield* Effect.forkDaemon(Effect.interruptible(renewal(redis, key, token, ttlMs)))
        return () =>
          Fiber.interrupt(renewing).pipe(
            Effect.zipRight(Effect.ignore(redisOp("feeds.unlock", () => releaseScript(redis, [key], [token]))))
          )
      })
  }
}

export const layer = (options: { readonly prefix: string }): Layer.Layer<FeedCursors, never, RedisConnection> =>
  Layer.effect(
    FeedCursors,
    Effect.map(RedisConnection, (redis) => make(redis, options.prefix))
  )
