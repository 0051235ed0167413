/**
 * The shared budget's local pause runs on the Effect Clock (as its waits do), so a TestClock steps it: no Redis here,
 * a stand-in that admits every call and accepts every pause, so only the local pause can hold a call back. A token's
 * hand-off deadline is counted from before the script was sent, so a slow answer from Redis uses it up. The callers
 * of one replica ask Redis one at a time.
 */
import { Effect, Exit, Fiber, Option, TestClock, TestContext } from "effect"
import type { Redis } from "ioredis"
import { describe, expect, it } from "vitest"
import { withFreshToken } from "@workbridge/genesys"
import { make } from "./RedisRateBudget.js"

const admitting = {
  evalsha: async (_sha: string, _keys: number, ...args: ReadonlyArray<string>) =>
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
    expect(result.afterPause).toEqual(Option.some(Exit.succeed({ sendBy: Number.POSITIVE_INFINITY })))
  })
})

describe("RedisRateBudget's hand-off deadline", () => {
  it("counts from before the script was sent: a token whose answer took longer than the deadline is dropped", async () => {
    // The first take is answered only when the test says so; the others at once.
    let release: () => void = () => undefined
    let takes = 0
    const slowFirst = {
      evalsha: async (_sha: string, _keys: number, ...args: ReadonlyArray<string>) => {
        if (!args.includes("take")) return args.includes("peek") ? ["1", 0] : 0
        takes++
        if (takes === 1) await new Promise<void>((r) => (release = r))
        return [0, 0]
      }
    } as unknown as Redis
    const budget = make(slowFirst, {
      prefix: "wb-clock-test",
      clientId: "client",
      perMinute: 60,
      burst: 5,
      inFlight: { handoffMs: 100, transitMs: 0 }
    })
    let sent = 0
    let dropped = 0
    const result = await Effect.runPromise(
      Effect.gen(function* () {
        const call = yield* Effect.fork(
          withFreshToken(
            budget,
            Effect.sync(() => sent++),
            () => dropped++
          )
        )
        // Redis answers the first take 101 ms after it was asked (by the TestClock).
        yield* TestClock.adjust(101)
        release()
        yield* Fiber.join(call)
        // A token taken now and handed on at once is fresh.
        const token = yield* budget.acquire
        return { token, now: yield* TestClock.currentTimeMillis }
      }).pipe(Effect.provide(TestContext.TestContext))
    )
    expect({ takes, sent, dropped }).toEqual({ takes: 3, sent: 1, dropped: 1 })
    expect(result.token.sendBy).toBe(result.now + 100)
  })
})

describe("RedisRateBudget's callers on one replica", () => {
  it("ask Redis one at a time: eight callers waiting for a refill make one script call per wait, not eight", async () => {
    // Redis has no token for the first two asks (the next one comes in 1 s), then admits.
    let takes = 0
    const refilling = {
      evalsha: async (_sha: string, _keys: number, ...args: ReadonlyArray<string>) => {
        if (!args.includes("take")) return args.includes("peek") ? ["0", 0] : 0
        takes++
        return takes <= 2 ? [1000, 0] : [0, 0]
      }
    } as unknown as Redis
    const budget = make(refilling, { prefix: "wb-clock-test", clientId: "client", perMinute: 60, burst: 1 })
    const result = await Effect.runPromise(
      Effect.gen(function* () {
        const calls = yield* Effect.forEach(Array.from({ length: 8 }), () => Effect.fork(budget.acquire))
        yield* TestClock.adjust(0)
        const first = takes
        // The wait Redis named, plus the jitter (at most 5 ms).
        yield* TestClock.adjust(1_005)
        const second = takes
        yield* TestClock.adjust(1_005)
        const done = yield* Effect.forEach(calls, Fiber.join)
        return { first, second, done: done.length, all: takes }
      }).pipe(Effect.provide(TestContext.TestContext))
    )
    // One ask, then one more after the wait; then each caller in turn takes its token with one ask.
    expect(result).toEqual({ first: 1, second: 2, done: 8, all: 10 })
  })
})
