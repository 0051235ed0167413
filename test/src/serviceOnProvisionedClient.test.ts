/**
 * The service, end to end, running with the least-privilege OAuth client the providers create (not the admin):
 * provision → stack-like outputs → `.env` (outputsToEnv) → the service syncs tickets through the official SDK,
 * and Genesys never answers it 403.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import type { Emulator } from "@workbridge/genesys-emulator"
import { startEmulator } from "@workbridge/genesys-emulator"
import type { RunningService } from "@workbridge/service"
import { loadConfig, startService } from "@workbridge/service"
import { genericBody, revisionPrefix } from "@workbridge/service/testing"
import { call as sdkCall, login } from "@workbridge/genesys-emulator/testing"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Provisioned } from "@workbridge/infra"
import { outputsToEnv, provisionForService } from "@workbridge/infra"

const TOKEN = "e2e-webhook-token"

/** Parse the `.env` text outputsToEnv writes (KEY=value or KEY='value'). */
const parseEnv = (text: string): Record<string, string> =>
  Object.fromEntries(
    text
      .split("\n")
      .filter((l) => /^[A-Z_]+=/.test(l))
      .map((l) => {
        const i = l.indexOf("=")
        const raw = l.slice(i + 1)
        return [l.slice(0, i), raw.startsWith("'") ? raw.slice(1, -1).replace(/'\\''/g, "'") : raw]
      })
  )

let emulator: Emulator
let p: Provisioned
let service: RunningService
let dataDir: string

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, rateLimitPerMinute: 100_000, workitemUpdatesPerMinute: 10_000 })
  p = await provisionForService(
    { gatewayUrl: emulator.url, clientId: emulator.adminClientId, clientSecret: emulator.adminClientSecret },
    { namePrefix: "E2e" }
  )
  const env = parseEnv(
    outputsToEnv({
      gatewayUrl: emulator.url,
      worktypeId: p.worktypeId,
      workbinId: p.workbinId,
      clientId: p.clientId,
      clientSecret: p.clientSecret
    })
  )
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "wb-infra-e2e-"))
  service = await startService(
    loadConfig({
      ...env,
      PORT: "0",
      WORKBRIDGE_DATA_DIR: dataDir,
      WEBHOOK_TOKEN_GENERIC: TOKEN,
      LOG_LEVEL: "silent",
      WORKBRIDGE_RETRY_BASE_MS: "20",
      WORKBRIDGE_RETRY_MAX_MS: "300"
    }),
    { print: () => undefined }
  )
})

afterAll(async () => {
  await service?.close()
  await emulator?.close()
  if (dataDir !== undefined) fs.rmSync(dataDir, { recursive: true, force: true })
})

const post = async (body: unknown): Promise<number> =>
  (
    await fetch(`${service.url}/webhooks/generic`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(body)
    })
  ).status

const waitForRevision = async (ticketId: string, rev: number) => {
  for (let i = 0; i < 400; i++) {
    const res = await fetch(`${service.url}/tickets/generic/${encodeURIComponent(ticketId)}`)
    if (res.status === 200) {
      const s = (await res.json()) as {
        appliedRevision?: string
        pendingEvents: number
        workitemId?: string
        lastError?: string
      }
      if (s.lastError !== undefined) throw new Error(`ticket ${ticketId}: ${s.lastError}`)
      if (s.pendingEvents === 0 && (s.appliedRevision ?? "").startsWith(revisionPrefix(rev))) return s
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`ticket ${ticketId} never reached revision ${rev}`)
}

describe("the service on the provisioned least-privilege client", () => {
  it("creates and updates a workitem, moving it through the catalog's statuses", async () => {
    expect(await post(genericBody({ ticketId: "LP-1", rev: 1 }))).toBe(202)
    const created = await waitForRevision("LP-1", 1)
    const admin = await login(emulator.url, emulator.adminClientId, emulator.adminClientSecret)
    let w = await sdkCall(admin.tm.getTaskmanagementWorkitem(created.workitemId as string))
    expect(w.body.type.id).toBe(p.worktypeId)
    expect(w.body.status.id).toBe(p.statusIds["Open"])

    expect(
      await post(genericBody({ ticketId: "LP-1", rev: 2, fields: { status: "in progress", description: "working" } }))
    ).toBe(202)
    await waitForRevision("LP-1", 2)
    w = await sdkCall(admin.tm.getTaskmanagementWorkitem(created.workitemId as string))
    expect(w.body.status.id).toBe(p.statusIds["In Progress"])
    expect(w.body.description).toBe("working")

    expect(await post(genericBody({ ticketId: "LP-1", rev: 3, fields: { status: "solved" } }))).toBe(202)
    await waitForRevision("LP-1", 3)
    w = await sdkCall(admin.tm.getTaskmanagementWorkitem(created.workitemId as string))
    expect(w.body.status.id).toBe(p.statusIds["Resolved"])
  })

  it("made every call with the provisioned client, and none was refused", () => {
    const mine = emulator.requests().filter((r) => r.clientId === p.clientId)
    expect(mine.length).toBeGreaterThan(3)
    expect(mine.filter((r) => r.status === 403 || r.status === 401)).toEqual([])
    expect(
      emulator
        .requests()
        .filter(
          (r) => r.clientId === emulator.adminClientId && r.route?.includes("/workitems/") && r.method === "PATCH"
        )
    ).toEqual([])
  })
})
