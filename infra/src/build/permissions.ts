/**
 * The integration role's permission policies, derived from the Genesys calls the service makes
 * (`SERVICE_OPERATIONS` in @workbridge/catalog): nothing more, never a wildcard.
 */
import { servicePermissions } from "@workbridge/catalog"
import type { PermissionPolicy } from "../providers/role.js"

const PERMISSION = /^([A-Za-z][A-Za-z0-9]*):([A-Za-z][A-Za-z0-9]*):([A-Za-z][A-Za-z0-9]*)$/

/**
 * Group `domain:entity:action` permission strings into Genesys permission policies (one per domain and entity,
 * sorted). Throws naming the bad entry for a malformed string or any `*`.
 */
export function toPermissionPolicies(permissions: ReadonlyArray<string>): PermissionPolicy[] {
  if (permissions.length === 0) throw new Error("permissions: at least one permission is required")
  const byEntity = new Map<string, Set<string>>()
  permissions.forEach((permission, i) => {
    if (typeof permission !== "string" || permission.includes("*")) {
      throw new Error(`permissions[${i}]: wildcards are not allowed, got ${JSON.stringify(permission)}`)
    }
    const m = PERMISSION.exec(permission)
    if (m === null)
      throw new Error(`permissions[${i}]: expected domain:entity:action, got ${JSON.stringify(permission)}`)
    const key = `${m[1]}:${m[2]}`
    const actions = byEntity.get(key) ?? new Set<string>()
    actions.add(m[3] as string)
    byEntity.set(key, actions)
  })
  return [...byEntity.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, actions]) => {
      const [domain, entityName] = key.split(":") as [string, string]
      return { domain, entityName, actionSet: [...actions].sort() }
    })
}

/** The policies of the service's role: exactly the permissions of `SERVICE_OPERATIONS`. */
export function serviceRolePolicies(): PermissionPolicy[] {
  return toPermissionPolicies(servicePermissions())
}
