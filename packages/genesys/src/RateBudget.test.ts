import { it } from "@effect/vitest"
import { Effect, Fiber, TestClock } from "effect"
import { describe, expect } from "vitest"
import { drawToken, makeMemory, RESERVATION_MAX_AGE_MS, reserve, withReservation } from "./RateBudget.js"

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

  it.effect("a refund hands back one token, never filling the bucket beyond its burst", () =>
    Effect.gen(function* () {
      const budget = yield* makeMemory({ perMinute: 60, burst: 2 })
      yield* budget.acquire
      yield* budget.acquire
      yield* budget.refund
      expect(yield* budget.tokens).toBe(1)
      yield* budget.refund
      yield* budget.refund
      expect(yield* budget.tokens).toBe(2)
    })
  )

  it.effect(
    "a reservation is spent by the first call of its work; a later call draws its own; an unspent one goes back",
    () =>
      Effect.gen(function* () {
        const budget = yield* makeMemory({ perMinute: 60, burst: 3 })
        const reservation = yield* reserve(budget)
        expect(yield* budget.tokens).toBe(2)
        // Two calls: the first spends the reservation, the second takes a token.
        yield* Effect.zipRight(drawToken(budget), drawToken(budget)).pipe(withReservation(budget, reservation))
        expect(reservation.settled).toBe(true)
        expect(yield* budget.tokens).toBe(1)
        // Work that made no call: its token is handed back.
        const unused = yield* reserve(budget)
        expect(yield* budget.tokens).toBe(0)
        yield* Effect.void.pipe(withReservation(budget, unused))
        expect(yield* budget.tokens).toBe(1)
        // Failed or interrupted work hands it back too.
        const failed = yield* reserve(budget)
        yield* Effect.flip(Effect.fail("no").pipe(withReservation(budget, failed)))
        expect(yield* budget.tokens).toBe(1)
      })
  )

  it.effect(
    "a reservation older than its limit when the call comes is handed back and the call draws a fresh token",
    () =>
      Effect.gen(function* () {
        const budget = yield* makeMemory({ perMinute: 60, burst: 1 })
        const reservation = yield* reserve(budget)
        // The call comes later than the limit: one token went back, and the call waits for one taken now.
        const call = yield* Effect.fork(
          Effect.zipRight(Effect.sleep(RESERVATION_MAX_AGE_MS + 1), drawToken(budget)).pipe(
            withReservation(budget, reservation)
          )
        )
        yield* TestClock.adjust(RESERVATION_MAX_AGE_MS + 1)
        yield* Fiber.join(call)
        // 1 s refilled one token, the refund added none beyond the burst of 1, and the call took it.
        expect(yield* budget.tokens).toBeLessThan(0.01)
      })
  )

  it.effect("a reservation taken before a 429's token pause is not spent during it: the call waits the pause out", () =>
    Effect.gen(function* () {
      const budget = yield* makeMemory({ perMinute: 600, burst: 5 })
      const reservation = yield* reserve(budget)
      yield* budget.pause(2)
      expect(yield* budget.tokenPauseLeft).toBe(2_000)
      const call = yield* Effect.fork(drawToken(budget).pipe(withReservation(budget, reservation)))
      yield* TestClock.adjust(1_900)
      expect(call.unsafePoll()).toBeNull()
      yield* TestClock.adjust(200)
      yield* Fiber.join(call)
      expect(yield* budget.tokenPauseLeft).toBe(0)
    })
  )
})
