/**
 * The rate budget port: a token bucket every Genesys call draws from, and a shared pause that a 429's
 * `Retry-After` imposes on every caller. `layerMemory` is the in-process bucket; a distributed adapter
 * (Redis) shares one budget between replicas.
 */
import { Clock, Context, Duration, Effect, Layer, Ref } from "effect"

export interface RateBudgetService {
  /** Wait until no pause is in force and a token is available, then take it. */
  readonly acquire: Effect.Effect<void>
  /** Make every caller wait `seconds` from now (a later pause wins over an earlier one). */
  readonly pause: (seconds: number) => Effect.Effect<void>
  /** Tokens currently available (fractional). */
  readonly tokens: Effect.Effect<number>
  /** Epoch ms the shared pause ends (0 or past: none). */
  readonly pausedUntil: Effect.Effect<number>
}

export class RateBudget extends Context.Tag("@workbridge/service/RateBudget")<RateBudget, RateBudgetService>() {}

export interface TokenBucketOptions {
  /** Refill rate. */
  readonly perMinute: number
  /** Capacity: the largest burst. */
  readonly burst: number
}

interface BucketState {
  readonly tokens: number
  readonly last: number
  readonly pausedUntil: number
}

/** An in-process token bucket (uses Effect's Clock, so TestClock drives it in tests). */
export const makeMemory = (options: TokenBucketOptions): Effect.Effect<RateBudgetService> =>
  Effect.gen(function* () {
    if (!(options.perMinute > 0)) throw new RangeError(`perMinute must be positive, got ${options.perMinute}`)
    if (!(options.burst >= 1)) throw new RangeError(`burst must be at least 1, got ${options.burst}`)
    const perMs = options.perMinute / 60_000
    const start = yield* Clock.currentTimeMillis
    const state = yield* Ref.make<BucketState>({ tokens: options.burst, last: start, pausedUntil: 0 })
    const refill = (s: BucketState, now: number): BucketState => ({
      ...s,
      tokens: Math.min(options.burst, s.tokens + Math.max(0, now - s.last) * perMs),
      last: Math.max(s.last, now)
    })

    const tryTake = (now: number) =>
      Ref.modify(state, (s0): [number, BucketState] => {
        const s = refill(s0, now)
        if (s.pausedUntil > now) return [s.pausedUntil - now, s]
        if (s.tokens >= 1) return [0, { ...s, tokens: s.tokens - 1 }]
        return [Math.ceil((1 - s.tokens) / perMs), s]
      })

    const acquire: Effect.Effect<void> = Effect.gen(function* () {
      for (;;) {
        const now = yield* Clock.currentTimeMillis
        const wait = yield* tryTake(now)
        if (wait <= 0) return
        yield* Effect.sleep(Duration.millis(wait))
      }
    })

    return {
      acquire,
      pause: (seconds) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Ref.update(state, (s) => ({ ...s, pausedUntil: Math.max(s.pausedUntil, now + Math.max(0, seconds) * 1000) }))
        ),
      tokens: Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.map(Ref.get(state), (s) => refill(s, now).tokens)),
      pausedUntil: Effect.map(Ref.get(state), (s) => s.pausedUntil)
    }
  })

export const layerMemory = (options: TokenBucketOptions): Layer.Layer<RateBudget> => Layer.effect(RateBudget, makeMemory(options))
