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
  setup = await setupWorktype(s, "Bulk")
})
afterAll(async () => {
  await emu.close()
})

const item = (n: number, extra: Record<string, unknown> = {}) => ({
  name: `Bulk item ${n}`,
  typeId: setup.worktypeId,
  ...extra
})
const createJob = (entities: ReadonlyArray<unknown>) =>
  call(s.tm.postTaskmanagementWorkitemsBulkAddJobs({ entities } as never))
const queue = (id: string) => call(s.tm.patchTaskmanagementWorkitemsBulkAddJob(id, { state: "Queued" }))

describe("workitem bulk add jobs", () => {
  it("creates an Idle job, runs it once queued and reports each entity's workitem or error in order", async () => {
    const created = await createJob([
      item(1, { externalTag: "BULK-1" }),
      item(2, { customFields: { ticket_id_identifier: "x".repeat(101) } }),
      item(3)
    ])
    expect(created.status).toBe(200)
    expect(created.body).toMatchObject({
      state: "Idle",
      action: "AddWorkitems",
      totalCount: 3,
      successfulCount: 0,
      failedCount: 0
    })
    const id: string = created.body.id
    // Idle: nothing runs, no results yet
    now += 10_000
    expect((await call(s.tm.getTaskmanagementWorkitemsBulkAddJob(id))).body.state).toBe("Idle")
    expect((await call(s.tm.getTaskmanagementWorkitemsBulkAddJobResults(id))).status).toBe(400)

    expect((await queue(id)).body.state).toBe("Queued")
    expect((await call(s.tm.getTaskmanagementWorkitemsBulkAddJob(id))).body.state).toBe("Queued")
    now += 1_000
    const job = await call(s.tm.getTaskmanagementWorkitemsBulkAddJob(id))
    expect(job.body).toMatchObject({ state: "Succeeded", totalCount: 3, successfulCount: 2, failedCount: 1 })

    const results = await call(s.tm.getTaskmanagementWorkitemsBulkAddJobResults(id))
    expect(results.status).toBe(200)
    expect(results.body.errorCount).toBe(1)
    expect(results.body.errorIndexes).toEqual([1])
    expect(results.body.results[1].error.code).toBe("bad.request")
    expect(results.body.results[1].error.message).toContain("ticket_id_identifier")
    const first = results.body.results[0].entity
    expect(first).toMatchObject({
      name: "Bulk item 1",
      type: { id: setup.worktypeId },
      workbin: { id: setup.workbinId }
    })
    const got = await call(s.tm.getTaskmanagementWorkitem(first.id))
    expect(got.body).toMatchObject({ name: "Bulk item 1", externalTag: "BULK-1", status: { id: setup.statuses.open } })
    expect(results.body.results[2].entity.name).toBe("Bulk item 3")
    // a finished job cannot be queued again, nor deleted
    expect((await queue(id)).status).toBe(400)
    expect((await call(s.tm.deleteTaskmanagementWorkitemsBulkAddJob(id))).status).toBe(400)
  })

  it.each([
    [[], "entities"],
    [Array.from({ length: 51 }, (_, i) => ({ name: `Bulk item ${i}`, typeId: "t" })), "entities"],
    [[{ name: "Bulk item" }], "entities[0].typeId"],
    [[{ name: "Bulk item", typeId: "t" }, { typeId: "t" }], "entities[1].name"],
    [
      [{ name: "Bulk item", typeId: "t", wrapupCode: "00000000-0000-4000-8000-000000000000" }],
      "entities[0].wrapupCode"
    ],
    [[{ name: "Bulk item", typeId: "t", preferredAgentIds: [] }], "entities[0].preferredAgentIds"],
    [[{ name: "Bulk item", typeId: "t", revision: 3 }], "entities[0].revision"],
    [["not an object"], "entities[0]"]
  ])("refuses a job whose entities break the request model (%#: %s)", async (entities, field) => {
    const before = emu.state.bulkAddJobs.size
    const r = await createJob(entities)
    expect(r.status).toBe(400)
    expect(r.body.details[0].fieldName).toBe(field)
    expect(emu.state.bulkAddJobs.size).toBe(before)
  })

  it("accepts 50 entities in one job", async () => {
    const r = await createJob(Array.from({ length: 50 }, (_, i) => item(i)))
    expect(r.status).toBe(200)
    expect(r.body.totalCount).toBe(50)
  })

  it("terminates (it then reads Cancelled) or deletes an Idle job, which then never runs", async () => {
    const count = emu.state.workitems.size
    const a = await createJob([item(10)])
    const t = await call(s.tm.patchTaskmanagementWorkitemsBulkAddJob(a.body.id, { state: "Terminated" }))
    expect(t.body.state).toBe("Cancelled")
    const b = await createJob([item(11)])
    expect((await call(s.tm.deleteTaskmanagementWorkitemsBulkAddJob(b.body.id))).status).toBe(204)
    expect((await call(s.tm.getTaskmanagementWorkitemsBulkAddJob(b.body.id))).status).toBe(404)
    now += 5_000
    expect((await call(s.tm.getTaskmanagementWorkitemsBulkAddJob(a.body.id))).body.state).toBe("Cancelled")
    expect(emu.state.workitems.size).toBe(count)
    expect(
      (await call(s.tm.patchTaskmanagementWorkitemsBulkAddJob(a.body.id, { state: "Succeeded" } as never))).status
    ).toBe(400)
  })

  it("counts each created entity against the daily creation limit and reports the refused ones", async () => {
    const today = emu.state.dailyCreates.count
    emu.configure({ dailyWorkitemCreates: today + 1 })
    try {
      const job = await createJob([item(20), item(21)])
      await queue(job.body.id)
      now += 1_000
      const r = await call(s.tm.getTaskmanagementWorkitemsBulkAddJobResults(job.body.id))
      expect(r.body.errorIndexes).toEqual([1])
      expect(r.body.results[1].error.code).toBe("too.many.requests")
    } finally {
      emu.configure({ dailyWorkitemCreates: 100_000 })
    }
  })

  it("runs a queued job whatever request comes next, and faults apply to the bulk routes", async () => {
    const job = await createJob([item(30)])
    await queue(job.body.id)
    now += 1_000
    await call(s.tm.getTaskmanagementWorkbin(setup.workbinId))
    expect(emu.state.bulkAddJobs.get(job.body.id)?.state).toBe("Succeeded")
    emu.faults.add({
      method: "POST",
      path: "/api/v2/taskmanagement/workitems/bulk/add/jobs",
      kind: "status",
      status: 503,
      count: 1
    })
    expect((await createJob([item(31)])).status).toBe(503)
    expect((await createJob([item(31)])).status).toBe(200)
  })
})
