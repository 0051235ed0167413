/**
 * The rate budget port: a token bucket every Genesys call draws from, and the pauses a 429's `Retry-After`
 * imposes — scoped to what the 429 limited (docs/service.md, "429 scopes"): the token (every caller waits), the
 * org's workitem creations, its workitem updates, or one workitem's updates. `layerMemory` is the in-process
 * bucket; a distributed adapter (Redis) shares one budget and its pauses between replicas.
 */
import { Clock, Context, Duration, Effect, Layer, Ref } from "effect"

/** What a 429 limited, so what its pause holds back. */
export type PauseScope =
  /** The client's token (300 requests/min): every call. */
  | { readonly kind: "token" }
  /** The org's daily workitem creations: every create. */
  | { readonly kind: "creates" }
  /** The org's daily workitem updates: every update. */
  | { readonly kind: "updates" }
  /** One workitem's updates per minute: the updates of that workitem. */
  | { readonly kind: "workitem"; readonly workitemId: string }

export type PauseScopeKind = PauseScope["kind"]
export const TOKEN_SCOPE: PauseScope = { kind: "token" }

/** A stable key of a scope (`token`, `creates`, `updates`, `workitem:<id>`). */
export const scopeKey = (scope: PauseScope): string =>
  scope.kind === "workitem" ? `workitem:${scope.workitemId}` : scope.kind

export interface RateBudgetService {
  /** Wait until no token pause is in force and a token is available, then take it. */
  readonly acquire: Effect.Effect<void>
  /**
   * Pause what `scope` covers (default the token: every caller) for `seconds` from now; a later pause wins over an
   * earlier one of the same scope.
   */
  readonly pause: (seconds: number, scope?: PauseScope) => Effect.Effect<void>
  /** Tokens currently available (fractional). */
  readonly tokens: Effect.Effect<number>
  /** Epoch ms the token pause ends (0 or past: none). */
  readonly pausedUntil: Effect.Effect<number>
  /** Epoch ms the latest pause in force over any of `scopes` ends (0 or past: none). The token pause is not included. */
  readonly pausedUntilFor: (scopes: ReadonlyArray<PauseScope>) => Effect.Effect<number>
}

export class RateBudget extends Context.Tag("@workbridge/genesys/RateBudget")<RateBudget, RateBudgetService>() {}

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
    // Scoped pauses (not the token's): scope key → epoch ms; ended ones are dropped as new ones come.
    const scoped = new Map<string, number>()
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
      pause: (seconds, scope = TOKEN_SCOPE) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) => {
          const until = now + Math.max(0, seconds) * 1000
          if (scope.kind === "token")
            return Ref.update(state, (s) => ({ ...s, pausedUntil: Math.max(s.pausedUntil, until) }))
          return Effect.sync(() => {
            for (const [k, end] of scoped) if (end <= now) scoped.delete(k)
            const key = scopeKey(scope)
            scoped.set(key, Math.max(scoped.get(key) ?? 0, until))
          })
        }),
      tokens: Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.map(Ref.get(state), (s) => refill(s, now).tokens)
      ),
      pausedUntil: Effect.map(Ref.get(state), (s) => s.pausedUntil),
      pausedUntilFor: (scopes) =>
        Effect.sync(() =>
          scopes.reduce(
            (latest, scope) => (scope.kind === "token" ? latest : Math.max(latest, scoped.get(scopeKey(scope)) ?? 0)),
            0
          )
        )
    }
  })

export const layerMemory = (options: TokenBucketOptions): Layer.Layer<RateBudget> =>
  Layer.effect(RateBudget, makeMemory(options))
