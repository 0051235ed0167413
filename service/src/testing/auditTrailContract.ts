/**
 * The behaviour every audit trail adapter must have. `make` gives a fresh, empty trail keeping at most
 * `perTicket` entries per ticket; `expired` tells whether a ticket's entries are gone after the retention.
 */
import { Effect, type Layer } from "effect"
import { describe, expect, it } from "vitest"
import { type AuditEntry, AuditTrail, auditedInbox, type AuditTrailService } from "../observability/AuditTrail.js"
import type { InboxService } from "../inbox/Inbox.js"
import { testEvent } from "./events.js"

const start = Date.now() - 60_000
const entry = (i: number, kind: AuditEntry["kind"] = "call"): AuditEntry => ({
  at: new Date(start + i * 1000).toISOString(),
  kind,
  operation: "updateWorkitem",
  status: 200,
  outcome: "ok",
  latencyMs: i
})

export const auditTrailContract = (
  name: string,
  make: (perTicket: number) => Layer.Layer<AuditTrail, unknown>,
  retention: {
    /**
     * Given the trail right after one entry of `key` was written (and found listed): put it where the retention has
     * passed for that entry, or tell how long the store keeps it.
     */
    readonly check: (audit: AuditTrailService, key: { source: string; ticketId: string }) => Promise<void>
  }
) =>
  describe(`AuditTrail contract: ${name}`, () => {
    const run = <A, E>(perTicket: number, f: Effect.Effect<A, E, AuditTrail>) =>
      Effect.runPromise(Effect.scoped(Effect.provide(f, make(perTicket))))
    const a = { source: "generic", ticketId: "A-1" }
    const b = { source: "generic", ticketId: "B-1" }

    it("lists a ticket's entries oldest first, each ticket apart, buffered entries included", async () => {
      const r = await run(
        50,
        Effect.gen(function* () {
          const t = yield* AuditTrail
          for (let i = 0; i < 5; i++) yield* t.record(a, entry(i))
          yield* t.record(b, entry(9, "applied"))
          return {
            a: yield* t.list(a),
            b: yield* t.list(b),
            none: yield* t.list({ source: "zendesk", ticketId: "A-1" })
          }
        })
      )
      expect(r.a).toEqual([0, 1, 2, 3, 4].map((i) => entry(i)))
      expect(r.b).toEqual([entry(9, "applied")])
      expect(r.none).toEqual([])
    })

    it("keeps only the newest entries of a ticket, and a limit answers the newest", async () => {
      const r = await run(
        3,
        Effect.gen(function* () {
          const t = yield* AuditTrail
          for (let i = 0; i < 4; i++) yield* t.record(a, entry(i))
          yield* t.flush
          for (let i = 4; i < 7; i++) yield* t.record(a, entry(i))
          return { all: yield* t.list(a), two: yield* t.list(a, { limit: 2 }) }
        })
      )
      expect(r.all.map((e) => e.latencyMs)).toEqual([4, 5, 6])
      expect(r.two.map((e) => e.latencyMs)).toEqual([5, 6])
    })

    it("applies the retention", async () => {
      await run(
        10,
        Effect.gen(function* () {
          const t = yield* AuditTrail
          yield* t.record(a, entry(1))
          yield* t.flush
          // Kept until the retention passes.
          expect(yield* t.list(a)).toHaveLength(1)
          yield* Effect.promise(() => retention.check(t, a))
        })
      )
    })

    it("records accepted, duplicate and requeued deliveries through the audited inbox", async () => {
      const event = testEvent({ ticketId: "A-1", rev: 3 })
      let accepts = 0
      const inbox = {
        accept: () =>
          Effect.sync(() =>
            ++accepts === 1 ? { _tag: "Accepted" as const, id: "1" } : { _tag: "Duplicate" as const }
          ),
        requeue: () => Effect.succeed("2")
      } as unknown as InboxService
      const kinds = await run(
        10,
        Effect.gen(function* () {
          const t = yield* AuditTrail
          const audited = auditedInbox(inbox, t)
          yield* audited.accept(event)
          yield* audited.accept(event)
          yield* audited.requeue(event)
          return yield* t.list(event)
        })
      )
      expect(kinds.map((e) => [e.kind, e.revision, e.deliveryKey])).toEqual([
        ["received", event.revision, event.deliveryKey],
        ["duplicate", event.revision, event.deliveryKey],
        ["requeued", event.revision, event.deliveryKey]
      ])
    })
  })
