/** End to end through the SDK against the emulator: create, update, close, duplicates, ordering, bursts. */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { genericBody, type Harness, revisionPrefix, startHarness } from "./testing/harness.js"

let h: Harness
beforeAll(async () => {
  h = await startHarness()
})
afterAll(async () => {
  await h?.close()
})

const atRev = (rev: number) => (s: { appliedRevision?: string; pendingEvents: number }) =>
  s.pendingEvents === 0 && (s.appliedRevision ?? "").startsWith(revisionPrefix(rev))

const statusName = (id: string | undefined) => Object.entries(h.provisioned.statusIds).find(([, v]) => v === id)?.[0]

describe("sync end to end", () => {
  it("creates, updates and closes a workitem, writing the applied revision into it", async () => {
    const t = "E2E-1"
    expect((await h.post(genericBody({ ticketId: t, rev: 1, fields: { description: "first" } }))).status).toBe(202)
    const created = await h.waitFor(t, atRev(1))
    let w = await h.getWorkitem(created.workitemId!)
    expect(w.name).toBe(`Ticket ${t} at revision 1`)
    expect(statusName(w.status?.id)).toBe("Open")
    expect(w.customFields?.["source_revision_text"]).toBe(created.appliedRevision)

    await h.post(genericBody({ ticketId: t, rev: 2, fields: { status: "in progress", priority: "urgent", description: "second" } }))
    await h.waitFor(t, atRev(2))
    w = await h.getWorkitem(created.workitemId!)
    expect(statusName(w.status?.id)).toBe("In Progress")
    expect(w["description"]).toBe("second")

    await h.post(genericBody({ ticketId: t, rev: 3, fields: { status: "closed", description: "second" } }))
    const closed = await h.waitFor(t, atRev(3))
    w = await h.getWorkitem(created.workitemId!)
    expect(statusName(w.status?.id)).toBe("Closed")
    expect(closed.workitemId).toBe(created.workitemId)
    expect(await h.workitemsOf(t)).toHaveLength(1)
  })

  it("acknowledges a re-delivered event without storing it twice", async () => {
    const t = "E2E-DUP"
    const first = await h.post(genericBody({ ticketId: t, rev: 1 }))
    const again = await h.post(genericBody({ ticketId: t, rev: 1 }))
    expect(first.status).toBe(202)
    expect(first.json["status"]).toBe("accepted")
    expect(again.status).toBe(202)
    expect(again.json["status"]).toBe("duplicate")
    await h.waitFor(t, atRev(1))
    expect(await h.workitemsOf(t)).toHaveLength(1)
  })

  it("applies out-of-order deliveries to the newest revision, and never lets a stale event overwrite it", async () => {
    const t = "E2E-ORDER"
    await h.post(genericBody({ ticketId: t, rev: 5, fields: { subject: "newest subject" } }))
    await h.post(genericBody({ ticketId: t, rev: 3, fields: { subject: "older subject" } }))
    await h.post(genericBody({ ticketId: t, rev: 4, fields: { subject: "old subject" } }))
    const s = await h.waitFor(t, atRev(5))
    // a stale event after the newer one was applied
    const stale = await h.post(genericBody({ ticketId: t, rev: 2, fields: { subject: "stale subject" } }))
    expect(stale.status).toBe(202)
    await h.waitFor(t, (x) => x.pendingEvents === 0)
    const after = await h.waitFor(t, atRev(5))
    const w = await h.getWorkitem(s.workitemId!)
    expect(w.name).toBe("newest subject")
    expect(after.appliedRevision).toBe(s.appliedRevision)
    expect(await h.workitemsOf(t)).toHaveLength(1)
    const counts = await h.service.links.outcomeCounts.pipe((e) => import("effect").then(({ Effect }) => Effect.runPromise(e)))
    expect(counts.superseded).toBeGreaterThanOrEqual(1)
  })

  it("sends only the changed fields (plus the revision) in a PATCH", async () => {
    const t = "E2E-MIN"
    await h.post(genericBody({ ticketId: t, rev: 1, fields: { description: "unchanged", requester: "a@example.com" } }))
    const s = await h.waitFor(t, atRev(1))
    const before = await h.getWorkitem(s.workitemId!)
    await h.post(genericBody({ ticketId: t, rev: 2, fields: { description: "unchanged", requester: "b@example.com" } }))
    await h.waitFor(t, atRev(2))
    const after = await h.getWorkitem(s.workitemId!)
    expect(after.customFields?.["requester_text"]).toBe("b@example.com")
    expect(after["description"]).toBe(before["description"])
    expect(after.customFields?.["source_revision_text"]).not.toBe(before.customFields?.["source_revision_text"])
  })

  it("dead-letters an invalid ticket with every reason and the original payload; the ticket reports the error", async () => {
    const t = "E2E-BAD"
    await h.post(genericBody({ ticketId: t, rev: 1, fields: { priority: "whenever", due_at: "not a date", subject: null } }))
    const s = await h.waitFor(t, (x) => x.pendingEvents === 0 && x.lastError !== undefined)
    expect(s.workitemId).toBeUndefined()
    expect(s.lastError).toContain("Invalid")
    const res = await fetch(`${h.service.url}/dead-letters`)
    const list = ((await res.json()) as { deadLetters: Array<{ ticketId: string; reason: string; details: Array<string>; event: { fields: Record<string, unknown> } }> }).deadLetters
    const letter = list.find((d) => d.ticketId === t)!
    expect(letter.reason).toBe("Invalid")
    expect(letter.details.length).toBeGreaterThanOrEqual(2)
    expect(letter.event.fields["priority"]).toBe("whenever")
    expect(await h.workitemsOf(t)).toHaveLength(0)
  })
})

describe("bursts", () => {
  // A 1 s coalescing window: the 50 deliveries arrive well within a few windows even on a loaded machine.
  let b: Harness
  beforeAll(async () => {
    b = await startHarness({ WORKBRIDGE_COALESCE_MS: "1000" })
  })
  afterAll(async () => {
    await b?.close()
  })

  it("coalesces a burst of 50 updates to one ticket into far fewer PATCHes, ending at the newest revision", async () => {
    const t = "E2E-BURST"
    await b.post(genericBody({ ticketId: t, rev: 1 }))
    const first = await b.waitFor(t, atRev(1))
    b.emulator.clearRequests()
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => b.post(genericBody({ ticketId: t, rev: i + 2, fields: { subject: `burst ${i + 2}` } })))
    )
    await b.waitFor(t, atRev(51))
    const patches = b.emulator.requests().filter((r) => r.method === "PATCH" && r.path.endsWith(first.workitemId!))
    expect(patches.length).toBeGreaterThan(0)
    expect(patches.length).toBeLessThanOrEqual(10)
    const w = await b.getWorkitem(first.workitemId!)
    expect(w.name).toBe("burst 51")
    expect(await b.workitemsOf(t)).toHaveLength(1)
  })
})
