/** The state file: an emulator restarted on it has the organisation it had (through the official SDK). */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { startEmulator } from "./Emulator.js"
import { call, importFlowYaml, login, setupWorktype } from "./testing.js"

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "emu-state-"))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

describe("stateFile", () => {
  it("keeps published workflows and triggers across a restart", async () => {
    const file = path.join(dir, "writeback.json")
    const first = await startEmulator({ stateFile: file })
    const s1 = await login(first.url, first.adminClientId, first.adminClientSecret)
    const job = await importFlowYaml(
      s1,
      'workflow:\n  name: Kept flow\n  startUpRef: "/workflow/states/state[S_1]"\n  states:\n    - state:\n        name: S\n        refId: S_1\n        actions:\n          - endWorkflow:\n              name: End\n'
    )
    expect(job.status).toBe("Success")
    const trigger = await call(
      s1.processAutomation.postProcessautomationTriggers({
        name: "Kept trigger",
        topicName: "v2.taskmanagement.workitems.{id}",
        enabled: true,
        target: { type: "Workflow", id: job.flow?.id ?? "" }
      })
    )
    expect(trigger.status).toBe(200)
    await first.close()
    const second = await startEmulator({ stateFile: file })
    try {
      const s2 = await login(second.url, second.adminClientId, second.adminClientSecret)
      expect((await call(s2.architect.getFlow(job.flow?.id ?? ""))).body.name).toBe("Kept flow")
      const kept = await call(s2.processAutomation.getProcessautomationTrigger(trigger.body.id))
      expect(kept.body).toMatchObject({ name: "Kept trigger", version: 1, target: { id: job.flow?.id } })
    } finally {
      await second.close()
    }
  })

  it("keeps worktypes, statuses, schemas and workitems across a restart; the admin logs in again", async () => {
    const file = path.join(dir, "nested", "state.json")
    const first = await startEmulator({ stateFile: file })
    const s1 = await login(first.url, first.adminClientId, first.adminClientSecret)
    const setup = await setupWorktype(s1)
    const created = await call(
      s1.tm.postTaskmanagementWorkitems({
        name: "HD-7 kept",
        typeId: setup.worktypeId,
        customFields: { ticket_id_identifier: "HD-7" } as never
      })
    )
    await call(s1.tm.patchTaskmanagementWorkitem(created.body.id, { statusId: setup.statuses.inProgress } as never))
    await first.close()

    const second = await startEmulator({ stateFile: file })
    try {
      const s2 = await login(second.url, second.adminClientId, second.adminClientSecret)
      const kept = await call(s2.tm.getTaskmanagementWorkitem(created.body.id))
      expect(kept.body.name).toBe("HD-7 kept")
      expect(kept.body.status.id).toBe(setup.statuses.inProgress)
      const statuses = await call(s2.tm.getTaskmanagementWorktypeStatuses(setup.worktypeId))
      expect(statuses.body.entities.map((x: { id: string }) => x.id).sort()).toEqual(
        Object.values(setup.statuses).sort()
      )
      // The indexes are rebuilt: the query by custom field finds it; the schema validates new workitems.
      const found = await call(
        s2.tm.postTaskmanagementWorkitemsQuery({
          filters: [
            { name: "typeId", type: "String", operator: "EQ", values: [setup.worktypeId] },
            { name: "customFields.ticket_id_identifier", type: "String", operator: "EQ", values: ["HD-7"] }
          ],
          pageSize: 25
        })
      )
      expect(found.body.entities.map((e: { id: string }) => e.id)).toEqual([created.body.id])
      const bad = await s2.tm
        .postTaskmanagementWorkitems({
          name: "HD-8",
          typeId: setup.worktypeId,
          customFields: { no_such_field_text: "x" } as never
        })
        .then(
          () => 200,
          (e: { status?: number }) => e.status
        )
      expect(bad).toBe(400)
      // One admin role, not one per start.
      expect([...second.state.roles.values()].filter((r) => r.name === "Workbridge emulator admin")).toHaveLength(1)
    } finally {
      await second.close()
    }
  })

  it("refuses a file it cannot use, naming it, and leaves it as it was", async () => {
    const file = path.join(dir, "broken.json")
    fs.writeFileSync(file, "{ not json")
    await expect(startEmulator({ stateFile: file })).rejects.toThrow(`cannot use the emulator state file ${file}`)
    expect(fs.readFileSync(file, "utf8")).toBe("{ not json")
  })

  it("without a state file, nothing is written", async () => {
    const before = fs.readdirSync(dir).sort()
    const emu = await startEmulator()
    const s = await login(emu.url, emu.adminClientId, emu.adminClientSecret)
    await setupWorktype(s)
    await emu.close()
    expect(fs.readdirSync(dir).sort()).toEqual(before)
  })
})
