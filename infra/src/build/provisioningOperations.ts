/**
 * Every Genesys API operation the dynamic providers call (create, read, update and delete — what `pulumi up`,
 * `refresh` and `destroy` run), with the permission Genesys checks for it. The provisioning OAuth client's role is
 * derived from this list (`provisioningPermissions`), as the service's role is from `SERVICE_OPERATIONS`;
 * `infra/src/provisioningPermissions.test.ts` runs the whole provisioning as a client holding exactly these
 * permissions against the emulator and checks that every call it made is listed here.
 *
 * Sources: each SDK method's "Requires ANY permissions" in the SDK's API docs (purecloud-platform-client-v2), as the
 * emulator's route table (packages/emulator/README.md) has them; the Architect ones as CX as Code's flow resource
 * documents them (docs/genesys-api.md §9.2). The flows import job creates and publishes the flow for the caller: the
 * `architect:flow:add/edit/publish` it is listed with here are **unverified** (a real org tells by running the import
 * as a client without them).
 */
export type ProvisioningFeature = "workitems" | "access" | "dataActions" | "writeBack"

export interface ProvisioningOperation {
  readonly sdkClass:
    | "TaskManagementApi"
    | "AuthorizationApi"
    | "OAuthApi"
    | "IntegrationsApi"
    | "ArchitectApi"
    | "ProcessAutomationApi"
  readonly sdkMethod: string
  readonly httpMethod: "GET" | "POST" | "PUT" | "PATCH" | "DELETE"
  readonly path: string
  /** The permissions this operation needs (`domain:entity:action`); empty: any valid token. */
  readonly permissions: ReadonlyArray<string>
  /** Which part of the stack calls it. */
  readonly feature: ProvisioningFeature
}

const op = (
  feature: ProvisioningFeature,
  sdkClass: ProvisioningOperation["sdkClass"],
  sdkMethod: string,
  httpMethod: ProvisioningOperation["httpMethod"],
  path: string,
  ...permissions: ReadonlyArray<string>
): ProvisioningOperation => ({ feature, sdkClass, sdkMethod, httpMethod, path, permissions })

const TM = "TaskManagementApi"
const IN = "IntegrationsApi"
const WB = "/api/v2/taskmanagement/workbins"
const SC = "/api/v2/taskmanagement/workitems/schemas"
const WT = "/api/v2/taskmanagement/worktypes"
const ST = `${WT}/{worktypeId}/statuses`

export const PROVISIONING_OPERATIONS: ReadonlyArray<ProvisioningOperation> = [
  op("workitems", TM, "postTaskmanagementWorkbins", "POST", WB, "workitems:workbin:add"),
  op("workitems", TM, "getTaskmanagementWorkbin", "GET", `${WB}/{workbinId}`, "workitems:workbin:view"),
  op("workitems", TM, "patchTaskmanagementWorkbin", "PATCH", `${WB}/{workbinId}`, "workitems:workbin:edit"),
  op("workitems", TM, "deleteTaskmanagementWorkbin", "DELETE", `${WB}/{workbinId}`, "workitems:workbin:delete"),
  op("workitems", TM, "postTaskmanagementWorkitemsSchemas", "POST", SC, "workitems:workitemSchema:add"),
  op("workitems", TM, "getTaskmanagementWorkitemsSchema", "GET", `${SC}/{schemaId}`, "workitems:workitemSchema:view"),
  op("workitems", TM, "putTaskmanagementWorkitemsSchema", "PUT", `${SC}/{schemaId}`, "workitems:workitemSchema:edit"),
  op(
    "workitems",
    TM,
    "deleteTaskmanagementWorkitemsSchema",
    "DELETE",
    `${SC}/{schemaId}`,
    "workitems:workitemSchema:delete"
  ),
  op("workitems", TM, "postTaskmanagementWorktypes", "POST", WT, "workitems:worktype:add"),
  op("workitems", TM, "getTaskmanagementWorktype", "GET", `${WT}/{worktypeId}`, "workitems:worktype:view"),
  op("workitems", TM, "patchTaskmanagementWorktype", "PATCH", `${WT}/{worktypeId}`, "workitems:worktype:edit"),
  op("workitems", TM, "deleteTaskmanagementWorktype", "DELETE", `${WT}/{worktypeId}`, "workitems:worktype:delete"),
  op("workitems", TM, "postTaskmanagementWorktypeStatuses", "POST", ST, "workitems:status:add"),
  op("workitems", TM, "getTaskmanagementWorktypeStatuses", "GET", ST, "workitems:status:view"),
  op("workitems", TM, "getTaskmanagementWorktypeStatus", "GET", `${ST}/{statusId}`, "workitems:status:view"),
  op("workitems", TM, "patchTaskmanagementWorktypeStatus", "PATCH", `${ST}/{statusId}`, "workitems:status:edit"),
  op("workitems", TM, "deleteTaskmanagementWorktypeStatus", "DELETE", `${ST}/{statusId}`, "workitems:status:delete"),

  op(
    "access",
    "AuthorizationApi",
    "postAuthorizationRoles",
    "POST",
    "/api/v2/authorization/roles",
    "authorization:role:add"
  ),
  op(
    "access",
    "AuthorizationApi",
    "getAuthorizationRole",
    "GET",
    "/api/v2/authorization/roles/{roleId}",
    "authorization:role:view"
  ),
  op(
    "access",
    "AuthorizationApi",
    "putAuthorizationRole",
    "PUT",
    "/api/v2/authorization/roles/{roleId}",
    "authorization:role:edit"
  ),
  op(
    "access",
    "AuthorizationApi",
    "deleteAuthorizationRole",
    "DELETE",
    "/api/v2/authorization/roles/{roleId}",
    "authorization:role:delete"
  ),
  op("access", "AuthorizationApi", "getAuthorizationDivisionsHome", "GET", "/api/v2/authorization/divisions/home"),
  op("access", "OAuthApi", "postOauthClients", "POST", "/api/v2/oauth/clients", "oauth:client:add"),
  op("access", "OAuthApi", "getOauthClient", "GET", "/api/v2/oauth/clients/{clientId}", "oauth:client:view"),
  op("access", "OAuthApi", "putOauthClient", "PUT", "/api/v2/oauth/clients/{clientId}", "oauth:client:edit"),
  op("access", "OAuthApi", "deleteOauthClient", "DELETE", "/api/v2/oauth/clients/{clientId}", "oauth:client:delete"),

  op(
    "dataActions",
    IN,
    "postIntegrationsCredentials",
    "POST",
    "/api/v2/integrations/credentials",
    "integrations:integration:add"
  ),
  op(
    "dataActions",
    IN,
    "getIntegrationsCredential",
    "GET",
    "/api/v2/integrations/credentials/{credentialId}",
    "integrations:integration:view"
  ),
  op(
    "dataActions",
    IN,
    "putIntegrationsCredential",
    "PUT",
    "/api/v2/integrations/credentials/{credentialId}",
    "integrations:integration:edit"
  ),
  op(
    "dataActions",
    IN,
    "deleteIntegrationsCredential",
    "DELETE",
    "/api/v2/integrations/credentials/{credentialId}",
    "integrations:integration:delete"
  ),
  op("dataActions", IN, "postIntegrations", "POST", "/api/v2/integrations", "integrations:integration:add"),
  op(
    "dataActions",
    IN,
    "getIntegration",
    "GET",
    "/api/v2/integrations/{integrationId}",
    "integrations:integration:view"
  ),
  op(
    "dataActions",
    IN,
    "patchIntegration",
    "PATCH",
    "/api/v2/integrations/{integrationId}",
    "integrations:integration:edit"
  ),
  op(
    "dataActions",
    IN,
    "deleteIntegration",
    "DELETE",
    "/api/v2/integrations/{integrationId}",
    "integrations:integration:delete"
  ),
  op(
    "dataActions",
    IN,
    "getIntegrationConfigCurrent",
    "GET",
    "/api/v2/integrations/{integrationId}/config/current",
    "integrations:integration:view"
  ),
  op(
    "dataActions",
    IN,
    "putIntegrationConfigCurrent",
    "PUT",
    "/api/v2/integrations/{integrationId}/config/current",
    "integrations:integration:edit"
  ),
  op("dataActions", IN, "postIntegrationsActions", "POST", "/api/v2/integrations/actions", "integrations:action:add"),
  op(
    "dataActions",
    IN,
    "getIntegrationsAction",
    "GET",
    "/api/v2/integrations/actions/{actionId}",
    "integrations:action:view"
  ),
  op(
    "dataActions",
    IN,
    "patchIntegrationsAction",
    "PATCH",
    "/api/v2/integrations/actions/{actionId}",
    "integrations:action:edit"
  ),
  op(
    "dataActions",
    IN,
    "deleteIntegrationsAction",
    "DELETE",
    "/api/v2/integrations/actions/{actionId}",
    "integrations:action:delete"
  ),

  // The import job creates (or overwrites) and publishes the flow on the caller's behalf (see the header).
  op(
    "writeBack",
    "ArchitectApi",
    "postFlowsJobs",
    "POST",
    "/api/v2/flows/jobs",
    "architect:job:create",
    "architect:flow:add",
    "architect:flow:edit",
    "architect:flow:publish"
  ),
  op("writeBack", "ArchitectApi", "getFlowsJob", "GET", "/api/v2/flows/jobs/{jobId}", "architect:job:view"),
  op("writeBack", "ArchitectApi", "getFlows", "GET", "/api/v2/flows", "architect:flow:view"),
  op("writeBack", "ArchitectApi", "getFlow", "GET", "/api/v2/flows/{flowId}", "architect:flow:view"),
  op("writeBack", "ArchitectApi", "deleteFlow", "DELETE", "/api/v2/flows/{flowId}", "architect:flow:delete"),
  op(
    "writeBack",
    "ProcessAutomationApi",
    "postProcessautomationTriggers",
    "POST",
    "/api/v2/processautomation/triggers",
    "processautomation:trigger:add"
  ),
  op(
    "writeBack",
    "ProcessAutomationApi",
    "getProcessautomationTriggers",
    "GET",
    "/api/v2/processautomation/triggers",
    "processautomation:trigger:view"
  ),
  op(
    "writeBack",
    "ProcessAutomationApi",
    "getProcessautomationTrigger",
    "GET",
    "/api/v2/processautomation/triggers/{triggerId}",
    "processautomation:trigger:view"
  ),
  op(
    "writeBack",
    "ProcessAutomationApi",
    "putProcessautomationTrigger",
    "PUT",
    "/api/v2/processautomation/triggers/{triggerId}",
    "processautomation:trigger:edit"
  ),
  op(
    "writeBack",
    "ProcessAutomationApi",
    "deleteProcessautomationTrigger",
    "DELETE",
    "/api/v2/processautomation/triggers/{triggerId}",
    "processautomation:trigger:delete"
  )
]

/**
 * The provisioning client's permissions, sorted and deduplicated: those of the operations of every feature the
 * stack provisions (`workitems` and `access` always; `dataActions`; `writeBack` with `workbridge:writeBack`).
 */
export function provisioningPermissions(options: { readonly writeBack?: boolean } = {}): ReadonlyArray<string> {
  const features: ReadonlyArray<ProvisioningFeature> = [
    "workitems",
    "access",
    "dataActions",
    ...(options.writeBack === true ? (["writeBack"] as const) : [])
  ]
  return [
    ...new Set(PROVISIONING_OPERATIONS.filter((o) => features.includes(o.feature)).flatMap((o) => o.permissions))
  ].sort()
}
