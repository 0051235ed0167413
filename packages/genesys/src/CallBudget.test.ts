/**
 * The call wrapper's use of the budget against the emulator: a token whose hand-off deadline passed before the call
 * could be sent is dropped (told to the telemetry) and the call goes out on a new token, once.
 */
import { type Emulator, startEmulator } from "@workbridge/genesys-emulator"
import { Effect, Either, Layer } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Genesys, layer as genesysLayer } from "./Genesys.js"
import { type BudgetToken, RateBudget, makeMemory } from "./RateBudget.js"
import { GenesysTelemetry, noTelemetry } from "./Telemetry.js"

let emulator: Emulator
beforeAll(async () => {
  emulator = await startEmulator({ port: 0, rateLimitPerMinute: 100_000 })
})
afterAll(async () => {
  await emulator?.close()
})

describe("the call wrapper and the budget's hand-off deadline", () => {
  it("drops a token that is already past its deadline and sends the call once, on a fresh token", async () => {
    const handed: Array<BudgetToken> = []
    let dropped = 0
    // The first token comes back too late (a stalled process); the next ones are the bucket's own.
    const budget = Layer.effect(
      RateBudget,
      Effect.map(makeMemory({ perMinute: 6000, burst: 20, inFlight: { handoffMs: 500, transitMs: 500 } }), (b) => ({
        ...b,
        acquire: Effect.map(b.acquire, (token) => {
          const t = handed.length === 0 ? { sendBy: Number.NEGATIVE_INFINITY } : token
          handed.push(t)
          return t
        })
      }))
    )
    const telemetry = Layer.succeed(GenesysTelemetry, { ...noTelemetry, tokenDropped: () => void dropped++ })
    const client = genesysLayer({
      gatewayUrl: emulator.url,
      clientId: emulator.adminClientId,
      clientSecret: emulator.adminClientSecret,
      timeoutMs: 2000,
      maxInFlight: 2,
      retryBaseMs: 10,
      retryMaxMs: 20,
      retryAttempts: 0
    }).pipe(Layer.provide(Layer.mergeAll(budget, telemetry)))
    emulator.clearRequests()
    const r = await Effect.runPromise(
      Effect.either(Effect.flatMap(Genesys, (g) => g.getWorktype("wt-unknown"))).pipe(Effect.provide(client))
    )
    // The worktype does not exist: the answer is a 404, which is beside the point; the call was sent once.
    expect(Either.isLeft(r)).toBe(true)
    const sent = emulator.requests().filter((x) => x.path.includes("/worktypes/"))
    expect(sent).toHaveLength(1)
    expect(handed).toHaveLength(2)
    expect(handed[1]!.sendBy).toBeGreaterThan(0)
    expect(dropped).toBe(1)
  })
})
