import { it } from "@effect/vitest"
import { Clock, Effect, Fiber, TestClock } from "effect"
import { describe, expect } from "vitest"
import { bucketExcess, maxInWindow } from "@workbridge/genesys-emulator"
import {
  type RateBudgetService,
  type TokenBucketOptions,
  arrivalBucket,
  makeMemory,
  withFreshToken
} from "./RateBudget.js"

describe("in-process token bucket", () => {
  it.effect("allows a burst, then refills at the configured rate", () =>
    Effect.gen(function* () {
      const budget = yield* makeMemory({ perMinute: 60, burst: 2 })
      yield* budget.acquire
      yield* budget.acquire
      const third = yield* Effect.fork(budget.acquire)
      yield* TestClock.adjust(500)
      expect(third.unsafePoll()).toBeNull()
      yield* TestClock.adjust(600)
      yield* Fiber.join(third)
      expect(yield* budget.tokens).toBeLessThan(1)
    })
  )

  it.effect("a pause holds every caller until it ends, even with tokens left", () =>
    Effect.gen(function* () {
      const budget = yield* makeMemory({ perMinute: 600, burst: 10 })
      yield* budget.pause(5)
      const a = yield* Effect.fork(budget.acquire)
      const b = yield* Effect.fork(budget.acquire)
      yield* TestClock.adjust(4_900)
      expect(a.unsafePoll()).toBeNull()
      expect(b.unsafePoll()).toBeNull()
      yield* TestClock.adjust(200)
      yield* Fiber.join(a)
      yield* Fiber.join(b)
      // A shorter pause never shortens a longer one.
      yield* budget.pause(10)
      yield* budget.pause(1)
      const until = yield* budget.pausedUntil
      expect(until).toBe(5_100 + 10_000)
    })
  )

  it.effect("never hands out more than burst + rate × time", () =>
    Effect.gen(function* () {
      const budget = yield* makeMemory({ perMinute: 120, burst: 3 })
      let taken = 0
      const fiber = yield* Effect.fork(
        Effect.forever(
          Effect.zipRight(
            budget.acquire,
            Effect.sync(() => taken++)
          )
        )
      )
      yield* TestClock.adjust(10_000)
      yield* Fiber.interrupt(fiber)
      expect(taken).toBe(3 + 20)
    })
  )

  it.effect("a scoped pause holds back only its scope: token admission and other scopes go on", () =>
    Effect.gen(function* () {
      const budget = yield* makeMemory({ perMinute: 600, burst: 10 })
      const hot = { kind: "workitem", workitemId: "w-1" } as const
      yield* budget.pause(30, hot)
      yield* budget.pause(3600, { kind: "creates" })
      // Token admission is untouched: nothing waits.
      const a = yield* Effect.fork(budget.acquire)
      yield* TestClock.adjust(1)
      expect(a.unsafePoll()).not.toBeNull()
      expect(yield* budget.pausedUntil).toBe(0)
      expect(yield* budget.pausedUntilFor([hot])).toBe(30_000)
      expect(yield* budget.pausedUntilFor([{ kind: "updates" }, { kind: "workitem", workitemId: "w-2" }])).toBe(0)
      expect(yield* budget.pausedUntilFor([{ kind: "updates" }, hot])).toBe(30_000)
      expect(yield* budget.pausedUntilFor([{ kind: "creates" }])).toBe(3_600_000)
      // A shorter pause never shortens a longer one of the same scope.
      yield* budget.pause(5, hot)
      expect(yield* budget.pausedUntilFor([hot])).toBe(30_000)
    })
  )
})

describe("arrivalBucket", () => {
  it("without an allowance runs the burst and the rate as given", () => {
    expect(arrivalBucket({ perMinute: 300, burst: 5 })).toEqual({
      capacity: 5,
      perMinute: 300,
      inFlightMs: 0,
      handoffMs: Number.POSITIVE_INFINITY
    })
  })

  it("takes the in-flight margin ⌈rate × δ⌉ out of the burst when it can spare it keeping half, the rate unchanged", () => {
    // 300/min is 5/s: δ = 500 ms → 3 tokens (2.5, rounded up) in flight, out of 6.
    expect(arrivalBucket({ perMinute: 300, burst: 6, inFlight: { handoffMs: 200, transitMs: 300 } })).toEqual({
      capacity: 3,
      perMinute: 300,
      inFlightMs: 500,
      handoffMs: 200
    })
    // 1200/min, δ = 700 ms: 14 in flight out of 30.
    expect(arrivalBucket({ perMinute: 1200, burst: 30, inFlight: { handoffMs: 300, transitMs: 400 } }).capacity).toBe(
      16
    )
  })

  it("keeps half the burst and lowers the rate when the burst cannot spare the margin: capacity + rate′ × (60 s + δ) = burst + budget", () => {
    // 1200/min, δ = 1 s: 20 tokens in flight, more than half of 10.
    const b = arrivalBucket({ perMinute: 1200, burst: 10, inFlight: { handoffMs: 250, transitMs: 750 } })
    expect(b.capacity).toBe(5)
    expect(b.inFlightMs).toBe(1000)
    expect(b.perMinute).toBeLessThan(1200)
    expect(b.perMinute).toBeCloseTo((1205 * 60) / 61, 5)
    expect(5 + (b.perMinute / 60_000) * 61_000).toBeLessThanOrEqual(1210)
    // The service's defaults (δ = 2 s): 300/min, burst 5 → 3 tokens and 292/min; a burst of 1 stays 1.
    const defaults = { handoffMs: 250, transitMs: 1750 }
    const d = arrivalBucket({ perMinute: 300, burst: 5, inFlight: defaults })
    expect([d.capacity, Math.floor(d.perMinute)]).toEqual([3, 292])
    expect(arrivalBucket({ perMinute: 60, burst: 1, inFlight: defaults }).capacity).toBe(1)
  })

  it("refuses a hand-off deadline of 0 (no token could ever be used) and a negative transit", () => {
    expect(() => arrivalBucket({ perMinute: 60, burst: 1, inFlight: { handoffMs: 0, transitMs: 0 } })).toThrow(
      RangeError
    )
    expect(() => arrivalBucket({ perMinute: 60, burst: 1, inFlight: { handoffMs: 10, transitMs: -1 } })).toThrow(
      RangeError
    )
  })
})

/**
 * Calls counted where Genesys counts them, on arrival, with an adversary choosing each call's way there within the
 * allowance: a call admitted less than δ before a gate is held until the gate (up to `handoffMs` before the hand-off,
 * the rest in transit), so everything admitted in the δ before a gate arrives at the gate at once; every `stallEvery`-th
 * token is held past its hand-off deadline (a stalled process). The takers rest during `idle` (the bucket refills).
 */
const arrivals = (
  options: TokenBucketOptions,
  plan: {
    readonly takers: number
    readonly durationMs: number
    readonly gates: (admittedAt: number) => number | undefined
    readonly idle: ReadonlyArray<readonly [number, number]>
    readonly stallEvery: number
    /** The allowance the adversary uses (the bucket's own, or the same for a bucket without one). */
    readonly handoffMs: number
    readonly transitMs: number
  }
) =>
  Effect.gen(function* () {
    const budget = yield* makeMemory(options)
    // Times from here on (the plan's and the arrivals'), so two runs in one test use the same plan.
    const t0 = yield* Clock.currentTimeMillis
    const clock = Effect.map(Clock.currentTimeMillis, (t) => t - t0)
    const arrived: Array<number> = []
    let dropped = 0
    let taken = 0
    const taker = Effect.gen(function* () {
      for (;;) {
        const now = yield* clock
        const rest = plan.idle.find(([from, to]) => now >= from && now < to)
        if (rest !== undefined) {
          yield* Effect.sleep(rest[1] - now)
          continue
        }
        let transit = 0
        const held: RateBudgetService = {
          ...budget,
          acquire: Effect.tap(budget.acquire, () =>
            Effect.gen(function* () {
              const at = yield* clock
              taken++
              if (taken % plan.stallEvery === 0) {
                transit = 0
                yield* Effect.sleep(plan.handoffMs + 1)
                return
              }
              const gate = plan.gates(at)
              const delay = gate === undefined ? 0 : gate - at
              const hold = Math.min(delay, plan.handoffMs)
              transit = Math.min(delay - hold, plan.transitMs)
              if (hold > 0) yield* Effect.sleep(hold)
            })
          )
        }
        const send = Effect.suspend(() =>
          Effect.zipRight(
            transit > 0 ? Effect.sleep(transit) : Effect.void,
            Effect.flatMap(clock, (t) => Effect.sync(() => arrived.push(t)))
          )
        )
        yield* withFreshToken(held, send, () => dropped++)
      }
    })
    const fibers = yield* Effect.forEach(Array.from({ length: plan.takers }), () => Effect.fork(taker))
    yield* TestClock.adjust(plan.durationMs)
    yield* Effect.forEach(fibers, Fiber.interrupt)
    return { arrived: arrived.sort((a, b) => a - b), dropped }
  })

describe("the budget counted on arrival (in-process bucket, TestClock)", () => {
  // 120/min (2/s), burst 8; δ = 2 s: 4 tokens in flight, so the bucket holds 4.
  const allowance = { handoffMs: 1000, transitMs: 1000 }
  // Gates every δ: all that was admitted in the 2 s before one arrives at it at once.
  const everyDelta = (at: number) => (Math.floor(at / 2000) + 1) * 2000
  const plan = {
    takers: 16,
    durationMs: 16_000,
    gates: everyDelta,
    // The bucket starts full; a rest of 6 s (longer than the 4 s it takes to refill) fills it again. Both bursts come
    // on a gate, and go out with the next.
    idle: [[6000, 12_000] as const],
    stallEvery: 7,
    ...allowance
  }

  it.effect(
    "with the allowance, no span of arrivals holds more than burst + rate × span; stalled tokens are dropped",
    () =>
      Effect.gen(function* () {
        const { arrived, dropped } = yield* arrivals({ perMinute: 120, burst: 8, inFlight: allowance }, plan)
        const worst = bucketExcess(arrived, 120 / 60_000, 8)
        expect(worst.excess, `${worst.count} arrivals within ${worst.spanMs} ms`).toBeLessThanOrEqual(1e-9)
        expect(dropped).toBeGreaterThan(0)
        // The budget was what limited the takers: it was spent while they worked.
        expect(arrived.length).toBeGreaterThan(20)
      })
  )

  it.effect(
    "without it (the bucket of burst 8 counted when tokens are taken), the same adversary exceeds the bound",
    () =>
      Effect.gen(function* () {
        const { arrived, dropped } = yield* arrivals({ perMinute: 120, burst: 8 }, plan)
        expect(dropped).toBe(0)
        expect(bucketExcess(arrived, 120 / 60_000, 8).excess).toBeGreaterThan(1e-9)
      })
  )

  it.effect("a burst too small for the margin: at most budget + burst in every 60 s of arrivals", () =>
    Effect.gen(function* () {
      // 120/min, burst 4, δ = 2 s: 4 tokens in flight, more than half the burst, so the bucket keeps 2 tokens and refills
      // at 122/62 a second.
      const inFlight = { handoffMs: 1000, transitMs: 1000 }
      // The full bucket is taken at 0.5 s; what was admitted before 2 s arrives at 2 s, the rest at once.
      const longPlan = {
        takers: 8,
        durationMs: 62_000,
        gates: (at: number) => (at < 2000 ? 2000 : undefined),
        idle: [[0, 500] as const],
        stallEvery: 50,
        ...inFlight
      }
      const strict = yield* arrivals({ perMinute: 120, burst: 4, inFlight }, longPlan)
      expect(maxInWindow(strict.arrived, 60_000)).toBeLessThanOrEqual(120 + 4)
      const loose = yield* arrivals({ perMinute: 120, burst: 4 }, longPlan)
      expect(maxInWindow(loose.arrived, 60_000)).toBeGreaterThan(120 + 4)
    })
  )
})
