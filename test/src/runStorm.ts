/**
 * Run a storm against a running deployment (one service or several replicas, and a Genesys emulator reachable over
 * its control API): inject faults, send every delivery, crash the service on schedule, wait until everything
 * accepted is worked off, then check the invariants and measure the Genesys calls.
 */
import { setTimeout as sleep } from "node:timers/promises"
import { type EmulatorStats, type LoggedRequest, maxInWindow } from "@workbridge/genesys-emulator"
import { type CallStats, checkInvariants, type InvariantReport, type Violation } from "./checker.js"
import type { GenesysReader } from "./genesys.js"
import { sendDeliveries, type SendResult } from "./send.js"
import { type SingleQueueCalls, singleQueueCalls } from "./singleQueue.js"
import type { Storm } from "./storm.js"

/** A fault rule as the emulator's control API takes it (`path` is a regular expression source). */
export interface FaultSpec {
  readonly kind: "status" | "rateLimit" | "latency" | "hang" | "drop" | "lostResponse"
  readonly method?: string
  readonly path?: string
  readonly status?: number
  readonly retryAfterSeconds?: number
  readonly latencyMs?: number
  readonly probability?: number
  readonly count?: number
}

export interface StormTarget {
  /** Base URLs of the service (replicas). */
  readonly serviceUrls: ReadonlyArray<string>
  /** The emulator's base URL (its `/__emulator/*` control API is used for faults, statistics and the request log). */
  readonly emulatorUrl: string
  /** Who reads Genesys for the checker. */
  readonly reader: GenesysReader
  readonly worktypeId: string
  /** The service's OAuth client id: its requests are told apart in the emulator's log by it. */
  readonly serviceClientId?: string
  /** The service's budget per minute (to judge invariant 4 and the utilization). */
  readonly budgetPerMinute?: number
  /** The service's token-bucket burst (default min(10, ceil(budget/60)), the service's default). */
  readonly budgetBurst?: number
  /** Crash a service process with SIGKILL and start it again; `n` counts from 1. */
  readonly crash?: (n: number) => Promise<void>
}

export interface RunStormOptions {
  readonly storm: Storm
  readonly target: StormTarget
  /** Faults active while the storm runs (cleared before the check). */
  readonly faults?: ReadonlyArray<FaultSpec>
  /** Periodic bursts of 429s with `Retry-After`. */
  readonly rateLimitBursts?: {
    readonly everyMs: number
    readonly count: number
    readonly retryAfterSeconds: number
    readonly path?: string
  }
  /** How many times to crash the service (needs `target.crash`); spread over the sending and the drain. Default 0. */
  readonly kills?: number
  /** Webhook requests in flight; default 16. */
  readonly concurrency?: number
  /** Give up waiting for the drain after this long; default 10 min. */
  readonly drainTimeoutMs?: number
  /** Progress lines; default none. */
  readonly log?: (line: string) => void
  /** A natural (not injected) 429 share above this is a budget violation; default 0.01. */
  readonly max429Share?: number
}

export interface StormRun {
  readonly report: InvariantReport
  readonly send: Omit<SendResult, "accepted" | "acceptedAtMs" | "refused" | "failed"> & {
    readonly accepted: number
    readonly refused: number
    readonly failed: number
  }
  readonly sendMs: number
  /** Epoch ms of the first delivery and of the moment every delivery was answered (the storm had arrived). */
  readonly startedAt: number
  readonly sentAt: number
  /** From the first delivery to an empty inbox. */
  readonly drainMs: number
  readonly kills: number
  /**
   * The calls one oldest-first queue spending the same budget would make for these arrivals (`singleQueue.ts`), when
   * `budgetPerMinute` is set: the floor that coalescing alone can reach at this arrival time.
   */
  readonly singleQueue?: SingleQueueCalls
  /** Calls by the service's client during the drain window (from the emulator's log), when `serviceClientId` is set. */
  readonly budget?: {
    readonly budgetPerMinute: number
    readonly callsInDrain: number
    /** calls / (budget × drain time). */
    readonly utilization: number
    /** Most calls in any 60 s window. */
    readonly maxCallsPerMinute: number
    readonly natural429: number
    readonly injected429: number
  }
}

type Stats = Pick<EmulatorStats, "calls">

const control = async <T>(
  emulatorUrl: string,
  method: string,
  path: string,
  body?: unknown
): Promise<T | undefined> => {
  const res = await fetch(`${emulatorUrl}/__emulator/${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
  })
  const text = await res.text()
  if (res.status >= 400) throw new Error(`emulator control ${method} ${path}: HTTP ${res.status} ${text}`)
  return text === "" ? undefined : (JSON.parse(text) as T)
}

/** Call statistics between two emulator snapshots (token requests separated from API calls). */
export const diffCalls = (before: Stats, after: Stats): CallStats => {
  let api = 0
  let token = 0
  let rateLimited = 0
  const byRoute: Record<string, number> = {}
  for (const [route, byStatus] of Object.entries(after.calls)) {
    for (const [status, n] of Object.entries(byStatus)) {
      const d = n - (before.calls[route]?.[status] ?? 0)
      if (d <= 0) continue
      if (route.includes("/oauth/token")) {
        token += d
        continue
      }
      api += d
      byRoute[route] = (byRoute[route] ?? 0) + d
      if (status === "429") rateLimited += d
    }
  }
  return { api, token, rateLimited, byRoute }
}

/** Sum of `workbridge_inbox_depth` over the replicas; undefined while any replica does not answer. */
export const inboxDepth = async (urls: ReadonlyArray<string>): Promise<number | undefined> => {
  let total = 0
  for (const url of urls) {
    try {
      const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) })
      const m = /^workbridge_inbox_depth(?:\{[^}]*\})?\s+(\d+(?:\.\d+)?)/m.exec(await res.text())
      if (m === null) return undefined
      total += Number(m[1])
    } catch {
      return undefined
    }
  }
  return total
}

/** Wait until the inbox is empty on two polls in a row; resolves with the time it became empty, or undefined on timeout. */
export const waitForDrain = async (
  urls: ReadonlyArray<string>,
  timeoutMs: number,
  onPoll?: (depth: number | undefined) => void
): Promise<number | undefined> => {
  const deadline = Date.now() + timeoutMs
  let emptySince: number | undefined
  while (Date.now() < deadline) {
    const depth = await inboxDepth(urls)
    onPoll?.(depth)
    if (depth === 0) {
      if (emptySince !== undefined) return emptySince
      emptySince = Date.now()
    } else emptySince = undefined
    await sleep(250)
  }
  return undefined
}

/** Run the storm and check it. Faults are cleared before the check whatever happens. */
export const runStorm = async (options: RunStormOptions): Promise<StormRun> => {
  const { storm, target } = options
  const log = options.log ?? (() => undefined)
  const kills = options.kills ?? 0
  if (kills > 0 && target.crash === undefined) throw new Error("runStorm: kills > 0 needs target.crash")
  const emu = target.emulatorUrl
  await control(emu, "DELETE", "faults")
  const before = (await control<Stats>(emu, "GET", "stats"))!
  for (const f of options.faults ?? []) await control(emu, "POST", "faults", f)
  let bursting = true
  let sendingDone = false
  const bursts = (async () => {
    const b = options.rateLimitBursts
    if (b === undefined) return
    // Bursts come while webhooks arrive (load spikes), and a new one only once the previous one is used up:
    // piling bursts onto a drain with little traffic would answer every call with 429 and never let it finish.
    while (bursting && !sendingDone) {
      await sleep(b.everyMs)
      if (!bursting || sendingDone) break
      const active =
        (
          await control<{ faults: ReadonlyArray<{ kind: string; count?: number }> }>(emu, "GET", "faults").catch(
            () => undefined
          )
        )?.faults ?? []
      if (active.some((f) => f.kind === "rateLimit" && f.count !== undefined)) continue
      await control(emu, "POST", "faults", {
        kind: "rateLimit",
        count: b.count,
        retryAfterSeconds: b.retryAfterSeconds,
        path: b.path ?? "^/api/v2/taskmanagement/"
      }).catch(() => undefined)
    }
  })()

  // Crashes: the first kills - 1 while sending (evenly spread), the last while draining.
  let sent = 0
  let killed = 0
  const total = storm.deliveries.length
  let crashError: unknown
  const abort = new AbortController()
  const crasher = (async () => {
    try {
      for (let k = 1; k <= kills; k++) {
        if (kills === 1 || k < kills) {
          const threshold = kills === 1 ? total / 2 : (k / kills) * total
          while (!sendingDone && sent < threshold) await sleep(20)
        } else {
          while (!sendingDone) await sleep(20)
          await sleep(300)
        }
        log(`kill -9 #${k} (${sent}/${total} deliveries answered)`)
        await target.crash!(k)
        killed++
        log(`service restarted (#${k})`)
      }
    } catch (e) {
      crashError = e
      abort.abort()
    }
  })()

  const started = Date.now()
  let result: SendResult
  let drainedAt: number | undefined
  let sentAt: number | undefined
  try {
    result = await sendDeliveries({
      urls: target.serviceUrls,
      storm,
      deliveries: storm.deliveries,
      concurrency: options.concurrency ?? 16,
      progressEvery: 1,
      signal: abort.signal,
      onProgress: (done, all) => {
        sent = done
        if (done % 2000 === 0 || done === all)
          log(`sent ${done}/${all} deliveries (${((Date.now() - started) / 1000).toFixed(1)} s)`)
      }
    })
    sendingDone = true
    sentAt = Date.now()
    await crasher
    if (crashError !== undefined) throw crashError
    log(`all deliveries answered in ${(result.durationMs / 1000).toFixed(1)} s; waiting for the inbox to drain`)
    let lastLog = 0
    drainedAt = await waitForDrain(target.serviceUrls, options.drainTimeoutMs ?? 600_000, (depth) => {
      if (Date.now() - lastLog > 5000) {
        lastLog = Date.now()
        log(`inbox depth: ${depth ?? "(service not answering)"}`)
      }
    })
  } finally {
    sendingDone = true
    bursting = false
    await bursts
    await control(emu, "DELETE", "faults").catch(() => undefined)
  }
  const ended = drainedAt ?? Date.now()
  const after = (await control<Stats>(emu, "GET", "stats"))!
  const calls = diffCalls(before, after)

  let budget: StormRun["budget"]
  const extra: Array<Violation> = []
  if (drainedAt === undefined)
    extra.push({
      invariant: "nothing-lost",
      ticket: "(service)",
      detail: `the inbox did not drain within ${options.drainTimeoutMs ?? 600_000} ms`
    })
  if (target.serviceClientId !== undefined && target.budgetPerMinute !== undefined) {
    const requests = (await control<{ requests: ReadonlyArray<LoggedRequest> }>(emu, "GET", "requests"))?.requests ?? []
    // Requests answered by an injected fault carry no client id (the fault hits before authentication); during the
    // run only the service calls Genesys, so those count as the service's.
    const mine = requests.filter(
      (r) =>
        (r.clientId === target.serviceClientId || r.clientId === undefined) &&
        !r.path.startsWith("/oauth/") &&
        Date.parse(r.at) >= started - 1000 &&
        Date.parse(r.at) <= ended
    )
    const times = mine.map((r) => Date.parse(r.at)).sort((a, b) => a - b)
    const inDrain = times.length
    const drainSeconds = Math.max(0.001, (ended - started) / 1000)
    const natural429 = mine.filter((r) => r.status === 429 && r.fault === undefined).length
    const injected429 = mine.filter((r) => r.status === 429 && r.fault !== undefined).length
    const burst = target.budgetBurst ?? Math.max(1, Math.min(10, Math.ceil(target.budgetPerMinute / 60)))
    const maxCallsPerMinute = maxInWindow(times, 60_000)
    budget = {
      budgetPerMinute: target.budgetPerMinute,
      callsInDrain: inDrain,
      utilization: inDrain / ((target.budgetPerMinute / 60) * drainSeconds),
      maxCallsPerMinute,
      natural429,
      injected429
    }
    // Invariant 4: never above the budget in any minute (plus the bucket's burst), and natural 429s rare.
    if (maxCallsPerMinute > target.budgetPerMinute + burst) {
      extra.push({
        invariant: "budget",
        ticket: "(service)",
        detail: `${maxCallsPerMinute} calls in one minute, budget ${target.budgetPerMinute} (+${burst} burst)`
      })
    }
    const share = mine.length === 0 ? 0 : natural429 / mine.length
    if (share > (options.max429Share ?? 0.01)) {
      extra.push({
        invariant: "budget",
        ticket: "(service)",
        detail: `${natural429} rate-limit 429s (${(share * 100).toFixed(2)} % of ${mine.length} calls)`
      })
    }
  }
  for (const r of result.refused.slice(0, 20)) {
    extra.push({
      invariant: "nothing-lost",
      ticket: r.delivery.ticket,
      detail: `delivery ${r.delivery.index} refused with HTTP ${r.status}: ${r.body}`
    })
  }
  for (const d of result.failed.slice(0, 20)) {
    extra.push({ invariant: "nothing-lost", ticket: d.ticket, detail: `delivery ${d.index} never answered` })
  }

  log("checking the invariants")
  const checked = await checkInvariants({
    genesys: target.reader,
    worktypeId: target.worktypeId,
    serviceUrls: target.serviceUrls,
    truth: storm.truth,
    acceptedDeliveries: result.accepted,
    calls
  })
  const violations = [...extra, ...checked.violations]
  const counts = { ...checked.counts }
  for (const v of extra) counts[v.invariant]++
  const report: InvariantReport = { ...checked, ok: violations.length === 0, violations, counts }
  const { accepted, acceptedAtMs, refused, failed, ...rest } = result
  const singleQueue =
    target.budgetPerMinute === undefined
      ? undefined
      : singleQueueCalls(
          accepted.map((delivery, i) => ({ delivery, atMs: acceptedAtMs[i]! })),
          target.budgetPerMinute,
          target.budgetBurst ?? Math.max(1, Math.min(10, Math.ceil(target.budgetPerMinute / 60)))
        )
  return {
    report,
    send: { ...rest, accepted: accepted.length, refused: refused.length, failed: failed.length },
    sendMs: result.durationMs,
    startedAt: started,
    sentAt: sentAt ?? ended,
    drainMs: ended - started,
    kills: killed,
    ...(singleQueue === undefined ? {} : { singleQueue }),
    ...(budget === undefined ? {} : { budget })
  }
}
