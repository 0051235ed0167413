import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Emulator, ROUTES, startEmulator } from "./Emulator.js"
import { type SdkSession, call, login } from "./testing.js"

describe("every endpoint checks the caller's permissions", () => {
  let emu: Emulator
  let nobody: SdkSession
  beforeAll(async () => {
    emu = await startEmulator()
    const admin = await login(emu.url, emu.adminClientId, emu.adminClientSecret)
    const role = await call(admin.authz.postAuthorizationRoles({ name: "Unrelated", permissionPolicies: [{ domain: "analytics", entityName: "*", actionSet: ["*"] }] }))
    const client = await call(
      admin.oauth.postOauthClients({ name: "unrelated", authorizedGrantType: "CLIENT-CREDENTIALS", roleDivisions: [{ roleId: role.body.id, divisionId: emu.state.homeDivision.id }] })
    )
    nobody = await login(emu.url, client.body.id, client.body.secret)
  })
  afterAll(async () => {
    await emu.close()
  })

  it.each(ROUTES.filter((r) => r.permissions.length > 0).map((r) => [`${r.method} ${r.template}`, r] as const))("%s answers 403", async (_name, route) => {
    const params: Record<string, string> = {}
    const path = route.template.replace(/\{(\w+)\}/g, (_m, n: string) => {
      params[n] = "00000000-0000-4000-8000-000000000000"
      return `{${n}}`
    })
    const body = ["POST", "PUT", "PATCH"].includes(route.method) ? {} : null
    const r = await call(nobody.client.callApi(path, route.method, params, {}, {}, {}, body, ["PureCloud OAuth"], ["application/json"], ["application/json"]))
    expect(r.status).toBe(403)
    expect(r.body.code).toMatch(/^missing\.(any\.)?permissions$/)
    for (const p of route.permissions) expect(r.body.message).toContain(p)
  })

  it("lets any valid token read the home division", async () => {
    const r = await call(nobody.authz.getAuthorizationDivisionsHome())
    expect(r.status).toBe(200)
    expect(r.body.id).toBe(emu.state.homeDivision.id)
  })
})
