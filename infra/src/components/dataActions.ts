/**
 * The Data Actions Genesys calls on the service: a Web Services Data Actions integration (`custom-rest-actions`)
 * with a basic-auth credential, and one published action per definition (contract from the catalog, URL from the
 * stack config — see `buildDataActionDefinitions` in the service).
 */
import * as pulumi from "@pulumi/pulumi"
import type { AdoptIds } from "../build/config.js"
import type { ResourceNames } from "../build/names.js"
import { DataAction } from "../providers/dataAction.js"
import type { DataActionConfig, DataActionContract } from "../providers/dataAction.js"
import { Integration } from "../providers/integration.js"
import { IntegrationCredential } from "../providers/integrationCredential.js"
import type { SdkTarget } from "../providers/sdk.js"

/** What an action needs: its name, contract and config (the service's definitions have this shape). */
export interface ActionDefinition {
  readonly name: string
  readonly contract: DataActionContract
  readonly config: DataActionConfig
}

export interface DataActionsArgs {
  readonly connection: pulumi.Input<SdkTarget>
  readonly names: Pick<ResourceNames, "integration" | "credential" | "dataActionCategory">
  readonly definitions: ReadonlyArray<ActionDefinition>
  /** The basic-auth pair Genesys sends to the service. */
  readonly basicAuth: pulumi.Input<{ readonly userName: string; readonly password: string }>
  /** Existing objects to adopt by id instead of creating them. */
  readonly adopt?: Pick<AdoptIds, "credential" | "integration" | "actions">
}

const childOpts = (parent: pulumi.Resource, id: string | undefined): pulumi.CustomResourceOptions =>
  id === undefined ? { parent } : { parent, import: id }

export class DataActions extends pulumi.ComponentResource {
  public readonly integrationId: pulumi.Output<string>
  /** Action name → action id. */
  public readonly actionIds: pulumi.Output<Record<string, string>>
  /** Action name → the published action resource (what a flow calling it waits for). */
  public readonly actions: Readonly<Record<string, DataAction>>

  constructor(name: string, args: DataActionsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("workbridge:index:DataActions", name, {}, opts)
    if (args.definitions.length === 0) throw new Error("dataActions.definitions: at least one action is required")
    const seen = new Set<string>()
    for (const d of args.definitions) {
      if (seen.has(d.name)) throw new Error(`dataActions.definitions: "${d.name}" appears twice`)
      seen.add(d.name)
    }
    const credential = new IntegrationCredential(
      `${name}-credential`,
      {
        connection: args.connection,
        name: args.names.credential,
        type: "basicAuth",
        credentialFields: pulumi.output(args.basicAuth).apply((b) => ({ userName: b.userName, password: b.password }))
      },
      childOpts(this, args.adopt?.credential)
    )
    const integration = new Integration(
      `${name}-integration`,
      {
        connection: args.connection,
        name: args.names.integration,
        integrationType: "custom-rest-actions",
        notes: "Workbridge: Genesys calls the sync service's Data Action endpoints",
        credentialId: credential.credentialId,
        credentialKey: "basicAuth",
        enabled: true
      },
      childOpts(this, args.adopt?.integration)
    )
    const actions = args.definitions.map(
      (d) =>
        [
          d.name,
          new DataAction(
            `${name}-${slug(d.name)}`,
            {
              connection: args.connection,
              integrationId: integration.integrationId,
              name: d.name,
              category: args.names.dataActionCategory,
              contract: d.contract,
              config: d.config,
              secure: false
            },
            childOpts(this, args.adopt?.actions?.[d.name])
          )
        ] as const
    )
    this.integrationId = integration.integrationId
    this.actions = Object.fromEntries(actions)
    this.actionIds = pulumi
      .all(actions.map(([n, a]) => a.actionId.apply((id) => [n, id] as const)))
      .apply((pairs) => Object.fromEntries(pairs))
    this.registerOutputs({ integrationId: this.integrationId, actionIds: this.actionIds })
  }
}

const slug = (name: string): string =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
