import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Emulator, startEmulator } from "./Emulator.js"
import { call, login, setupWorktype } from "./testing.js"

describe("startEmulator", () => {
  let emu: Emulator
  beforeAll(async () => {
    emu = await startEmulator()
  })
  afterAll(async () => {
    await emu.close()
  })

  it("lets the seeded admin build a worktype and find a workitem by custom field and by externalTag", async () => {
    const s = await login(emu.url, emu.adminClientId, emu.adminClientSecret)
    const setup = await setupWorktype(s)
    const created = await call(
      s.tm.postTaskmanagementWorkitems({
        name: "HD-88421 Printer on fire",
        typeId: setup.worktypeId,
        externalTag: "HD-88421",
        customFields: { ticket_id_identifier: "HD-88421", severity_enum: "high" } as never
      })
    )
    expect(created.status).toBe(200)
    expect(created.body.status.id).toBe(setup.statuses.open)
    expect(created.body.statusCategory).toBe("Open")
    await call(
      s.tm.postTaskmanagementWorkitems({
        name: "HD-1 other",
        typeId: setup.worktypeId,
        externalTag: "HD-1",
        customFields: { ticket_id_identifier: "HD-1" } as never
      })
    )

    const byField = await call(
      s.tm.postTaskmanagementWorkitemsQuery({
        filters: [
          { name: "typeId", type: "String", operator: "EQ", values: [setup.worktypeId] },
          { name: "customFields.ticket_id_identifier", type: "String", operator: "EQ", values: ["HD-88421"] }
        ],
        pageSize: 25
      })
    )
    expect(byField.status).toBe(200)
    expect(byField.body.entities.map((e: { id: string }) => e.id)).toEqual([created.body.id])

    const byTag = await call(
      s.tm.postTaskmanagementWorkitemsQuery({
        filters: [
          { name: "typeId", type: "String", operator: "EQ", values: [setup.worktypeId] },
          { name: "externalTag", type: "String", operator: "EQ", values: ["HD-88421"] }
        ]
      })
    )
    expect(byTag.body.entities.map((e: { id: string }) => e.id)).toEqual([created.body.id])
  })

  it("answers with inin-correlation-id and JSON, and never sends rate-limit headers", async () => {
    const s = await login(emu.url, emu.adminClientId, emu.adminClientSecret)
    const r = await call(s.tm.getTaskmanagementWorkitemsSchemas())
    expect(r.status).toBe(200)
    expect(r.headers["inin-correlation-id"]).toMatch(/^[0-9a-f-]{36}$/)
    expect(r.headers["content-type"]).toContain("application/json")
    const names = Object.keys(r.headers)
    expect(names.filter((h) => /^x-ratelimit|^inin-ratelimit/i.test(h))).toEqual([])
    const missing = await call(s.tm.getTaskmanagementWorkbin("00000000-0000-4000-8000-000000000000"))
    expect(missing.status).toBe(404)
    expect(missing.body).toMatchObject({
      code: "not.found",
      status: 404,
      contextId: missing.headers["inin-correlation-id"]
    })
    expect(missing.body.details).toBeInstanceOf(Array)
    expect(missing.body.errors).toEqual([])
  })

  it("rejects invalid options naming the option", async () => {
    await expect(startEmulator({ rateLimitPerMinute: 0 })).rejects.toThrow(/rateLimitPerMinute/)
    await expect(startEmulator({ port: 70000 })).rejects.toThrow(/port/)
    expect(() => emu.configure({ dailyWorkitemCreates: -1 })).toThrow(/dailyWorkitemCreates/)
    expect(() => emu.configure({ bogus: 1 } as never)).toThrow(/bogus/)
  })

  it("serves the real paths only: invented paths such as /api/v2/workitemtypes are 404", async () => {
    const s = await login(emu.url, emu.adminClientId, emu.adminClientSecret)
    const r = await call(
      s.client.callApi(
        "/api/v2/workitemtypes",
        "POST",
        {},
        {},
        {},
        {},
        { name: "x" },
        ["PureCloud OAuth"],
        ["application/json"],
        ["application/json"]
      )
    )
    expect(r.status).toBe(404)
    expect(r.body.code).toBe("not.found")
  })
})

describe("README", () => {
  it("lists every route with its permission, and the admin knows every permission a route checks", async () => {
    const { readFile } = await import("node:fs/promises")
    const { ROUTES } = await import("./Emulator.js")
    const { KNOWN_PERMISSIONS } = await import("./internal/auth.js")
    const readme = await readFile(new URL("../README.md", import.meta.url), "utf8")
    for (const r of ROUTES) {
      const perms = r.permissions.length === 0 ? "any valid token" : r.permissions.map((p) => `\`${p}\``).join(" or ")
      expect(readme, `${r.method} ${r.template}`).toContain(
        `| ${r.method} | \`${r.template.replace("/api/v2", "")}\` | ${perms} |`
      )
      for (const p of r.permissions) expect(KNOWN_PERMISSIONS).toContain(p)
    }
  })
})
