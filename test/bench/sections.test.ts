import { describe, expect, it } from "vitest"
import { SECTIONS, SectionError, selectSections } from "./sections.js"

describe("bench sections", () => {
  it("runs every section when neither --only nor --skip is given", () => {
    expect([...selectSections("", "")]).toEqual([...SECTIONS])
  })

  it("runs only the sections --only names, less those --skip names", () => {
    expect([...selectSections("backfill", "")]).toEqual(["backfill"])
    expect([...selectSections(" lag , backfill ", "")]).toEqual(["lag", "backfill"])
    expect([...selectSections("lag,backfill", "lag")]).toEqual(["backfill"])
    expect([...selectSections("", "1,2,3,4,5,lag,distributed")]).toEqual(["backfill"])
  })

  it("refuses a section it does not have, naming the flag, and a selection that leaves nothing", () => {
    expect(() => selectSections("backfil", "")).toThrow(SectionError)
    expect(() => selectSections("backfil", "")).toThrow(/--only lists sections .*\(got "backfil"\)/)
    expect(() => selectSections("", "6")).toThrow(/--skip lists sections .*\(got "6"\)/)
    expect(() => selectSections("lag", "lag")).toThrow(/leaves no section to run/)
  })
})
