/**
 * The one retry backoff: exponential (base × 2ⁿ), each delay capped, then jittered, for a number of retries.
 * Effect code retries with the `Schedule` (`Effect.retry(effect, backoff(…))`, driven by the `Clock`, so a
 * `TestClock` steps it); callback code that needs the n-th delay as a number (a client library's reconnect
 * strategy) reads it from the same schedule with `backoffDelayMs`.
 */
import { Chunk, Duration, Effect, Schedule } from "effect"

export interface BackoffOptions {
  /** The first delay. */
  readonly baseMs: number
  /** The cap of every delay (before jitter). */
  readonly maxMs: number
  /** Retries before giving up; unbounded when absent. */
  readonly attempts?: number
  /**
   * Each delay is multiplied by a random factor in [min, max] (default 0.5–1: the cap holds, and callers that
   * failed together do not retry together); `false` for none.
   */
  readonly jitter?: { readonly min: number; readonly max: number } | false
}

/** The backoff `Schedule`; it outputs the delay before the next retry. */
export const backoff = (options: BackoffOptions): Schedule.Schedule<Duration.Duration> => {
  const capped = Schedule.exponential(Duration.millis(options.baseMs), 2).pipe(
    Schedule.modifyDelay((d) => Duration.min(d, Duration.millis(options.maxMs)))
  )
  const jittered =
    options.jitter === false ? capped : Schedule.jitteredWith(capped, options.jitter ?? { min: 0.5, max: 1 })
  return options.attempts === undefined
    ? Schedule.delays(jittered)
    : Schedule.delays(Schedule.intersect(jittered, Schedule.recurs(options.attempts)))
}

/** The delay before retry `attempt` (0 = the first retry) of `backoff(options)`, in whole ms. */
export const backoffDelayMs = (options: BackoffOptions, attempt: number): number => {
  const steps = Math.max(0, Math.floor(attempt)) + 1
  const { attempts: _unbounded, ...unbounded } = options
  const delays = Effect.runSync(
    Schedule.run(
      backoff(unbounded),
      0,
      Array.from({ length: steps }, () => undefined)
    )
  )
  return Math.round(Duration.toMillis(Chunk.unsafeLast(delays)))
}
