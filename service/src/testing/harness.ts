/**
 * Test harness: an emulator started in-process, provisioned from the catalog through the SDK, and a service
 * pointed at it with configuration from an env map — the same path production takes, minus the real org.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import platformClient from "purecloud-platform-client-v2"
import { sign } from "@workbridge/adapters"
import { defaultCatalog, makeRevision } from "@workbridge/catalog"
import { type Emulator, type EmulatorOptions, startEmulator } from "@workbridge/genesys-emulator"
import { loadConfig } from "../config/Config.js"
import { makeSdkClient, type Provisioned, provision, type Workitem } from "@workbridge/genesys"
import { type RunningService, type StartOptions, startService } from "../Service.js"
import type { TicketSyncStatus } from "../sync/TicketStatus.js"

export const TEST_SECRET = "test-webhook-secret"

export interface GenericTicket {
  readonly ticketId: string
  readonly rev: number
  readonly fields?: Readonly<Record<string, unknown>>
  readonly eventId?: string
}

/** The body a generic JSON source posts. */
export const genericBody = (t: GenericTicket): Record<string, unknown> => ({
  ticket_id: t.ticketId,
  revision: t.rev,
  occurred_at: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, t.rev)).toISOString(),
  event_id: t.eventId ?? `${t.ticketId}-r${t.rev}`,
  fields: {
    ticket_id: t.ticketId,
    source_system: "generic",
    subject: `Ticket ${t.ticketId} at revision ${t.rev}`,
    status: "new",
    priority: "normal",
    ...t.fields
  }
})

/** The revision string the generic adapter gives a counter revision (compared through the status endpoint). */
export const revisionPrefix = (rev: number): string => makeRevision(rev)

/** The value on the first line of a `/metrics` text that starts with `name` (labels included), if any. */
export const metricValue = (text: string, name: string): number | undefined => {
  const line = text.split("\n").find((l) => l.startsWith(name))
  return line === undefined ? undefined : Number(line.split(" ").pop())
}

export interface Harness {
  readonly emulator: Emulator
  readonly provisioned: Provisioned
  readonly service: RunningService
  readonly dataDir: string
  readonly env: Readonly<Record<string, string>>
  /** Post a signed generic webhook (or raw bytes with the given headers). */
  post(
    body: unknown,
    options?: { readonly source?: string; readonly headers?: Record<string, string>; readonly raw?: Buffer }
  ): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }>
  status(ticketId: string, source?: string): Promise<TicketSyncStatus | undefined>
  /** Wait until the ticket's status satisfies `ok` (polling; fails after `timeoutMs`). */
  waitFor(ticketId: string, ok: (s: TicketSyncStatus) => boolean, timeoutMs?: number): Promise<TicketSyncStatus>
  /** Workitems of a ticket, read through the SDK as an admin. */
  workitemsOf(ticketId: string): Promise<ReadonlyArray<Workitem>>
  getWorkitem(id: string): Promise<Workitem>
  admin: platformClient.TaskManagementApi
  close(): Promise<void>
}

export const baseEnv = (emulator: Emulator, provisioned: Provisioned, dataDir: string): Record<string, string> => ({
  PORT: "0",
  WORKBRIDGE_DATA_DIR: dataDir,
  GENESYS_GATEWAY_URL: emulator.url,
  GENESYS_CLIENT_ID: emulator.adminClientId,
  GENESYS_CLIENT_SECRET: emulator.adminClientSecret,
  WORKBRIDGE_WORKTYPE_ID: provisioned.worktypeId,
  WEBHOOK_SECRET_GENERIC: TEST_SECRET,
  LOG_LEVEL: "silent",
  WORKBRIDGE_BUDGET_PER_MINUTE: "6000",
  WORKBRIDGE_BUDGET_BURST: "20",
  WORKBRIDGE_RETRY_BASE_MS: "20",
  WORKBRIDGE_RETRY_MAX_MS: "300",
  WORKBRIDGE_RETRY_ATTEMPTS: "8",
  WORKBRIDGE_GENESYS_TIMEOUT_MS: "1500"
})

/**
 * The Task Management API as the emulator's admin, logging in again when a call answers 401 (tests expire
 * every token on purpose).
 */
export const adminApi = async (emulator: Emulator): Promise<platformClient.TaskManagementApi> => {
  const client = makeSdkClient({ gatewayUrl: emulator.url })
  const login = () => client.loginClientCredentialsGrant(emulator.adminClientId, emulator.adminClientSecret)
  await login()
  const api = new platformClient.TaskManagementApi(client)
  return new Proxy(api, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown
      if (typeof value !== "function") return value
      return async (...args: Array<unknown>) => {
        try {
          return await (value as (...a: Array<unknown>) => Promise<unknown>).apply(target, args)
        } catch (e) {
          if ((e as { status?: number }).status !== 401) throw e
          await login()
          return await (value as (...a: Array<unknown>) => Promise<unknown>).apply(target, args)
        }
      }
    }
  })
}

const body = (r: unknown): Record<string, unknown> => ((r as { body?: unknown }).body ?? r) as Record<string, unknown>

export const startEmulatorAndProvision = async (emulatorOptions: EmulatorOptions = {}) => {
  const emulator = await startEmulator({
    port: 0,
    rateLimitPerMinute: 100_000,
    workitemUpdatesPerMinute: 10_000,
    ...emulatorOptions
  })
  const provisioned = await provision({
    gatewayUrl: emulator.url,
    clientId: emulator.adminClientId,
    clientSecret: emulator.adminClientSecret,
    catalog: defaultCatalog
  })
  return { emulator, provisioned }
}

export const startHarness = async (
  env: Readonly<Record<string, string>> = {},
  emulatorOptions: EmulatorOptions = {},
  before?: (emulator: Emulator, provisioned: Provisioned, admin: platformClient.TaskManagementApi) => Promise<void>,
  startOptions: StartOptions = {}
): Promise<Harness> => {
  const { emulator, provisioned } = await startEmulatorAndProvision(emulatorOptions)
  const admin = await adminApi(emulator)
  if (before !== undefined) await before(emulator, provisioned, admin)
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "wb-svc-"))
  const fullEnv = { ...baseEnv(emulator, provisioned, dataDir), ...env }
  const service = await startService(loadConfig(fullEnv), { print: () => undefined, ...startOptions })

  const statusOf = async (ticketId: string, source = "generic") => {
    const res = await fetch(`${service.url}/tickets/${source}/${encodeURIComponent(ticketId)}`)
    return res.status === 404 ? undefined : ((await res.json()) as TicketSyncStatus)
  }

  return {
    emulator,
    provisioned,
    service,
    dataDir,
    env: fullEnv,
    admin,
    post: async (payload, options = {}) => {
      const source = options.source ?? "generic"
      const raw = options.raw ?? Buffer.from(JSON.stringify(payload), "utf8")
      const headers = options.headers ?? sign(source, raw, { secret: TEST_SECRET }, new Date())
      const res = await fetch(`${service.url}/webhooks/${source}`, { method: "POST", headers, body: raw })
      const text = await res.text()
      let json: Record<string, unknown> = {}
      try {
        json = JSON.parse(text) as Record<string, unknown>
      } catch {
        json = { text }
      }
      return { status: res.status, json, headers: res.headers }
    },
    status: statusOf,
    waitFor: async (ticketId, ok, timeoutMs = 20_000) => {
      const deadline = Date.now() + timeoutMs
      let last: TicketSyncStatus | undefined
      while (Date.now() < deadline) {
        last = await statusOf(ticketId)
        if (last !== undefined && ok(last)) return last
        await new Promise((r) => setTimeout(r, 50))
      }
      throw new Error(`ticket ${ticketId} did not reach the expected state; last status: ${JSON.stringify(last)}`)
    },
    workitemsOf: async (ticketId) => {
      const r = await admin.postTaskmanagementWorkitemsQuery({
        filters: [
          { name: "typeId", type: "String", operator: "EQ", values: [provisioned.worktypeId] },
          { name: "customFields.ticket_id_identifier", type: "String", operator: "EQ", values: [ticketId] }
        ],
        pageSize: 200
      } as never)
      return (body(r)["entities"] as Array<Workitem> | undefined) ?? []
    },
    getWorkitem: async (id) => body(await admin.getTaskmanagementWorkitem(id)) as unknown as Workitem,
    close: async () => {
      await service.close()
      await emulator.close()
      fs.rmSync(dataDir, { recursive: true, force: true })
    }
  }
}
