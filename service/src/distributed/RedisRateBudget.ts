/**
 * The rate budget shared by every replica: one token bucket per Genesys client id in Redis, taken by one Lua
 * script (Redis' own clock, so replicas' clocks need not agree), and one shared `pause-until` key that a 429's
 * `Retry-After` sets and every replica reads before each call.
 *   `<prefix>:budget:<clientId>`        hash { tokens, last }
 *   `<prefix>:budget:<clientId>:pause`  epoch ms the pause ends
 */
import { Duration, Effect, Layer } from "effect"
import type { Redis } from "ioredis"
import { RateBudget, type RateBudgetService, type TokenBucketOptions } from "../RateBudget.js"
import { RedisConnection, checkPrefix } from "./Connections.js"

export interface RedisRateBudgetOptions extends TokenBucketOptions {
  readonly prefix: string
  /** Whose budget: the Genesys OAuth client id (all replicas of one client share it). */
  readonly clientId: string
}

/**
 * KEYS: bucket, pause. ARGV: tokens per ms, burst, mode ("take" | "peek").
 * take → wait in ms (0: a token was taken). peek → { tokens (string), pausedUntil }.
 */
const BUCKET = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local perMs = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local pausedUntil = tonumber(redis.call('GET', KEYS[2]) or '0')
local b = redis.call('HMGET', KEYS[1], 'tokens', 'last')
local tokens = tonumber(b[1]) or burst
local last = tonumber(b[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - last) * perMs)
if now > last then last = now end
if ARGV[3] == 'peek' then return { tostring(tokens), pausedUntil } end
local wait
if pausedUntil > now then
  wait = pausedUntil - now
elseif tokens >= 1 then
  tokens = tokens - 1
  wait = 0
else
  wait = math.ceil((1 - tokens) / perMs)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'last', last)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / perMs) + 60000)
return wait
`

/** KEYS: pause. ARGV: seconds. A later pause wins over an earlier one. */
const PAUSE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local untilMs = now + math.floor(tonumber(ARGV[1]) * 1000)
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if untilMs > cur then
  redis.call('SET', KEYS[1], untilMs, 'PX', untilMs - now + 60000)
  return untilMs
end
return cur
`

export interface SharedBucket {
  /** Try to take a token: 0 when taken, otherwise how many ms to wait before trying again. */
  readonly take: () => Promise<number>
  readonly peek: () => Promise<{ readonly tokens: number; readonly pausedUntil: number }>
  readonly pause: (seconds: number) => Promise<number>
}

/** The raw shared bucket (one script call each), for the port below and for tests. */
export const sharedBucket = (redis: Redis, options: RedisRateBudgetOptions): SharedBucket => {
  if (!(options.perMinute > 0)) throw new RangeError(`perMinute must be positive, got ${options.perMinute}`)
  if (!(options.burst >= 1)) throw new RangeError(`burst must be at least 1, got ${options.burst}`)
  if (options.clientId === "") throw new RangeError("clientId must not be empty")
  const p = checkPrefix(options.prefix)
  const bucket = `${p}:budget:${encodeURIComponent(options.clientId)}`
  const pauseKey = `${bucket}:pause`
  const perMs = String(options.perMinute / 60_000)
  const burst = String(options.burst)
  return {
    take: async () => Number(await redis.eval(BUCKET, 2, bucket, pauseKey, perMs, burst, "take")),
    peek: async () => {
      const [tokens, pausedUntil] = (await redis.eval(BUCKET, 2, bucket, pauseKey, perMs, burst, "peek")) as [string, number]
      return { tokens: Number(tokens), pausedUntil: Number(pausedUntil) }
    },
    pause: async (seconds) => Number(await redis.eval(PAUSE, 1, pauseKey, String(Math.max(0, seconds))))
  }
}

/** How long to wait before asking Redis again when it cannot be reached (calls wait; they never bypass the budget). */
const UNREACHABLE_RETRY_MS = 250

export const make = (redis: Redis, options: RedisRateBudgetOptions): RateBudgetService => {
  const b = sharedBucket(redis, options)
  // Also honoured locally, so a pause holds on this replica even if Redis missed it.
  let localPauseUntil = 0
  const acquire: Effect.Effect<void> = Effect.gen(function* () {
    for (;;) {
      const local = localPauseUntil - Date.now()
      if (local > 0) {
        yield* Effect.sleep(Duration.millis(local))
        continue
      }
      const wait = yield* Effect.promise(() => b.take().catch(() => -1))
      if (wait === 0) return
      // Small jitter so replicas that wait for the same refill do not all ask in the same millisecond.
      const ms = wait < 0 ? UNREACHABLE_RETRY_MS : Math.min(wait, 5_000) + Math.floor(Math.random() * 5)
      yield* Effect.sleep(Duration.millis(ms))
    }
  })
  return {
    acquire,
    pause: (seconds) =>
      Effect.zipRight(
        Effect.sync(() => {
          localPauseUntil = Math.max(localPauseUntil, Date.now() + Math.max(0, seconds) * 1000)
        }),
        Effect.promise(() =>
        b.pause(seconds).then(
          () => undefined,
          () => undefined
        )
        )
      ),
    tokens: Effect.promise(() => b.peek().then((x) => x.tokens, () => 0)),
    pausedUntil: Effect.promise(() => b.peek().then((x) => x.pausedUntil, () => 0))
  }
}

export const layer = (options: RedisRateBudgetOptions): Layer.Layer<RateBudget, never, RedisConnection> =>
  Layer.effect(RateBudget, Effect.map(RedisConnection, (redis) => make(redis, options)))
