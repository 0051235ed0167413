import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Emulator, startEmulator } from "./Emulator.js"
import { KNOWN_PERMISSIONS } from "./internal/auth.js"
import { call, login, sdkClient } from "./testing.js"

/** Rejection of `loginClientCredentialsGrant`: the raw axios error. */
const loginFailure = async (url: string, id: string, secret: string): Promise<{ status: number; data: any }> => {
  try {
    await sdkClient(url).loginClientCredentialsGrant(id, secret)
  } catch (e) {
    const r = (e as { response?: { status: number; data: unknown } }).response
    if (r !== undefined) return { status: r.status, data: r.data }
    throw e
  }
  throw new Error("login succeeded")
}

describe("OAuth client credentials", () => {
  let now = Date.parse("2026-03-01T10:00:00.000Z")
  let emu: Emulator
  beforeAll(async () => {
    emu = await startEmulator({ clock: () => now })
  })
  afterAll(async () => {
    await emu.close()
  })

  it("issues a bearer token with expires_in 86399 by default", async () => {
    const client = sdkClient(emu.url)
    const auth = await client.loginClientCredentialsGrant(emu.adminClientId, emu.adminClientSecret)
    expect(auth.accessToken).toMatch(/^[A-Za-z0-9_-]{40,}$/)
    const [token] = [...emu.state.tokens.values()].slice(-1)
    expect(token?.expiresAt).toBe(now + 86_399_000)
  })

  it("refuses a wrong secret and an unknown client with an OAuth error body", async () => {
    const bad = await loginFailure(emu.url, emu.adminClientId, "wrong")
    expect(bad.status).toBe(401)
    expect(bad.data.error).toBe("invalid_client")
    expect(JSON.stringify(bad.data)).not.toContain(emu.adminClientSecret)
    const unknown = await loginFailure(emu.url, "nobody", "x")
    expect(unknown.status).toBe(401)
  })

  it("answers 401 bad.credentials to a missing, unknown or expired token", async () => {
    const s = await login(emu.url, emu.adminClientId, emu.adminClientSecret)
    expect((await call(s.tm.getTaskmanagementWorkitemsSchemas())).status).toBe(200)
    now += 86_399_000
    const expired = await call(s.tm.getTaskmanagementWorkitemsSchemas())
    expect(expired.status).toBe(401)
    expect(expired.body).toMatchObject({ code: "bad.credentials", status: 401 })
    expect(expired.body.message).toMatch(/expired/)
    s.client.setAccessToken("not-a-token")
    expect((await call(s.tm.getTaskmanagementWorkitemsSchemas())).status).toBe(401)
  })

  it("applies a configured token lifetime and expireAllTokens", async () => {
    emu.configure({ tokenTtlSeconds: 60 })
    const s = await login(emu.url, emu.adminClientId, emu.adminClientSecret)
    const [token] = [...emu.state.tokens.values()].slice(-1)
    expect(token?.expiresAt).toBe(now + 60_000)
    expect((await call(s.tm.getTaskmanagementWorkitemsSchemas())).status).toBe(200)
    emu.expireAllTokens()
    expect((await call(s.tm.getTaskmanagementWorkitemsSchemas())).status).toBe(401)
  })
})

describe("roles, OAuth clients and permissions", () => {
  let emu: Emulator
  beforeAll(async () => {
    emu = await startEmulator()
  })
  afterAll(async () => {
    await emu.close()
  })

  const limitedClient = async (policies: ReadonlyArray<object>, name: string) => {
    const admin = await login(emu.url, emu.adminClientId, emu.adminClientSecret)
    const home = await call(admin.authz.getAuthorizationDivisionsHome())
    expect(home.status).toBe(200)
    const role = await call(admin.authz.postAuthorizationRoles({ name, permissionPolicies: policies as never }))
    expect(role.status).toBe(200)
    const client = await call(
      admin.oauth.postOauthClients({
        name: `${name} client`,
        authorizedGrantType: "CLIENT-CREDENTIALS",
        roleDivisions: [{ roleId: role.body.id, divisionId: home.body.id }]
      })
    )
    expect(client.status).toBe(200)
    expect(client.body.secret).toEqual(expect.any(String))
    return {
      admin,
      role: role.body,
      client: client.body,
      session: await login(emu.url, client.body.id, client.body.secret)
    }
  }

  it("gives the seeded admin every known permission", async () => {
    const admin = await login(emu.url, emu.adminClientId, emu.adminClientSecret)
    const roles = await call(admin.authz.getAuthorizationRoles())
    expect(roles.status).toBe(200)
    const policies = roles.body.entities[0].permissionPolicies as Array<{
      domain: string
      entityName: string
      actionSet: Array<string>
    }>
    const granted = policies.flatMap((p) => p.actionSet.map((a) => `${p.domain}:${p.entityName}:${a}`))
    expect(new Set(granted)).toEqual(new Set(KNOWN_PERMISSIONS))
  })

  it("grants a created client exactly its role's policies", async () => {
    const { session } = await limitedClient(
      [{ domain: "workitems", entityName: "workbin", actionSet: ["add", "view"] }],
      "Workbin editor"
    )
    const created = await call(session.tm.postTaskmanagementWorkbins({ name: "Allowed bin" }))
    expect(created.status).toBe(200)
    expect((await call(session.tm.getTaskmanagementWorkbin(created.body.id))).status).toBe(200)
    const denied = await call(session.tm.deleteTaskmanagementWorkbin(created.body.id))
    expect(denied.status).toBe(403)
    expect(denied.body).toMatchObject({ code: "missing.permissions", status: 403 })
    expect(denied.body.message).toContain("workitems:workbin:delete")
    expect((await call(session.tm.getTaskmanagementWorkitemsSchemas())).status).toBe(403)
    expect((await call(session.authz.getAuthorizationRoles())).status).toBe(403)
  })

  it("honours * wildcards on entityName and actionSet", async () => {
    const { session } = await limitedClient(
      [{ domain: "workitems", entityName: "*", actionSet: ["view"] }],
      "Workitems viewer"
    )
    expect((await call(session.tm.getTaskmanagementWorkitemsSchemas())).status).toBe(200)
    expect((await call(session.tm.postTaskmanagementWorkbins({ name: "Nope bin" }))).status).toBe(403)
    const all = await limitedClient([{ domain: "workitems", entityName: "workbin", actionSet: ["*"] }], "Workbin admin")
    const bin = await call(all.session.tm.postTaskmanagementWorkbins({ name: "Wild bin" }))
    expect((await call(all.session.tm.deleteTaskmanagementWorkbin(bin.body.id))).status).toBe(204)
  })

  it("applies permission changes immediately", async () => {
    const { admin, role, session } = await limitedClient(
      [{ domain: "workitems", entityName: "workbin", actionSet: ["view"] }],
      "Changing role"
    )
    expect((await call(session.tm.postTaskmanagementWorkbins({ name: "Later bin" }))).status).toBe(403)
    const put = await call(
      admin.authz.putAuthorizationRole(role.id, {
        name: "Changing role",
        permissionPolicies: [{ domain: "workitems", entityName: "workbin", actionSet: ["view", "add"] }]
      })
    )
    expect(put.status).toBe(200)
    expect((await call(session.tm.postTaskmanagementWorkbins({ name: "Later bin" }))).status).toBe(200)
    expect((await call(admin.authz.deleteAuthorizationRole(role.id))).status).toBe(204)
    expect((await call(session.tm.postTaskmanagementWorkbins({ name: "Later bin 2" }))).status).toBe(403)
  })

  it("shows the secret only on create and on regenerate; a new secret replaces the old", async () => {
    const { admin, client } = await limitedClient(
      [{ domain: "workitems", entityName: "workbin", actionSet: ["view"] }],
      "Secret role"
    )
    const role = await call(admin.authz.getAuthorizationRole(client.roleDivisions[0].roleId))
    expect(role.status).toBe(200)
    expect(role.body.name).toBe("Secret role")
    const got = await call(admin.oauth.getOauthClient(client.id))
    expect(got.status).toBe(200)
    expect(got.body.secret).toBeUndefined()
    const list = await call(admin.oauth.getOauthClients())
    expect(list.body.entities.every((c: { secret?: string }) => c.secret === undefined)).toBe(true)
    const regenerated = await call(admin.oauth.postOauthClientSecret(client.id))
    expect(regenerated.status).toBe(200)
    expect(regenerated.body.secret).not.toBe(client.secret)
    expect(await loginStatus(emu.url, client.id, client.secret)).toBe(401)
    expect(await loginStatus(emu.url, client.id, regenerated.body.secret)).toBe(200)
  })

  it("updates and deletes OAuth clients; a deleted client's tokens stop working", async () => {
    const { admin, client, session, role } = await limitedClient(
      [{ domain: "workitems", entityName: "workbin", actionSet: ["view"] }],
      "Deleted role"
    )
    const put = await call(
      admin.oauth.putOauthClient(client.id, {
        name: "Renamed",
        authorizedGrantType: "CLIENT-CREDENTIALS",
        accessTokenValiditySeconds: 600,
        roleDivisions: [{ roleId: role.id, divisionId: emu.state.homeDivision.id }]
      })
    )
    expect(put.status).toBe(200)
    expect(put.body).toMatchObject({ name: "Renamed", accessTokenValiditySeconds: 600 })
    const fresh = sdkClient(emu.url)
    await fresh.loginClientCredentialsGrant(client.id, client.secret)
    const [token] = [...emu.state.tokens.values()].slice(-1)
    expect(token?.clientId).toBe(client.id)
    const left = ((token?.expiresAt ?? 0) - Date.now()) / 1000
    expect(left).toBeLessThanOrEqual(599)
    expect(left).toBeGreaterThan(500)
    expect((await call(session.tm.postTaskmanagementWorkbinsQuery({ filters: [] }))).status).toBe(200)
    expect((await call(admin.oauth.deleteOauthClient(client.id))).status).toBe(204)
    expect((await call(session.tm.postTaskmanagementWorkbinsQuery({ filters: [] }))).status).toBe(401)
    expect((await call(admin.oauth.getOauthClient(client.id))).status).toBe(404)
  })

  it("refuses logins of a disabled client and revokes its tokens", async () => {
    const { admin, client, session, role } = await limitedClient(
      [{ domain: "workitems", entityName: "workbin", actionSet: ["view"] }],
      "Disabled role"
    )
    const put = await call(
      admin.oauth.putOauthClient(client.id, {
        name: "Disabled",
        authorizedGrantType: "CLIENT-CREDENTIALS",
        state: "disabled",
        roleDivisions: [{ roleId: role.id, divisionId: emu.state.homeDivision.id }]
      })
    )
    expect(put.body.state).toBe("disabled")
    expect((await call(session.tm.postTaskmanagementWorkbinsQuery({ filters: [] }))).status).toBe(401)
    expect(await loginStatus(emu.url, client.id, client.secret)).toBe(401)
  })

  it("validates role and client bodies", async () => {
    const admin = await login(emu.url, emu.adminClientId, emu.adminClientSecret)
    const noName = await call(admin.authz.postAuthorizationRoles({ permissionPolicies: [] } as never))
    expect(noName.status).toBe(400)
    expect(noName.body.message).toContain("name")
    const badPolicy = await call(
      admin.authz.postAuthorizationRoles({
        name: "Bad",
        permissionPolicies: [{ domain: "workitems", entityName: "workbin" }] as never
      })
    )
    expect(badPolicy.status).toBe(400)
    expect(badPolicy.body.message).toContain("actionSet")
    const ttl = await call(
      admin.oauth.postOauthClients({
        name: "c",
        authorizedGrantType: "CLIENT-CREDENTIALS",
        accessTokenValiditySeconds: 100
      })
    )
    expect(ttl.status).toBe(400)
    expect(ttl.body.message).toContain("accessTokenValiditySeconds")
    const grant = await call(admin.oauth.postOauthClients({ name: "c", authorizedGrantType: "IMPLICIT" }))
    expect(grant.status).toBe(400)
    const role = await call(
      admin.oauth.postOauthClients({
        name: "c",
        authorizedGrantType: "CLIENT-CREDENTIALS",
        roleDivisions: [{ roleId: "nope", divisionId: emu.state.homeDivision.id }]
      })
    )
    expect(role.status).toBe(400)
    expect(role.body.message).toContain("roleId")
  })

  it("requires oauth:client:add and authorization:role:add", async () => {
    const { session } = await limitedClient([{ domain: "workitems", entityName: "*", actionSet: ["*"] }], "No admin")
    expect((await call(session.authz.postAuthorizationRoles({ name: "x" }))).status).toBe(403)
    expect(
      (await call(session.oauth.postOauthClients({ name: "x", authorizedGrantType: "CLIENT-CREDENTIALS" }))).status
    ).toBe(403)
  })
})

const loginStatus = async (url: string, id: string, secret: string): Promise<number> => {
  try {
    await sdkClient(url).loginClientCredentialsGrant(id, secret)
    return 200
  } catch (e) {
    return (e as { response?: { status: number } }).response?.status ?? -1
  }
}
