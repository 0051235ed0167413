import { Ajv } from "ajv"
import { Either } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { defaultCatalog } from "./DefaultCatalog.js"
import type { WorkitemContext, WorkitemLike } from "./Derive.js"
import {
  DerivationError,
  checkBodySize,
  toTicketJsonSchema,
  toWorkitemCreate,
  toWorkitemSchema,
  toWorkitemUpdate,
  workitemName,
  workitemToValues
} from "./Derive.js"
import type { Catalog } from "./Field.js"
import { GENESYS_LIMITS, TRUNCATION_MARKER } from "./Field.js"
import type { NormalizedTicket } from "./Normalize.js"
import { normalizeFields, normalizeTicket } from "./Normalize.js"
import { checkCustomFields, checkWorkitemSchema } from "./SchemaCheck.js"

/** The example DataSchema body of the Genesys API reference (§2.3), taken from the TF provider and Genesys blueprints. */
const referenceExample = {
  name: "helpdesk_ticket",
  version: 1,
  enabled: true,
  appliesTo: ["WORKITEM"],
  jsonSchema: {
    $schema: "http://json-schema.org/draft-04/schema#",
    title: "helpdesk_ticket",
    description: "…",
    type: "object",
    properties: {
      ticket_id_identifier: {
        allOf: [{ $ref: "#/definitions/identifier" }],
        title: "Ticket ID",
        minLength: 1,
        maxLength: 100
      },
      subject_text: { allOf: [{ $ref: "#/definitions/text" }], title: "Subject", minLength: 0, maxLength: 100 },
      body_longtext: { allOf: [{ $ref: "#/definitions/longtext" }], title: "Body", minLength: 0, maxLength: 1000 },
      severity_enum: {
        allOf: [{ $ref: "#/definitions/enum" }],
        title: "Severity",
        enum: ["low", "high"],
        _enumProperties: { low: { title: "Low", _disabled: false }, high: { title: "High", _disabled: false } }
      },
      labels_tag: {
        allOf: [{ $ref: "#/definitions/tag" }],
        title: "Labels",
        items: { minLength: 1, maxLength: 100 },
        minItems: 0,
        maxItems: 10,
        uniqueItems: true
      },
      opened_datetime: { allOf: [{ $ref: "#/definitions/datetime" }], title: "Opened" },
      count_integer: { allOf: [{ $ref: "#/definitions/integer" }], title: "Count", minimum: 0, maximum: 1000 },
      vip_checkbox: { allOf: [{ $ref: "#/definitions/checkbox" }], title: "VIP" }
    }
  }
} as const

const ctx: WorkitemContext = {
  typeId: "type-1",
  statusIds: {
    Open: "s-open",
    "In Progress": "s-progress",
    Waiting: "s-waiting",
    Resolved: "s-resolved",
    Closed: "s-closed"
  },
  skillIds: {
    general_support: "k-general",
    billing: "k-billing",
    technical: "k-tech",
    hardware: "k-hw",
    software: "k-sw"
  }
}

const ticket = (fields: Record<string, unknown>, catalog: Catalog = defaultCatalog): NormalizedTicket =>
  Either.getOrThrowWith(
    normalizeTicket(catalog, { ticket_id: "HD-1", source_system: "zendesk", subject: "Printer on fire", ...fields }),
    (e) => e
  )

const full = ticket({
  external_key: "zendesk:HD-1",
  description: "Smoke everywhere",
  priority: "p2",
  category: "bug",
  status: "in progress",
  product_family: ["printers", "web"],
  created_at: "2024-03-05 10:20:30",
  updated_at: 1709634090,
  due_at: "2024-03-06T10:00:00Z",
  sla_breached: "no",
  requester: "ann@example.com",
  source_revision: "0000000000000007",
  routing_skill: "tech"
})

const withSchemaLike = (mutate: (props: Record<string, unknown>) => void) => {
  const copy = structuredClone(referenceExample) as unknown as { jsonSchema: { properties: Record<string, unknown> } }
  mutate(copy.jsonSchema.properties)
  return copy
}

describe("toWorkitemSchema", () => {
  const schema = toWorkitemSchema(defaultCatalog)

  it("has the reference form for the default catalog: keys <name>_<coretype>, ≤ 50 attributes, enums ≤ 50 options", () => {
    expect(checkWorkitemSchema(schema)).toEqual([])
    const keys = Object.keys(schema.jsonSchema.properties)
    expect(keys.length).toBeLessThanOrEqual(GENESYS_LIMITS.fieldsPerSchema)
    for (const key of keys)
      expect(key).toMatch(
        /^[a-z][a-z0-9_]*_(text|longtext|url|identifier|enum|tag|date|datetime|integer|number|checkbox)$/
      )
    for (const prop of Object.values(schema.jsonSchema.properties)) {
      if (prop.enum !== undefined) expect(prop.enum.length).toBeLessThanOrEqual(GENESYS_LIMITS.enum.maxOptions)
    }
  })

  it("holds exactly the custom fields, in catalog order", () => {
    expect(Object.keys(schema.jsonSchema.properties)).toEqual(
      defaultCatalog.fields.filter((f) => f.custom).map((f) => `${f.key}_${f.type}`)
    )
    expect(schema.jsonSchema.properties).not.toHaveProperty("external_key_text")
    expect(schema.jsonSchema.properties).not.toHaveProperty("due_at_datetime")
  })

  it("writes each core type as the reference does", () => {
    const p = schema.jsonSchema.properties
    expect(schema).toMatchObject({ name: "workbridge_ticket", version: 1, enabled: true, appliesTo: ["WORKITEM"] })
    expect(schema.jsonSchema).toMatchObject({
      $schema: "http://json-schema.org/draft-04/schema#",
      title: "workbridge_ticket",
      type: "object"
    })
    // The documented form: no public workitem schema example carries additionalProperties.
    expect(schema.jsonSchema).not.toHaveProperty("additionalProperties")
    expect(p["ticket_id_identifier"]).toEqual({
      allOf: [{ $ref: "#/definitions/identifier" }],
      title: "Ticket ID",
      description: "The ticket's id in its helpdesk",
      minLength: 1,
      maxLength: 100
    })
    expect(p["subject_text"]).toEqual({
      allOf: [{ $ref: "#/definitions/text" }],
      title: "Subject",
      minLength: 0,
      maxLength: 100
    })
    expect(p["description_longtext"]).toMatchObject({ minLength: 0, maxLength: 1000 })
    expect(p["priority_enum"]).toEqual({
      allOf: [{ $ref: "#/definitions/enum" }],
      title: "Priority",
      enum: ["low", "normal", "high", "urgent"],
      _enumProperties: {
        low: { title: "Low", _disabled: false },
        normal: { title: "Normal", _disabled: false },
        high: { title: "High", _disabled: false },
        urgent: { title: "Urgent", _disabled: false }
      }
    })
    expect(p["product_family_tag"]).toMatchObject({
      allOf: [{ $ref: "#/definitions/tag" }],
      items: { minLength: 1, maxLength: 100 },
      minItems: 0,
      maxItems: 10,
      uniqueItems: true
    })
    expect(p["created_at_datetime"]).toEqual({
      allOf: [{ $ref: "#/definitions/datetime" }],
      title: "Created in helpdesk"
    })
    expect(p["sla_breached_checkbox"]).toEqual({ allOf: [{ $ref: "#/definitions/checkbox" }], title: "SLA breached" })
  })
})

describe("checkWorkitemSchema", () => {
  it("accepts the reference's own example", () => {
    expect(checkWorkitemSchema(referenceExample)).toEqual([])
  })

  it.each([
    [
      "a key without a core-type suffix",
      (p: Record<string, unknown>) => (p["subject"] = p["subject_text"]),
      "properties.subject: key must be"
    ],
    [
      "a $ref to another type",
      (p: Record<string, unknown>) =>
        (p["subject_text"] = { allOf: [{ $ref: "#/definitions/longtext" }], title: "S", maxLength: 100 }),
      'allOf must be [{ "$ref": "#/definitions/text" }]'
    ],
    [
      "text longer than 100",
      (p: Record<string, unknown>) =>
        (p["subject_text"] = { allOf: [{ $ref: "#/definitions/text" }], title: "S", maxLength: 101 }),
      "maxLength must be an integer 1–100"
    ],
    [
      "51 enum options",
      (p: Record<string, unknown>) => {
        const values = Array.from({ length: 51 }, (_, i) => `v${i}`)
        p["severity_enum"] = {
          allOf: [{ $ref: "#/definitions/enum" }],
          title: "S",
          enum: values,
          _enumProperties: Object.fromEntries(values.map((v) => [v, { title: v, _disabled: false }]))
        }
      },
      "enum must list 1–50 options"
    ],
    [
      "an enum option without _enumProperties",
      (p: Record<string, unknown>) =>
        (p["severity_enum"] = { allOf: [{ $ref: "#/definitions/enum" }], title: "S", enum: ["a"] }),
      "_enumProperties must give a title"
    ],
    [
      "11 tags",
      (p: Record<string, unknown>) =>
        (p["labels_tag"] = {
          allOf: [{ $ref: "#/definitions/tag" }],
          title: "L",
          items: { maxLength: 100 },
          maxItems: 11,
          uniqueItems: true
        }),
      "maxItems must be an integer ≤ 10"
    ],
    [
      "51 attributes",
      (p: Record<string, unknown>) => {
        for (let i = 0; i < 44; i++)
          p[`extra${i}_checkbox`] = { allOf: [{ $ref: "#/definitions/checkbox" }], title: `E${i}` }
      },
      "has 52 attributes, more than 50"
    ],
    [
      "a missing title",
      (p: Record<string, unknown>) => (p["vip_checkbox"] = { allOf: [{ $ref: "#/definitions/checkbox" }] }),
      "title must be a non-empty string"
    ]
  ])("refuses %s", (_name, mutate, problem) => {
    const problems = checkWorkitemSchema(withSchemaLike(mutate))
    expect(problems.length).toBeGreaterThan(0)
    expect(problems.join("\n")).toContain(problem)
  })
})

describe("toTicketJsonSchema", () => {
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false })
  const validate = ajv.compile(toTicketJsonSchema(defaultCatalog))

  it("describes every field, the required ones, and nothing else", () => {
    const schema = toTicketJsonSchema(defaultCatalog) as {
      properties: Record<string, unknown>
      required: Array<string>
    }
    expect(Object.keys(schema.properties)).toEqual(defaultCatalog.fields.map((f) => f.key))
    expect(schema.required).toEqual(["ticket_id", "source_system", "subject"])
    expect(schema.properties["priority"]).toMatchObject({ type: "string", enum: ["low", "normal", "high", "urgent"] })
    expect(schema.properties["product_family"]).toMatchObject({
      type: "array",
      maxItems: 10,
      uniqueItems: true,
      items: { type: "string" }
    })
    expect(schema.properties["created_at"]).toMatchObject({ type: "string", format: "date-time" })
    expect(schema.properties["sla_breached"]).toMatchObject({ type: "boolean" })
  })

  it("accepts normalized values and refuses raw ones", () => {
    expect(validate(full.values)).toBe(true)
    expect(validate({ ...full.values, priority: "P2" })).toBe(false)
    expect(validate({ ...full.values, created_at: "2024-03-05 10:20:30" })).toBe(false)
    expect(validate({ ...full.values, subject: "x".repeat(101) })).toBe(false)
    expect(validate({ ...full.values, unknown_field: 1 })).toBe(false)
  })

  it("accepts whatever normalization produces (property)", () => {
    fc.assert(
      fc.property(arbitraryTicket, (raw) => {
        const { values } = normalizeFields(defaultCatalog, raw, { checkRequired: false })
        expect(
          validate({ ticket_id: "1", source_system: "jira", subject: "abc", ...values }),
          JSON.stringify(validate.errors)
        ).toBe(true)
      }),
      { numRuns: 200 }
    )
  })
})

describe("toWorkitemCreate", () => {
  it("builds the create body of a full default ticket", () => {
    expect(toWorkitemCreate(defaultCatalog, full, ctx)).toEqual({
      name: "Printer on fire",
      typeId: "type-1",
      description: "Smoke everywhere",
      priority: 3,
      dateDue: "2024-03-06T10:00:00.000Z",
      statusId: "s-progress",
      externalTag: "zendesk:HD-1",
      skillIds: ["k-tech"],
      customFields: {
        ticket_id_identifier: "HD-1",
        source_system_enum: "zendesk",
        subject_text: "Printer on fire",
        description_longtext: "Smoke everywhere",
        priority_enum: "high",
        category_enum: "incident",
        status_enum: "open",
        product_family_tag: ["devices", "web"],
        created_at_datetime: "2024-03-05T10:20:30.000Z",
        updated_at_datetime: "2024-03-05T10:21:30.000Z",
        sla_breached_checkbox: false,
        requester_text: "ann@example.com",
        source_revision_text: "0000000000000007",
        routing_skill_enum: "technical"
      }
    })
  })

  it("omits what the ticket does not have", () => {
    expect(toWorkitemCreate(defaultCatalog, ticket({}), ctx)).toEqual({
      name: "Printer on fire",
      typeId: "type-1",
      customFields: { ticket_id_identifier: "HD-1", source_system_enum: "zendesk", subject_text: "Printer on fire" }
    })
  })

  it.each([
    ["a 1-character subject gets the ticket id in front", "x", "HD-1 x"],
    ["a 3-character subject is kept", "abc", "abc"]
  ])("name: %s", (_name, subject, expected) => {
    expect(toWorkitemCreate(defaultCatalog, ticket({ subject }), ctx).name).toBe(expected)
  })

  it("name: a ticket id shorter than 3 characters gets a word in front", () => {
    const t = normalizeFields(defaultCatalog, { ticket_id: "7", source_system: "jira" }, { checkRequired: false })
    expect(workitemName(defaultCatalog, t)).toBe("Ticket 7")
    expect(workitemName(defaultCatalog, { ...t, values: { ...t.values, subject: "a" } })).toBe("7 a")
  })

  const longCatalog: Catalog = {
    ...defaultCatalog,
    fields: defaultCatalog.fields.map((f) =>
      f.key === "subject" ? { ...f, type: "longtext", limits: { maxLength: 1000 } } : f
    )
  }

  it("name: longer than 256 is cut to 256 with the marker", () => {
    const name = toWorkitemCreate(longCatalog, ticket({ subject: "n".repeat(400) }, longCatalog), ctx).name
    expect(name).toHaveLength(256)
    expect(name.endsWith(TRUNCATION_MARKER)).toBe(true)
  })

  it("description: longer than 512 is cut to 512 with the marker, while the longtext custom field keeps 1000", () => {
    const body = toWorkitemCreate(defaultCatalog, ticket({ description: "d".repeat(2000) }), ctx)
    expect(body.description).toHaveLength(512)
    expect(body.description?.endsWith(TRUNCATION_MARKER)).toBe(true)
    expect(body.customFields?.["description_longtext"]).toHaveLength(1000)
  })

  it("fails naming the field when the worktype lacks the mapped status", () => {
    const { Waiting: _w, ...statusIds } = ctx.statusIds
    expect(() => toWorkitemCreate(defaultCatalog, ticket({ status: "pending" }), { ...ctx, statusIds })).toThrow(
      new DerivationError({ field: "status", problem: 'the worktype has no status named "Waiting"' })
    )
  })

  it("sets no skills when none are configured, and fails when a configured map lacks the value", () => {
    const { skillIds: _s, ...noSkills } = ctx
    expect(toWorkitemCreate(defaultCatalog, ticket({ routing_skill: "billing" }), noSkills)).not.toHaveProperty(
      "skillIds"
    )
    expect(() =>
      toWorkitemCreate(defaultCatalog, ticket({ routing_skill: "billing" }), { ...ctx, skillIds: {} })
    ).toThrow('routing_skill: no routing skill id is configured for "billing"')
  })

  it("maps a date due field to midnight UTC", () => {
    const dateCatalog: Catalog = {
      ...defaultCatalog,
      fields: defaultCatalog.fields.map((f) => (f.key === "due_at" ? { ...f, type: "date" } : f))
    }
    expect(toWorkitemCreate(dateCatalog, ticket({ due_at: "2024-05-01" }, dateCatalog), ctx).dateDue).toBe(
      "2024-05-01T00:00:00.000Z"
    )
  })
})

describe("toWorkitemUpdate", () => {
  it("returns undefined when nothing changed", () => {
    expect(toWorkitemUpdate(defaultCatalog, full, full, ctx)).toBeUndefined()
  })

  it("sends only the changed attribute and custom field", () => {
    const after = ticket({ ...full.values, priority: "urgent" })
    expect(toWorkitemUpdate(defaultCatalog, full, after, ctx)).toEqual({
      priority: 4,
      customFields: { priority_enum: "urgent" }
    })
  })

  it("sends a changed custom field that is not an attribute on its own", () => {
    const after = ticket({ ...full.values, requester: "bob@example.com" })
    expect(toWorkitemUpdate(defaultCatalog, full, after, ctx)).toEqual({
      customFields: { requester_text: "bob@example.com" }
    })
  })

  it("sends a whole tag list when one item changes", () => {
    const after = ticket({ ...full.values, product_family: ["devices"] })
    expect(toWorkitemUpdate(defaultCatalog, full, after, ctx)).toEqual({
      customFields: { product_family_tag: ["devices"] }
    })
  })

  it("maps a status change to the new status id", () => {
    const after = ticket({ ...full.values, status: "solved" })
    expect(toWorkitemUpdate(defaultCatalog, full, after, ctx)).toEqual({
      statusId: "s-resolved",
      customFields: { status_enum: "solved" }
    })
  })

  it("clears fields that disappeared: custom fields and description/dateDue/externalTag to null, skills to []", () => {
    const {
      requester: _r,
      description: _d,
      due_at: _u,
      external_key: _e,
      routing_skill: _k,
      priority: _p,
      ...rest
    } = full.values
    const after = ticket(rest)
    expect(toWorkitemUpdate(defaultCatalog, full, after, ctx)).toEqual({
      description: null,
      dateDue: null,
      externalTag: null,
      skillIds: [],
      customFields: { requester_text: null, description_longtext: null, routing_skill_enum: null, priority_enum: null }
    })
  })

  it("sends everything (without nulls) when the previous state is unknown", () => {
    const { typeId: _t, ...create } = toWorkitemCreate(defaultCatalog, full, ctx)
    expect(toWorkitemUpdate(defaultCatalog, undefined, full, ctx)).toEqual(create)
  })
})

describe("workitemToValues", () => {
  const asWorkitem = (t: NormalizedTicket): WorkitemLike => {
    const body = toWorkitemCreate(defaultCatalog, t, ctx)
    return {
      name: body.name,
      ...(body.description === undefined ? {} : { description: body.description }),
      ...(body.priority === undefined ? {} : { priority: body.priority }),
      ...(body.dateDue === undefined ? {} : { dateDue: body.dateDue }),
      ...(body.externalTag === undefined ? {} : { externalTag: body.externalTag }),
      ...(body.statusId === undefined ? {} : { status: { id: body.statusId } }),
      skills: (body.skillIds ?? []).map((id) => ({ id })),
      customFields: body.customFields ?? {}
    }
  }

  it("reads back the values a workitem was written from", () => {
    expect(workitemToValues(defaultCatalog, asWorkitem(full), ctx)).toEqual(full.values)
  })

  it("reads non-custom attributes back: priority through the vocabulary, status and skills through the context", () => {
    const attrCatalog: Catalog = {
      ...defaultCatalog,
      fields: defaultCatalog.fields.map((f) =>
        f.key === "priority" || f.key === "status" || f.key === "routing_skill" ? { ...f, custom: false } : f
      )
    }
    const values = workitemToValues(
      attrCatalog,
      { priority: 4, status: { id: "s-waiting" }, skills: [{ id: "k-billing" }], customFields: null },
      ctx
    )
    expect(values).toEqual({ priority: "urgent", status: "pending", routing_skill: "billing" })
  })

  it("ignores custom fields that no longer normalize and null values", () => {
    expect(
      workitemToValues(defaultCatalog, {
        customFields: { priority_enum: "bogus", requester_text: null, ticket_id_identifier: "A-1" }
      })
    ).toEqual({
      ticket_id: "A-1"
    })
  })

  it("round-trips any normalized ticket, and the minimal update between the two is empty (property)", () => {
    fc.assert(
      fc.property(arbitraryTicket, (raw) => {
        const t = normalizeFields(defaultCatalog, { ticket_id: "X-1", source_system: "github", subject: "abc", ...raw })
        const back = workitemToValues(defaultCatalog, asWorkitem(t), ctx)
        expect(back).toEqual(t.values)
        expect(toWorkitemUpdate(defaultCatalog, { ...t, values: back }, t, ctx)).toBeUndefined()
      }),
      { numRuns: 200 }
    )
  })
})

const nasty = fc.string({ unit: fc.constantFrom("\u0001", "😀", '"', "\\", "é", "x"), minLength: 0, maxLength: 1200 })
const arbitraryTicket: fc.Arbitrary<Record<string, unknown>> = fc.record(
  {
    external_key: nasty,
    subject: nasty,
    description: nasty,
    priority: fc.constantFrom("p1", "low", "Normal", "unknown"),
    category: fc.constantFrom("bug", "question", "weird"),
    status: fc.constantFrom("new", "in progress", "waiting", "blocked", "done", "cancelled"),
    product_family: fc.array(fc.constantFrom("web", "ios", "printer", "sdk", "billing", "other"), { maxLength: 12 }),
    created_at: fc.integer({ min: 0, max: 4_102_444_800_000 }),
    updated_at: fc
      .date({ noInvalidDate: true, min: new Date(0), max: new Date(4_102_444_800_000) })
      .map((d) => d.toISOString()),
    due_at: fc.integer({ min: 0, max: 4_102_444_800 }),
    sla_breached: fc.constantFrom("yes", "no", true, 0),
    requester: nasty,
    source_revision: nasty,
    last_synced: fc.constant("2024-01-01 00:00:00"),
    routing_skill: fc.constantFrom("billing", "tech", "apps", "nope")
  },
  { requiredKeys: [] }
)

describe("body size and Genesys acceptance (properties)", () => {
  const schema = toWorkitemSchema(defaultCatalog)
  it("every create and update body stays under 500 KB and its custom fields satisfy the derived schema", () => {
    fc.assert(
      fc.property(arbitraryTicket, arbitraryTicket, (a, b) => {
        const base = { ticket_id: "X-1", source_system: "github", subject: "abc" }
        const before = normalizeFields(defaultCatalog, { ...base, ...a })
        const after = normalizeFields(defaultCatalog, { ...base, ...b })
        const create = toWorkitemCreate(defaultCatalog, after, ctx)
        const update = toWorkitemUpdate(defaultCatalog, before, after, ctx)
        for (const body of [create, update]) {
          expect(new TextEncoder().encode(JSON.stringify(body ?? {})).length).toBeLessThan(
            GENESYS_LIMITS.requestBodyBytes
          )
        }
        expect(create.name.length).toBeGreaterThanOrEqual(3)
        expect(create.name.length).toBeLessThanOrEqual(256)
        expect((create.description ?? "").length).toBeLessThanOrEqual(512)
        expect(checkCustomFields(schema.jsonSchema.properties, create.customFields ?? {})).toEqual([])
        expect(checkCustomFields(schema.jsonSchema.properties, update?.customFields ?? {})).toEqual([])
      }),
      { numRuns: 200 }
    )
  })

  it("checkCustomFields refuses values the schema does not allow", () => {
    expect(
      checkCustomFields(schema.jsonSchema.properties, {
        subject_text: "s".repeat(101),
        priority_enum: "P1",
        product_family_tag: ["web", "web"],
        created_at_datetime: "2024-01-01 00:00:00",
        sla_breached_checkbox: "yes",
        nope_text: "x"
      })
    ).toEqual([
      "customFields.subject_text: must be 0–100 characters long",
      "customFields.priority_enum: must be one of the enum options",
      "customFields.product_family_tag: must not repeat an item",
      "customFields.created_at_datetime: must be a date-time YYYY-MM-DDTHH:mm:ss.sssZ",
      "customFields.sla_breached_checkbox: must be true or false",
      "customFields.nope_text: is not a property of the schema"
    ])
  })
})

describe("checkBodySize", () => {
  const bodyOf = (bytes: number) => ({ customFields: { blob_longtext: "x".repeat(bytes - 37) } })

  it("passes a body under the cap through unchanged", () => {
    const body = bodyOf(GENESYS_LIMITS.requestBodyBytes - 1)
    expect(new TextEncoder().encode(JSON.stringify(body)).length).toBe(GENESYS_LIMITS.requestBodyBytes - 1)
    expect(checkBodySize(body)).toBe(body)
  })

  it("refuses a body that reaches the cap, naming its size", () => {
    const body = bodyOf(GENESYS_LIMITS.requestBodyBytes)
    expect(() => checkBodySize(body)).toThrow(DerivationError)
    expect(() => checkBodySize(body)).toThrow(`is ${GENESYS_LIMITS.requestBodyBytes} bytes`)
  })
})
