/**
 * `pnpm test:chaos`: the storm under emulator faults and repeated SIGKILLs of the service; exits 1 on any invariant
 * violation, 2 on a bad command line. `--help` lists the size flags. `--soak N` runs seeds `--seed` … `--seed`+N−1
 * one after another at the same size, reports each, and exits 1 when any of them failed. `--two-way` runs the
 * two-way chaos instead (test/chaos/twoWay.ts): humans in five helpdesks and agents in Genesys at once.
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { type FlagSpec, FlagError, parseFlags, usage } from "../src/flags.js"
import { formatReport } from "../src/checker.js"
import { runChaos } from "./chaos.js"
import { formatHelpdeskReport, runHelpdeskChaos } from "./helpdesks.js"
import { formatTwoWayReport, runTwoWayChaos } from "./twoWay.js"

const FLAGS: ReadonlyArray<FlagSpec> = [
  { name: "tickets", description: "tickets in the storm", default: 200, min: 1 },
  { name: "events", description: "distinct events (≥ tickets); duplicates come on top", default: 2000, min: 1 },
  { name: "kills", description: "kill -9 + restart of the service during the run", default: 3, min: 0, max: 50 },
  { name: "seed", description: "seed of the storm and of the emulator's faults", default: 1, min: 0 },
  { name: "budget", description: "Genesys budget per minute (service and emulator)", default: 6000, min: 60 },
  { name: "concurrency", description: "webhook requests in flight", default: 16, min: 1, max: 512 },
  { name: "errors", description: "share of Genesys calls answered 5xx", default: 0.05, min: 0, max: 0.5 },
  { name: "timeouts", description: "share of Genesys calls never answered", default: 0.02, min: 0, max: 0.5 },
  {
    name: "lost",
    description: "share of Genesys calls that take effect but are never answered",
    default: 0.01,
    min: 0,
    max: 0.5
  },
  { name: "retry-after", description: "Retry-After seconds of the injected 429 bursts", default: 2, min: 0, max: 60 },
  {
    name: "soak",
    description: "run this many seeds in a row (from --seed) at this size, one report per seed; 0: one run",
    default: 0,
    min: 0,
    max: 1000
  },
  {
    name: "drop-webhooks",
    description:
      "share of webhooks the helpdesk emulators drop: runs the helpdesk chaos instead (five helpdesks send the webhooks, then one reconciliation pass)",
    default: 0,
    min: 0,
    max: 1
  },
  {
    name: "two-way",
    description:
      "run the two-way chaos instead: humans change tickets in five helpdesks while agents close and reopen their workitems (uses --tickets, --kills, --seed, --concurrency and the flags below)",
    default: false
  },
  { name: "helpdesk-changes", description: "two-way: human changes per ticket after its creation", default: 3, min: 0 },
  { name: "agent-changes", description: "two-way: agent closes / reopens per ticket", default: 2, min: 0 },
  {
    name: "duplicates",
    description: "two-way: share of human changes followed by a repeat of an earlier webhook",
    default: 0.2,
    min: 0,
    max: 1
  },
  {
    name: "pace-ms",
    description: "two-way: mean pause before each change, per concurrent human or agent",
    default: 400,
    min: 0,
    max: 60_000
  },
  {
    name: "burst-ms",
    description: "two-way: how long the helpdesks answer 429 to every read (from 40 % of the changes); 0: none",
    default: 8000,
    min: 0,
    max: 600_000
  }
]

const main = async (): Promise<number> => {
  let flags: ReturnType<typeof parseFlags>
  try {
    flags = parseFlags(process.argv.slice(2), FLAGS)
  } catch (e) {
    if (e instanceof FlagError) {
      process.stderr.write(`test:chaos: ${e.message}\n`)
      return 2
    }
    throw e
  }
  if (flags === undefined) {
    process.stdout.write(
      `${usage("pnpm test:chaos", "Storm the service under Genesys faults and kill -9 restarts, then check the four invariants.", FLAGS)}\n`
    )
    return 0
  }
  if ((flags["events"] as number) < (flags["tickets"] as number)) {
    process.stderr.write("test:chaos: --events must be at least --tickets\n")
    return 2
  }
  const resultsDir = fileURLToPath(new URL("../../bench/results/", import.meta.url))
  mkdirSync(resultsDir, { recursive: true })
  if (flags["two-way"] === true) {
    const soak = flags["soak"] as number
    const first = flags["seed"] as number
    const seeds = soak === 0 ? [first] : Array.from({ length: soak }, (_, i) => first + i)
    const results: Array<{ seed: number; ok: boolean; line: string }> = []
    for (const seed of seeds) {
      const started = Date.now()
      const stamp = () => `[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s]`
      const report = await runTwoWayChaos({
        tickets: flags["tickets"] as number,
        helpdeskChanges: flags["helpdesk-changes"] as number,
        agentChanges: flags["agent-changes"] as number,
        kills: flags["kills"] as number,
        duplicateShare: flags["duplicates"] as number,
        concurrency: flags["concurrency"] as number,
        burstMs: flags["burst-ms"] as number,
        paceMs: flags["pace-ms"] as number,
        seed,
        logFile:
          soak === 0 ? `${resultsDir}chaos-two-way-service.log` : `${resultsDir}chaos-two-way-service-seed-${seed}.log`,
        log: (line) => process.stdout.write(`${stamp()} ${line}\n`)
      })
      const file = `${resultsDir}chaos-two-way-${new Date().toISOString().replace(/[:.]/g, "-")}.json`
      writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`)
      process.stdout.write(`${formatTwoWayReport(report)}\n  report ${file}\n`)
      results.push({
        seed,
        ok: report.ok,
        line: `writes Genesys ${report.writes.genesys}/${report.writes.genesysBound}, helpdesks ${report.writes.helpdesk}/${report.writes.helpdeskBound} · ${report.kills} kills · lost ${report.lost} · disagreements ${report.disagreements} · ${report.seconds.toFixed(0)} s`
      })
    }
    if (soak > 0)
      for (const r of results)
        process.stdout.write(`  seed ${String(r.seed).padStart(4)}  ${r.ok ? "ok      " : "VIOLATED"}  ${r.line}\n`)
    return results.every((r) => r.ok) ? 0 : 1
  }
  if ((flags["drop-webhooks"] as number) > 0) {
    const started = Date.now()
    const stamp = () => `[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s]`
    const report = await runHelpdeskChaos({
      tickets: flags["tickets"] as number,
      dropShare: flags["drop-webhooks"] as number,
      seed: flags["seed"] as number,
      budgetPerMinute: flags["budget"] as number,
      logFile: `${resultsDir}chaos-helpdesks-service.log`,
      log: (line) => process.stdout.write(`${stamp()} ${line}\n`)
    })
    const file = `${resultsDir}chaos-helpdesks-${new Date().toISOString().replace(/[:.]/g, "-")}.json`
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`)
    process.stdout.write(`${formatHelpdeskReport(report)}\n  report ${file}\n`)
    return report.ok ? 0 : 1
  }
  const soak = flags["soak"] as number
  const first = flags["seed"] as number
  const seeds = soak === 0 ? [first] : Array.from({ length: soak }, (_, i) => first + i)
  const rows: Array<{ seed: number; ok: boolean; seconds: number; summary: string }> = []
  for (const seed of seeds) {
    if (soak > 0) process.stdout.write(`\n== seed ${seed} (${rows.length + 1}/${seeds.length}) ==\n`)
    const started = Date.now()
    const stamp = () => `[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s]`
    const result = await runChaos({
      tickets: flags["tickets"] as number,
      events: flags["events"] as number,
      kills: flags["kills"] as number,
      seed,
      budgetPerMinute: flags["budget"] as number,
      concurrency: flags["concurrency"] as number,
      errorShare: flags["errors"] as number,
      hangShare: flags["timeouts"] as number,
      lostShare: flags["lost"] as number,
      retryAfterSeconds: flags["retry-after"] as number,
      // A soak keeps every seed's service log (a failing seed's is the one to read).
      logFile: soak === 0 ? `${resultsDir}chaos-service.log` : `${resultsDir}chaos-service-seed-${seed}.log`,
      log: (line) => process.stdout.write(`${stamp()} ${line}\n`)
    })
    const file = `${resultsDir}chaos-${new Date().toISOString().replace(/[:.]/g, "-")}.json`
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`)
    process.stdout.write(`${formatReport(result.report)}\n`)
    if (result.budget !== undefined) {
      const b = result.budget
      process.stdout.write(
        `  budget ${b.budgetPerMinute}/min · at most ${b.maxCallsPerMinute} calls in one minute · 429s: ${b.natural429} from the rate limit, ${b.injected429} injected\n`
      )
    }
    process.stdout.write(
      `  ${result.kills} kill -9 restarts · ${result.send.retries} webhook retries · drained in ${(result.drainMs / 1000).toFixed(1)} s · report ${file}\n`
    )
    const seconds = (Date.now() - started) / 1000
    const c = result.report.counts
    rows.push({
      seed,
      ok: result.report.ok,
      seconds,
      summary: `${result.report.workitems} workitems · violations: one workitem ${c["one-workitem"]}, newest revision ${c["newest-revision"]}, nothing lost ${c["nothing-lost"]}, budget ${c["budget"]} · ${result.kills} kills`
    })
  }
  if (soak > 0) {
    process.stdout.write(
      `\nsoak: ${seeds.length} seeds at ${String(flags["tickets"])} tickets, ${String(flags["events"])} events, ${String(flags["kills"])} kills\n`
    )
    for (const r of rows)
      process.stdout.write(
        `  seed ${String(r.seed).padStart(4)}  ${r.ok ? "ok      " : "VIOLATED"}  ${r.seconds.toFixed(0).padStart(5)} s  ${r.summary}\n`
      )
    const failed = rows.filter((r) => !r.ok).map((r) => r.seed)
    const total = rows.reduce((a, r) => a + r.seconds, 0)
    process.stdout.write(
      `  ${rows.length - failed.length}/${rows.length} seeds passed in ${(total / 60).toFixed(1)} min${failed.length > 0 ? ` · failed: ${failed.join(", ")}` : ""}\n`
    )
  }
  return rows.every((r) => r.ok) ? 0 : 1
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`test:chaos: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
    process.exit(1)
  }
)
