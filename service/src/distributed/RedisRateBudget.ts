/**
 * The rate budget shared by every replica: one token bucket per Genesys client id in Redis, taken by one Lua
 * script (Redis' own clock, so replicas' clocks need not agree), one shared `pause-until` key that a 429's
 * `Retry-After` sets for the token (every replica reads it before each call), and one key per narrower scope
 * (docs/service.md, "429 scopes") that the calls of that scope read.
 *
 * Token admission is strict: the bucket's state lives only in Redis and its time is only Redis' `TIME`, so it
 * never admits more than `capacity + rate × minutes` in any window, whichever replicas ask, however their clocks
 * differ, and across a replica's kill -9 and restart (a restarted replica finds the bucket as the others left it).
 * With an in-flight allowance the capacity and rate are `arrivalBucket`'s, which leave room for the calls admitted
 * before a window that arrive inside it, and a token carries its hand-off deadline, measured on this replica's
 * monotonic clock from before the script was sent (so never later than Redis' admission plus `handoffMs`): the calls
 * stay within `burst + perMinute × minutes` as Genesys counts them, on arrival (docs/distributed.md, "The shared
 * budget").
 *   `<prefix>:budget:<clientId>`                  hash { tokens, last }
 *   `<prefix>:budget:<clientId>:pause`            epoch ms the token pause ends
 *   `<prefix>:budget:<clientId>:pause:<scope>`    epoch ms a scoped pause ends (`creates`, `updates`, `workitem:<id>`)
 */
import { Clock, Duration, Effect, Layer, Random } from "effect"
import type { Redis } from "ioredis"
import {
  type BudgetToken,
  type PauseScope,
  RateBudget,
  type RateBudgetService,
  TOKEN_SCOPE,
  type TokenBucketOptions,
  arrivalBucket,
  monotonicMs,
  scopeKey
} from "@workbridge/genesys"
import { RedisConnection, checkPrefix } from "./Connections.js"
import { luaScript } from "./lua.js"

export interface RedisRateBudgetOptions extends TokenBucketOptions {
  readonly prefix: string
  /** Whose budget: the Genesys OAuth client id (all replicas of one client share it). */
  readonly clientId: string
}

/**
 * Token admission (Lua, shared by the scripts below): `redis_now()` is Redis' clock in ms (never a replica's);
 * `refill(key, perMs, burst, now)` reads the bucket and tops it up for the time elapsed since it was last touched
 * (a clock that seems to go back refills nothing); `admit(...)` takes one token when one is there and stores the
 * bucket; it returns 0, or the ms until the next token. The hash keeps `tokens` as a decimal string (`%.17g`, exact
 * for a double, so no rounding ever rounds a fraction of a token up) and `last` as the Redis ms it was refilled to.
 */
export const TOKEN_LUA = `
local function redis_now()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function refill(key, perMs, burst, now)
  local b = redis.call('HMGET', key, 'tokens', 'last')
  local tokens = tonumber(b[1]) or burst
  local last = tonumber(b[2]) or now
  tokens = math.min(burst, tokens + math.max(0, now - last) * perMs)
  if now > last then last = now end
  return tokens, last
end
local function store(key, perMs, burst, tokens, last)
  redis.call('HSET', key, 'tokens', string.format('%.17g', tokens), 'last', last)
  redis.call('PEXPIRE', key, math.ceil(burst / perMs) + 60000)
end
local function admit(key, perMs, burst, now)
  local tokens, last = refill(key, perMs, burst, now)
  local wait
  if tokens >= 1 then
    tokens = tokens - 1
    wait = 0
  else
    wait = math.ceil((1 - tokens) / perMs)
  end
  store(key, perMs, burst, tokens, last)
  return wait
end
`

/**
 * KEYS: bucket, pause. ARGV: tokens per ms, burst, mode ("take" | "peek").
 * take → { wait in ms (0: a token was taken), Redis ms of the decision }. peek → { tokens (string), pausedUntil }.
 */
const BUCKET = `${TOKEN_LUA}
local now = redis_now()
local perMs = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local pausedUntil = tonumber(redis.call('GET', KEYS[2]) or '0')
if ARGV[3] == 'peek' then
  local tokens = refill(KEYS[1], perMs, burst, now)
  return { tostring(tokens), pausedUntil }
end
if pausedUntil > now then return { pausedUntil - now, now } end
return { admit(KEYS[1], perMs, burst, now), now }
`

/**
 * KEYS: scoped pauses. → ms until the latest of them ends, by Redis' clock (0: none in force). Time left, not an
 * instant, so a replica whose clock differs from Redis' still holds the pause for as long as it lasts.
 */
const SCOPED = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local latest = 0
for _, k in ipairs(KEYS) do
  local v = tonumber(redis.call('GET', k) or '0')
  if v > latest then latest = v end
end
if latest > now then return latest - now end
return 0
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
  /** `take`, with the Redis time (epoch ms) of the decision: `at` of an admitted call is its admission time. */
  readonly admit: () => Promise<{ readonly wait: number; readonly at: number }>
  readonly peek: () => Promise<{ readonly tokens: number; readonly pausedUntil: number }>
  readonly pause: (seconds: number, scope?: PauseScope) => Promise<number>
  /** Ms until the latest scoped pause over `scopes` ends, by Redis' clock (0: none); the token pause is not included. */
  readonly scopedRemaining: (scopes: ReadonlyArray<PauseScope>) => Promise<number>
}

const bucketScript = luaScript(BUCKET)
const pauseScript = luaScript(PAUSE)
const scopedScript = luaScript(SCOPED)

/** The raw shared bucket (one script call each), for the port below and for tests. */
export const sharedBucket = (redis: Redis, options: RedisRateBudgetOptions): SharedBucket => {
  // The capacity and refill the script runs: `burst` and `perMinute` less the room for calls in flight, if any.
  const shape = arrivalBucket(options)
  if (options.clientId === "") throw new RangeError("clientId must not be empty")
  const p = checkPrefix(options.prefix)
  const bucket = `${p}:budget:${encodeURIComponent(options.clientId)}`
  const pauseKey = `${bucket}:pause`
  const scopedKey = (scope: PauseScope) =>
    scope.kind === "token" ? pauseKey : `${pauseKey}:${encodeURIComponent(scopeKey(scope))}`
  const perMs = String(shape.perMinute / 60_000)
  const burst = String(shape.capacity)
  const admit = async () => {
    const [wait, at] = (await bucketScript(redis, [bucket, pauseKey], [perMs, burst, "take"])) as [number, number]
    return { wait: Number(wait), at: Number(at) }
  }
  return {
    take: async () => (await admit()).wait,
    admit,
    peek: async () => {
      const [tokens, pausedUntil] = (await bucketScript(redis, [bucket, pauseKey], [perMs, burst, "peek"])) as [
        string,
        number
      ]
      return { tokens: Number(tokens), pausedUntil: Number(pausedUntil) }
    },
    pause: async (seconds, scope = TOKEN_SCOPE) =>
      Number(await pauseScript(redis, [scopedKey(scope)], [String(Math.max(0, seconds))])),
    scopedRemaining: async (scopes) => {
      const keys = scopes.filter((x) => x.kind !== "token").map(scopedKey)
      if (keys.length === 0) return 0
      return Number(await scopedScript(redis, keys, []))
    }
  }
}

/** How long to wait before asking Redis again when it cannot be reached (calls wait; they never bypass the budget). */
const UNREACHABLE_RETRY_MS = 250

export const make = (redis: Redis, options: RedisRateBudgetOptions): RateBudgetService => {
  const b = sharedBucket(redis, options)
  const { handoffMs } = arrivalBucket(options)
  // Also honoured locally, so a pause holds on this replica even if Redis missed it (on the Effect Clock, like the
  // waits: a TestClock drives both).
  let localPauseUntil = 0
  const localScoped = new Map<string, number>()
  // One caller of this replica asks Redis at a time; the others wait their turn here. Every waiting caller asking
  // Redis on its own would wake them all at each refill, to find one token among them: at 1,200/min with 8
  // workers on each of 3 replicas, that was about 23 script calls per token admitted.
  const turn = Effect.unsafeMakeSemaphore(1)
  const poll: Effect.Effect<BudgetToken> = Effect.gen(function* () {
    for (;;) {
      const local = localPauseUntil - (yield* Clock.currentTimeMillis)
      if (local > 0) {
        yield* Effect.sleep(Duration.millis(local))
        continue
      }
      // Before the script is sent, so Redis admits the token no earlier than this.
      const asked = yield* monotonicMs
      const wait = yield* Effect.promise(() => b.take().catch(() => -1))
      if (wait === 0) return { sendBy: asked + handoffMs }
      // Small jitter so replicas that wait for the same refill do not all ask in the same millisecond.
      const ms = wait < 0 ? UNREACHABLE_RETRY_MS : Math.min(wait, 5_000) + (yield* Random.nextIntBetween(0, 5))
      yield* Effect.sleep(Duration.millis(ms))
    }
  })
  const acquire = turn.withPermits(1)(poll)
  return {
    acquire,
    pause: (seconds, scope = TOKEN_SCOPE) =>
      Effect.zipRight(
        Effect.flatMap(Clock.currentTimeMillis, (now) => {
          const until = now + Math.max(0, seconds) * 1000
          if (scope.kind === "token") localPauseUntil = Math.max(localPauseUntil, until)
          else {
            for (const [k, end] of localScoped) if (end <= now) localScoped.delete(k)
            localScoped.set(scopeKey(scope), Math.max(localScoped.get(scopeKey(scope)) ?? 0, until))
          }
          return Effect.void
        }),
        Effect.promise(() =>
          b.pause(seconds, scope).then(
            () => undefined,
            () => undefined
          )
        )
      ),
    // The shared pause is read as time left and turned into an instant of this replica's clock (the caller compares
    // it with that clock), so replicas whose clocks differ from Redis' hold it for as long as it lasts.
    pausedUntilFor: (scopes) =>
      Effect.gen(function* () {
        const local = Math.max(0, ...scopes.map((x) => (x.kind === "token" ? 0 : (localScoped.get(scopeKey(x)) ?? 0))))
        const remaining = yield* Effect.promise(() =>
          b.scopedRemaining(scopes).then(
            (ms) => ms,
            () => 0
          )
        )
        return remaining > 0 ? Math.max(local, (yield* Clock.currentTimeMillis) + remaining) : local
      }),
    tokens: Effect.promise(() =>
      b.peek().then(
        (x) => x.tokens,
        () => 0
      )
    ),
    pausedUntil: Effect.promise(() =>
      b.peek().then(
        (x) => x.pausedUntil,
        () => 0
      )
    )
  }
}

export const layer = (options: RedisRateBudgetOptions): Layer.Layer<RateBudget, never, RedisConnection> =>
  Layer.effect(
    RateBudget,
    Effect.map(RedisConnection, (redis) => make(redis, options))
  )
