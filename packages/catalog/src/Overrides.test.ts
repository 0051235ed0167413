import { Either } from "effect"
import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { defaultCatalog } from "./DefaultCatalog.js"
import type { Catalog, FieldDecl } from "./Field.js"
import { normalizeFields } from "./Normalize.js"
import { applyOverrides, parseCatalogFile } from "./Overrides.js"
import { CatalogConfigError, catalogProblems, validateCatalog } from "./Validate.js"

const errorOf = (result: Either.Either<Catalog, CatalogConfigError>): CatalogConfigError => {
  if (Either.isRight(result)) throw new Error("expected a CatalogConfigError, got a catalog")
  return result.left
}

const example = `# Acme's overrides
schemaName: acme_ticket
fields:
  - key: region
    type: enum
    title: Region
    usage: { routing: true, reporting: true }
    vocabulary:
      - { value: emea, title: EMEA, aliases: [europe, eu] }
      - { value: amer, title: Americas, aliases: [us, na] }
  - key: order_total
    type: number
    title: Order total
    limits: { minimum: 0 }
vocabularies:
  category:
    entries:
      - { value: security, title: Security, aliases: [vulnerability] }
    aliases:
      incident: [outage]
statusMapping:
  on_hold: In Progress
sourceMappings:
  servicenow:
    status: { "6": solved, "7": closed }
`

describe("parseCatalogFile", () => {
  it("applies a YAML override file over the default catalog", () => {
    const catalog = Either.getOrThrow(parseCatalogFile(example, "acme.yaml"))
    expect(catalog.schemaName).toBe("acme_ticket")
    expect(catalog.fields.map((f) => f.key).slice(-2)).toEqual(["region", "order_total"])
    expect(catalog.fields.find((f) => f.key === "order_total")).toEqual({
      key: "order_total",
      type: "number",
      title: "Order total",
      limits: { minimum: 0 },
      usage: { routing: false, sla: false, reporting: false },
      custom: true,
      required: false
    })
    expect(catalog.statusMapping["on_hold"]).toBe("In Progress")
    expect(catalog.statusMapping["pending"]).toBe("Waiting")
    expect(catalog.sourceMappings).toEqual({ servicenow: { status: { "6": "solved", "7": "closed" } } })
    const out = normalizeFields(
      catalog,
      { category: "Outage", region: "EU", order_total: "12.5" },
      { checkRequired: false }
    )
    expect(out.values).toEqual({ category: "incident", region: "emea", order_total: 12.5 })
    expect(normalizeFields(catalog, { category: "vulnerability" }, { checkRequired: false }).values).toEqual({
      category: "security"
    })
  })

  it("reads the same overrides from JSON", () => {
    const json = JSON.stringify({ fields: [{ key: "region", type: "text", title: "Region" }] })
    expect(Either.getOrThrow(parseCatalogFile(json, "over.json")).fields.at(-1)?.key).toBe("region")
  })

  it("does not change the base catalog", () => {
    const before = JSON.stringify(defaultCatalog)
    Either.getOrThrow(parseCatalogFile(example, "acme.yml"))
    expect(JSON.stringify(defaultCatalog)).toBe(before)
  })

  it.each([["empty.yaml"], ["empty.json"]])("treats an empty file (%s) as no overrides", (name) => {
    expect(Either.getOrThrow(parseCatalogFile("", name))).toEqual(defaultCatalog)
  })

  it.each([
    ["an unknown extension", "c.toml", "x = 1", "(file)", "unsupported file type: use .json, .yaml or .yml"],
    ["broken YAML", "c.yaml", "fields: [ {key: a\n", "(syntax)", "not valid YAML: "],
    ["broken JSON", "c.json", '{ "fields": [ }', "(syntax)", "not valid JSON: "],
    ["a document that is not a mapping", "c.yaml", "- 1\n- 2\n", "(root)", "Expected"],
    ["an unknown top-level key", "c.yaml", "fieldz: []\n", "fieldz", "is unexpected"],
    [
      "an unknown core type",
      "c.yaml",
      "fields:\n  - { key: a, type: text, title: A }\n  - { key: b, type: txt, title: B }\n",
      "fields[1].type",
      '"txt" is not a Genesys core type'
    ],
    ["a missing title", "c.yaml", "fields:\n  - { key: a, type: text }\n", "fields[0].title", "is missing"],
    [
      "a wrongly typed flag",
      "c.yaml",
      "fields:\n  - { key: a, type: text, title: A, required: maybe }\n",
      "fields[0].required",
      "Expected boolean"
    ],
    [
      "an unknown attribute",
      "c.yaml",
      "fields:\n  - { key: a, type: text, title: A, attribute: owner }\n",
      "fields[0].attribute",
      '"owner" is not a workitem attribute'
    ],
    [
      "an unknown status category",
      "c.yaml",
      "statuses:\n  - { name: Open, category: Started }\n",
      "statuses[0].category",
      '"Started" is not a status category'
    ],
    [
      "a bad key",
      "c.yaml",
      "fields:\n  - { key: Region, type: text, title: R }\n",
      "fields[0].key",
      "must be 1–64 characters of a-z"
    ],
    [
      "an existing key",
      "c.yaml",
      "fields:\n  - { key: subject, type: text, title: S }\n",
      "fields[0].key",
      '"subject" is already a field of the catalog'
    ],
    [
      "a text limit above Genesys's",
      "c.yaml",
      "fields:\n  - { key: a, type: text, title: A, limits: { maxLength: 101 } }\n",
      "fields[0].limits.maxLength",
      "must be 1–100 for a text field (Genesys limit)"
    ],
    [
      "a tag count above Genesys's",
      "c.yaml",
      "fields:\n  - { key: a, type: tag, title: A, limits: { maxItems: 11 } }\n",
      "fields[0].limits.maxItems",
      "must be 1–10 (Genesys limit)"
    ],
    [
      "a limit that does not apply",
      "c.yaml",
      "fields:\n  - { key: a, type: checkbox, title: A, limits: { maxLength: 5 } }\n",
      "fields[0].limits.maxLength",
      "does not apply to a checkbox field"
    ],
    [
      "an enum without a vocabulary",
      "c.yaml",
      "fields:\n  - { key: a, type: enum, title: A }\n",
      "fields[0].vocabulary",
      "an enum field needs a vocabulary"
    ],
    [
      "a vocabulary on a text field",
      "c.yaml",
      "fields:\n  - { key: a, type: text, title: A, vocabulary: [{ value: x, title: X }] }\n",
      "fields[0].vocabulary",
      "a text field takes no vocabulary"
    ],
    [
      "a free-text routing field",
      "c.yaml",
      "fields:\n  - { key: a, type: text, title: A, usage: { routing: true } }\n",
      "fields[0].usage.routing",
      "a routing field needs a controlled vocabulary"
    ],
    [
      "a second field for one attribute",
      "c.yaml",
      "fields:\n  - { key: a, type: text, title: A, attribute: name }\n",
      "fields[0].attribute",
      "name is already set by fields[3]"
    ],
    [
      "an attribute of the wrong type",
      "c.yaml",
      "fields:\n  - { key: a, type: checkbox, title: A, attribute: description, custom: false }\n",
      "fields[0].attribute",
      "description cannot be set from a checkbox field"
    ],
    [
      "a non-custom field without attribute",
      "c.yaml",
      "fields:\n  - { key: a, type: text, title: A, custom: false }\n",
      "fields[0].custom",
      "a field that is not a custom field must set a workitem attribute"
    ],
    [
      "an enum over 50 options",
      "c.yaml",
      `fields:\n  - key: a\n    type: enum\n    title: A\n    vocabulary:\n${Array.from({ length: 51 }, (_, i) => `      - { value: v${i}, title: V${i} }\n`).join("")}`,
      "fields[0].vocabulary",
      "has 51 entries, more than the 50 options Genesys allows"
    ],
    [
      "an option over 100 characters",
      "c.yaml",
      `fields:\n  - { key: a, type: enum, title: A, vocabulary: [{ value: ${"v".repeat(101)}, title: V }] }\n`,
      "fields[0].vocabulary[0].value",
      "must be 1–100 characters"
    ],
    [
      "two entries with colliding spellings",
      "c.yaml",
      "fields:\n  - { key: a, type: enum, title: A, vocabulary: [{ value: in_progress, title: X }, { value: in-progress, title: Y }] }\n",
      "fields[0].vocabulary[1].value",
      '"in-progress" (of entry "in-progress") also matches the entry "in_progress"'
    ],
    [
      "a vocabulary for an unknown field",
      "c.yaml",
      "vocabularies:\n  colour: { entries: [{ value: red, title: Red }] }\n",
      "vocabularies.colour",
      '"colour" is not a field of the catalog'
    ],
    [
      "a vocabulary for a text field",
      "c.yaml",
      "vocabularies:\n  requester: { entries: [{ value: red, title: Red }] }\n",
      "vocabularies.requester",
      "is a text field, which takes no vocabulary"
    ],
    [
      "a vocabulary entry that exists",
      "c.yaml",
      "vocabularies:\n  category: { entries: [{ value: problem, title: P }] }\n",
      "vocabularies.category.entries[0].value",
      '"problem" is already in the vocabulary'
    ],
    [
      "aliases for an unknown value",
      "c.yaml",
      "vocabularies:\n  category: { aliases: { outage: [down] } }\n",
      "vocabularies.category.aliases.outage",
      '"outage" is not a value of field "category"'
    ],
    [
      "an alias that collides with another entry",
      "c.yaml",
      "vocabularies:\n  status: { aliases: { open: [waiting] } }\n",
      "vocabularies.status",
      '"waiting" (of entry "pending") also matches the entry "open"'
    ],
    [
      "a new status value without a status",
      "c.yaml",
      "vocabularies:\n  status: { entries: [{ value: escalated, title: Escalated }] }\n",
      "statusMapping",
      'has no status for "escalated"'
    ],
    [
      "a mapping to an undeclared status",
      "c.yaml",
      "statusMapping: { pending: Nowhere }\n",
      "statusMapping.pending",
      '"Nowhere" is not a declared status'
    ],
    [
      "a mapping of an unknown value",
      "c.yaml",
      "statusMapping: { frozen: Waiting }\n",
      "statusMapping.frozen",
      '"frozen" is not a value of field "status"'
    ],
    [
      "a status name under 3 characters",
      "c.yaml",
      "statuses:\n  - { name: Op, category: Open }\n",
      "statuses[0].name",
      "must be 3–256 characters"
    ],
    [
      "a status destination that is not declared",
      "c.yaml",
      "statuses:\n  - { name: Open, category: Open, destinations: [Gone] }\n  - { name: In Progress, category: InProgress }\n  - { name: Waiting, category: Waiting }\n  - { name: Resolved, category: Closed }\n  - { name: Closed, category: Closed }\n",
      "statuses[0].destinations[0]",
      '"Gone" is not a declared status'
    ],
    [
      "a source mapping onto an unknown value",
      "c.yaml",
      "sourceMappings:\n  servicenow: { status: { '6': finished } }\n",
      "sourceMappings.servicenow.status.6",
      '"finished" is not a value of field "status"'
    ],
    [
      "a source mapping for a free-text field",
      "c.yaml",
      "sourceMappings:\n  zendesk: { requester: { a: b } }\n",
      "sourceMappings.zendesk.requester",
      "field has no vocabulary to map onto"
    ],
    [
      "a bad schema name",
      "c.yaml",
      "schemaName: 'acme ticket!'\n",
      "schemaName",
      "must be 1–256 characters of letters, digits, _ and -"
    ]
  ])("refuses %s, naming the file, path and problem", (_name, file, text, path, problem) => {
    const error = errorOf(parseCatalogFile(text, file))
    expect(error).toBeInstanceOf(CatalogConfigError)
    expect(error.file).toBe(file)
    expect(error.path).toBe(path)
    expect(error.problem).toContain(problem)
    expect(error.message).toBe(`${file}: ${path}: ${error.problem}`)
  })

  it("refuses more than 50 custom fields", () => {
    const fields = Array.from(
      { length: 36 },
      (_, i) => `  - { key: extra_${i}, type: text, title: Extra ${i} }\n`
    ).join("")
    const error = errorOf(parseCatalogFile(`fields:\n${fields}`, "big.yaml"))
    expect(error.message).toBe("big.yaml: fields: has 51 custom fields, more than the 50 Genesys allows per schema")
  })
})

describe("the override example in docs/catalog.md", () => {
  it("parses and validates", () => {
    const doc = readFileSync(new URL("../../../docs/catalog.md", import.meta.url), "utf8")
    const yaml = /```yaml\n([\s\S]*?)```/u.exec(doc)?.[1]
    expect(yaml).toBeDefined()
    const catalog = Either.getOrThrowWith(parseCatalogFile(yaml ?? "", "catalog.md.yaml"), (e) => new Error(e.message))
    expect(catalog.statuses.map((s) => s.name)).toEqual(["Open", "Done"])
    expect(catalog.fields.map((f) => f.key)).toContain("order_total")
  })
})

describe("applyOverrides", () => {
  it("takes an override object built in code", () => {
    const catalog = Either.getOrThrow(
      applyOverrides(
        defaultCatalog,
        { vocabularies: { routing_skill: { entries: [{ value: "vip", title: "VIP desk" }] } } },
        "(code)"
      )
    )
    expect(catalog.fields.find((f) => f.key === "routing_skill")?.vocabulary?.map((e) => e.value)).toContain("vip")
  })

  it("merges source mappings over the base's", () => {
    const base: Catalog = { ...defaultCatalog, sourceMappings: { jira: { status: { "To Do": "new" } } } }
    const catalog = Either.getOrThrow(
      applyOverrides(base, { sourceMappings: { jira: { status: { Done: "solved" } } } }, "x.yaml")
    )
    expect(catalog.sourceMappings).toEqual({ jira: { status: { "To Do": "new", Done: "solved" } } })
  })
})

describe("validateCatalog", () => {
  it("accepts the default catalog", () => {
    expect(catalogProblems(defaultCatalog)).toEqual([])
    expect(Either.isRight(validateCatalog(defaultCatalog))).toBe(true)
  })

  const withField = (change: (f: FieldDecl) => FieldDecl, key: string): Catalog => ({
    ...defaultCatalog,
    fields: defaultCatalog.fields.map((f) => (f.key === key ? change(f) : f))
  })

  it.each([
    [
      "a duplicate key",
      { ...defaultCatalog, fields: [...defaultCatalog.fields, defaultCatalog.fields[0] as FieldDecl] },
      "fields[17].key",
      '"ticket_id" is already the key of fields[0]'
    ],
    [
      "no required identifier",
      withField((f) => ({ ...f, required: false }), "ticket_id"),
      "fields",
      "needs a required identifier field (the ticket id)"
    ],
    [
      "a priority entry without a number",
      withField(
        (f) => ({ ...f, vocabulary: [...(f.vocabulary ?? []), { value: "whenever", title: "Whenever", aliases: [] }] }),
        "priority"
      ),
      "fields[5].vocabulary",
      "every entry of a field that sets priority needs a priority number"
    ],
    [
      "a priority out of range",
      withField(
        (f) => ({ ...f, vocabulary: (f.vocabulary ?? []).map((e) => ({ ...e, priority: 30_000_000 })) }),
        "priority"
      ),
      "fields[5].vocabulary[0].priority",
      "must be a whole number -25000000…25000000"
    ],
    [
      "an empty spelling",
      withField((f) => ({ ...f, vocabulary: [{ value: "a", title: "A", aliases: ["--"] }] }), "category"),
      "fields[6].vocabulary[0].aliases[0]",
      '"--" has no letters or digits to match on'
    ],
    [
      "a status field with no statuses",
      { ...defaultCatalog, statuses: [], statusMapping: {} },
      "statuses",
      'field "status" sets statusId, so at least one status is needed'
    ]
  ])("refuses %s", (_name, catalog, path, problem) => {
    const error = errorOf(validateCatalog(catalog, "inline"))
    expect({ path: error.path, problem: error.problem }).toEqual({ path, problem })
    expect(error.file).toBe("inline")
  })
})
