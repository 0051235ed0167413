/**
 * The console's view over time, derived from the service's own Prometheus metrics (which only count up):
 * a sample every few seconds turns the counters into per-minute Genesys calls and 429s for the last hour, and
 * the sync-lag histogram into p50/p95 over the last five minutes. Figures are this process's (in distributed
 * mode, this replica's).
 */
import type { ServiceMetrics } from "../observability/Metrics.js"

export interface MinuteCalls {
  /** Epoch ms of the minute's start. */
  readonly minute: number
  readonly calls: number
  readonly rateLimited: number
}

export interface LagQuantiles {
  readonly p50: number
  readonly p95: number
  /** Events applied in the window. */
  readonly count: number
}

/** Raw counter readings at one instant. */
export interface Reading {
  /**
   * Genesys API calls (every attempt sent, login excluded: logins do not draw from the budget; calls held back by a
   * scoped 429 pause, outcome `HeldBack`, were never sent).
   */
  readonly calls: number
  readonly rateLimited: number
  /** Upper bounds of the sync-lag buckets (seconds; the last is +Inf) and their cumulative counts. */
  readonly lagBounds: ReadonlyArray<number>
  readonly lagCounts: ReadonlyArray<number>
}

export const readMetrics = async (metrics: ServiceMetrics): Promise<Reading> => {
  const calls = (await metrics.genesysCalls.get()).values.reduce(
    (n, v) => (v.labels["operation"] === "login" || v.labels["outcome"] === "HeldBack" ? n : n + v.value),
    0
  )
  const rateLimited = (await metrics.rateLimited.get()).values.reduce((n, v) => n + v.value, 0)
  const buckets = (await metrics.syncLag.get()).values
    .filter((v) => v.metricName?.endsWith("_bucket") === true)
    .map((v) => ({ le: v.labels["le"] === "+Inf" ? Number.POSITIVE_INFINITY : Number(v.labels["le"]), n: v.value }))
    .sort((a, b) => a.le - b.le)
  return { calls, rateLimited, lagBounds: buckets.map((b) => b.le), lagCounts: buckets.map((b) => b.n) }
}

/**
 * A quantile from a cumulative histogram as Prometheus's histogram_quantile computes it: linear interpolation
 * inside the bucket that holds the rank; a rank in the +Inf bucket answers the largest finite bound.
 */
export const histogramQuantile = (
  q: number,
  bounds: ReadonlyArray<number>,
  cumulative: ReadonlyArray<number>
): number | undefined => {
  const total = cumulative[cumulative.length - 1] ?? 0
  if (total <= 0) return undefined
  const rank = q * total
  for (let i = 0; i < bounds.length; i++) {
    const c = cumulative[i]!
    if (c >= rank) {
      const upper = bounds[i]!
      const lower = i === 0 ? 0 : bounds[i - 1]!
      if (!Number.isFinite(upper)) return lower
      const below = i === 0 ? 0 : cumulative[i - 1]!
      const inBucket = c - below
      return inBucket <= 0 ? upper : lower + ((upper - lower) * (rank - below)) / inBucket
    }
  }
  return bounds[bounds.length - 2]
}

const MINUTE = 60_000

export class OpsSampler {
  private last: Reading | undefined
  private readonly minutes = new Map<number, { calls: number; rateLimited: number }>()
  private readonly lagDeltas: Array<{ at: number; counts: ReadonlyArray<number> }> = []
  private bounds: ReadonlyArray<number> = []

  constructor(
    private readonly read: () => Promise<Reading>,
    private readonly lagWindowMs = 5 * MINUTE
  ) {}

  /** Take a reading and fold its growth since the previous one into the minute and the lag window. */
  async sample(now: number = Date.now()): Promise<void> {
    this.add(await this.read(), now)
  }

  /** Fold one reading (exposed for tests). */
  add(r: Reading, now: number): void {
    const prev = this.last
    this.last = r
    this.bounds = r.lagBounds
    if (prev === undefined) return
    const minute = Math.floor(now / MINUTE) * MINUTE
    const m = this.minutes.get(minute) ?? { calls: 0, rateLimited: 0 }
    m.calls += Math.max(0, r.calls - prev.calls)
    m.rateLimited += Math.max(0, r.rateLimited - prev.rateLimited)
    this.minutes.set(minute, m)
    if (prev.lagCounts.length === r.lagCounts.length) {
      const counts = r.lagCounts.map((c, i) => Math.max(0, c - prev.lagCounts[i]!))
      if ((counts[counts.length - 1] ?? 0) > 0) this.lagDeltas.push({ at: now, counts })
    }
    for (const k of this.minutes.keys()) if (k < minute - 60 * MINUTE) this.minutes.delete(k)
    while (this.lagDeltas.length > 0 && this.lagDeltas[0]!.at <= now - this.lagWindowMs) this.lagDeltas.shift()
  }

  /** The last 60 minutes, oldest first, the current (partial) minute last. */
  callsPerMinute(now: number = Date.now()): ReadonlyArray<MinuteCalls> {
    const current = Math.floor(now / MINUTE) * MINUTE
    const out: Array<MinuteCalls> = []
    for (let i = 59; i >= 0; i--) {
      const minute = current - i * MINUTE
      const m = this.minutes.get(minute)
      out.push({ minute, calls: m?.calls ?? 0, rateLimited: m?.rateLimited ?? 0 })
    }
    return out
  }

  /** Sync lag p50/p95 of the events applied in the window (undefined: none applied). */
  lag(now: number = Date.now()): LagQuantiles | undefined {
    const recent = this.lagDeltas.filter((d) => d.at > now - this.lagWindowMs)
    if (recent.length === 0) return undefined
    const sum = this.bounds.map((_, i) => recent.reduce((n, d) => n + (d.counts[i] ?? 0), 0))
    const p50 = histogramQuantile(0.5, this.bounds, sum)
    const p95 = histogramQuantile(0.95, this.bounds, sum)
    if (p50 === undefined || p95 === undefined) return undefined
    return { p50, p95, count: sum[sum.length - 1] ?? 0 }
  }
}
