import type { AddressInfo } from "node:net"
import type { Server } from "node:http"
import { adapterFor } from "@workbridge/adapters"
import { fixtureNames, fixtureRequest, loadFixture } from "@workbridge/adapters/fixtures"
import type { FieldDecl } from "@workbridge/catalog"
import { defaultCatalog, entrySpellings } from "@workbridge/catalog"
import { Ajv } from "ajv"
import { Either } from "effect"
import fc from "fast-check"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { NORMALIZE_MARKERS, normalizeTicketContract } from "@workbridge/data-actions"
import { makeNormalizeTicketAction } from "./normalizeTicket.js"
import { makeDataActionApp } from "./standalone.js"

const USER = "genesys"
const PASSWORD = "fixture-password"
const authorization = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}`

const contract = normalizeTicketContract(defaultCatalog)
/** The output contract, closed: nothing undeclared may appear in an answer. */
const validateOutput = new Ajv({ allErrors: true }).compile({ ...contract.output, additionalProperties: false })

let server: Server
let url: string

beforeAll(async () => {
  const app = makeDataActionApp({
    catalog: defaultCatalog,
    auth: { basicAuth: `${USER}:${PASSWORD}` },
    ticketStatus: async () => undefined
  })
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s))
  })
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/data-actions/normalize-ticket`
})

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

const call = async (body: unknown): Promise<{ status: number; body: Record<string, unknown> }> => {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization },
    body: JSON.stringify(body)
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

const expectValidAnswer = (body: Record<string, unknown>): void => {
  expect(validateOutput(body), JSON.stringify(validateOutput.errors)).toBe(true)
  const fieldKeys = defaultCatalog.fields.map((field) => field.key)
  expect(body[NORMALIZE_MARKERS.provided]).toEqual(fieldKeys.filter((key) => key in body))
  expect(body[NORMALIZE_MARKERS.hasUnmapped]).toBe((body[NORMALIZE_MARKERS.unmapped] as Array<string>).length > 0)
  expect(body[NORMALIZE_MARKERS.hasTruncated]).toBe((body[NORMALIZE_MARKERS.truncated] as Array<string>).length > 0)
  const unmapped = body[NORMALIZE_MARKERS.unmapped] as Array<string>
  for (const field of defaultCatalog.fields.filter((f) => f.vocabulary !== undefined)) {
    expect(body[`${field.key}_unmapped`], field.key).toBe(unmapped.some((entry) => entry.startsWith(`${field.key}=`)))
  }
}

/** How often the generated inputs reached each kind of answer (a property that never truncates proves little). */
const seen = { truncated: 0, unmapped: 0, rejected: 0, answered: 0 }
const count = (res: { status: number; body: Record<string, unknown> }): void => {
  if (res.status !== 200) seen.rejected += 1
  else {
    seen.answered += 1
    if (res.body[NORMALIZE_MARKERS.hasTruncated] === true) seen.truncated += 1
    if (res.body[NORMALIZE_MARKERS.hasUnmapped] === true) seen.unmapped += 1
  }
}

describe("normalize-ticket on the helpdesk fixtures", () => {
  const events = fixtureNames({ synthetic: true }).flatMap((name) => {
    const fixture = loadFixture(name)
    const adapter = adapterFor(fixture.vendor)
    if (adapter === undefined) return []
    const decoded = adapter.decode(fixtureRequest(fixture), defaultCatalog)
    return Either.isRight(decoded) && decoded.right._tag === "Event"
      ? [[name, decoded.right.event.fields] as const]
      : []
  })

  it("decodes enough fixtures to cover every vendor", () => {
    const vendors = new Set(events.map(([name]) => name.replace(/^synthetic\//, "").split("-")[0]))
    expect([...vendors].sort()).toEqual(["freshdesk", "github", "jira", "servicenow", "zendesk"])
  })

  it.each(events)("%s: the decoded ticket fields normalize into a valid answer", async (_, fields) => {
    const res = await call(fields)
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expectValidAnswer(res.body)
    expect((res.body[NORMALIZE_MARKERS.provided] as Array<string>).length).toBeGreaterThan(0)
  })
})

// --- generators ---

const vocabularySpelling = (field: FieldDecl): fc.Arbitrary<string> =>
  fc
    .constantFrom(...(field.vocabulary ?? []).flatMap(entrySpellings))
    .chain((spelling) => fc.constantFrom(spelling, spelling.toUpperCase(), ` ${spelling} `))

/** A value Architect could plausibly send for a field: right-typed, but possibly unknown or too long. */
const plausibleValue = (field: FieldDecl): fc.Arbitrary<unknown> => {
  switch (field.type) {
    case "enum":
      return fc.oneof(vocabularySpelling(field), fc.string({ maxLength: 20 }))
    case "tag":
      return fc.array(field.vocabulary === undefined ? fc.string() : fc.oneof(vocabularySpelling(field), fc.string()), {
        maxLength: 14
      })
    case "checkbox":
      return fc.constantFrom("true", "false", "yes", "no", "1", "0", true, false)
    case "integer":
      return fc.integer().map(String)
    case "number":
      return fc.double({ noNaN: true, noDefaultInfinity: true }).map(String)
    case "date":
    case "datetime":
      return fc
        .date({ min: new Date("1971-01-01T00:00:00Z"), max: new Date("2099-12-31T00:00:00Z"), noInvalidDate: true })
        .map((d) => d.toISOString())
    case "url":
      return fc.webUrl({ validSchemes: ["https"] }).filter((u) => u.length <= 200)
    case "identifier":
      return fc.string({ minLength: 1, maxLength: 100 }).filter((s) => s.trim().length > 0)
    default:
      return fc.oneof(
        fc.string({ maxLength: 40, unit: "grapheme" }),
        fc.string({ minLength: 90, maxLength: 1500, unit: "grapheme" }),
        fc
          .tuple(fc.string({ minLength: 1, maxLength: 1 }), fc.integer({ min: 90, max: 1200 }))
          .map(([c, n]) => c.repeat(n))
      )
  }
}

/** Anything JSON can carry, including shapes the contract forbids. */
const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.string(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.array(fc.oneof(fc.string(), fc.integer(), fc.constant(null))),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string(), { maxKeys: 2 })
)

const plausibleTicket = fc.record(
  {
    ...Object.fromEntries(
      defaultCatalog.fields.map((field) => [
        field.key,
        fc.oneof(plausibleValue(field), fc.constant(null), fc.constant(""))
      ])
    ),
    source: fc.constantFrom("zendesk", "servicenow", "acme")
  },
  { requiredKeys: [] }
)

const arbitraryTicket = fc.record(
  Object.fromEntries(defaultCatalog.fields.map((field) => [field.key, fc.oneof(plausibleValue(field), anyJson)])),
  { requiredKeys: [] }
)

describe("normalize-ticket on generated inputs", () => {
  it("answers every plausible input with a valid answer", async () => {
    await fc.assert(
      fc.asyncProperty(plausibleTicket, async (ticket) => {
        const res = await call(ticket)
        count(res)
        expect(res.status, JSON.stringify(res.body)).toBe(200)
        expectValidAnswer(res.body)
        for (const entry of res.body[NORMALIZE_MARKERS.unmapped] as Array<string>) {
          expect(Object.keys(ticket)).toContain(entry.slice(0, entry.indexOf("=")))
        }
      }),
      { numRuns: 150 }
    )
  })

  it("answers any input with a valid answer or a 400 naming only inputs that were sent", async () => {
    await fc.assert(
      fc.asyncProperty(arbitraryTicket, async (ticket) => {
        const res = await call(ticket)
        count(res)
        expect([200, 400]).toContain(res.status)
        if (res.status === 200) {
          expectValidAnswer(res.body)
        } else {
          expect(res.body.error).toBe("malformed_input")
          const issues = res.body.issues as Array<{ field: string; problem: string }>
          expect(issues.length).toBeGreaterThan(0)
          for (const issue of issues) {
            expect(Object.keys(ticket)).toContain(issue.field)
            expect(res.body.message).toContain(`${issue.field}: ${issue.problem}`)
          }
        }
      }),
      { numRuns: 150 }
    )
  })

  it("reached truncation, unmapped values, rejections and answers", () => {
    expect(seen.truncated).toBeGreaterThan(0)
    expect(seen.unmapped).toBeGreaterThan(0)
    expect(seen.rejected).toBeGreaterThan(0)
    expect(seen.answered).toBeGreaterThan(0)
  })

  it("is idempotent: normalized fields normalize to themselves, with nothing unmapped or truncated", () => {
    const action = makeNormalizeTicketAction(defaultCatalog)
    const fieldKeys = new Set(defaultCatalog.fields.map((field) => field.key))
    fc.assert(
      fc.property(plausibleTicket, (ticket) => {
        const first = action.run(ticket)
        if (Either.isLeft(first)) throw new Error(JSON.stringify(first.left))
        const fields = Object.fromEntries(Object.entries(first.right).filter(([key]) => fieldKeys.has(key)))
        const second = action.run(fields)
        if (Either.isLeft(second)) throw new Error(JSON.stringify(second.left))
        expect(second.right).toEqual({
          ...first.right,
          unmapped: [],
          has_unmapped: false,
          truncated: [],
          has_truncated: false,
          ...flagsOff(first.right)
        })
      }),
      { numRuns: 300 }
    )
  })
})

const flagsOff = (answer: Readonly<Record<string, unknown>>): Record<string, false> =>
  Object.fromEntries(
    Object.keys(answer)
      .filter((key) => key.endsWith("_unmapped"))
      .map((key) => [key, false])
  )

describe("normalize-ticket tag inputs (one text, as the flat input contract allows)", () => {
  const action = makeNormalizeTicketAction({
    ...defaultCatalog,
    sourceMappings: { servicenow: { product_family: { "Mail Server": "api" } } }
  })
  const answer = (body: Record<string, unknown>): Record<string, unknown> =>
    Either.getOrThrowWith(action.run(body), (issues) => new Error(JSON.stringify(issues))) as Record<string, unknown>

  it("splits the text at the delimiter and answers the list and its joined form", () => {
    const out = answer({ product_family: "printer, iOS,fax" })
    expect(out["product_family"]).toEqual(["devices", "mobile"])
    expect(out["product_family_joined"]).toBe("devices,mobile")
    expect(out[NORMALIZE_MARKERS.unmapped]).toEqual(["product_family=fax"])
    expect(validateOutput(out), JSON.stringify(validateOutput.errors)).toBe(true)
  })

  it("applies a source's mappings to each value of the text", () => {
    const out = answer({ source: "servicenow", product_family: "mail server,web" })
    expect(out["product_family"]).toEqual(["api", "web"])
    expect(out["product_family_joined"]).toBe("api,web")
  })

  it("leaves the joined form out when the field has no value", () => {
    const out = answer({ priority: "high", product_family: "" })
    expect(out).not.toHaveProperty("product_family")
    expect(out).not.toHaveProperty("product_family_joined")
  })
})
