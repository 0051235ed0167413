/**
 * Write-back through the Genesys emulator's own chain: the service's "Workbridge - Workitem event" Data Action (from
 * `buildDataActionDefinitions`), a workflow imported as Architect YAML that calls it with `ToString(Flow.jsonData)`,
 * and a Process Automation trigger on `v2.taskmanagement.workitems.{id}` that leaves out Workbridge's own changes.
 * An agent (another OAuth client) closes the workitem through the SDK; the emulator delivers the event; the Zendesk
 * ticket is solved with an internal note, and Zendesk's webhook for it costs the service no Genesys call.
 */
import type platformClient from "purecloud-platform-client-v2"
import { ACTION_NAMES, buildDataActionDefinitions, toPostActionInput } from "@workbridge/data-actions"
import { defaultCatalog } from "@workbridge/catalog"
import { importFlowYaml, login, waitForExecutions } from "@workbridge/genesys-emulator/testing"
import { type ZendeskEmulator, startZendeskEmulator } from "@workbridge/helpdesk-emulators"
import { afterAll, beforeAll, expect, it } from "vitest"
import { type Harness, startHarness } from "../src/testing/harness.js"
import type { TicketSyncStatus } from "../src/sync/TicketStatus.js"

const SECRET = "zendesk-webhook-secret"
const ZENDESK_AUTH = `Basic ${Buffer.from("agent@example.com/token:zendesk-api-token").toString("base64")}`

let zd: ZendeskEmulator
let h: Harness
let agent: platformClient.TaskManagementApi

const body = <T>(r: unknown): T => ((r as { body?: unknown }).body ?? r) as T

const workflowYaml = `workflow:
  name: Workbridge write-back
  division: Home
  startUpRef: "/workflow/states/state[Initial State_10]"
  variables:
    - jsonVariable:
        name: Flow.jsonData
        isInput: true
        isOutput: false
  states:
    - state:
        name: Initial State
        refId: Initial State_10
        actions:
          - callData:
              name: Send the workitem event to Workbridge
              timeout:
                lit:
                  minutes: 1
              category:
                Workbridge:
                  dataAction:
                    ${ACTION_NAMES.workitemEvent}:
                      inputs:
                        event:
                          exp: ToString(Flow.jsonData)
          - endWorkflow:
              name: End Workflow
`

beforeAll(async () => {
  zd = await startZendeskEmulator({ webhook: { credentials: { secret: SECRET } } })
  h = await startHarness(
    {
      WEBHOOK_SECRET_ZENDESK: SECRET,
      HELPDESK_URL_ZENDESK: zd.url,
      HELPDESK_USER_ZENDESK: "agent@example.com",
      HELPDESK_TOKEN_ZENDESK: "zendesk-api-token",
      WORKBRIDGE_RECONCILE_INTERVAL_ZENDESK: "0",
      WORKBRIDGE_RECONCILE_INTERVAL_GENESYS: "0",
      WORKBRIDGE_DATA_ACTION_BASIC_AUTH: "genesys:chain-password",
      WORKBRIDGE_COALESCE_MS: "0"
    },
    { workflowRetryDelaysMs: [50, 200] }
  )
  zd.core.configureWebhooks({ url: `${h.service.url}/webhooks/zendesk`, credentials: { secret: SECRET } })

  const admin = await login(h.emulator.url, h.emulator.adminClientId, h.emulator.adminClientSecret)
  const integration = body<{ id: string }>(
    await admin.integrations.postIntegrations({
      body: { integrationType: { id: "custom-rest-actions" }, name: "Workbridge" }
    } as never)
  )
  const credential = body<{ id: string }>(
    await admin.integrations.postIntegrationsCredentials({
      body: {
        name: "Workbridge",
        type: { name: "basicAuth" },
        credentialFields: { userName: "genesys", password: "chain-password" }
      }
    } as never)
  )
  await admin.integrations.putIntegrationConfigCurrent(integration.id, {
    body: { name: "Workbridge", version: 1, credentials: { basicAuth: { id: credential.id } } }
  } as never)
  const definition = buildDataActionDefinitions(defaultCatalog, { baseUrl: h.service.url }).find(
    (d) => d.name === ACTION_NAMES.workitemEvent
  )!
  await admin.integrations.postIntegrationsActions(
    toPostActionInput(definition, { integrationId: integration.id, category: "Workbridge" }) as never
  )
  const job = await importFlowYaml(admin, workflowYaml)
  expect(job.status, JSON.stringify(job.messages)).toBe("Success")
  await admin.processAutomation.postProcessautomationTriggers({
    name: "Workbridge write-back",
    topicName: "v2.taskmanagement.workitems.{id}",
    enabled: true,
    target: { type: "Workflow", id: job.flow!.id, workflowTargetSettings: { dataFormat: "Json" } },
    matchCriteria: [
      { jsonPath: "typeId", operator: "Equal", value: h.provisioned.worktypeId },
      { jsonPath: "modifiedBy", operator: "NotEqual", value: h.emulator.adminClientId }
    ],
    eventTTLSeconds: 60
  } as never)

  const role = body<{ id: string }>(
    await admin.authz.postAuthorizationRoles({
      name: "Agents",
      permissionPolicies: [{ domain: "workitems", entityName: "workitem", actionSet: ["view", "edit"] }]
    } as never)
  )
  const client = body<{ id: string; secret: string }>(
    await admin.oauth.postOauthClients({
      name: "agent-desktop",
      authorizedGrantType: "CLIENT-CREDENTIALS",
      roleDivisions: [{ roleId: role.id, divisionId: h.emulator.state.homeDivision.id }]
    } as never)
  )
  agent = (await login(h.emulator.url, client.id, client.secret)).tm
}, 60_000)

afterAll(async () => {
  await h?.close()
  await zd?.close()
})

const until = async <A>(what: string, f: () => Promise<A | undefined>, timeoutMs = 20_000): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await f()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

const ticketStatus = async (id: string): Promise<TicketSyncStatus | undefined> => {
  const res = await fetch(`${h.service.url}/tickets/zendesk/${id}`)
  return res.status === 404 ? undefined : ((await res.json()) as TicketSyncStatus)
}

it("closes the loop: forward webhook → workitem, agent's close → trigger → workflow → Data Action → ticket solved, echo absorbed", async () => {
  const created = await fetch(`${zd.url}/api/v2/tickets.json`, {
    method: "POST",
    headers: { authorization: ZENDESK_AUTH, "content-type": "application/json" },
    body: JSON.stringify({ ticket: { subject: "Chain", comment: { body: "The printer is on fire" } } })
  })
  const id = String(((await created.json()) as { ticket: { id: number } }).ticket.id)
  const linked = await until("the workitem", async () => {
    const s = await ticketStatus(id)
    return s?.workitemId !== undefined && s.pendingEvents === 0 ? s : undefined
  })
  const workitemId = linked.workitemId!
  // The service's own create raised an event the trigger left out: no workflow ran for it.
  await new Promise((r) => setTimeout(r, 100))
  expect(await waitForExecutions(h.emulator.url, { workitemId }, 0)).toEqual([])

  await agent.patchTaskmanagementWorkitem(workitemId, { statusId: h.provisioned.statusIds["Closed"] } as never)
  const executions = await waitForExecutions(h.emulator.url, { workitemId }, 1)
  expect(executions.map((e) => [e.status, e.httpStatus])).toEqual([["succeeded", 202]])

  h.emulator.clearRequests()
  const ticket = await until("the ticket solved", async () =>
    zd.tickets.get(Number(id))?.status === "solved" ? zd.tickets.get(Number(id)) : undefined
  )
  expect(ticket!.comments.at(-1)).toMatchObject({ public: false, body: expect.stringContaining("set to Closed") })
  await zd.core.settle()
  const s = await until("settled", async () => {
    const st = await ticketStatus(id)
    return st?.pendingEvents === 0 && st.writeBack?.outcome === "written" ? st : undefined
  })
  expect(s.writeBack).toMatchObject({ status: "solved", pending: false })
  expect(zd.core.deliveries.filter((d) => d.ticketId === id && d.state === "sent").length).toBeGreaterThanOrEqual(3)
  // Zendesk's webhooks of the write-back were absorbed: the service made no Genesys call, and no workflow ran again.
  expect(h.emulator.requests()).toEqual([])
  expect(await waitForExecutions(h.emulator.url, { workitemId }, 1)).toHaveLength(1)
  const workitem = await h.getWorkitem(workitemId)
  expect(workitem.status?.id).toBe(h.provisioned.statusIds["Closed"])
})
