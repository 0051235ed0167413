/**
 * Helpers for driving an emulator through the official SDK (`ApiClientClass` + `setGateway`, extended responses).
 * Used by this package's tests and available to other packages' tests.
 */
import platformClient from "purecloud-platform-client-v2"

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
    integrations: new platformClient.IntegrationsApi(client)
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
