import { describe, expect, it } from "vitest"
import { HEAP_GROWING_PERCENT, heapGrowthFlag } from "./heapCap.js"

describe("heapGrowthFlag", () => {
  it("caps the old generation's growth when the process has no heap growth flag of its own", () => {
    expect(heapGrowthFlag(["--import", "tsx"], undefined)).toBe(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`)
    expect(heapGrowthFlag([], "--max-old-space-size=512")).toBe(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`)
  })

  it("leaves an operator's own --heap-growing-percent alone (command line or NODE_OPTIONS, either spelling)", () => {
    expect(heapGrowthFlag(["--heap-growing-percent=50", "--import", "tsx"], undefined)).toBeUndefined()
    expect(heapGrowthFlag([], "--import tsx --heap_growing_percent=30")).toBeUndefined()
  })
})
