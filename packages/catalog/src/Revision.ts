/**
 * Revisions: a per-ticket total order encoded as a string that sorts lexicographically.
 * `primary` is the vendor's ordering number (a counter, or a timestamp in ms); `tieBreaker` keeps
 * two events with the same primary value in a stable order.
 */
const WIDTH = 16

/** Build a revision string from a non-negative integer and a tie-breaker. */
export const makeRevision = (primary: number, tieBreaker = ""): string => {
  if (!Number.isSafeInteger(primary) || primary < 0) {
    throw new RangeError(`revision primary must be a non-negative safe integer, got ${primary}`)
  }
  return `${primary.toString().padStart(WIDTH, "0")}${tieBreaker === "" ? "" : `:${tieBreaker}`}`
}

/** Compare two revisions: negative when a is older than b. */
export const compareRevision = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** The primary number of a revision string. */
export const revisionPrimary = (revision: string): number => Number(revision.slice(0, WIDTH))
