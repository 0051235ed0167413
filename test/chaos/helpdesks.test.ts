import { describe, expect, it } from "vitest"
import { formatHelpdeskReport, runHelpdeskChaos } from "./helpdesks.js"

// A small helpdesk chaos run: the five helpdesk emulators send the webhooks (a third dropped), then one
// reconciliation pass per source. It asserts the invariants only (no timing).
describe("helpdesk chaos (small)", () => {
  it("ends with every ticket at its newest revision and one workitem each after one reconciliation pass", async () => {
    const r = await runHelpdeskChaos({
      tickets: 20,
      changesPerTicket: 2,
      dropShare: 0.3,
      seed: 5,
      budgetPerMinute: 30_000
    })
    expect(r.webhooks.dropped).toBeGreaterThan(0)
    expect(r.staleBeforePass).toBeGreaterThan(0)
    expect(r.violations, formatHelpdeskReport(r)).toEqual([])
    expect(r.repaired).toBe(r.staleBeforePass)
  }, 300_000)
})
