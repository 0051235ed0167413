/**
 * The write-back chain provisioned end to end against the emulator (`provisionForService` with `writeBack`, the same
 * providers `pulumi up` runs): an agent's change to a workitem of the worktype reaches the service's endpoint through
 * trigger → workflow → Data Action; the service's own changes do not (no echo); the service's role gains nothing.
 */
import { servicePermissions } from "@workbridge/catalog"
import { call as sdkCall, login } from "@workbridge/genesys-emulator/testing"
import platformClient from "purecloud-platform-client-v2"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Provisioned } from "./provision.js"
import { provisionForService } from "./provision.js"
import type { TestGenesys } from "./testing.js"
import { startTestGenesys } from "./testing.js"
import { type Receiver, startReceiver, writeBackActionDefinition } from "./writeBackTesting.js"

let g: TestGenesys
let receiver: Receiver
let p: Provisioned
beforeAll(async () => {
  g = await startTestGenesys()
  receiver = await startReceiver()
  p = await provisionForService(g.admin, {
    namePrefix: "Chain",
    dataActions: {
      definitions: [writeBackActionDefinition(receiver.baseUrl)],
      basicAuth: { userName: "genesys", password: "chain-pw" }
    },
    writeBack: {}
  })
})
afterAll(async () => {
  await g.emulator.close()
  await receiver.close()
})

const workitem = (n: string) => ({
  name: `Ticket ${n}`,
  typeId: p.worktypeId,
  customFields: { ticket_id_identifier: `T-${n}`, source_system_enum: "zendesk" } as never
})

describe("the provisioned write-back chain", () => {
  it("creates the workflow and the trigger, and gives the service's role no new permission", () => {
    expect(p.workflowId).toEqual(expect.any(String))
    expect(p.triggerId).toEqual(expect.any(String))
    expect(p.permissions).toEqual(servicePermissions())
    expect(p.permissions.some((x) => x.startsWith("processautomation:") || x.startsWith("architect:"))).toBe(false)
  })

  it("sends an agent's change to the service, and never the service's own changes", async () => {
    const service = await login(g.emulator.url, p.clientId, p.clientSecret)
    const created = await sdkCall<{ id: string }>(service.tm.postTaskmanagementWorkitems(workitem("1")))
    expect(created.status).toBe(200)
    await sdkCall(service.tm.patchTaskmanagementWorkitem(created.body.id, { description: "by the service" }))
    await g.emulator.workflowsIdle()
    expect(g.emulator.workflowExecutions().filter((x) => x.workitemId === created.body.id)).toEqual([])
    expect(receiver.received).toEqual([])

    // Another client (an agent) changes it: one execution, delivered.
    const agent = await login(g.emulator.url, g.admin.clientId, g.admin.clientSecret)
    const patched = await sdkCall(agent.tm.patchTaskmanagementWorkitem(created.body.id, { description: "by an agent" }))
    expect(patched.status).toBe(200)
    await g.emulator.workflowsIdle()
    const executions = g.emulator.workflowExecutions().filter((x) => x.workitemId === created.body.id)
    expect(executions.map((x) => [x.triggerId, x.flowId, x.status])).toEqual([[p.triggerId, p.workflowId, "succeeded"]])
    expect(receiver.received).toHaveLength(1)
    const [delivery] = receiver.received
    expect(delivery?.path).toBe("/data-actions/workitem-event")
    expect(delivery?.body).toMatchObject({ id: created.body.id, typeId: p.worktypeId, modifiedBy: g.admin.clientId })
    expect(delivery?.authorization).toBe(`Basic ${Buffer.from("genesys:chain-pw").toString("base64")}`)
  })

  it("ignores workitems of other worktypes", async () => {
    const admin = await login(g.emulator.url, g.admin.clientId, g.admin.clientSecret)
    const before = g.emulator.workflowExecutions().length
    const other = await provisionForService(g.admin, { namePrefix: "Other" })
    const wi = await sdkCall<{ id: string }>(
      admin.tm.postTaskmanagementWorkitems({ name: "Elsewhere", typeId: other.worktypeId })
    )
    expect(wi.status).toBe(200)
    await g.emulator.workflowsIdle()
    expect(g.emulator.workflowExecutions().length).toBe(before)
    await sdkCall(admin.tm.deleteTaskmanagementWorkitem(wi.body.id))
    await other.destroy()
  })

  it("destroy() deletes the trigger and the workflow with the rest", async () => {
    const admin = await login(g.emulator.url, g.admin.clientId, g.admin.clientSecret)
    const pa = new platformClient.ProcessAutomationApi(admin.client)
    const architect = new platformClient.ArchitectApi(admin.client)
    // Workitems of the worktype must go first (Genesys refuses to delete a worktype that has some).
    const items = await sdkCall<{ entities: Array<{ id: string }> }>(
      admin.tm.postTaskmanagementWorkitemsQuery({
        filters: [{ name: "typeId", type: "String", operator: "EQ", values: [p.worktypeId] }],
        pageSize: 25
      } as never)
    )
    for (const wi of items.body.entities) await sdkCall(admin.tm.deleteTaskmanagementWorkitem(wi.id))
    await p.destroy()
    expect((await sdkCall(pa.getProcessautomationTrigger(p.triggerId as string))).status).toBe(404)
    expect((await sdkCall(architect.getFlow(p.workflowId as string))).status).toBe(404)
  })
})
