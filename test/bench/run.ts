/**
 * `pnpm bench`: measures, in one run, the figures of docs/benchmarks.md and prints them as one table; the
 * table and the raw numbers also go to `bench/results/bench-<time>.json`. `--help` lists the size flags.
 */
import { execFileSync, spawn } from "node:child_process"
import { mkdirSync, writeFileSync } from "node:fs"
import { connect } from "node:net"
import { availableParallelism, cpus, loadavg, totalmem } from "node:os"
import { resolve } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { type FlagSpec, FlagError, type Flags, parseFlags, usage } from "../src/flags.js"
import { statusIds, openSession } from "../src/genesys.js"
import { generateStorm, type Storm } from "../src/storm.js"
import { runStorm, waitForDrain } from "../src/runStorm.js"
import { singleQueueNote } from "../src/singleQueue.js"
import { sendDeliveries } from "../src/send.js"
import { REPO_ROOT } from "../src/serviceProcess.js"
import { startStack, stormTarget } from "../src/stack.js"
import type { LoadResult, LoadSpec } from "./loadgen.js"
import { backfillBenchRows } from "./backfill.js"
import { runNaive } from "./naive.js"
import { SectionError, SECTIONS, type Section, selectSections } from "./sections.js"
import { DATA_ACTION_BASIC_AUTH } from "./servers.js"
import { type BenchRow, formatSpread, formatTable, markdownTable, type Spread, spreadOf } from "./table.js"
import { provisionForService } from "@workbridge/infra"
import { sign } from "@workbridge/adapters"
import { buildService } from "../../service/build.js"

const FLAGS: ReadonlyArray<FlagSpec> = [
  { name: "tickets", description: "tickets of the efficiency storm", default: 1000, min: 1 },
  { name: "events", description: "events of the efficiency storm", default: 10000, min: 1 },
  {
    name: "budget",
    description:
      "Genesys budget per minute of the efficiency storm (service and emulator); low enough that the storm arrives faster than it drains",
    default: 1200,
    min: 60
  },
  {
    name: "prefetch",
    description: "WORKBRIDGE_PREFETCH of the distributed replicas (empty: the service's default)",
    default: ""
  },
  {
    name: "coalesce-ms",
    description:
      "WORKBRIDGE_COALESCE_MS of the service in figures 1-2 and of the distributed replicas (empty: the service's default)",
    default: ""
  },
  { name: "rss-events", description: "events of the memory storm (0 skips figure 5)", default: 100000, min: 0 },
  { name: "rss-tickets", description: "tickets of the memory storm", default: 10000, min: 1 },
  { name: "rss-budget", description: "Genesys budget per minute during the memory storm", default: 60000, min: 60 },
  {
    name: "rss-drain-seconds",
    description: "how long the memory storm may drain after the last delivery",
    default: 120,
    min: 0
  },
  { name: "duration", description: "seconds of each load-generator round (figures 3-4)", default: 3, min: 1, max: 600 },
  {
    name: "rounds",
    description: "interleaved rounds of each side (service, baseline, service, baseline …) for figures 3-4",
    default: 9,
    min: 5,
    max: 100
  },
  {
    name: "warmup",
    description: "seconds of the warm-up round of each side before the measured rounds (figures 3-4)",
    default: 2,
    min: 1,
    max: 600
  },
  {
    name: "connections",
    description: "load-generator connections for throughput runs",
    default: 32,
    min: 1,
    max: 1000
  },
  {
    name: "ingest-rate",
    description: "webhook rate (req/s, sent evenly) for the latency figure",
    default: 1000,
    min: 1
  },
  {
    name: "data-action-rate",
    description: "Data Action rate (req/s, sent evenly) for its latency",
    default: 500,
    min: 1
  },
  {
    name: "concurrency",
    description: "webhook requests in flight while sending storms",
    default: 32,
    min: 1,
    max: 512
  },
  { name: "seed", description: "storm seed", default: 1, min: 0 },
  {
    name: "lag-seconds",
    description: "seconds of steady webhooks for the sync-lag figure",
    default: 30,
    min: 1,
    max: 3600
  },
  {
    name: "lag-rate",
    description:
      "events per second of the sync-lag figure (steady; half new tickets, half updates of tickets created 3 s before)",
    default: 10,
    min: 1,
    max: 1000
  },
  {
    name: "lag-budget",
    description: "Genesys budget per minute during the sync-lag figure (well above the offered rate)",
    default: 1200,
    min: 60
  },
  {
    name: "pin",
    description:
      "figures 3-4: on runs each server under test on CPU 0 and each load-generator round on CPU 1 (taskset), when the machine has 2 CPUs or more and taskset; off leaves placement to the scheduler",
    default: "on"
  },
  {
    name: "service",
    description:
      "which service the stacks run: dist (the production build, built by the bench first) or tsx (the sources)",
    default: "dist"
  },
  {
    name: "backfill-tickets",
    description: "new Zendesk tickets of the backfill call-count run and the reconciliation pass after it",
    default: 1000,
    min: 1
  },
  {
    name: "backfill-lag-tickets",
    description: "new Zendesk tickets of the backfill the live webhooks are sent during",
    default: 10000,
    min: 1
  },
  {
    name: "backfill-webhook-every",
    description: "seconds between two live webhooks during that backfill",
    default: 3,
    min: 0.1,
    max: 600
  },
  {
    name: "backfill-budget",
    description: "Genesys budget per minute of the backfill runs (service and emulator; Genesys's default rate limit)",
    default: 300,
    min: 60
  },
  {
    name: "only",
    description: `comma-separated sections to run, the others left out (${SECTIONS.join(", ")}); empty: all`,
    default: ""
  },
  { name: "skip", description: `comma-separated sections to leave out (${SECTIONS.join(", ")})`, default: "" },
  {
    name: "distributed",
    description:
      "the distributed storm (3 replicas on RabbitMQ + Redis, same size and budget as figures 1-2) as extra rows: auto (when 127.0.0.1:5672 and :6379 answer), on, off",
    default: "auto"
  },
  {
    name: "extra",
    description: "comma-separated modules exporting benchRows(say) → BenchRow[] (extra rows, e.g. a distributed run)",
    default: ""
  }
]

/** Whether a TCP port on 127.0.0.1 accepts a connection within a second. */
const reachable = (port: number): Promise<boolean> =>
  new Promise((done) => {
    const socket = connect({ host: "127.0.0.1", port, timeout: 1000 })
    const finish = (ok: boolean) => {
      socket.destroy()
      done(ok)
    }
    socket.once("connect", () => finish(true))
    socket.once("error", () => finish(false))
    socket.once("timeout", () => finish(false))
  })

const LOADGEN = fileURLToPath(new URL("./loadgen.ts", import.meta.url))
const SERVERS = fileURLToPath(new URL("./servers.ts", import.meta.url))
const RESULTS = fileURLToPath(new URL("../../bench/results/", import.meta.url))

const started = Date.now()
const say = (line: string) =>
  process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}\n`)

/** Run the load generator in its own process. */
/**
 * The latency rounds' settings: `rate` requests a second sent evenly over `connections` (open loop), each round after
 * an unmeasured warm-up second; `described` says so in a note.
 */
const evenly = (rate: number, connections: number) => ({
  round: (durationSeconds: number) =>
    ({ connections, durationSeconds, overallRate: rate, paced: true, warmupSeconds: 1 }) as const,
  described: `open loop, ${connections} connections, each round after a warm-up second`
})

/**
 * Figures 3 and 4 on two CPUs: the server under test (the service, the echo, the Data Action server) on CPU 0, each
 * load-generator round on CPU 1. Left to the scheduler, which of them shared a core with which moved from round to
 * round and run to run, and with it the ratio (two runs 0.22× apart, "Latest figures" in docs/benchmarks.md).
 * `undefined`: not pinned (`--pin off`, fewer than 2 CPUs, or no `taskset`).
 */
let pinned: { readonly server: string; readonly generator: string } | undefined

const canPin = (): boolean => {
  if (availableParallelism() < 2) return false
  try {
    execFileSync("taskset", ["-p", String(process.pid)], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
}

/** Put every thread of `pid` on the server's CPU (no-op unless pinning); a process it starts later inherits it. */
const pinServer = (pid: number | undefined): void => {
  if (pinned === undefined || pid === undefined) return
  execFileSync("taskset", ["-a", "-cp", pinned.server, String(pid)], { stdio: "ignore" })
}

/** How figures 3 and 4 placed their processes, for their notes. */
const placement = () =>
  pinned === undefined
    ? "server and load generator placed by the scheduler"
    : `server on CPU ${pinned.server}, load generator on CPU ${pinned.generator} (taskset)`

const load = (spec: LoadSpec): Promise<LoadResult> =>
  new Promise((resolve, reject) => {
    const args = ["--import", "tsx", LOADGEN, JSON.stringify(spec)]
    const c = spawn(
      pinned === undefined ? process.execPath : "taskset",
      pinned === undefined ? args : ["-c", pinned.generator, process.execPath, ...args],
      {
        cwd: REPO_ROOT,
        stdio: ["ignore", "pipe", "pipe"]
      }
    )
    let out = ""
    let err = ""
    c.stdout.on("data", (d: Buffer) => (out += d.toString()))
    c.stderr.on("data", (d: Buffer) => (err += d.toString()))
    c.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`load generator failed (${code}): ${err.slice(-2000)}`))
      try {
        resolve(JSON.parse(out.trim().split("\n").pop() ?? "") as LoadResult)
      } catch {
        reject(new Error(`load generator printed no result: ${out.slice(-500)} ${err.slice(-500)}`))
      }
    })
  })

/** Start one of the comparison servers in its own process. */
const server = (mode: "echo" | "data-actions"): Promise<{ url: string; stop: () => Promise<void> }> =>
  new Promise((resolve, reject) => {
    const c = spawn(process.execPath, ["--import", "tsx", SERVERS, mode], {
      cwd: REPO_ROOT,
      stdio: ["ignore", "pipe", "pipe"]
    })
    let out = ""
    let listening = false
    c.stdout.on("data", (d: Buffer) => {
      out += d.toString()
      const m = listening ? null : /listening on (http:\/\/\S+)/.exec(out)
      if (m !== null) {
        // Once: later output (the server's own lines during the rounds) must not run taskset again.
        listening = true
        pinServer(c.pid)
        resolve({
          url: m[1]!,
          stop: () =>
            new Promise<void>((r) => {
              c.once("exit", () => r())
              c.kill("SIGTERM")
            })
        })
      }
    })
    c.stderr.on("data", (d: Buffer) => (out += d.toString()))
    c.on("exit", (code) => reject(new Error(`${mode} server exited (${code}): ${out.slice(-1000)}`)))
  })

/** Whether the stacks run the production build (`--service dist`, the default) or the sources (`--service tsx`). */
let compiled = true
const serviceName = () =>
  compiled ? "the production build (node service/dist/main.js)" : "the sources (node --import tsx service/src/main.ts)"

const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : "n/a")
const mb = (bytes: number | undefined) => (bytes === undefined ? "n/a" : `${(bytes / 1024 / 1024).toFixed(0)} MB`)

interface Figures {
  rows: Array<BenchRow>
}

/** Figures 1 and 2: the storm through Workbridge, and the same storm through the naive baseline. */
const stormFigures = async (flags: Record<string, number | string | boolean>, figures: Figures, skip: Set<string>) => {
  const budget = flags["budget"] as number
  const storm = generateStorm({
    tickets: flags["tickets"] as number,
    events: flags["events"] as number,
    seed: flags["seed"] as number,
    prefix: `b${flags["seed"]}-`
  })
  say(
    `efficiency storm: ${storm.stats.tickets} tickets, ${storm.stats.events} events, ${storm.stats.deliveries} deliveries; budget ${budget}/min`
  )
  const coalesce = String(flags["coalesce-ms"])
  const stack = await startStack({
    compiled,
    rateLimitPerMinute: budget,
    budgetPerMinute: budget,
    webhookEnv: storm.serviceEnv,
    namePrefix: "Bench",
    log: say,
    ...(coalesce === "" ? {} : { serviceEnv: { WORKBRIDGE_COALESCE_MS: coalesce } })
  })
  try {
    const run = await runStorm({
      storm,
      target: stormTarget(stack),
      concurrency: flags["concurrency"] as number,
      log: say
    })
    const calls = run.report.calls!
    say(
      `workbridge: ${calls.api} calls for ${storm.stats.tickets} tickets; invariants ${run.report.ok ? "hold" : "VIOLATED"}`
    )

    // The naive baseline on the same emulator, its own worktype; the rate limit is lifted (its call count does not depend on it).
    stack.emulator.configure({ rateLimitPerMinute: 1_000_000, workitemUpdatesPerMinute: 1_000_000 })
    const naiveSide = await provisionForService(
      {
        gatewayUrl: stack.emulator.url,
        clientId: stack.emulator.adminClientId,
        clientSecret: stack.emulator.adminClientSecret
      },
      { namePrefix: "Naive" }
    )
    const naiveSession = await openSession(stack.reader)
    const ctx = { typeId: naiveSide.worktypeId, statusIds: await statusIds(naiveSession, naiveSide.worktypeId) }
    const events = storm.deliveries.filter((d) => d.copy === "original")
    say(`naive baseline: ${events.length} events, query then POST/PATCH each`)
    const naive = await runNaive({
      reader: stack.reader,
      ctx,
      deliveries: events,
      onProgress: (d, t) => say(`naive ${d}/${t}`)
    })
    const ratio = naive.perTicket / calls.perTicket
    if (!skip.has("1")) {
      figures.rows.push({
        id: "storm-efficiency",
        figure: "Genesys calls per ticket (storm)",
        measured: `${fmt(calls.perTicket)} (naive ${fmt(naive.perTicket)}, ${fmt(ratio, 1)}× fewer)`,
        goal: "≤ 1.5",
        met: calls.perTicket <= 1.5 && run.report.ok,
        note: `${storm.stats.events} events (${storm.stats.deliveries} deliveries with duplicates) over ${storm.stats.tickets} tickets arriving in ${fmt(run.sendMs / 1000, 1)} s (${fmt(storm.stats.deliveries / (run.sendMs / 1000), 0)} deliveries/s against a budget of ${fmt(budget / 60, 0)} calls/s), budget ${budget}/min on service and emulator, coalescing window ${coalesce === "" ? "the service's default" : `${coalesce} ms`}; ${calls.api} API calls (+${calls.token} token)${singleQueueNote(run.singleQueue, storm.stats.tickets)}; naive: ${naive.calls} calls (${naive.refused} refused); invariants ${run.report.ok ? "held" : `VIOLATED (${run.report.violations.length})`}`,
        data: {
          calls,
          naive,
          invariantsOk: run.report.ok,
          violations: run.report.violations.slice(0, 20),
          send: run.send,
          byRoute: calls.byRoute
        }
      })
    }
    if (!skip.has("2") && run.budget !== undefined) {
      const b = run.budget
      const share = calls.api === 0 ? 0 : calls.rateLimited / calls.api
      figures.rows.push({
        id: "budget-utilization",
        figure: "budget utilization while draining; 429 share",
        measured: `${fmt(b.utilization)}; ${fmt(share * 100)} %`,
        goal: "≥ 0.87; ≤ 1 %",
        met: b.utilization >= 0.87 && share <= 0.01,
        note: `${b.callsInDrain} calls in ${fmt(run.drainMs / 1000, 1)} s from the first delivery to an empty inbox at ${budget}/min; at most ${b.maxCallsPerMinute} calls in any minute; ${calls.rateLimited} 429s of ${calls.api} calls`,
        data: { ...b, drainMs: run.drainMs, sendMs: run.sendMs, rateLimitedShare: share }
      })
      // The storm cannot drain faster than its calls at the budget's rate: that is its lower bound.
      const lowerBoundS = calls.api / (budget / 60)
      const drainS = run.drainMs / 1000
      figures.rows.push({
        id: "storm-drain",
        figure: "storm drain time ÷ its lower bound (calls ÷ budget)",
        measured: `${fmt(drainS / lowerBoundS)} (${fmt(drainS, 1)} s vs ${fmt(lowerBoundS, 1)} s)`,
        goal: "–",
        met: undefined,
        note: `from the first delivery to an empty inbox, against ${calls.api} API calls at ${budget}/min (${fmt(budget / 60, 0)} calls/s); the storm took ${fmt(run.sendMs / 1000, 1)} s to arrive`,
        data: { drainMs: run.drainMs, lowerBoundMs: lowerBoundS * 1000, calls: calls.api, budgetPerMinute: budget }
      })
    }
  } finally {
    await stack.close()
  }
}

/**
 * Interleaved rounds: a warm-up of each side, then `rounds` × (the service, then its baseline), each round a fresh
 * load-generator process; the machine's drift hits both sides alike instead of one side's whole run.
 */
const interleaved = async (
  flags: Record<string, number | string | boolean>,
  service: (seconds: number) => Promise<LoadResult>,
  baseline: (seconds: number) => Promise<LoadResult>
): Promise<Array<{ readonly service: LoadResult; readonly baseline: LoadResult }>> => {
  const warmup = flags["warmup"] as number
  const duration = flags["duration"] as number
  await service(warmup)
  await baseline(warmup)
  const out: Array<{ service: LoadResult; baseline: LoadResult }> = []
  for (let i = 0; i < (flags["rounds"] as number); i++)
    out.push({ service: await service(duration), baseline: await baseline(duration) })
  return out
}

/** Median and range of the paired throughput ratios and of each side's throughput; of the latencies below. */
const roundStats = (rounds: ReadonlyArray<{ readonly service: LoadResult; readonly baseline: LoadResult }>) => ({
  ratio: spreadOf(rounds.map((r) => r.service.rps / r.baseline.rps)),
  serviceRps: spreadOf(rounds.map((r) => r.service.rps)),
  baselineRps: spreadOf(rounds.map((r) => r.baseline.rps))
})
const latencyStats = (rounds: ReadonlyArray<{ readonly service: LoadResult; readonly baseline: LoadResult }>) => ({
  p50: spreadOf(rounds.map((r) => r.service.latencyMs.p50)),
  p99: spreadOf(rounds.map((r) => r.service.latencyMs.p99)),
  baselineP99: spreadOf(rounds.map((r) => r.baseline.latencyMs.p99)),
  /** How late the generator sent its requests (its own stalls), over both sides' rounds. */
  sendLagP99: spreadOf(rounds.flatMap((r) => [r.service.sendLagMs?.p99 ?? 0, r.baseline.sendLagMs?.p99 ?? 0])),
  serviceRps: spreadOf(rounds.map((r) => r.service.rps))
})
const range = (s: Spread, digits: number, unit = "") => `${fmt(s.min, digits)}–${fmt(s.max, digits)}${unit}`
const non2xx = (rounds: ReadonlyArray<{ readonly service: LoadResult }>) =>
  rounds.reduce((a, r) => a + r.service.non2xx + r.service.errors, 0)

/** Figure 3: durable webhook ingest vs a bare Express JSON echo. */
const ingestFigure = async (flags: Record<string, number | string | boolean>, figures: Figures) => {
  const secret = "bench-ingest-secret"
  const stack = await startStack({
    compiled,
    rateLimitPerMinute: 300,
    budgetPerMinute: 300,
    // Every round writes new events faster than the budget drains them: the limits leave room for all the rounds, so
    // each answer measured is a durable accept (202), never the full inbox's 503.
    webhookEnv: {
      WEBHOOK_SECRET_GENERIC: secret,
      WORKBRIDGE_INBOX_SOFT_LIMIT: "1000000",
      WORKBRIDGE_INBOX_HARD_LIMIT: "2000000"
    },
    namePrefix: "Ingest",
    log: say
  })
  pinServer(stack.service.pid())
  const echo = await server("echo")
  try {
    const duration = flags["duration"] as number
    const connections = flags["connections"] as number
    const rate = flags["ingest-rate"] as number
    const rounds = flags["rounds"] as number
    const webhook = { body: "generic-webhook", secret } as const
    say(
      `ingest throughput: ${rounds} interleaved rounds of ${connections} connections × ${duration} s, service then echo (after a warm-up of each)`
    )
    const tp = await interleaved(
      flags,
      (s) =>
        load({
          url: stack.service.url,
          path: "/webhooks/generic",
          connections,
          durationSeconds: s,
          ...webhook,
          prefix: "tp"
        }),
      (s) => load({ url: echo.url, path: "/echo", connections, durationSeconds: s, ...webhook, prefix: "tp" })
    )
    say(`ingest latency at ${rate} req/s sent evenly: ${rounds} interleaved rounds`)
    const even = evenly(rate, 20)
    const lat = await interleaved(
      flags,
      (s) => load({ url: stack.service.url, path: "/webhooks/generic", ...even.round(s), ...webhook, prefix: "lat" }),
      (s) => load({ url: echo.url, path: "/echo", ...even.round(s), ...webhook, prefix: "lat" })
    )
    const t = roundStats(tp)
    const l = latencyStats(lat)
    const failed = non2xx(tp) + non2xx(lat)
    figures.rows.push({
      id: "webhook-ingest",
      figure: "durable webhook ingest vs bare Express (median of rounds); p50/p99",
      measured: `${fmt(t.ratio.median)}× (medians ${fmt(t.serviceRps.median, 0)} vs ${fmt(t.baselineRps.median, 0)} req/s); ${fmt(l.p50.median, 1)}/${fmt(l.p99.median, 1)} ms${failed > 0 ? `; ${failed} answers not 2xx (not a measure of ingest)` : ""}`,
      spread: `ratio ${range(t.ratio, 2, "×")}; p99 ${range(l.p99, 1, " ms")}`,
      goal: "≥ 0.8×; p99 ≤ 25 ms",
      met: t.ratio.median >= 0.8 && l.p99.median <= 25 && failed === 0,
      note: `${placement()}; throughput: autocannon in its own process per round, ${rounds} interleaved rounds (service, echo, service, echo …) of ${connections} connections × ${duration} s after a ${String(flags["warmup"])} s warm-up of each, distinct signed generic-source events, each written to the SQLite inbox before 202; ratio = median of the rounds' paired ratios (service rounds ${formatSpread(t.serviceRps, 0, " req/s")}, echo ${formatSpread(t.baselineRps, 0, " req/s")}); latency at ${rate} req/s sent evenly (${even.described}), ${rounds} interleaved rounds: service p99 ${formatSpread(l.p99, 1, " ms")} (${fmt(l.serviceRps.median, 0)} req/s done), echo p99 ${formatSpread(l.baselineP99, 1, " ms")}, the generator's own lateness p99 ${formatSpread(l.sendLagP99, 1, " ms")}; non-2xx or errors: ${failed}`,
      data: { throughput: tp, latency: lat, stats: { ...t, latency: l } }
    })
  } finally {
    await echo.stop()
    await stack.close()
  }
}

/** Figure 4: the Data Action endpoint vs a bare Express route in the same app. */
const dataActionFigure = async (flags: Record<string, number | string | boolean>, figures: Figures) => {
  const srv = await server("data-actions")
  try {
    const duration = flags["duration"] as number
    const connections = flags["connections"] as number
    const rate = flags["data-action-rate"] as number
    const rounds = flags["rounds"] as number
    const input = {
      subject: "Printer on fire",
      status: "In Progress",
      priority: "P2",
      category: "bug",
      product_family: "printers, web",
      due_at: "2026-12-01T10:00:00Z"
    }
    const auth = { authorization: `Basic ${Buffer.from(DATA_ACTION_BASIC_AUTH).toString("base64")}` }
    say(
      `Data Action throughput: ${rounds} interleaved rounds of ${connections} connections × ${duration} s, action then bare route (after a warm-up of each)`
    )
    const tp = await interleaved(
      flags,
      (s) =>
        load({
          url: srv.url,
          path: "/data-actions/normalize-ticket",
          connections,
          durationSeconds: s,
          headers: auth,
          body: { json: input }
        }),
      (s) => load({ url: srv.url, path: "/bare", connections, durationSeconds: s, body: { json: input } })
    )
    say(`Data Action latency at ${rate} req/s sent evenly: ${rounds} interleaved rounds`)
    const even = evenly(rate, 10)
    const lat = await interleaved(
      flags,
      (s) =>
        load({
          url: srv.url,
          path: "/data-actions/normalize-ticket",
          ...even.round(s),
          headers: auth,
          body: { json: input }
        }),
      (s) => load({ url: srv.url, path: "/bare", ...even.round(s), body: { json: input } })
    )
    const t = roundStats(tp)
    const l = latencyStats(lat)
    const failed = non2xx(tp) + non2xx(lat)
    figures.rows.push({
      id: "data-action",
      figure: "Data Action endpoint vs bare Express (median of rounds); p99",
      measured: `${fmt(t.ratio.median)}× (medians ${fmt(t.serviceRps.median, 0)} vs ${fmt(t.baselineRps.median, 0)} req/s); p99 ${fmt(l.p99.median, 1)} ms`,
      spread: `ratio ${range(t.ratio, 2, "×")}; p99 ${range(l.p99, 1, " ms")}`,
      goal: "≥ 0.8×; p99 ≤ 10 ms",
      met: t.ratio.median >= 0.8 && l.p99.median <= 10 && failed === 0,
      note: `POST /data-actions/normalize-ticket (Basic auth, JSON validation, catalog normalization) vs a bare JSON route in the same Express app; ${placement()}; throughput: autocannon in its own process per round, ${rounds} interleaved rounds (action, bare, action, bare …) of ${connections} connections × ${duration} s after a ${String(flags["warmup"])} s warm-up of each; ratio = median of the rounds' paired ratios (action rounds ${formatSpread(t.serviceRps, 0, " req/s")}, bare ${formatSpread(t.baselineRps, 0, " req/s")}); p99 at ${rate} req/s sent evenly (${even.described}), ${rounds} interleaved rounds: action ${formatSpread(l.p99, 1, " ms")} (${fmt(l.serviceRps.median, 0)} req/s done), bare route ${formatSpread(l.baselineP99, 1, " ms")}, the generator's own lateness p99 ${formatSpread(l.sendLagP99, 1, " ms")}; non-2xx or errors: ${failed}`,
      data: { throughput: tp, latency: lat, stats: { ...t, latency: l } }
    })
  } finally {
    await srv.stop()
  }
}

/** Figure 5: peak RSS of the service during a large storm. */
const rssFigure = async (flags: Record<string, number | string | boolean>, figures: Figures) => {
  const events = flags["rss-events"] as number
  const tickets = Math.min(flags["rss-tickets"] as number, events)
  const budget = flags["rss-budget"] as number
  say(`memory storm: generating ${events} events over ${tickets} tickets`)
  const storm: Storm = generateStorm({
    tickets,
    events,
    seed: (flags["seed"] as number) + 1,
    prefix: `m${flags["seed"]}-`
  })
  const stack = await startStack({
    compiled,
    rateLimitPerMinute: budget,
    budgetPerMinute: budget,
    webhookEnv: storm.serviceEnv,
    namePrefix: "Memory",
    log: say
  })
  let peak = 0
  const sample = setInterval(() => {
    peak = Math.max(peak, stack.service.rssBytes() ?? 0)
  }, 250)
  try {
    const baseline = stack.service.rssBytes()
    const sent = await sendDeliveries({
      urls: [stack.service.url],
      storm,
      deliveries: storm.deliveries,
      concurrency: flags["concurrency"] as number,
      progressEvery: 10_000,
      onProgress: (d, t) => say(`memory storm: ${d}/${t} deliveries answered, RSS ${mb(stack.service.rssBytes())}`)
    })
    const drainedAt = await waitForDrain([stack.service.url], (flags["rss-drain-seconds"] as number) * 1000)
    const hwm = stack.service.peakRssBytes()
    peak = Math.max(peak, hwm ?? 0)
    figures.rows.push({
      id: "peak-rss",
      figure: `service peak RSS, ${Math.round(events / 1000)}k-event storm`,
      measured: `${mb(peak)} (${mb(baseline)} at start)`,
      goal: "≤ 200 MB; ≤ 120 MB at start",
      met: peak > 0 && baseline !== undefined ? peak <= 200 * 1024 * 1024 && baseline <= 120 * 1024 * 1024 : undefined,
      note: `${serviceName()}; ${storm.stats.deliveries} deliveries over ${tickets} tickets sent in ${fmt(sent.durationMs / 1000, 0)} s (${sent.accepted.length} acknowledged), ${drainedAt === undefined ? `inbox not empty after ${flags["rss-drain-seconds"]} s of draining` : "inbox drained"} at ${budget}/min; VmHWM of the service process (RSS at start ${mb(baseline)})`,
      data: {
        peakBytes: peak,
        vmHwmBytes: hwm,
        startRssBytes: baseline,
        sendMs: sent.durationMs,
        drained: drainedAt !== undefined
      }
    })
  } finally {
    clearInterval(sample)
    await stack.close()
  }
}

/**
 * Sync lag: steady webhooks at `--lag-rate` per second, half of them new tickets and half the second revision of a
 * ticket created 3 s before; for each, the time from its 202 to the workitem written with it (the emulator's
 * `dateCreated` for a new ticket, `dateModified` for an update; the emulator runs in this process, on this clock).
 */
const lagFigure = async (flags: Record<string, number | string | boolean>, figures: Figures) => {
  const secret = "bench-lag-secret"
  const rate = flags["lag-rate"] as number
  const seconds = flags["lag-seconds"] as number
  const budget = flags["lag-budget"] as number
  const stack = await startStack({
    compiled,
    rateLimitPerMinute: budget,
    budgetPerMinute: budget,
    webhookEnv: { WEBHOOK_SECRET_GENERIC: secret },
    namePrefix: "Lag",
    log: say
  })
  try {
    const run = `lag${Date.now().toString(36)}`
    const total = rate * seconds
    // Events between a ticket's creation and its update: odd, so that every event `updateAfter` after an even one is
    // an update of the ticket that even event created (events before the first update are all creations).
    const updateAfter = 3 * rate + ((3 * rate) % 2 === 0 ? 1 : 0)
    interface Sent {
      readonly ticket: string
      readonly rev: number
      accepted?: number
      status?: number
    }
    const sent: Array<Sent> = []
    let created = 0
    const post = async (e: Sent) => {
      const body = Buffer.from(
        JSON.stringify({
          ticket_id: e.ticket,
          revision: e.rev,
          event_id: `${e.ticket}-${e.rev}`,
          kind: e.rev === 1 ? "created" : "updated",
          fields: {
            subject: `Lag ticket ${e.ticket} rev ${e.rev}`,
            status: e.rev === 1 ? "new" : "open",
            priority: "normal",
            category: "incident",
            product_family: ["web"]
          }
        })
      )
      const res = await fetch(`${stack.service.url}/webhooks/generic`, {
        method: "POST",
        headers: sign("generic", body, { secret }, new Date()),
        body
      })
      await res.arrayBuffer()
      e.status = res.status
      if (res.status === 202) e.accepted = Date.now()
    }
    say(
      `sync lag: ${total} events at ${rate}/s (budget ${budget}/min), half new tickets, half updates 3 s after their creation`
    )
    const start = Date.now()
    const inFlight: Array<Promise<void>> = []
    for (let i = 0; i < total; i++) {
      const at = start + (i * 1000) / rate
      const wait = at - Date.now()
      if (wait > 0) await new Promise((r) => setTimeout(r, wait))
      const isUpdate = i >= updateAfter && (i - updateAfter) % 2 === 0
      const e: Sent = isUpdate
        ? { ticket: sent[i - updateAfter]!.ticket, rev: 2 }
        : { ticket: `${run}-${++created}`, rev: 1 }
      sent.push(e)
      inFlight.push(post(e).catch(() => undefined))
    }
    await Promise.all(inFlight)
    const drainedAt = await waitForDrain([stack.service.url], 120_000)
    const byTag = new Map<string, { dateCreated: string; dateModified: string }>()
    for (const w of stack.emulator.state.workitems.values()) {
      const tag = w.attrs["externalTag"]
      if (typeof tag === "string") byTag.set(tag, w)
    }
    const lags: Array<number> = []
    let missing = 0
    for (const e of sent) {
      const w = byTag.get(`generic:${e.ticket}`)
      // An update counts once the workitem's last write is after its 202 (the update was written then, or later).
      const written = w === undefined ? undefined : Date.parse(e.rev === 1 ? w.dateCreated : w.dateModified)
      if (e.accepted === undefined || written === undefined || (e.rev === 2 && written < e.accepted)) missing++
      else lags.push(Math.max(0, written - e.accepted))
    }
    lags.sort((a, b) => a - b)
    const q = (p: number) =>
      lags.length === 0 ? Number.NaN : lags[Math.min(lags.length - 1, Math.ceil(p * lags.length) - 1)]!
    const p50 = q(0.5)
    const p99 = q(0.99)
    const updates = sent.filter((e) => e.rev === 2).length
    figures.rows.push({
      id: "sync-lag",
      figure: `sync lag, 202 → workitem written, at ${rate} events/s; p50/p99`,
      measured: `${fmt(p50, 0)} / ${fmt(p99, 0)} ms`,
      goal: "p99 ≤ 1 s",
      met: lags.length > 0 ? p99 <= 1000 && missing === 0 : undefined,
      note: `${serviceName()}; ${sent.length} signed generic webhooks over ${seconds} s (${sent.length - updates} new tickets, ${updates} updates 3 s after their creation), budget ${budget}/min on service and emulator; written = the emulator's dateCreated (new) or dateModified (update), on the bench's own clock; max ${fmt(lags[lags.length - 1] ?? Number.NaN, 0)} ms; ${missing} events not written${drainedAt === undefined ? "; the inbox did not drain within 120 s" : ""}`,
      data: { p50, p99, max: lags[lags.length - 1], events: sent.length, updates, missing, lagsMs: lags }
    })
  } finally {
    await stack.close()
  }
}

const main = async (): Promise<number> => {
  let flags: Flags | undefined
  try {
    flags = parseFlags(process.argv.slice(2), FLAGS)
  } catch (e) {
    if (e instanceof FlagError) {
      process.stderr.write(`bench: ${e.message}\n`)
      return 2
    }
    throw e
  }
  if (flags === undefined) {
    process.stdout.write(
      `${usage("pnpm bench", "Measure storm efficiency, budget utilization and drain time, webhook ingest, the Data Action endpoint, RSS, sync lag and the backfill's calls and live lag in one run.", FLAGS)}\n`
    )
    return 0
  }
  let sections: ReadonlySet<Section>
  try {
    sections = selectSections(String(flags["only"]), String(flags["skip"]))
  } catch (e) {
    if (!(e instanceof SectionError)) throw e
    process.stderr.write(`bench: ${e.message}\n`)
    return 2
  }
  const skip = new Set<string>(SECTIONS.filter((s) => !sections.has(s)))
  const service = String(flags["service"])
  if (service !== "dist" && service !== "tsx") {
    process.stderr.write(`bench: --service is dist or tsx (got "${service}")\n`)
    return 2
  }
  compiled = service === "dist"
  const pin = String(flags["pin"])
  if (pin !== "on" && pin !== "off") {
    process.stderr.write(`bench: --pin is on or off (got "${pin}")\n`)
    return 2
  }
  pinned = pin === "on" && canPin() ? { server: "0", generator: "1" } : undefined
  if (pin === "on" && pinned === undefined)
    say("figures 3-4 not pinned to CPUs: the machine has fewer than 2 CPUs or no taskset")
  if (compiled) {
    say("building the service (pnpm build's compile step) for --service dist")
    await buildService()
  }
  if (String(flags["coalesce-ms"]) !== "" && !/^\d+$/.test(String(flags["coalesce-ms"]))) {
    process.stderr.write(
      `bench: --coalesce-ms must be a whole number of milliseconds (got "${String(flags["coalesce-ms"])}")\n`
    )
    return 2
  }
  if (String(flags["prefetch"]) !== "" && !/^\d+$/.test(String(flags["prefetch"]))) {
    process.stderr.write(`bench: --prefetch must be a whole number (got "${String(flags["prefetch"])}")\n`)
    return 2
  }
  const distributed = String(flags["distributed"])
  if (!["auto", "on", "off"].includes(distributed)) {
    process.stderr.write(`bench: --distributed is auto, on or off (got "${distributed}")\n`)
    return 2
  }
  const figures: Figures = { rows: [] }
  const load0 = loadavg()
  if (!(skip.has("1") && skip.has("2"))) await stormFigures(flags, figures, skip)
  if (!skip.has("3")) await ingestFigure(flags, figures)
  if (!skip.has("4")) await dataActionFigure(flags, figures)
  if (!skip.has("5") && (flags["rss-events"] as number) > 0) await rssFigure(flags, figures)
  if (!skip.has("lag")) await lagFigure(flags, figures)
  if (!skip.has("backfill"))
    figures.rows.push(
      ...(await backfillBenchRows({
        tickets: flags["backfill-tickets"] as number,
        lagTickets: flags["backfill-lag-tickets"] as number,
        webhookEverySeconds: flags["backfill-webhook-every"] as number,
        budgetPerMinute: flags["backfill-budget"] as number,
        compiled,
        log: say
      }))
    )
  if (skip.has("distributed")) {
    // Left out by --only or --skip.
  } else if (distributed === "on" || (distributed === "auto" && (await reachable(5672)) && (await reachable(6379)))) {
    const { distributedBenchRows } = await import("../distributed/bench.js")
    say(
      `distributed storm: 3 replicas on RabbitMQ + Redis, ${String(flags["events"])} events over ${String(flags["tickets"])} tickets, budget ${String(flags["budget"])}/min`
    )
    // The same storm (seed), sender concurrency, service build and coalescing window as figures 1-2.
    const coalesce = String(flags["coalesce-ms"])
    const prefetch = String(flags["prefetch"])
    figures.rows.push(
      ...(await distributedBenchRows({
        tickets: flags["tickets"] as number,
        events: flags["events"] as number,
        budgetPerMinute: flags["budget"] as number,
        replicas: 3,
        kills: 1,
        seed: flags["seed"] as number,
        concurrency: flags["concurrency"] as number,
        compiled,
        serviceEnv: {
          ...(coalesce === "" ? {} : { WORKBRIDGE_COALESCE_MS: coalesce }),
          ...(prefetch === "" ? {} : { WORKBRIDGE_PREFETCH: prefetch })
        },
        log: say
      }))
    )
  } else if (distributed === "auto") {
    say(
      "distributed storm skipped: RabbitMQ (127.0.0.1:5672) or Redis (127.0.0.1:6379) is not reachable (--distributed on forces it)"
    )
  }
  for (const module of String(flags["extra"])
    .split(",")
    .map((m) => m.trim())
    .filter((m) => m !== "")) {
    const url = pathToFileURL(resolve(process.cwd(), module)).href
    const extra = (await import(url)) as {
      benchRows?: (say: (line: string) => void) => Promise<ReadonlyArray<BenchRow>>
    }
    if (typeof extra.benchRows !== "function")
      throw new Error(`--extra ${module}: the module exports no benchRows function`)
    figures.rows.push(...(await extra.benchRows(say)))
  }

  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? "unknown",
    memoryGb: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    loadAverageAtStart: load0.map((x) => Number(x.toFixed(2))),
    loadAverageAtEnd: loadavg().map((x) => Number(x.toFixed(2)))
  }
  process.stdout.write(
    `\n${formatTable(figures.rows)}\n\nmachine: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGb} GB, Node ${machine.node}, load average ${machine.loadAverageAtStart.join(" ")} → ${machine.loadAverageAtEnd.join(" ")}\n`
  )
  mkdirSync(RESULTS, { recursive: true })
  const file = `${RESULTS}bench-${new Date().toISOString().replace(/[:.]/g, "-")}.json`
  writeFileSync(
    file,
    `${JSON.stringify({ at: new Date().toISOString(), flags, machine, rows: figures.rows, markdown: markdownTable(figures.rows) }, null, 2)}\n`
  )
  process.stdout.write(`results: ${file}\n`)
  return 0
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
    process.exit(1)
  }
)
