/** The workflow and trigger providers against the emulator, through the SDK (no Pulumi CLI). */
import { writeBackTrigger, writeBackWorkflowYaml } from "@workbridge/genesys"
import { call as sdkCall, login } from "@workbridge/genesys-emulator/testing"
import platformClient from "purecloud-platform-client-v2"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { TestGenesys } from "../testing.js"
import { startTestGenesys } from "../testing.js"
import { type Receiver, startReceiver, writeBackActionDefinition } from "../writeBackTesting.js"
import { dataActionProvider } from "./dataAction.js"
import { integrationProvider } from "./integration.js"
import type { ProcessAutomationTriggerInputs } from "./processAutomationTrigger.js"
import { processAutomationTriggerProvider } from "./processAutomationTrigger.js"
import type { WorkflowInputs } from "./workflow.js"
import { workflowProvider } from "./workflow.js"

let g: TestGenesys
let receiver: Receiver
let integrationName: string
let actionName: string
beforeAll(async () => {
  g = await startTestGenesys()
  receiver = await startReceiver()
  integrationName = "WB Data Actions"
  const integration = await integrationProvider.create({ connection: g.admin, name: integrationName })
  const d = writeBackActionDefinition(receiver.baseUrl)
  actionName = d.name
  await dataActionProvider.create({
    connection: g.admin,
    integrationId: integration.id,
    name: d.name,
    category: integrationName,
    contract: d.contract,
    config: d.config
  })
})
afterAll(async () => {
  await g.emulator.close()
  await receiver.close()
})

const workflowInputs = (name: string, action = actionName): WorkflowInputs => ({
  connection: g.admin,
  name,
  yaml: writeBackWorkflowYaml({ workflowName: name, integrationName, actionName: action })
})

const triggerInputs = (
  name: string,
  workflowId: string,
  workbridgeClientId: string
): ProcessAutomationTriggerInputs => {
  const spec = writeBackTrigger({ name, workflowId, worktypeId: "wt-1", workbridgeClientId })
  return { connection: g.admin, ...spec, target: { ...spec.target }, matchCriteria: [...spec.matchCriteria] }
}

const adminArchitect = async () => {
  const s = await login(g.emulator.url, g.admin.clientId, g.admin.clientSecret)
  return {
    architect: new platformClient.ArchitectApi(s.client),
    pa: new platformClient.ProcessAutomationApi(s.client)
  }
}

describe("workflow provider", () => {
  it("deploys the YAML through an import job, reads it, re-imports on a YAML change and deletes it", async () => {
    const inputs = workflowInputs("WB flow one")
    const created = await workflowProvider.create(inputs)
    expect(created.outs.flowId).toBe(created.id)
    const read = await workflowProvider.read(created.id, created.outs)
    expect(read.props.name).toBe("WB flow one")
    expect((await workflowProvider.diff(created.id, read.props, inputs)).changes).toBe(false)

    const changed = { ...inputs, yaml: inputs.yaml.replace("Send the workitem event", "Send the event") }
    expect(await workflowProvider.diff(created.id, read.props, changed)).toMatchObject({ changes: true, replaces: [] })
    const updated = await workflowProvider.update(created.id, read.props, changed)
    expect(updated.outs.flowId).toBe(created.id)
    expect(
      (await workflowProvider.diff(created.id, { ...inputs, flowId: created.id }, workflowInputs("WB renamed")))
        .replaces
    ).toEqual(["name"])

    const { architect } = await adminArchitect()
    const flow = await sdkCall<{ name: string; type: string }>(architect.getFlow(created.id))
    expect([flow.status, flow.body.name, flow.body.type.toLowerCase()]).toEqual([200, "WB flow one", "workflow"])

    await workflowProvider.delete(created.id, created.outs)
    await expect(workflowProvider.read(created.id, created.outs)).rejects.toMatchObject({ status: 404 })
    await workflowProvider.delete(created.id, created.outs) // already gone: no error
  })

  it("adopts a workflow of the same name on a re-run (lost state), importing over it", async () => {
    const first = await workflowProvider.create(workflowInputs("WB flow adopt"))
    const again = await workflowProvider.create(workflowInputs("WB flow adopt"))
    expect(again.id).toBe(first.id)
    const { architect } = await adminArchitect()
    const listing = await sdkCall<{ entities: Array<{ id: string }> }>(
      architect.getFlows({ type: ["workflow"], name: "WB flow adopt" })
    )
    expect(listing.body.entities.map((e) => e.id)).toEqual([first.id])
    await workflowProvider.delete(first.id, first.outs)
  })

  it("fails with the job's messages when the YAML calls an action that does not exist", async () => {
    const err = await workflowProvider.create(workflowInputs("WB flow broken", "No such action")).catch((e: Error) => e)
    expect(err).toBeInstanceOf(Error)
    expect((err as Error).message).toMatch(/^workflow "WB flow broken": import job \S+ failed: .*No such action/)
  })

  it("names bad inputs before any call", async () => {
    await expect(
      workflowProvider.create({ ...workflowInputs("x"), yaml: "inboundCall:\n  name: x\n" })
    ).rejects.toThrow("workflow.yaml: must be Architect YAML with a top-level `workflow:`")
    await expect(workflowProvider.create({ ...workflowInputs("x"), name: "" })).rejects.toThrow(
      'workflow.name: must be 1-256 characters, got ""'
    )
  })
})

describe("process automation trigger provider", () => {
  it("creates, reads with no diff, sees drift, updates in place with the current version, and deletes", async () => {
    const flow = await workflowProvider.create(workflowInputs("WB flow for trigger"))
    const inputs = triggerInputs("WB trigger one", flow.id, "service-client")
    const created = await triggerProvider().create(inputs)
    const read = await triggerProvider().read(created.id, created.outs)
    expect(read.props).toMatchObject({
      topicName: "v2.taskmanagement.workitems.{id}",
      enabled: true,
      target: { type: "Workflow", id: flow.id, workflowTargetSettings: { dataFormat: "Json" } }
    })
    expect((await triggerProvider().diff(created.id, read.props, inputs)).changes).toBe(false)

    // Disabled by hand: drift, and the update writes it back.
    const { pa } = await adminArchitect()
    const current = await sdkCall<Record<string, unknown>>(pa.getProcessautomationTrigger(created.id))
    const { id: _id, selfUri: _self, ...rest } = current.body
    expect(
      (await sdkCall(pa.putProcessautomationTrigger(created.id, { ...rest, enabled: false } as never))).status
    ).toBe(200)
    const drifted = await triggerProvider().read(created.id, created.outs)
    expect(await triggerProvider().diff(created.id, drifted.props, inputs)).toMatchObject({
      changes: true,
      replaces: []
    })
    await triggerProvider().update(created.id, drifted.props, inputs)
    const after = await triggerProvider().read(created.id, created.outs)
    expect(after.props.enabled).toBe(true)
    expect((await triggerProvider().diff(created.id, after.props, inputs)).changes).toBe(false)

    await triggerProvider().delete(created.id, created.outs)
    await expect(triggerProvider().read(created.id, created.outs)).rejects.toMatchObject({ status: 404 })
    await workflowProvider.delete(flow.id, flow.outs)
  })

  it("adopts a trigger of the same name on its topic, updating it when it differs", async () => {
    const flow = await workflowProvider.create(workflowInputs("WB flow adopt trigger"))
    const first = await triggerProvider().create(triggerInputs("WB trigger adopt", flow.id, "client-a"))
    const again = await triggerProvider().create(triggerInputs("WB trigger adopt", flow.id, "client-b"))
    expect(again.id).toBe(first.id)
    const read = await triggerProvider().read(first.id, first.outs)
    expect(read.props.matchCriteria[1]).toEqual({ jsonPath: "modifiedBy", operator: "NotEqual", value: "client-b" })
    await triggerProvider().delete(first.id, first.outs)
    await workflowProvider.delete(flow.id, flow.outs)
  })

  it("names bad inputs", async () => {
    const bad = { ...triggerInputs("x", "wf", "c"), matchCriteria: [{ jsonPath: "", operator: "Equal" }] }
    await expect(triggerProvider().create(bad)).rejects.toThrow("trigger.matchCriteria[0].jsonPath: missing")
  })
})

const triggerProvider = () => processAutomationTriggerProvider
