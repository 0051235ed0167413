/**
 * `provision` (the SDK steps the bundled emulator is provisioned with) and the write-back chain, against the
 * emulator: a re-run finds every object by name and creates nothing new; a changed action config is published
 * again; a trigger that differs is updated; an agent's change is delivered through the chain.
 */
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { defaultCatalog } from "@workbridge/catalog"
import { buildDataActionDefinitions } from "@workbridge/data-actions"
import { type Emulator, startEmulator } from "@workbridge/genesys-emulator"
import { call as sdkCall, login } from "@workbridge/genesys-emulator/testing"
import platformClient from "purecloud-platform-client-v2"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type ActionToCreate, DEFAULT_CHAIN_NAMES, provision } from "./Provision.js"
import { WRITE_BACK_ACTION_NAME } from "./WriteBackChain.js"

/** The service's write-back action at `baseUrl`; `timeoutSeconds` changes its config. */
const writeBackAction = (baseUrl: string, timeoutSeconds = 10): ActionToCreate => {
  const d = buildDataActionDefinitions(defaultCatalog, { baseUrl }).find((x) => x.name === WRITE_BACK_ACTION_NAME)
  if (d === undefined) throw new Error(`no "${WRITE_BACK_ACTION_NAME}" definition`)
  return { ...d, config: { ...d.config, timeoutSeconds } }
}

let emulator: Emulator
let server: Server
let url: string
const received: unknown[] = []
beforeAll(async () => {
  emulator = await startEmulator({ port: 0 })
  server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => {
      received.push(JSON.parse(Buffer.concat(chunks).toString("utf8")))
      res.writeHead(202, { "Content-Type": "application/json" }).end('{"accepted":true}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  await emulator.close()
  await new Promise((resolve) => server.close(resolve))
})

const run = (definition: ActionToCreate, workbridgeClientId?: string) =>
  provision({
    gatewayUrl: emulator.url,
    clientId: emulator.adminClientId,
    clientSecret: emulator.adminClientSecret,
    catalog: defaultCatalog,
    dataActions: { definitions: [definition], basicAuth: { userName: "genesys", password: "pw" } },
    writeBack: workbridgeClientId === undefined ? {} : { workbridgeClientId }
  })

describe("provision with the write-back chain (SDK steps)", () => {
  it("creates the chain, then finds it by name on a re-run", async () => {
    const first = await run(writeBackAction(url))
    expect(first.workflowId).toEqual(expect.any(String))
    expect(first.triggerId).toEqual(expect.any(String))
    const again = await run(writeBackAction(url))
    expect(again).toEqual(first)
    expect(emulator.state.integrations.size).toBe(1)
    expect([...emulator.state.actions.values()].filter((a) => a.name === WRITE_BACK_ACTION_NAME)).toHaveLength(1)
    const admin = await login(emulator.url, emulator.adminClientId, emulator.adminClientSecret)
    const pa = new platformClient.ProcessAutomationApi(admin.client)
    const triggers = await sdkCall<{ entities: Array<{ name: string; matchCriteria: unknown }> }>(
      pa.getProcessautomationTriggers({ topicName: "v2.taskmanagement.workitems.{id}" })
    )
    expect(triggers.body.entities.map((t) => t.name)).toEqual([DEFAULT_CHAIN_NAMES.trigger])
    // The bundled emulator's service calls Genesys as its admin client: its own changes are the ones not sent back.
    expect(triggers.body.entities[0]?.matchCriteria).toEqual([
      { jsonPath: "typeId", operator: "Equal", value: first.worktypeId },
      { jsonPath: "modifiedBy", operator: "NotEqual", value: emulator.adminClientId }
    ])
  })

  it("publishes a changed action again and updates a trigger that differs", async () => {
    const before = await run(writeBackAction(url))
    const after = await run(writeBackAction(url, 7), "a-service-client")
    expect(after.actionIds?.[WRITE_BACK_ACTION_NAME]).not.toBe(before.actionIds?.[WRITE_BACK_ACTION_NAME])
    expect(after.triggerId).toBe(before.triggerId)
    const admin = await login(emulator.url, emulator.adminClientId, emulator.adminClientSecret)
    const pa = new platformClient.ProcessAutomationApi(admin.client)
    const t = await sdkCall<{ matchCriteria: Array<{ value: unknown }>; version: number }>(
      pa.getProcessautomationTrigger(after.triggerId as string)
    )
    expect(t.body.matchCriteria[1]?.value).toBe("a-service-client")

    // Now the admin client acts as an agent: its change is delivered through the chain.
    const wi = await sdkCall<{ id: string }>(
      admin.tm.postTaskmanagementWorkitems({ name: "Agent's", typeId: after.worktypeId })
    )
    expect(wi.status).toBe(200)
    await emulator.workflowsIdle()
    expect(received).toEqual([expect.objectContaining({ id: wi.body.id, modifiedBy: emulator.adminClientId })])
  })
})
