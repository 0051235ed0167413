/**
 * The distributed storm: N service replicas (child processes) on RabbitMQ + Redis in a fresh namespace, one
 * Genesys emulator (in this process) provisioned through infra's provisioner, the chaos storm sent to all
 * replicas, a replica killed with SIGKILL mid-run (and started again), then the four invariants checked.
 * Used by `replicas.services.test.ts` and by `bench.ts`.
 */
import { randomBytes } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { execFile } from "node:child_process"
import { promisify } from "node:util"
import { maxInWindow, startEmulator } from "@workbridge/genesys-emulator"
import { provisionForService } from "@workbridge/infra"
import { deleteNamespace, deleteTopology, openRedis } from "@workbridge/service/distributed"
import { Effect } from "effect"
import { generateStorm, runStorm, type ServiceProcess, startServiceProcess, type StormRun } from "../src/index.js"

export const RABBITMQ_URL = process.env["WORKBRIDGE_TEST_RABBITMQ_URL"] ?? "amqp://guest:guest@127.0.0.1:5672"
export const REDIS_URL = process.env["WORKBRIDGE_TEST_REDIS_URL"] ?? "redis://127.0.0.1:6379"

export interface DistributedStormOptions {
  readonly tickets: number
  readonly events: number
  /** Service replicas; default 3. */
  readonly replicas?: number
  /** Partition queues; default 8. */
  readonly partitions?: number
  /** The shared budget per minute, and the emulator's rate limit; default 300. */
  readonly budgetPerMinute?: number
  /** Replicas killed with SIGKILL (and restarted) during the run; default 1. */
  readonly kills?: number
  /**
   * Instead of killing replicas: cut every replica's RabbitMQ connections (`rabbitmqctl close_all_connections`
   * on the run's own vhost) and Redis connections (`CLIENT KILL`) mid-run, `kills` times.
   */
  readonly cutConnections?: boolean
  /**
   * Instead of killing a replica at a moment of the storm's choosing: replica 0 kills itself (SIGKILL, the
   * service's test-only crash point `after-update`) right after its first PATCH was answered and before the link
   * write; the storm's crash waits for that and restarts it without the crash point (use with `kills: 1`).
   */
  readonly killMidPatch?: boolean
  /** Periodic injected 429 bursts with `Retry-After` (seconds); default none. */
  readonly retryAfterSeconds?: number
  readonly seed?: number
  /** Webhook requests in flight while sending the storm; default 16. */
  readonly concurrency?: number
  /** Run the replicas from the production build (`node service/dist/main.js`, built beforehand) instead of tsx. */
  readonly compiled?: boolean
  /** Extra environment for every replica (e.g. `WORKBRIDGE_COALESCE_MS`, `WORKBRIDGE_PREFETCH`). */
  readonly serviceEnv?: Readonly<Record<string, string>>
  readonly log?: (line: string) => void
}

export interface DistributedStormResult extends StormRun {
  readonly replicas: number
  readonly partitions: number
  readonly deliveries: number
  /** Replica starts (initial starts plus restarts after kills). */
  readonly starts: number
  /** The replicas' Genesys calls (token requests excluded) in the busiest window, against budget × window + burst. */
  readonly window: {
    readonly seconds: number
    readonly maxCalls: number
    readonly allowed: number
    readonly budgetShare: number
  }
  /** Redis connections closed by connection cuts. */
  readonly redisClientsKilled: number
  /** Every Genesys call of the replicas since their first start (token requests excluded; start-up checks included), by operation and outcome, and per workitem. */
  readonly breakdown: CallBreakdown
  /** Each replica's peak RSS (VmHWM of its current process, after the drain), bytes; undefined where unreadable. */
  readonly peakRssBytes: ReadonlyArray<number | undefined>
}

export interface CallBreakdown {
  readonly tickets: number
  /** `METHOD route` → calls, with how many answered 2xx, 429, other 4xx, 5xx, or not at all (status 0). */
  readonly byOperation: ReadonlyArray<{
    readonly operation: string
    readonly calls: number
    readonly perTicket: number
    readonly byStatus: Readonly<Record<string, number>>
    /** Of those, the calls that reached Genesys before the storm had arrived (when the arrival's end is given). */
    readonly whileArriving?: number
  }>
  /** Calls addressed to one workitem (`…/workitems/{id}`: PATCH, GET), per workitem: how many workitems had n. */
  readonly perWorkitem: Readonly<Record<string, number>>
}

const statusClass = (status: number): string =>
  status === 0 ? "none" : status === 429 ? "429" : `${Math.floor(status / 100)}xx`

/** Count calls by operation (and outcome) and, for calls naming a workitem, per workitem. */
export const breakDownCalls = (
  requests: ReadonlyArray<{
    readonly method: string
    readonly path: string
    readonly route?: string
    readonly status: number
    readonly at?: string
  }>,
  tickets: number,
  /** Epoch ms the last delivery of the storm was answered: calls before it are counted as made while it arrived. */
  arrivedAt?: number
): CallBreakdown => {
  const ops = new Map<string, { calls: number; byStatus: Record<string, number>; whileArriving: number }>()
  const perItem = new Map<string, number>()
  for (const r of requests) {
    const operation = `${r.method} ${r.route ?? "(unmatched)"}`
    let o = ops.get(operation)
    if (o === undefined) ops.set(operation, (o = { calls: 0, byStatus: {}, whileArriving: 0 }))
    o.calls++
    if (arrivedAt !== undefined && r.at !== undefined && Date.parse(r.at) <= arrivedAt) o.whileArriving++
    const c = statusClass(r.status)
    o.byStatus[c] = (o.byStatus[c] ?? 0) + 1
    const item = /\/workitems\/([0-9a-f-]{36})(?:$|\/)/.exec(r.path)?.[1]
    if (item !== undefined) perItem.set(item, (perItem.get(item) ?? 0) + 1)
  }
  const perWorkitem: Record<string, number> = {}
  for (const n of perItem.values()) {
    const k = n >= 5 ? "5+" : String(n)
    perWorkitem[k] = (perWorkitem[k] ?? 0) + 1
  }
  return {
    tickets,
    byOperation: [...ops]
      .map(([operation, o]) => ({
        operation,
        calls: o.calls,
        perTicket: tickets === 0 ? 0 : o.calls / tickets,
        byStatus: o.byStatus,
        ...(arrivedAt === undefined ? {} : { whileArriving: o.whileArriving })
      }))
      .sort((a, b) => b.calls - a.calls),
    perWorkitem
  }
}

/** One line: `POST /…/workitems 1,000 (1.00/ticket; 429: 3), PATCH … · per workitem: 1 call 600, 2 calls 300, …`. */
export const formatBreakdown = (b: CallBreakdown): string => {
  const ops = b.byOperation.map((o) => {
    const notes = Object.entries(o.byStatus)
      .filter(([k]) => k !== "2xx")
      .map(([k, n]) => `${k}: ${n}`)
    if (o.whileArriving !== undefined) notes.push(`${o.whileArriving} while the storm arrived`)
    return `${o.operation} ${o.calls} (${o.perTicket.toFixed(2)}/ticket${notes.length === 0 ? "" : `; ${notes.join(", ")}`})`
  })
  const items = Object.entries(b.perWorkitem)
    .sort(([a], [c]) => a.localeCompare(c))
    .map(([n, count]) => `${n} → ${count}`)
  return `by operation: ${ops.join(", ")}; workitems by calls naming them (PATCH, GET): ${items.length === 0 ? "none" : items.join(", ")}`
}

const execFileP = promisify(execFile)

/** `rabbitmqctl` (the broker's own CLI; it ships with the server on every developer and CI machine). */
export const rabbitmqctl = async (...args: ReadonlyArray<string>): Promise<string> =>
  (await execFileP("rabbitmqctl", ["--quiet", ...args], { timeout: 60_000 })).stdout

/** The broker URL of a vhost. */
const vhostUrl = (vhost: string): string => {
  const u = new URL(RABBITMQ_URL)
  u.pathname = `/${encodeURIComponent(vhost)}`
  return u.toString()
}

/** Close the Redis connections of a namespace's replicas (named `workbridge:<namespace>`); how many were closed. */
export const killRedisClients = async (namespace: string): Promise<number> => {
  const redis = await Effect.runPromise(openRedis({ url: REDIS_URL }))
  try {
    const list = String(await redis.call("CLIENT", "LIST"))
    const ids = list
      .split("\n")
      .filter((line) => line.includes(` name=workbridge:${namespace} `))
      .map((line) => /\bid=(\d+)/.exec(line)?.[1])
      .filter((id): id is string => id !== undefined)
    for (const id of ids) await redis.call("CLIENT", "KILL", "ID", id)
    return ids.length
  } finally {
    redis.disconnect()
  }
}

/** Delete the queues and keys of a namespace. */
export const dropNamespace = async (namespace: string, partitions: number, vhost?: string): Promise<void> => {
  const redis = await Effect.runPromise(openRedis({ url: REDIS_URL }))
  try {
    await deleteNamespace(redis, namespace)
  } finally {
    redis.disconnect()
  }
  if (vhost !== undefined) await rabbitmqctl("delete_vhost", vhost)
  else await deleteTopology(RABBITMQ_URL, namespace, partitions)
}

export const runDistributedStorm = async (options: DistributedStormOptions): Promise<DistributedStormResult> => {
  const log = options.log ?? (() => undefined)
  const n = options.replicas ?? 3
  const partitions = options.partitions ?? 8
  const budgetPerMinute = options.budgetPerMinute ?? 300
  const seed = options.seed ?? 7
  const namespace = `wb-test-${randomBytes(5).toString("hex")}`
  const storm = generateStorm({
    tickets: options.tickets,
    events: options.events,
    seed,
    prefix: `d${seed}-${namespace.slice(-4)}-`
  })
  log(
    `storm: ${storm.stats.tickets} tickets, ${storm.stats.events} events, ${storm.stats.deliveries} deliveries; ${n} replicas, ${partitions} partitions, namespace ${namespace}`
  )
  // Connection cuts close every connection of a vhost: the run gets its own.
  const vhost = options.cutConnections === true ? namespace : undefined
  if (vhost !== undefined) {
    await rabbitmqctl("add_vhost", vhost)
    await rabbitmqctl("set_permissions", "-p", vhost, new URL(RABBITMQ_URL).username || "guest", ".*", ".*", ".*")
  }
  const rabbitmqUrl = vhost === undefined ? RABBITMQ_URL : vhostUrl(vhost)
  const emulator = await startEmulator({
    port: 0,
    rateLimitPerMinute: budgetPerMinute,
    workitemUpdatesPerMinute: 600,
    seed,
    quiet: true
  })
  const dataDir = mkdtempSync(join(tmpdir(), "workbridge-distributed-"))
  const replicas: Array<ServiceProcess> = []
  const cuts = { redisClientsKilled: 0 }
  let keepLogs = false
  try {
    const provisioned = await provisionForService(
      { gatewayUrl: emulator.url, clientId: emulator.adminClientId, clientSecret: emulator.adminClientSecret },
      { namePrefix: `Dist${seed}` }
    )
    const env = (i: number): Record<string, string> => ({
      LOG_LEVEL: "warn",
      ...storm.serviceEnv,
      GENESYS_GATEWAY_URL: emulator.url,
      GENESYS_CLIENT_ID: provisioned.clientId,
      GENESYS_CLIENT_SECRET: provisioned.clientSecret,
      WORKBRIDGE_WORKTYPE_ID: provisioned.worktypeId,
      WORKBRIDGE_BUDGET_PER_MINUTE: String(budgetPerMinute),
      WORKBRIDGE_DATA_DIR: join(dataDir, `replica-${i}`),
      WORKBRIDGE_QUEUE: "rabbitmq",
      WORKBRIDGE_STATE: "redis",
      WORKBRIDGE_RABBITMQ_URL: rabbitmqUrl,
      WORKBRIDGE_REDIS_URL: REDIS_URL,
      WORKBRIDGE_NAMESPACE: namespace,
      WORKBRIDGE_PARTITIONS: String(partitions),
      // A killed replica's tickets are free again after this long.
      WORKBRIDGE_LEASE_MS: "5000",
      WORKBRIDGE_GENESYS_TIMEOUT_MS: "4000",
      WORKBRIDGE_RETRY_MAX_MS: "5000",
      ...options.serviceEnv
    })
    const midPatch = options.killMidPatch === true
    for (let i = 0; i < n; i++) {
      const e = midPatch && i === 0 ? { ...env(i), WORKBRIDGE_TEST_CRASH_AT: "after-update" } : env(i)
      replicas.push(
        await startServiceProcess({
          env: e,
          logFile: join(dataDir, `replica-${i}.log`),
          ...(options.compiled === true ? { compiled: true } : {})
        })
      )
    }
    log(`emulator ${emulator.url} · replicas ${replicas.map((r) => r.url).join(", ")}`)
    const run = await runStorm({
      storm,
      target: {
        serviceUrls: replicas.map((r) => r.url),
        emulatorUrl: emulator.url,
        reader: {
          gatewayUrl: emulator.url,
          clientId: emulator.adminClientId,
          clientSecret: emulator.adminClientSecret
        },
        worktypeId: provisioned.worktypeId,
        serviceClientId: provisioned.clientId,
        budgetPerMinute,
        crash: async (k) => {
          if (vhost !== undefined) {
            await rabbitmqctl("close_all_connections", "--vhost", vhost, "connection cut by the distributed storm")
            const closed = await killRedisClients(namespace)
            log(`cut: every RabbitMQ connection of vhost ${vhost} closed, ${closed} Redis connections killed`)
            cuts.redisClientsKilled += closed
            return
          }
          if (midPatch) {
            const victim = replicas[0]!
            const deadline = Date.now() + 120_000
            while (victim.running()) {
              if (Date.now() > deadline)
                throw new Error("replica 0 did not reach its crash point (no PATCH of its own within 120 s)")
              await new Promise((r) => setTimeout(r, 50))
            }
            log(`replica 0 killed itself between a PATCH and its link write (#${k})`)
            await victim.restart({ WORKBRIDGE_TEST_CRASH_AT: "" })
            return
          }
          const victim = replicas[(k - 1) % n]!
          log(`kill -9 replica ${(k - 1) % n} (pid ${victim.pid()})`)
          await victim.kill9()
          await victim.restart()
        }
      },
      ...(options.retryAfterSeconds !== undefined
        ? { rateLimitBursts: { everyMs: 10_000, count: 4, retryAfterSeconds: options.retryAfterSeconds } }
        : {}),
      kills: options.kills ?? 1,
      concurrency: options.concurrency ?? 16,
      drainTimeoutMs: 240_000,
      log
    })
    keepLogs = !run.report.ok
    const seconds = 15
    const burst = Math.max(1, Math.min(10, Math.ceil(budgetPerMinute / 60)))
    const serviceCalls = emulator
      .requests()
      .filter((r) => r.clientId === provisioned.clientId && !r.path.startsWith("/oauth/"))
    const times = serviceCalls.map((r) => Date.parse(r.at)).sort((a, b) => a - b)
    const maxCalls = maxInWindow(times, seconds * 1000)
    const budgetShare = Math.ceil((budgetPerMinute * seconds) / 60)
    return {
      ...run,
      replicas: n,
      partitions,
      deliveries: storm.stats.deliveries,
      starts: replicas.reduce((a, r) => a + r.starts(), 0),
      // +1: calls are timed on arrival at the emulator, tokens when taken at the replica; one call may straddle.
      window: { seconds, maxCalls, allowed: budgetShare + burst + 1, budgetShare },
      redisClientsKilled: cuts.redisClientsKilled,
      breakdown: breakDownCalls(serviceCalls, storm.stats.tickets, run.sentAt),
      peakRssBytes: replicas.map((r) => r.peakRssBytes())
    }
  } finally {
    await Promise.all(replicas.map((r) => r.stop().catch(() => undefined)))
    await emulator.close().catch(() => undefined)
    await dropNamespace(namespace, partitions, vhost).catch((e: unknown) =>
      log(`cleanup of ${namespace} failed: ${String(e)}`)
    )
    // The replicas' logs of a run whose invariants failed are kept, to find out why.
    if (keepLogs) log(`invariants violated: the replicas' logs are kept in ${dataDir}`)
    else rmSync(dataDir, { recursive: true, force: true })
  }
}
