import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Emulator, ROUTES, startEmulator } from "./Emulator.js"
import { type SdkSession, call, login } from "./testing.js"

describe("every endpoint checks the caller's permissions", () => {
  let emu: Emulator
  let nobody: SdkSession
  beforeAll(async () => {
    emu = await startEmulator()
    const admin = await login(emu.url, emu.adminClientId, emu.adminClientSecret)
    const role = await call(
      admin.authz.postAuthorizationRoles({
        name: "Unrelated",
        permissionPolicies: [{ domain: "analytics", entityName: "*", actionSet: ["*"] }]
      })
    )
    const client = await call(
      admin.oauth.postOauthClients({
        name: "unrelated",
        authorizedGrantType: "CLIENT-CREDENTIALS",
        roleDivisions: [{ roleId: role.body.id, divisionId: emu.state.homeDivision.id }]
      })
    )
    nobody = await login(emu.url, client.body.id, client.body.secret)
  })
  afterAll(async () => {
    await emu.close()
  })

  it.each(ROUTES.filter((r) => r.permissions.length > 0).map((r) => [`${r.method} ${r.template}`, r] as const))(
    "%s answers 403",
    async (_name, route) => {
      const params: Record<string, string> = {}
      const path = route.template.replace(/\{(\w+)\}/g, (_m, n: string) => {
        params[n] = "00000000-0000-4000-8000-000000000000"
        return `{${n}}`
      })
      const body = ["POST", "PUT", "PATCH"].includes(route.method) ? {} : null
      const r = await call(
        nobody.client.callApi(
          path,
          route.method,
          params,
          {},
          {},
          {},
          body,
          ["PureCloud OAuth"],
          ["application/json"],
          ["application/json"]
        )
      )
      expect(r.status).toBe(403)
      expect(r.body.code).toMatch(/^missing\.(any\.)?permissions$/)
      for (const p of route.permissions) expect(r.body.message).toContain(p)
    }
  )

  it("lets any valid token read the home division", async () => {
    const r = await call(nobody.authz.getAuthorizationDivisionsHome())
    expect(r.status).toBe(200)
    expect(r.body.id).toBe(emu.state.homeDivision.id)
  })
})

describe("permissionDelaySeconds: a role change applies only after the delay", () => {
  let emu: Emulator
  let now = Date.parse("2026-05-01T10:00:00.000Z")
  beforeAll(async () => {
    emu = await startEmulator({ permissionDelaySeconds: 300, clock: () => now })
  })
  afterAll(async () => {
    await emu.close()
  })

  it("answers 403 for a new role's permission until the delay has passed, and keeps a revoked one meanwhile", async () => {
    const admin = await login(emu.url, emu.adminClientId, emu.adminClientSecret)
    const role = await call(
      admin.authz.postAuthorizationRoles({
        name: "Workbin readers",
        permissionPolicies: [{ domain: "workitems", entityName: "workbin", actionSet: ["view", "add"] }]
      })
    )
    expect(role.status).toBe(200)
    // The saved role reads back at once; only its effect waits.
    expect(role.body.permissionPolicies[0].actionSet).toEqual(["view", "add"])
    const client = await call(
      admin.oauth.postOauthClients({
        name: "delayed",
        authorizedGrantType: "CLIENT-CREDENTIALS",
        roleDivisions: [{ roleId: role.body.id, divisionId: emu.state.homeDivision.id }]
      })
    )
    const s = await login(emu.url, client.body.id, client.body.secret)
    const early = await call(s.tm.postTaskmanagementWorkbins({ name: "Too early" }))
    expect(early.status).toBe(403)
    expect(early.body.code).toBe("missing.permissions")
    now += 299_000
    expect((await call(s.tm.postTaskmanagementWorkbins({ name: "Still early" }))).status).toBe(403)
    now += 1_000
    expect((await call(s.tm.postTaskmanagementWorkbins({ name: "In time" }))).status).toBe(200)

    // Taking `add` away: the old grant holds for the delay, then the 403 comes.
    await s.client.loginClientCredentialsGrant(client.body.id, client.body.secret)
    const put = await call(
      admin.authz.putAuthorizationRole(role.body.id, {
        name: "Workbin readers",
        permissionPolicies: [{ domain: "workitems", entityName: "workbin", actionSet: ["view"] }]
      })
    )
    expect(put.status).toBe(200)
    expect((await call(s.tm.postTaskmanagementWorkbins({ name: "Old grant" }))).status).toBe(200)
    now += 300_000
    expect((await call(s.tm.postTaskmanagementWorkbins({ name: "Revoked" }))).status).toBe(403)
  })

  it("is a runtime setting of the control API; 0 applies changes at once", async () => {
    const res = await fetch(`${emu.url}/__emulator/config`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ permissionDelaySeconds: 0 })
    })
    expect(res.status).toBe(200)
    expect(((await res.json()) as { permissionDelaySeconds: number }).permissionDelaySeconds).toBe(0)
    const bad = await fetch(`${emu.url}/__emulator/config`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ permissionDelaySeconds: -1 })
    })
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { message: string }).message).toContain("permissionDelaySeconds")
    const admin = await login(emu.url, emu.adminClientId, emu.adminClientSecret)
    const role = await call(
      admin.authz.postAuthorizationRoles({
        name: "Instant",
        permissionPolicies: [{ domain: "workitems", entityName: "workbin", actionSet: ["add"] }]
      })
    )
    const client = await call(
      admin.oauth.postOauthClients({
        name: "instant",
        authorizedGrantType: "CLIENT-CREDENTIALS",
        roleDivisions: [{ roleId: role.body.id, divisionId: emu.state.homeDivision.id }]
      })
    )
    const s = await login(emu.url, client.body.id, client.body.secret)
    expect((await call(s.tm.postTaskmanagementWorkbins({ name: "Right away" }))).status).toBe(200)
  })
})
