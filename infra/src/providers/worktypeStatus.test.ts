import { defaultCatalog, toWorkitemSchema } from "@workbridge/catalog"
import { call as sdkCall, login } from "@workbridge/genesys-emulator/testing"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { TestGenesys } from "../testing.js"
import { startTestGenesys } from "../testing.js"
import { workbinProvider } from "./workbin.js"
import { workitemSchemaProvider } from "./workitemSchema.js"
import { worktypeProvider } from "./worktype.js"
import { worktypeDefaultStatusProvider } from "./worktypeDefaultStatus.js"
import { worktypeStatusProvider } from "./worktypeStatus.js"
import { worktypeStatusTransitionsProvider } from "./worktypeStatusTransitions.js"

let g: TestGenesys
let worktypeId: string
beforeAll(async () => {
  g = await startTestGenesys()
  const workbinId = (await workbinProvider.create({ connection: g.admin, name: "Status tests" })).id
  const jsonSchema = toWorkitemSchema(defaultCatalog).jsonSchema as unknown as Record<string, unknown>
  const schemaId = (await workitemSchemaProvider.create({ connection: g.admin, name: "st_tests", jsonSchema })).id
  worktypeId = (
    await worktypeProvider.create({ connection: g.admin, name: "Status tests", defaultWorkbinId: workbinId, schemaId })
  ).id
})
afterAll(async () => {
  await g.emulator.close()
})

const status = (name: string, category: "Open" | "InProgress" | "Waiting" | "Closed") =>
  worktypeStatusProvider.create({ connection: g.admin, worktypeId, name, category, description: `${name} tickets` })

describe("worktype status provider against the emulator", () => {
  it("creates, reads, renames in place, replaces on a category change, deletes", async () => {
    const created = await status("Triage", "Open")
    const read = await worktypeStatusProvider.read(created.id, created.outs)
    expect(read.props).toMatchObject({
      statusId: created.id,
      name: "Triage",
      category: "Open",
      description: "Triage tickets"
    })

    const renamed = { ...created.outs, name: "Triaging" }
    expect(await worktypeStatusProvider.diff(created.id, created.outs, renamed)).toMatchObject({
      changes: true,
      replaces: []
    })
    await worktypeStatusProvider.update(created.id, created.outs, renamed)
    expect((await worktypeStatusProvider.read(created.id, created.outs)).props.name).toBe("Triaging")

    const recategorized = await worktypeStatusProvider.diff(created.id, created.outs, {
      ...created.outs,
      category: "Waiting"
    })
    expect(recategorized).toMatchObject({ changes: true, replaces: ["category"], deleteBeforeReplace: true })

    await worktypeStatusProvider.delete(created.id, created.outs)
    await expect(worktypeStatusProvider.read(created.id, created.outs)).rejects.toMatchObject({ status: 404 })
  })

  it("sets transitions once the statuses exist, sees their drift, and clears them on delete", async () => {
    const a = await status("Alpha", "Open")
    const b = await status("Beta", "InProgress")
    const c = await status("Gamma", "Closed")
    const inputs = { connection: g.admin, worktypeId, statusId: a.id, destinationStatusIds: [b.id, c.id] }
    const tr = await worktypeStatusTransitionsProvider.create(inputs)
    const read = await worktypeStatusTransitionsProvider.read(tr.id, tr.outs)
    expect([...read.props.destinationStatusIds].sort()).toEqual([b.id, c.id].sort())
    expect((await worktypeStatusTransitionsProvider.diff(tr.id, read.props, inputs)).changes).toBe(false)

    const s = await login(g.emulator.url, g.admin.clientId, g.admin.clientSecret)
    expect(
      (await sdkCall(s.tm.patchTaskmanagementWorktypeStatus(worktypeId, a.id, { destinationStatusIds: [c.id] }))).status
    ).toBe(200)
    const drifted = await worktypeStatusTransitionsProvider.read(tr.id, tr.outs)
    expect(drifted.props.destinationStatusIds).toEqual([c.id])
    expect(await worktypeStatusTransitionsProvider.diff(tr.id, drifted.props, inputs)).toMatchObject({
      changes: true,
      replaces: []
    })
    await worktypeStatusTransitionsProvider.update(tr.id, drifted.props, inputs)
    expect(
      [...(await worktypeStatusTransitionsProvider.read(tr.id, tr.outs)).props.destinationStatusIds].sort()
    ).toEqual([b.id, c.id].sort())

    await worktypeStatusTransitionsProvider.delete(tr.id, tr.outs)
    expect((await worktypeStatusTransitionsProvider.read(tr.id, tr.outs)).props.destinationStatusIds).toEqual([])
    // with no status pointing at them, both destinations can go
    await worktypeStatusProvider.delete(b.id, b.outs)
    await worktypeStatusProvider.delete(c.id, c.outs)
    await worktypeStatusProvider.delete(a.id, a.outs)
    await expect(worktypeStatusProvider.read(c.id, c.outs)).rejects.toMatchObject({ status: 404 })
  })

  it("replaces a status (category change) that another status lists as a destination", async () => {
    const from = await status("From status", "Open")
    const old = await status("Target status", "InProgress")
    const tr = await worktypeStatusTransitionsProvider.create({
      connection: g.admin,
      worktypeId,
      statusId: from.id,
      destinationStatusIds: [old.id]
    })
    // what Pulumi runs for a delete-before-replace: delete the old status, create the new one, update the transitions
    await worktypeStatusProvider.delete(old.id, old.outs)
    await expect(worktypeStatusProvider.read(old.id, old.outs)).rejects.toMatchObject({ status: 404 })
    const replacement = await status("Target status", "Waiting")
    const next = { ...tr.outs, destinationStatusIds: [replacement.id] }
    expect(await worktypeStatusTransitionsProvider.diff(tr.id, tr.outs, next)).toMatchObject({
      changes: true,
      replaces: []
    })
    await worktypeStatusTransitionsProvider.update(tr.id, tr.outs, next)
    expect((await worktypeStatusTransitionsProvider.read(tr.id, tr.outs)).props.destinationStatusIds).toEqual([
      replacement.id
    ])
    expect((await worktypeStatusProvider.read(replacement.id, replacement.outs)).props.category).toBe("Waiting")
  })

  it("refuses a status that lists itself", async () => {
    await expect(
      worktypeStatusTransitionsProvider.create({
        connection: g.admin,
        worktypeId,
        statusId: "s1",
        destinationStatusIds: ["s1"]
      })
    ).rejects.toThrow("transitions.destinationStatusIds: a status cannot list itself")
  })

  it("sets the default status after the statuses exist, and leaves the default to go with the worktype", async () => {
    const open = await status("Default open", "Open")
    const other = await status("Default other", "Closed")
    const inputs = { connection: g.admin, worktypeId, statusId: open.id }
    const def = await worktypeDefaultStatusProvider.create(inputs)
    expect((await worktypeDefaultStatusProvider.read(def.id, def.outs)).props.statusId).toBe(open.id)

    const moved = { ...inputs, statusId: other.id }
    expect(await worktypeDefaultStatusProvider.diff(def.id, def.outs, moved)).toMatchObject({
      changes: true,
      replaces: []
    })
    await worktypeDefaultStatusProvider.update(def.id, def.outs, moved)
    expect((await worktypeDefaultStatusProvider.read(def.id, def.outs)).props.statusId).toBe(other.id)

    await worktypeDefaultStatusProvider.delete()
    await worktypeStatusProvider.delete(other.id, other.outs) // the default: skipped, not an error
    expect((await worktypeStatusProvider.read(other.id, other.outs)).props.name).toBe("Default other")
    await worktypeStatusProvider.delete(open.id, open.outs)
    await expect(worktypeStatusProvider.read(open.id, open.outs)).rejects.toMatchObject({ status: 404 })
  })

  it("refuses bad input naming the field", async () => {
    await expect(status("Ba", "Open")).rejects.toThrow(/status\.name: must be 3-256/)
    await expect(status("Badcat", "Done" as never)).rejects.toThrow(
      /status\.category: one of Open, InProgress, Waiting, Closed/
    )
  })
})
