/**
 * The chaos run: a storm against the service while the emulator injects 5xx, timeouts, 429 bursts with
 * `Retry-After` and latency, and the service is killed with SIGKILL and restarted; then the invariants are checked.
 */
import {
  type FaultSpec,
  generateStorm,
  type InvariantReport,
  runStorm,
  startStack,
  stormTarget,
  type StormRun
} from "../src/index.js"

export interface ChaosOptions {
  readonly tickets: number
  readonly events: number
  readonly kills: number
  readonly seed: number
  /** Budget per minute of the service, and the emulator's rate limit. */
  readonly budgetPerMinute: number
  readonly concurrency: number
  /** `Retry-After` seconds of the injected 429 bursts. */
  readonly retryAfterSeconds: number
  /** Share of Genesys calls answered with a 5xx; default 0.05. */
  readonly errorShare?: number
  /** Share of Genesys calls that never get an answer; default 0.02. */
  readonly hangShare?: number
  /** Share of Genesys calls that take effect but whose answer never comes (a timeout on a write that happened); default 0.01. */
  readonly lostShare?: number
  /** The service's per-call Genesys timeout; default 2000 ms. */
  readonly genesysTimeoutMs?: number
  readonly log?: (line: string) => void
  /** Keep the service's log here. */
  readonly logFile?: string
}

export interface ChaosResult extends StormRun {
  readonly options: ChaosOptions
  readonly storm: {
    readonly tickets: number
    readonly events: number
    readonly deliveries: number
    readonly duplicates: number
    readonly swapped: number
    readonly late: number
  }
  readonly report: InvariantReport
}

const API = "^/api/v2/taskmanagement/"

/** The faults of a chaos run (probabilities per Genesys API call). */
export const chaosFaults = (errorShare: number, hangShare: number, lostShare = 0): ReadonlyArray<FaultSpec> => [
  { kind: "latency", path: API, latencyMs: 80, probability: 0.1 },
  { kind: "status", path: API, status: 500, probability: errorShare * 0.4 },
  { kind: "status", path: API, status: 502, probability: (errorShare * 0.3) / (1 - errorShare * 0.4) },
  { kind: "status", path: API, status: 503, probability: (errorShare * 0.3) / (1 - errorShare * 0.7) },
  { kind: "hang", path: API, probability: hangShare / (1 - errorShare) },
  ...(lostShare > 0
    ? [{ kind: "lostResponse" as const, path: API, probability: Math.min(1, lostShare / (1 - errorShare - hangShare)) }]
    : [])
]

export const runChaos = async (options: ChaosOptions): Promise<ChaosResult> => {
  const log = options.log ?? (() => undefined)
  const storm = generateStorm({
    tickets: options.tickets,
    events: options.events,
    seed: options.seed,
    prefix: `c${options.seed}-`
  })
  log(
    `storm: ${storm.stats.tickets} tickets, ${storm.stats.events} events, ${storm.stats.deliveries} deliveries (${storm.stats.duplicates} duplicates, ${storm.stats.swapped} out-of-order pairs, ${storm.stats.late} late)`
  )
  const stack = await startStack({
    rateLimitPerMinute: options.budgetPerMinute,
    budgetPerMinute: options.budgetPerMinute,
    // Storm tickets change fast; Genesys's per-workitem limit (60/min) is not what this run exercises.
    workitemUpdatesPerMinute: 600,
    webhookEnv: storm.serviceEnv,
    seed: options.seed,
    namePrefix: `Chaos${options.seed}`,
    log,
    serviceEnv: {
      LOG_LEVEL: "info",
      WORKBRIDGE_GENESYS_TIMEOUT_MS: String(options.genesysTimeoutMs ?? 2000),
      WORKBRIDGE_RETRY_MAX_MS: "5000"
    },
    ...(options.logFile === undefined ? {} : { logFile: options.logFile })
  })
  log(
    `emulator ${stack.emulator.url} · service ${stack.service.url} (pid ${stack.service.pid()}) · budget ${options.budgetPerMinute}/min`
  )
  try {
    const run = await runStorm({
      storm,
      target: {
        ...stormTarget(stack),
        crash: async () => {
          await stack.service.kill9()
          await stack.service.restart()
        }
      },
      faults: chaosFaults(options.errorShare ?? 0.05, options.hangShare ?? 0.02, options.lostShare ?? 0.01),
      // Bursts hit the workitem calls (the hot path), not the start-up reads of a restarting service.
      rateLimitBursts: {
        everyMs: 5000,
        count: 5,
        retryAfterSeconds: options.retryAfterSeconds,
        path: "^/api/v2/taskmanagement/workitems"
      },
      kills: options.kills,
      concurrency: options.concurrency,
      log
    })
    const { tickets, events, deliveries, duplicates, swapped, late } = storm.stats
    return { ...run, options, storm: { tickets, events, deliveries, duplicates, swapped, late } }
  } finally {
    await stack.close()
  }
}
