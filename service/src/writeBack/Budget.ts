/**
 * The write budget: a token bucket per source that every write-back draws one token from before it calls the
 * helpdesk (docs/write-back.md, "The write budget"). A write-back that finds the bucket empty does not wait holding a
 * worker: its ticket goes back to the inbox until the next token is due. The budget is per process (each replica
 * of a distributed deployment has its own).
 */

export interface WriteBudget {
  /** Take a token of `source`: 0 when taken, else the milliseconds until one is due (nothing taken). */
  readonly take: (source: string, nowMs: number) => number
}

/** Refill `perMinute` tokens a minute, holding at most `burst` (default: a sixth of a minute's, at least 1). */
export const makeWriteBudget = (
  perSource: Readonly<Record<string, { readonly perMinute: number; readonly burst?: number }>>
): WriteBudget => {
  const buckets = new Map<string, { tokens: number; at: number }>()
  return {
    take: (source, nowMs) => {
      const settings = perSource[source]
      if (settings === undefined) return 0
      const capacity = settings.burst ?? Math.max(1, Math.floor(settings.perMinute / 6))
      const perMs = settings.perMinute / 60_000
      const b = buckets.get(source) ?? { tokens: capacity, at: nowMs }
      b.tokens = Math.min(capacity, b.tokens + Math.max(0, nowMs - b.at) * perMs)
      b.at = nowMs
      buckets.set(source, b)
      if (b.tokens >= 1) {
        b.tokens -= 1
        return 0
      }
      return Math.ceil((1 - b.tokens) / perMs)
    }
  }
}
