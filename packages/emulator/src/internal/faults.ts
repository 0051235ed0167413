/** Fault rules for tests: matched on method and URL path, drawn with a seedable PRNG so chaos runs repeat. */

export type FaultKind =
  | "status"
  | "rateLimit"
  | "latency"
  | "hang"
  | "drop"
  | "lostResponse"
  | "statusConcurrency"
  | "versionConflict"
export const FAULT_KINDS: ReadonlyArray<FaultKind> = [
  "status",
  "rateLimit",
  "latency",
  "hang",
  "drop",
  "lostResponse",
  "statusConcurrency",
  "versionConflict"
]

/**
 * The answers of the two transient Genesys refusals the `statusConcurrency` and `versionConflict` kinds inject
 * (README, "Faults"): a worktype status changed while a sibling is being changed, and a stale entity version.
 */
export const TRANSIENT_FAULTS = {
  statusConcurrency: { status: 400, code: "bad.request", message: "Database transaction was cancelled" },
  versionConflict: { code: "conflict", message: "The version sent does not match the current version" }
} as const

export interface FaultRule {
  /** HTTP method to match (any when omitted). */
  readonly method?: string
  /** Matched on the URL path: a RegExp, or a string that equals the path or is a prefix of it ending at a `/`. */
  readonly path?: string | RegExp
  readonly kind: FaultKind
  /** For `status`: the HTTP status to answer (400–599). For `versionConflict`: 409 (default), 408 or 400. */
  readonly status?: number
  /** For `rateLimit` (and `status` 429): the `Retry-After` seconds; default 1. */
  readonly retryAfterSeconds?: number
  /** For `latency`: added delay before the request is handled. */
  readonly latencyMs?: number
  /** 0..1, default 1. */
  readonly probability?: number
  /** How many times the rule fires; unlimited when omitted. */
  readonly count?: number
}

/** mulberry32: a small, fast, seedable PRNG (exported by the package; the test storms draw from it too). */
export const prng = (seed: number): (() => number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const fail = (field: string, why: string): never => {
  throw new Error(`Invalid fault rule: ${field} ${why}`)
}

/** Checks a rule; throws an Error naming the bad field. */
export const checkFaultRule = (rule: unknown): FaultRule => {
  if (typeof rule !== "object" || rule === null) return fail("rule", "must be an object")
  const r = rule as Record<string, unknown>
  if (typeof r["kind"] !== "string" || !(FAULT_KINDS as ReadonlyArray<string>).includes(r["kind"]))
    fail("kind", `must be one of ${FAULT_KINDS.join(", ")}`)
  if (r["method"] !== undefined && typeof r["method"] !== "string") fail("method", "must be a string")
  if (r["path"] !== undefined && typeof r["path"] !== "string" && !(r["path"] instanceof RegExp))
    fail("path", "must be a string or RegExp")
  const int = (k: string, min: number, max: number): void => {
    const v = r[k]
    if (v !== undefined && (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max))
      fail(k, `must be a whole number in ${min}..${max}`)
  }
  int("status", 400, 599)
  int("retryAfterSeconds", 0, 86_400)
  int("latencyMs", 0, 600_000)
  int("count", 1, Number.MAX_SAFE_INTEGER)
  const p = r["probability"]
  if (p !== undefined && (typeof p !== "number" || !(p >= 0 && p <= 1))) fail("probability", "must be a number in 0..1")
  if (r["kind"] === "status" && r["status"] === undefined) fail("status", 'is required for kind "status"')
  if (r["kind"] === "latency" && r["latencyMs"] === undefined) fail("latencyMs", 'is required for kind "latency"')
  if (r["kind"] === "versionConflict" && r["status"] !== undefined && ![400, 408, 409].includes(r["status"] as number))
    fail("status", 'must be 400, 408 or 409 for kind "versionConflict"')
  return rule as FaultRule
}

export interface ActiveFault {
  readonly id: string
  readonly rule: FaultRule
  readonly path: RegExp | string | undefined
  remaining: number
}

export const pathMatches = (rule: ActiveFault, path: string): boolean => {
  const p = rule.path
  if (p === undefined) return true
  if (p instanceof RegExp) return p.test(path)
  return path === p || path.startsWith(p.endsWith("/") ? p : `${p}/`)
}
