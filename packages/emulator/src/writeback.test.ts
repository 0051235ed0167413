import { type IncomingMessage, type Server, createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { type Emulator, startEmulator } from "./Emulator.js"
import {
  type SdkSession,
  type Setup,
  call,
  importFlowYaml,
  login,
  setupWorktype,
  waitForExecutions,
  workflowExecutions
} from "./testing.js"

const TOPIC = "v2.taskmanagement.workitems.{id}"

/** A local HTTP receiver: records every request; answers the queued statuses first (0: drops the connection), then 200. */
interface Received {
  readonly method: string
  readonly url: string
  readonly authorization: string | undefined
  readonly contentType: string | undefined
  readonly body: string
}
const receiver = async () => {
  const received: Array<Received> = []
  const statuses: Array<number> = []
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => {
      received.push({
        method: req.method ?? "",
        url: req.url ?? "",
        authorization: req.headers.authorization,
        contentType: req.headers["content-type"],
        body: Buffer.concat(chunks).toString("utf8")
      })
      const status = statuses.shift() ?? 200
      if (status === 0) {
        req.socket.destroy()
        return
      }
      res.writeHead(status, { "Content-Type": "application/json" })
      res.end(JSON.stringify({ accepted: status < 300 }))
    })
  })
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return { server, url, received, statuses }
}

const workflowYaml = (
  name: string,
  opts: { integration?: string; action?: string; input?: string; extraAction?: string } = {}
): string => `workflow:
  name: ${name}
  division: Home
  startUpRef: "/workflow/states/state[Initial State_10]"
  defaultLanguage: en-us
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
                ${opts.integration ?? "Workbridge"}:
                  dataAction:
                    ${opts.action ?? "Workitem event"}:
                      inputs:
                        event:
                          ${opts.input ?? "exp: ToString(Flow.jsonData)"}
                      failureOutputs:
                        errorType:
                          noValue: true
${opts.extraAction ?? ""}          - endWorkflow:
              name: End Workflow
              exitReason:
                noValue: true
`

describe("write-back chain: triggers, workflows, workitem events, Data Action calls", () => {
  let emu: Emulator
  let admin: SdkSession
  let agent: SdkSession
  let agentId: string
  let setup: Setup
  let rx: Awaited<ReturnType<typeof receiver>>
  let flowId: string

  beforeAll(async () => {
    emu = await startEmulator({ workflowRetryDelaysMs: [20, 20] })
    admin = await login(emu.url, emu.adminClientId, emu.adminClientSecret)
    setup = await setupWorktype(admin, "Writeback")
    rx = await receiver()
    // The Data Action the workflow calls: a custom REST action with a Basic Auth credential.
    const integration = await call(
      admin.integrations.postIntegrations({
        body: { integrationType: { id: "custom-rest-actions" }, name: "Workbridge" }
      } as never)
    )
    const cred = await call(
      admin.integrations.postIntegrationsCredentials({
        body: {
          name: "wb basic",
          type: { name: "basicAuth" },
          credentialFields: { userName: "wb", password: "s3cret" }
        }
      } as never)
    )
    await call(
      admin.integrations.putIntegrationConfigCurrent(integration.body.id, {
        body: { name: "Workbridge", version: 1, credentials: { basicAuth: { id: cred.body.id } } }
      } as never)
    )
    const action = await call(
      admin.integrations.postIntegrationsActions({
        name: "Workitem event",
        category: "Workbridge",
        integrationId: integration.body.id,
        contract: {
          input: { inputSchema: { type: "object", required: ["event"], properties: { event: { type: "string" } } } },
          output: { successSchema: { type: "object", properties: { accepted: { type: "boolean" } } } }
        },
        config: {
          timeoutSeconds: 10,
          request: {
            requestUrlTemplate: `${rx.url}/data-actions/workitem-event`,
            requestType: "POST",
            headers: { "Content-Type": "application/json" },
            requestTemplate: "${input.event}"
          },
          response: { translationMap: {}, successTemplate: "${rawResult}" }
        }
      } as never)
    )
    expect(action.status).toBe(200)
    const job = await importFlowYaml(admin, workflowYaml("Workbridge write-back"))
    expect(job.status).toBe("Success")
    flowId = job.flow?.id ?? ""
    // An agent: a second OAuth client whose role may edit and delete workitems.
    const role = await call(
      admin.authz.postAuthorizationRoles({
        name: "Agent",
        permissionPolicies: [{ domain: "workitems", entityName: "workitem", actionSet: ["view", "edit", "delete"] }]
      })
    )
    const client = await call(
      admin.oauth.postOauthClients({
        name: "agent",
        authorizedGrantType: "CLIENT-CREDENTIALS",
        roleDivisions: [{ roleId: role.body.id, divisionId: emu.state.homeDivision.id }]
      })
    )
    agentId = client.body.id
    agent = await login(emu.url, client.body.id, client.body.secret)
  })
  afterAll(async () => {
    await emu.close()
    await new Promise((r) => rx.server.close(r))
  })
  beforeEach(() => {
    rx.received.length = 0
    rx.statuses.length = 0
  })

  const triggerBody = (extra: Record<string, unknown> = {}) => ({
    name: "Workitem write-back",
    topicName: TOPIC,
    enabled: true,
    target: { type: "Workflow", id: flowId, workflowTargetSettings: { dataFormat: "Json" } },
    matchCriteria: [
      { jsonPath: "typeId", operator: "Equal", value: setup.worktypeId },
      { jsonPath: "modifiedBy", operator: "NotEqual", value: emu.adminClientId }
    ],
    eventTTLSeconds: 60,
    ...extra
  })

  const newWorkitem = async (ticket: string): Promise<string> => {
    const r = await call(
      admin.tm.postTaskmanagementWorkitems({
        name: `Ticket ${ticket}`,
        typeId: setup.worktypeId,
        customFields: { ticket_id_identifier: ticket }
      } as never)
    )
    expect(r.status).toBe(200)
    return r.body.id
  }

  describe("triggers API", () => {
    it.each([
      ["a missing target", { target: undefined }, "target"],
      ["a target type other than Workflow", { target: { type: "Lambda", id: "x" } }, "target.type"],
      ["a target id that is no workflow", { target: { type: "Workflow", id: "nope" } }, "target.id"],
      [
        "an unknown dataFormat",
        { target: { type: "Workflow", id: "F", workflowTargetSettings: { dataFormat: "Xml" } } },
        "dataFormat"
      ],
      ["an unknown topic", { topicName: "v2.users.{id}.presence" }, "topicName"],
      ["an unknown operator", { matchCriteria: [{ jsonPath: "typeId", operator: "Like", value: "x" }] }, "operator"],
      ["In without values", { matchCriteria: [{ jsonPath: "typeId", operator: "In", value: "x" }] }, "values"],
      ["Equal without value", { matchCriteria: [{ jsonPath: "typeId", operator: "Equal" }] }, "value"],
      ["a criterion without jsonPath", { matchCriteria: [{ operator: "Equal", value: "x" }] }, "jsonPath"],
      ["eventTTLSeconds below 10", { eventTTLSeconds: 5 }, "eventTTLSeconds"],
      ["delayBySeconds below 60", { eventTTLSeconds: undefined, delayBySeconds: 30 }, "delayBySeconds"],
      ["delayBySeconds above 900", { eventTTLSeconds: undefined, delayBySeconds: 901 }, "delayBySeconds"],
      ["both eventTTLSeconds and delayBySeconds", { delayBySeconds: 60 }, "Only one of"],
      ["no enabled", { enabled: undefined }, "enabled"],
      ["no name", { name: undefined }, "name"],
      ["a field CreateTriggerRequest lacks", { version: 1 }, "version"]
    ])("refuses %s with a 400 naming it", async (_what, extra, naming) => {
      const body = triggerBody(extra as Record<string, unknown>)
      const target = body.target as { id?: string }
      if (target?.id === "F") target.id = flowId
      const r = await call(admin.processAutomation.postProcessautomationTriggers(body as never))
      expect(r.status).toBe(400)
      expect(r.body.message).toContain(naming)
    })

    it("creates, lists, reads, replaces (version checked, topic fixed) and deletes a trigger; lists the topics", async () => {
      const created = await call(
        admin.processAutomation.postProcessautomationTriggers(triggerBody({ enabled: false }) as never)
      )
      expect(created.status).toBe(200)
      expect(created.body).toMatchObject({
        version: 1,
        enabled: false,
        topicName: TOPIC,
        target: { type: "Workflow", id: flowId }
      })
      const id = created.body.id as string
      const listed = await call(
        admin.processAutomation.getProcessautomationTriggers({ topicName: TOPIC, enabled: false })
      )
      expect(listed.body.entities.map((t: { id: string }) => t.id)).toContain(id)
      const topics = await call(admin.processAutomation.getProcessautomationTriggersTopics())
      expect(topics.body.entities).toContain(TOPIC)
      const put = await call(
        admin.processAutomation.putProcessautomationTrigger(id, {
          ...triggerBody({ enabled: false }),
          name: "Renamed",
          version: 1
        } as never)
      )
      expect(put.status).toBe(200)
      expect(put.body).toMatchObject({ name: "Renamed", version: 2 })
      const stale = await call(
        admin.processAutomation.putProcessautomationTrigger(id, {
          ...triggerBody({ enabled: false }),
          version: 1
        } as never)
      )
      expect(stale.status).toBe(409)
      const retopic = await call(
        admin.processAutomation.putProcessautomationTrigger(id, {
          ...triggerBody({ enabled: false }),
          topicName: "v2.other",
          version: 2
        } as never)
      )
      expect(retopic.status).toBe(400)
      expect(retopic.body.message).toContain("topicName")
      expect((await call(admin.architect.deleteFlow(flowId))).status).toBe(409)
      expect((await call(admin.processAutomation.deleteProcessautomationTrigger(id))).status).toBe(204)
      expect((await call(admin.processAutomation.getProcessautomationTrigger(id))).status).toBe(404)
    })
  })

  describe("workflows through the Architect import job", () => {
    it("publishes a workflow, finds it by type and name, and republishes it by name as a new version", async () => {
      const first = await importFlowYaml(admin, workflowYaml("Import check"))
      expect(first.status).toBe("Success")
      const flow = await call(admin.architect.getFlow(first.flow?.id ?? ""))
      expect(flow.body).toMatchObject({ name: "Import check", type: "WORKFLOW", publishedVersion: { id: "1.0" } })
      const found = await call(admin.architect.getFlows({ type: ["workflow"], name: "Import check" }))
      expect(found.body.entities.map((f: { id: string }) => f.id)).toEqual([first.flow?.id])
      const again = await importFlowYaml(admin, workflowYaml("Import check"))
      expect(again.flow?.id).toBe(first.flow?.id)
      expect((await call(admin.architect.getFlow(first.flow?.id ?? ""))).body.publishedVersion.id).toBe("2.0")
      expect((await call(admin.architect.deleteFlow(first.flow?.id ?? ""))).status).toBe(204)
      expect((await call(admin.architect.getFlow(first.flow?.id ?? ""))).status).toBe(404)
    })

    it.each([
      [
        "an unsupported action",
        workflowYaml("Bad action", { extraAction: "          - updateData:\n              name: Update\n" }),
        "action updateData is not supported"
      ],
      [
        "an unsupported expression",
        workflowYaml("Bad exp", { input: "exp: ToJson(Flow.jsonData)" }),
        "ToJson(Flow.jsonData)"
      ],
      ["an unknown data action", workflowYaml("Bad action name", { action: "Nope" }), 'data action "Nope"'],
      [
        "an unknown integration",
        workflowYaml("Bad integration", { integration: "Elsewhere" }),
        'integration "Elsewhere"'
      ],
      ["another flow type", "inboundCall:\n  name: IVR\n", "Flow type inboundCall"],
      ["a file that is not YAML", "workflow: [unclosed", "not valid YAML"]
    ])("fails the job for %s, with a message naming it", async (_what, yaml, naming) => {
      const job = await importFlowYaml(admin, yaml)
      expect(job.status).toBe("Failure")
      expect(job.messages?.map((m) => m.text).join(" ")).toContain(naming)
      expect(job.flow).toBeUndefined()
    })

    it("refuses an upload without the job's headers", async () => {
      const job = await call(admin.architect.postFlowsJobs())
      const put = await fetch(job.body.presignedUrl, { method: "PUT", body: workflowYaml("No headers") })
      expect(put.status).toBe(403)
      expect((await call(admin.architect.getFlowsJob(job.body.id))).body.status).toBe("Started")
    })
  })

  describe("events and delivery", () => {
    let triggerId: string
    beforeAll(async () => {
      const t = await call(admin.processAutomation.postProcessautomationTriggers(triggerBody() as never))
      triggerId = t.body.id
    })
    afterAll(async () => {
      await call(admin.processAutomation.deleteProcessautomationTrigger(triggerId))
    })

    it("delivers an agent's PATCH to the Data Action's URL with Basic auth and the event as the body; the admin's create is filtered out", async () => {
      const id = await newWorkitem("T-1")
      const patched = await call(
        agent.tm.patchTaskmanagementWorkitem(id, {
          statusId: setup.statuses.closed,
          assigneeId: "3b3c6a0e-7f55-4d0e-9a3c-0c2f4c1d9e01"
        })
      )
      expect(patched.status).toBe(200)
      const done = await waitForExecutions(emu.url, { workitemId: id }, 1)
      expect(done).toHaveLength(1)
      expect(done[0]).toMatchObject({
        triggerId,
        flowId,
        status: "succeeded",
        httpStatus: 200,
        attempts: 1,
        operation: "update"
      })
      expect(rx.received).toHaveLength(1)
      const got = rx.received[0] as Received
      expect(got.method).toBe("POST")
      expect(got.url).toBe("/data-actions/workitem-event")
      expect(got.authorization).toBe(`Basic ${Buffer.from("wb:s3cret").toString("base64")}`)
      expect(got.contentType).toBe("application/json")
      const event = JSON.parse(got.body)
      expect(event).toMatchObject({
        id,
        typeId: setup.worktypeId,
        statusId: setup.statuses.closed,
        statusCategory: "Closed",
        assigneeId: "3b3c6a0e-7f55-4d0e-9a3c-0c2f4c1d9e01",
        modifiedBy: agentId,
        operation: "update",
        customFields: { ticket_id_identifier: { dataType: "identifier", value: "T-1" } }
      })
      expect(typeof event.dateClosed).toBe("string")
      expect(event.changes).toContainEqual({
        op: "replace",
        field: "statusId",
        oldValue: setup.statuses.open,
        newValue: setup.statuses.closed
      })
      expect(event.changes).toContainEqual({
        op: "add",
        field: "assigneeId",
        newValue: "3b3c6a0e-7f55-4d0e-9a3c-0c2f4c1d9e01"
      })
    })

    it("runs the events of one workitem in order", async () => {
      const id = await newWorkitem("T-2")
      await call(agent.tm.patchTaskmanagementWorkitem(id, { statusId: setup.statuses.inProgress }))
      await call(agent.tm.patchTaskmanagementWorkitem(id, { statusId: setup.statuses.closed }))
      await waitForExecutions(emu.url, { workitemId: id }, 2)
      expect(rx.received.map((r) => JSON.parse(r.body).statusId)).toEqual([
        setup.statuses.inProgress,
        setup.statuses.closed
      ])
    })

    it("retries a non-2xx answer and succeeds", async () => {
      const id = await newWorkitem("T-3")
      rx.statuses.push(503)
      await call(agent.tm.patchTaskmanagementWorkitem(id, { priority: 7 }))
      const [x] = await waitForExecutions(emu.url, { workitemId: id }, 1)
      expect(x).toMatchObject({ status: "succeeded", attempts: 2, httpStatus: 200 })
      expect(rx.received).toHaveLength(2)
      expect(rx.received[0]?.body).toBe(rx.received[1]?.body)
    })

    it("retries a dropped connection and succeeds", async () => {
      const id = await newWorkitem("T-9")
      rx.statuses.push(0)
      await call(agent.tm.patchTaskmanagementWorkitem(id, { priority: 9 }))
      const [x] = await waitForExecutions(emu.url, { workitemId: id }, 1)
      expect(x).toMatchObject({ status: "succeeded", attempts: 2, httpStatus: 200 })
      expect(rx.received).toHaveLength(2)
    })

    it("records a failed execution once the retries are spent", async () => {
      const id = await newWorkitem("T-4")
      rx.statuses.push(500, 500, 500)
      await call(agent.tm.patchTaskmanagementWorkitem(id, { priority: 8 }))
      const [x] = await waitForExecutions(emu.url, { workitemId: id }, 1)
      expect(x).toMatchObject({ status: "failed", attempts: 3, httpStatus: 500 })
      expect(x?.error).toContain("HTTP 500")
      expect(JSON.stringify(x)).not.toContain("s3cret")
    })

    it("raises a delete event", async () => {
      const id = await newWorkitem("T-5")
      expect((await call(agent.tm.deleteTaskmanagementWorkitem(id))).status).toBe(204)
      const [x] = await waitForExecutions(emu.url, { workitemId: id }, 1)
      expect(x).toMatchObject({ status: "succeeded", operation: "delete" })
      expect(JSON.parse(rx.received[0]?.body ?? "{}")).toMatchObject({ id, operation: "delete", modifiedBy: agentId })
    })

    it("filters by matchCriteria: the admin's own changes (modifiedBy NotEqual) raise nothing", async () => {
      const id = await newWorkitem("T-6")
      await call(admin.tm.patchTaskmanagementWorkitem(id, { statusId: setup.statuses.closed }))
      await emu.workflowsIdle()
      expect(await workflowExecutions(emu.url, { workitemId: id })).toEqual([])
      expect(rx.received).toEqual([])
    })

    it("raises an add event for each item of a bulk add job, modifiedBy its creator", async () => {
      const permissive = await call(
        admin.processAutomation.postProcessautomationTriggers(
          triggerBody({
            name: "All adds",
            matchCriteria: [{ jsonPath: "$.operation", operator: "In", values: ["add"] }]
          }) as never
        )
      )
      try {
        const job = await call(
          admin.tm.postTaskmanagementWorkitemsBulkAddJobs({
            entities: [
              { name: "Bulk one", typeId: setup.worktypeId },
              { name: "Bulk two", typeId: setup.worktypeId }
            ]
          } as never)
        )
        await call(admin.tm.patchTaskmanagementWorkitemsBulkAddJob(job.body.id, { state: "Queued" } as never))
        await new Promise((r) => setTimeout(r, 300))
        await call(admin.tm.getTaskmanagementWorkitemsBulkAddJob(job.body.id))
        const xs = await waitForExecutions(emu.url, { triggerId: permissive.body.id }, 2)
        expect(xs.map((x) => [x.operation, x.event["name"], x.event["modifiedBy"]])).toEqual([
          ["add", "Bulk one", emu.adminClientId],
          ["add", "Bulk two", emu.adminClientId]
        ])
      } finally {
        await call(admin.processAutomation.deleteProcessautomationTrigger(permissive.body.id))
      }
    })
  })

  it("fails an execution whose trigger does not send Json while the workflow reads Flow.jsonData", async () => {
    const primitives = await call(
      admin.processAutomation.postProcessautomationTriggers(
        triggerBody({
          name: "Primitives",
          target: { type: "Workflow", id: flowId },
          matchCriteria: [{ jsonPath: "name", operator: "Equal", value: "Ticket T-8" }]
        }) as never
      )
    )
    const id = await newWorkitem("T-8")
    const [x] = await waitForExecutions(emu.url, { workitemId: id }, 1)
    expect(x).toMatchObject({ status: "failed", attempts: 0, dataFormat: "TopLevelPrimitives" })
    expect(x?.error).toContain("dataFormat is Json")
    expect(rx.received).toEqual([])
    await call(admin.processAutomation.deleteProcessautomationTrigger(primitives.body.id))
  })

  it("raises no event while no enabled trigger listens", async () => {
    const disabled = await call(
      admin.processAutomation.postProcessautomationTriggers(triggerBody({ enabled: false, matchCriteria: [] }) as never)
    )
    const before = emu.workflowExecutions().length
    const id = await newWorkitem("T-7")
    await call(agent.tm.patchTaskmanagementWorkitem(id, { priority: 3 }))
    await emu.workflowsIdle()
    expect(emu.workflowExecutions().length).toBe(before)
    await call(admin.processAutomation.deleteProcessautomationTrigger(disabled.body.id))
  })
})
