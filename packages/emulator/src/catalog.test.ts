import {
  defaultCatalog,
  normalizeTicket,
  toWorkitemCreate,
  toWorkitemSchema,
  toWorkitemUpdate,
  type NormalizedTicket
} from "@workbridge/catalog"
import { describe, expect, it } from "vitest"
import { useAdminEmulator } from "./adminSuite.js"
import { call } from "./testing.js"

/** The catalog derives every Genesys body; the emulator must accept what it derives, and refuse what breaks it. */
describe("bodies derived from the default catalog", () => {
  const suite = useAdminEmulator()

  const normalize = (fields: Record<string, unknown>): NormalizedTicket => {
    const r = normalizeTicket(defaultCatalog, fields)
    if (r._tag === "Left") throw new Error(JSON.stringify(r.left.issues))
    return r.right
  }

  it("accepts the schema, a create and a minimal update, and finds the workitem by ticket id", async () => {
    const schema = await call(suite.s.tm.postTaskmanagementWorkitemsSchemas(toWorkitemSchema(defaultCatalog) as never))
    expect(schema.status, JSON.stringify(schema.body)).toBe(200)
    const bin = await call(suite.s.tm.postTaskmanagementWorkbins({ name: "Catalog bin" }))
    const type = await call(
      suite.s.tm.postTaskmanagementWorktypes({
        name: "Catalog ticket",
        defaultWorkbinId: bin.body.id,
        schemaId: schema.body.id,
        disableDefaultStatusCreation: true
      })
    )
    const statusIds: Record<string, string> = {}
    for (const st of defaultCatalog.statuses) {
      const r = await call(
        suite.s.tm.postTaskmanagementWorktypeStatuses(type.body.id, { name: st.name, category: st.category })
      )
      expect(r.status).toBe(200)
      statusIds[st.name] = r.body.id
    }
    for (const st of defaultCatalog.statuses) {
      const r = await call(
        suite.s.tm.patchTaskmanagementWorktypeStatus(type.body.id, statusIds[st.name] as string, {
          destinationStatusIds: st.destinations.map((d) => statusIds[d] as string)
        })
      )
      expect(r.status).toBe(200)
    }
    const ctx = { typeId: type.body.id, statusIds }
    const before = normalize({
      ticket_id: "ZD-1001",
      source_system: "zendesk",
      subject: "Printer on fire",
      description: "Smoke everywhere",
      status: "new",
      product_family: ["printer"],
      created_at: "2026-03-01T10:00:00Z",
      sla_breached: false
    })
    const created = await call(
      suite.s.tm.postTaskmanagementWorkitems(toWorkitemCreate(defaultCatalog, before, ctx) as never)
    )
    expect(created.status, JSON.stringify(created.body)).toBe(200)
    const after = normalize({
      ticket_id: "ZD-1001",
      source_system: "zendesk",
      subject: "Printer on fire",
      status: "solved",
      product_family: ["printer", "billing"]
    })
    const update = toWorkitemUpdate(defaultCatalog, before, after, ctx)
    expect(update).toBeDefined()
    const patched = await call(suite.s.tm.patchTaskmanagementWorkitem(created.body.id, update as never))
    expect(patched.status, JSON.stringify(patched.body)).toBe(200)
    expect(patched.body.customFields.product_family_tag).toEqual(["devices", "accounts"])
    expect(patched.body.customFields.sla_breached_checkbox).toBeUndefined()
    expect(patched.body.description).toBeUndefined()
    const key = Object.keys(created.body.customFields).find((k) => k.startsWith("ticket_id_"))
    const found = await call(
      suite.s.tm.postTaskmanagementWorkitemsQuery({
        filters: [
          { name: "typeId", type: "String", operator: "EQ", values: [type.body.id] },
          { name: `customFields.${key}`, type: "String", operator: "EQ", values: ["zd-1001"] }
        ]
      })
    )
    expect(found.body.entities.map((e: { id: string }) => e.id)).toEqual([created.body.id])
  })
})
