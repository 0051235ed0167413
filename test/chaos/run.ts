/**
 * `pnpm test:chaos`: the storm under emulator faults and repeated SIGKILLs of the service; exits 1 on any invariant
 * violation, 2 on a bad command line. `--help` lists the size flags. `--soak N` runs seeds `--seed` … `--seed`+N−1
 * one after another at the same size, reports each, and exits 1 when any of them failed.
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { type FlagSpec, FlagError, parseFlags, usage } from "../src/flags.js"
import { formatReport } from "../src/checker.js"
import { runChaos } from "./chaos.js"
import { formatHelpdeskReport, runHelpdeskChaos } from "./helpdesks.js"

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
