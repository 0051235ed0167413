/**
 * Provision the Genesys side without Pulumi: runs the dynamic providers' `create` in dependency order (the same
 * code `pulumi up` runs) and returns what the service needs, plus `destroy()` which deletes in the safe order.
 * For tests and scripts, e.g. the least-privilege proof and the service's end-to-end test against the emulator.
 */
import type { Catalog } from "@workbridge/catalog"
import { defaultCatalog, servicePermissions, toWorkitemSchema } from "@workbridge/catalog"
import type { ActionDefinition } from "./components/dataActions.js"
import { resourceNames } from "./build/names.js"
import { toPermissionPolicies } from "./build/permissions.js"
import { planStatuses } from "./build/statuses.js"
import { dataActionProvider } from "./providers/dataAction.js"
import { integrationProvider } from "./providers/integration.js"
import { integrationCredentialProvider } from "./providers/integrationCredential.js"
import { oauthClientProvider } from "./providers/oauthClient.js"
import { roleProvider } from "./providers/role.js"
import type { SdkTarget } from "./providers/sdk.js"
import { checkTarget } from "./providers/sdk.js"
import { workbinProvider } from "./providers/workbin.js"
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
  /** Delete everything created, in the safe order (what `pulumi destroy` does). */
  destroy(): Promise<void>
}

/** Run the providers' `create` in order against `target` (a region or gateway URL, and an admin client). */
export async function provisionForService(target: SdkTarget, options: ProvisionOptions = {}): Promise<Provisioned> {
  const connection = checkTarget(target)
  const catalog = options.catalog ?? defaultCatalog
  const names = resourceNames(options.namePrefix ?? "Workbridge", catalog.schemaName)
  const plan = planStatuses(catalog)
  const permissions = [...(options.permissions ?? servicePermissions())].sort()
  const policies = toPermissionPolicies(permissions)
  const undo: Array<() => Promise<void>> = []
  const destroy = async () => {
    const errors: unknown[] = []
    while (undo.length > 0) {
      const step = undo.pop() as () => Promise<void>
      try {
        await step()
      } catch (err) {
        errors.push(err)
      }
    }
    if (errors.length > 0) throw errors[0]
  }

  try {
    const workbin = await workbinProvider.create({ connection, name: names.workbin })
    undo.push(() => workbinProvider.delete(workbin.id, workbin.outs))
    const schema = await workitemSchemaProvider.create({
      connection,
      name: names.schema,
      jsonSchema: toWorkitemSchema(catalog).jsonSchema as unknown as Record<string, unknown>,
      enabled: true
    })
    undo.push(() => workitemSchemaProvider.delete(schema.id, schema.outs))
    const worktype = await worktypeProvider.create({
      connection,
      name: names.worktype,
      defaultWorkbinId: workbin.id,
      schemaId: schema.id,
      schemaVersion: schema.outs.version,
      disableDefaultStatusCreation: true
    })
    undo.push(() => worktypeProvider.delete(worktype.id, worktype.outs))
    const statusIds: Record<string, string> = {}
    for (const s of plan.statuses) {
      const st = await worktypeStatusProvider.create({ connection, worktypeId: worktype.id, ...s })
      undo.push(() => worktypeStatusProvider.delete(st.id, st.outs))
      statusIds[s.name] = st.id
    }
    for (const s of plan.statuses) {
      const inputs = {
        connection,
        worktypeId: worktype.id,
        statusId: statusIds[s.name] as string,
        destinationStatusIds: (plan.transitions[s.name] ?? []).map((d) => statusIds[d] as string)
      }
      const tr = await worktypeStatusTransitionsProvider.create(inputs)
      undo.push(() => worktypeStatusTransitionsProvider.delete(tr.id, tr.outs))
    }
    await worktypeDefaultStatusProvider.create({
      connection,
      worktypeId: worktype.id,
      statusId: statusIds[plan.defaultStatus] as string
    })
    const role = await roleProvider.create({
      connection,
      name: names.role,
      description: "Workbridge sync service",
      permissionPolicies: policies
    })
    undo.push(() => roleProvider.delete(role.id, role.outs))
    const client = await oauthClientProvider.create({ connection, name: names.oauthClient, roleId: role.id })
    undo.push(() => oauthClientProvider.delete(client.id, client.outs))

    let integrationId: string | undefined
    let actionIds: Record<string, string> | undefined
    if (options.dataActions !== undefined) {
      const credential = await integrationCredentialProvider.create({
        connection,
        name: names.credential,
        type: "basicAuth",
        credentialFields: { ...options.dataActions.basicAuth }
      })
      undo.push(() => integrationCredentialProvider.delete(credential.id, credential.outs))
      const integration = await integrationProvider.create({
        connection,
        name: names.integration,
        integrationType: "custom-rest-actions",
        credentialId: credential.id,
        credentialKey: "basicAuth",
        enabled: true
      })
      undo.push(() => integrationProvider.delete(integration.id, integration.outs))
      integrationId = integration.id
      actionIds = {}
      for (const d of options.dataActions.definitions) {
        const action = await dataActionProvider.create({
          connection,
          integrationId: integration.id,
          name: d.name,
          category: names.dataActionCategory,
          contract: d.contract,
          config: d.config,
          secure: false
        })
        undo.push(() => dataActionProvider.delete(action.id, action.outs))
        actionIds[d.name] = action.id
      }
    }

    return {
      worktypeId: worktype.id,
      worktypeName: names.worktype,
      workbinId: workbin.id,
      schemaId: schema.id,
      schemaVersion: schema.outs.version,
      statusIds,
      roleId: role.id,
      permissions,
      clientId: client.outs.clientId,
      clientSecret: client.outs.clientSecret,
      ...(integrationId === undefined ? {} : { integrationId }),
      ...(actionIds === undefined ? {} : { actionIds }),
      destroy
    }
  } catch (err) {
    await destroy().catch(() => undefined)
    throw err
  }
}
