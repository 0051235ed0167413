import { call as sdkCall, login } from "@workbridge/genesys-emulator/testing"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { TestGenesys } from "../testing.js"
import { startTestGenesys } from "../testing.js"
import type { RoleInputs } from "./role.js"
import { policyPermissions, roleProvider } from "./role.js"

let g: TestGenesys
beforeAll(async () => {
  g = await startTestGenesys()
})
afterAll(async () => {
  await g.emulator.close()
})

const inputs = (name: string): RoleInputs => ({
  connection: g.admin,
  name,
  description: "sync",
  permissionPolicies: [{ domain: "workitems", entityName: "workitem", actionSet: ["view"] }]
})

describe("role provider against the emulator", () => {
  it("creates, reads, updates permissions in place and deletes", async () => {
    const created = await roleProvider.create(inputs("Role one"))
    const read = await roleProvider.read(created.id, created.outs)
    expect(policyPermissions(read.props.permissionPolicies)).toEqual(["workitems:workitem:view"])
    expect((await roleProvider.diff(created.id, read.props, inputs("Role one"))).changes).toBe(false)

    const more: RoleInputs = {
      ...inputs("Role one"),
      permissionPolicies: [
        { domain: "workitems", entityName: "workitem", actionSet: ["view", "add"] },
        { domain: "workitems", entityName: "worktype", actionSet: ["view"] }
      ]
    }
    expect(await roleProvider.diff(created.id, created.outs, more)).toMatchObject({ changes: true, replaces: [] })
    await roleProvider.update(created.id, created.outs, more)
    expect(policyPermissions((await roleProvider.read(created.id, created.outs)).props.permissionPolicies)).toEqual([
      "workitems:workitem:add",
      "workitems:workitem:view",
      "workitems:worktype:view"
    ])

    await roleProvider.delete(created.id, created.outs)
    await expect(roleProvider.read(created.id, created.outs)).rejects.toMatchObject({ status: 404 })
  })

  it("sees a permission added by hand as drift", async () => {
    const created = await roleProvider.create(inputs("Role drift"))
    const s = await login(g.emulator.url, g.admin.clientId, g.admin.clientSecret)
    const res = await sdkCall(
      s.authz.putAuthorizationRole(created.id, {
        name: "Role drift",
        permissionPolicies: [{ domain: "workitems", entityName: "workitem", actionSet: ["view", "delete"] }]
      } as never)
    )
    expect(res.status).toBe(200)
    const read = await roleProvider.read(created.id, created.outs)
    expect(policyPermissions(read.props.permissionPolicies)).toContain("workitems:workitem:delete")
    expect(await roleProvider.diff(created.id, read.props, inputs("Role drift"))).toMatchObject({
      changes: true,
      replaces: []
    })
    await roleProvider.update(created.id, read.props, inputs("Role drift"))
    expect(policyPermissions((await roleProvider.read(created.id, created.outs)).props.permissionPolicies)).toEqual([
      "workitems:workitem:view"
    ])
    await roleProvider.delete(created.id, created.outs)
  })

  it.each([
    [{ domain: "*", entityName: "workitem", actionSet: ["view"] }, /permissionPolicies\[0\]\.domain/],
    [{ domain: "workitems", entityName: "*", actionSet: ["view"] }, /permissionPolicies\[0\]\.entityName/],
    [{ domain: "workitems", entityName: "workitem", actionSet: ["*"] }, /permissionPolicies\[0\]\.actionSet/]
  ])("refuses a wildcard policy without calling Genesys (%j)", async (policy, message) => {
    g.emulator.clearRequests()
    await expect(roleProvider.create({ ...inputs("Role star"), permissionPolicies: [policy] })).rejects.toThrow(message)
    expect(g.emulator.requests()).toEqual([])
  })
})
