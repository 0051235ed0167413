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
