import { defaultCatalog, toWorkitemSchema } from "@workbridge/catalog"
import { call as sdkCall, login } from "@workbridge/genesys-emulator/testing"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { TestGenesys } from "../testing.js"
import { startTestGenesys } from "../testing.js"
import { workbinProvider } from "./workbin.js"
import { workitemSchemaProvider } from "./workitemSchema.js"
import type { WorktypeInputs } from "./worktype.js"
import { worktypeProvider } from "./worktype.js"

let g: TestGenesys
let workbinId: string
let schemaId: string
beforeAll(async () => {
  g = await startTestGenesys()
  workbinId = (await workbinProvider.create({ connection: g.admin, name: "Worktype tests" })).id
  const jsonSchema = toWorkitemSchema(defaultCatalog).jsonSchema as unknown as Record<string, unknown>
  schemaId = (await workitemSchemaProvider.create({ connection: g.admin, name: "wt_tests", jsonSchema })).id
})
afterAll(async () => {
  await g.emulator.close()
})

const inputsFor = (name: string): WorktypeInputs => ({
  connection: g.admin,
  name,
  description: "tickets",
  defaultWorkbinId: workbinId,
  schemaId,
  disableDefaultStatusCreation: true
})

describe("worktype provider against the emulator", () => {
  it("creates, reads, updates in place and deletes", async () => {
    const inputs = inputsFor("Worktype one")
    const created = await worktypeProvider.create(inputs)
    const read = await worktypeProvider.read(created.id, created.outs)
    expect(read.props).toMatchObject({
      worktypeId: created.id,
      name: "Worktype one",
      defaultWorkbinId: workbinId,
      schemaId
    })
    expect((await worktypeProvider.diff(created.id, read.props, inputs)).changes).toBe(false)

    const changed = { ...inputs, name: "Worktype renamed", defaultPriority: 7 }
    expect(await worktypeProvider.diff(created.id, created.outs, changed)).toMatchObject({
      changes: true,
      replaces: []
    })
    const updated = await worktypeProvider.update(created.id, created.outs, changed)
    expect((await worktypeProvider.read(created.id, updated.outs)).props).toMatchObject({
      name: "Worktype renamed",
      defaultPriority: 7
    })

    await worktypeProvider.delete(created.id, updated.outs)
    await expect(worktypeProvider.read(created.id, updated.outs)).rejects.toMatchObject({ status: 404 })
  })

  it("asks for a replacement when the schema, division or default-status creation change", async () => {
    const outs = { ...inputsFor("Worktype two"), worktypeId: "x" }
    expect((await worktypeProvider.diff("x", outs, { ...outs, schemaId: "other" })).replaces).toEqual(["schemaId"])
    expect((await worktypeProvider.diff("x", outs, { ...outs, divisionId: "other" })).replaces).toEqual(["divisionId"])
    expect((await worktypeProvider.diff("x", outs, { ...outs, disableDefaultStatusCreation: false })).replaces).toEqual(
      ["disableDefaultStatusCreation"]
    )
    expect((await worktypeProvider.diff("x", outs, { ...outs, schemaVersion: 2 })).replaces).toEqual([])
  })

  it("sees drift made outside Pulumi and repairs it in place", async () => {
    const inputs = inputsFor("Worktype drift")
    const created = await worktypeProvider.create(inputs)
    const s = await login(g.emulator.url, g.admin.clientId, g.admin.clientSecret)
    expect(
      (await sdkCall(s.tm.patchTaskmanagementWorktype(created.id, { description: "edited in the admin UI" }))).status
    ).toBe(200)
    const read = await worktypeProvider.read(created.id, created.outs)
    expect(read.props.description).toBe("edited in the admin UI")
    expect(await worktypeProvider.diff(created.id, read.props, inputs)).toMatchObject({ changes: true, replaces: [] })
    await worktypeProvider.update(created.id, read.props, inputs)
    expect((await worktypeProvider.read(created.id, created.outs)).props.description).toBe("tickets")
    await worktypeProvider.delete(created.id, created.outs)
  })

  it("refuses to delete a worktype that still has workitems, clearly, and leaves it in place", async () => {
    const created = await worktypeProvider.create(inputsFor("Worktype busy"))
    const s = await login(g.emulator.url, g.admin.clientId, g.admin.clientSecret)
    const status = await sdkCall(
      s.tm.postTaskmanagementWorktypeStatuses(created.id, { name: "Open", category: "Open" })
    )
    await sdkCall(s.tm.patchTaskmanagementWorktype(created.id, { defaultStatusId: status.body.id }))
    const wi = await sdkCall(
      s.tm.postTaskmanagementWorkitems({
        name: "A ticket",
        typeId: created.id,
        customFields: { ticket_id_identifier: "T-1", source_system_enum: "zendesk", subject_text: "A ticket" } as never
      })
    )
    expect(wi.status).toBe(200)

    const err = await worktypeProvider.delete(created.id, created.outs).catch((e: Error) => e)
    expect(err).toBeInstanceOf(Error)
    expect((err as Error).message).toContain(`cannot delete worktype ${created.id} ("Worktype busy")`)
    expect((err as Error).message).toContain("still has workitems")
    expect((err as { status?: number }).status).toBeGreaterThanOrEqual(400)
    expect((await worktypeProvider.read(created.id, created.outs)).props.name).toBe("Worktype busy")

    expect((await sdkCall(s.tm.deleteTaskmanagementWorkitem(wi.body.id))).status).toBe(204)
    await worktypeProvider.delete(created.id, created.outs)
    await expect(worktypeProvider.read(created.id, created.outs)).rejects.toMatchObject({ status: 404 })
  })

  it("refuses bad input naming the field", async () => {
    await expect(worktypeProvider.create({ ...inputsFor("Worktype bad"), defaultPriority: 1.5 })).rejects.toThrow(
      /worktype\.defaultPriority: an integer/
    )
    await expect(worktypeProvider.create({ ...inputsFor("Worktype bad"), schemaId: "" })).rejects.toThrow(
      "worktype.schemaId: missing"
    )
  })
})
