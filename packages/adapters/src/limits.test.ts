/**
 * What an adapter accepts can always be applied: the revision fits the catalog's `source_revision` limit, ids that
 * cannot be cut are checked before acceptance, and bodies nested beyond MAX_JSON_DEPTH are refused naming the field.
 */
import { defaultCatalog, maxLengthOf } from "@workbridge/catalog"
import { describe, expect, it } from "vitest"
import { adapters } from "./adapters.js"
import { loadFixture, fixtureRequest } from "./fixtures.js"
import { generic } from "./Generic.js"
import { MAX_JSON_DEPTH, tooDeep } from "./internal/decode.js"
import { decodeError, decodeEvent, request, withoutHeader } from "./internal/testkit.js"
import { jira } from "./Jira.js"

const revisionMax = maxLengthOf(defaultCatalog.fields.find((f) => f.key === "source_revision")!)

describe("revisions fit the catalog's source_revision field", () => {
  it("a Jira delivery without X-Atlassian-Webhook-Identifier (as demo:send posts the sample) gets a revision within the limit", () => {
    const req = withoutHeader(fixtureRequest(loadFixture("jira-issue-created")), "x-atlassian-webhook-identifier")
    const e = decodeEvent(jira, req)
    expect(e.deliveryKey).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(e.revision.length).toBeLessThanOrEqual(revisionMax)
  })

  it.each([81, 82, 150, 199, 200, 5000])(
    "a generic event_id of %i characters gives a revision within the limit",
    (n) => {
      const e = decodeEvent(generic, request({ ticket_id: "T-1", revision: 7, event_id: "e".repeat(n), fields: {} }))
      expect(e.revision.length).toBeLessThanOrEqual(revisionMax)
      expect(e.deliveryKey.length).toBeLessThanOrEqual(200)
    }
  )

  it("two over-long keys of one ticket at one revision still order apart, and the same key gives the same revision", () => {
    const a = decodeEvent(
      generic,
      request({ ticket_id: "T-1", revision: 7, event_id: `${"e".repeat(120)}a`, fields: {} })
    )
    const b = decodeEvent(
      generic,
      request({ ticket_id: "T-1", revision: 7, event_id: `${"e".repeat(120)}b`, fields: {} })
    )
    const a2 = decodeEvent(
      generic,
      request({ ticket_id: "T-1", revision: 7, event_id: `${"e".repeat(120)}a`, fields: { subject: "x" } })
    )
    expect(a.revision).not.toBe(b.revision)
    expect(a2.revision).toBe(a.revision)
    expect(a.revision.startsWith("0000000000000007:1:h:")).toBe(true)
  })

  it("a short key is kept in the revision as before", () => {
    expect(
      decodeEvent(generic, request({ ticket_id: "T-1", revision: 7, event_id: "evt-1", fields: {} })).revision
    ).toBe("0000000000000007:1:evt-1")
  })

  it("every built-in fixture decodes to a revision within the limit", () => {
    for (const [name, adapter] of Object.entries(adapters)) {
      for (const fixture of ["created", "updated"]) {
        let f: ReturnType<typeof loadFixture>
        try {
          f = loadFixture(
            `${name}-${name === "github" ? "issues-opened" : name === "jira" ? `issue-${fixture}` : `ticket-${fixture}`}`
          )
        } catch {
          continue
        }
        const result = adapter.decode(fixtureRequest(f), defaultCatalog)
        if (result._tag === "Right" && result.right._tag === "Event")
          expect(result.right.event.revision.length).toBeLessThanOrEqual(revisionMax)
      }
    }
  })
})

describe("ids are checked against the catalog before acceptance", () => {
  it("a ticket id longer than the ticket_id limit is refused naming the limit", () => {
    const e = decodeError(generic, request({ ticket_id: "x".repeat(101), revision: 1, fields: {} }))
    expect(e.status).toBe(422)
    expect(e.reason).toContain("ticket_id")
  })

  it("a ticket id at the limit is accepted", () => {
    expect(
      decodeEvent(generic, request({ ticket_id: "x".repeat(100), revision: 1, fields: {} })).ticketId
    ).toHaveLength(100)
  })
})

describe("nesting depth", () => {
  const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`

  it(`refuses a body nested deeper than ${MAX_JSON_DEPTH} levels with a 400 naming the field`, () => {
    const raw = `{"ticket_id":"T-1","revision":1,"fields":{"subject":"x","description":${nested(12_000)}}}`
    const e = decodeError(generic, request(raw))
    expect(e.status).toBe(400)
    expect(e.reason).toContain('"fields"')
    expect(e.reason).toContain(String(MAX_JSON_DEPTH))
  })

  it("accepts a body at the limit", () => {
    // the body object is level 1, fields level 2, so the array may have MAX_JSON_DEPTH - 2 levels
    const raw = `{"ticket_id":"T-1","revision":1,"fields":{"tags":${nested(MAX_JSON_DEPTH - 2)}}}`
    expect(decodeEvent(generic, request(raw)).ticketId).toBe("T-1")
  })

  it("counts brackets inside strings as text", () => {
    expect(tooDeep(`{"a":"${"[".repeat(500)}"}`)).toBeUndefined()
    expect(tooDeep(`{"a\\"":"\\\\", "b": ${nested(100)}}`)).toBe("b")
    expect(tooDeep(nested(100))).toBe("(body)")
  })
})
