import { defaultCatalog, toWorkitemCreate, type WorkitemContext } from "@workbridge/catalog"
import { describe, expect, it } from "vitest"
import { workitemDifferences } from "./checker.js"
import { generateStorm, type TicketTruth } from "./storm.js"
import { parseFlags } from "./flags.js"

const ctx: WorkitemContext = {
  typeId: "type-1",
  statusIds: {
    Open: "st-open",
    "In Progress": "st-progress",
    Waiting: "st-wait",
    Resolved: "st-resolved",
    Closed: "st-closed"
  }
}

/** A workitem as Genesys would hold it after a correct sync of `truth`. */
const synced = (truth: TicketTruth) => {
  const body = toWorkitemCreate(
    defaultCatalog,
    { values: { ...truth.values, source_revision: truth.revision }, truncated: [], unmapped: [] },
    ctx
  )
  const { statusId, typeId: _typeId, customFields, ...rest } = body
  return {
    id: "wi-1",
    ...rest,
    ...(statusId === undefined ? {} : { status: { id: statusId } }),
    customFields: { ...customFields, last_synced_datetime: "2026-01-01T00:00:00.000Z" }
  }
}

describe("workitemDifferences", () => {
  const storm = generateStorm({ tickets: 25, events: 120, seed: 11, baseTime: 1_700_000_000_000 })
  const truths = [...storm.truth.values()]

  it("finds nothing when the workitem holds the newest revision (last_synced is ignored)", () => {
    for (const t of truths) expect(workitemDifferences(defaultCatalog, t, synced(t), ctx)).toEqual([])
  })

  it("names the attribute or custom field that differs", () => {
    const t = truths[0]!
    const w = synced(t)
    expect(workitemDifferences(defaultCatalog, t, { ...w, name: "something else" }, ctx)).toEqual([
      expect.stringMatching(/^name: expected .*, found "something else"$/)
    ])
    expect(workitemDifferences(defaultCatalog, t, { ...w, status: { id: "st-elsewhere" } }, ctx)[0]).toMatch(
      /^statusId: /
    )
    const older = { ...w, customFields: { ...w.customFields, source_revision_text: "0000000000000001:old" } }
    expect(workitemDifferences(defaultCatalog, t, older, ctx)).toEqual([
      expect.stringMatching(/^customFields.source_revision_text: expected/)
    ])
  })

  it("reports a custom field the newest revision no longer has", () => {
    const t = truths.find((x) => x.values["product_family"] === undefined) ?? truths[0]!
    const w = synced(t)
    const stale = {
      ...w,
      customFields: {
        ...w.customFields,
        requester_text: "someone-stale@example.com",
        product_family_tag: t.values["product_family"] ?? ["web"]
      }
    }
    const diffs = workitemDifferences(defaultCatalog, t, stale, ctx)
    expect(diffs.length).toBeGreaterThan(0)
    expect(diffs.join("\n")).toMatch(/customFields\.(requester_text|product_family_tag)/)
  })
})

describe("parseFlags", () => {
  const specs = [
    { name: "tickets", description: "n", default: 10, min: 1 },
    { name: "name", description: "s", default: "x" },
    { name: "fast", description: "b", default: false }
  ]
  it("reads --flag value, --flag=value and bare booleans, keeping defaults", () => {
    expect(parseFlags(["--tickets", "5", "--name=y", "--fast"], specs)).toEqual({ tickets: 5, name: "y", fast: true })
    expect(parseFlags([], specs)).toEqual({ tickets: 10, name: "x", fast: false })
    expect(parseFlags(["--help"], specs)).toBeUndefined()
  })
  it("refuses unknown flags and bad values, naming the flag", () => {
    expect(() => parseFlags(["--nope", "1"], specs)).toThrow(/--nope/)
    expect(() => parseFlags(["--tickets", "many"], specs)).toThrow(/--tickets must be a number/)
    expect(() => parseFlags(["--tickets", "0"], specs)).toThrow(/--tickets must be between 1/)
    expect(() => parseFlags(["--name"], specs)).toThrow(/--name needs a value/)
  })
})
