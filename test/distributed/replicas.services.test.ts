/**
 * Three replicas on RabbitMQ + Redis under the chaos storm, one killed with SIGKILL mid-run: the four invariants
 * hold and the replicas together stay within the shared budget (at most one burst above it in any minute).
 */
import { describe, expect, it } from "vitest"
import { formatReport } from "../src/index.js"
import { runDistributedStorm } from "./replicas.js"

describe("distributed storm", () => {
  it("3 replicas, one killed with kill -9: one workitem per ticket, newest revisions, nothing lost, one budget", async () => {
    const lines: Array<string> = []
    const run = await runDistributedStorm({ tickets: 30, events: 90, replicas: 3, budgetPerMinute: 300, kills: 1, retryAfterSeconds: 2, log: (l) => lines.push(l) })
    const context = `${formatReport(run.report)}\n${lines.join("\n")}`
    expect(run.kills, context).toBe(1)
    expect(run.starts, context).toBe(4)
    expect(run.report.violations, context).toEqual([])
    expect(run.report.ok, context).toBe(true)
    expect(run.report.tickets).toBe(30)
    expect(run.report.workitems).toBe(30)
    expect(run.budget, context).toBeDefined()
    // runStorm counts more calls in a minute than budget + burst as a violation; check the figure too.
    expect(run.budget!.maxCallsPerMinute, context).toBeLessThanOrEqual(300 + 5)
    expect(run.budget!.natural429, context).toBe(0)
  }, 300_000)
})
