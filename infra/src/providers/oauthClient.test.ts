import { login } from "@workbridge/genesys-emulator/testing"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { TestGenesys } from "../testing.js"
import { startTestGenesys } from "../testing.js"
import { oauthClientProvider } from "./oauthClient.js"
import { roleProvider } from "./role.js"

let g: TestGenesys
let roleId: string
beforeAll(async () => {
  g = await startTestGenesys()
  roleId = (
    await roleProvider.create({
      connection: g.admin,
      name: "Client tests",
      permissionPolicies: [{ domain: "workitems", entityName: "worktype", actionSet: ["view"] }]
    })
  ).id
})
afterAll(async () => {
  await g.emulator.close()
})

describe("OAuth client provider against the emulator", () => {
  it("creates a client-credentials client whose secret is captured at creation and works", async () => {
    const created = await oauthClientProvider.create({ connection: g.admin, name: "Sync client", roleId })
    expect(created.outs.clientId).toBe(created.id)
    expect(created.outs.clientSecret.length).toBeGreaterThan(10)
    expect(created.outs.grantedDivisionId).not.toBe("")
    await expect(login(g.emulator.url, created.outs.clientId, created.outs.clientSecret)).resolves.toMatchObject({
      client: expect.anything()
    })

    const read = await oauthClientProvider.read(created.id, created.outs)
    expect(read.props).toMatchObject({ clientId: created.id, roleId, clientSecret: created.outs.clientSecret })
    expect(
      (await oauthClientProvider.diff(created.id, read.props, { connection: g.admin, name: "Sync client", roleId }))
        .changes
    ).toBe(false)

    const renamed = { connection: g.admin, name: "Sync client renamed", roleId, accessTokenValiditySeconds: 3600 }
    expect(await oauthClientProvider.diff(created.id, created.outs, renamed)).toMatchObject({
      changes: true,
      replaces: []
    })
    const updated = await oauthClientProvider.update(created.id, created.outs, renamed)
    expect(updated.outs.clientSecret).toBe(created.outs.clientSecret)
    expect((await oauthClientProvider.read(created.id, updated.outs)).props.name).toBe("Sync client renamed")
    await expect(login(g.emulator.url, created.outs.clientId, created.outs.clientSecret)).resolves.toMatchObject({
      client: expect.anything()
    })

    await oauthClientProvider.delete(created.id, updated.outs)
    await expect(login(g.emulator.url, created.outs.clientId, created.outs.clientSecret)).rejects.toMatchObject({
      status: 401
    })
    await expect(oauthClientProvider.delete(created.id, updated.outs)).resolves.toBeUndefined()
  })

  it("refuses a token lifetime out of range, naming the field", async () => {
    await expect(
      oauthClientProvider.create({ connection: g.admin, name: "Bad client", roleId, accessTokenValiditySeconds: 60 })
    ).rejects.toThrow("oauthClient.accessTokenValiditySeconds: an integer in 300..172800, got 60")
  })
})
