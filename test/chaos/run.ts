/**
 * `pnpm test:chaos`: the storm under emulator faults and repeated SIGKILLs of the service; exits 1 on any invariant
 * violation, 2 on a bad command line. `--help` lists the size flags.
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
  { name: "retry-after", description: "Retry-After seconds of the injected 429 bursts", default: 2, min: 0, max: 60 },
  {
    name: "drop-webhooks",
    description: "share of webhooks the helpdesk emulators drop: runs the helpdesk chaos instead (five helpdesks send the webhooks, then one reconciliation pass)",
    default: 0,
    min: 0,
    max: 1
  }
]

const main = async (): Promise<number> => {
  let flags
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
    process.stdout.write(`${usage("pnpm test:chaos", "Storm the service under Genesys faults and kill -9 restarts, then check the four invariants.", FLAGS)}\n`)
    return 0
  }
  if ((flags["events"] as number) < (flags["tickets"] as number)) {
    process.stderr.write("test:chaos: --events must be at least --tickets\n")
    return 2
  }
  const resultsDir = fileURLToPath(new URL("../../bench/results/", import.meta.url))
  mkdirSync(resultsDir, { recursive: true })
  const started = Date.now()
  const stamp = () => `[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s]`
  if ((flags["drop-webhooks"] as number) > 0) {
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
  const result = await runChaos({
    tickets: flags["tickets"] as number,
    events: flags["events"] as number,
    kills: flags["kills"] as number,
    seed: flags["seed"] as number,
    budgetPerMinute: flags["budget"] as number,
    concurrency: flags["concurrency"] as number,
    errorShare: flags["errors"] as number,
    hangShare: flags["timeouts"] as number,
    retryAfterSeconds: flags["retry-after"] as number,
    logFile: `${resultsDir}chaos-service.log`,
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
  return result.report.ok ? 0 : 1
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`test:chaos: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
    process.exit(1)
  }
)
