/**
 * The rate budget port: a token bucket every Genesys call draws from, and the pauses a 429's `Retry-After`
 * imposes — scoped to what the 429 limited (docs/service.md, "429 scopes"): the token (every caller waits), the
 * org's workitem creations, its workitem updates, or one workitem's updates. `layerMemory` is the in-process
 * bucket; a distributed adapter (Redis) shares one budget and its pauses between replicas.
 *
 * The limit is counted where Genesys counts it, on a call's arrival, not when its token is taken: with an in-flight
 * allowance (`TokenBucketOptions.inFlight`) the bucket leaves room for the calls admitted shortly before a window
 * that arrive inside it (`arrivalBucket`), and a call that was not handed to the HTTP client soon enough after its
 * token was taken takes a new one (`withFreshToken`). docs/distributed.md, "The shared budget", has the bound.
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

/** A token taken from the budget. */
export interface BudgetToken {
  /**
   * The call it admits must be handed to the HTTP client by then — monotonic ms (`monotonicMs`, Effect's
   * `Clock.currentTimeNanos`), `Infinity` without an in-flight allowance — or the token is dropped unused
   * (`withFreshToken`).
   */
  readonly sendBy: number
}

export interface RateBudgetService {
  /** Wait until no token pause is in force and a token is available, then take it. */
  readonly acquire: Effect.Effect<BudgetToken>
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

/**
 * How late a call may reach Genesys after its token was taken, split where the client can and cannot enforce it.
 * `handoffMs`: a token not handed to the HTTP client within this many ms of being taken is dropped and the call takes
 * a new one (so a stalled process never sends a call on an old token). `transitMs`: the allowance for the way from
 * the HTTP client to Genesys' door (socket, network, TLS), which the client cannot enforce.
 */
export interface InFlightAllowance {
  readonly handoffMs: number
  readonly transitMs: number
}

export interface TokenBucketOptions {
  /** Refill rate: the budget, counted over any 60 s. */
  readonly perMinute: number
  /** The largest burst the budget allows on top of it (`burst + perMinute × minutes` in any window). */
  readonly burst: number
  /**
   * Counted on arrival: the bucket leaves room for calls still in flight (`arrivalBucket`). Absent: the limit holds
   * for admissions (when tokens are taken) only.
   */
  readonly inFlight?: InFlightAllowance
}

/** The window Genesys counts its per-token rate limit over (docs/genesys-api.md §6.2: requests per minute). */
export const BUDGET_WINDOW_MS = 60_000

/** The bucket a budget runs: its capacity and refill, and how long after its admission a token may be handed on. */
export interface ArrivalBucket {
  readonly capacity: number
  readonly perMinute: number
  /** `handoffMs + transitMs` (0 without an allowance): the longest admission → arrival the bound covers. */
  readonly inFlightMs: number
  /** `Infinity` without an allowance. */
  readonly handoffMs: number
}

/**
 * The bucket that keeps calls within `burst + perMinute × minutes` as counted on their arrival, when each arrives
 * within δ = `handoffMs + transitMs` of its admission. Arrivals in a window of length L were admitted within a span of
 * L + δ, so at most `capacity + rate × (L + δ)` of them. The room for the calls in flight, m = ⌈rate × δ⌉ tokens,
 * comes out of the burst as far as the burst can spare it while keeping half of itself: `capacity = burst − m` and the
 * refill unchanged when m ≤ ⌊burst / 2⌋, and the bound holds for every L. Otherwise the capacity is ⌈burst / 2⌉ and
 * the refill is lowered to rate′ with `capacity + rate′ × (60 s + δ) = burst + perMinute`: the bound holds for every
 * window of 60 s or longer (the one Genesys counts). The capacity is also the slack that absorbs the takers'
 * lateness (timers firing late on a busy process): a capacity of 1 lost a fifth of the budget in a loaded
 * distributed storm (docs/distributed.md, "The shared budget").
 */
export const arrivalBucket = (options: TokenBucketOptions): ArrivalBucket => {
  if (!(options.perMinute > 0)) throw new RangeError(`perMinute must be positive, got ${options.perMinute}`)
  if (!(options.burst >= 1)) throw new RangeError(`burst must be at least 1, got ${options.burst}`)
  const a = options.inFlight
  if (a === undefined)
    return { capacity: options.burst, perMinute: options.perMinute, inFlightMs: 0, handoffMs: Number.POSITIVE_INFINITY }
  if (!(a.handoffMs > 0)) throw new RangeError(`handoffMs must be positive, got ${a.handoffMs}`)
  if (!(a.transitMs >= 0)) throw new RangeError(`transitMs must not be negative, got ${a.transitMs}`)
  const inFlightMs = a.handoffMs + a.transitMs
  const margin = Math.ceil((options.perMinute * inFlightMs) / BUDGET_WINDOW_MS)
  const capacity = Math.max(Math.ceil(options.burst / 2), options.burst - margin)
  // (burst − capacity + perMinute) / (60 s + δ) is at least the rate whenever the burst spares the margin.
  const lowered = ((options.burst - capacity + options.perMinute) * BUDGET_WINDOW_MS) / (BUDGET_WINDOW_MS + inFlightMs)
  // A hair below, so no rounding of the division ever lets the refill exceed the bound.
  const perMinute = lowered >= options.perMinute ? options.perMinute : lowered * (1 - 1e-9)
  return { capacity, perMinute, inFlightMs, handoffMs: a.handoffMs }
}

/** Monotonic ms on Effect's Clock (`currentTimeNanos`: `process.hrtime` live, the TestClock in tests). */
export const monotonicMs: Effect.Effect<number> = Effect.map(Clock.currentTimeNanos, (n) => Number(n) / 1e6)

/**
 * Take a token and run `send` on it, unless the token is already older than its hand-off deadline when `send` would
 * start: then it is dropped (`onDropped`) and another one is taken. `send` should hand the request to the HTTP
 * client at once; the time after that is the allowance's `transitMs`.
 */
export const withFreshToken = <A, E, R>(
  budget: RateBudgetService,
  send: Effect.Effect<A, E, R>,
  onDropped: () => void = () => undefined
): Effect.Effect<A, E, R> =>
  Effect.gen(function* () {
    for (;;) {
      const token = yield* budget.acquire
      if ((yield* monotonicMs) <= token.sendBy) return yield* send
      onDropped()
    }
  })

interface BucketState {
  readonly tokens: number
  readonly last: number
  readonly pausedUntil: number
}

/** An in-process token bucket (uses Effect's Clock, so TestClock drives it in tests). */
export const makeMemory = (options: TokenBucketOptions): Effect.Effect<RateBudgetService> =>
  Effect.gen(function* () {
    const bucket = arrivalBucket(options)
    const perMs = bucket.perMinute / 60_000
    const start = yield* Clock.currentTimeMillis
    const state = yield* Ref.make<BucketState>({ tokens: bucket.capacity, last: start, pausedUntil: 0 })
    // Scoped pauses (not the token's): scope key → epoch ms; ended ones are dropped as new ones come.
    const scoped = new Map<string, number>()
    const refill = (s: BucketState, now: number): BucketState => ({
      ...s,
      tokens: Math.min(bucket.capacity, s.tokens + Math.max(0, now - s.last) * perMs),
      last: Math.max(s.last, now)
    })

    const tryTake = (now: number) =>
      Ref.modify(state, (s0): [number, BucketState] => {
        const s = refill(s0, now)
        if (s.pausedUntil > now) return [s.pausedUntil - now, s]
        if (s.tokens >= 1) return [0, { ...s, tokens: s.tokens - 1 }]
        return [Math.ceil((1 - s.tokens) / perMs), s]
      })

    const acquire: Effect.Effect<BudgetToken> = Effect.gen(function* () {
      for (;;) {
        const now = yield* Clock.currentTimeMillis
        const admittedAt = yield* monotonicMs
        const wait = yield* tryTake(now)
        if (wait <= 0) return { sendBy: admittedAt + bucket.handoffMs }
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
