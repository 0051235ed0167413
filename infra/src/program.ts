/**
 * The Workbridge stack: everything `pulumi up` provisions, as one function of the checked stack config and the
 * catalog, so that tests can run it under `pulumi.runtime.setMocks`.
 */
import * as pulumi from "@pulumi/pulumi"
import type { Catalog } from "@workbridge/catalog"
import { buildDataActionDefinitions } from "@workbridge/data-actions"
import type { StackConfig } from "./build/config.js"
import { connectionOf, splitBasicAuth } from "./build/config.js"
import { resourceNames } from "./build/names.js"
import { type ActionDefinition, DataActions } from "./components/dataActions.js"
import { IntegrationIdentity } from "./components/integrationIdentity.js"
import { WorkitemSetup } from "./components/workitemSetup.js"
import { WriteBack } from "./components/writeBack.js"
import { WRITE_BACK_ACTION_NAME } from "@workbridge/genesys"

/** The stack outputs (see build/outputs.ts for how they reach the service). */
export interface StackOutputValues {
  readonly region?: string
  readonly gatewayUrl?: string
  readonly workbinId: pulumi.Output<string>
  readonly schemaId: pulumi.Output<string>
  readonly worktypeId: pulumi.Output<string>
  readonly worktypeName: pulumi.Output<string>
  readonly statusIds: pulumi.Output<Record<string, string>>
  readonly roleId: pulumi.Output<string>
  readonly permissions: ReadonlyArray<string>
  readonly clientId: pulumi.Output<string>
  readonly clientSecret: pulumi.Output<string>
  readonly integrationId: pulumi.Output<string>
  readonly dataActionIds: pulumi.Output<Record<string, string>>
  readonly dataActionBasicAuth: pulumi.Output<string>
  /** With `workbridge:writeBack`: the write-back workflow and trigger. */
  readonly writeBackWorkflowId?: pulumi.Output<string>
  readonly writeBackTriggerId?: pulumi.Output<string>
}

/** Declare every resource of the stack and return its outputs. */
export function defineStack(
  config: StackConfig,
  catalog: Catalog,
  options: {
    /** The Data Actions to publish; default the service's, `buildDataActionDefinitions(catalog, serviceBaseUrl)`. */
    readonly definitions?: ReadonlyArray<ActionDefinition>
  } = {}
): StackOutputValues {
  const names = resourceNames(config.namePrefix, catalog.schemaName)
  const connection = pulumi.secret(connectionOf(config))
  const definitions =
    options.definitions ??
    buildDataActionDefinitions(catalog, {
      baseUrl: config.serviceBaseUrl,
      credentialType: "basicAuth"
    })

  const adopt = config.adopt ?? {}
  const workitems = new WorkitemSetup("workitems", { connection, catalog, names, adopt })
  const identity = new IntegrationIdentity("identity", { connection, names, adopt })
  const actions = new DataActions("data-actions", {
    connection,
    names,
    definitions,
    basicAuth: pulumi.secret(splitBasicAuth(config.dataActionBasicAuth)),
    adopt
  })
  let writeBack: WriteBack | undefined
  if (config.writeBack === true) {
    const action = actions.actions[WRITE_BACK_ACTION_NAME]
    if (action === undefined) {
      throw new Error(
        `workbridge:writeBack: the service's Data Action definitions have no "${WRITE_BACK_ACTION_NAME}" (the action the workflow calls)`
      )
    }
    writeBack = new WriteBack("write-back", {
      connection,
      names,
      worktypeId: workitems.worktypeId,
      workbridgeClientId: identity.clientId,
      action: { resource: action, actionId: action.actionId }
    })
  }

  return {
    ...(config.region === undefined ? {} : { region: config.region }),
    ...(config.gatewayUrl === undefined ? {} : { gatewayUrl: config.gatewayUrl }),
    workbinId: workitems.workbinId,
    schemaId: workitems.schemaId,
    worktypeId: workitems.worktypeId,
    worktypeName: workitems.worktypeName,
    statusIds: workitems.statusIds,
    roleId: identity.roleId,
    permissions: identity.permissions,
    clientId: identity.clientId,
    clientSecret: identity.clientSecret,
    integrationId: actions.integrationId,
    dataActionIds: actions.actionIds,
    dataActionBasicAuth: pulumi.secret(config.dataActionBasicAuth),
    ...(writeBack === undefined
      ? {}
      : { writeBackWorkflowId: writeBack.workflowId, writeBackTriggerId: writeBack.triggerId })
  }
}
