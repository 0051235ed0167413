import { describe, expect, it } from "vitest"
import { useAdminEmulator } from "./adminSuite.js"
import { call, sampleSchemaBody, setupWorktype } from "./testing.js"

const suite = useAdminEmulator()

const schemaWith = (name: string, properties: Record<string, unknown>) => {
  const body = sampleSchemaBody(name) as { jsonSchema: Record<string, unknown> }
  return { ...body, jsonSchema: { ...body.jsonSchema, properties } } as never
}

describe("workbins", () => {
  it("creates, reads, patches, queries and deletes", async () => {
    const created = await call(suite.s.tm.postTaskmanagementWorkbins({ name: "Support bin", description: "tickets" }))
    expect(created.status).toBe(200)
    expect(created.body).toMatchObject({
      name: "Support bin",
      description: "tickets",
      division: { id: suite.emu.state.homeDivision.id }
    })
    const id = created.body.id
    expect((await call(suite.s.tm.getTaskmanagementWorkbin(id))).body.name).toBe("Support bin")
    const patched = await call(suite.s.tm.patchTaskmanagementWorkbin(id, { name: "Support bin 2" }))
    expect(patched.body.name).toBe("Support bin 2")
    const q = await call(
      suite.s.tm.postTaskmanagementWorkbinsQuery({
        filters: [{ name: "name", type: "String", operator: "EQ", values: ["Support bin 2"] }]
      })
    )
    expect(q.body.entities.map((e: { id: string }) => e.id)).toEqual([id])
    expect((await call(suite.s.tm.deleteTaskmanagementWorkbin(id))).status).toBe(204)
    expect((await call(suite.s.tm.getTaskmanagementWorkbin(id))).status).toBe(404)
  })

  it("enforces name 3–256 and description ≤ 512, leaving state unchanged", async () => {
    const before = suite.emu.state.workbins.size
    for (const body of [
      { name: "ab" },
      { name: "x".repeat(257) },
      { name: "Valid", description: "d".repeat(513) },
      {}
    ]) {
      const r = await call(suite.s.tm.postTaskmanagementWorkbins(body as never))
      expect(r.status).toBe(400)
      expect(r.body.code).toBe("bad.request")
      expect(r.body.message).toMatch(/name|description/)
    }
    expect(
      (await call(suite.s.tm.postTaskmanagementWorkbins({ name: "abc", description: "d".repeat(512) }))).status
    ).toBe(200)
    expect(suite.emu.state.workbins.size).toBe(before + 1)
  })

  it("lists workbins and worktypes with a query that has no filters (as CX as Code does)", async () => {
    const setup = await setupWorktype(suite.s, "Unfiltered")
    const bins = await call(suite.s.tm.postTaskmanagementWorkbinsQuery({ pageSize: 200 } as never))
    expect(bins.status).toBe(200)
    expect(bins.body.entities.map((e: { id: string }) => e.id)).toContain(setup.workbinId)
    const types = await call(suite.s.tm.postTaskmanagementWorktypesQuery({ pageSize: 200 } as never))
    expect(types.status).toBe(200)
    expect(types.body.entities.map((e: { id: string }) => e.id)).toContain(setup.worktypeId)
  })

  it("rejects an unknown query filter name and a pageSize over 200", async () => {
    const bad = await call(
      suite.s.tm.postTaskmanagementWorkbinsQuery({
        filters: [{ name: "colour", type: "String", operator: "EQ", values: ["x"] }]
      })
    )
    expect(bad.status).toBe(400)
    expect(bad.body.message).toContain("colour")
    expect((await call(suite.s.tm.postTaskmanagementWorkbinsQuery({ filters: [], pageSize: 201 }))).status).toBe(400)
  })
})

describe("workitem schemas", () => {
  it("creates, lists, reads, versions on PUT and deletes", async () => {
    const created = await call(
      suite.s.tm.postTaskmanagementWorkitemsSchemas(sampleSchemaBody("versioned_ticket") as never)
    )
    expect(created.status).toBe(200)
    expect(created.body).toMatchObject({ name: "versioned_ticket", version: 1, enabled: true })
    const id = created.body.id
    expect(
      (await call(suite.s.tm.getTaskmanagementWorkitemsSchemas())).body.entities.some(
        (e: { id: string }) => e.id === id
      )
    ).toBe(true)
    const stale = await call(
      suite.s.tm.putTaskmanagementWorkitemsSchema(id, {
        ...(sampleSchemaBody("versioned_ticket") as object),
        version: 0
      } as never)
    )
    expect(stale.status).toBe(409)
    expect(stale.body.message).toContain("does not match the current version")
    const put = await call(
      suite.s.tm.putTaskmanagementWorkitemsSchema(id, {
        ...(sampleSchemaBody("versioned_ticket") as object),
        version: 1
      } as never)
    )
    expect(put.status).toBe(200)
    expect(put.body.version).toBe(2)
    const versions = await call(suite.s.tm.getTaskmanagementWorkitemsSchemaVersions(id))
    expect(versions.body.entities.map((v: { version: number }) => v.version)).toEqual([2, 1])
    expect((await call(suite.s.tm.getTaskmanagementWorkitemsSchemaVersion(id, "1"))).body.version).toBe(1)
    expect((await call(suite.s.tm.getTaskmanagementWorkitemsSchema(id))).body.version).toBe(2)
    expect((await call(suite.s.tm.deleteTaskmanagementWorkitemsSchema(id))).status).toBe(204)
    expect((await call(suite.s.tm.getTaskmanagementWorkitemsSchema(id))).status).toBe(404)
  })

  it("lists the core types", async () => {
    const r = await call(suite.s.tm.getTaskmanagementWorkitemsSchemasCoretypes())
    expect(r.status).toBe(200)
    expect(r.body.entities.map((e: { name: string }) => e.name)).toEqual([
      "text",
      "longtext",
      "url",
      "identifier",
      "enum",
      "tag",
      "date",
      "datetime",
      "integer",
      "number",
      "checkbox"
    ])
  })

  it("reports its limits", async () => {
    const r = await call(suite.s.tm.getTaskmanagementWorkitemsSchemasLimits())
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ maxNumberOfFieldsPerSchema: 50, maxNumberOfSchemasPerOrg: 100 })
  })

  it.each([
    [
      "a key without its core type suffix",
      { ticket_id: { allOf: [{ $ref: "#/definitions/identifier" }] } },
      "ticket_id"
    ],
    [
      "a key whose suffix is another core type",
      { ticket_text: { allOf: [{ $ref: "#/definitions/identifier" }] } },
      "ticket_text"
    ],
    ["an unknown core type", { x_colour: { allOf: [{ $ref: "#/definitions/colour" }] } }, "x_colour"],
    ["text maxLength over 100", { s_text: { allOf: [{ $ref: "#/definitions/text" }], maxLength: 101 } }, "maxLength"],
    [
      "longtext maxLength over 1000",
      { s_longtext: { allOf: [{ $ref: "#/definitions/longtext" }], maxLength: 1001 } },
      "maxLength"
    ],
    [
      "more than 50 enum options",
      { e_enum: { allOf: [{ $ref: "#/definitions/enum" }], enum: Array.from({ length: 51 }, (_, i) => `v${i}`) } },
      "enum"
    ],
    ["tag maxItems over 10", { t_tag: { allOf: [{ $ref: "#/definitions/tag" }], maxItems: 11 } }, "maxItems"],
    [
      "more than 50 properties",
      Object.fromEntries(
        Array.from({ length: 51 }, (_, i) => [`f${i}_text`, { allOf: [{ $ref: "#/definitions/text" }] }])
      ),
      "50"
    ]
  ])("rejects %s", async (_what, properties, mention) => {
    const before = suite.emu.state.schemas.size
    const r = await call(suite.s.tm.postTaskmanagementWorkitemsSchemas(schemaWith(`bad_${before}`, properties)))
    expect(r.status).toBe(400)
    expect(r.body.message).toContain(mention)
    expect(suite.emu.state.schemas.size).toBe(before)
  })

  it("requires a draft-04 document", async () => {
    const body = sampleSchemaBody("draft7") as { jsonSchema: Record<string, unknown> }
    const r = await call(
      suite.s.tm.postTaskmanagementWorkitemsSchemas({
        ...body,
        jsonSchema: { ...body.jsonSchema, $schema: "http://json-schema.org/draft-07/schema#" }
      } as never)
    )
    expect(r.status).toBe(400)
    expect(r.body.message).toContain("$schema")
  })

  it("accepts a document without type (as CX as Code sends it), and refuses a type other than object", async () => {
    const body = sampleSchemaBody("untyped") as { jsonSchema: Record<string, unknown> }
    const { type: _type, ...untyped } = body.jsonSchema
    const r = await call(suite.s.tm.postTaskmanagementWorkitemsSchemas({ ...body, jsonSchema: untyped } as never))
    expect(r.status).toBe(200)
    const bad = await call(
      suite.s.tm.postTaskmanagementWorkitemsSchemas({
        ...body,
        name: "badly_typed",
        jsonSchema: { ...untyped, type: "array" }
      } as never)
    )
    expect(bad.status).toBe(400)
    expect(bad.body.message).toContain("jsonSchema.type")
  })

  it("will not delete a schema a worktype uses", async () => {
    const setup = await setupWorktype(suite.s, "Schemause")
    const r = await call(suite.s.tm.deleteTaskmanagementWorkitemsSchema(setup.schemaId))
    expect(r.status).toBe(409)
  })
})

describe("worktypes", () => {
  it("creates with default statuses, reads, patches defaultStatusId, queries and deletes", async () => {
    const bin = await call(suite.s.tm.postTaskmanagementWorkbins({ name: "Worktype bin" }))
    const created = await call(
      suite.s.tm.postTaskmanagementWorktypes({ name: "Plain type", defaultWorkbinId: bin.body.id, defaultPriority: 5 })
    )
    expect(created.status).toBe(200)
    expect(created.body.statuses.map((x: { name: string }) => x.name)).toEqual(["Open", "Closed"])
    expect(created.body.defaultStatus.id).toBe(created.body.statuses[0].id)
    expect(created.body.defaultWorkbin.id).toBe(bin.body.id)
    expect(created.body.defaultPriority).toBe(5)
    const id = created.body.id
    const closedId = created.body.statuses[1].id
    const patched = await call(
      suite.s.tm.patchTaskmanagementWorktype(id, { defaultStatusId: closedId, description: "changed" })
    )
    expect(patched.status).toBe(200)
    expect(patched.body.defaultStatus.id).toBe(closedId)
    const q = await call(
      suite.s.tm.postTaskmanagementWorktypesQuery({
        filters: [{ name: "name", type: "String", operator: "EQ", values: ["Plain type"] }]
      })
    )
    expect(q.body.entities.map((e: { id: string }) => e.id)).toEqual([id])
    expect((await call(suite.s.tm.getTaskmanagementWorktype(id))).body.description).toBe("changed")
    expect((await call(suite.s.tm.deleteTaskmanagementWorktype(id))).status).toBe(204)
    expect((await call(suite.s.tm.getTaskmanagementWorktype(id))).status).toBe(404)
  })

  it("validates name, workbin, priority, ttl and schema references", async () => {
    const bin = await call(suite.s.tm.postTaskmanagementWorkbins({ name: "Validation bin" }))
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ name: "ab", defaultWorkbinId: bin.body.id }, "name"],
      [{ name: "Valid name" }, "defaultWorkbinId"],
      [{ name: "Valid name", defaultWorkbinId: "nope" }, "defaultWorkbinId"],
      [{ name: "Valid name", defaultWorkbinId: bin.body.id, defaultPriority: 25_000_001 }, "defaultPriority"],
      [{ name: "Valid name", defaultWorkbinId: bin.body.id, defaultTtlSeconds: 60 }, "defaultTtlSeconds"],
      [{ name: "Valid name", defaultWorkbinId: bin.body.id, schemaId: "nope" }, "schemaId"],
      [{ name: "Valid name", defaultWorkbinId: bin.body.id, defaultStatusId: "x" }, "defaultStatusId"],
      [{ name: "Valid name", defaultWorkbinId: bin.body.id, description: "d".repeat(513) }, "description"]
    ]
    const before = suite.emu.state.worktypes.size
    for (const [body, field] of cases) {
      const r = await call(suite.s.tm.postTaskmanagementWorktypes(body as never))
      expect(r.status, field).toBe(400)
      expect(r.body.message).toContain(field)
    }
    expect(suite.emu.state.worktypes.size).toBe(before)
  })

  it("keeps schemaId fixed but lets schemaVersion change", async () => {
    const setup = await setupWorktype(suite.s, "Fixedschema")
    const other = await call(suite.s.tm.postTaskmanagementWorkitemsSchemas(sampleSchemaBody("other_schema") as never))
    const r = await call(suite.s.tm.patchTaskmanagementWorktype(setup.worktypeId, { schemaId: other.body.id }))
    expect(r.status).toBe(400)
    expect(r.body.message).toContain("schemaId")
    expect((await call(suite.s.tm.patchTaskmanagementWorktype(setup.worktypeId, { schemaVersion: 1 }))).status).toBe(
      200
    )
    expect((await call(suite.s.tm.patchTaskmanagementWorktype(setup.worktypeId, { schemaVersion: 9 }))).status).toBe(
      400
    )
  })

  it("refuses to delete a worktype that still has workitems (409)", async () => {
    const setup = await setupWorktype(suite.s, "Busytype")
    const w = await call(suite.s.tm.postTaskmanagementWorkitems({ name: "Blocking item", typeId: setup.worktypeId }))
    const r = await call(suite.s.tm.deleteTaskmanagementWorktype(setup.worktypeId))
    expect(r.status).toBe(409)
    expect(r.body.message).toContain("workitem")
    expect((await call(suite.s.tm.deleteTaskmanagementWorkitem(w.body.id))).status).toBe(204)
    expect((await call(suite.s.tm.deleteTaskmanagementWorktype(setup.worktypeId))).status).toBe(204)
  })
})

describe("worktype statuses", () => {
  it("creates, lists, reads, patches and deletes", async () => {
    const setup = await setupWorktype(suite.s, "Statuses")
    const list = await call(suite.s.tm.getTaskmanagementWorktypeStatuses(setup.worktypeId))
    expect(list.body.entities.map((x: { name: string }) => x.name)).toEqual(["Closed", "In progress", "Open"])
    const open = await call(suite.s.tm.getTaskmanagementWorktypeStatus(setup.worktypeId, setup.statuses.open))
    expect(open.body.destinationStatuses.map((d: { id: string }) => d.id)).toEqual([
      setup.statuses.inProgress,
      setup.statuses.closed
    ])
    const waiting = await call(
      suite.s.tm.postTaskmanagementWorktypeStatuses(setup.worktypeId, {
        name: "Waiting on customer",
        category: "Waiting"
      })
    )
    expect(waiting.body.category).toBe("Waiting")
    const patched = await call(
      suite.s.tm.patchTaskmanagementWorktypeStatus(setup.worktypeId, waiting.body.id, { description: "paused" })
    )
    expect(patched.body.description).toBe("paused")
    expect((await call(suite.s.tm.deleteTaskmanagementWorktypeStatus(setup.worktypeId, waiting.body.id))).status).toBe(
      204
    )
  })

  it("accepts statusTransitionTime as HH:mm:ss and HH:mm:ss.SSS, and refuses other forms", async () => {
    const setup = await setupWorktype(suite.s, "Times")
    const base = {
      category: "Waiting",
      defaultDestinationStatusId: setup.statuses.open,
      statusTransitionDelaySeconds: 86400
    }
    const short = await call(
      suite.s.tm.postTaskmanagementWorktypeStatuses(setup.worktypeId, {
        ...base,
        name: "Snoozed",
        statusTransitionTime: "12:04:21"
      } as never)
    )
    expect(short.status, JSON.stringify(short.body)).toBe(200)
    expect(short.body.statusTransitionTime).toBe("12:04:21")
    const long = await call(
      suite.s.tm.postTaskmanagementWorktypeStatuses(setup.worktypeId, {
        ...base,
        name: "Parked",
        statusTransitionTime: "08:30:00.000"
      } as never)
    )
    expect(long.status, JSON.stringify(long.body)).toBe(200)
    for (const time of ["12:04", "25:00:00", "12:04:21Z"]) {
      const bad = await call(
        suite.s.tm.postTaskmanagementWorktypeStatuses(setup.worktypeId, {
          ...base,
          name: `Bad ${time}`,
          statusTransitionTime: time
        } as never)
      )
      expect([time, bad.status]).toEqual([time, 400])
      expect(bad.body.message).toContain("statusTransitionTime")
    }
  })

  it("validates category, name, destinations and the category lock", async () => {
    const setup = await setupWorktype(suite.s, "Statusrules")
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ name: "No category" }, "category"],
      [{ name: "Bad category", category: "Done" }, "category"],
      [{ name: "ab", category: "Open" }, "name"],
      [{ name: "Open", category: "Open" }, "already has a status"],
      [{ name: "Bad dest", category: "Open", destinationStatusIds: ["nope"] }, "destinationStatusIds"],
      [
        { name: "Lonely default", category: "Open", defaultDestinationStatusId: setup.statuses.closed },
        "statusTransitionDelaySeconds"
      ],
      [{ name: "Auto term", category: "Open", autoTerminateWorkitem: true }, "autoTerminateWorkitem"]
    ]
    for (const [body, mention] of cases) {
      const r = await call(suite.s.tm.postTaskmanagementWorktypeStatuses(setup.worktypeId, body as never))
      expect(r.status, mention).toBe(400)
      expect(r.body.message).toContain(mention)
    }
    const lock = await call(
      suite.s.tm.patchTaskmanagementWorktypeStatus(setup.worktypeId, setup.statuses.open, {
        category: "Closed"
      } as never)
    )
    expect(lock.status).toBe(400)
    expect(lock.body.message).toContain("category")
  })

  it("allows at most 24 destination statuses", async () => {
    const setup = await setupWorktype(suite.s, "Manydest")
    const ids: Array<string> = []
    for (let i = 0; i < 25; i++)
      ids.push(
        (
          await call(
            suite.s.tm.postTaskmanagementWorktypeStatuses(setup.worktypeId, {
              name: `Step ${i}`,
              category: "InProgress"
            })
          )
        ).body.id
      )
    const over = await call(
      suite.s.tm.postTaskmanagementWorktypeStatuses(setup.worktypeId, {
        name: "Hub",
        category: "Open",
        destinationStatusIds: ids
      })
    )
    expect(over.status).toBe(400)
    expect(over.body.message).toContain("destinationStatusIds")
    expect(
      (
        await call(
          suite.s.tm.postTaskmanagementWorktypeStatuses(setup.worktypeId, {
            name: "Hub",
            category: "Open",
            destinationStatusIds: ids.slice(0, 24)
          })
        )
      ).status
    ).toBe(200)
  })

  it("will not delete the default status, nor a status another one leads to", async () => {
    const setup = await setupWorktype(suite.s, "Defaultstatus")
    const r = await call(suite.s.tm.deleteTaskmanagementWorktypeStatus(setup.worktypeId, setup.statuses.open))
    expect(r.status).toBe(409)
    const target = await call(
      suite.s.tm.deleteTaskmanagementWorktypeStatus(setup.worktypeId, setup.statuses.inProgress)
    )
    expect(target.status).toBe(409)
    expect(target.body.message).toContain(setup.statuses.open)
  })
})
