import { defaultCatalog, toWorkitemSchema } from "@workbridge/catalog"
import { call as sdkCall, login } from "@workbridge/genesys-emulator/testing"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { TestGenesys } from "../testing.js"
import { startTestGenesys } from "../testing.js"
import { workitemSchemaProvider } from "./workitemSchema.js"

let g: TestGenesys
beforeAll(async () => {
  g = await startTestGenesys()
})
afterAll(async () => {
  await g.emulator.close()
})

const jsonSchema = toWorkitemSchema(defaultCatalog).jsonSchema as unknown as Record<string, any>
const withExtraField = (): Record<string, any> => ({
  ...jsonSchema,
  properties: {
    ...jsonSchema["properties"],
    team_text: { allOf: [{ $ref: "#/definitions/text" }], title: "Team", minLength: 0, maxLength: 100 }
  }
})

describe("workitem schema provider against the emulator", () => {
  it("creates the catalog's schema and updates it in place with the current version", async () => {
    const inputs = { connection: g.admin, name: "wb_schema_one", jsonSchema, enabled: true }
    const created = await workitemSchemaProvider.create(inputs)
    expect(created.outs.version).toBe(1)
    const read = await workitemSchemaProvider.read(created.id, created.outs)
    expect(Object.keys(read.props.jsonSchema["properties"] as object).sort()).toEqual(
      Object.keys(jsonSchema["properties"]).sort()
    )
    expect((await workitemSchemaProvider.diff(created.id, created.outs, inputs)).changes).toBe(false)

    const changed = { ...inputs, jsonSchema: withExtraField() }
    expect(await workitemSchemaProvider.diff(created.id, created.outs, changed)).toMatchObject({
      changes: true,
      replaces: []
    })
    const updated = await workitemSchemaProvider.update(created.id, created.outs, changed)
    expect(updated.outs.version).toBe(2)
    expect(updated.outs.schemaId).toBe(created.id)
    const after = await workitemSchemaProvider.read(created.id, updated.outs)
    expect(after.props.jsonSchema["properties"]).toHaveProperty("team_text")

    await workitemSchemaProvider.delete(created.id, updated.outs)
    await expect(workitemSchemaProvider.read(created.id, updated.outs)).rejects.toMatchObject({ status: 404 })
  })

  it("updates after drift: the PUT uses the version Genesys holds, not the one in state", async () => {
    const inputs = { connection: g.admin, name: "wb_schema_drift", jsonSchema }
    const created = await workitemSchemaProvider.create(inputs)
    const s = await login(g.emulator.url, g.admin.clientId, g.admin.clientSecret)
    const byHand = await sdkCall(
      s.tm.putTaskmanagementWorkitemsSchema(created.id, {
        name: "wb_schema_drift",
        version: 1,
        enabled: true,
        appliesTo: ["WORKITEM"],
        jsonSchema: withExtraField()
      } as never)
    )
    expect(byHand.status).toBe(200)
    const read = await workitemSchemaProvider.read(created.id, created.outs)
    expect(read.props.version).toBe(2)
    expect((await workitemSchemaProvider.diff(created.id, read.props, inputs)).changes).toBe(true)
    const updated = await workitemSchemaProvider.update(created.id, created.outs, inputs)
    expect(updated.outs.version).toBe(3)
    await workitemSchemaProvider.delete(created.id, updated.outs)
  })

  it("shows no change, and makes no new version, when the server adds top-level keys or reorders them", async () => {
    const inputs = { connection: g.admin, name: "wb_schema_server_keys", jsonSchema }
    const created = await workitemSchemaProvider.create(inputs)
    const stored = g.emulator.state.schemas.get(created.id)!
    const versions = stored.versions.length
    const latest = stored.versions[stored.versions.length - 1]!
    ;(latest as { jsonSchema: unknown }).jsonSchema = {
      definitions: { text: { type: "string" } },
      ...Object.fromEntries(Object.entries(latest.jsonSchema as object).reverse())
    }
    const read = await workitemSchemaProvider.read(created.id, created.outs)
    expect((await workitemSchemaProvider.diff(created.id, read.props, inputs)).changes).toBe(false)
    expect(g.emulator.state.schemas.get(created.id)!.versions.length).toBe(versions)
    await workitemSchemaProvider.delete(created.id, created.outs)
  })

  it("writes enabled: false explicitly", async () => {
    const created = await workitemSchemaProvider.create({
      connection: g.admin,
      name: "wb_schema_off",
      jsonSchema,
      enabled: false
    })
    expect((await workitemSchemaProvider.read(created.id, created.outs)).props.enabled).toBe(false)
    await workitemSchemaProvider.delete(created.id, created.outs)
  })

  it("refuses a schema with more than 50 fields, naming the field", async () => {
    const properties = Object.fromEntries(
      Array.from({ length: 51 }, (_, i) => [`f${i}_text`, { allOf: [{ $ref: "#/definitions/text" }], title: `F${i}` }])
    )
    await expect(
      workitemSchemaProvider.create({ connection: g.admin, name: "too_big", jsonSchema: { ...jsonSchema, properties } })
    ).rejects.toThrow("workitemSchema.jsonSchema.properties: at most 50 fields, got 51")
  })
})
