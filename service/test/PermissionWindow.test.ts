/**
 * Permissions take time to apply in Genesys (up to about five minutes): a 403 inside the propagation window is
 * retried and the event applied once the permission arrives; after the window it is dead-lettered. End to end
 * through the SDK against the emulator, whose `permissionDelaySeconds` delays a role change's effect.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import platformClient from "purecloud-platform-client-v2"
import { Effect } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { sign } from "@workbridge/adapters"
import type { Emulator } from "@workbridge/genesys-emulator"
import { loadConfig } from "../src/config/Config.js"
import { makeSdkClient } from "@workbridge/genesys"
import { type RunningService, startService } from "../src/Service.js"
import { TEST_SECRET, baseEnv, genericBody, revisionPrefix, startEmulatorAndProvision } from "../src/testing/harness.js"
import type { TicketSyncStatus } from "../src/sync/TicketStatus.js"

const WORKITEMS = "/api/v2/taskmanagement/workitems"
/** What the service needs, without editing workitems. */
const WITHOUT_EDIT = [
  { domain: "workitems", entityName: "worktype", actionSet: ["view"] },
  { domain: "workitems", entityName: "status", actionSet: ["view"] },
  { domain: "workitems", entityName: "workitem", actionSet: ["view", "add"] }
]
const WITH_EDIT = [
  ...WITHOUT_EDIT.slice(0, 2),
  { domain: "workitems", entityName: "workitem", actionSet: ["view", "add", "edit"] }
]

const body = <T>(r: unknown): T => ((r as { body?: unknown }).body ?? r) as T

interface Setup {
  readonly emulator: Emulator
  readonly service: RunningService
  readonly roleId: string
  readonly authz: platformClient.AuthorizationApi
  readonly dataDir: string
}

let setup: Setup | undefined
afterEach(async () => {
  if (setup === undefined) return
  await setup.service.close()
  await setup.emulator.close()
  fs.rmSync(setup.dataDir, { recursive: true, force: true })
  setup = undefined
})

/** An emulator, a role without `workitems:workitem:edit`, an OAuth client holding it, and the service as that client. */
const start = async (env: Record<string, string>): Promise<Setup> => {
  const { emulator, provisioned } = await startEmulatorAndProvision()
  const admin = makeSdkClient({ gatewayUrl: emulator.url })
  await admin.loginClientCredentialsGrant(emulator.adminClientId, emulator.adminClientSecret)
  const authz = new platformClient.AuthorizationApi(admin)
  const role = body<{ id: string }>(
    await authz.postAuthorizationRoles({ name: "Workbridge sync", permissionPolicies: WITHOUT_EDIT } as never)
  )
  const client = body<{ id: string; secret: string }>(
    await new platformClient.OAuthApi(admin).postOauthClients({
      name: "workbridge-sync",
      authorizedGrantType: "CLIENT-CREDENTIALS",
      roleDivisions: [{ roleId: role.id, divisionId: emulator.state.homeDivision.id }]
    } as never)
  )
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "wb-perm-"))
  const config = loadConfig({
    ...baseEnv(emulator, provisioned, dataDir),
    GENESYS_CLIENT_ID: client.id,
    GENESYS_CLIENT_SECRET: client.secret,
    WORKBRIDGE_COALESCE_MS: "0",
    ...env
  })
  const service = await startService(config, { print: () => undefined })
  setup = { emulator, service, roleId: role.id, authz, dataDir }
  return setup
}

const post = async (s: Setup, ticketId: string, rev: number, fields: Record<string, unknown> = {}) => {
  const raw = Buffer.from(JSON.stringify(genericBody({ ticketId, rev, fields })), "utf8")
  const res = await fetch(`${s.service.url}/webhooks/generic`, {
    method: "POST",
    headers: sign("generic", raw, { secret: TEST_SECRET }, new Date()),
    body: raw
  })
  expect(res.status).toBe(202)
}
const status = async (s: Setup, ticketId: string) =>
  (await (await fetch(`${s.service.url}/tickets/generic/${ticketId}`)).json()) as TicketSyncStatus
const waitFor = async (s: Setup, ticketId: string, ok: (x: TicketSyncStatus) => boolean, timeoutMs = 20_000) => {
  const deadline = Date.now() + timeoutMs
  let last: TicketSyncStatus | undefined
  while (Date.now() < deadline) {
    last = await status(s, ticketId)
    if (ok(last)) return last
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`ticket ${ticketId} did not reach the expected state; last status: ${JSON.stringify(last)}`)
}
const atRev = (rev: number) => (x: TicketSyncStatus) =>
  x.pendingEvents === 0 && (x.appliedRevision ?? "").startsWith(revisionPrefix(rev))
const patches = (s: Setup, workitemId: string) =>
  s.emulator
    .requests()
    .filter((r) => r.method === "PATCH" && r.path === `${WORKITEMS}/${workitemId}`)
    .map((r) => r.status)

describe("the permission-propagation window", () => {
  it("retries a 403 inside the window and applies the event once the permission arrives, with no dead letter; /readyz and a metric show the wait", async () => {
    const s = await start({})
    await post(s, "PERM-1", 1)
    const created = await waitFor(s, "PERM-1", atRev(1))
    // The role gains workitems:workitem:edit, which takes 3 s to apply.
    s.emulator.configure({ permissionDelaySeconds: 3 })
    await s.authz.putAuthorizationRole(s.roleId, { name: "Workbridge sync", permissionPolicies: WITH_EDIT } as never)
    await post(s, "PERM-1", 2, { subject: "edited once the permission applies" })

    // While the 403s are retried, /readyz (still 200) and the metric name the operation.
    let ready: { status: string; permissionWait?: Array<{ operation: string }> } | undefined
    const deadline = Date.now() + 10_000
    while (Date.now() < deadline) {
      const res = await fetch(`${s.service.url}/readyz`)
      ready = (await res.json()) as typeof ready
      if (ready?.permissionWait !== undefined) {
        expect(res.status).toBe(200)
        break
      }
      await new Promise((r) => setTimeout(r, 50))
    }
    expect(ready?.permissionWait?.map((w) => w.operation)).toEqual(["updateWorkitem"])
    expect(await (await fetch(`${s.service.url}/metrics`)).text()).toMatch(
      /workbridge_genesys_permission_wait\{operation="updateWorkitem"\} 1/
    )

    await waitFor(s, "PERM-1", atRev(2), 30_000)
    const codes = patches(s, created.workitemId!)
    expect(codes.filter((c) => c === 403).length).toBeGreaterThanOrEqual(1)
    expect(codes[codes.length - 1]).toBe(200)
    expect(codes.filter((c) => c === 200)).toHaveLength(1)
    expect(await Effect.runPromise(s.service.links.listDeadLetters())).toHaveLength(0)
    // The window closed with the success.
    expect(
      ((await (await fetch(`${s.service.url}/readyz`)).json()) as { permissionWait?: unknown }).permissionWait
    ).toBeUndefined()
  })

  it("after the window a 403 is dead-lettered as before; replaying it after a role change opens a new window", async () => {
    const s = await start({ WORKBRIDGE_PERMISSION_WINDOW_SECONDS: "3" })
    await post(s, "PERM-2", 1)
    const created = await waitFor(s, "PERM-2", atRev(1))
    // The permission never comes.
    await post(s, "PERM-2", 2, { subject: "never allowed" })
    const dead = await waitFor(s, "PERM-2", (x) => x.pendingEvents === 0 && x.lastError !== undefined, 30_000)
    expect(dead.lastError).toContain("GenesysForbidden")
    const letter = (await Effect.runPromise(s.service.links.listDeadLetters())).find((d) => d.ticketId === "PERM-2")!
    expect(letter.reason).toBe("GenesysForbidden")
    expect(letter.details.join(" ")).toContain("workitems:workitem:edit")
    // Retried inside the window (more than one 403), never applied.
    const codes = patches(s, created.workitemId!)
    expect(codes.length).toBeGreaterThan(1)
    expect(codes.every((c) => c === 403)).toBe(true)

    // The operator grants the permission (it applies 2 s later) and replays the dead letter: without a new window its
    // first 403 would be dead-lettered again at once.
    s.emulator.configure({ permissionDelaySeconds: 2 })
    await s.authz.putAuthorizationRole(s.roleId, { name: "Workbridge sync", permissionPolicies: WITH_EDIT } as never)
    expect((await fetch(`${s.service.url}/dead-letters/${letter.id}/replay`, { method: "POST" })).status).toBe(202)
    await waitFor(s, "PERM-2", atRev(2), 30_000)
    expect(await Effect.runPromise(s.service.links.listDeadLetters())).toHaveLength(0)
    const after = patches(s, created.workitemId!).slice(codes.length)
    expect(after[0]).toBe(403)
    expect(after[after.length - 1]).toBe(200)
  })

  it("a replay from the operator console opens a new window too", async () => {
    const s = await start({ WORKBRIDGE_PERMISSION_WINDOW_SECONDS: "3" })
    await post(s, "PERM-3", 1)
    const created = await waitFor(s, "PERM-3", atRev(1))
    await post(s, "PERM-3", 2, { subject: "never allowed" })
    await waitFor(s, "PERM-3", (x) => x.pendingEvents === 0 && x.lastError !== undefined, 30_000)
    const letter = (await Effect.runPromise(s.service.links.listDeadLetters())).find((d) => d.ticketId === "PERM-3")!
    expect(letter.reason).toBe("GenesysForbidden")
    const before = patches(s, created.workitemId!).length

    s.emulator.configure({ permissionDelaySeconds: 2 })
    await s.authz.putAuthorizationRole(s.roleId, { name: "Workbridge sync", permissionPolicies: WITH_EDIT } as never)
    // The console is open (no admin token): the confirmation page's form carries the CSRF token.
    const page = await (await fetch(`${s.service.url}/ops/dead-letters/confirm?action=replay&id=${letter.id}`)).text()
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? ""
    const replay = await fetch(`${s.service.url}/ops/dead-letters/replay`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ id: letter.id, csrf }).toString(),
      redirect: "manual"
    })
    expect(replay.status).toBe(303)
    // Applied once the permission arrives, not dead-lettered again by the replay's first 403.
    const settled = await waitFor(s, "PERM-3", (x) => x.pendingEvents === 0, 20_000)
    expect(settled.appliedRevision?.startsWith(revisionPrefix(2))).toBe(true)
    expect(await Effect.runPromise(s.service.links.listDeadLetters())).toHaveLength(0)
    const after = patches(s, created.workitemId!).slice(before)
    expect(after[0]).toBe(403)
    expect(after[after.length - 1]).toBe(200)
  })
})
