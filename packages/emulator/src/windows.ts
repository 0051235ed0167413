/**
 * Rate checks over the request log: the most timestamps that fall within any window of a given length, the
 * figure a budget of "N calls per minute" is judged by (a sliding window, not calendar minutes).
 */

/** The most of `times` (epoch ms, sorted ascending) within any `windowMs`: two instants `windowMs` apart are in different windows. */
export const maxInWindow = (times: ReadonlyArray<number>, windowMs: number): number => {
  let best = 0
  let start = 0
  for (let end = 0; end < times.length; end++) {
    while (times[end]! - times[start]! >= windowMs) start++
    best = Math.max(best, end - start + 1)
  }
  return best
}

/**
 * How far `times` (epoch ms, sorted ascending) exceed a token bucket's bound `burst + perMs × span` at worst: over
 * every pair i ≤ j, the count from `times[i]` to `times[j]` (both included) less what the bound allows over their
 * span. ≤ 0 when no span holds more than the bound — every window of every length, not only minutes.
 */
export const bucketExcess = (
  times: ReadonlyArray<number>,
  perMs: number,
  burst: number
): { readonly excess: number; readonly count: number; readonly spanMs: number } => {
  let worst = { excess: Number.NEGATIVE_INFINITY, count: 0, spanMs: 0 }
  for (let i = 0; i < times.length; i++) {
    for (let j = i; j < times.length; j++) {
      const spanMs = times[j]! - times[i]!
      const excess = j - i + 1 - (burst + perMs * spanMs)
      if (excess > worst.excess) worst = { excess, count: j - i + 1, spanMs }
    }
  }
  return worst
}
