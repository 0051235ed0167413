/**
 * The provisioning client's least privilege: a client holding exactly `provisioningPermissions({ writeBack: true })`
 * provisions the whole stack with the write-back chain, reads and updates it, and destroys it against the emulator;
 * every call it makes is one of `PROVISIONING_OPERATIONS`; without the write-back permissions the workflow step is
 * refused.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { toPermissionPolicies } from "./build/permissions.js"
import { PROVISIONING_OPERATIONS, provisioningPermissions } from "./build/provisioningOperations.js"
import { provisionForService } from "./provision.js"
import { oauthClientProvider } from "./providers/oauthClient.js"
import { processAutomationTriggerProvider } from "./providers/processAutomationTrigger.js"
import { roleProvider } from "./providers/role.js"
import type { SdkTarget } from "./providers/sdk.js"
import { workflowProvider } from "./providers/workflow.js"
import type { TestGenesys } from "./testing.js"
import { startTestGenesys } from "./testing.js"
import { type Receiver, startReceiver, writeBackActionDefinition } from "./writeBackTesting.js"

let g: TestGenesys
let receiver: Receiver
beforeAll(async () => {
  g = await startTestGenesys()
  receiver = await startReceiver()
})
afterAll(async () => {
  await g.emulator.close()
  await receiver.close()
})

/** A provisioning client (created by the admin) holding exactly `permissions`. */
const provisioner = async (name: string, permissions: ReadonlyArray<string>): Promise<SdkTarget> => {
  const role = await roleProvider.create({
    connection: g.admin,
    name,
    permissionPolicies: toPermissionPolicies(permissions)
  })
  const client = await oauthClientProvider.create({ connection: g.admin, name, roleId: role.id })
  return { gatewayUrl: g.emulator.url, clientId: client.outs.clientId, clientSecret: client.outs.clientSecret }
}

const options = (namePrefix: string) => ({
  namePrefix,
  dataActions: {
    definitions: [writeBackActionDefinition(receiver.baseUrl)],
    basicAuth: { userName: "genesys", password: "pw" }
  },
  writeBack: {}
})

describe("the provisioning client's permissions", () => {
  it("are derived from the operations: each listed permission belongs to an operation, none is a wildcard", () => {
    const all = provisioningPermissions({ writeBack: true })
    expect(all.every((p) => !p.includes("*"))).toBe(true)
    expect(all).toEqual(expect.arrayContaining(["architect:job:create", "processautomation:trigger:add"]))
    expect(provisioningPermissions()).not.toContain("processautomation:trigger:add")
    toPermissionPolicies(all) // well-formed
  })

  it("suffice for provisioning, reading, updating and destroying the stack with the write-back chain, and every call made is listed", async () => {
    const target = await provisioner("Provisioner full", provisioningPermissions({ writeBack: true }))
    const p = await provisionForService(target, options("Least"))
    expect(p.triggerId).toEqual(expect.any(String))
    const flow = { connection: target, name: "Least write-back", yaml: "workflow:\n", flowId: p.workflowId as string }
    expect((await workflowProvider.read(p.workflowId as string, flow)).props.name).toBe("Least write-back")
    const trigger = await processAutomationTriggerProvider.read(p.triggerId as string, {
      connection: target,
      name: "",
      topicName: "",
      enabled: true,
      target: { type: "Workflow", id: "" },
      matchCriteria: [],
      triggerId: p.triggerId as string
    })
    await processAutomationTriggerProvider.update(p.triggerId as string, trigger.props, {
      ...trigger.props,
      enabled: false
    })
    await p.destroy()

    const calls = g.emulator.requests().filter((r) => r.clientId === target.clientId && r.path !== "/oauth/token")
    expect(calls.filter((r) => r.status === 403)).toEqual([])
    const listed = new Set(PROVISIONING_OPERATIONS.map((o) => `${o.httpMethod} ${o.path}`))
    const unlisted = [...new Set(calls.map((r) => `${r.method} ${r.route ?? r.path}`))].filter((c) => !listed.has(c))
    expect(unlisted).toEqual([])
    expect(calls.length).toBeGreaterThan(40)
  })

  it("without the write-back permissions, the workflow step is refused and everything created is undone", async () => {
    const target = await provisioner("Provisioner no write-back", provisioningPermissions())
    const err = await provisionForService(target, options("NoWb")).catch((e: Error) => e)
    expect((err as Error).message).toMatch(/^getFlows failed: HTTP 403 .*architect:flow:view/)
    const creates = g.emulator
      .requests()
      .filter((r) => r.clientId === target.clientId && r.method === "POST" && r.status === 200)
    expect(creates.length).toBeGreaterThan(0)
    expect([...g.emulator.state.worktypes.values()].some((w) => w.name === "NoWb Ticket")).toBe(false)
  })
})
