import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Emulator, startEmulator } from "./Emulator.js"
import { type SdkSession, type Setup, call, login, setupWorktype } from "./testing.js"

let now = Date.parse("2026-03-02T08:00:00.000Z")
let emu: Emulator
let s: SdkSession
let setup: Setup
beforeAll(async () => {
  emu = await startEmulator({ clock: () => now })
  s = await login(emu.url, emu.adminClientId, emu.adminClientSecret)
  setup = await setupWorktype(s, "Items")
})
afterAll(async () => {
  await emu.close()
})

const create = (body: Record<string, unknown>) =>
  call(s.tm.postTaskmanagementWorkitems({ name: "Ticket item", typeId: setup.worktypeId, ...body } as never))
const patch = (id: string, body: Record<string, unknown>) => call(s.tm.patchTaskmanagementWorkitem(id, body as never))
/** The typeId anchor; `$TYPE` is replaced by the worktype id when the query is sent. */
const typeFilter = () => ({ name: "typeId", type: "String", operator: "EQ", values: ["$TYPE"] })
const query = (body: Record<string, unknown>) =>
  call(
    s.tm.postTaskmanagementWorkitemsQuery(
      JSON.parse(JSON.stringify(body).replaceAll("$TYPE", setup.worktypeId)) as never
    )
  )

describe("workitem create / get / patch / delete", () => {
  it("creates with the worktype's defaults and pins the schema version", async () => {
    const r = await create({
      priority: 10,
      description: "printer",
      externalTag: "HD-1",
      customFields: { ticket_id_identifier: "HD-1", vip_checkbox: true }
    })
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({
      name: "Ticket item",
      type: { id: setup.worktypeId },
      workbin: { id: setup.workbinId },
      status: { id: setup.statuses.open },
      statusCategory: "Open",
      priority: 10,
      externalTag: "HD-1",
      schema: { id: setup.schemaId, version: 1 },
      customFields: { ticket_id_identifier: "HD-1", vip_checkbox: true }
    })
    expect(r.body.version).toBeUndefined()
    const got = await call(s.tm.getTaskmanagementWorkitem(r.body.id, { expands: ["type", "status"] } as never))
    expect(got.status).toBe(200)
    expect(got.body.type.name).toBe("Items ticket")
  })

  it.each([
    [{ name: "ab" }, "name"],
    [{ name: "n".repeat(257) }, "name"],
    [{ description: "d".repeat(513) }, "description"],
    [{ priority: 25_000_001 }, "priority"],
    [{ priority: -25_000_001 }, "priority"],
    [{ priority: 1.5 }, "priority"],
    [{ typeId: "nope" }, "typeId"],
    [{ statusId: "nope" }, "statusId"],
    [{ dateDue: "2026-13-01" }, "dateDue"],
    [{ dateDue: "2028-03-02T08:00:00Z" }, "dateDue"],
    [{ queueId: "queue-1" }, "queueId"],
    [{ ttl: 1 }, "ttl"],
    [{ durationSeconds: 366 * 86_400 }, "durationSeconds"],
    [
      { skillIds: Array.from({ length: 21 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`) },
      "skillIds"
    ],
    [{ externalTag: 42 }, "externalTag"],
    [{ fields: [{ key: "a", value: "b" }] }, "fields"],
    [{ routing: { skill: "x" } }, "routing"]
  ])("rejects create body %j", async (body, field) => {
    const before = emu.state.workitems.size
    const r = await create(body)
    expect(r.status).toBe(400)
    expect(r.body).toMatchObject({ code: "bad.request", status: 400 })
    expect(r.body.message).toContain(field)
    expect(emu.state.workitems.size).toBe(before)
  })

  it.each(
    [
      [{ unknown_text: "x" }, "customFields.unknown_text"],
      [{ subject_text: "s".repeat(101) }, "customFields.subject_text"],
      [{ subject_text: 5 }, "customFields.subject_text"],
      [{ body_longtext: "b".repeat(1001) }, "customFields.body_longtext"],
      [{ ticket_id_identifier: "" }, "customFields.ticket_id_identifier"],
      [{ link_url: "not a url" }, "customFields.link_url"],
      [{ severity_enum: "medium" }, "customFields.severity_enum"],
      [{ labels_tag: Array.from({ length: 11 }, (_, i) => `t${i}`) }, "customFields.labels_tag"],
      [{ labels_tag: ["a", "a"] }, "customFields.labels_tag"],
      [{ labels_tag: "a" }, "customFields.labels_tag"],
      [{ due_date: "2026-02-30" }, "customFields.due_date"],
      [{ opened_datetime: "2026-03-01T10:00:00Z" }, "customFields.opened_datetime"],
      [{ count_integer: 1.5 }, "customFields.count_integer"],
      [{ count_integer: 1001 }, "customFields.count_integer"],
      [{ score_number: -0.1 }, "customFields.score_number"],
      [{ vip_checkbox: "true" }, "customFields.vip_checkbox"]
    ].map(([cf, field], i) => [`${String(field)} #${i}`, cf, field] as const)
  )("rejects a bad value of %s", async (_label, customFields, field) => {
    const r = await create({ customFields })
    expect(r.status).toBe(400)
    expect(r.body.message).toContain(field)
  })

  it("accepts every core type at its limits", async () => {
    const r = await create({
      customFields: {
        ticket_id_identifier: "i".repeat(100),
        subject_text: "s".repeat(100),
        body_longtext: "b".repeat(1000),
        link_url: "https://helpdesk.example/t/1",
        severity_enum: "low",
        labels_tag: Array.from({ length: 10 }, (_, i) => `t${i}`),
        due_date: "2026-02-28",
        opened_datetime: "2026-03-01T10:00:00.000Z",
        count_integer: 1000,
        score_number: 9.5,
        vip_checkbox: false
      }
    })
    expect(r.status).toBe(200)
  })

  it("merges custom fields on PATCH; null removes one key; {} clears all", async () => {
    const w = await create({ customFields: { ticket_id_identifier: "HD-2", subject_text: "a" } })
    const merged = await patch(w.body.id, { customFields: { subject_text: "b", severity_enum: "high" } })
    expect(merged.status).toBe(200)
    expect(merged.body.customFields).toEqual({ ticket_id_identifier: "HD-2", subject_text: "b", severity_enum: "high" })
    const removed = await patch(w.body.id, { customFields: { severity_enum: null } })
    expect(removed.body.customFields).toEqual({ ticket_id_identifier: "HD-2", subject_text: "b" })
    const cleared = await patch(w.body.id, { customFields: {} })
    expect(cleared.body.customFields).toEqual({})
    const bad = await patch(w.body.id, { customFields: { nope_text: "x" } })
    expect(bad.status).toBe(400)
    expect(bad.body.message).toContain("customFields.nope_text")
  })

  it("leaves the workitem unchanged when a PATCH is rejected", async () => {
    const w = await create({ customFields: { subject_text: "keep" } })
    const r = await patch(w.body.id, { name: "Renamed item", customFields: { severity_enum: "nope" } })
    expect(r.status).toBe(400)
    const got = await call(s.tm.getTaskmanagementWorkitem(w.body.id))
    expect(got.body.name).toBe("Ticket item")
    expect(got.body.customFields).toEqual({ subject_text: "keep" })
  })

  it("is last-writer-wins: If-Match is ignored and there is no 409", async () => {
    const w = await create({})
    const r = await call(
      s.tm.patchTaskmanagementWorkitem(w.body.id, { priority: 4 }, {
        customHeaders: { "If-Match": '"stale"' }
      } as never)
    )
    expect(r.status).toBe(200)
    expect(r.body.priority).toBe(4)
  })

  it("rejects typeId on PATCH (the worktype is fixed)", async () => {
    const w = await create({})
    const r = await patch(w.body.id, { typeId: setup.worktypeId })
    expect(r.status).toBe(400)
    expect(r.body.message).toContain("typeId")
  })

  it("follows the status graph; statusCategory and dateClosed follow the status", async () => {
    const w = await create({})
    const closed = await patch(w.body.id, { statusId: setup.statuses.closed })
    expect(closed.status).toBe(200)
    expect(closed.body.statusCategory).toBe("Closed")
    expect(closed.body.dateClosed).toBe(new Date(now).toISOString())
    const notAllowed = await patch(w.body.id, { statusId: setup.statuses.inProgress })
    expect(notAllowed.status).toBe(400)
    expect(notAllowed.body.message).toContain("transition")
    const reopened = await patch(w.body.id, { statusId: setup.statuses.open })
    expect(reopened.body.statusCategory).toBe("Open")
    expect(reopened.body.dateClosed).toBeUndefined()
    const inProgress = await patch(w.body.id, { statusId: setup.statuses.inProgress })
    expect(inProgress.body.statusCategory).toBe("InProgress")
    expect((await patch(w.body.id, { statusId: setup.statuses.open })).status).toBe(400)
  })

  it("deletes with 204 and then answers 404", async () => {
    const w = await create({})
    expect((await call(s.tm.deleteTaskmanagementWorkitem(w.body.id))).status).toBe(204)
    expect((await call(s.tm.getTaskmanagementWorkitem(w.body.id))).status).toBe(404)
    expect((await patch(w.body.id, { name: "gone item" })).status).toBe(404)
  })
})

describe("workitem query", () => {
  it("finds by customFields (identifier case-insensitive), externalTag, statusCategory and IN", async () => {
    const a = await create({ externalTag: "Q-A", customFields: { ticket_id_identifier: "Q-A", severity_enum: "low" } })
    const b = await create({ externalTag: "Q-B", customFields: { ticket_id_identifier: "Q-B", severity_enum: "high" } })
    const ids = (r: { body: { entities: Array<{ id: string }> } }) => r.body.entities.map((e) => e.id)
    expect(
      ids(
        await query({
          filters: [
            typeFilter(),
            { name: "customFields.ticket_id_identifier", type: "String", operator: "EQ", values: ["q-a"] }
          ]
        })
      )
    ).toEqual([a.body.id])
    expect(
      ids(
        await query({
          filters: [typeFilter(), { name: "externalTag", type: "String", operator: "EQ", values: ["Q-B"] }]
        })
      )
    ).toEqual([b.body.id])
    expect(
      ids(
        await query({
          filters: [
            typeFilter(),
            { name: "customFields.ticket_id_identifier", type: "String", operator: "IN", values: ["Q-A", "Q-B"] }
          ]
        })
      )
    ).toEqual([a.body.id, b.body.id])
    const enumHits = ids(
      await query({
        filters: [
          typeFilter(),
          { name: "customFields.severity_enum", type: "String", operator: "EQ", values: ["high"] },
          { name: "externalTag", type: "String", operator: "BEGINS_WITH", values: ["Q-"] }
        ]
      })
    )
    expect(enumHits).toEqual([b.body.id])
    const open = ids(
      await query({
        filters: [typeFilter(), { name: "statusCategory", type: "String", operator: "EQ", values: ["Open"] }],
        pageSize: 200
      })
    )
    expect(open).toContain(a.body.id)
    const anchoredByBin = await query({
      filters: [
        { name: "workbinId", type: "String", operator: "EQ", values: [setup.workbinId] },
        { name: "externalTag", type: "String", operator: "EQ", values: ["Q-A"] }
      ]
    })
    expect(ids(anchoredByBin)).toEqual([a.body.id])
  })

  it("pages with a stable order and an after cursor", async () => {
    const tags = Array.from({ length: 5 }, (_, i) => `PAGE-${i}`)
    const made: Array<string> = []
    for (const t of tags) made.push((await create({ externalTag: t })).body.id)
    const seen: Array<string> = []
    let after: string | undefined
    let pages = 0
    do {
      const r = await query({
        filters: [typeFilter(), { name: "externalTag", type: "String", operator: "BEGINS_WITH", values: ["PAGE-"] }],
        pageSize: 2,
        ...(after === undefined ? {} : { after })
      })
      expect(r.status).toBe(200)
      expect(r.body.entities.length).toBeLessThanOrEqual(2)
      seen.push(...r.body.entities.map((e: { id: string }) => e.id))
      after = r.body.after
      pages++
    } while (after !== undefined && after !== "")
    expect(pages).toBe(3)
    expect(seen).toEqual(made)
    const count = await query({
      filters: [typeFilter(), { name: "externalTag", type: "String", operator: "BEGINS_WITH", values: ["PAGE-"] }],
      select: "Count"
    })
    expect(count.body.count).toBe(5)
    // a deletion between pages does not shift the next page
    const first = await query({
      filters: [typeFilter(), { name: "externalTag", type: "String", operator: "BEGINS_WITH", values: ["PAGE-"] }],
      pageSize: 2
    })
    expect((await call(s.tm.deleteTaskmanagementWorkitem(made[0] as string))).status).toBe(204)
    const second = await query({
      filters: [typeFilter(), { name: "externalTag", type: "String", operator: "BEGINS_WITH", values: ["PAGE-"] }],
      pageSize: 2,
      after: first.body.after
    })
    expect(second.body.entities.map((e: { id: string }) => e.id)).toEqual(made.slice(2, 4))
  })

  it("sorts by priority", async () => {
    await create({ externalTag: "SORT", priority: 3 })
    await create({ externalTag: "SORT", priority: 1 })
    await create({ externalTag: "SORT", priority: 2 })
    const r = await query({
      filters: [typeFilter(), { name: "externalTag", type: "String", operator: "EQ", values: ["SORT"] }],
      sort: { name: "priority", ascending: true }
    })
    expect(r.body.entities.map((e: { priority: number }) => e.priority)).toEqual([1, 2, 3])
  })

  it.each([
    ["more than 3 filters", { filters: [typeFilter(), typeFilter(), typeFilter(), typeFilter()] }, "at most 3"],
    [
      "no anchor",
      { filters: [{ name: "externalTag", type: "String", operator: "EQ", values: ["x"] }] },
      "typeId, workbinId, queueId or assigneeId"
    ],
    [
      "an anchor that is not EQ",
      { filters: [{ name: "typeId", type: "String", operator: "IN", values: ["x"] }] },
      "EQ filter"
    ],
    [
      "an unknown filter name",
      { filters: [typeFilter(), { name: "fields.ext_ticket_id", type: "String", operator: "EQ", values: ["x"] }] },
      "fields.ext_ticket_id"
    ],
    [
      "an unknown operator",
      { filters: [typeFilter(), { name: "externalTag", type: "String", operator: "LIKE", values: ["x"] }] },
      "operator"
    ],
    [
      "an unknown type",
      { filters: [typeFilter(), { name: "externalTag", type: "Text", operator: "EQ", values: ["x"] }] },
      "type"
    ],
    [
      "EQ with two values",
      { filters: [typeFilter(), { name: "externalTag", type: "String", operator: "EQ", values: ["x", "y"] }] },
      "values"
    ],
    [
      "a non-integer Int value",
      { filters: [typeFilter(), { name: "priority", type: "Int", operator: "GT", values: ["high"] }] },
      "values"
    ],
    [
      "a custom field not in the schema",
      { filters: [typeFilter(), { name: "customFields.nope_text", type: "String", operator: "EQ", values: ["x"] }] },
      "customFields.nope_text"
    ],
    ["pageSize over 200", { filters: [typeFilter()], pageSize: 201 }, "pageSize"],
    ["pageSize 0", { filters: [typeFilter()], pageSize: 0 }, "pageSize"],
    ["a forged cursor", { filters: [typeFilter()], after: "bm9wZQ" }, "after"],
    ["no filters", { pageSize: 10 }, "filters"],
    ["a query-language string", { query: "fields.ext_ticket_id.value = 'HD-88421'", filters: [typeFilter()] }, "query"]
  ])("rejects %s", async (_what, body, mention) => {
    const r = await query(body)
    expect(r.status).toBe(400)
    expect(r.body.code).toBe("bad.request")
    expect(r.body.message).toContain(mention)
  })
})

describe("Task Management throttles", () => {
  it("limits updates per workitem per minute with 429 and Retry-After", async () => {
    emu.configure({ workitemUpdatesPerMinute: 2 })
    try {
      const w = await create({})
      expect((await patch(w.body.id, { priority: 1 })).status).toBe(200)
      expect((await patch(w.body.id, { priority: 2 })).status).toBe(200)
      now += 15_000
      const limited = await patch(w.body.id, { priority: 3 })
      expect(limited.status).toBe(429)
      expect(limited.headers["retry-after"]).toBe("45")
      expect(limited.body).toMatchObject({
        code: "too.many.requests",
        status: 429,
        message: `Workitem ${w.body.id} was updated 2 times in the last minute`,
        limit: { key: "workitem.updates.per.minute", namespace: "task.management", value: 2 }
      })
      expect((await call(s.tm.getTaskmanagementWorkitem(w.body.id))).body.priority).toBe(2)
      const other = await create({})
      expect((await patch(other.body.id, { priority: 1 })).status).toBe(200)
      now += 45_000
      expect((await patch(w.body.id, { priority: 3 })).status).toBe(200)
    } finally {
      emu.configure({ workitemUpdatesPerMinute: 60 })
    }
  })

  it("limits daily creates and updates with Retry-After until the UTC day ends", async () => {
    now = Date.parse("2026-03-03T23:00:00.000Z")
    await s.client.loginClientCredentialsGrant(emu.adminClientId, emu.adminClientSecret)
    const used = 3
    emu.configure({ dailyWorkitemCreates: used })
    for (let i = 0; i < used; i++) expect((await create({})).status).toBe(200)
    const limited = await create({})
    expect(limited.status).toBe(429)
    expect(limited.headers["retry-after"]).toBe("3600")
    expect(limited.body).toMatchObject({
      code: "too.many.requests",
      message: "The daily limit of 3 workitem creations has been reached",
      limit: { key: "workitem.creates.per.day", namespace: "task.management", value: 3 }
    })
    now = Date.parse("2026-03-04T00:00:01.000Z")
    await s.client.loginClientCredentialsGrant(emu.adminClientId, emu.adminClientSecret)
    const w = await create({})
    expect(w.status).toBe(200)
    emu.configure({ dailyWorkitemUpdates: 1 })
    expect((await patch(w.body.id, { priority: 1 })).status).toBe(200)
    const upd = await patch(w.body.id, { priority: 2 })
    expect(upd.status).toBe(429)
    expect(Number(upd.headers["retry-after"])).toBe(86_399)
    expect(upd.body).toMatchObject({
      code: "too.many.requests",
      message: "The daily limit of 1 workitem updates has been reached",
      limit: { key: "workitem.updates.per.day", namespace: "task.management", value: 1 }
    })
    emu.configure({ dailyWorkitemCreates: 100_000, dailyWorkitemUpdates: 1_000_000 })
  })
})

describe("schema versions and workitems", () => {
  it("pins the worktype's schema version at creation; later versions apply to new workitems only", async () => {
    const own = await setupWorktype(s, "Pinned")
    const old = await call(s.tm.postTaskmanagementWorkitems({ name: "Pinned v1", typeId: own.worktypeId } as never))
    expect(old.body.schema.version).toBe(1)
    const current = await call(s.tm.getTaskmanagementWorkitemsSchema(own.schemaId))
    const v2 = structuredClone(current.body)
    v2.jsonSchema.properties.extra_text = { allOf: [{ $ref: "#/definitions/text" }], title: "Extra", maxLength: 10 }
    expect((await call(s.tm.putTaskmanagementWorkitemsSchema(own.schemaId, v2))).status).toBe(200)
    const fresh = await call(
      s.tm.postTaskmanagementWorkitems({
        name: "Pinned v2",
        typeId: own.worktypeId,
        customFields: { extra_text: "ok" }
      } as never)
    )
    expect(fresh.status).toBe(200)
    expect(fresh.body.schema.version).toBe(2)
    const oldPatch = await patch(old.body.id, { customFields: { extra_text: "no" } })
    expect(oldPatch.status).toBe(400)
    expect(oldPatch.body.message).toContain("customFields.extra_text")
    expect((await patch(fresh.body.id, { customFields: { extra_text: "yes" } })).status).toBe(200)
    const pinned = await call(s.tm.patchTaskmanagementWorktype(own.worktypeId, { schemaVersion: 1 }))
    expect(pinned.status).toBe(200)
    const v1item = await call(
      s.tm.postTaskmanagementWorkitems({
        name: "Pinned again",
        typeId: own.worktypeId,
        customFields: { extra_text: "x" }
      } as never)
    )
    expect(v1item.status).toBe(400)
    expect(v1item.body.message).toContain("customFields.extra_text")
  })

  it("will not attach a disabled schema", async () => {
    const schema = await call(
      s.tm.postTaskmanagementWorkitemsSchemas({
        ...(await import("./testing.js")).sampleSchemaBody("disabled_schema"),
        enabled: false
      } as never)
    )
    expect(schema.status).toBe(200)
    const r = await call(
      s.tm.postTaskmanagementWorktypes({
        name: "Disabled schema type",
        defaultWorkbinId: setup.workbinId,
        schemaId: schema.body.id
      })
    )
    expect(r.status).toBe(400)
    expect(r.body.message).toContain("disabled")
  })

  it("will not delete a workbin that holds workitems (409)", async () => {
    const r = await call(s.tm.deleteTaskmanagementWorkbin(setup.workbinId))
    expect(r.status).toBe(409)
  })
})
