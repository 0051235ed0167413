/**
 * The service's identity in Genesys: a role holding exactly the permissions of the Genesys calls the service makes
 * (`SERVICE_OPERATIONS`; no `*`, no admin role) and a client-credentials OAuth client granted that role.
 */
import * as pulumi from "@pulumi/pulumi"
import { servicePermissions } from "@workbridge/catalog"
import type { AdoptIds } from "../build/config.js"
import type { ResourceNames } from "../build/names.js"
import { toPermissionPolicies } from "../build/permissions.js"
import { OAuthClient } from "../providers/oauthClient.js"
import { Role } from "../providers/role.js"
import type { SdkTarget } from "../providers/sdk.js"

export interface IntegrationIdentityArgs {
  readonly connection: pulumi.Input<SdkTarget>
  readonly names: Pick<ResourceNames, "role" | "oauthClient">
  /** Default: `servicePermissions()`. */
  readonly permissions?: ReadonlyArray<string>
  /** Division of the grant; default the home division. */
  readonly divisionId?: pulumi.Input<string>
  /**
   * An existing role to adopt by id. The OAuth client is always created: Genesys shows a client's secret only at
   * creation, so an adopted client could not give the service its secret.
   */
  readonly adopt?: Pick<AdoptIds, "role">
}

export class IntegrationIdentity extends pulumi.ComponentResource {
  public readonly roleId: pulumi.Output<string>
  public readonly clientId: pulumi.Output<string>
  /** A secret output. */
  public readonly clientSecret: pulumi.Output<string>
  public readonly permissions: ReadonlyArray<string>

  constructor(name: string, args: IntegrationIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("workbridge:index:IntegrationIdentity", name, {}, opts)
    this.permissions = [...(args.permissions ?? servicePermissions())].sort()
    const role = new Role(
      `${name}-role`,
      {
        connection: args.connection,
        name: args.names.role,
        description: "Workbridge sync service: exactly the Task Management calls it makes",
        permissionPolicies: toPermissionPolicies(this.permissions)
      },
      args.adopt?.role === undefined ? { parent: this } : { parent: this, import: args.adopt.role }
    )
    const client = new OAuthClient(
      `${name}-client`,
      {
        connection: args.connection,
        name: args.names.oauthClient,
        description: "Workbridge sync service (client credentials)",
        roleId: role.roleId,
        ...(args.divisionId === undefined ? {} : { divisionId: args.divisionId })
      },
      { parent: this }
    )
    this.roleId = role.roleId
    this.clientId = client.clientId
    this.clientSecret = pulumi.secret(client.clientSecret)
    this.registerOutputs({ roleId: this.roleId, clientId: this.clientId, clientSecret: this.clientSecret })
  }
}
