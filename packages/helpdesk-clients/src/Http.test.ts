import { HttpClient, HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Layer, TestClock } from "effect"
import { callJson, DEFAULT_CALL_TIMEOUT_MS, HelpdeskError, RateLimited, retryAfterMs } from "./Http.js"

/** An HttpClient that answers from a script and counts the calls. */
const scripted = (answers: Array<() => Response>) => {
  const calls = { n: 0 }
  const layer = Layer.succeed(
    HttpClient.HttpClient,
    HttpClient.make((request) =>
      Effect.sync(() => HttpClientResponse.fromWeb(request, answers[Math.min(calls.n++, answers.length - 1)]!()))
    )
  )
  return { calls, layer }
}

const tooMany = (headers: Record<string, string>) => () => new Response("{}", { status: 429, headers })
const ok = () =>
  new Response(JSON.stringify({ ok: true }), { status: 200, headers: { "content-type": "application/json" } })
const request = HttpClientRequest.get("https://helpdesk.example/api/things")

describe("callJson: rate-limit answers are retried after their Retry-After", () => {
  it.effect("waits exactly the Retry-After seconds before the second call", () =>
    Effect.gen(function* () {
      const { calls, layer } = scripted([tooMany({ "retry-after": "30" }), ok])
      const fiber = yield* Effect.fork(
        callJson(request, { source: "zendesk", operation: "GET /things" }).pipe(Effect.provide(layer))
      )
      yield* TestClock.adjust("29999 millis")
      expect(calls.n).toBe(1)
      expect(fiber.unsafePoll()).toBeNull()
      yield* TestClock.adjust("1 millis")
      const res = yield* Fiber.join(fiber)
      expect(calls.n).toBe(2)
      expect(res.body).toEqual({ ok: true })
    })
  )

  it.effect("gives up after maxRetries with the RateLimited error", () =>
    Effect.gen(function* () {
      const { calls, layer } = scripted([tooMany({ "retry-after": "1" })])
      const fiber = yield* Effect.fork(
        callJson(request, { source: "jira", operation: "GET /things", policy: { maxRetries: 2 } }).pipe(
          Effect.provide(layer),
          Effect.exit
        )
      )
      yield* TestClock.adjust("10 seconds")
      const exit = yield* Fiber.join(fiber)
      expect(calls.n).toBe(3)
      expect(Exit.isFailure(exit) && exit.cause._tag === "Fail" && exit.cause.error).toBeInstanceOf(RateLimited)
    })
  )

  it.effect("does not retry other failures, and names the operation and status", () =>
    Effect.gen(function* () {
      const { calls, layer } = scripted([() => new Response('{"error":"Couldn\'t authenticate you"}', { status: 401 })])
      const error = yield* Effect.flip(
        callJson(request, { source: "zendesk", operation: "GET /things" }).pipe(Effect.provide(layer))
      )
      expect(calls.n).toBe(1)
      expect(error).toBeInstanceOf(HelpdeskError)
      expect(error.message).toBe('zendesk: GET /things: 401 {"error":"Couldn\'t authenticate you"}')
    })
  )
})

describe("callJson: an attempt with no answer fails unanswered after its time", () => {
  it.effect("by default after 30 s, without a status, and its request is abandoned", () =>
    Effect.gen(function* () {
      const seen = { sent: 0, abandoned: 0 }
      const layer = Layer.succeed(
        HttpClient.HttpClient,
        HttpClient.make(() =>
          Effect.suspend(() => {
            seen.sent++
            return Effect.never
          }).pipe(Effect.onInterrupt(() => Effect.sync(() => seen.abandoned++)))
        )
      )
      const fiber = yield* Effect.fork(
        callJson(request, { source: "zendesk", operation: "GET /things" }).pipe(Effect.provide(layer), Effect.flip)
      )
      yield* TestClock.adjust(`${DEFAULT_CALL_TIMEOUT_MS - 1} millis`)
      expect(fiber.unsafePoll()).toBeNull()
      yield* TestClock.adjust("1 millis")
      const error = yield* Fiber.join(fiber)
      expect(error).toBeInstanceOf(HelpdeskError)
      expect(error.message).toBe("zendesk: GET /things: no answer within 30000 ms")
      expect((error as HelpdeskError).status).toBeUndefined()
      expect(seen).toEqual({ sent: 1, abandoned: 1 })
    })
  )

  it.effect("after the configured time; the retry after a rate limit has a time of its own", () =>
    Effect.gen(function* () {
      // The first attempt is answered 429 (Retry-After: 2); the retry is never answered.
      const seen = { sent: 0, abandoned: 0 }
      const layer = Layer.succeed(
        HttpClient.HttpClient,
        HttpClient.make((req) =>
          Effect.suspend(() =>
            seen.sent++ === 0
              ? Effect.succeed(HttpClientResponse.fromWeb(req, tooMany({ "retry-after": "2" })()))
              : Effect.never.pipe(Effect.onInterrupt(() => Effect.sync(() => seen.abandoned++)))
          )
        )
      )
      const fiber = yield* Effect.fork(
        callJson(request, { source: "jira", operation: "GET /things", timeoutMs: 5000 }).pipe(
          Effect.provide(layer),
          Effect.flip
        )
      )
      // 2 s of Retry-After, then the retry's own 5 s.
      yield* TestClock.adjust("6999 millis")
      expect(fiber.unsafePoll()).toBeNull()
      expect(seen).toEqual({ sent: 2, abandoned: 0 })
      yield* TestClock.adjust("1 millis")
      const error = yield* Fiber.join(fiber)
      expect(error.message).toBe("jira: GET /things: no answer within 5000 ms")
      expect(seen).toEqual({ sent: 2, abandoned: 1 })
    })
  )
})

describe("retryAfterMs", () => {
  it("reads seconds, an HTTP date, then the reset time, then the fallback", () => {
    const now = Date.UTC(2026, 0, 1, 0, 0, 0)
    expect(retryAfterMs({ "retry-after": "7" }, now, 60_000)).toBe(7000)
    expect(retryAfterMs({ "retry-after": "Thu, 01 Jan 2026 00:00:05 GMT" }, now, 60_000)).toBe(5000)
    expect(retryAfterMs({}, now, 60_000, now + 2500)).toBe(2500)
    expect(retryAfterMs({}, now, 60_000)).toBe(60_000)
  })
})
