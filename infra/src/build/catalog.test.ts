import { defaultCatalog } from "@workbridge/catalog"
import { describe, expect, it } from "vitest"
import { loadCatalog } from "./catalog.js"

const files = (contents: Record<string, string>) => (name: string) => {
  const text = contents[name]
  if (text === undefined) throw Object.assign(new Error("no such file"), { code: "ENOENT" })
  return text
}

describe("loadCatalog", () => {
  it("uses the default catalog when no file is configured", () => {
    expect(loadCatalog(undefined, files({}))).toBe(defaultCatalog)
  })

  it("applies an override file", () => {
    const catalog = loadCatalog("catalog.json", files({ "catalog.json": "{}" }))
    expect(catalog.fields.map((f) => f.key)).toEqual(defaultCatalog.fields.map((f) => f.key))
  })

  it("names a missing file", () => {
    expect(() => loadCatalog("nope.json", files({}))).toThrow("workbridge:catalogFile: cannot read nope.json: ENOENT")
  })

  it("names the file and the problem of a bad file", () => {
    expect(() => loadCatalog("catalog.json", files({ "catalog.json": "{ not json" }))).toThrow(
      /^workbridge:catalogFile: catalog\.json: \(syntax\): not valid JSON/
    )
    expect(() => loadCatalog("catalog.txt", files({ "catalog.txt": "" }))).toThrow(
      /catalog\.txt: \(file\): unsupported file type/
    )
  })
})
