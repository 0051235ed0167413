/** The behaviour every link store adapter must have; `makeLayer` gives a fresh, empty store per test. */
import { Effect, type Layer } from "effect"
import { describe, expect, it } from "vitest"
import type { Link } from "../domain/records.js"
import { LinkStore } from "../links/LinkStore.js"
import { testEvent } from "./events.js"

const link = (rev: string, workitemId = "w-1"): Link => ({
  workitemId,
  appliedRevision: rev,
  appliedValues: { subject: `s ${rev}` },
  statusId: "st-1",
  appliedAt: "2026-01-01T00:00:00.000Z"
})

export const linkStoreContract = (name: string, makeLayer: () => Layer.Layer<LinkStore, unknown>) =>
  describe(`LinkStore contract: ${name}`, () => {
    const run = <A, E>(f: Effect.Effect<A, E, LinkStore>) =>
      Effect.runPromise(Effect.scoped(Effect.provide(f, makeLayer())))
    const key = { source: "generic", ticketId: "T-1" }

    it("compare-and-set writes only over the expected applied revision", async () => {
      const r = await run(
        Effect.gen(function* () {
          const s = yield* LinkStore
          const missing = yield* s.get(key)
          const first = yield* s.compareAndSet(key, undefined, link("r1"))
          const stale = yield* s.compareAndSet(key, undefined, link("r9", "w-dup"))
          const second = yield* s.compareAndSet(key, "r1", link("r2"))
          const wrong = yield* s.compareAndSet(key, "r1", link("r3"))
          return { missing, first, stale, second, wrong, now: yield* s.get(key) }
        })
      )
      expect(r.missing).toBeUndefined()
      expect([r.first, r.stale, r.second, r.wrong]).toEqual([true, false, true, false])
      expect(r.now).toEqual(link("r2"))
    })

    it("keeps the applied change's time and the write-back state", async () => {
      const writeBack = {
        status: "solved",
        value: "solved",
        lastWrittenAt: "2026-01-02T00:00:00.000Z",
        eventAt: "2026-01-02T00:00:00.000Z",
        outcome: "written",
        lastError: "zendesk: PUT /api/v2/tickets/{id}.json: 503 down",
        pending: true
      }
      const r = await run(
        Effect.gen(function* () {
          const s = yield* LinkStore
          yield* s.compareAndSet(key, undefined, { ...link("r1"), occurredAt: "2026-01-01T00:00:00.000Z" })
          const first = yield* s.get(key)
          // The write-back records its state over the same applied revision.
          const moved = yield* s.compareAndSet(key, "r1", { ...first!, writeBack })
          const withState = yield* s.get(key)
          yield* s.compareAndSet(key, "r1", link("r2"))
          return { first, moved, withState, cleared: yield* s.get(key) }
        })
      )
      expect(r.first).toEqual({ ...link("r1"), occurredAt: "2026-01-01T00:00:00.000Z" })
      expect(r.moved).toBe(true)
      expect(r.withState).toEqual({ ...link("r1"), occurredAt: "2026-01-01T00:00:00.000Z", writeBack })
      expect(r.cleared).toEqual(link("r2"))
    })

    it("keeps the worktype a link belongs to and counts the links of other worktypes", async () => {
      const r = await run(
        Effect.gen(function* () {
          const s = yield* LinkStore
          const other = { source: "generic", ticketId: "T-2" }
          const legacy = { source: "generic", ticketId: "T-3" }
          yield* s.compareAndSet(key, undefined, { ...link("r1"), typeId: "type-a" })
          yield* s.compareAndSet(other, undefined, { ...link("r1", "w-2"), typeId: "type-b" })
          yield* s.compareAndSet(legacy, undefined, link("r1", "w-3"))
          const before = {
            a: yield* s.countOtherWorktype("type-a"),
            b: yield* s.countOtherWorktype("type-b"),
            c: yield* s.countOtherWorktype("type-c")
          }
          // Relinked in the other worktype: no longer counted against it.
          yield* s.compareAndSet(key, "r1", { ...link("r2", "w-9"), typeId: "type-b" })
          return {
            before,
            after: yield* s.countOtherWorktype("type-b"),
            moved: yield* s.get(key),
            legacyLink: yield* s.get(legacy)
          }
        })
      )
      expect(r.before).toEqual({ a: 1, b: 1, c: 2 })
      expect(r.after).toBe(0)
      expect(r.moved).toEqual({ ...link("r2", "w-9"), typeId: "type-b" })
      expect(r.legacyLink).toEqual(link("r1", "w-3"))
      expect(r.legacyLink).not.toHaveProperty("typeId")
    })

    it("keeps an update intent with its link until a link without one replaces it", async () => {
      const intent = {
        revision: "r3",
        values: [
          { subject: "s r2", priority: "high" },
          { subject: "s r3", tags: ["a", "b"] }
        ]
      }
      const r = await run(
        Effect.gen(function* () {
          const s = yield* LinkStore
          yield* s.compareAndSet(key, undefined, link("r1"))
          const recorded = yield* s.compareAndSet(key, "r1", { ...link("r1"), updateIntent: intent })
          const withIntent = yield* s.get(key)
          const stale = yield* s.compareAndSet(key, "r0", link("r4"))
          const afterStale = yield* s.get(key)
          const written = yield* s.compareAndSet(key, "r1", link("r3"))
          return { recorded, withIntent, stale, afterStale, written, now: yield* s.get(key) }
        })
      )
      expect(r.recorded).toBe(true)
      expect(r.withIntent).toEqual({ ...link("r1"), updateIntent: intent })
      expect(r.stale).toBe(false)
      expect(r.afterStale?.updateIntent).toEqual(intent)
      expect(r.written).toBe(true)
      expect(r.now).toEqual(link("r3"))
    })

    it("records the first outcome of each delivery", async () => {
      const counts = await run(
        Effect.gen(function* () {
          const s = yield* LinkStore
          yield* s.recordOutcomes(key, [
            { deliveryKey: "d1", revision: "r1", outcome: "superseded" },
            { deliveryKey: "d2", revision: "r2", outcome: "applied" }
          ])
          yield* s.recordOutcomes(key, [{ deliveryKey: "d2", revision: "r2", outcome: "superseded" }])
          return yield* s.outcomeCounts
        })
      )
      expect(counts).toEqual({ applied: 1, superseded: 1, dead: 0 })
    })

    it("keeps dead letters with their reason and event, sets and clears the ticket's last error", async () => {
      const r = await run(
        Effect.gen(function* () {
          const s = yield* LinkStore
          const event = testEvent({ ticketId: "T-1", rev: 4 })
          const d = yield* s.addDeadLetter({
            source: key.source,
            ticketId: key.ticketId,
            revision: event.revision,
            reason: "Invalid",
            details: ["priority: not in vocabulary", "subject: required"],
            event
          })
          const got = yield* s.getDeadLetter(d.id)
          const list = yield* s.listDeadLetters()
          const err = yield* s.lastError(key)
          yield* s.clearError(key)
          const cleared = yield* s.lastError(key)
          const count = yield* s.deadLetterCount
          yield* s.removeDeadLetter(d.id)
          const missing = yield* Effect.either(s.getDeadLetter(d.id))
          const removeAgain = yield* Effect.either(s.removeDeadLetter(d.id))
          return { d, got, list, err, cleared, count, missing, removeAgain, after: yield* s.deadLetterCount }
        })
      )
      expect(r.got).toEqual(r.d)
      expect(r.got.details).toHaveLength(2)
      expect(r.list.map((x) => x.id)).toEqual([r.d.id])
      expect(r.err).toContain("Invalid")
      expect(r.cleared).toBeUndefined()
      expect(r.count).toBe(1)
      expect(r.after).toBe(0)
      expect(r.missing._tag === "Left" ? r.missing.left._tag : "none").toBe("DeadLetterNotFound")
      expect(r.removeAgain._tag === "Left" ? r.removeAgain.left._tag : "none").toBe("DeadLetterNotFound")
    })
  })
