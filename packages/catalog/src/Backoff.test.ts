import { Clock, Effect, Fiber, TestClock, TestContext } from "effect"
import { describe, expect, it } from "vitest"
import { backoff, backoffDelayMs } from "./Backoff.js"

/** The delays between the attempts of an always-failing effect retried with `schedule`, under the test clock. */
const delaysOf = (options: Parameters<typeof backoff>[0]) =>
  Effect.runPromise(
    Effect.gen(function* () {
      const at: Array<number> = []
      const fiber = yield* Effect.fork(
        Effect.retry(
          Effect.flatMap(Clock.currentTimeMillis, (now) => {
            at.push(now)
            return Effect.fail("boom")
          }),
          backoff(options)
        )
      )
      yield* TestClock.adjust(3_600_000)
      yield* Fiber.await(fiber)
      return at.slice(1).map((t, i) => t - at[i]!)
    }).pipe(Effect.provide(TestContext.TestContext))
  )

describe("backoff", () => {
  it("doubles from the base, caps each delay and stops after the attempts (without jitter: exactly)", async () => {
    expect(await delaysOf({ baseMs: 100, maxMs: 1000, attempts: 7, jitter: false })).toEqual([
      100, 200, 400, 800, 1000, 1000, 1000
    ])
  })

  it("jitters each delay within the given share of its nominal value", async () => {
    const delays = await delaysOf({ baseMs: 100, maxMs: 1000, attempts: 8, jitter: { min: 0.8, max: 1.2 } })
    const nominal = [100, 200, 400, 800, 1000, 1000, 1000, 1000]
    expect(delays).toHaveLength(8)
    delays.forEach((d, i) => {
      expect(d).toBeGreaterThanOrEqual(nominal[i]! * 0.8)
      expect(d).toBeLessThanOrEqual(nominal[i]! * 1.2)
    })
  })

  it("gives callback code the n-th delay of the same schedule", () => {
    expect([0, 1, 2, 3, 4, 10].map((n) => backoffDelayMs({ baseMs: 100, maxMs: 1000, jitter: false }, n))).toEqual([
      100, 200, 400, 800, 1000, 1000
    ])
    for (let n = 0; n < 20; n++) {
      const d = backoffDelayMs({ baseMs: 200, maxMs: 5000 }, n)
      expect(d).toBeGreaterThanOrEqual(Math.min(5000, 200 * 2 ** n) / 2)
      expect(d).toBeLessThanOrEqual(Math.min(5000, 200 * 2 ** n))
    }
  })
})
