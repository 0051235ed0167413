/**
 * The README's flow, as a user runs it: `pnpm start` with no Genesys credentials (the service as a child process,
 * `node --import tsx src/main.ts` in service/, the way the start script runs it), then `pnpm demo:send
 * generic-ticket-created` (bin/demo-send.ts as a child process), then the workitem read through the official SDK
 * from the bundled emulator the service printed, `GET /tickets/generic/DEMO-1`, and the ticket's timeline in the
 * operator console at the `/ops` URL the service printed.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import platformClient from "purecloud-platform-client-v2"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type ServiceProcess, spawnService } from "../src/testing/child.js"
import type { TicketSyncStatus } from "../src/sync/TicketStatus.js"
import { runBin, SERVICE_DIR } from "./testing.js"

const body = (r: unknown): Record<string, unknown> => ((r as { body?: unknown }).body ?? r) as Record<string, unknown>

let root: string
let svc: ServiceProcess
let url: string
let emulatorUrl: string
let adminId: string

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "wb-demo-"))
  // What `pnpm start` gives the process: no Genesys credentials, pnpm's INIT_CWD (the directory pnpm was run in).
  // The data directory is relative, so it must land under INIT_CWD, not under service/.
  svc = spawnService({ PORT: "0", GENESYS_EMULATOR_PORT: "0", WORKBRIDGE_DATA_DIR: "demo-data", INIT_CWD: root })
  url = await svc.ready
  // The emulator and demo lines follow the listening line, the sample-webhook hint last; wait for that whole line.
  for (let i = 0; i < 400 && !/Send a signed sample webhook:[^\n]*\n/.test(svc.output()); i++)
    await new Promise((r) => setTimeout(r, 25))
  const m = /the bundled LOCAL EMULATOR at (\S+) \(not Genesys Cloud\); admin client (\S+)/.exec(svc.output())
  if (m === null) throw new Error(`no emulator line in the output:\n${svc.output()}`)
  emulatorUrl = m[1]!
  adminId = m[2]!
}, 60_000)

afterAll(async () => {
  if (svc !== undefined && svc.child.exitCode === null) {
    svc.child.kill("SIGTERM")
    await svc.exited
  }
  fs.rmSync(root, { recursive: true, force: true })
})

describe("README quick start", () => {
  it("pnpm start prints the emulator on its real port and keeps its data under INIT_CWD", () => {
    expect(svc.output()).toContain("Demo webhook credentials")
    expect(new URL(emulatorUrl).port).not.toBe("0")
    expect(adminId).toBe("workbridge-admin")
    expect(fs.existsSync(path.join(root, "demo-data", "workbridge.sqlite"))).toBe(true)
    expect(fs.existsSync(path.join(SERVICE_DIR, "demo-data"))).toBe(false)
  })

  it("demo:send generic-ticket-created gets a 202 and makes exactly one workitem for DEMO-1, shown by /tickets", async () => {
    const sent = await runBin("bin/demo-send.ts", ["generic-ticket-created", "--url", url])
    expect(sent.stderr).toBe("")
    expect(sent.code).toBe(0)
    expect(sent.stdout).toContain(`POST ${url}/webhooks/generic → 202`)
    expect(sent.stdout).toContain('"status":"accepted"')

    // Applied: the workitem linked and the event acknowledged (the link is written just before the inbox's ack).
    const applied = (s: TicketSyncStatus | undefined) => s?.workitemId !== undefined && s.pendingEvents === 0
    let status: TicketSyncStatus | undefined
    for (let i = 0; i < 400 && !applied(status); i++) {
      const res = await fetch(`${url}/tickets/generic/DEMO-1`)
      status = res.status === 200 ? ((await res.json()) as TicketSyncStatus) : undefined
      if (!applied(status)) await new Promise((r) => setTimeout(r, 50))
    }
    expect(status?.workitemId).toBeDefined()
    expect(status?.pendingEvents).toBe(0)

    // A second send is the same delivery: deduplicated, still one workitem.
    const again = await runBin("bin/demo-send.ts", ["generic-ticket-created", "--url", url])
    expect(again.code).toBe(0)
    expect(again.stdout).toContain('"status":"duplicate"')

    // Through the official SDK, as the docs tell a user to inspect the emulator.
    const client = new platformClient.ApiClientClass()
    client.config.live_reload_config = false
    const gw = new URL(emulatorUrl)
    client.setGateway({
      host: gw.hostname,
      protocol: gw.protocol.replace(":", ""),
      port: Number(gw.port)
    } as Parameters<typeof client.setGateway>[0])
    client.setReturnExtendedResponses(true)
    await client.loginClientCredentialsGrant(adminId, "workbridge-admin-secret")
    const tm = new platformClient.TaskManagementApi(client)
    const types = body(
      await tm.postTaskmanagementWorktypesQuery({
        filters: [{ name: "name", type: "String", operator: "EQ", values: ["Workbridge ticket"] }],
        pageSize: 25
      } as never)
    )["entities"] as Array<{ id: string }>
    expect(types).toHaveLength(1)
    const items = body(
      await tm.postTaskmanagementWorkitemsQuery({
        filters: [
          { name: "typeId", type: "String", operator: "EQ", values: [types[0]!.id] },
          { name: "customFields.ticket_id_identifier", type: "String", operator: "EQ", values: ["DEMO-1"] }
        ],
        pageSize: 200
      } as never)
    )["entities"] as Array<{ id: string; name: string }>
    expect(items.map((w) => w.id)).toEqual([status!.workitemId])
    expect(items[0]!.name).toBe("Printer on fire in building 7")

    // The operator console the service printed shows the ticket's timeline: received, created, applied, duplicate.
    const opsUrl = /Operator console: (\S+)/.exec(svc.output())?.[1]
    expect(opsUrl).toBe(`${url}/ops`)
    const page = await (await fetch(`${opsUrl}/ticket?source=generic&id=DEMO-1`)).text()
    expect(page).toContain(`<code data-testid="workitem-id">${status!.workitemId}</code>`)
    const kinds = [...page.matchAll(/class="kind kind-(\w+)"/g)].map((m) => m[1]).filter((k) => k !== "call")
    expect(kinds).toEqual(["received", "applied", "duplicate"])
  }, 60_000)

  it("demo:send --help prints the usage and exits 0; no sample exits 2 with the usage", async () => {
    const help = await runBin("bin/demo-send.ts", ["--help"])
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/^usage: pnpm demo:send <sample>/)
    expect(help.stdout).toContain("generic-ticket-created")
    const none = await runBin("bin/demo-send.ts", [])
    expect(none.code).toBe(2)
    expect(none.stderr).toContain("which sample?")
    expect(none.stderr).toContain("usage: pnpm demo:send")
  }, 30_000)
})
