import { defaultCatalog } from "@workbridge/catalog"
import { describe, expect, it } from "vitest"
import { valuesReadFrom, vendorStatusFor } from "./vendorStatus.js"

describe("vendorStatusFor", () => {
  it("names each catalog status as the vendor's API takes it", () => {
    const all = (source: string) =>
      Object.fromEntries(
        ["new", "open", "pending", "on_hold", "solved", "closed"].map((v) => [
          v,
          vendorStatusFor(defaultCatalog, source, v)
        ])
      )
    expect(all("zendesk")).toEqual({
      new: "new",
      open: "open",
      pending: "pending",
      on_hold: "hold",
      solved: "solved",
      closed: "closed"
    })
    expect(all("servicenow")).toEqual({
      new: "1",
      open: "2",
      pending: undefined,
      on_hold: "3",
      solved: "6",
      closed: "7"
    })
    expect(all("freshdesk")).toMatchObject({ open: "2", pending: "3", on_hold: "7", solved: "4", closed: "5" })
    expect(all("jira")).toMatchObject({ new: "category:new", open: "category:indeterminate", solved: "category:done" })
    expect(all("github")).toMatchObject({ open: "open", solved: "closed", closed: "closed" })
  })

  it("takes the catalog's own mapping for the source first", () => {
    const catalog = { ...defaultCatalog, sourceMappings: { zendesk: { status: { "waiting on vendor": "on_hold" } } } }
    expect(vendorStatusFor(catalog, "zendesk", "on_hold")).toBe("waiting on vendor")
    expect(vendorStatusFor(catalog, "unknown-source", "open")).toBeUndefined()
  })
})

describe("valuesReadFrom", () => {
  it("names what the adapter reads a status written through the API as: the echo of a write-back", () => {
    // The write-back writes `new` (an agent's Open) as ServiceNow state 2, which its webhook reports as `open`.
    expect(valuesReadFrom(defaultCatalog, "servicenow", "2")).toEqual(["open"])
    expect(valuesReadFrom(defaultCatalog, "servicenow", "7")).toEqual(["closed"])
    expect(valuesReadFrom(defaultCatalog, "zendesk", "solved")).toEqual(["solved"])
    expect(valuesReadFrom(defaultCatalog, "jira", "category:done")).toEqual(["solved"])
    expect(valuesReadFrom(defaultCatalog, "freshdesk", "2")).toEqual(["open"])
    expect([...valuesReadFrom(defaultCatalog, "github", "closed")].sort()).toEqual(["closed", "solved"])
    expect(valuesReadFrom(defaultCatalog, "unknown-source", "open")).toEqual([])
  })

  it("takes the catalog's own mapping for the source first", () => {
    const catalog = {
      ...defaultCatalog,
      sourceMappings: { servicenow: { status: { "2": "pending", "9": "on_hold" } } }
    }
    expect(valuesReadFrom(catalog, "servicenow", "2")).toEqual(["pending"])
    expect(valuesReadFrom(catalog, "servicenow", "9")).toEqual(["on_hold"])
  })
})
