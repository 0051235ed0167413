import { describe, expect, it } from "vitest"
import { constantTimeEqual } from "./compare.js"

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
