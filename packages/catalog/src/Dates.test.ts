import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { isoDateTime, parseInstant } from "./Dates.js"

const yearOf = (year: number): number => {
  const d = new Date(0)
  d.setUTCFullYear(year, 0, 1)
  return d.getTime()
}

describe("parseInstant", () => {
  it("reads what toISOString writes, with and without milliseconds, and writes it back", () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date(yearOf(1)), max: new Date("9999-12-31T23:59:59.999Z"), noInvalidDate: true }),
        (d) => {
          const text = d.toISOString()
          expect(parseInstant(text)).toEqual({ ms: d.getTime() })
          expect(isoDateTime(d.getTime())).toBe(text)
          const seconds = text.replace(/\.\d{3}Z$/, "Z")
          expect(parseInstant(seconds)).toEqual({ ms: d.getTime() - d.getUTCMilliseconds() })
        }
      ),
      { numRuns: 2000 }
    )
  })

  it.each([
    ["2026-02-30T10:00:00Z", "has day 30 in month 02"],
    ["2024-02-30T10:00:00.000Z", "has day 30 in month 02"],
    ["2026-13-01T10:00:00Z", "has month 13"],
    ["2026-00-01T10:00:00Z", "has month 00"],
    ["2026-12-01T24:00:00Z", "has a time of day out of range"],
    ["2026-12-01T10:60:00.000Z", "has a time of day out of range"],
    ["0000-01-01T00:00:00Z", "has year 0000"]
  ])("words the problem of %s", (text, problem) => {
    expect(parseInstant(text)).toEqual({ problem })
  })

  it("reads leap days, years before 100 and near-misses of the common shape", () => {
    expect(parseInstant("2024-02-29T12:00:00Z")).toEqual({ ms: Date.UTC(2024, 1, 29, 12) })
    expect(parseInstant("1900-02-29T00:00:00Z")).toEqual({ problem: "has day 29 in month 02" })
    expect(parseInstant("2000-02-29T00:00:00Z")).toEqual({ ms: Date.UTC(2000, 1, 29) })
    expect(parseInstant("0050-03-01T00:00:00.250Z")).toEqual({ ms: yearOf(50) + (31 + 28) * 86_400_000 + 250 })
    expect(parseInstant("2026-12-01t10:00:00z")).toEqual({ ms: Date.UTC(2026, 11, 1, 10) })
    expect(parseInstant("2026-12-01 10:00:00.5Z")).toEqual({ ms: Date.UTC(2026, 11, 1, 10, 0, 0, 500) })
    expect(parseInstant(" 2026-12-01T10:00:00+01:00 ")).toEqual({ ms: Date.UTC(2026, 11, 1, 9) })
    expect(parseInstant("2026-12-01T10:0a:00Z")).toHaveProperty("problem")
  })
})
