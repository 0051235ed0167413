/** End to end through the SDK against the emulator: create, update, close, duplicates, ordering, minimal PATCHes, bursts. */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { sign } from "@workbridge/adapters"
import type { Emulator } from "@workbridge/genesys-emulator"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { loadConfig } from "../src/config/Config.js"
import type { GenesysService, Workitem } from "@workbridge/genesys"
import { type RunningService, startService } from "../src/Service.js"
import {
  adminApi,
  baseEnv,
  genericBody,
  type Harness,
  revisionPrefix,
  startEmulatorAndProvision,
  startHarness,
  TEST_SECRET
} from "../src/testing/harness.js"
import type { TicketSyncStatus } from "../src/sync/TicketStatus.js"

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

    await h.post(
      genericBody({ ticketId: t, rev: 2, fields: { status: "in progress", priority: "urgent", description: "second" } })
    )
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
    const counts = await h.service.links.outcomeCounts.pipe((e) =>
      import("effect").then(({ Effect }) => Effect.runPromise(e))
    )
    expect(counts.superseded).toBeGreaterThanOrEqual(1)
  })

  it("dead-letters an invalid ticket with every reason and the original payload; the ticket reports the error", async () => {
    const t = "E2E-BAD"
    await h.post(
      genericBody({ ticketId: t, rev: 1, fields: { priority: "whenever", due_at: "not a date", subject: null } })
    )
    const s = await h.waitFor(t, (x) => x.pendingEvents === 0 && x.lastError !== undefined)
    expect(s.workitemId).toBeUndefined()
    expect(s.lastError).toContain("Invalid")
    const res = await fetch(`${h.service.url}/dead-letters`)
    const list = (
      (await res.json()) as {
        deadLetters: Array<{
          ticketId: string
          reason: string
          details: Array<string>
          event: { fields: Record<string, unknown> }
        }>
      }
    ).deadLetters
    const letter = list.find((d) => d.ticketId === t)!
    expect(letter.reason).toBe("Invalid")
    expect(letter.details.length).toBeGreaterThanOrEqual(2)
    expect(letter.event.fields["priority"]).toBe("whenever")
    expect(await h.workitemsOf(t)).toHaveLength(0)
  })
})

describe("minimal PATCH", () => {
  // A service whose Genesys client records every PATCH body the engine sends (then sends it to the emulator).
  const sent: Array<{ readonly workitemId: string; readonly body: Record<string, unknown> }> = []
  let emulator: Emulator
  let service: RunningService
  let dataDir: string
  beforeAll(async () => {
    const started = await startEmulatorAndProvision()
    emulator = started.emulator
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "wb-min-"))
    const record = (g: GenesysService): GenesysService => ({
      ...g,
      updateWorkitem: (workitemId, body) =>
        Effect.zipRight(
          Effect.sync(() => sent.push({ workitemId, body: structuredClone(body) as Record<string, unknown> })),
          g.updateWorkitem(workitemId, body)
        )
    })
    service = await startService(loadConfig(baseEnv(emulator, started.provisioned, dataDir)), {
      print: () => undefined,
      decorateGenesys: record
    })
  })
  afterAll(async () => {
    await service?.close()
    await emulator?.close()
    if (dataDir !== undefined) fs.rmSync(dataDir, { recursive: true, force: true })
  })

  const post = async (body: unknown) => {
    const raw = Buffer.from(JSON.stringify(body), "utf8")
    const res = await fetch(`${service.url}/webhooks/generic`, {
      method: "POST",
      headers: sign("generic", raw, { secret: TEST_SECRET }, new Date()),
      body: raw
    })
    expect(res.status).toBe(202)
  }
  const waitForRev = async (ticketId: string, rev: number): Promise<TicketSyncStatus> => {
    const deadline = Date.now() + 20_000
    let last: unknown
    while (Date.now() < deadline) {
      const res = await fetch(`${service.url}/tickets/generic/${ticketId}`)
      if (res.status === 200) {
        const s = (await res.json()) as TicketSyncStatus
        last = s
        if (atRev(rev)(s)) return s
      }
      await new Promise((r) => setTimeout(r, 50))
    }
    throw new Error(`ticket ${ticketId} did not reach revision ${rev}; last status: ${JSON.stringify(last)}`)
  }

  it("sends only the changed fields plus the revision and sync time: a requester change PATCHes exactly those custom fields", async () => {
    const t = "E2E-MIN"
    // The same subject at both revisions (the default one names the revision): only the requester changes.
    const same = { subject: "Printer on fire", description: "unchanged" }
    await post(genericBody({ ticketId: t, rev: 1, fields: { ...same, requester: "a@example.com" } }))
    const s = await waitForRev(t, 1)
    expect(sent.filter((x) => x.workitemId === s.workitemId)).toEqual([]) // created, not patched
    await post(genericBody({ ticketId: t, rev: 2, fields: { ...same, requester: "b@example.com" } }))
    const after = await waitForRev(t, 2)

    const patches = sent.filter((x) => x.workitemId === s.workitemId)
    expect(patches).toHaveLength(1)
    const body = patches[0]!.body
    expect(Object.keys(body)).toEqual(["customFields"])
    const custom = body["customFields"] as Record<string, unknown>
    expect(Object.keys(custom).sort()).toEqual(["last_synced_datetime", "requester_text", "source_revision_text"])
    expect(custom["requester_text"]).toBe("b@example.com")
    expect(custom["source_revision_text"]).toBe(after.appliedRevision)

    // And Genesys holds the change, the unchanged description untouched.
    const admin = await adminApi(emulator)
    const r = (await admin.getTaskmanagementWorkitem(s.workitemId!)) as unknown as { body: Workitem }
    expect(r.body.customFields?.["requester_text"]).toBe("b@example.com")
    expect(r.body["description"]).toBe("unchanged")
    expect(r.body.name).toBe("Printer on fire")
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
      Array.from({ length: 50 }, (_, i) =>
        b.post(genericBody({ ticketId: t, rev: i + 2, fields: { subject: `burst ${i + 2}` } }))
      )
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
