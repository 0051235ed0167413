/**
 * The demo (`pnpm start` without credentials) closes the loop: the bundled emulator is provisioned with the write-back
 * chain pointing at the service's own URL, a ticket made in the Zendesk emulator becomes a workitem, and the demo
 * agent's close of that workitem solves the ticket.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { login, waitForExecutions } from "@workbridge/genesys-emulator/testing"
import { afterAll, expect, it } from "vitest"
import { loadConfig } from "../src/config/Config.js"
import { startService } from "../src/Service.js"
import type { TicketSyncStatus } from "../src/sync/TicketStatus.js"

const dirs: Array<string> = []
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true })
})

const until = async <A>(what: string, f: () => Promise<A | undefined>, timeoutMs = 20_000): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await f()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

it("provisions the chain at the service's URL, and the demo agent's close solves the Zendesk ticket", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wb-demo-wb-"))
  dirs.push(dir)
  const lines: Array<string> = []
  const service = await startService(
    loadConfig({
      PORT: "0",
      GENESYS_EMULATOR_PORT: "0",
      WORKBRIDGE_DATA_DIR: dir,
      LOG_LEVEL: "silent",
      WORKBRIDGE_COALESCE_MS: "0",
      WORKBRIDGE_RECONCILE_INTERVAL_ZENDESK: "0"
    }),
    { print: (l) => lines.push(l) }
  )
  try {
    const text = lines.join("\n")
    expect(text).toContain(`POST ${service.url}/data-actions/workitem-event`)
    const agentCredentials = /-u '([^:']+):([^']+)' -d grant_type=client_credentials/.exec(text)
    expect(agentCredentials).not.toBeNull()
    const zendeskUrl = /^ {2}zendesk +(\S+)/m.exec(text)?.[1]
    expect(zendeskUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)

    const created = await fetch(`${zendeskUrl}/api/v2/tickets.json`, {
      method: "POST",
      headers: {
        authorization: `Basic ${Buffer.from("agent@example.com/token:zendesk-api-token").toString("base64")}`,
        "content-type": "application/json"
      },
      body: JSON.stringify({ ticket: { subject: "Printer on fire", comment: { body: "Help" } } })
    })
    expect(created.status).toBe(201)
    const id = String(((await created.json()) as { ticket: { id: number } }).ticket.id)
    const linked = await until("the workitem", async () => {
      const r = await fetch(`${service.url}/tickets/zendesk/${id}`)
      const s = r.status === 200 ? ((await r.json()) as TicketSyncStatus) : undefined
      return s?.workitemId !== undefined && s.pendingEvents === 0 ? s : undefined
    })

    const emulator = service.emulator!
    const agent = await login(emulator.url, agentCredentials![1]!, agentCredentials![2]!)
    const worktypeId = emulator.state.workitems.get(linked.workitemId!)!.typeId
    const closed = [...emulator.state.statuses.values()].find((s) => s.worktypeId === worktypeId && s.name === "Closed")
    await agent.tm.patchTaskmanagementWorkitem(linked.workitemId!, { statusId: closed!.id } as never)
    const executions = await waitForExecutions(emulator.url, { workitemId: linked.workitemId! }, 1)
    expect(executions.map((e) => [e.status, e.httpStatus])).toEqual([["succeeded", 202]])
    await until("the ticket solved", async () => {
      const r = await fetch(`${zendeskUrl}/api/v2/tickets/${id}.json`, {
        headers: {
          authorization: `Basic ${Buffer.from("agent@example.com/token:zendesk-api-token").toString("base64")}`
        }
      })
      const t = ((await r.json()) as { ticket?: { status?: string } }).ticket
      return t?.status === "solved" ? t : undefined
    })
  } finally {
    await service.close()
  }
}, 60_000)
