/** The demo's write-back chain in the bundled emulator: provisioned, delivered for the demo agent, reused on restart. */
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { defaultCatalog } from "@workbridge/catalog"
import { buildDataActionDefinitions } from "@workbridge/data-actions"
import { DEFAULT_WORKTYPE_NAME, WRITE_BACK_ACTION_NAME } from "@workbridge/genesys"
import { type Emulator, startEmulator } from "@workbridge/genesys-emulator"
import { call as sdkCall, login } from "@workbridge/genesys-emulator/testing"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { DEMO_DATA_ACTION_BASIC_AUTH } from "./credentials.js"
import { demoWriteBackInstructions, provisionDemoWriteBack } from "./writeBack.js"

let emulator: Emulator
let service: Server
let serviceUrl: string
const received: Array<{ path: string | undefined; authorization: string | undefined; body: unknown }> = []
beforeAll(async () => {
  emulator = await startEmulator({ port: 0 })
  service = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => {
      received.push({
        path: req.url,
        authorization: req.headers.authorization,
        body: JSON.parse(Buffer.concat(chunks).toString("utf8"))
      })
      res.writeHead(202, { "Content-Type": "application/json" }).end('{"accepted":true}')
    })
  })
  await new Promise<void>((resolve) => service.listen(0, "127.0.0.1", resolve))
  serviceUrl = `http://127.0.0.1:${(service.address() as AddressInfo).port}`
})
afterAll(async () => {
  await emulator.close()
  await new Promise((resolve) => service.close(resolve))
})

const options = () => ({
  gatewayUrl: emulator.url,
  adminId: emulator.adminClientId,
  adminSecret: emulator.adminClientSecret,
  catalog: defaultCatalog,
  worktypeName: DEFAULT_WORKTYPE_NAME,
  serviceUrl,
  basicAuth: DEMO_DATA_ACTION_BASIC_AUTH
})

describe("the demo's write-back chain", () => {
  it("is skipped, saying why, when the service has no write-back action", async () => {
    const others = buildDataActionDefinitions(defaultCatalog, { baseUrl: serviceUrl }).filter(
      (d) => d.name !== WRITE_BACK_ACTION_NAME
    )
    const r = await provisionDemoWriteBack({ ...options(), definitions: others })
    expect(r).toEqual({ _tag: "Skipped", reason: `the service has no "${WRITE_BACK_ACTION_NAME}" Data Action` })
  })

  it("writes back the demo agent's change to the service's URL, with the demo Data Action credential", async () => {
    const r = await provisionDemoWriteBack(options())
    if (r._tag !== "Provisioned") throw new Error(r.reason)
    const admin = await login(emulator.url, emulator.adminClientId, emulator.adminClientSecret)
    const wi = await sdkCall<{ id: string }>(
      admin.tm.postTaskmanagementWorkitems({
        name: "Ticket D-1",
        typeId: r.worktypeId,
        customFields: { ticket_id_identifier: "D-1", source_system_enum: "zendesk" } as never
      })
    )
    expect(wi.status).toBe(200)
    await emulator.workflowsIdle()
    expect(received).toEqual([]) // the service's own client (the admin) is left out

    const agent = await login(emulator.url, r.agent.clientId, r.agent.clientSecret)
    const patched = await sdkCall(agent.tm.patchTaskmanagementWorkitem(wi.body.id, { description: "agent" }))
    expect(patched.status).toBe(200)
    await emulator.workflowsIdle()
    expect(received).toEqual([
      {
        path: "/data-actions/workitem-event",
        authorization: `Basic ${Buffer.from(DEMO_DATA_ACTION_BASIC_AUTH).toString("base64")}`,
        body: expect.objectContaining({ id: wi.body.id, modifiedBy: r.agent.clientId })
      }
    ])
    const lines = demoWriteBackInstructions(emulator.url, serviceUrl, r)
    expect(lines[0]).toContain(`trigger ${r.triggerId} → workflow ${r.workflowId}`)
    expect(lines.join("\n")).toContain(r.agent.clientId)
    // Ready to paste: the Closed and Open status ids are in the commands.
    expect(lines.join("\n")).toContain(`-d '{"statusId":"${r.statusIds["Closed"]}"}'`)
    expect(lines.join("\n")).toContain(`-d '{"statusId":"${r.statusIds["Open"]}"}'`)
  })

  it("reuses the chain on the next start and issues the agent a new secret", async () => {
    const first = await provisionDemoWriteBack(options())
    const again = await provisionDemoWriteBack(options())
    if (first._tag !== "Provisioned" || again._tag !== "Provisioned") throw new Error("not provisioned")
    expect([again.workflowId, again.triggerId, again.agent.clientId]).toEqual([
      first.workflowId,
      first.triggerId,
      first.agent.clientId
    ])
    expect(again.agent.clientSecret).not.toBe(first.agent.clientSecret)
    await expect(login(emulator.url, again.agent.clientId, again.agent.clientSecret)).resolves.toBeDefined()
  })
})
