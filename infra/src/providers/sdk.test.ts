import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { call, changedKeys, checkTarget, diffResult, isNotFound, stableJson } from "./sdk.js"

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
    const err = (await call("putThing", () => Promise.reject(rejection)).catch((e: unknown) => e)) as Error & { status: number }
    expect(err.message).toBe("putThing failed: HTTP 409 conflict version mismatch")
    expect(err.status).toBe(409)
    expect(JSON.stringify({ ...err, message: err.message })).not.toContain("tok-SECRET")
  })

  it("reports a network error by its code", async () => {
    const err = (await call("getThing", () => Promise.reject({ code: "ECONNREFUSED" })).catch((e: unknown) => e)) as Error
    expect(err.message).toBe("getThing failed: ECONNREFUSED")
    expect(isNotFound(err)).toBe(false)
  })

  it("recognises a 404", async () => {
    const err = await call("getThing", () => Promise.reject({ status: 404, body: { message: "gone" } })).catch((e: unknown) => e)
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
