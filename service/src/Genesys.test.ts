import { describe, expect, it } from "vitest"
import { toGenesysError } from "./Genesys.js"

describe("toGenesysError", () => {
  it.each([
    [400, "BadRequest", false],
    [401, "Unauthorized", false],
    [403, "Forbidden", false],
    [404, "NotFound", false],
    [409, "Conflict", false],
    [429, "RateLimited", true],
    [500, "ServerError", true],
    [503, "ServerError", true]
  ])("maps an extended-response rejection with status %i to %s", (status, reason, transient) => {
    const e = toGenesysError("createWorkitem", { status, headers: { "retry-after": "7" }, body: { message: "nope", code: "x" }, error: {} })
    expect(e.reason).toBe(reason)
    expect(e.status).toBe(status)
    expect(e.transient).toBe(transient)
    expect(e.retryAfterSeconds).toBe(7)
    expect(e.message).toContain("nope")
  })

  it("maps axios timeouts and connection failures, and login errors with a response", () => {
    expect(toGenesysError("getWorkitem", { code: "ECONNABORTED", message: "timeout of 1000ms exceeded" }).reason).toBe("Timeout")
    expect(toGenesysError("getWorkitem", { code: "ECONNREFUSED", message: "connect ECONNREFUSED" }).reason).toBe("Network")
    const login = toGenesysError("login", { response: { status: 401, data: { error: "invalid_client" }, headers: {} } })
    expect(login.reason).toBe("Unauthorized")
    expect(login.body).toEqual({ error: "invalid_client" })
  })
})
