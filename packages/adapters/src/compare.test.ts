import { createHmac } from "node:crypto"
import { describe, expect, it } from "vitest"
import { constantTimeEqual, digestsEqual } from "./compare.js"

describe("constantTimeEqual", () => {
  it("is true for equal strings and equal bytes, in any mix", () => {
    expect(constantTimeEqual("s3cret-token", "s3cret-token")).toBe(true)
    expect(constantTimeEqual(Buffer.from("bytes"), Buffer.from("bytes"))).toBe(true)
    expect(constantTimeEqual("héllo", Buffer.from("héllo", "utf8"))).toBe(true)
    expect(constantTimeEqual("", "")).toBe(true)
  })

  it("is false for different values, prefixes and lengths", () => {
    expect(constantTimeEqual("s3cret-token", "s3cret-tokem")).toBe(false)
    expect(constantTimeEqual("s3cret", "s3cret-token")).toBe(false)
    expect(constantTimeEqual("s3cret-token", "")).toBe(false)
    expect(constantTimeEqual(Buffer.from([0]), Buffer.from([0, 0]))).toBe(false)
  })
})

describe("digestsEqual", () => {
  const mac = createHmac("sha256", "secret").update("body").digest()

  it("is true for the same MAC bytes", () => {
    expect(digestsEqual(Buffer.from(mac), mac)).toBe(true)
  })

  it("is false for another MAC, a truncated or extended one and an empty one", () => {
    const other = createHmac("sha256", "secret").update("bodY").digest()
    expect(digestsEqual(other, mac)).toBe(false)
    expect(digestsEqual(mac.subarray(0, 31), mac)).toBe(false)
    expect(digestsEqual(Buffer.concat([mac, Buffer.from([0])]), mac)).toBe(false)
    expect(digestsEqual(Buffer.alloc(0), mac)).toBe(false)
  })
})
