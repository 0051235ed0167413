/**
 * Authorization role with permission policies (docs/genesys-api.md §3), over `AuthorizationApi`:
 * - create → `postAuthorizationRoles({ name, description, permissionPolicies })`
 * - read   → `getAuthorizationRole(id)`
 * - update → `putAuthorizationRole(id, { name, description, permissionPolicies })` (in place)
 * - delete → `deleteAuthorizationRole(id)` (404 counts as deleted)
 * Policies never grant `*`: `check` refuses a wildcard domain, entity or action.
 */
import * as pulumi from "@pulumi/pulumi"
import type { SdkTarget } from "./sdk.js"
import { call, changedKeys, checkTarget, connect, deleteIgnoringMissing, diffResult } from "./sdk.js"

/** A permission policy: `domain:entityName:action` for each action in `actionSet`. */
export interface PermissionPolicy {
  readonly domain: string
  readonly entityName: string
  readonly actionSet: ReadonlyArray<string>
}

export interface RoleArgs {
  readonly connection: pulumi.Input<SdkTarget>
  readonly name: pulumi.Input<string>
  readonly description?: pulumi.Input<string>
  readonly permissionPolicies: pulumi.Input<ReadonlyArray<PermissionPolicy>>
}

export interface RoleInputs {
  readonly connection: SdkTarget
  readonly name: string
  readonly description?: string
  readonly permissionPolicies: ReadonlyArray<PermissionPolicy>
}

export interface RoleOutputs extends RoleInputs {
  readonly roleId: string
}

/** Check a role's inputs; the message names the bad field. */
export function checkRoleInputs(inputs: RoleInputs): RoleInputs {
  checkTarget(inputs.connection)
  if (typeof inputs.name !== "string" || inputs.name.trim() === "" || inputs.name.length > 256) {
    throw new Error(`role.name: must be 1-256 characters, got ${JSON.stringify(inputs.name)}`)
  }
  if (!Array.isArray(inputs.permissionPolicies) || inputs.permissionPolicies.length === 0) {
    throw new Error("role.permissionPolicies: must be a non-empty list")
  }
  inputs.permissionPolicies.forEach((p, i) => {
    for (const key of ["domain", "entityName"] as const) {
      if (typeof p[key] !== "string" || p[key] === "" || p[key].includes("*")) {
        throw new Error(
          `role.permissionPolicies[${i}].${key}: must be a name without "*", got ${JSON.stringify(p[key])}`
        )
      }
    }
    if (
      !Array.isArray(p.actionSet) ||
      p.actionSet.length === 0 ||
      p.actionSet.some((a: unknown) => typeof a !== "string" || a === "" || a.includes("*"))
    ) {
      throw new Error(`role.permissionPolicies[${i}].actionSet: non-empty action names without "*"`)
    }
  })
  return inputs
}

/** Policies as a sorted list of `domain:entity:action` strings (comparison, drift). */
export function policyPermissions(policies: ReadonlyArray<PermissionPolicy>): string[] {
  return [...new Set(policies.flatMap((p) => p.actionSet.map((a) => `${p.domain}:${p.entityName}:${a}`)))].sort()
}

const body = (inputs: RoleInputs) => ({
  name: inputs.name,
  description: inputs.description ?? "",
  permissionPolicies: inputs.permissionPolicies.map((p) => ({
    domain: p.domain,
    entityName: p.entityName,
    actionSet: [...p.actionSet]
  }))
})

export const roleProvider = {
  async check(_olds: RoleInputs, news: RoleInputs) {
    try {
      checkRoleInputs(news)
      return { inputs: news }
    } catch (err) {
      return { inputs: news, failures: [{ property: "permissionPolicies", reason: (err as Error).message }] }
    }
  },

  async create(inputs: RoleInputs) {
    checkRoleInputs(inputs)
    const s = await connect(inputs.connection)
    const created = await call<{ id: string }>("postAuthorizationRoles", () =>
      s.authorization.postAuthorizationRoles(body(inputs) as never)
    )
    return { id: created.id, outs: { ...inputs, roleId: created.id } satisfies RoleOutputs }
  },

  async read(id: string, props: RoleOutputs) {
    const s = await connect(props.connection)
    const role = await call<{
      id: string
      name: string
      description?: string
      permissionPolicies?: PermissionPolicy[]
    }>("getAuthorizationRole", () => s.authorization.getAuthorizationRole(id))
    const outs: RoleOutputs = {
      connection: props.connection,
      roleId: role.id,
      name: role.name,
      ...(role.description === undefined || role.description === "" ? {} : { description: role.description }),
      permissionPolicies: (role.permissionPolicies ?? []).map((p) => ({
        domain: p.domain,
        entityName: p.entityName,
        actionSet: [...p.actionSet]
      }))
    }
    return { id: role.id, props: outs }
  },

  async diff(_id: string, olds: RoleOutputs, news: RoleInputs) {
    const norm = (v: RoleInputs) => ({ ...v, permissionPolicies: policyPermissions(v.permissionPolicies ?? []) })
    return diffResult(changedKeys(norm(olds), norm(news), ["name", "description", "permissionPolicies"]), [])
  },

  async update(id: string, _olds: RoleOutputs, news: RoleInputs) {
    checkRoleInputs(news)
    const s = await connect(news.connection)
    await call("putAuthorizationRole", () => s.authorization.putAuthorizationRole(id, body(news) as never))
    return { outs: { ...news, roleId: id } satisfies RoleOutputs }
  },

  async delete(id: string, props: RoleOutputs) {
    const s = await connect(props.connection)
    await deleteIgnoringMissing("deleteAuthorizationRole", () => s.authorization.deleteAuthorizationRole(id))
  }
} satisfies pulumi.dynamic.ResourceProvider

/** A Genesys role holding exactly the given permission policies. */
export class Role extends pulumi.dynamic.Resource {
  declare public readonly roleId: pulumi.Output<string>
  declare public readonly permissionPolicies: pulumi.Output<PermissionPolicy[]>

  constructor(name: string, args: RoleArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      roleProvider,
      name,
      { roleId: undefined, ...args, connection: pulumi.secret(args.connection) },
      { ...opts, additionalSecretOutputs: ["connection"] },
      "workbridge",
      "Role"
    )
  }
}
