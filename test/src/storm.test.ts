import { adapters } from "@workbridge/adapters"
import { compareRevision } from "@workbridge/catalog"
import { Either } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { checkStormOptions, generateStorm, signedHeaders } from "./storm.js"

describe("generateStorm", () => {
  const storm = generateStorm({ tickets: 40, events: 400, seed: 7 })

  it("is reproducible from its seed", () => {
    const a = generateStorm({ tickets: 40, events: 400, seed: 7, baseTime: 0 })
    const b = generateStorm({ tickets: 40, events: 400, seed: 7, baseTime: 0 })
    const c = generateStorm({ tickets: 40, events: 400, seed: 8, baseTime: 0 })
    expect(b.deliveries.map((d) => d.body)).toEqual(a.deliveries.map((d) => d.body))
    expect(c.deliveries.map((d) => d.body)).not.toEqual(a.deliveries.map((d) => d.body))
  })

  it("sends every event once, plus duplicates that repeat an earlier delivery key", () => {
    const originals = storm.deliveries.filter((d) => d.copy === "original")
    expect(originals).toHaveLength(400)
    expect(new Set(originals.map((d) => `${d.event.source}|${d.event.deliveryKey}`)).size).toBe(400)
    const dups = storm.deliveries.filter((d) => d.copy === "duplicate")
    expect(dups.length).toBe(storm.stats.duplicates)
    // default 20 %: with 400 draws, well inside 10–30 %
    expect(dups.length).toBeGreaterThan(40)
    expect(dups.length).toBeLessThan(120)
    for (const d of dups) {
      const first = storm.deliveries.find(
        (o) => o.copy === "original" && o.event.deliveryKey === d.event.deliveryKey && o.source === d.source
      )!
      expect(first.index).toBeLessThan(d.index)
      expect(first.body).toBe(d.body)
    }
  })

  it("records the newest revision and fields of every ticket as the truth", () => {
    expect(storm.truth.size).toBe(40)
    for (const [key, t] of storm.truth) {
      const revisions = storm.deliveries.filter((d) => d.ticket === key).map((d) => d.event.revision)
      const newest = revisions.reduce((a, b) => (compareRevision(a, b) >= 0 ? a : b))
      expect(t.revision).toBe(newest)
      expect(t.values["ticket_id"]).toBe(t.ticketId)
      expect(typeof t.values["subject"]).toBe("string")
    }
  })

  it("delivers some events after a newer revision of their ticket (out of order and late)", () => {
    expect(storm.stats.swapped).toBeGreaterThan(0)
    expect(storm.stats.late).toBeGreaterThan(0)
    let inversions = 0
    const newestSeen = new Map<string, string>()
    for (const d of storm.deliveries.filter((x) => x.copy === "original")) {
      const seen = newestSeen.get(d.ticket)
      if (seen !== undefined && compareRevision(d.event.revision, seen) < 0) inversions++
      else newestSeen.set(d.ticket, d.event.revision)
    }
    expect(inversions).toBeGreaterThanOrEqual(storm.stats.swapped)
    const late = storm.deliveries.filter((d) => d.late && d.copy === "original")
    const firstLate = Math.min(...late.map((d) => d.index))
    expect(
      storm.deliveries
        .slice(firstLate)
        .filter((d) => d.copy === "original")
        .every((d) => d.late)
    ).toBe(true)
  })

  it("mixes the vendors, and each delivery passes its adapter's authenticity check when signed", () => {
    expect(Object.keys(storm.stats.bySource).sort()).toEqual(["generic", "github", "jira", "servicenow", "zendesk"])
    const now = new Date()
    for (const d of storm.deliveries.slice(0, 60)) {
      const adapter = adapters[d.source as keyof typeof adapters]
      const req = { headers: signedHeaders(storm, d, now), rawBody: Buffer.from(d.body), receivedAt: now }
      expect(Either.isRight(adapter.verify(req, storm.credentials[d.source]!))).toBe(true)
      // Body signatures break when the body changes (ServiceNow authenticates with Basic auth, not a signature).
      if (storm.credentials[d.source]!.secret === undefined) continue
      const tampered = { ...req, rawBody: Buffer.from(`${d.body} `) }
      expect(Either.isLeft(adapter.verify(tampered, storm.credentials[d.source]!))).toBe(true)
    }
    expect(Object.keys(storm.serviceEnv).sort()).toEqual([
      "WEBHOOK_BASIC_AUTH_SERVICENOW",
      "WEBHOOK_SECRET_GENERIC",
      "WEBHOOK_SECRET_GITHUB",
      "WEBHOOK_SECRET_JIRA",
      "WEBHOOK_SECRET_ZENDESK"
    ])
  })

  it("honours zero shares: no duplicates, no reordering", () => {
    const calm = generateStorm({
      tickets: 10,
      events: 50,
      duplicateShare: 0,
      outOfOrderShare: 0,
      staleShare: 0,
      vendors: ["generic"]
    })
    expect(calm.deliveries).toHaveLength(50)
    const last = new Map<string, string>()
    for (const d of calm.deliveries) {
      const prev = last.get(d.ticket)
      if (prev !== undefined) expect(compareRevision(prev, d.event.revision)).toBeLessThan(0)
      last.set(d.ticket, d.event.revision)
    }
  })

  it("refuses bad options, naming the option", () => {
    expect(() => checkStormOptions({ tickets: 0, events: 10 })).toThrow(/tickets/)
    expect(() => checkStormOptions({ tickets: 10, events: 5 })).toThrow(/events/)
    expect(() => checkStormOptions({ tickets: 10, events: 10, duplicateShare: 1.5 })).toThrow(/duplicateShare/)
    expect(() => checkStormOptions({ tickets: 10, events: 10, vendors: ["nope"] })).toThrow(
      /vendors: unknown vendor "nope"/
    )
    expect(() => generateStorm({ tickets: 2, events: 2, prefix: "Bad Prefix" })).toThrow(/prefix/)
  })

  it("property: every ticket's truth is its newest delivered revision, whatever the sizes and shares", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (tickets, extra, seed, dup, ooo) => {
          const s = generateStorm({
            tickets,
            events: tickets + extra,
            seed,
            duplicateShare: dup,
            outOfOrderShare: ooo,
            baseTime: 1_700_000_000_000
          })
          expect(s.truth.size).toBe(tickets)
          expect(s.deliveries.filter((d) => d.copy === "original")).toHaveLength(tickets + extra)
          for (const [key, t] of s.truth) {
            for (const d of s.deliveries)
              if (d.ticket === key) expect(compareRevision(d.event.revision, t.revision)).toBeLessThanOrEqual(0)
          }
        }
      ),
      { numRuns: 30 }
    )
  })
})
