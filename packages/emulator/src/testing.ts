/**
 * Helpers for driving an emulator through the official SDK (`ApiClientClass` + `setGateway`, extended responses).
 * Used by this package's tests and available to other packages' tests.
 */
import { setTimeout as sleep } from "node:timers/promises"
import platformClient from "purecloud-platform-client-v2"
import type { WorkflowExecution } from "./internal/State.js"

/** What the SDK resolves or rejects with when extended responses are on. */
export interface Extended<T = any> {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: T
}

export interface SdkSession {
  readonly client: InstanceType<typeof platformClient.ApiClientClass>
  readonly tm: platformClient.TaskManagementApi
  readonly authz: platformClient.AuthorizationApi
  readonly oauth: platformClient.OAuthApi
  readonly integrations: platformClient.IntegrationsApi
  readonly processAutomation: platformClient.ProcessAutomationApi
  readonly architect: platformClient.ArchitectApi
}

/** A fresh SDK client pointed at `url` (not logged in). */
export const sdkClient = (url: string): InstanceType<typeof platformClient.ApiClientClass> => {
  const u = new URL(url)
  const client = new platformClient.ApiClientClass()
  client.config.live_reload_config = false
  client.setGateway({ host: u.hostname, protocol: "http", port: Number(u.port) })
  client.setReturnExtendedResponses(true)
  return client
}

/** Logs in with client credentials and returns the API classes bound to that client. */
export const login = async (url: string, clientId: string, clientSecret: string): Promise<SdkSession> => {
  const client = sdkClient(url)
  await client.loginClientCredentialsGrant(clientId, clientSecret)
  return {
    client,
    tm: new platformClient.TaskManagementApi(client),
    authz: new platformClient.AuthorizationApi(client),
    oauth: new platformClient.OAuthApi(client),
    integrations: new platformClient.IntegrationsApi(client),
    processAutomation: new platformClient.ProcessAutomationApi(client),
    architect: new platformClient.ArchitectApi(client)
  }
}

/** Awaits an SDK call and returns its extended response, whether it succeeded or failed with an HTTP status. */
export const call = async <T = any>(p: Promise<unknown>): Promise<Extended<T>> => {
  try {
    return (await p) as Extended<T>
  } catch (e) {
    if (typeof e === "object" && e !== null && "status" in e && typeof (e as { status: unknown }).status === "number")
      return e as Extended<T>
    throw e
  }
}

/** A schema body with one property of each core type used by the tests (docs/genesys-api.md §2.3 example). */
export const sampleSchemaBody = (name = "helpdesk_ticket"): Record<string, unknown> => ({
  name,
  version: 1,
  enabled: true,
  appliesTo: ["WORKITEM"],
  jsonSchema: {
    $schema: "http://json-schema.org/draft-04/schema#",
    title: name,
    description: "Helpdesk ticket fields",
    type: "object",
    properties: {
      ticket_id_identifier: {
        allOf: [{ $ref: "#/definitions/identifier" }],
        title: "Ticket ID",
        minLength: 1,
        maxLength: 100
      },
      subject_text: { allOf: [{ $ref: "#/definitions/text" }], title: "Subject", minLength: 0, maxLength: 100 },
      body_longtext: { allOf: [{ $ref: "#/definitions/longtext" }], title: "Body", minLength: 0, maxLength: 1000 },
      link_url: { allOf: [{ $ref: "#/definitions/url" }], title: "Link", maxLength: 200 },
      severity_enum: {
        allOf: [{ $ref: "#/definitions/enum" }],
        title: "Severity",
        enum: ["low", "high"],
        _enumProperties: { low: { title: "Low", _disabled: false }, high: { title: "High", _disabled: false } }
      },
      labels_tag: {
        allOf: [{ $ref: "#/definitions/tag" }],
        title: "Labels",
        items: { minLength: 1, maxLength: 100 },
        minItems: 0,
        maxItems: 10,
        uniqueItems: true
      },
      due_date: { allOf: [{ $ref: "#/definitions/date" }], title: "Due" },
      opened_datetime: { allOf: [{ $ref: "#/definitions/datetime" }], title: "Opened" },
      count_integer: { allOf: [{ $ref: "#/definitions/integer" }], title: "Count", minimum: 0, maximum: 1000 },
      score_number: { allOf: [{ $ref: "#/definitions/number" }], title: "Score", minimum: 0, maximum: 10 },
      vip_checkbox: { allOf: [{ $ref: "#/definitions/checkbox" }], title: "VIP" }
    }
  }
})

export interface Setup {
  readonly workbinId: string
  readonly schemaId: string
  readonly worktypeId: string
  /** Status ids by name: Open → InProgress/Closed, InProgress → Closed, Closed → Open. */
  readonly statuses: { readonly open: string; readonly inProgress: string; readonly closed: string }
}

const ok = async <T = any>(p: Promise<unknown>, what: string): Promise<T> => {
  const r = await call<T>(p)
  if (r.status !== 200) throw new Error(`${what} failed: ${r.status} ${JSON.stringify(r.body)}`)
  return r.body
}

/** Creates a workbin, the sample schema, a worktype and three statuses with a transition graph. */
export const setupWorktype = async (s: SdkSession, prefix = "Helpdesk"): Promise<Setup> => {
  const workbin = await ok(s.tm.postTaskmanagementWorkbins({ name: `${prefix} bin` }), "workbin")
  const schema = await ok(
    s.tm.postTaskmanagementWorkitemsSchemas(sampleSchemaBody(`${prefix.toLowerCase()}_ticket`) as never),
    "schema"
  )
  const worktype = await ok(
    s.tm.postTaskmanagementWorktypes({
      name: `${prefix} ticket`,
      defaultWorkbinId: workbin.id,
      schemaId: schema.id,
      disableDefaultStatusCreation: true
    }),
    "worktype"
  )
  const closed = await ok(
    s.tm.postTaskmanagementWorktypeStatuses(worktype.id, { name: "Closed", category: "Closed" }),
    "status"
  )
  const inProgress = await ok(
    s.tm.postTaskmanagementWorktypeStatuses(worktype.id, {
      name: "In progress",
      category: "InProgress",
      destinationStatusIds: [closed.id]
    }),
    "status"
  )
  const open = await ok(
    s.tm.postTaskmanagementWorktypeStatuses(worktype.id, {
      name: "Open",
      category: "Open",
      destinationStatusIds: [inProgress.id, closed.id]
    }),
    "status"
  )
  await ok(
    s.tm.patchTaskmanagementWorktypeStatus(worktype.id, closed.id, { destinationStatusIds: [open.id] }),
    "status"
  )
  await ok(s.tm.patchTaskmanagementWorktype(worktype.id, { defaultStatusId: open.id }), "worktype default status")
  return {
    workbinId: workbin.id,
    schemaId: schema.id,
    worktypeId: worktype.id,
    statuses: { open: open.id, inProgress: inProgress.id, closed: closed.id }
  }
}

/** An Architect import job's final state (SDK `ArchitectJobStateResponse`). */
export interface FlowJobResult {
  readonly id: string
  readonly status: "Success" | "Failure"
  readonly flow?: { readonly id: string; readonly name?: string }
  readonly messages?: ReadonlyArray<{ readonly type?: string; readonly text?: string }>
}

/**
 * Publishes Architect YAML as CX as Code's genesyscloud_flow does: `postFlowsJobs`, PUT the YAML to the returned
 * `presignedUrl` with the returned `headers`, then `getFlowsJob` until the job reads Success or Failure.
 */
export const importFlowYaml = async (s: SdkSession, yaml: string, timeoutMs = 10_000): Promise<FlowJobResult> => {
  const job = await ok<{ id: string; presignedUrl: string; headers: Record<string, string> }>(
    s.architect.postFlowsJobs(),
    "postFlowsJobs"
  )
  const put = await fetch(job.presignedUrl, { method: "PUT", headers: job.headers, body: yaml })
  if (!put.ok) throw new Error(`upload of the flow YAML failed: ${put.status} ${await put.text()}`)
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const state = await ok<FlowJobResult>(s.architect.getFlowsJob(job.id, { expand: ["messages"] }), "getFlowsJob")
    if (state.status === "Success" || state.status === "Failure") return state
    if (Date.now() > deadline) throw new Error(`Architect job ${job.id} did not finish within ${timeoutMs} ms`)
    await sleep(50)
  }
}

/** A workflow execution as `GET /__emulator/workflow-executions` lists it. */
export type ExecutionRecord = Readonly<WorkflowExecution>

export type ExecutionFilter = Partial<
  Pick<ExecutionRecord, "workitemId" | "triggerId" | "flowId" | "status" | "operation">
>

/** The emulator's workflow executions (oldest first) through its control API, optionally filtered. */
export const workflowExecutions = async (
  emulatorUrl: string,
  filter: ExecutionFilter = {}
): Promise<ReadonlyArray<ExecutionRecord>> => {
  const q = new URLSearchParams(filter as Record<string, string>)
  const r = await fetch(`${emulatorUrl}/__emulator/workflow-executions?${q}`)
  if (!r.ok) throw new Error(`workflow-executions: ${r.status}`)
  return ((await r.json()) as { executions: ReadonlyArray<ExecutionRecord> }).executions
}

/**
 * Waits until at least `count` executions matching `filter` have finished (succeeded or failed) and none matching it
 * is still pending or running; resolves with the matching executions. Works against an emulator in another process.
 */
export const waitForExecutions = async (
  emulatorUrl: string,
  filter: ExecutionFilter,
  count: number,
  timeoutMs = 10_000
): Promise<ReadonlyArray<ExecutionRecord>> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const all = await workflowExecutions(emulatorUrl, filter)
    const done = all.filter((x) => x.status === "succeeded" || x.status === "failed")
    if (done.length >= count && done.length === all.length) return all
    if (Date.now() > deadline)
      throw new Error(
        `waited ${timeoutMs} ms for ${count} finished workflow executions matching ${JSON.stringify(filter)}; have ${JSON.stringify(all.map((x) => x.status))}`
      )
    await sleep(25)
  }
}
