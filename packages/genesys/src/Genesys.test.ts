import { Clock, Effect, Fiber, TestClock, TestContext } from "effect"
import { describe, expect, it } from "vitest"
import { rateLimitScope, retrySchedule, toGenesysError } from "./Genesys.js"

describe("toGenesysError", () => {
  it.each([
    [400, "BadRequest", false],
    // A 401 that reaches the caller persisted after the re-login: a credential outage, retried (never dead-lettered).
    [401, "Unauthorized", true],
    [403, "Forbidden", false],
    [404, "NotFound", false],
    [409, "Conflict", false],
    [429, "RateLimited", true],
    [500, "ServerError", true],
    [503, "ServerError", true]
  ])("maps an extended-response rejection with status %i to %s", (status, reason, transient) => {
    const e = toGenesysError("createWorkitem", {
      status,
      headers: { "retry-after": "7" },
      body: { message: "nope", code: "x" },
      error: {}
    })
    expect(e.reason).toBe(reason)
    expect(e.status).toBe(status)
    expect(e.transient).toBe(transient)
    expect(e.retryAfterSeconds).toBe(7)
    expect(e.message).toContain("nope")
  })

  it("maps axios timeouts and connection failures, and login errors with a response", () => {
    expect(toGenesysError("getWorkitem", { code: "ECONNABORTED", message: "timeout of 1000ms exceeded" }).reason).toBe(
      "Timeout"
    )
    expect(toGenesysError("getWorkitem", { code: "ECONNREFUSED", message: "connect ECONNREFUSED" }).reason).toBe(
      "Network"
    )
    const login = toGenesysError("login", { response: { status: 401, data: { error: "invalid_client" }, headers: {} } })
    expect(login.reason).toBe("Unauthorized")
    expect(login.body).toEqual({ error: "invalid_client" })
    expect(login.transient).toBe(true)
    // Any failed login is a credential failure (transient), whatever its status; the same status on an API call is not.
    const loginBad = toGenesysError("login", {
      response: { status: 400, data: { error: "invalid_grant" }, headers: {} }
    })
    expect(loginBad.credential).toBe(true)
    expect(loginBad.transient).toBe(true)
    expect(toGenesysError("createWorkitem", { status: 400, headers: {}, body: {} }).transient).toBe(false)
  })
})

describe("rateLimitScope: what a 429 limited", () => {
  const limited = (operation: string, retryAfter: string, body: unknown) =>
    toGenesysError(operation, { status: 429, headers: { "retry-after": retryAfter }, body, error: {} })
  const normalized = (s: number) => ({
    message: `Rate limit exceeded the maximum. Retry the request in [${s}] seconds`,
    code: "too.many.requests.retry.after",
    status: 429,
    details: [],
    errors: []
  })
  const tm = (key: string, message: string) => ({
    message,
    code: "too.many.requests",
    status: 429,
    limit: { key, namespace: "task.management", value: 3 }
  })

  it.each([
    [
      "the emulator's per-workitem body",
      "updateWorkitem",
      "45",
      tm("workitem.updates.per.minute", "Workitem w-1 was updated 3 times in the last minute"),
      { kind: "workitem", workitemId: "w-1" }
    ],
    [
      "the emulator's daily-create body",
      "createWorkitem",
      "3600",
      tm("workitem.creates.per.day", "The daily limit of 3 workitem creations has been reached"),
      { kind: "creates" }
    ],
    [
      "the emulator's daily-update body",
      "updateWorkitem",
      "3600",
      tm("workitem.updates.per.day", "The daily limit of 3 workitem updates has been reached"),
      { kind: "updates" }
    ],
    [
      "a per-workitem message without limit",
      "updateWorkitem",
      "20",
      { message: "Workitem w-1 was updated 60 times in the last minute" },
      { kind: "workitem", workitemId: "w-1" }
    ],
    [
      "a normalized body on a create with a Retry-After over a minute",
      "createWorkitem",
      "7200",
      normalized(7200),
      { kind: "creates" }
    ],
    [
      "a normalized body on an update with a Retry-After over a minute",
      "updateWorkitem",
      "7200",
      normalized(7200),
      { kind: "updates" }
    ],
    [
      "a normalized body on an update within a minute (token or workitem: the safe reading)",
      "updateWorkitem",
      "30",
      normalized(30),
      { kind: "token" }
    ],
    ["a normalized body on a query", "queryWorkitems", "30", normalized(30), { kind: "token" }],
    ["a long Retry-After on a read (not a daily limit)", "getWorkitem", "7200", normalized(7200), { kind: "token" }],
    [
      "the token limit key",
      "updateWorkitem",
      "30",
      { limit: { key: "client.credentials.token.rate.per.minute", namespace: "platform.api", value: 300 } },
      { kind: "token" }
    ]
  ])("reads %s", (_what, operation, retryAfter, body, scope) => {
    expect(rateLimitScope(limited(operation, retryAfter, body), "w-1")).toEqual(scope)
  })
})

describe("retrySchedule", () => {
  it("grows exponentially, caps every delay, jitters below the cap and stops after the configured attempts", async () => {
    // Count the retries of an always-failing call under the test clock, and read the delays between them.
    const delays = await Effect.runPromise(
      Effect.gen(function* () {
        const at: Array<number> = []
        const fiber = yield* Effect.fork(
          Effect.retry(
            Effect.flatMap(Clock.currentTimeMillis, (now) => {
              at.push(now)
              return Effect.fail("boom")
            }),
            { schedule: retrySchedule({ baseMs: 100, maxMs: 1000, attempts: 8 }) }
          )
        )
        yield* TestClock.adjust(60_000)
        yield* Fiber.await(fiber)
        return at.slice(1).map((t, i) => t - at[i]!)
      }).pipe(Effect.provide(TestContext.TestContext))
    )
    expect(delays).toHaveLength(8)
    const nominal = [100, 200, 400, 800, 1000, 1000, 1000, 1000]
    delays.forEach((d, i) => {
      expect(d).toBeLessThanOrEqual(nominal[i]!)
      expect(d).toBeGreaterThanOrEqual(nominal[i]! / 2)
    })
    expect(new Set(delays).size).toBeGreaterThan(1)
  })
})
