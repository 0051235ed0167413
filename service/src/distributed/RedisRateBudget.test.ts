/**
 * The shared budget's local pause runs on the Effect Clock (as its waits do), so a TestClock steps it: no Redis here,
 * a stand-in that admits every call and accepts every pause, so only the local pause can hold a call back.
 */
import { Effect, Exit, Fiber, Option, TestClock, TestContext } from "effect"
import type { Redis } from "ioredis"
import { describe, expect, it } from "vitest"
import { make } from "./RedisRateBudget.js"

const admitting = {
  eval: async (_script: string, _keys: number, ...args: ReadonlyArray<string>) =>
    args.includes("take") ? [0, 0] : args.includes("peek") ? ["1", 0] : 0
} as unknown as Redis

describe("RedisRateBudget on the Effect Clock", () => {
  it("holds a call for exactly the pause of a 429, measured by the TestClock", async () => {
    const budget = make(admitting, { prefix: "wb-clock-test", clientId: "client", perMinute: 60, burst: 1 })
    const result = await Effect.runPromise(
      Effect.gen(function* () {
        yield* budget.pause(30)
        const call = yield* Effect.fork(budget.acquire)
        yield* TestClock.adjust(29_999)
        const early = yield* Fiber.poll(call)
        yield* TestClock.adjust(1)
        yield* Effect.yieldNow()
        const afterPause = yield* Fiber.poll(call)
        yield* Fiber.interrupt(call)
        return { early, afterPause }
      }).pipe(Effect.provide(TestContext.TestContext))
    )
    expect(Option.isNone(result.early)).toBe(true)
    expect(result.afterPause).toEqual(Option.some(Exit.void))
  })
})
