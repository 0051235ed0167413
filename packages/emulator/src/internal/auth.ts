/** OAuth client credentials, roles with permission policies, OAuth clients, and permission checks (docs/genesys-api.md §1, §3, §4). */
import { randomBytes } from "node:crypto"
import { ApiError, badRequest, notFound } from "./errors.js"
import { type Ctx, type Route, noContent, ok, okOnePage } from "./route.js"
import type { OAuthClientRecord, PermissionPolicy, Role, State } from "./State.js"
import {
  type Json,
  isObject,
  onlyKeys,
  optEnum,
  optInt,
  optString,
  optStringArray,
  reqString,
  requireBody
} from "./validate.js"

/** Every permission some emulated endpoint checks; the seeded admin role holds all of them. */
export const KNOWN_PERMISSIONS: ReadonlyArray<string> = [
  ...["workitem", "worktype", "workbin", "status", "workitemSchema"].flatMap((e) =>
    ["add", "view", "edit", "delete"].map((a) => `workitems:${e}:${a}`)
  ),
  "workitems:workitem:accept",
  ...["add", "view", "edit", "delete"].map((a) => `workitems:bulkAddJob:${a}`),
  "workitems:bulkAddJobResults:view",
  ...["role"].flatMap((e) => ["add", "view", "edit", "delete"].map((a) => `authorization:${e}:${a}`)),
  ...["add", "view", "edit", "delete"].map((a) => `oauth:client:${a}`),
  ...["integration", "action"].flatMap((e) => ["add", "view", "edit", "delete"].map((a) => `integrations:${e}:${a}`)),
  ...["add", "view", "edit", "delete"].map((a) => `processautomation:trigger:${a}`),
  "architect:job:create",
  "architect:job:view",
  "architect:flow:view",
  "architect:flow:search",
  "architect:flow:delete"
]

/** Turns a flat permission list into policies (one per domain:entity). */
export const policiesFor = (permissions: ReadonlyArray<string>): ReadonlyArray<PermissionPolicy> => {
  const byEntity = new Map<string, Array<string>>()
  for (const p of permissions) {
    const [domain, entity, action] = p.split(":")
    const key = `${domain}:${entity}`
    byEntity.set(key, [...(byEntity.get(key) ?? []), action ?? "*"])
  }
  return [...byEntity].map(([key, actionSet]) => {
    const [domain = "", entityName = ""] = key.split(":")
    return { domain, entityName, actionSet }
  })
}

const grants = (policy: PermissionPolicy, domain: string, entity: string, action: string): boolean =>
  policy.domain === domain &&
  (policy.entityName === "*" || policy.entityName === entity) &&
  (policy.actionSet.includes("*") || policy.actionSet.includes(action))

/** The policies a role grants at `now`: the previous ones while a change is still propagating. */
const effectivePolicies = (r: Role, now: number): ReadonlyArray<PermissionPolicy> =>
  r.pendingPolicies !== undefined && now < r.pendingPolicies.until ? r.pendingPolicies.previous : r.permissionPolicies

/** The roles a client holds at `now`: the previous ones while a grant change is still propagating. */
const effectiveRoleDivisions = (c: OAuthClientRecord, now: number): OAuthClientRecord["roleDivisions"] =>
  c.pendingRoleDivisions !== undefined && now < c.pendingRoleDivisions.until
    ? c.pendingRoleDivisions.previous
    : c.roleDivisions

/**
 * Whether the client holds `permission` through any of its roles at `now` (default: as they are saved, every
 * change applied). With `permissionDelaySeconds` a role change applies that long after it was saved.
 */
export const hasPermission = (
  s: State,
  clientId: string,
  permission: string,
  now: number = Number.POSITIVE_INFINITY
): boolean => {
  const client = s.clients.get(clientId)
  if (client === undefined) return false
  const [domain = "", entity = "", action = ""] = permission.split(":")
  for (const rd of effectiveRoleDivisions(client, now)) {
    const role = s.roles.get(rd.roleId)
    if (role !== undefined && effectivePolicies(role, now).some((p) => grants(p, domain, entity, action))) return true
  }
  return false
}

export const checkPermissions = (s: State, clientId: string, anyOf: ReadonlyArray<string>, now?: number): void => {
  if (anyOf.length === 0 || anyOf.some((p) => hasPermission(s, clientId, p, now))) return
  throw new ApiError(
    403,
    anyOf.length > 1 ? "missing.any.permissions" : "missing.permissions",
    `Unable to perform the requested action. You are missing the following permission${anyOf.length > 1 ? "s (any of)" : ""}: ${anyOf.join(", ")}`,
    { details: anyOf.map((p) => ({ errorCode: "missing.permission", fieldName: p })) }
  )
}

/** With a permission delay, the change saved now applies only after it; until then what applied before still does. */
const propagating = <A>(c: Ctx, previous: A): { readonly until: number; readonly previous: A } | undefined =>
  c.config.permissionDelaySeconds > 0 ? { until: c.now + c.config.permissionDelaySeconds * 1000, previous } : undefined

// --- tokens ---

export const newSecret = (): string => randomBytes(24).toString("base64url")

export interface TokenRequest {
  readonly authorization: string | undefined
  readonly contentType: string | undefined
  readonly body: string
}

export interface OAuthFailure {
  readonly status: number
  readonly body: { error: string; description: string; error_description: string }
}

const oauthError = (status: number, error: string, description: string): OAuthFailure => ({
  status,
  body: { error, description, error_description: description }
})

/** `POST /oauth/token` with client credentials in Basic auth. */
export const issueToken = (
  s: State,
  req: TokenRequest,
  now: number,
  ttlOverride: number | undefined
): { status: 200; body: Json; clientId: string } | OAuthFailure => {
  const m = /^Basic\s+(.+)$/i.exec(req.authorization ?? "")
  if (m === null) return oauthError(401, "invalid_client", "Client authentication with HTTP Basic is required")
  const decoded = Buffer.from(m[1] ?? "", "base64").toString("utf8")
  const colon = decoded.indexOf(":")
  const id = colon < 0 ? decoded : decoded.slice(0, colon)
  const secret = colon < 0 ? "" : decoded.slice(colon + 1)
  const client = s.clients.get(id)
  if (client === undefined || client.secret !== secret)
    return oauthError(401, "invalid_client", "Invalid client credentials")
  if (client.state !== "active") return oauthError(401, "invalid_client", "The client is not active")
  if (!(req.contentType ?? "").toLowerCase().startsWith("application/x-www-form-urlencoded"))
    return oauthError(400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded")
  const grant = new URLSearchParams(req.body).get("grant_type")
  if (grant !== "client_credentials")
    return oauthError(400, "unsupported_grant_type", "grant_type must be client_credentials")
  if (client.authorizedGrantType !== "CLIENT-CREDENTIALS")
    return oauthError(400, "unauthorized_client", "The client is not authorized for the client credentials grant")
  const ttl = ttlOverride ?? client.accessTokenValiditySeconds - 1
  const token = randomBytes(32).toString("base64url")
  s.tokens.set(token, { clientId: client.id, expiresAt: now + ttl * 1000 })
  return { status: 200, body: { access_token: token, token_type: "bearer", expires_in: ttl }, clientId: client.id }
}

/** Resolves a Bearer token to its client, or throws Genesys's 401. */
export const authenticate = (
  s: State,
  authorization: string | undefined,
  now: number
): { clientId: string; token: string } => {
  const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? "")
  if (m === null)
    throw new ApiError(401, "bad.credentials", "No authentication bearer token specified in authorization header.")
  const token = m[1] as string
  const t = s.tokens.get(token)
  if (t === undefined || !s.clients.has(t.clientId))
    throw new ApiError(401, "bad.credentials", "Invalid login credentials.")
  if (t.expiresAt <= now) {
    s.tokens.delete(token)
    throw new ApiError(401, "bad.credentials", "The access token has expired.")
  }
  return { clientId: t.clientId, token }
}

// --- roles ---

const parsePolicies = (b: Json): ReadonlyArray<PermissionPolicy> => {
  const raw = b["permissionPolicies"] ?? []
  if (!Array.isArray(raw)) throw badRequest("permissionPolicies must be an array", "permissionPolicies")
  return raw.map((p, i) => {
    const at = `permissionPolicies[${i}]`
    if (!isObject(p)) throw badRequest(`${at} must be an object`, at)
    for (const k of ["domain", "entityName"])
      if (typeof p[k] !== "string" || p[k] === "") throw badRequest(`${at}.${k} is required`, `${at}.${k}`)
    const actions = p["actionSet"]
    if (!Array.isArray(actions) || actions.length === 0 || actions.some((a) => typeof a !== "string" || a === ""))
      throw badRequest(`${at}.actionSet must be a non-empty array of strings`, `${at}.actionSet`)
    return {
      ...p,
      domain: p["domain"] as string,
      entityName: p["entityName"] as string,
      actionSet: actions as Array<string>
    }
  })
}

const roleJson = (r: Role): Json => ({
  id: r.id,
  name: r.name,
  ...(r.description === undefined ? {} : { description: r.description }),
  permissions: r.permissions,
  permissionPolicies: r.permissionPolicies.map((p, i) => ({ id: `${r.id}-${i}`, ...p })),
  userCount: 0,
  default: false,
  base: false,
  selfUri: `/api/v2/authorization/roles/${r.id}`
})

const ROLE_KEYS = [
  "id",
  "name",
  "description",
  "permissionPolicies",
  "permissions",
  "defaultRoleId",
  "selfUri",
  "userCount",
  "default",
  "base",
  "unusedPermissions",
  "roleNeedsUpdate",
  "baseLicense",
  "addonLicenses",
  "dateLicenseLastUpdated"
]

const parseRole = (s: State, b: Json, selfId: string | undefined): Omit<Role, "id"> => {
  onlyKeys(b, ROLE_KEYS, "DomainOrganizationRoleCreate")
  const name = reqString(b, "name", { min: 1, max: 200 })
  const description = optString(b, "description", { max: 512 })
  const permissionPolicies = parsePolicies(b)
  const permissions = optStringArray(b, "permissions") ?? []
  if ([...s.roles.values()].some((r) => r.name === name && r.id !== selfId))
    throw badRequest(`A role named "${name}" already exists`, "name")
  return { name, ...(description === undefined ? {} : { description }), permissionPolicies, permissions }
}

const getRole = (s: State, id: string): Role => {
  const r = s.roles.get(id)
  if (r === undefined) throw notFound("Role", id)
  return r
}

const paged = (entities: ReadonlyArray<Json>, q: URLSearchParams, selfUri: string): Json => {
  const pageSize = Math.min(Math.max(Number(q.get("pageSize") ?? 25) || 25, 1), 500)
  const pageNumber = Math.max(Number(q.get("pageNumber") ?? 1) || 1, 1)
  const slice = entities.slice((pageNumber - 1) * pageSize, pageNumber * pageSize)
  return {
    entities: slice,
    pageSize,
    pageNumber,
    total: entities.length,
    pageCount: Math.ceil(entities.length / pageSize),
    selfUri
  }
}

// --- OAuth clients ---

const GRANT_TYPES = ["CODE", "TOKEN", "SAML2-BEARER", "PASSWORD", "CLIENT-CREDENTIALS"] as const
const CLIENT_STATES = ["active", "disabled", "inactive"] as const

const clientJson = (c: OAuthClientRecord, withSecret: boolean): Json => ({
  id: c.id,
  name: c.name,
  ...(c.description === undefined ? {} : { description: c.description }),
  accessTokenValiditySeconds: c.accessTokenValiditySeconds,
  authorizedGrantType: c.authorizedGrantType,
  roleDivisions: c.roleDivisions,
  roleIds: [...new Set(c.roleDivisions.map((r) => r.roleId))],
  scope: c.scope,
  registeredRedirectUri: c.registeredRedirectUri,
  state: c.state,
  dateCreated: c.dateCreated,
  dateModified: c.dateModified,
  ...(withSecret ? { secret: c.secret } : {}),
  selfUri: `/api/v2/oauth/clients/${c.id}`
})

const CLIENT_KEYS = [
  "id",
  "name",
  "description",
  "accessTokenValiditySeconds",
  "registeredRedirectUri",
  "roleIds",
  "authorizedGrantType",
  "scope",
  "roleDivisions",
  "state",
  "dateToDelete",
  "secret",
  "dateCreated",
  "dateModified",
  "createdBy",
  "modifiedBy",
  "selfUri"
]

const parseClient = (s: State, b: Json) => {
  onlyKeys(b, CLIENT_KEYS, "OAuthClientRequest")
  const name = reqString(b, "name", { min: 1, max: 256 })
  const description = optString(b, "description", { max: 512 })
  const authorizedGrantType = optEnum(b, "authorizedGrantType", GRANT_TYPES)
  if (authorizedGrantType === undefined) throw badRequest("authorizedGrantType is required", "authorizedGrantType")
  const accessTokenValiditySeconds = optInt(b, "accessTokenValiditySeconds", { min: 300, max: 172_800 }) ?? 86_400
  const state = optEnum(b, "state", CLIENT_STATES) ?? "active"
  const rdRaw = b["roleDivisions"] ?? []
  if (!Array.isArray(rdRaw)) throw badRequest("roleDivisions must be an array", "roleDivisions")
  const roleDivisions = rdRaw.map((rd, i) => {
    const at = `roleDivisions[${i}]`
    if (!isObject(rd) || typeof rd["roleId"] !== "string" || typeof rd["divisionId"] !== "string")
      throw badRequest(`${at} must be {roleId, divisionId}`, at)
    if (!s.roles.has(rd["roleId"]))
      throw badRequest(`${at}.roleId ${rd["roleId"]} does not name an existing role`, `${at}.roleId`)
    if (rd["divisionId"] !== s.homeDivision.id && rd["divisionId"] !== "*")
      throw badRequest(
        `${at}.divisionId ${rd["divisionId"]} is not a division of this organization`,
        `${at}.divisionId`
      )
    return { roleId: rd["roleId"], divisionId: rd["divisionId"] }
  })
  const roleIds = optStringArray(b, "roleIds") ?? []
  for (const id of roleIds) {
    if (!s.roles.has(id)) throw badRequest(`roleIds: ${id} does not name an existing role`, "roleIds")
    if (!roleDivisions.some((r) => r.roleId === id)) roleDivisions.push({ roleId: id, divisionId: s.homeDivision.id })
  }
  if (roleDivisions.length > 0 && authorizedGrantType !== "CLIENT-CREDENTIALS")
    throw badRequest("roleDivisions apply only to CLIENT-CREDENTIALS clients", "roleDivisions")
  const scope = optStringArray(b, "scope") ?? []
  const registeredRedirectUri = optStringArray(b, "registeredRedirectUri") ?? []
  return {
    name,
    ...(description === undefined ? {} : { description }),
    authorizedGrantType,
    accessTokenValiditySeconds,
    state,
    roleDivisions,
    scope,
    registeredRedirectUri
  }
}

const getClient = (s: State, id: string): OAuthClientRecord => {
  const c = s.clients.get(id)
  if (c === undefined) throw notFound("OAuth client", id)
  return c
}

const revokeTokens = (s: State, clientId: string): void => {
  for (const [t, tok] of s.tokens) if (tok.clientId === clientId) s.tokens.delete(t)
}

export const authRoutes: ReadonlyArray<Route> = [
  {
    method: "GET",
    template: "/api/v2/authorization/divisions/home",
    permissions: [],
    handler: (c) =>
      ok({
        ...c.state.homeDivision,
        description: "Home division",
        homeDivision: true,
        selfUri: `/api/v2/authorization/divisions/${c.state.homeDivision.id}`
      })
  },
  {
    method: "POST",
    template: "/api/v2/authorization/roles",
    permissions: ["authorization:role:add"],
    handler: (c) => {
      const role: Role = { id: c.state.newId(), ...parseRole(c.state, requireBody(c.body), undefined) }
      const pending = propagating(c, [] as ReadonlyArray<PermissionPolicy>)
      if (pending !== undefined) role.pendingPolicies = pending
      c.state.roles.set(role.id, role)
      return ok(roleJson(role))
    }
  },
  {
    method: "GET",
    template: "/api/v2/authorization/roles",
    permissions: ["authorization:role:view"],
    handler: (c) => {
      const name = c.query.get("name")
      const roles = [...c.state.roles.values()].filter((r) => name === null || r.name === name)
      return ok(
        paged(
          roles.map((r) => roleJson(r)),
          c.query,
          "/api/v2/authorization/roles"
        )
      )
    }
  },
  {
    method: "GET",
    template: "/api/v2/authorization/roles/{roleId}",
    permissions: ["authorization:role:view"],
    handler: (c) => ok(roleJson(getRole(c.state, c.params["roleId"] ?? "")))
  },
  {
    method: "PUT",
    template: "/api/v2/authorization/roles/{roleId}",
    permissions: ["authorization:role:edit"],
    handler: (c) => {
      const role = getRole(c.state, c.params["roleId"] ?? "")
      const next = parseRole(c.state, requireBody(c.body), role.id)
      const updated: Role = { id: role.id, ...next }
      const pending =
        JSON.stringify(next.permissionPolicies) === JSON.stringify(role.permissionPolicies)
          ? role.pendingPolicies
          : propagating(c, effectivePolicies(role, c.now))
      if (pending !== undefined) updated.pendingPolicies = pending
      c.state.roles.set(role.id, updated)
      return ok(roleJson(updated))
    }
  },
  {
    method: "DELETE",
    template: "/api/v2/authorization/roles/{roleId}",
    permissions: ["authorization:role:delete"],
    handler: (c) => {
      const role = getRole(c.state, c.params["roleId"] ?? "")
      c.state.roles.delete(role.id)
      for (const client of c.state.clients.values())
        client.roleDivisions = client.roleDivisions.filter((rd) => rd.roleId !== role.id)
      return noContent
    }
  },
  {
    method: "POST",
    template: "/api/v2/oauth/clients",
    permissions: ["oauth:client:add"],
    handler: (c) => {
      const fields = parseClient(c.state, requireBody(c.body))
      const client: OAuthClientRecord = {
        id: c.state.newId(),
        secret: newSecret(),
        ...fields,
        dateCreated: c.nowIso,
        dateModified: c.nowIso
      }
      const pending = propagating(c, [] as OAuthClientRecord["roleDivisions"])
      if (pending !== undefined) client.pendingRoleDivisions = pending
      c.state.clients.set(client.id, client)
      return ok(clientJson(client, true))
    }
  },
  {
    method: "GET",
    template: "/api/v2/oauth/clients",
    permissions: ["oauth:client:view"],
    handler: (c) => {
      const entities = [...c.state.clients.values()].map((x) => clientJson(x, false))
      return okOnePage(entities, "/api/v2/oauth/clients")
    }
  },
  {
    method: "GET",
    template: "/api/v2/oauth/clients/{clientId}",
    permissions: ["oauth:client:view"],
    handler: (c) => ok(clientJson(getClient(c.state, c.params["clientId"] ?? ""), false))
  },
  {
    method: "PUT",
    template: "/api/v2/oauth/clients/{clientId}",
    permissions: ["oauth:client:edit"],
    handler: (c) => {
      const client = getClient(c.state, c.params["clientId"] ?? "")
      const fields = parseClient(c.state, requireBody(c.body))
      if (JSON.stringify(fields.roleDivisions) !== JSON.stringify(client.roleDivisions)) {
        const pending = propagating(c, effectiveRoleDivisions(client, c.now))
        if (pending !== undefined) client.pendingRoleDivisions = pending
      }
      delete client.description
      Object.assign(client, fields, { dateModified: c.nowIso })
      if (client.state !== "active") revokeTokens(c.state, client.id)
      return ok(clientJson(client, false))
    }
  },
  {
    method: "DELETE",
    template: "/api/v2/oauth/clients/{clientId}",
    permissions: ["oauth:client:delete"],
    handler: (c) => {
      const client = getClient(c.state, c.params["clientId"] ?? "")
      if (client.id === c.clientId) throw badRequest("An OAuth client cannot delete itself", "clientId")
      c.state.clients.delete(client.id)
      revokeTokens(c.state, client.id)
      return noContent
    }
  },
  {
    method: "POST",
    template: "/api/v2/oauth/clients/{clientId}/secret",
    permissions: ["oauth:client:edit"],
    handler: (c) => {
      const client = getClient(c.state, c.params["clientId"] ?? "")
      client.secret = newSecret()
      client.dateModified = c.nowIso
      return ok(clientJson(client, true))
    }
  }
]
