/**
 * The write budget: a token bucket per source that every write-back draws one token from before it calls the
 * helpdesk (docs/write-back.md, "The write budget"). A write-back that finds the bucket empty does not wait holding a
 * worker: its ticket goes back to the inbox until the next token is due.
 *
 * The buckets live behind the `WriteBuckets` port: in process for the embedded service, in Redis for a distributed
 * deployment (`distributed/RedisWriteBuckets.ts`), so the replicas together stay inside one helpdesk's limit.
 */
import { Clock, Context, Effect, Layer } from "effect"

/** Token buckets by key: `take` takes one token, answering 0, or the milliseconds until one is due (none taken). */
export interface TokenBuckets {
  readonly take: (key: string, perMinute: number, burst: number) => Effect.Effect<number>
}

export class WriteBuckets extends Context.Tag("@workbridge/service/WriteBuckets")<WriteBuckets, TokenBuckets>() {}

/** Buckets in this process, on the Effect Clock. */
export const memoryBuckets = (): TokenBuckets => {
  const buckets = new Map<string, { tokens: number; at: number }>()
  return {
    take: (key, perMinute, burst) =>
      Effect.map(Clock.currentTimeMillis, (nowMs) => {
        const perMs = perMinute / 60_000
        const b = buckets.get(key) ?? { tokens: burst, at: nowMs }
        b.tokens = Math.min(burst, b.tokens + Math.max(0, nowMs - b.at) * perMs)
        b.at = Math.max(b.at, nowMs)
        buckets.set(key, b)
        if (b.tokens >= 1) {
          b.tokens -= 1
          return 0
        }
        return Math.ceil((1 - b.tokens) / perMs)
      })
  }
}

/** The in-process buckets as the `WriteBuckets` layer (the embedded stores). */
export const memoryBucketsLayer: Layer.Layer<WriteBuckets> = Layer.sync(WriteBuckets, memoryBuckets)

export interface WriteBudget {
  /** Take a token of `source`: 0 when taken, else the milliseconds until one is due (nothing taken). */
  readonly take: (source: string) => Effect.Effect<number>
}

/**
 * Refill `perMinute` tokens a minute, holding at most `burst` (default: a sixth of a minute's, at least 1); a source
 * without settings is not limited.
 */
export const makeWriteBudget = (
  perSource: Readonly<Record<string, { readonly perMinute: number; readonly burst?: number }>>,
  buckets: TokenBuckets = memoryBuckets()
): WriteBudget => ({
  take: (source) => {
    const settings = perSource[source]
    if (settings === undefined) return Effect.succeed(0)
    const burst = settings.burst ?? Math.max(1, Math.floor(settings.perMinute / 6))
    return buckets.take(source, settings.perMinute, burst)
  }
})
