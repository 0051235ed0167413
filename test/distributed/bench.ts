/**
 * The distributed storm's bench figures: Genesys calls per ticket and budget utilization of N replicas on
 * RabbitMQ + Redis, as rows of the bench table (`BenchRow`), to sit next to the embedded default's figures.
 *
 *   node --import tsx test/distributed/bench.ts [--tickets 1000] [--events 10000] [--budget 3000] [--replicas 3] [--kills 1]
 *
 * prints the table and, as its last line, the rows as JSON (`distributedBenchRows` returns the same rows).
 */
import { type BenchRow, formatTable } from "../bench/table.js"
import { type DistributedStormOptions, formatBreakdown, runDistributedStorm } from "./replicas.js"

const fmt = (n: number, digits = 2) => n.toFixed(digits)

export const distributedBenchRows = async (options: DistributedStormOptions): Promise<Array<BenchRow>> => {
  const run = await runDistributedStorm(options)
  const calls = run.report.calls
  const b = run.budget
  const conditions = `${run.replicas} replicas on RabbitMQ + Redis (${run.partitions} partitions), ${options.events} events (${run.deliveries} deliveries with duplicates) over ${options.tickets} tickets, shared budget ${options.budgetPerMinute ?? 300}/min, ${run.kills} replica killed with kill -9; invariants ${run.report.ok ? "held" : `VIOLATED (${run.report.violations.length})`}`
  const rows: Array<BenchRow> = []
  if (calls !== undefined) {
    rows.push({
      id: "distributed-storm-efficiency",
      figure: "Genesys calls per ticket (distributed storm)",
      measured: fmt(calls.perTicket),
      goal: "≤ 1.5",
      met: calls.perTicket <= 1.5 && run.report.ok,
      note: `${conditions}; ${calls.api} API calls (+${calls.token} token); all the replicas' calls since their first start (start-up checks included) ${formatBreakdown(run.breakdown)}`,
      data: {
        calls,
        breakdown: run.breakdown,
        report: {
          ok: run.report.ok,
          counts: run.report.counts,
          tickets: run.report.tickets,
          workitems: run.report.workitems
        }
      }
    })
  }
  if (b !== undefined) {
    const share = calls === undefined || calls.api === 0 ? 0 : b.natural429 / calls.api
    rows.push({
      id: "distributed-budget-utilization",
      figure: "budget utilization while draining; 429 share (distributed)",
      measured: `${fmt(b.utilization)}; ${fmt(share * 100)} %; max ${b.maxCallsPerMinute} calls/min`,
      goal: "≥ 0.87; ≤ 1 %; ≤ budget + burst",
      met: b.utilization >= 0.87 && share <= 0.01 && run.report.counts.budget === 0,
      note: `${conditions}; ${b.callsInDrain} calls in ${fmt(run.drainMs / 1000, 1)} s`,
      data: { budget: b, drainMs: run.drainMs, sendMs: run.sendMs }
    })
  }
  return rows
}

const flag = (args: ReadonlyArray<string>, name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`)
  if (i < 0) return fallback
  const v = Number(args[i + 1])
  if (!Number.isInteger(v) || v < 0) throw new Error(`--${name} must be a non-negative integer, got "${args[i + 1]}"`)
  return v
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const args = process.argv.slice(2)
  try {
    const rows = await distributedBenchRows({
      tickets: flag(args, "tickets", 1000),
      events: flag(args, "events", 10000),
      budgetPerMinute: flag(args, "budget", 3000),
      replicas: flag(args, "replicas", 3),
      kills: flag(args, "kills", 1),
      log: (line) => process.stderr.write(`${line}\n`)
    })
    process.stdout.write(`${formatTable(rows)}\n${JSON.stringify(rows)}\n`)
    process.exit(0)
  } catch (e) {
    process.stderr.write(`distributed bench: ${e instanceof Error ? e.message : String(e)}\n`)
    process.exit(1)
  }
}
