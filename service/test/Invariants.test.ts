/**
 * The four invariants under generated delivery orders: duplicates, reordering and interleaving of several
 * tickets, posted concurrently to a service on the emulator.
 */
import { Effect } from "effect"
import fc from "fast-check"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { genericBody, type Harness, revisionPrefix, startHarness } from "../src/testing/harness.js"

let h: Harness
beforeAll(async () => {
  h = await startHarness({ WORKBRIDGE_COALESCE_MS: "50" })
})
afterAll(async () => {
  await h?.close()
})

let run = 0

describe("invariants", () => {
  it("one workitem per ticket, at its newest revision; every accepted event applied or superseded; no 429", async () => {
    const delivery = fc.record({ ticket: fc.integer({ min: 0, max: 2 }), rev: fc.integer({ min: 1, max: 8 }) })
    await fc.assert(
      fc.asyncProperty(fc.array(delivery, { minLength: 1, maxLength: 25 }), async (deliveries) => {
        run++
        const id = (t: number) => `INV-${run}-${t}`
        const before = await Effect.runPromise(h.service.links.outcomeCounts)
        const answers = await Promise.all(
          deliveries.map((d) =>
            h.post(genericBody({ ticketId: id(d.ticket), rev: d.rev, fields: { subject: `subject ${d.rev}` } }))
          )
        )
        expect(answers.every((a) => a.status === 202)).toBe(true)
        const accepted = answers.filter((a) => a.json["status"] === "accepted").length
        const distinct = new Set(deliveries.map((d) => `${d.ticket}:${d.rev}`)).size
        expect(accepted).toBe(distinct)

        for (const t of new Set(deliveries.map((d) => d.ticket))) {
          const newest = Math.max(...deliveries.filter((d) => d.ticket === t).map((d) => d.rev))
          const s = await h.waitFor(
            id(t),
            (x) => x.pendingEvents === 0 && (x.appliedRevision ?? "").startsWith(revisionPrefix(newest))
          )
          const items = await h.workitemsOf(id(t))
          expect(items.map((w) => w.id)).toEqual([s.workitemId])
          expect(items[0]!.name).toBe(`subject ${newest}`)
        }
        const after = await Effect.runPromise(h.service.links.outcomeCounts)
        const recorded =
          after.applied + after.superseded + after.dead - (before.applied + before.superseded + before.dead)
        expect(recorded).toBe(accepted)
        expect(after.dead).toBe(before.dead)
      }),
      { numRuns: 6 }
    )
    expect(h.emulator.stats().rateLimited).toBe(0)
  }, 120_000)
})
