import { it } from "@effect/vitest"
import { Effect, Fiber, TestClock } from "effect"
import { describe, expect } from "vitest"
import { makeMemory } from "./RateBudget.js"

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
