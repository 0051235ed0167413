/** `pnpm start` without credentials: the helpdesk emulators start beside the Genesys one and their changes flow in. */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { loadConfig } from "../src/config/Config.js"
import { startService } from "../src/Service.js"
import type { TicketSyncStatus } from "../src/sync/TicketStatus.js"

const dirs: Array<string> = []
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true })
})

const waitFor = async (url: string, ok: (s: TicketSyncStatus) => boolean): Promise<TicketSyncStatus> => {
  let s: TicketSyncStatus | undefined
  for (let i = 0; i < 300; i++) {
    const r = await fetch(url)
    s = r.status === 200 ? ((await r.json()) as TicketSyncStatus) : undefined
    if (s !== undefined && ok(s)) return s
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`${url} never reached the state; last: ${JSON.stringify(s)}`)
}

describe("demo helpdesks", () => {
  it("start beside the bundled emulator, print how to change a ticket in each, and a ticket changed in Zendesk and in Freshdesk reaches Genesys", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wb-demo-"))
    dirs.push(dir)
    const lines: Array<string> = []
    const service = await startService(
      loadConfig({
        PORT: "0",
        GENESYS_EMULATOR_PORT: "0",
        WORKBRIDGE_DATA_DIR: dir,
        LOG_LEVEL: "silent",
        WORKBRIDGE_COALESCE_MS: "0"
      }),
      { print: (l) => lines.push(l) }
    )
    try {
      const text = lines.join("\n")
      for (const source of ["zendesk", "servicenow", "jira", "freshdesk", "github"])
        expect(text).toMatch(new RegExp(`^  ${source} +http://127\\.0\\.0\\.1:\\d+ +create: curl`, "m"))
      expect(text).toContain(`curl ${service.url}/tickets/zendesk/1`)
      // Follow the printed commands: create, then change, a Zendesk ticket.
      const zendesk = /^ {2}zendesk +(http:\/\/\S+)/m.exec(text)![1]!
      const auth = {
        authorization: `Basic ${Buffer.from("agent@example.com/token:zendesk-api-token").toString("base64")}`,
        "content-type": "application/json"
      }
      expect(
        (
          await fetch(`${zendesk}/api/v2/tickets.json`, {
            method: "POST",
            headers: auth,
            body: JSON.stringify({ ticket: { subject: "Printer on fire", comment: { body: "Help" } } })
          })
        ).status
      ).toBe(201)
      const created = await waitFor(
        `${service.url}/tickets/zendesk/1`,
        (s) => s.workitemId !== undefined && s.pendingEvents === 0
      )
      await new Promise((r) => setTimeout(r, 1100))
      expect(
        (
          await fetch(`${zendesk}/api/v2/tickets/1.json`, {
            method: "PUT",
            headers: auth,
            body: JSON.stringify({ ticket: { subject: "Printer replaced" } })
          })
        ).status
      ).toBe(200)
      await waitFor(
        `${service.url}/tickets/zendesk/1`,
        (s) => s.appliedRevision !== created.appliedRevision && s.pendingEvents === 0
      )
      expect(service.emulator!.state.workitems.get(created.workitemId!)?.["name"]).toBe("Printer replaced")
      // Freshdesk is read on notice in the demo.
      const freshdesk = /^ {2}freshdesk +(http:\/\/\S+)/m.exec(text)![1]!
      const fd = {
        authorization: `Basic ${Buffer.from("freshdesk-api-key:X").toString("base64")}`,
        "content-type": "application/json"
      }
      expect(
        (
          await fetch(`${freshdesk}/api/v2/tickets`, {
            method: "POST",
            headers: fd,
            body: JSON.stringify({
              email: "a@example.com",
              subject: "Refund",
              description: "<p>Hi</p>",
              status: 2,
              priority: 1
            })
          })
        ).status
      ).toBe(201)
      const s = await waitFor(`${service.url}/tickets/freshdesk/1`, (x) => x.workitemId !== undefined)
      expect(s.arrivedBy).toBe("fetch")
    } finally {
      await service.close()
    }
  })
})
