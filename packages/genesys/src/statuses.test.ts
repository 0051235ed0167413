import type { Catalog } from "@workbridge/catalog"
import { defaultCatalog } from "@workbridge/catalog"
import { describe, expect, it } from "vitest"
import { planStatuses, statusSlug } from "./statuses.js"

const withStatuses = (patch: Partial<Catalog>): Catalog => ({ ...defaultCatalog, ...patch })

describe("planStatuses", () => {
  it("plans the default catalog: statuses in order, transitions by name, the first as default", () => {
    const plan = planStatuses(defaultCatalog)
    expect(plan.statuses.map((s) => [s.name, s.category])).toEqual(
      defaultCatalog.statuses.map((s) => [s.name, s.category])
    )
    expect(plan.defaultStatus).toBe(defaultCatalog.statuses[0]?.name)
    for (const s of defaultCatalog.statuses) expect(plan.transitions[s.name]).toEqual(s.destinations)
  })

  it("maps every value of the status vocabulary to a planned status", () => {
    const plan = planStatuses(defaultCatalog)
    const names = new Set(plan.statuses.map((s) => s.name))
    const vocab = defaultCatalog.fields.find((f) => f.attribute === "statusId")?.vocabulary ?? []
    expect(vocab.length).toBeGreaterThan(0)
    for (const v of vocab) expect(names.has(defaultCatalog.statusMapping[v.value] as string)).toBe(true)
  })

  it("names an unknown destination", () => {
    const statuses = [{ name: "Open", category: "Open" as const, destinations: ["Gone"] }]
    expect(() => planStatuses(withStatuses({ statuses, statusMapping: {} }))).toThrow(
      'catalog.statuses[0].destinations[0]: "Gone" is not a declared status'
    )
  })

  it("names a duplicate status", () => {
    const statuses = [
      { name: "Open", category: "Open" as const, destinations: [] },
      { name: "open", category: "Open" as const, destinations: [] }
    ]
    expect(() => planStatuses(withStatuses({ statuses, statusMapping: {} }))).toThrow(
      /statuses\[1\]\.name: "open" is declared twice/
    )
  })

  it("names a vocabulary value without a status", () => {
    const { solved: _solved, ...mapping } = defaultCatalog.statusMapping
    expect(() => planStatuses(withStatuses({ statusMapping: mapping }))).toThrow(
      /catalog\.statusMapping\.solved: .*maps to no status/
    )
  })

  it("names a mapping to an undeclared status", () => {
    expect(() =>
      planStatuses(withStatuses({ statusMapping: { ...defaultCatalog.statusMapping, new: "Nope" } }))
    ).toThrow('catalog.statusMapping.new: "Nope" is not a declared status')
  })

  it("names a bad category and a short name", () => {
    const bad = [{ name: "Open", category: "Done" as never, destinations: [] }]
    expect(() => planStatuses(withStatuses({ statuses: bad, statusMapping: {} }))).toThrow(/statuses\[0\]\.category/)
    const short = [{ name: "Op", category: "Open" as const, destinations: [] }]
    expect(() => planStatuses(withStatuses({ statuses: short, statusMapping: {} }))).toThrow(
      /statuses\[0\]\.name: must be 3-256/
    )
  })

  it("slugs names for resource names", () => {
    expect(statusSlug("In Progress")).toBe("in-progress")
    expect(statusSlug("  Waiting / 3rd party ")).toBe("waiting-3rd-party")
  })
})
