/** The embedded default (no Genesys credentials) and provisioning from the catalog. */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { sign } from "@workbridge/adapters"
import { defaultCatalog } from "@workbridge/catalog"
import { afterAll, describe, expect, it } from "vitest"
import { loadConfig } from "../src/config/Config.js"
import { DEMO_WEBHOOK_SECRET } from "../src/demo/credentials.js"
import { provision } from "@workbridge/genesys"
import { startService } from "../src/Service.js"
import {
  adminApi,
  baseEnv,
  genericBody,
  startEmulatorAndProvision,
  startHarness,
  TEST_SECRET
} from "../src/testing/harness.js"
import type { TicketSyncStatus } from "../src/sync/TicketStatus.js"

const dirs: Array<string> = []
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true })
})

describe("embedded default", () => {
  it("starts the bundled emulator, provisions it, prints the demo instructions, and syncs a demo-signed webhook", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wb-emb-"))
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
      expect(service.emulator).toBeDefined()
      expect(lines[0]).toBe(`workbridge listening on ${service.url}`)
      expect(lines.join("\n")).toMatch(/LOCAL EMULATOR/)
      expect(lines.join("\n")).toContain("pnpm demo:send")
      const raw = Buffer.from(JSON.stringify(genericBody({ ticketId: "EMB-1", rev: 1 })))
      const res = await fetch(`${service.url}/webhooks/generic`, {
        method: "POST",
        headers: sign("generic", raw, { secret: DEMO_WEBHOOK_SECRET }, new Date()),
        body: raw
      })
      expect(res.status).toBe(202)
      let s: TicketSyncStatus | undefined
      for (let i = 0; i < 200 && s?.workitemId === undefined; i++) {
        await new Promise((r) => setTimeout(r, 50))
        const r = await fetch(`${service.url}/tickets/generic/EMB-1`)
        s = r.status === 200 ? ((await r.json()) as TicketSyncStatus) : undefined
      }
      expect(s?.workitemId).toBeDefined()
      expect(service.emulator!.state.workitems.has(s!.workitemId!)).toBe(true)
    } finally {
      await service.close()
    }
  })

  it("provisioning is idempotent: a second run finds every object by name", async () => {
    const { emulator, provisioned } = await startEmulatorAndProvision()
    try {
      const again = await provision({
        gatewayUrl: emulator.url,
        clientId: emulator.adminClientId,
        clientSecret: emulator.adminClientSecret,
        catalog: defaultCatalog
      })
      expect(again).toEqual(provisioned)
      expect(Object.keys(again.statusIds).sort()).toEqual(defaultCatalog.statuses.map((s) => s.name).sort())
    } finally {
      await emulator.close()
    }
  })

  it("finds the worktype by WORKBRIDGE_WORKTYPE_NAME", async () => {
    const h = await startHarness({ WORKBRIDGE_WORKTYPE_ID: "", WORKBRIDGE_WORKTYPE_NAME: "Workbridge ticket" })
    try {
      expect(h.service.target.typeId).toBe(h.provisioned.worktypeId)
      expect(h.service.target.statuses.map((s) => s.name).sort()).toEqual(
        defaultCatalog.statuses.map((s) => s.name).sort()
      )
    } finally {
      await h.close()
    }
  })
})

describe("workbin", () => {
  it("puts new workitems in WORKBRIDGE_WORKBIN_ID when set", async () => {
    const { emulator, provisioned } = await startEmulatorAndProvision()
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wb-bin-"))
    dirs.push(dir)
    try {
      const admin = await adminApi(emulator)
      const bin = (await admin.postTaskmanagementWorkbins({ name: "Second workbin" } as never)) as unknown as {
        body: { id: string }
      }
      const service = await startService(
        loadConfig({
          ...baseEnv(emulator, provisioned, dir),
          WORKBRIDGE_WORKBIN_ID: bin.body.id,
          WORKBRIDGE_COALESCE_MS: "0"
        }),
        { print: () => undefined }
      )
      try {
        const raw = Buffer.from(JSON.stringify(genericBody({ ticketId: "BIN-1", rev: 1 })))
        expect(
          (
            await fetch(`${service.url}/webhooks/generic`, {
              method: "POST",
              headers: sign("generic", raw, { secret: TEST_SECRET }, new Date()),
              body: raw
            })
          ).status
        ).toBe(202)
        let id: string | undefined
        for (let i = 0; i < 200 && id === undefined; i++) {
          await new Promise((r) => setTimeout(r, 25))
          const r = await fetch(`${service.url}/tickets/generic/BIN-1`)
          id = r.status === 200 ? ((await r.json()) as TicketSyncStatus).workitemId : undefined
        }
        const w = (await admin.getTaskmanagementWorkitem(id!)) as unknown as { body: { workbin?: { id: string } } }
        expect(w.body.workbin?.id).toBe(bin.body.id)
        expect(bin.body.id).not.toBe(provisioned.workbinId)
      } finally {
        await service.close()
      }
    } finally {
      await emulator.close()
    }
  })
})
