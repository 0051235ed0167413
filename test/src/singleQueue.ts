/**
 * The calls one oldest-first queue would make for a storm's arrivals: a yardstick for the storm benches, whose
 * calls per ticket follow the storm's arrival time (docs/benchmarks.md, "Distributed storm").
 *
 * The model: every accepted event is visible at once to one worker that spends the budget (a token bucket of
 * `budgetPerMinute` and `burst`, full at the first arrival) as soon as a token is there, each token on the ticket whose
 * oldest pending event is oldest, applying all the ticket's pending events in one call; a ticket whose pending events
 * are all at or below its applied revision costs no call. No latency, no crash, no duplicate call. The service
 * cannot do better by coalescing alone while it spends the whole budget: what it makes beyond this is waste (a ticket
 * applied without events it had already accepted), what it makes below it comes from not spending the budget.
 */
import { compareRevision } from "@workbridge/catalog"
import type { Delivery } from "./storm.js"

export interface Arrival {
  readonly delivery: Delivery
  /** When the service answered it (ms from any fixed origin). */
  readonly atMs: number
}

export interface SingleQueueCalls {
  readonly calls: number
  /** Calls made up to the last arrival. */
  readonly whileArriving: number
}

export const singleQueueCalls = (
  arrivals: ReadonlyArray<Arrival>,
  budgetPerMinute: number,
  burst: number
): SingleQueueCalls => {
  if (!(budgetPerMinute > 0) || !(burst >= 1)) throw new RangeError("singleQueueCalls: a positive budget and burst ≥ 1")
  const sorted = [...arrivals].sort((a, b) => a.atMs - b.atMs)
  const perMs = budgetPerMinute / 60_000
  const lastArrival = sorted[sorted.length - 1]?.atMs ?? 0
  const seen = new Set<string>()
  /** Ticket → when its oldest pending event arrived, and its newest pending revision. */
  const pending = new Map<string, { readonly since: number; newest: string }>()
  const applied = new Map<string, string>()
  let clock = sorted[0]?.atMs ?? 0
  let tokens = burst
  let next = 0
  let calls = 0
  let whileArriving = 0
  const arriveUntil = (t: number) => {
    for (; next < sorted.length && sorted[next]!.atMs <= t; next++) {
      const { delivery, atMs } = sorted[next]!
      const key = `${delivery.event.source}\u0000${delivery.event.deliveryKey}`
      if (seen.has(key)) continue
      seen.add(key)
      const p = pending.get(delivery.ticket)
      if (p === undefined) pending.set(delivery.ticket, { since: atMs, newest: delivery.event.revision })
      else if (compareRevision(delivery.event.revision, p.newest) > 0) p.newest = delivery.event.revision
    }
  }
  const advanceTo = (t: number) => {
    tokens = Math.min(burst, tokens + (t - clock) * perMs)
    clock = t
  }
  for (;;) {
    arriveUntil(clock)
    if (pending.size === 0) {
      if (next >= sorted.length) break
      advanceTo(sorted[next]!.atMs)
      continue
    }
    if (tokens < 1) {
      advanceTo(clock + (1 - tokens) / perMs)
      tokens = 1
      continue
    }
    let ticket = ""
    let since = Number.POSITIVE_INFINITY
    for (const [k, p] of pending) {
      if (p.since < since) {
        since = p.since
        ticket = k
      }
    }
    const { newest } = pending.get(ticket)!
    pending.delete(ticket)
    const current = applied.get(ticket)
    if (current !== undefined && compareRevision(newest, current) <= 0) continue
    applied.set(ticket, newest)
    tokens -= 1
    calls++
    if (clock <= lastArrival) whileArriving++
  }
  return { calls, whileArriving }
}

/** The yardstick as a clause of a bench row's note (empty without one). */
export const singleQueueNote = (q: SingleQueueCalls | undefined, tickets: number): string =>
  q === undefined
    ? ""
    : ` (one oldest-first queue spending the same budget on the same arrivals: ${q.calls}, ${(q.calls / tickets).toFixed(2)} per ticket, ${q.whileArriving} while the storm arrived)`
