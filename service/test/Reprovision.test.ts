/**
 * Statuses and worktypes re-provisioned under the service (a status replaced by `pulumi up`, the service pointed at
 * a new worktype): linked tickets keep syncing, none is dead-lettered. Driven through the official SDK against the
 * emulator.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Writable } from "node:stream"
import { sign } from "@workbridge/adapters"
import { defaultCatalog } from "@workbridge/catalog"
import { afterEach, describe, expect, it } from "vitest"
import { loadConfig } from "../src/config/Config.js"
import { provision } from "@workbridge/genesys"
import { type RunningService, startService } from "../src/Service.js"
import {
  adminApi,
  baseEnv,
  genericBody,
  type GenericTicket,
  type Harness,
  revisionPrefix,
  startEmulatorAndProvision,
  startHarness,
  TEST_SECRET
} from "../src/testing/harness.js"
import type { TicketSyncStatus } from "../src/sync/TicketStatus.js"

type Any = Record<string, unknown>
const body = (r: unknown): Any => ((r as { body?: unknown }).body ?? r) as Any
const entities = (r: unknown): Array<Any> => (body(r)["entities"] as Array<Any> | undefined) ?? []

const atRev = (rev: number) => (s: TicketSyncStatus) =>
  s.pendingEvents === 0 && ((s.appliedRevision ?? "").startsWith(revisionPrefix(rev)) || s.lastError !== undefined)

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f()
})

describe("statuses re-provisioned under a running service", () => {
  it("a replaced status (new id, same name) and a recorded status that no longer exists cause no dead letter", async () => {
    const h: Harness = await startHarness()
    cleanups.push(() => h.close())
    const typeId = h.provisioned.worktypeId
    let ids: Record<string, string> = { ...h.provisioned.statusIds }
    const destinations = (name: string) => defaultCatalog.statuses.find((s) => s.name === name)!.destinations
    const idsOf = (names: ReadonlyArray<string>, map: Readonly<Record<string, string>>) => names.map((n) => map[n]!)
    /** What a re-provisioning does to replace a status: unname it as a destination, delete it, create it again, name it again. */
    const replaceStatus = async (replaced: string) => {
      const category = defaultCatalog.statuses.find((s) => s.name === replaced)!.category
      const referrers = defaultCatalog.statuses
        .filter((s) => s.name !== replaced && s.destinations.includes(replaced))
        .map((s) => s.name)
      for (const name of referrers) {
        await h.admin.patchTaskmanagementWorktypeStatus(typeId, ids[name]!, {
          destinationStatusIds: idsOf(
            destinations(name).filter((d) => d !== replaced),
            ids
          )
        } as never)
      }
      await h.admin.deleteTaskmanagementWorktypeStatus(typeId, ids[replaced]!)
      const created = body(
        await h.admin.postTaskmanagementWorktypeStatuses(typeId, {
          name: replaced,
          category,
          destinationStatusIds: idsOf(destinations(replaced), ids)
        } as never)
      )
      const before = ids[replaced]
      ids = { ...ids, [replaced]: String(created["id"]) }
      expect(ids[replaced]).not.toBe(before)
      for (const name of referrers) {
        await h.admin.patchTaskmanagementWorktypeStatus(typeId, ids[name]!, {
          destinationStatusIds: idsOf(destinations(name), ids)
        } as never)
      }
    }

    // R-1 ends in Waiting (the link records the Waiting id); R-2 stays Open.
    await h.post(genericBody({ ticketId: "R-1", rev: 1 }))
    await h.post(genericBody({ ticketId: "R-2", rev: 1 }))
    const r1 = await h.waitFor("R-1", atRev(1))
    await h.waitFor("R-2", atRev(1))
    await h.post(genericBody({ ticketId: "R-1", rev: 2, fields: { status: "waiting" } }))
    expect((await h.waitFor("R-1", atRev(2))).lastError).toBeUndefined()

    // Someone moves R-1 on in Genesys, then the Waiting status is replaced.
    await h.admin.patchTaskmanagementWorkitem(r1.workitemId!, { statusId: ids["In Progress"] } as never)
    await replaceStatus("Waiting")

    // R-2 goes to the replaced status (its link's Open is still current): the engine learns the new id.
    await h.post(genericBody({ ticketId: "R-2", rev: 2, fields: { status: "waiting" } }))
    const s2 = await h.waitFor("R-2", atRev(2))
    expect(s2.lastError).toBeUndefined()
    expect(s2.appliedRevision).toMatch(new RegExp(`^${revisionPrefix(2)}`))
    expect((await h.getWorkitem(s2.workitemId!)).status?.id).toBe(ids["Waiting"])

    // R-1's recorded status no longer exists: the engine reads where the workitem really is and walks from there.
    await h.post(genericBody({ ticketId: "R-1", rev: 3, fields: { status: "solved" } }))
    const s1 = await h.waitFor("R-1", atRev(3))
    expect(s1.lastError).toBeUndefined()
    expect(s1.appliedRevision).toMatch(new RegExp(`^${revisionPrefix(3)}`))
    expect((await h.getWorkitem(s1.workitemId!)).status?.id).toBe(ids["Resolved"])

    // And on from the replaced status, with the link recording its new id.
    await h.post(genericBody({ ticketId: "R-2", rev: 3, fields: { status: "in progress" } }))
    expect((await h.waitFor("R-2", atRev(3))).lastError).toBeUndefined()
    expect((await h.getWorkitem(s2.workitemId!)).status?.id).toBe(ids["In Progress"])

    // A new ticket created straight into a status replaced since: the create learns the new id too.
    await replaceStatus("Closed")
    await h.post(genericBody({ ticketId: "R-3", rev: 1, fields: { status: "closed" } }))
    const s3 = await h.waitFor("R-3", atRev(1))
    expect(s3.lastError).toBeUndefined()
    expect((await h.getWorkitem(s3.workitemId!)).status?.id).toBe(ids["Closed"])
    expect(await h.workitemsOf("R-3")).toHaveLength(1)

    expect(await deadLetterTotal(h.service)).toBe(0)
  }, 60_000)
})

const deadLetterTotal = async (service: RunningService): Promise<number> => {
  const res = await fetch(`${service.url}/dead-letters`)
  return ((await res.json()) as { total: number }).total
}

describe("the service pointed at another worktype, with the links of the old one", () => {
  it("says how many links point elsewhere once at start, and creates those tickets afresh in the new worktype", async () => {
    const { emulator, provisioned } = await startEmulatorAndProvision()
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "wb-reprov-"))
    cleanups.push(async () => {
      await emulator.close()
      fs.rmSync(dataDir, { recursive: true, force: true })
    })
    const admin = await adminApi(emulator)
    const lines: Array<string> = []
    const logs = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(
          ...chunk
            .toString("utf8")
            .split("\n")
            .filter((l) => l !== "")
        )
        cb()
      }
    })
    const run = async (worktypeId: string) => {
      const service = await startService(
        loadConfig({
          ...baseEnv(emulator, provisioned, dataDir),
          WORKBRIDGE_WORKTYPE_ID: worktypeId,
          LOG_LEVEL: "info"
        }),
        {
          print: () => undefined,
          logDestination: logs
        }
      )
      const post = async (t: GenericTicket) => {
        const raw = Buffer.from(JSON.stringify(genericBody(t)), "utf8")
        const res = await fetch(`${service.url}/webhooks/generic`, {
          method: "POST",
          headers: sign("generic", raw, { secret: TEST_SECRET }, new Date()),
          body: raw
        })
        expect(res.status).toBe(202)
      }
      const waitFor = async (ticketId: string, rev: number) => {
        let last: TicketSyncStatus | undefined
        for (let i = 0; i < 400; i++) {
          const res = await fetch(`${service.url}/tickets/generic/${ticketId}`)
          last = res.status === 200 ? ((await res.json()) as TicketSyncStatus) : undefined
          if (last !== undefined && atRev(rev)(last)) return last
          await new Promise((r) => setTimeout(r, 50))
        }
        throw new Error(`${ticketId} did not settle: ${JSON.stringify(last)}`)
      }
      return { service, post, waitFor }
    }
    const workitemsIn = async (typeId: string, ticketId: string) =>
      entities(
        await admin.postTaskmanagementWorkitemsQuery({
          filters: [
            { name: "typeId", type: "String", operator: "EQ", values: [typeId] },
            { name: "customFields.ticket_id_identifier", type: "String", operator: "EQ", values: [ticketId] }
          ],
          pageSize: 200
        } as never)
      )

    const old = await run(provisioned.worktypeId)
    await old.post({ ticketId: "M-1", rev: 1 })
    await old.post({ ticketId: "M-2", rev: 1 })
    await old.waitFor("M-1", 1)
    const m2 = await old.waitFor("M-2", 1)
    await old.post({ ticketId: "M-2", rev: 2, fields: { status: "in progress" } })
    await old.waitFor("M-2", 2)
    await old.service.close()
    expect(lines.some((l) => l.includes("another worktype"))).toBe(false)

    // A new worktype (its own statuses); the old one keeps its workitems.
    const next = await provision({
      gatewayUrl: emulator.url,
      clientId: emulator.adminClientId,
      clientSecret: emulator.adminClientSecret,
      catalog: defaultCatalog,
      worktypeName: "Workbridge ticket v2"
    })
    expect(next.worktypeId).not.toBe(provisioned.worktypeId)
    const now = await run(next.worktypeId)
    cleanups.push(() => now.service.close())
    const notes = lines.filter((l) => l.includes("another worktype")).map((l) => JSON.parse(l) as Any)
    expect(notes).toHaveLength(1)
    expect(notes[0]!["count"]).toBe(2)
    expect(notes[0]!["worktypeId"]).toBe(next.worktypeId)

    await now.post({ ticketId: "M-2", rev: 3, fields: { status: "waiting" } })
    const s = await now.waitFor("M-2", 3)
    expect(s.lastError).toBeUndefined()
    expect(s.workitemId).not.toBe(m2.workitemId)
    const fresh = await workitemsIn(next.worktypeId, "M-2")
    expect(fresh.map((w) => w["id"])).toEqual([s.workitemId])
    expect((fresh[0]!["status"] as Any)["id"]).toBe(next.statusIds["Waiting"])
    // The old worktype's workitem was not written to.
    const kept = await workitemsIn(provisioned.worktypeId, "M-2")
    expect(kept.map((w) => w["id"])).toEqual([m2.workitemId])
    expect((kept[0]!["status"] as Any)["id"]).toBe(provisioned.statusIds["In Progress"])
    expect(await deadLetterTotal(now.service)).toBe(0)

    // Once linked in the new worktype, the ticket is updated there as usual.
    await now.post({ ticketId: "M-2", rev: 4, fields: { status: "solved" } })
    const s4 = await now.waitFor("M-2", 4)
    expect(s4.lastError).toBeUndefined()
    expect(s4.workitemId).toBe(s.workitemId)
    expect(await deadLetterTotal(now.service)).toBe(0)
  }, 60_000)
})
