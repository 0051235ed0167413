/**
 * The demo's write-back chain: with the bundled emulator, once the service listens, the emulator gets the service's
 * Data Actions pointing at the service's own URL, the write-back workflow and the trigger (the provisioner of
 * `@workbridge/genesys`, finding each object by name, so every start reuses or updates what the last one made), and
 * a "demo agent" OAuth client whose changes to workitems are written back (the service itself calls the emulator as
 * its admin client, whose own changes the trigger leaves out).
 */
import type { Catalog } from "@workbridge/catalog"
import { buildDataActionDefinitions } from "@workbridge/data-actions"
import { type ActionToCreate, makeSdkClient, provision, WRITE_BACK_ACTION_NAME } from "@workbridge/genesys"
import platformClient from "purecloud-platform-client-v2"

/** The demo agent's OAuth client and role (found by name; its secret is issued anew at each start). */
export const DEMO_AGENT_NAME = "Workbridge demo agent"
/** What the demo agent may do: read and change workitems and read the statuses. */
export const DEMO_AGENT_PERMISSIONS = ["workitems:workitem:view", "workitems:workitem:edit", "workitems:status:view"]

export interface DemoWriteBackOptions {
  readonly gatewayUrl: string
  readonly adminId: string
  readonly adminSecret: string
  readonly catalog: Catalog
  readonly worktypeName: string
  /** The service's own base URL (the Data Actions call `<serviceUrl>/data-actions/...`). */
  readonly serviceUrl: string
  /** `user:password` the integration sends (the service's Data Action credential). */
  readonly basicAuth: string
  /** The Data Actions to publish; default the service's (`buildDataActionDefinitions` at `serviceUrl`). */
  readonly definitions?: ReadonlyArray<ActionToCreate>
}

export type DemoWriteBack =
  | {
      readonly _tag: "Provisioned"
      readonly worktypeId: string
      /** The worktype's status ids by name (the instructions name Closed and Open). */
      readonly statusIds: Readonly<Record<string, string>>
      readonly workflowId: string
      readonly triggerId: string
      readonly agent: { readonly clientId: string; readonly clientSecret: string }
    }
  | { readonly _tag: "Skipped"; readonly reason: string }

type Any = Record<string, unknown>
const body = (r: unknown): Any => ((r as { body?: unknown }).body ?? r) as Any
const entities = (r: unknown): Array<Any> => (body(r)["entities"] as Array<Any> | undefined) ?? []

/** Provision the chain into the bundled emulator and issue the demo agent's credentials. */
export const provisionDemoWriteBack = async (o: DemoWriteBackOptions): Promise<DemoWriteBack> => {
  const definitions =
    o.definitions ?? buildDataActionDefinitions(o.catalog, { baseUrl: o.serviceUrl, credentialType: "basicAuth" })
  if (!definitions.some((d) => d.name === WRITE_BACK_ACTION_NAME)) {
    return { _tag: "Skipped", reason: `the service has no "${WRITE_BACK_ACTION_NAME}" Data Action` }
  }
  const colon = o.basicAuth.indexOf(":")
  const p = await provision({
    gatewayUrl: o.gatewayUrl,
    clientId: o.adminId,
    clientSecret: o.adminSecret,
    catalog: o.catalog,
    worktypeName: o.worktypeName,
    dataActions: {
      definitions,
      basicAuth: { userName: o.basicAuth.slice(0, colon), password: o.basicAuth.slice(colon + 1) }
    },
    writeBack: {}
  })
  const agent = await demoAgent(o)
  return {
    _tag: "Provisioned",
    worktypeId: p.worktypeId,
    statusIds: p.statusIds,
    workflowId: p.workflowId as string,
    triggerId: p.triggerId as string,
    agent
  }
}

/** Find or create the demo agent's role and OAuth client, and issue it a new secret. */
const demoAgent = async (o: DemoWriteBackOptions): Promise<{ clientId: string; clientSecret: string }> => {
  const client = makeSdkClient({ gatewayUrl: o.gatewayUrl })
  await client.loginClientCredentialsGrant(o.adminId, o.adminSecret)
  const authz = new platformClient.AuthorizationApi(client)
  const oauth = new platformClient.OAuthApi(client)
  const policies = [
    { domain: "workitems", entityName: "workitem", actionSet: ["edit", "view"] },
    { domain: "workitems", entityName: "status", actionSet: ["view"] }
  ]
  const role =
    entities(await authz.getAuthorizationRoles({ name: DEMO_AGENT_NAME, pageSize: 100 })).find(
      (r) => r["name"] === DEMO_AGENT_NAME
    ) ??
    body(
      await authz.postAuthorizationRoles({
        name: DEMO_AGENT_NAME,
        description: "Demo: an agent working workitems",
        permissionPolicies: policies
      } as never)
    )
  const roleId = String(role["id"])
  const existing = entities(await oauth.getOauthClients()).find((c) => c["name"] === DEMO_AGENT_NAME)
  if (existing !== undefined) {
    const id = String(existing["id"])
    const renewed = body(await oauth.postOauthClientSecret(id))
    return { clientId: id, clientSecret: String(renewed["secret"]) }
  }
  const home = body(await authz.getAuthorizationDivisionsHome())
  const created = body(
    await oauth.postOauthClients({
      name: DEMO_AGENT_NAME,
      authorizedGrantType: "CLIENT-CREDENTIALS",
      accessTokenValiditySeconds: 86400,
      roleDivisions: [{ roleId, divisionId: String(home["id"]) }]
    } as never)
  )
  return { clientId: String(created["id"]), clientSecret: String(created["secret"]) }
}

/**
 * How to act as the agent in the demo: take a token, then close a workitem (its ticket is closed with a note) and
 * reopen it (the ticket is open again).
 */
export const demoWriteBackInstructions = (
  emulatorUrl: string,
  serviceUrl: string,
  d: Extract<DemoWriteBack, { _tag: "Provisioned" }>
): ReadonlyArray<string> => {
  const patch = (statusName: string) =>
    `curl -X PATCH ${emulatorUrl}/api/v2/taskmanagement/workitems/<workitemId> -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"statusId":"${d.statusIds[statusName] ?? `<${statusName} status id>`}"}'`
  return [
    `Write-back (Genesys → helpdesk): trigger ${d.triggerId} → workflow ${d.workflowId} → POST ${serviceUrl}/data-actions/workitem-event`,
    `  Act as an agent (demo OAuth client "${DEMO_AGENT_NAME}"): TOKEN=$(curl -s -X POST ${emulatorUrl}/oauth/token -u '${d.agent.clientId}:${d.agent.clientSecret}' -d grant_type=client_credentials | node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token')`,
    `  then close a workitem: ${patch("Closed")}   (the workitemId of a ticket: curl ${serviceUrl}/tickets/<source>/<id>; statuses: GET ${emulatorUrl}/api/v2/taskmanagement/worktypes/${d.worktypeId}/statuses)`,
    "  → its ticket is closed in the helpdesk (Zendesk solved, ServiceNow 7, Jira Done, Freshdesk 5, GitHub closed) with an internal note naming the agent and the workitem, and the helpdesk's webhook of that change costs no Genesys call",
    `  reopen it: ${patch("Open")}   → the ticket is open again, with a note`
  ]
}
