import { Either } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { defaultCatalog } from "./DefaultCatalog.js"
import type { Catalog, FieldDecl } from "./Field.js"
import { TRUNCATION_MARKER } from "./Field.js"
import { maxItemsOf, maxLengthOf } from "./Limits.js"
import type { NormalizedTicket } from "./Normalize.js"
import {
  fieldPlans,
  flatten,
  NormalizationError,
  normalizeFields,
  normalizeFlatFields,
  normalizeTicket,
  truncateText
} from "./Normalize.js"

const usage = { routing: false, sla: false, reporting: false }
const field = (key: string, type: FieldDecl["type"], extra: Partial<FieldDecl> = {}): FieldDecl => ({
  key,
  type,
  title: key,
  usage,
  custom: true,
  required: false,
  ...extra
})

/** A small catalog with one field of every core type. */
const catalog: Catalog = {
  schemaName: "test_ticket",
  schemaDescription: "test",
  statuses: [],
  statusMapping: {},
  fields: [
    field("id", "identifier", { required: true }),
    field("title", "text", { attribute: "name" }),
    field("body", "longtext"),
    field("link", "url"),
    field("sev", "enum", {
      usage: { routing: true, sla: false, reporting: true },
      vocabulary: [
        { value: "low", title: "Low", aliases: ["minor", "p4"] },
        { value: "in_progress", title: "Work in progress", aliases: ["WIP"] }
      ]
    }),
    field("labels", "tag"),
    field("products", "tag", {
      vocabulary: [
        { value: "web", title: "Web", aliases: ["website"] },
        { value: "api", title: "API", aliases: [] }
      ]
    }),
    field("due", "date"),
    field("opened", "datetime"),
    field("count", "integer", { limits: { minimum: 0, maximum: 1000 } }),
    field("score", "number"),
    field("vip", "checkbox"),
    field("summary", "text", { attribute: "description", custom: false, limits: { maxLength: 600 } })
  ]
}

const norm = (fields: Record<string, unknown>): NormalizedTicket =>
  Either.getOrThrowWith(normalizeTicket(catalog, { id: "T-1", ...fields }), (e) => e)
const value = (key: string, raw: unknown): unknown => norm({ [key]: raw }).values[key]
const issuesOf = (fields: unknown) => normalizeFields(catalog, fields).issues

describe("flatten", () => {
  it("joins nested keys with dots and keeps arrays and dates as leaves", () => {
    const when = new Date(0)
    expect(flatten({ a: { b: { c: 1 } }, d: [1, { e: 2 }], f: when, g: {}, h: null })).toEqual({
      "a.b.c": 1,
      d: [1, { e: 2 }],
      f: when,
      h: null
    })
  })
  it("returns nothing for a non-object and survives cycles", () => {
    const cyclic: Record<string, unknown> = { a: 1 }
    cyclic["self"] = cyclic
    expect(flatten(cyclic)).toEqual({ a: 1 })
    expect(flatten([1, 2] as unknown as Record<string, unknown>)).toEqual({})
  })
  it("keeps a __proto__ key as data", () => {
    const input = JSON.parse('{"__proto__": {"x": 1}}') as Record<string, unknown>
    const out = flatten(input)
    expect(Object.keys(out)).toEqual(["__proto__.x"])
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype)
  })
})

describe("normalizeTicket: input shape", () => {
  it("matches nested objects through their dotted key read with underscores", () => {
    const nestedCatalog: Catalog = {
      ...catalog,
      fields: [field("sla_breached", "checkbox"), field("id", "identifier")]
    }
    const out = normalizeFields(nestedCatalog, { sla: { breached: "yes" }, id: 7 })
    expect(out.values).toEqual({ sla_breached: true, id: "7" })
  })
  it("prefers an exact key over a flattened one", () => {
    const nestedCatalog: Catalog = { ...catalog, fields: [field("a_b", "text")] }
    expect(normalizeFields(nestedCatalog, { a: { b: "nested" }, a_b: "exact" }).values).toEqual({ a_b: "exact" })
  })
  it("ignores unknown keys", () => {
    expect(norm({ nonsense: 1, title: "x y z" }).values).toEqual({ id: "T-1", title: "x y z" })
  })
  it("refuses a non-object ticket with a clear issue", () => {
    expect(issuesOf([1])).toEqual([{ field: "(ticket)", problem: "expected an object of fields", value: [1] }])
  })
  it("treats null, undefined and blank strings as absent", () => {
    expect(norm({ title: null, body: undefined, link: "  ", count: "" }).values).toEqual({ id: "T-1" })
  })
})

describe("casting", () => {
  it.each([
    ["integer from a string", "count", " 42 ", 42],
    ["integer from 4.0", "count", "4.0", 4],
    ["integer from a number", "count", 7, 7],
    ["number from a string", "score", "3.25", 3.25],
    ["number from exponent form", "score", "1e3", 1000],
    ["negative zero becomes zero", "score", -0, 0],
    ["text from a number", "title", 12345, "12345"],
    ["text from a boolean", "title", true, "true"],
    ["text is trimmed", "title", "  hello  ", "hello"],
    ["identifier from a number", "id", 88421, "88421"]
  ])("%s", (_name, key, raw, expected) => {
    expect(Object.is(value(key, raw), expected)).toBe(true)
  })

  it.each([
    ["true", true],
    ["TRUE", true],
    ["yes", true],
    ["1", true],
    [1, true],
    [true, true],
    ["false", false],
    ["No", false],
    ["0", false],
    [0, false],
    [false, false],
    ["y", true],
    ["on", true],
    ["n", false],
    ["OFF", false]
  ])("checkbox from %j", (raw, expected) => {
    expect(value("vip", raw)).toBe(expected)
  })

  it.each([
    ["count", "many", "is not a number"],
    ["count", "4.5", "is not a whole number"],
    ["count", -1, "is less than 0"],
    ["count", 1001, "is greater than 1000"],
    ["score", "NaN", "is not a number"],
    ["score", [1], "expected a single value, got a list"],
    ["vip", "maybe", "is not a yes/no value (true/false, yes/no, 1/0)"],
    ["vip", 2, "is not a yes/no value"],
    ["title", ["a"], "expected a single value, got a list"],
    ["link", "not a url", "is not an http(s) URL"],
    ["link", "ftp://example.com/x", "is not an http(s) URL"],
    ["id", "x".repeat(101), "is longer than 100 characters (a cut identifier could match another ticket)"],
    ["link", `https://example.com/${"a".repeat(200)}`, "is longer than 200 characters (a cut URL would not work)"]
  ])("%s: %j is refused: %s", (key, raw, problem) => {
    const out = normalizeFields(catalog, { id: "T-1", [key]: raw })
    expect(out.issues).toEqual([{ field: key, problem, value: raw }])
    expect(key in out.values).toBe(false)
  })

  it("reads an object given for a scalar field as nested fields, so the field itself is missing", () => {
    const strict: Catalog = {
      ...catalog,
      fields: catalog.fields.map((f) => (f.key === "title" ? { ...f, required: true } : f))
    }
    expect(normalizeFields(strict, { id: "T-1", title: { a: 1 } }).issues).toEqual([
      { field: "title", problem: "is required" }
    ])
  })

  it("refuses text shorter than a declared minimum length", () => {
    const withMin: Catalog = { ...catalog, fields: [field("code", "text", { limits: { minLength: 5 } })] }
    expect(normalizeFields(withMin, { code: "abc" }).issues).toEqual([
      { field: "code", problem: "is shorter than 5 characters", value: "abc" }
    ])
    expect(normalizeFields(withMin, { code: "abcde" }).values).toEqual({ code: "abcde" })
  })

  it("accepts an http(s) URL", () => {
    expect(value("link", " https://example.com/t/1 ")).toBe("https://example.com/t/1")
  })

  it("lists every offending field, not only the first", () => {
    const result = normalizeTicket(catalog, { count: "x", vip: "perhaps", opened: "yesterday" })
    expect(Either.isLeft(result)).toBe(true)
    const error = Either.getLeft(result).pipe((o) => (o._tag === "Some" ? o.value : undefined))
    expect(error).toBeInstanceOf(NormalizationError)
    expect(error?.issues.map((i) => i.field)).toEqual(["id", "opened", "count", "vip"])
    expect(error?.message).toContain("id: is required")
    expect(error?.message).toContain('count: is not a number (got "x")')
    expect(error?.message).toMatch(/^invalid ticket \(4 fields\): /)
  })
})

describe("dates and date-times", () => {
  it.each([
    ["ISO-8601 UTC", "2024-03-05T10:20:30Z", "2024-03-05T10:20:30.000Z"],
    ["ISO-8601 lower-case z", "2024-03-05t10:20:30z", "2024-03-05T10:20:30.000Z"],
    ["ISO-8601 with milliseconds", "2024-03-05T10:20:30.123Z", "2024-03-05T10:20:30.123Z"],
    ["ISO-8601 with nanoseconds (kept to the ms)", "2024-03-05T10:20:30.123456789Z", "2024-03-05T10:20:30.123Z"],
    ["ISO-8601 with one fraction digit", "2024-03-05T10:20:30.5Z", "2024-03-05T10:20:30.500Z"],
    ["ISO-8601 positive offset", "2024-03-05T10:20:30+02:00", "2024-03-05T08:20:30.000Z"],
    ["ISO-8601 negative offset across midnight", "2024-03-05T22:20:30-05:00", "2024-03-06T03:20:30.000Z"],
    ["ISO-8601 offset without colon", "2024-03-05T10:20:30+0530", "2024-03-05T04:50:30.000Z"],
    ["ISO-8601 hour-only offset", "2024-03-05T10:20:30-03", "2024-03-05T13:20:30.000Z"],
    ["ISO-8601 without seconds", "2024-03-05T10:20Z", "2024-03-05T10:20:00.000Z"],
    ["ISO-8601 without offset (UTC)", "2024-03-05T10:20:30", "2024-03-05T10:20:30.000Z"],
    ["ISO-8601 date only", "2024-03-05", "2024-03-05T00:00:00.000Z"],
    ["ServiceNow YYYY-MM-DD HH:MM:SS (UTC)", "2024-03-05 10:20:30", "2024-03-05T10:20:30.000Z"],
    ["epoch seconds", 1709634030, "2024-03-05T10:20:30.000Z"],
    ["epoch seconds with a fraction", 1709634030.25, "2024-03-05T10:20:30.250Z"],
    ["epoch seconds as a string", "1709634030", "2024-03-05T10:20:30.000Z"],
    ["epoch milliseconds", 1709634030123, "2024-03-05T10:20:30.123Z"],
    ["epoch milliseconds as a string", "1709634030123", "2024-03-05T10:20:30.123Z"],
    ["epoch microseconds", 1709634030123456, "2024-03-05T10:20:30.123Z"],
    ["epoch nanoseconds as a string", "1709634030123456789", "2024-03-05T10:20:30.123Z"],
    // biome-ignore lint/correctness/noPrecisionLoss: the literal is meant to arrive already rounded, as a JSON number would
    ["epoch nanoseconds as a number", 1709634030123456789, "2024-03-05T10:20:30.123Z"],
    ["epoch zero", 0, "1970-01-01T00:00:00.000Z"],
    ["negative epoch seconds", -86400, "1969-12-31T00:00:00.000Z"],
    ["a Date object", new Date(Date.UTC(2024, 2, 5, 10, 20, 30)), "2024-03-05T10:20:30.000Z"],
    ["already normalized", "2024-03-05T10:20:30.000Z", "2024-03-05T10:20:30.000Z"]
  ])("datetime from %s", (_name, raw, expected) => {
    expect(value("opened", raw)).toBe(expected)
  })

  it.each([
    ["a date", "2024-02-29", "2024-02-29"],
    ["an ISO date-time (UTC day)", "2024-03-05T23:30:00-02:00", "2024-03-06"],
    ["ServiceNow date-time", "2024-03-05 10:20:30", "2024-03-05"],
    ["epoch seconds", 1709634030, "2024-03-05"],
    ["epoch milliseconds", 1709634030123, "2024-03-05"]
  ])("date from %s", (_name, raw, expected) => {
    expect(value("due", raw)).toBe(expected)
  })

  it.each([
    ["not a date", "yesterday", "is not a date/time (expected ISO-8601, YYYY-MM-DD HH:MM:SS or an epoch number)"],
    ["February 30", "2024-02-30", "has day 30 in month 02"],
    ["February 29 of a common year", "2023-02-29", "has day 29 in month 02"],
    ["month 13", "2024-13-01", "has month 13"],
    ["hour 25", "2024-01-01T25:00:00Z", "has a time of day out of range"],
    ["offset +19:00", "2024-01-01T10:00:00+19:00", "has offset +19:00 out of range"],
    ["year 0000", "0000-01-01", "has year 0000"],
    ["a year past 9999", "9999-12-31T23:59:59-01:00", "is outside the years 0001–9999"],
    ["an invalid Date object", new Date(Number.NaN), "is outside the years 0001–9999"],
    ["epoch too large", 1e21, "is too large for an epoch value (at most 1e20 nanoseconds)"],
    ["infinity", Infinity, "is not a finite number"],
    ["a boolean", true, "is not a date/time (expected an ISO-8601 string or an epoch number)"]
  ])("datetime refuses %s", (_name, raw, problem) => {
    expect(issuesOf({ id: "T-1", opened: raw })).toEqual([{ field: "opened", problem, value: raw }])
  })
})

describe("vocabularies", () => {
  it.each([
    ["the value", "low", "low"],
    ["the value in another case", "LOW", "low"],
    ["the title", "Work in progress", "in_progress"],
    ["the title with underscores", "work_in_progress", "in_progress"],
    ["the value with a space instead of an underscore", "in progress", "in_progress"],
    ["the value with a hyphen", "in-progress", "in_progress"],
    ["the value with surrounding spaces", "  low ", "low"],
    ["an alias", "minor", "low"],
    ["an alias in another case", "wip", "in_progress"],
    ["an alias given as a number", "P4", "low"]
  ])("enum matches %s", (_name, raw, expected) => {
    const out = norm({ sev: raw })
    expect(out.values["sev"]).toBe(expected)
    expect(out.unmapped).toEqual([])
  })

  it("drops an unknown enum value and reports it, never passing it through", () => {
    const out = norm({ sev: "catastrophic" })
    expect("sev" in out.values).toBe(false)
    expect(out.unmapped).toEqual([{ field: "sev", value: "catastrophic" }])
  })

  it("reports a required enum whose value is unknown as an issue", () => {
    const strict: Catalog = {
      ...catalog,
      fields: catalog.fields.map((f) => (f.key === "sev" ? { ...f, required: true } : f))
    }
    const out = normalizeFields(strict, { id: "1", sev: "zzz" })
    expect(out.issues).toEqual([
      { field: "sev", problem: "is required, and the value is not in its vocabulary", value: "zzz" }
    ])
    expect(out.unmapped).toEqual([{ field: "sev", value: "zzz" }])
  })

  it("maps tag items through the vocabulary, dedupes and reports unknown items", () => {
    const out = norm({ products: ["Website", "web", "API", "gadgets"] })
    expect(out.values["products"]).toEqual(["web", "api"])
    expect(out.unmapped).toEqual([{ field: "products", value: "gadgets" }])
  })

  it("drops a vocabulary tag with only unknown items", () => {
    const out = norm({ products: ["gadgets"] })
    expect("products" in out.values).toBe(false)
    expect(out.unmapped).toEqual([{ field: "products", value: "gadgets" }])
  })

  it("reads a comma-separated string as tags", () => {
    expect(value("labels", "a, b ,,a")).toEqual(["a", "b"])
  })

  it("maps default-catalog spellings from each helpdesk", () => {
    const out = normalizeFields(defaultCatalog, {
      ticket_id: "1",
      source_system: "Service-Now",
      subject: "Printer on fire",
      priority: "P1",
      status: "In Progress",
      category: "bug",
      routing_skill: "tech"
    })
    expect(out.issues).toEqual([])
    expect(out.values).toMatchObject({
      source_system: "servicenow",
      priority: "urgent",
      status: "open",
      category: "incident",
      routing_skill: "technical"
    })
  })
})

describe("truncation at the Genesys limits", () => {
  const over = (n: number) => "x".repeat(n + 50)
  it.each([
    ["text (100)", "title", 100],
    ["longtext (1000)", "body", 1000],
    ["a non-custom attribute field with a declared limit (600 → description 512)", "summary", 512]
  ])("%s: cut to exactly the limit, ending with the marker, and flagged", (_name, key, limit) => {
    const out = norm({ [key]: over(limit) })
    const text = out.values[key] as string
    expect(text).toHaveLength(limit)
    expect(text.endsWith(TRUNCATION_MARKER)).toBe(true)
    expect(text.startsWith("x".repeat(limit - TRUNCATION_MARKER.length))).toBe(true)
    expect(out.truncated).toEqual([key])
  })

  it("does not flag a value exactly at the limit", () => {
    const out = norm({ title: "y".repeat(100) })
    expect(out.values["title"]).toBe("y".repeat(100))
    expect(out.truncated).toEqual([])
  })

  it("cuts each tag item to 100 characters with the marker", () => {
    const out = norm({ labels: ["z".repeat(150)] })
    expect(out.values["labels"]).toEqual(["z".repeat(89) + TRUNCATION_MARKER])
    expect(out.truncated).toEqual(["labels"])
  })

  it("keeps at most 10 tags and flags the cut", () => {
    const out = norm({ labels: Array.from({ length: 14 }, (_, i) => `t${i}`) })
    expect(out.values["labels"]).toEqual(Array.from({ length: 10 }, (_, i) => `t${i}`))
    expect(out.truncated).toEqual(["labels"])
  })

  it("never splits a surrogate pair", () => {
    const cut = truncateText(`${"a".repeat(88)}😀${"b".repeat(20)}`, 100)
    expect(cut.text).toBe("a".repeat(88) + TRUNCATION_MARKER)
    expect(cut.truncated).toBe(true)
  })

  it("cuts without the marker when the limit is shorter than the marker", () => {
    expect(truncateText("abcdefgh", 4)).toEqual({ text: "abcd", truncated: true })
  })
})

// --- properties ---

const rawValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 1200 }),
  fc.string({ unit: "grapheme", maxLength: 1200 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 150 }), { maxLength: 15 }),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.integer({ min: 0, max: 4_102_444_800 }),
  fc.constantFrom("yes", "NO", "P1", "in progress", "2024-01-02 03:04:05", "1709634030123456789")
)

const catalogs: ReadonlyArray<Catalog> = [catalog, defaultCatalog]
const ticketFor = (cat: Catalog): fc.Arbitrary<Record<string, unknown>> =>
  fc.record(Object.fromEntries(cat.fields.map((f) => [f.key, rawValue])), { requiredKeys: [] })

describe("properties", () => {
  it.each(catalogs.map((c) => [c.schemaName, c] as const))(
    "%s: never throws on arbitrary JSON or values",
    (_n, cat) => {
      fc.assert(
        fc.property(
          fc.oneof(
            fc.json().map((j) => JSON.parse(j) as unknown),
            fc.anything(),
            ticketFor(cat)
          ),
          (input) => {
            const out = normalizeFields(cat, input)
            expect(Array.isArray(out.issues)).toBe(true)
            normalizeTicket(cat, input as Record<string, unknown>)
          }
        ),
        { numRuns: 300 }
      )
    }
  )

  it.each(catalogs.map((c) => [c.schemaName, c] as const))("%s: normalizing twice changes nothing", (_n, cat) => {
    fc.assert(
      fc.property(ticketFor(cat), (input) => {
        const once = normalizeFields(cat, input, { checkRequired: false })
        const twice = normalizeFields(cat, once.values, { checkRequired: false })
        expect(twice.values).toEqual(once.values)
        expect(twice.issues).toEqual([])
        expect(twice.unmapped).toEqual([])
      }),
      { numRuns: 300 }
    )
  })

  it.each(catalogs.map((c) => [c.schemaName, c] as const))("%s: no value ever exceeds its limit", (_n, cat) => {
    fc.assert(
      fc.property(ticketFor(cat), (input) => {
        const { values } = normalizeFields(cat, input, { checkRequired: false })
        for (const f of cat.fields) {
          const v = values[f.key]
          if (typeof v === "string") expect(v.length).toBeLessThanOrEqual(maxLengthOf(f))
          if (Array.isArray(v)) {
            expect(v.length).toBeLessThanOrEqual(maxItemsOf(f))
            for (const item of v) expect(item.length).toBeLessThanOrEqual(maxLengthOf(f))
            expect(new Set(v).size).toBe(v.length)
          }
          if (f.vocabulary !== undefined && v !== undefined) {
            const allowed = f.vocabulary.map((e) => e.value)
            for (const item of Array.isArray(v) ? v : [v]) expect(allowed).toContain(item)
          }
        }
      }),
      { numRuns: 300 }
    )
  })
})

describe("compiled once per catalog", () => {
  it.each(catalogs.map((c) => [c.schemaName, c] as const))(
    "%s: flat fields normalize as normalizeFields does",
    (_n, cat) => {
      fc.assert(
        fc.property(ticketFor(cat), fc.boolean(), (input, checkRequired) => {
          const withExtra = { ...input, not_a_field: "x" }
          expect(normalizeFlatFields(cat, withExtra, { checkRequired })).toEqual(
            normalizeFields(cat, withExtra, { checkRequired })
          )
        }),
        { numRuns: 300 }
      )
    }
  )

  it.each(catalogs.map((c) => [c.schemaName, c] as const))(
    "%s: each field plan gives what normalizeFields gives for that field",
    (_n, cat) => {
      fc.assert(
        fc.property(ticketFor(cat), (input) => {
          const whole = normalizeFields(cat, input, { checkRequired: false })
          const plans = fieldPlans(cat)
          expect(plans.map((plan) => plan.field)).toEqual(cat.fields)
          for (const { field, normalize } of plans) {
            const result = normalize(input[field.key])
            const issue = whole.issues.find((i) => i.field === field.key)
            expect(result._tag === "Problem" ? result.problem : undefined, field.key).toBe(issue?.problem)
            expect(result._tag === "Value" ? result.value : undefined, field.key).toEqual(whole.values[field.key])
            expect(result._tag === "Value" && result.truncated, field.key).toBe(whole.truncated.includes(field.key))
            expect(result._tag === "Problem" ? [] : (result.unmapped ?? []), field.key).toEqual(
              whole.unmapped.filter((u) => u.field === field.key).map((u) => u.value)
            )
          }
        }),
        { numRuns: 300 }
      )
    }
  )

  it("a catalog with the same keys but other limits and vocabulary is compiled on its own", () => {
    const narrow: Catalog = {
      ...catalog,
      fields: catalog.fields.map((f) =>
        f.key === "title"
          ? { ...f, limits: { maxLength: 20 } }
          : f.key === "sev"
            ? { ...f, vocabulary: [{ value: "high", title: "High", aliases: ["p1"] }] }
            : f
      )
    }
    const input = { title: "a title that is longer than twenty characters", sev: "p1" }
    expect(normalizeFields(catalog, input).values["title"]).toBe(input.title)
    expect(normalizeFields(catalog, input).unmapped).toEqual([{ field: "sev", value: "p1" }])
    const narrowed = normalizeFields(narrow, input)
    expect(narrowed.values["title"]).toBe(`a title t${TRUNCATION_MARKER}`)
    expect(narrowed.values["sev"]).toBe("high")
    expect(normalizeFields(catalog, input).values["title"]).toBe(input.title)
  })
})
