import { describe, expect, it } from "vitest"
import { formatTwoWayReport, runTwoWayChaos } from "./twoWay.js"

// A small two-way chaos run: humans in the five helpdesk emulators and agents in the Genesys emulator at once, with
// duplicate webhooks, one kill -9 restart and a helpdesk 429 burst. It asserts the invariants and every per-ticket
// check, the ownership ones ("the newest status change wins") included (no timing).
describe("two-way chaos (small)", () => {
  it("keeps one workitem per ticket, the newest status change on both sides, loses no change and bounds the writes", async () => {
    const r = await runTwoWayChaos({
      tickets: 10,
      helpdeskChanges: 2,
      agentChanges: 2,
      kills: 1,
      duplicateShare: 0.3,
      concurrency: 4,
      paceMs: 300,
      burstMs: 2000,
      seed: 7
    })
    const report = formatTwoWayReport(r)
    expect(r.kills, report).toBe(1)
    expect(r.changes.agent, report).toBe(20)
    expect(r.webhooks.duplicates, report).toBeGreaterThan(0)
    expect(r.workflows.failed, report).toBe(0)
    expect(r.burst.refused, report).toBeGreaterThan(0)
    expect(r.writes.genesys, report).toBeLessThanOrEqual(r.writes.genesysBound)
    expect(r.writes.helpdesk, report).toBeLessThanOrEqual(r.writes.helpdeskBound)
    expect(r.violations, report).toEqual([])
  }, 120_000)
})
