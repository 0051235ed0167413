import { Duration, Effect, Fiber, Option, TestClock, TestContext } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import {
  call,
  changedKeys,
  checkTarget,
  diffResult,
  isNotFound,
  isTransient,
  retrying,
  stableJson,
  transientRetrySchedule
} from "./sdk.js"

describe("checkTarget", () => {
  const ok = { gatewayUrl: "http://127.0.0.1:9300", clientId: "id", clientSecret: "s3cret-value" }

  it("accepts a gateway or a region", () => {
    expect(checkTarget(ok)).toBe(ok)
    expect(checkTarget({ region: "mypurecloud.ie", clientId: "id", clientSecret: "x" }).region).toBe("mypurecloud.ie")
  })

  it.each([
    [undefined, "connection: missing"],
    [{ ...ok, clientId: " " }, "connection.clientId: missing or empty"],
    [{ ...ok, clientSecret: "" }, "connection.clientSecret: missing or empty"],
    [{ clientId: "id", clientSecret: "x" }, "connection: set region or gatewayUrl"],
    [{ ...ok, gatewayUrl: "not a url" }, "connection.gatewayUrl: not a URL"],
    [{ ...ok, gatewayUrl: "ftp://h:1" }, "connection.gatewayUrl: protocol must be http or https"]
  ])("names the bad field (%#)", (target, message) => {
    let err: Error | undefined
    try {
      checkTarget(target as never)
    } catch (e) {
      err = e as Error
    }
    expect(err?.message).toContain(message)
    expect(err?.message).not.toContain("s3cret-value")
  })
})

describe("call", () => {
  it("unwraps an extended response", async () => {
    expect(await call("op", async () => ({ status: 200, body: { id: "a" }, headers: {} }))).toEqual({ id: "a" })
  })

  it("turns an extended rejection into an error naming the operation, the status and Genesys's message", async () => {
    const rejection = {
      status: 409,
      body: { code: "conflict", message: "version mismatch" },
      error: { config: { headers: { Authorization: "Bearer tok-SECRET" } } }
    }
    const err = (await call("putThing", () => Promise.reject(rejection)).catch((e: unknown) => e)) as Error & {
      status: number
    }
    expect(err.message).toBe("putThing failed: HTTP 409 conflict version mismatch")
    expect(err.status).toBe(409)
    expect(JSON.stringify({ ...err, message: err.message })).not.toContain("tok-SECRET")
  })

  it("reports a network error by its code", async () => {
    const err = (await call("getThing", () => Promise.reject({ code: "ECONNREFUSED" })).catch(
      (e: unknown) => e
    )) as Error
    expect(err.message).toBe("getThing failed: ECONNREFUSED")
    expect(isNotFound(err)).toBe(false)
  })

  it("recognises a 404", async () => {
    const err = await call("getThing", () => Promise.reject({ status: 404, body: { message: "gone" } })).catch(
      (e: unknown) => e
    )
    expect(isNotFound(err)).toBe(true)
  })
})

describe("stableJson and changedKeys", () => {
  it("ignores key order and undefined members", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (obj) => {
        const reversed = Object.fromEntries(Object.entries(obj).reverse())
        expect(stableJson(reversed)).toBe(stableJson(obj))
        expect(stableJson({ ...obj, ["\u0000missing"]: undefined })).toBe(stableJson(obj))
      })
    )
  })

  it("reports exactly the keys that differ, connection always included", () => {
    const base = { connection: { clientId: "a" }, name: "n", tags: ["x"] }
    expect(changedKeys(base, { ...base }, ["name", "tags"])).toEqual([])
    expect(changedKeys(base, { ...base, tags: ["y"] }, ["name", "tags"])).toEqual(["tags"])
    expect(changedKeys(base, { ...base, connection: { clientId: "b" } }, ["name"])).toEqual(["connection"])
    expect(diffResult(["name", "schemaId"], ["schemaId"], true)).toEqual({
      changes: true,
      replaces: ["schemaId"],
      deleteBeforeReplace: true,
      stables: []
    })
  })
})

describe("the transient-answer retry policy", () => {
  const failure = (status: number, genesysMessage = "", retryAfterSeconds?: number) =>
    Object.assign(new Error(`op failed: HTTP ${status}`), {
      status,
      operation: "op",
      genesysMessage,
      ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds })
    })

  it("classifies exactly CX as Code's transient answers, per kind", () => {
    const cancelled = failure(400, "Database transaction was cancelled")
    const stale = failure(400, "The version 3 does not match the current version 4")
    expect(isTransient(failure(429), [])).toBe(true)
    expect(isTransient(cancelled, ["statusConcurrency"])).toBe(true)
    expect(isTransient(failure(409), ["statusConcurrency"])).toBe(true)
    expect(isTransient(cancelled, ["versionConflict"])).toBe(false)
    expect(isTransient(stale, ["versionConflict"])).toBe(true)
    expect(isTransient(failure(408), ["versionConflict"])).toBe(true)
    expect(isTransient(failure(408), ["statusConcurrency"])).toBe(false)
    expect(isTransient(stale, ["statusConcurrency"])).toBe(false)
    expect(isTransient(failure(409), [])).toBe(false)
    expect(isTransient(failure(400, "name is required"), ["statusConcurrency", "versionConflict"])).toBe(false)
    expect(isTransient(failure(500), ["statusConcurrency", "versionConflict"])).toBe(false)
  })

  it("retries a transient answer until it passes, and gives up on anything else at once", async () => {
    let attempts = 0
    const result = await retrying(
      ["statusConcurrency"],
      async () => {
        attempts++
        if (attempts < 3) throw failure(400, "Database transaction was cancelled")
        return "done"
      },
      { baseMs: 0, capMs: 1 }
    )
    expect([result, attempts]).toEqual(["done", 3])

    attempts = 0
    const err = await retrying(
      ["statusConcurrency"],
      async () => {
        attempts++
        throw failure(400, "name is required")
      },
      { baseMs: 0, capMs: 1 }
    ).catch((e: unknown) => e)
    expect(attempts).toBe(1)
    expect(err).toMatchObject({ status: 400, operation: "op" })
  })

  it("stops after maxRetries and hands back the last failure", async () => {
    let attempts = 0
    const err = await retrying(
      ["versionConflict"],
      async () => {
        attempts++
        throw failure(409)
      },
      { baseMs: 0, capMs: 1, maxRetries: 4 }
    ).catch((e: unknown) => e)
    expect(attempts).toBe(5)
    expect(err).toMatchObject({ status: 409, operation: "op" })
  })

  it("waits at least a 429's Retry-After (on the test clock)", async () => {
    let attempts = 0
    const step = Effect.suspend(() => {
      attempts++
      return attempts === 1 ? Effect.fail(failure(429, "", 7)) : Effect.succeed("ok")
    })
    const program = Effect.gen(function* () {
      const fiber = yield* Effect.fork(Effect.retry(step, transientRetrySchedule([], { baseMs: 100, capMs: 1000 })))
      yield* TestClock.adjust(Duration.millis(6_999))
      const early = yield* Fiber.poll(fiber)
      yield* TestClock.adjust(Duration.millis(1))
      const late = yield* Fiber.join(fiber)
      return { early: Option.isSome(early), late, attempts }
    })
    expect(await Effect.runPromise(program.pipe(Effect.provide(TestContext.TestContext)))).toEqual({
      early: false,
      late: "ok",
      attempts: 2
    })
  })
})
