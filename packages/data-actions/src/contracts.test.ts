import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import type { Catalog, FieldDecl } from "@workbridge/catalog"
import { defaultCatalog } from "@workbridge/catalog"
import { Ajv } from "ajv"
import { describe, expect, it } from "vitest"
import type { FlatObjectSchema } from "./contracts.js"
import {
  NORMALIZE_MARKERS,
  SOURCE_INPUT,
  TAG_INPUT_DELIMITER,
  joinedOutput,
  normalizeTicketContract,
  ticketStatusContract,
  unmappedFlag
} from "./contracts.js"

const ajv = new Ajv({ strict: true, allErrors: true })

const expectFlat = (schema: FlatObjectSchema): void => {
  expect(schema.type).toBe("object")
  for (const [name, property] of Object.entries(schema.properties)) {
    expect(["string", "integer", "number", "boolean", "array"], name).toContain(property.type)
    if (property.type === "array") expect(property.items?.type, name).toBe("string")
    else expect(property.items, name).toBeUndefined()
  }
  for (const name of schema.required ?? []) expect(Object.keys(schema.properties)).toContain(name)
  // draft-04 needs at least one entry: an empty list is left out.
  expect(schema.required, "required").not.toEqual([])
}

/** Genesys's "simple properties schema" for inputs: primitive types only. */
const expectSimpleProperties = (schema: FlatObjectSchema): void => {
  for (const [name, property] of Object.entries(schema.properties)) {
    expect(["string", "integer", "number", "boolean"], name).toContain(property.type)
  }
}

const field = (key: string, overrides: Partial<FieldDecl> = {}): FieldDecl => ({
  key,
  type: "text",
  title: key,
  usage: { routing: false, sla: false, reporting: false },
  custom: true,
  required: false,
  ...overrides
})

describe("normalizeTicketContract", () => {
  const contract = normalizeTicketContract(defaultCatalog)

  it("has one optional input and one output per catalog field", () => {
    expect(Object.keys(contract.input.properties)).toEqual([...defaultCatalog.fields.map((f) => f.key), SOURCE_INPUT])
    expect(contract.input).not.toHaveProperty("required")
    for (const f of defaultCatalog.fields) {
      expect(contract.output.properties[f.key]?.title).toBe(f.title)
      expect(contract.output.required).not.toContain(f.key)
    }
  })

  it("is flat and compiles as JSON Schema (strict)", () => {
    expectFlat(contract.input)
    expectSimpleProperties(contract.input)
    expectFlat(contract.output)
    expect(() => ajv.compile(contract.input)).not.toThrow()
    expect(() => ajv.compile(contract.output)).not.toThrow()
  })

  it("takes raw text for every field, tags joined by the delimiter, and answers tags as a list and a joined text", () => {
    expect(TAG_INPUT_DELIMITER).toBe(",")
    expect(contract.input.properties.sla_breached?.type).toBe("string")
    expect(contract.input.properties.product_family?.type).toBe("string")
    expect(contract.input.properties.product_family?.description).toContain('separated by ","')
    expect(contract.output.properties.sla_breached?.type).toBe("boolean")
    expect(contract.output.properties.product_family).toMatchObject({ type: "array", maxItems: 10 })
    expect(contract.output.properties[joinedOutput("product_family")]?.type).toBe("string")
    expect(contract.output.required).not.toContain(joinedOutput("product_family"))
  })

  it("restricts vocabulary outputs to the vocabulary values", () => {
    const priority = defaultCatalog.fields.find((f) => f.key === "priority")
    expect(contract.output.properties.priority?.enum).toEqual(priority?.vocabulary?.map((e) => e.value))
    expect(contract.output.properties.subject?.maxLength).toBe(100)
  })

  it("always answers the markers, with a flag per vocabulary field", () => {
    const vocabularyKeys = defaultCatalog.fields.filter((f) => f.vocabulary !== undefined).map((f) => f.key)
    expect(vocabularyKeys.length).toBeGreaterThan(0)
    expect(contract.output.required).toEqual([
      NORMALIZE_MARKERS.unmapped,
      NORMALIZE_MARKERS.hasUnmapped,
      NORMALIZE_MARKERS.truncated,
      NORMALIZE_MARKERS.hasTruncated,
      NORMALIZE_MARKERS.provided,
      ...vocabularyKeys.map(unmappedFlag)
    ])
  })

  it("derives the workitem priority range and status names from the catalog", () => {
    expect(contract.output.properties.workitem_priority).toMatchObject({ type: "integer", minimum: 1, maximum: 4 })
    expect(contract.output.properties.workitem_status?.enum).toEqual([
      "Open",
      "In Progress",
      "Waiting",
      "Resolved",
      "Closed"
    ])
  })

  it("leaves the derived outputs out when the catalog has no field for them", () => {
    const catalog: Catalog = { ...defaultCatalog, fields: [field("subject")] }
    const outputs = Object.keys(normalizeTicketContract(catalog).output.properties)
    expect(outputs).not.toContain(NORMALIZE_MARKERS.workitemPriority)
    expect(outputs).not.toContain(NORMALIZE_MARKERS.workitemStatus)
    expect(outputs).toContain("subject")
  })

  it("refuses a catalog field that collides with a marker, naming the field", () => {
    const catalog: Catalog = {
      ...defaultCatalog,
      fields: [...defaultCatalog.fields, field("has_unmapped", { type: "checkbox" })]
    }
    expect(() => normalizeTicketContract(catalog)).toThrow(/catalog field "has_unmapped"/)
  })

  it("refuses a field whose unmapped flag collides with another field", () => {
    const catalog: Catalog = { ...defaultCatalog, fields: [...defaultCatalog.fields, field("category_unmapped")] }
    expect(() => normalizeTicketContract(catalog)).toThrow(/"category_unmapped"/)
  })

  it("refuses a field named like another field's joined tag output", () => {
    const catalog: Catalog = { ...defaultCatalog, fields: [...defaultCatalog.fields, field("product_family_joined")] }
    expect(() => normalizeTicketContract(catalog)).toThrow(/"product_family_joined"/)
  })

  it("refuses a field named like the source input", () => {
    const catalog: Catalog = { ...defaultCatalog, fields: [...defaultCatalog.fields, field("source")] }
    expect(() => normalizeTicketContract(catalog)).toThrow(/catalog field "source"/)
  })

  it("refuses a field named like a template variable", () => {
    const catalog: Catalog = { ...defaultCatalog, fields: [field("input")] }
    expect(() => normalizeTicketContract(catalog)).toThrow(/catalog field "input".*reserved/)
  })
})

describe("ticketStatusContract", () => {
  it("is flat, requires source and ticketId, and compiles", () => {
    expectFlat(ticketStatusContract.input)
    expectFlat(ticketStatusContract.output)
    expect(ticketStatusContract.input.required).toEqual(["source", "ticketId"])
    const validate = ajv.compile(ticketStatusContract.input)
    expect(validate({ source: "zendesk", ticketId: "42" })).toBe(true)
    expect(validate({ source: "zendesk" })).toBe(false)
  })
})

describe("docs/data-actions.md", () => {
  const docs = readFileSync(fileURLToPath(new URL("../../../docs/data-actions.md", import.meta.url)), "utf8")

  it("documents every input and output of both actions with the default catalog", () => {
    const contract = normalizeTicketContract(defaultCatalog)
    const names = [
      ...Object.keys(contract.input.properties),
      ...Object.keys(contract.output.properties),
      ...Object.keys(ticketStatusContract.input.properties),
      ...Object.keys(ticketStatusContract.output.properties)
    ]
    const missing = [...new Set(names)].filter((name) => !docs.includes(`\`${name}\``))
    expect(missing).toEqual([])
  })
})
