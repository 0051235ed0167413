/**
 * Provision the Genesys side without Pulumi: the one provisioner (`provisionWith` of `@workbridge/genesys`) over
 * steps that run the dynamic providers' `create` (the same code `pulumi up` runs), and `destroy()` through their
 * `delete` in the safe order. Returns what the service needs. For tests and scripts, e.g. the least-privilege proof
 * and the service's end-to-end test against the emulator.
 */
import type { Catalog } from "@workbridge/catalog"
import { defaultCatalog, servicePermissions, toWorkitemSchema } from "@workbridge/catalog"
import { type ProvisionSteps, provisionWith } from "@workbridge/genesys"
import type { ActionDefinition } from "./components/dataActions.js"
import { resourceNames } from "./build/names.js"
import { toPermissionPolicies } from "./build/permissions.js"
import { dataActionProvider } from "./providers/dataAction.js"
import type { DataActionConfig, DataActionContract } from "./providers/dataAction.js"
import { integrationProvider } from "./providers/integration.js"
import { integrationCredentialProvider } from "./providers/integrationCredential.js"
import { oauthClientProvider } from "./providers/oauthClient.js"
import { processAutomationTriggerProvider } from "./providers/processAutomationTrigger.js"
import { roleProvider } from "./providers/role.js"
import type { SdkTarget } from "./providers/sdk.js"
import { checkTarget } from "./providers/sdk.js"
import { workbinProvider } from "./providers/workbin.js"
import { workflowProvider } from "./providers/workflow.js"
import { workitemSchemaProvider } from "./providers/workitemSchema.js"
import { worktypeProvider } from "./providers/worktype.js"
import { worktypeDefaultStatusProvider } from "./providers/worktypeDefaultStatus.js"
import { worktypeStatusProvider } from "./providers/worktypeStatus.js"
import { worktypeStatusTransitionsProvider } from "./providers/worktypeStatusTransitions.js"

export interface ProvisionOptions {
  /** Default: the default catalog. */
  readonly catalog?: Catalog
  /** Default `Workbridge`; use a unique prefix per test run. */
  readonly namePrefix?: string
  /** The role's permissions; default exactly `servicePermissions()`. */
  readonly permissions?: ReadonlyArray<string>
  /** Also create the integration, its basic-auth credential and these published actions. */
  readonly dataActions?: {
    readonly definitions: ReadonlyArray<ActionDefinition>
    readonly basicAuth: { readonly userName: string; readonly password: string }
  }
  /**
   * Also create the write-back workflow and trigger (needs `dataActions` holding the write-back action, by default
   * `WRITE_BACK_ACTION_NAME`). The trigger ignores events of changes by the OAuth client created here.
   */
  readonly writeBack?: { readonly actionName?: string }
}

export interface Provisioned {
  readonly worktypeId: string
  readonly worktypeName: string
  readonly workbinId: string
  readonly schemaId: string
  readonly schemaVersion: number
  /** Status name → id. */
  readonly statusIds: Readonly<Record<string, string>>
  readonly roleId: string
  readonly permissions: ReadonlyArray<string>
  /** The service's OAuth client, holding only the role above. */
  readonly clientId: string
  readonly clientSecret: string
  readonly integrationId?: string
  /** Action name → id. */
  readonly actionIds?: Readonly<Record<string, string>>
  readonly workflowId?: string
  readonly triggerId?: string
  /** Delete everything created, in the safe order (what `pulumi destroy` does). */
  destroy(): Promise<void>
}

/** Steps that create each object through its dynamic provider and delete it through the same provider. */
export function providerSteps(connection: SdkTarget): ProvisionSteps {
  return {
    workbin: async (name) => {
      const r = await workbinProvider.create({ connection, name })
      return { id: r.id, undo: () => workbinProvider.delete(r.id, r.outs) }
    },
    schema: async (name, catalog) => {
      const r = await workitemSchemaProvider.create({
        connection,
        name,
        jsonSchema: toWorkitemSchema(catalog).jsonSchema as unknown as Record<string, unknown>,
        enabled: true
      })
      return { id: r.id, version: r.outs.version, undo: () => workitemSchemaProvider.delete(r.id, r.outs) }
    },
    worktype: async (w) => {
      const r = await worktypeProvider.create({
        connection,
        name: w.name,
        defaultWorkbinId: w.workbinId,
        schemaId: w.schemaId,
        schemaVersion: w.schemaVersion,
        disableDefaultStatusCreation: true
      })
      return { id: r.id, undo: () => worktypeProvider.delete(r.id, r.outs) }
    },
    // A worktype just created without default statuses has none.
    existingStatuses: async () => ({}),
    status: async (worktypeId, s) => {
      const r = await worktypeStatusProvider.create({ connection, worktypeId, ...s })
      return { id: r.id, undo: () => worktypeStatusProvider.delete(r.id, r.outs) }
    },
    transitions: async (worktypeId, status, destinationStatusIds) => {
      const r = await worktypeStatusTransitionsProvider.create({
        connection,
        worktypeId,
        statusId: status.id,
        destinationStatusIds: [...destinationStatusIds]
      })
      return { id: r.id, undo: () => worktypeStatusTransitionsProvider.delete(r.id, r.outs) }
    },
    defaultStatus: async (worktypeId, statusId) => {
      await worktypeDefaultStatusProvider.create({ connection, worktypeId, statusId })
    },
    role: async (name, permissions) => {
      const r = await roleProvider.create({
        connection,
        name,
        description: "Workbridge sync service",
        permissionPolicies: toPermissionPolicies(permissions)
      })
      return { id: r.id, undo: () => roleProvider.delete(r.id, r.outs) }
    },
    oauthClient: async (name, roleId) => {
      const r = await oauthClientProvider.create({ connection, name, roleId })
      return {
        id: r.id,
        clientId: r.outs.clientId,
        clientSecret: r.outs.clientSecret,
        undo: () => oauthClientProvider.delete(r.id, r.outs)
      }
    },
    basicAuthCredential: async (name, basicAuth) => {
      const r = await integrationCredentialProvider.create({
        connection,
        name,
        type: "basicAuth",
        credentialFields: { ...basicAuth }
      })
      return { id: r.id, undo: () => integrationCredentialProvider.delete(r.id, r.outs) }
    },
    integration: async (name, credentialId) => {
      const r = await integrationProvider.create({
        connection,
        name,
        integrationType: "custom-rest-actions",
        credentialId,
        credentialKey: "basicAuth",
        enabled: true
      })
      return { id: r.id, undo: () => integrationProvider.delete(r.id, r.outs) }
    },
    dataAction: async (integrationId, category, d) => {
      const r = await dataActionProvider.create({
        connection,
        integrationId,
        name: d.name,
        category,
        contract: d.contract as DataActionContract,
        config: d.config as DataActionConfig,
        secure: false
      })
      return { id: r.id, undo: () => dataActionProvider.delete(r.id, r.outs) }
    },
    workflow: async ({ name, yaml }) => {
      const r = await workflowProvider.create({ connection, name, yaml })
      return { id: r.id, undo: () => workflowProvider.delete(r.id, r.outs) }
    },
    trigger: async (t) => {
      const r = await processAutomationTriggerProvider.create({
        connection,
        ...t,
        target: { ...t.target },
        matchCriteria: t.matchCriteria.map((c) => ({ ...c }))
      })
      return { id: r.id, undo: () => processAutomationTriggerProvider.delete(r.id, r.outs) }
    }
  }
}

/** Run the providers' `create` in order against `target` (a region or gateway URL, and an admin client). */
export async function provisionForService(target: SdkTarget, options: ProvisionOptions = {}): Promise<Provisioned> {
  const connection = checkTarget(target)
  const catalog = options.catalog ?? defaultCatalog
  const names = resourceNames(options.namePrefix ?? "Workbridge", catalog.schemaName)
  const permissions = [...(options.permissions ?? servicePermissions())].sort()
  toPermissionPolicies(permissions) // a bad permission is named before anything is created
  const r = await provisionWith(providerSteps(connection), {
    catalog,
    names,
    access: { permissions },
    ...(options.dataActions === undefined ? {} : { dataActions: options.dataActions }),
    ...(options.writeBack === undefined ? {} : { writeBack: { ...options.writeBack } })
  })
  return {
    worktypeId: r.worktypeId,
    worktypeName: names.worktype,
    workbinId: r.workbinId,
    schemaId: r.schemaId,
    schemaVersion: r.schemaVersion,
    statusIds: r.statusIds,
    roleId: r.roleId as string,
    permissions,
    clientId: r.clientId as string,
    clientSecret: r.clientSecret as string,
    ...(r.integrationId === undefined ? {} : { integrationId: r.integrationId }),
    ...(r.actionIds === undefined ? {} : { actionIds: r.actionIds }),
    ...(r.workflowId === undefined ? {} : { workflowId: r.workflowId }),
    ...(r.triggerId === undefined ? {} : { triggerId: r.triggerId }),
    destroy: r.destroy
  }
}
