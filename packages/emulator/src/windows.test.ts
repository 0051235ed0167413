import { describe, expect, it } from "vitest"
import { bucketExcess, maxInWindow } from "./windows.js"

describe("maxInWindow", () => {
  it("counts the densest sliding window, not calendar windows", () => {
    // 3 calls at the end of one minute and 3 at the start of the next: 6 in one sliding minute.
    const times = [0, 50_000, 55_000, 59_000, 61_000, 62_000, 63_000, 130_000]
    expect(maxInWindow(times, 60_000)).toBe(6)
  })

  it("puts two instants exactly one window apart in different windows", () => {
    expect(maxInWindow([0, 60_000], 60_000)).toBe(1)
    expect(maxInWindow([0, 59_999], 60_000)).toBe(2)
  })

  it("is 0 for no calls", () => {
    expect(maxInWindow([], 60_000)).toBe(0)
  })
})

describe("bucketExcess", () => {
  it("finds the span that holds the most beyond burst + rate × span", () => {
    // Burst 2, one a second: three at 0 ms are one too many; 0, 0, 1000 are exactly the bound.
    expect(bucketExcess([0, 0, 0], 0.001, 2)).toEqual({ excess: 1, count: 3, spanMs: 0 })
    expect(bucketExcess([0, 0, 1000], 0.001, 2).excess).toBe(0)
    // Spread calls stay below it; the worst is a single call (1 − 2).
    expect(bucketExcess([0, 5000, 10_000], 0.001, 2)).toEqual({ excess: -1, count: 1, spanMs: 0 })
  })

  it("is −∞ for no calls", () => {
    expect(bucketExcess([], 0.001, 2).excess).toBe(Number.NEGATIVE_INFINITY)
  })
})
