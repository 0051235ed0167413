/**
 * The least-privilege proof: the OAuth client the providers create, holding the role derived from
 * `SERVICE_OPERATIONS`, can make every call the service makes; removing any single permission from the role makes
 * the operations needing it fail with 403 (and only those); and it cannot touch the configuration it depends on.
 */
import type { ServiceOperationName } from "@workbridge/catalog"
import { SERVICE_OPERATIONS, servicePermissions } from "@workbridge/catalog"
import type { SdkSession } from "@workbridge/genesys-emulator/testing"
import { call as sdkCall, login } from "@workbridge/genesys-emulator/testing"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { toPermissionPolicies } from "./build/permissions.js"
import type { Provisioned } from "./provision.js"
import { provisionForService } from "./provision.js"
import { oauthClientProvider } from "./providers/oauthClient.js"
import { roleProvider } from "./providers/role.js"
import type { TestGenesys } from "./testing.js"
import { startTestGenesys } from "./testing.js"

interface Ctx {
  readonly p: Provisioned
  /** A workitem created with the admin client. */
  readonly workitemId: string
  /** A bulk add job the admin client created and ran. */
  readonly bulkJobId: string
}

const workitemBody = (typeId: string, n: string) => ({
  name: `Ticket ${n}`,
  typeId,
  customFields: { ticket_id_identifier: `T-${n}`, source_system_enum: "zendesk", subject_text: `Ticket ${n}` } as never
})

/** One call per operation the service makes, exactly as SERVICE_OPERATIONS describes it. */
const PROBES: Record<ServiceOperationName, (s: SdkSession, ctx: Ctx) => Promise<unknown>> = {
  getWorktype: (s, { p }) => s.tm.getTaskmanagementWorktype(p.worktypeId),
  queryWorktypes: (s, { p }) =>
    s.tm.postTaskmanagementWorktypesQuery({
      filters: [{ name: "name", type: "String", operator: "EQ", values: [p.worktypeName] }],
      pageSize: 25
    } as never),
  getWorktypeStatuses: (s, { p }) => s.tm.getTaskmanagementWorktypeStatuses(p.worktypeId),
  queryWorkitems: (s, { p }) =>
    s.tm.postTaskmanagementWorkitemsQuery({
      filters: [{ name: "typeId", type: "String", operator: "EQ", values: [p.worktypeId] }],
      pageSize: 25
    } as never),
  getWorkitem: (s, { workitemId }) => s.tm.getTaskmanagementWorkitem(workitemId),
  createWorkitem: (s, { p }) =>
    s.tm.postTaskmanagementWorkitems(workitemBody(p.worktypeId, String(Math.random()).slice(2, 8))),
  updateWorkitem: (s, { workitemId }) =>
    s.tm.patchTaskmanagementWorkitem(workitemId, { description: "updated by the service" }),
  createBulkAddJob: (s, { p }) =>
    s.tm.postTaskmanagementWorkitemsBulkAddJobs({
      entities: [workitemBody(p.worktypeId, String(Math.random()).slice(2, 8))]
    }),
  // A fresh Idle job each time (only an Idle job can be queued), created by the admin client.
  queueBulkAddJob: async (s, { p }) => {
    const job = await sdkCall<{ id: string }>(
      admin.tm.postTaskmanagementWorkitemsBulkAddJobs({
        entities: [workitemBody(p.worktypeId, String(Math.random()).slice(2, 8))]
      })
    )
    return s.tm.patchTaskmanagementWorkitemsBulkAddJob(job.body.id, { state: "Queued" })
  },
  getBulkAddJob: (s, { bulkJobId }) => s.tm.getTaskmanagementWorkitemsBulkAddJob(bulkJobId),
  getBulkAddJobResults: (s, { bulkJobId }) => s.tm.getTaskmanagementWorkitemsBulkAddJobResults(bulkJobId)
}

const statusOf = async (p: Promise<unknown>): Promise<number> => (await sdkCall(p)).status

let g: TestGenesys
let ctx: Ctx
let admin: SdkSession
beforeAll(async () => {
  g = await startTestGenesys()
  const p = await provisionForService(g.admin, { namePrefix: "Proof" })
  admin = await login(g.emulator.url, g.admin.clientId, g.admin.clientSecret)
  const wi = await sdkCall<{ id: string }>(admin.tm.postTaskmanagementWorkitems(workitemBody(p.worktypeId, "admin")))
  expect(wi.status).toBe(200)
  const job = await sdkCall<{ id: string }>(
    admin.tm.postTaskmanagementWorkitemsBulkAddJobs({ entities: [workitemBody(p.worktypeId, "bulk")] })
  )
  expect(
    (await sdkCall(admin.tm.patchTaskmanagementWorkitemsBulkAddJob(job.body.id, { state: "Queued" }))).status
  ).toBe(200)
  // The emulator runs a queued job on the first request at least 250 ms later.
  await new Promise((r) => setTimeout(r, 300))
  expect(
    (await sdkCall<{ state: string }>(admin.tm.getTaskmanagementWorkitemsBulkAddJob(job.body.id))).body.state
  ).toBe("Succeeded")
  ctx = { p, workitemId: wi.body.id, bulkJobId: job.body.id }
})
afterAll(async () => {
  await g.emulator.close()
})

describe("least privilege", () => {
  it("probes every operation of SERVICE_OPERATIONS", () => {
    expect(Object.keys(PROBES).sort()).toEqual(Object.keys(SERVICE_OPERATIONS).sort())
  })

  it("the role holds exactly the service's permissions", () => {
    expect(ctx.p.permissions).toEqual(servicePermissions())
  })

  it("the provisioned client can make every call the service makes", async () => {
    const s = await login(g.emulator.url, ctx.p.clientId, ctx.p.clientSecret)
    for (const [name, probe] of Object.entries(PROBES)) {
      expect([name, await statusOf(probe(s, ctx))]).toEqual([name, 200])
    }
  })

  it("the provisioned client cannot change the configuration or delete workitems", async () => {
    const s = await login(g.emulator.url, ctx.p.clientId, ctx.p.clientSecret)
    expect(await statusOf(s.tm.deleteTaskmanagementWorkitem(ctx.workitemId))).toBe(403)
    expect(await statusOf(s.tm.patchTaskmanagementWorktype(ctx.p.worktypeId, { name: "Hijacked" }))).toBe(403)
    expect(await statusOf(s.tm.deleteTaskmanagementWorktype(ctx.p.worktypeId))).toBe(403)
    expect(await statusOf(s.tm.postTaskmanagementWorkbins({ name: "Not mine" }))).toBe(403)
    expect(await statusOf(s.authz.postAuthorizationRoles({ name: "Escalate" } as never))).toBe(403)
  })

  it.each(servicePermissions().map((p) => [p]))(
    "without %s, the operations needing it fail with 403",
    async (removed) => {
      const role = await roleProvider.create({
        connection: g.admin,
        name: `Proof without ${removed}`,
        permissionPolicies: toPermissionPolicies(servicePermissions().filter((p) => p !== removed))
      })
      const client = await oauthClientProvider.create({
        connection: g.admin,
        name: `Proof without ${removed}`,
        roleId: role.id
      })
      try {
        const s = await login(g.emulator.url, client.outs.clientId, client.outs.clientSecret)
        const needing = (Object.keys(PROBES) as ServiceOperationName[]).filter(
          (op) => SERVICE_OPERATIONS[op].permission === removed
        )
        expect(needing.length).toBeGreaterThan(0)
        for (const op of Object.keys(PROBES) as ServiceOperationName[]) {
          const expected = SERVICE_OPERATIONS[op].permission === removed ? 403 : 200
          expect([op, await statusOf(PROBES[op](s, ctx))]).toEqual([op, expected])
        }
      } finally {
        await oauthClientProvider.delete(client.id, client.outs)
        await roleProvider.delete(role.id, role.outs)
      }
    }
  )

  it("destroy() removes everything it created, in a safe order", async () => {
    const p = await provisionForService(g.admin, { namePrefix: "Gone" })
    await p.destroy()
    expect(await statusOf(admin.tm.getTaskmanagementWorktype(p.worktypeId))).toBe(404)
    expect(await statusOf(admin.tm.getTaskmanagementWorkbin(p.workbinId))).toBe(404)
    expect(await statusOf(admin.tm.getTaskmanagementWorkitemsSchema(p.schemaId))).toBe(404)
    expect(await statusOf(admin.authz.getAuthorizationRole(p.roleId))).toBe(404)
    expect(await statusOf(admin.oauth.getOauthClient(p.clientId))).toBe(404)
  })

  it("cleans up when a step fails, and names the failing call", async () => {
    const before = await sdkCall<{ entities?: unknown[] }>(
      admin.tm.postTaskmanagementWorkbinsQuery({ filters: [], pageSize: 200 } as never)
    )
    g.emulator.faults.add({ method: "POST", path: "/api/v2/oauth/clients", kind: "status", status: 503, count: 1 })
    const err = await provisionForService(g.admin, { namePrefix: "Broken" }).catch((e: Error) => e)
    g.emulator.faults.clear()
    expect(err).toBeInstanceOf(Error)
    expect((err as Error).message).toMatch(/^postOauthClients failed: HTTP 503/)
    expect((err as Error).message).not.toContain(g.admin.clientSecret)
    const after = await sdkCall<{ entities?: unknown[] }>(
      admin.tm.postTaskmanagementWorkbinsQuery({ filters: [], pageSize: 200 } as never)
    )
    expect(after.body.entities?.length).toBe(before.body.entities?.length)
  })
})
