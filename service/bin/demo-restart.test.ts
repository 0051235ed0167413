/**
 * The README's flow across a restart, as a newcomer runs it: `pnpm start` (no Genesys credentials), `pnpm demo:send
 * generic-ticket-created`, stop the service (SIGINT, as Ctrl-C does), `pnpm start` again with the same data
 * directory, `pnpm demo:send generic-ticket-updated`. DEMO-1 must end at revision 2 on the workitem it was created
 * as (the bundled emulator keeps its organisation under the data directory), with no dead letter.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { makeRevision } from "@workbridge/catalog"
import platformClient from "purecloud-platform-client-v2"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type ServiceProcess, spawnService, stopServices } from "../src/testing/child.js"
import type { TicketSyncStatus } from "../src/sync/TicketStatus.js"
import { runBin } from "./testing.js"

const body = (r: unknown): Record<string, unknown> => ((r as { body?: unknown }).body ?? r) as Record<string, unknown>

let root: string
const running: Array<ServiceProcess> = []

/** `pnpm start` in `root`: resolves once the demo hint (the last start-up line) is printed. */
const start = async (): Promise<{ svc: ServiceProcess; url: string; emulatorUrl: string }> => {
  const svc = spawnService({ PORT: "0", GENESYS_EMULATOR_PORT: "0", WORKBRIDGE_DATA_DIR: "demo-data", INIT_CWD: root })
  running.push(svc)
  const url = await svc.ready
  for (let i = 0; i < 400 && !/Send a signed sample webhook:[^\n]*\n/.test(svc.output()); i++)
    await new Promise((r) => setTimeout(r, 25))
  const m = /the bundled LOCAL EMULATOR at (\S+) \(not Genesys Cloud\)/.exec(svc.output())
  if (m === null) throw new Error(`no emulator line in the output:\n${svc.output()}`)
  return { svc, url, emulatorUrl: m[1]! }
}

/** Ctrl-C: SIGINT, then wait for the clean exit. */
const stop = async (svc: ServiceProcess) => {
  svc.child.kill("SIGINT")
  const r = await svc.exited
  running.splice(running.indexOf(svc), 1)
  return r
}

const statusOf = async (url: string): Promise<TicketSyncStatus | undefined> => {
  const res = await fetch(`${url}/tickets/generic/DEMO-1`)
  return res.status === 200 ? ((await res.json()) as TicketSyncStatus) : undefined
}

/** Poll until DEMO-1 has no pending events and either reached `rev` or has an error. */
const settle = async (url: string, rev: number): Promise<TicketSyncStatus | undefined> => {
  let s: TicketSyncStatus | undefined
  for (let i = 0; i < 400; i++) {
    s = await statusOf(url)
    if (
      s !== undefined &&
      s.pendingEvents === 0 &&
      ((s.appliedRevision ?? "").startsWith(makeRevision(rev)) || s.lastError !== undefined)
    )
      break
    await new Promise((r) => setTimeout(r, 50))
  }
  return s
}

const workitemsOfDemo = async (emulatorUrl: string) => {
  const client = new platformClient.ApiClientClass()
  client.config.live_reload_config = false
  const gw = new URL(emulatorUrl)
  client.setGateway({ host: gw.hostname, protocol: gw.protocol.replace(":", ""), port: Number(gw.port) } as Parameters<
    typeof client.setGateway
  >[0])
  client.setReturnExtendedResponses(true)
  await client.loginClientCredentialsGrant("workbridge-admin", "workbridge-admin-secret")
  const tm = new platformClient.TaskManagementApi(client)
  const types = body(
    await tm.postTaskmanagementWorktypesQuery({
      filters: [{ name: "name", type: "String", operator: "EQ", values: ["Workbridge ticket"] }],
      pageSize: 25
    } as never)
  )["entities"] as Array<{ id: string }>
  const items: Array<{
    id: string
    type?: { id: string }
    status?: { name?: string }
    customFields?: Record<string, unknown>
  }> = []
  for (const t of types) {
    const found = body(
      await tm.postTaskmanagementWorkitemsQuery({
        filters: [
          { name: "typeId", type: "String", operator: "EQ", values: [t.id] },
          { name: "customFields.ticket_id_identifier", type: "String", operator: "EQ", values: ["DEMO-1"] }
        ],
        pageSize: 200
      } as never)
    )["entities"] as typeof items
    items.push(...found)
  }
  return { types, items }
}

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "wb-demo-restart-"))
})

afterAll(async () => {
  await stopServices(running)
  fs.rmSync(root, { recursive: true, force: true })
})

describe("README quick start across a restart", () => {
  it("created, stopped, started again, updated: DEMO-1 at revision 2 on its first workitem, no dead letter", async () => {
    const first = await start()
    const created = await runBin("bin/demo-send.ts", ["generic-ticket-created", "--url", first.url])
    expect(created.stdout).toContain('"status":"accepted"')
    const s1 = await settle(first.url, 1)
    expect(s1?.appliedRevision).toMatch(new RegExp(`^${makeRevision(1)}`))
    expect(s1?.lastError).toBeUndefined()
    expect((await stop(first.svc)).code).toBe(0)

    const second = await start()
    const updated = await runBin("bin/demo-send.ts", ["generic-ticket-updated", "--url", second.url])
    expect(updated.stdout).toContain('"status":"accepted"')
    const s2 = await settle(second.url, 2)
    expect(s2?.lastError).toBeUndefined()
    expect(s2?.appliedRevision).toMatch(new RegExp(`^${makeRevision(2)}`))
    // The workitem the newcomer saw after the first run is the one updated: the emulator kept it.
    expect(s2?.workitemId).toBe(s1?.workitemId)

    const dead = (await (await fetch(`${second.url}/dead-letters`)).json()) as { total: number }
    expect(dead.total).toBe(0)

    // One worktype, one workitem for DEMO-1, now In Progress and carrying revision 2.
    const { types, items } = await workitemsOfDemo(second.emulatorUrl)
    expect(types).toHaveLength(1)
    expect(items.map((w) => w.id)).toEqual([s1!.workitemId])
    expect(items[0]!.status?.name).toBe("In Progress")
    expect(items[0]!.customFields?.["source_revision_text"]).toBe(s2!.appliedRevision)

    // A third start provisions nothing new and says nothing about links from another worktype.
    expect((await stop(second.svc)).code).toBe(0)
    const third = await start()
    expect(third.svc.output()).not.toContain("another worktype")
    expect((await workitemsOfDemo(third.emulatorUrl)).types).toHaveLength(1)
    expect((await statusOf(third.url))?.appliedRevision).toBe(s2!.appliedRevision)
    await stop(third.svc)
  }, 120_000)

  it("with the emulator's state file gone (a fresh emulator), the kept links are not used: DEMO-1 is created afresh", async () => {
    const dir = path.join(root, "demo-data")
    const stateFiles = fs.readdirSync(dir).filter((f) => f.startsWith("genesys-emulator"))
    expect(stateFiles).toEqual(["genesys-emulator.json"])
    fs.rmSync(path.join(dir, "genesys-emulator.json"))

    const svc = await start()
    expect(svc.svc.output()).toMatch(/"count":1\b[^\n]*another worktype/)
    const before = await statusOf(svc.url)
    // A newer revision than the kept link's: it is applied in the new worktype.
    const closed = await runBin("bin/demo-send.ts", ["generic-ticket-closed", "--url", svc.url])
    expect(closed.stdout).toContain('"status":"accepted"')
    const s = await settle(svc.url, 3)
    expect(s?.lastError).toBeUndefined()
    expect(s?.appliedRevision).toMatch(new RegExp(`^${makeRevision(3)}`))
    expect(s?.workitemId).not.toBe(before?.workitemId)
    const { types, items } = await workitemsOfDemo(svc.emulatorUrl)
    expect(items.map((w) => w.id)).toEqual([s!.workitemId])
    expect(types).toHaveLength(1)
    expect(items[0]!.status?.name).toBe("Resolved")
    const dead = (await (await fetch(`${svc.url}/dead-letters`)).json()) as { total: number }
    expect(dead.total).toBe(0)
    await stop(svc.svc)
  }, 120_000)
})
