/**
 * Three replicas under the storm while every replica's RabbitMQ connections (its own vhost, closed by the
 * broker) and Redis connections (`CLIENT KILL`) are cut mid-run: no event lost, no duplicate workitem, revisions
 * newest — the four invariants, checked by the storm's checker.
 */
import { describe, expect, it } from "vitest"
import { formatReport } from "../src/index.js"
import { runDistributedStorm } from "./replicas.js"

describe("distributed storm with connection cuts", () => {
  it("RabbitMQ and Redis connections of all replicas cut mid-run: the invariants hold", async () => {
    const lines: Array<string> = []
    const run = await runDistributedStorm({
      tickets: 30,
      events: 90,
      replicas: 3,
      budgetPerMinute: 600,
      kills: 1,
      cutConnections: true,
      log: (l) => lines.push(l)
    })
    const context = `${formatReport(run.report)}\n${lines.join("\n")}`
    expect(run.kills, context).toBe(1)
    // Cuts, not kills: nobody was restarted, and each replica's Redis connection was cut.
    expect(run.starts, context).toBe(3)
    expect(run.redisClientsKilled, context).toBe(3)
    expect(run.report.violations, context).toEqual([])
    expect(run.report.ok, context).toBe(true)
    expect(run.report.workitems, context).toBe(30)
  }, 300_000)
})
