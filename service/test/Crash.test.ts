/**
 * Crashes: the service runs as a child process and is killed with SIGKILL between accept and apply and
 * between create and link write (the test-only WORKBRIDGE_TEST_CRASH_AT hook), then restarted on the same
 * data directory. The four invariants must hold.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { sign } from "@workbridge/adapters"
import type { Emulator } from "@workbridge/genesys-emulator"
import type platformClient from "purecloud-platform-client-v2"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import type { Provisioned, Workitem } from "@workbridge/genesys"
import { type ServiceProcess, spawnService, stopServices } from "../src/testing/child.js"
import {
  adminApi,
  baseEnv,
  genericBody,
  revisionPrefix,
  startEmulatorAndProvision,
  TEST_SECRET
} from "../src/testing/harness.js"
import type { TicketSyncStatus } from "../src/sync/TicketStatus.js"

let emulator: Emulator
let provisioned: Provisioned
let admin: platformClient.TaskManagementApi
const dirs: Array<string> = []
const running: Array<ServiceProcess> = []

beforeAll(async () => {
  // The emulator enforces the real per-token limit (300/min); the service's budget is the same.
  ;({ emulator, provisioned } = await startEmulatorAndProvision({ rateLimitPerMinute: 300 }))
  admin = await adminApi(emulator)
})
afterEach(() => stopServices(running))
afterAll(async () => {
  await emulator?.close()
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true })
})

const envFor = (dataDir: string, extra: Record<string, string> = {}) => ({
  ...baseEnv(emulator, provisioned, dataDir),
  WORKBRIDGE_BUDGET_PER_MINUTE: "300",
  WORKBRIDGE_BUDGET_BURST: "5",
  WORKBRIDGE_COALESCE_MS: "0",
  ...extra
})

const start = async (env: Record<string, string>) => {
  const p = spawnService(env)
  running.push(p)
  return { p, url: await p.ready }
}

const post = (url: string, body: unknown) => {
  const raw = Buffer.from(JSON.stringify(body))
  return fetch(`${url}/webhooks/generic`, {
    method: "POST",
    headers: sign("generic", raw, { secret: TEST_SECRET }, new Date()),
    body: raw
  })
}

const statusOf = async (url: string, ticketId: string): Promise<TicketSyncStatus | undefined> => {
  const r = await fetch(`${url}/tickets/generic/${ticketId}`)
  return r.status === 404 ? undefined : ((await r.json()) as TicketSyncStatus)
}

const waitApplied = async (url: string, ticketId: string, rev: number) => {
  const deadline = Date.now() + 30_000
  let s: TicketSyncStatus | undefined
  while (Date.now() < deadline) {
    s = await statusOf(url, ticketId)
    if (s !== undefined && s.pendingEvents === 0 && (s.appliedRevision ?? "").startsWith(revisionPrefix(rev))) return s
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`ticket ${ticketId} not applied at revision ${rev}: ${JSON.stringify(s)}`)
}

const workitemsOf = async (ticketId: string): Promise<ReadonlyArray<Workitem>> => {
  const r = await admin.postTaskmanagementWorkitemsQuery({
    filters: [
      { name: "typeId", type: "String", operator: "EQ", values: [provisioned.worktypeId] },
      { name: "customFields.ticket_id_identifier", type: "String", operator: "EQ", values: [ticketId] }
    ]
  } as never)
  return (r as unknown as { body: { entities?: Array<Workitem> } }).body.entities ?? []
}

const freshDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "wb-crash-"))
  dirs.push(d)
  return d
}

describe("kill -9 and restart", () => {
  it("between accept and apply: the accepted event is applied after the restart", async () => {
    const dir = freshDir()
    // The coalescing window lets the 202 go out before the worker picks the event up (and dies).
    const first = await start(envFor(dir, { WORKBRIDGE_TEST_CRASH_AT: "before-apply", WORKBRIDGE_COALESCE_MS: "300" }))
    const res = await post(first.url, genericBody({ ticketId: "CR-1", rev: 1 }))
    expect(res.status).toBe(202)
    expect((await first.p.exited).signal).toBe("SIGKILL")
    expect(await workitemsOf("CR-1")).toHaveLength(0)

    const second = await start(envFor(dir))
    const s = await waitApplied(second.url, "CR-1", 1)
    const items = await workitemsOf("CR-1")
    expect(items.map((w) => w.id)).toEqual([s.workitemId])
  })

  it("after the inbox write but before the 202: the re-delivery is acknowledged as a duplicate and applied once", async () => {
    const dir = freshDir()
    const first = await start(envFor(dir, { WORKBRIDGE_TEST_CRASH_AT: "after-accept" }))
    await expect(post(first.url, genericBody({ ticketId: "CR-2", rev: 1 }))).rejects.toThrow()
    expect((await first.p.exited).signal).toBe("SIGKILL")

    const second = await start(envFor(dir))
    const again = await post(second.url, genericBody({ ticketId: "CR-2", rev: 1 }))
    expect(again.status).toBe(202)
    expect(((await again.json()) as { status: string }).status).toBe("duplicate")
    await waitApplied(second.url, "CR-2", 1)
    expect(await workitemsOf("CR-2")).toHaveLength(1)
  })

  it("between create and link write: the restart adopts the workitem instead of creating a duplicate", async () => {
    const dir = freshDir()
    const first = await start(envFor(dir, { WORKBRIDGE_TEST_CRASH_AT: "after-create", WORKBRIDGE_COALESCE_MS: "300" }))
    expect((await post(first.url, genericBody({ ticketId: "CR-3", rev: 1 }))).status).toBe(202)
    expect((await first.p.exited).signal).toBe("SIGKILL")
    const orphans = await workitemsOf("CR-3")
    expect(orphans).toHaveLength(1)

    const second = await start(envFor(dir))
    const s = await waitApplied(second.url, "CR-3", 1)
    expect(s.workitemId).toBe(orphans[0]!.id)
    await post(second.url, genericBody({ ticketId: "CR-3", rev: 2, fields: { subject: "after the crash" } }))
    await waitApplied(second.url, "CR-3", 2)
    const items = await workitemsOf("CR-3")
    expect(items).toHaveLength(1)
    expect(items[0]!.name).toBe("after the crash")
    expect(items[0]!.customFields?.["source_revision_text"]).toMatch(new RegExp(`^${revisionPrefix(2)}`))
    // Nothing lost: in the restarted process both revisions count as applied (the adopted one included).
    const metrics = await (await fetch(`${second.url}/metrics`)).text()
    expect(metrics).toMatch(/workbridge_events_total\{outcome="applied"\} 2\n/)
    // Budget respected throughout: Genesys never had to throttle.
    expect(emulator.stats().rateLimited).toBe(0)
  })

  it("between create and link write on a worktype the store knew empty: the create intent makes the restart look it up", async () => {
    // Its own emulator: a worktype this data directory sees from empty, so misses are POSTed without a query.
    const own = await startEmulatorAndProvision({ rateLimitPerMinute: 300 })
    try {
      const ownAdmin = await adminApi(own.emulator)
      const itemsOf = async (ticketId: string) =>
        (
          (await ownAdmin.postTaskmanagementWorkitemsQuery({
            filters: [
              { name: "typeId", type: "String", operator: "EQ", values: [own.provisioned.worktypeId] },
              { name: "customFields.ticket_id_identifier", type: "String", operator: "EQ", values: [ticketId] }
            ]
          } as never)) as unknown as { body: { entities?: Array<Workitem> } }
        ).body.entities ?? []
      const env = (extra: Record<string, string> = {}) => ({
        ...baseEnv(own.emulator, own.provisioned, dir),
        WORKBRIDGE_BUDGET_PER_MINUTE: "300",
        WORKBRIDGE_BUDGET_BURST: "5",
        WORKBRIDGE_COALESCE_MS: "0",
        ...extra
      })
      const calls = () =>
        own.emulator
          .requests()
          .filter((r) => r.path.startsWith("/api/v2/taskmanagement/workitems") && !r.path.includes("/schemas"))
          .map((r) => `${r.method} ${r.route ?? r.path}`)
      const QUERY = "POST /api/v2/taskmanagement/workitems/query"
      const CREATE = "POST /api/v2/taskmanagement/workitems"
      const dir = freshDir()
      const first = await start(env({ WORKBRIDGE_TEST_CRASH_AT: "after-create", WORKBRIDGE_COALESCE_MS: "300" }))
      expect((await post(first.url, genericBody({ ticketId: "CI-1", rev: 1 }))).status).toBe(202)
      expect((await first.p.exited).signal).toBe("SIGKILL")
      // The empty worktype was checked once (pageSize 1), then the ticket was POSTed without a lookup.
      expect(calls()).toEqual([QUERY, CREATE])
      const orphans = await itemsOf("CI-1")
      expect(orphans).toHaveLength(1)

      own.emulator.clearRequests()
      const second = await start(env())
      const s = await waitApplied(second.url, "CI-1", 1)
      expect(s.workitemId).toBe(orphans[0]!.id)
      // The intent was still there: the restart looked the ticket up and adopted what it found.
      expect(calls()).toEqual([QUERY])
      expect(await itemsOf("CI-1")).toHaveLength(1)

      // A new ticket after the restart: the store still knows the worktype, one POST and nothing else.
      own.emulator.clearRequests()
      await post(second.url, genericBody({ ticketId: "CI-2", rev: 1 }))
      await waitApplied(second.url, "CI-2", 1)
      expect(calls()).toEqual([CREATE])
    } finally {
      await own.emulator.close()
    }
  })

  it("shuts down cleanly on SIGTERM", async () => {
    const { p } = await start(envFor(freshDir()))
    p.child.kill("SIGTERM")
    expect((await p.exited).code).toBe(0)
  })
})
