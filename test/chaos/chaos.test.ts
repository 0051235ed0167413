import { describe, expect, it } from "vitest"
import { formatReport } from "../src/checker.js"
import { runChaos } from "./chaos.js"

// A small chaos run: the same storm, faults and SIGKILL restart as `pnpm test:chaos`, at a size that fits `pnpm test`.
// It asserts the invariants only (no timing).
describe("chaos (small)", () => {
  it("keeps the four invariants through 5xx, timeouts, 429 bursts, latency and a kill -9 restart", async () => {
    const result = await runChaos({
      tickets: 15,
      events: 90,
      kills: 1,
      seed: 42,
      budgetPerMinute: 30_000,
      concurrency: 8,
      retryAfterSeconds: 1,
      genesysTimeoutMs: 1500
    })
    expect(result.kills).toBe(1)
    expect(result.send.accepted).toBe(result.storm.deliveries)
    expect(result.report.tickets).toBe(15)
    expect(result.report.violations, formatReport(result.report)).toEqual([])
    expect(result.report.ok).toBe(true)
  }, 300_000)
})
