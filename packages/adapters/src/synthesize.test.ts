import { compareRevision, defaultCatalog } from "@workbridge/catalog"
import type { TicketEventKind } from "@workbridge/catalog"
import { Either } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import type { SourceCredentials } from "./Adapter.js"
import { adapters } from "./adapters.js"
import { decodeEvent } from "./internal/testkit.js"
import type { SyntheticSource, SyntheticTicket } from "./synthesize.js"
import { synthesize, SYNTHETIC_STATUSES } from "./synthesize.js"

const now = new Date("2025-06-01T00:00:00Z")
const creds: Record<SyntheticSource, SourceCredentials> = {
  zendesk: { secret: "zd" },
  servicenow: { basicAuth: "sn:pw" },
  jira: { secret: "jira" },
  freshdesk: { basicAuth: "key:X" },
  github: { secret: "gh" },
  generic: { secret: "gen" }
}
const sources = Object.keys(SYNTHETIC_STATUSES) as ReadonlyArray<SyntheticSource>

const ticketFor = (source: SyntheticSource): fc.Arbitrary<SyntheticTicket> =>
  fc
    .record({
      id: fc.integer({ min: 1, max: 99_999 }),
      version: fc.integer({ min: 0, max: 1_000_000 }),
      kind: fc.constantFrom<TicketEventKind>("created", "updated", "closed", "reopened"),
      subject: fc.string({ minLength: 3, maxLength: 50 }).filter((s) => s.trim() === s && s.length >= 3),
      status: fc.constantFrom(...SYNTHETIC_STATUSES[source]),
      priority: fc.option(fc.constantFrom("low" as const, "normal" as const, "high" as const, "urgent" as const), {
        nil: undefined
      })
    })
    .filter(({ kind, status }) => {
      const closed = status === "solved" || status === "closed"
      return kind === "created" || (kind === "closed") === closed
    })
    .map(({ id, priority, ...rest }) => ({
      ...rest,
      ticketId: String(id),
      ...(priority === undefined ? {} : { priority })
    }))

const ticketIdOf = (source: SyntheticSource, id: string) => (source === "github" ? `workbridge/storm#${id}` : id)

describe.each(sources)("synthesize %s", (source) => {
  const adapter = adapters[source]

  it("round-trips: verifies, decodes to the ticket's id, kind, subject, status and priority", () => {
    fc.assert(
      fc.property(ticketFor(source), (ticket) => {
        const d = synthesize(source, ticket, creds[source], now)
        const req = { headers: d.headers, rawBody: d.rawBody, receivedAt: now }
        expect(Either.isRight(adapter.verify(req, creds[source]))).toBe(true)
        const e = decodeEvent(adapter, req)
        expect(e.ticketId).toBe(ticketIdOf(source, ticket.ticketId))
        expect(e.kind).toBe(ticket.kind)
        expect(e.fields["subject"]).toBe(ticket.subject)
        expect(e.fields["status"]).toBe(ticket.status)
        expect(e.fields["priority"]).toBe(ticket.priority)
      }),
      { numRuns: 300 }
    )
  })

  it("orders versions, and a reused delivery id is the same dedupe key", () => {
    const base: SyntheticTicket = {
      ticketId: "42",
      version: 7,
      kind: "updated",
      subject: "Printer jammed",
      status: "open"
    }
    const decode = (t: SyntheticTicket) => {
      const d = synthesize(source, t, creds[source], now)
      return decodeEvent(adapter, { headers: d.headers, rawBody: d.rawBody, receivedAt: now }, defaultCatalog)
    }
    const older = decode(base)
    const newer = decode({ ...base, version: 8 })
    expect(compareRevision(older.revision, newer.revision)).toBeLessThan(0)
    expect(decode(base).deliveryKey).toBe(older.deliveryKey)
    expect(newer.deliveryKey).not.toBe(older.deliveryKey)
  })
})

describe("synthesize input checks", () => {
  it("names the bad field", () => {
    const t: SyntheticTicket = { ticketId: "1", version: 1, kind: "updated", subject: "abc", status: "open" }
    expect(() => synthesize("jira", { ...t, status: "pending" }, {}, now)).toThrow(/ticket.status/)
    expect(() => synthesize("zendesk", { ...t, kind: "closed" }, {}, now)).toThrow(/ticket.kind/)
    expect(() => synthesize("zendesk", { ...t, version: -1 }, {}, now)).toThrow(/ticket.version/)
    expect(() => synthesize("github", { ...t, ticketId: "not an issue" }, {}, now)).toThrow(/ticket.ticketId/)
  })
})
