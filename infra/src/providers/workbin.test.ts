import { call as sdkCall, login } from "@workbridge/genesys-emulator/testing"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { TestGenesys } from "../testing.js"
import { startTestGenesys } from "../testing.js"
import { workbinProvider } from "./workbin.js"

let g: TestGenesys
beforeAll(async () => {
  g = await startTestGenesys()
})
afterAll(async () => {
  await g.emulator.close()
})

const admin = async () => login(g.emulator.url, g.admin.clientId, g.admin.clientSecret)

describe("workbin provider against the emulator", () => {
  it("creates, reads, updates in place and deletes", async () => {
    const inputs = { connection: g.admin, name: "Workbin one", description: "first" }
    const created = await workbinProvider.create(inputs)
    expect(created.outs.workbinId).toBe(created.id)
    const read = await workbinProvider.read(created.id, created.outs)
    expect(read.props).toMatchObject({ workbinId: created.id, name: "Workbin one", description: "first" })
    expect((await workbinProvider.diff(created.id, read.props, inputs)).changes).toBe(false)

    const renamed = { ...inputs, name: "Workbin renamed" }
    const diff = await workbinProvider.diff(created.id, created.outs, renamed)
    expect(diff).toMatchObject({ changes: true, replaces: [] })
    const updated = await workbinProvider.update(created.id, created.outs, renamed)
    expect(updated.outs.name).toBe("Workbin renamed")
    expect((await workbinProvider.read(created.id, updated.outs)).props.name).toBe("Workbin renamed")

    await workbinProvider.delete(created.id, updated.outs)
    await expect(workbinProvider.read(created.id, updated.outs)).rejects.toMatchObject({ status: 404 })
    await expect(workbinProvider.delete(created.id, updated.outs)).resolves.toBeUndefined()
  })

  it("asks for a replacement only when the division changes", async () => {
    const outs = { connection: g.admin, name: "Workbin two", workbinId: "x", divisionId: "d1" }
    expect((await workbinProvider.diff("x", outs, { ...outs, divisionId: "d2" })).replaces).toEqual(["divisionId"])
    expect((await workbinProvider.diff("x", outs, { ...outs, description: "new" })).replaces).toEqual([])
  })

  it("updates in place when the provisioning credentials rotate, so that delete uses the new ones", async () => {
    const created = await workbinProvider.create({ connection: g.admin, name: "Workbin rotate" })
    const rotated = { connection: { ...g.admin, region: "unused.example" }, name: "Workbin rotate" }
    expect(await workbinProvider.diff(created.id, created.outs, rotated)).toMatchObject({ changes: true, replaces: [] })
    const updated = await workbinProvider.update(created.id, created.outs, rotated)
    expect(updated.outs.connection).toEqual(rotated.connection)
    await workbinProvider.delete(created.id, updated.outs)
  })

  it("sees drift made outside Pulumi", async () => {
    const inputs = { connection: g.admin, name: "Workbin drift" }
    const created = await workbinProvider.create(inputs)
    const s = await admin()
    const res = await sdkCall(s.tm.patchTaskmanagementWorkbin(created.id, { name: "Changed by hand" }))
    expect(res.status).toBe(200)
    const read = await workbinProvider.read(created.id, created.outs)
    expect(read.props.name).toBe("Changed by hand")
    expect(await workbinProvider.diff(created.id, read.props, inputs)).toMatchObject({ changes: true, replaces: [] })
    await workbinProvider.update(created.id, read.props, inputs)
    expect((await workbinProvider.read(created.id, created.outs)).props.name).toBe("Workbin drift")
    await workbinProvider.delete(created.id, created.outs)
  })

  it("adopts a workbin that already exists: read by id with the declared inputs, then diff and update", async () => {
    const s = await admin()
    const existing = await sdkCall<{ id: string }>(s.tm.postTaskmanagementWorkbins({ name: "Made by hand" }))
    const declared = { connection: g.admin, name: "Adopted workbin" }
    const read = await workbinProvider.read(existing.body.id, declared as never)
    expect(read.props).toMatchObject({ workbinId: existing.body.id, name: "Made by hand" })
    expect(await workbinProvider.diff(existing.body.id, read.props, declared)).toMatchObject({
      changes: true,
      replaces: []
    })
    await workbinProvider.update(existing.body.id, read.props, declared)
    expect((await workbinProvider.read(existing.body.id, read.props)).props.name).toBe("Adopted workbin")
  })

  it("refuses bad input naming the field, without calling Genesys", async () => {
    g.emulator.clearRequests()
    await expect(workbinProvider.create({ connection: g.admin, name: "ab" })).rejects.toThrow(
      /workbin\.name: must be 3-256/
    )
    await expect(
      workbinProvider.create({ connection: { ...g.admin, clientSecret: "" }, name: "Fine name" })
    ).rejects.toThrow("connection.clientSecret: missing or empty")
    expect(g.emulator.requests()).toEqual([])
    const check = await workbinProvider.check({} as never, { connection: g.admin, name: "x" })
    expect(check.failures?.[0]?.reason).toMatch(/workbin\.name/)
  })

  it("reports a failed login without the secret", async () => {
    const wrong = { ...g.admin, clientSecret: "definitely-wrong-secret" }
    const err = await workbinProvider.create({ connection: wrong, name: "Never created" }).catch((e: Error) => e)
    expect(err).toBeInstanceOf(Error)
    expect((err as Error).message).toMatch(/login with connection\.clientId failed: HTTP 40[01]/)
    expect(JSON.stringify({ m: (err as Error).message, ...(err as object) })).not.toContain("definitely-wrong-secret")
  })
})
