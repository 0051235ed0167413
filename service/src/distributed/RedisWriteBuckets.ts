/**
 * The write budget's buckets shared by every replica (docs/write-back.md, "The write budget"): one token bucket per
 * helpdesk source in Redis, taken by the same Lua admission as the Genesys budget (`RedisRateBudget.ts`: Redis' own
 * clock, so replicas' clocks need not agree, and a restarted replica finds the bucket as the others left it).
 *   `<prefix>:writebudget:<source>`   hash { tokens, last }
 * When Redis does not answer, the write waits (the ticket goes back to the inbox) rather than risk the helpdesk's limit.
 */
import { Effect, Layer } from "effect"
import type { Redis } from "ioredis"
import { type TokenBuckets, WriteBuckets } from "../writeBack/Budget.js"
import { RedisConnection, checkPrefix } from "./Connections.js"
import { luaScript } from "./lua.js"
import { TOKEN_LUA } from "./RedisRateBudget.js"

/** KEYS: bucket. ARGV: tokens per ms, burst. → wait in ms (0: a token was taken). */
const TAKE = `${TOKEN_LUA}
return admit(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), redis_now())
`

const takeScript = luaScript(TAKE)

/** How long a write waits when Redis cannot be asked. */
export const UNREACHABLE_WAIT_MS = 1_000

export const make = (redis: Redis, options: { readonly prefix: string }): TokenBuckets => {
  const p = checkPrefix(options.prefix)
  return {
    take: (key, perMinute, burst) =>
      Effect.promise(() =>
        (
          takeScript(
            redis,
            [`${p}:writebudget:${encodeURIComponent(key)}`],
            [String(perMinute / 60_000), String(burst)]
          ) as Promise<number>
        ).then(Number, () => UNREACHABLE_WAIT_MS)
      )
  }
}

export const layer = (options: { readonly prefix: string }): Layer.Layer<WriteBuckets, never, RedisConnection> =>
  Layer.effect(
    WriteBuckets,
    Effect.map(RedisConnection, (redis) => make(redis, options))
  )
