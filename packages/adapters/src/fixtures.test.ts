import { compareRevision, defaultCatalog, normalizeTicket } from "@workbridge/catalog"
import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { adapterFor } from "./adapters.js"
import { fixtureCredentials, fixtureNames, fixtureRequest, loadFixture, SEQUENCES } from "./fixtures.js"
import { decodeFixture } from "./internal/testkit.js"

const signedAt = (name: string): Date =>
  new Date(loadFixture(name).headers["X-Zendesk-Webhook-Signature-Timestamp"] ?? 0)

describe("shipped fixtures", () => {
  const all = fixtureNames({ synthetic: true })

  it("holds every vendor fixture and the synthetic ones", () => {
    expect(fixtureNames()).toHaveLength(16)
    expect(all.filter((n) => n.startsWith("synthetic/"))).toHaveLength(6)
  })

  it.each(all.filter((n) => n !== "freshdesk-api-ticket-view"))("%s is authentic and decodes to an event", (name) => {
    const f = loadFixture(name)
    expect(f.rawBody.toString("utf8")).toBe(JSON.stringify(f.body))
    const adapter = adapterFor(f.vendor)
    if (adapter === undefined) throw new Error(f.vendor)
    const req = fixtureRequest(f, signedAt(name))
    expect(Either.isRight(adapter.verify(req, fixtureCredentials(f)))).toBe(true)
    const result = adapter.decode(req, defaultCatalog)
    if (Either.isLeft(result) || result.right._tag !== "Event") throw new Error(`${name} did not decode to an event`)
    // The fields are in catalog terms: they normalize, and every routed/SLA vocabulary value was mapped.
    const normalized = normalizeTicket(defaultCatalog, result.right.event.fields)
    if (Either.isLeft(normalized)) throw new Error(`${name}: ${JSON.stringify(normalized.left.issues)}`)
    const vocabularyMisses = normalized.right.unmapped.filter((u) =>
      ["status", "priority", "category", "routing_skill", "source_system"].includes(u.field)
    )
    expect(vocabularyMisses).toEqual([])
    for (const key of ["status", "priority"]) {
      if (result.right.event.fields[key] !== undefined)
        expect(normalized.right.values[key]).toBe(result.right.event.fields[key])
    }
  })

  it.each(Object.entries(SEQUENCES))(
    "%s: created -> updated -> resolved is one ticket, in revision order, ending solved",
    (source, names) => {
      const adapter = adapterFor(source)
      if (adapter === undefined) throw new Error(source)
      const events = names.map((n) => decodeFixture(adapter, n))
      expect(new Set(events.map((e) => e.ticketId)).size).toBe(1)
      expect(events[0]?.kind).toBe("created")
      expect(events[2]?.kind).toBe("closed")
      expect(events[2]?.fields["status"]).toBe("solved")
      for (let i = 1; i < events.length; i++)
        expect(compareRevision(events[i - 1]?.revision ?? "", events[i]?.revision ?? "")).toBeLessThan(0)
      expect(new Set(events.map((e) => e.deliveryKey)).size).toBe(3)
    }
  )

  it("refuses names that are not fixture files", () => {
    expect(() => loadFixture("../package")).toThrow(/not a fixture file name/)
  })
})
