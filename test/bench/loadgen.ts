/**
 * The load generator, run as its own process so it never shares an event loop with the server under test:
 * `node --import tsx test/bench/loadgen.ts '<json LoadSpec>'` runs the load and prints one JSON line (LoadResult).
 *
 * Two ways to load:
 * - closed loop (throughput): autocannon, each of `connections` sending its next request when its answer is in;
 * - `paced` (latency at a rate): one request every `1000 / overallRate` ms, evenly spaced and open loop (a request
 *   is sent at its time whether or not earlier ones were answered; up to `connections` keep-alive connections, the
 *   rest wait for one), each latency counted from the time the request was due, so a slow answer delays no later
 *   measurement (no coordinated omission). autocannon's own `overallRate` is not used for this: it lets each
 *   connection send its whole share of a second back to back at the start of each second (`reqsMadeThisSecond`
 *   in its `lib/httpClient.js`, reset by a one-second timer), which at 1,000 req/s is a burst at full concurrency
 *   every second, not 1,000 req/s.
 *
 * `body: "generic-webhook"` makes every request a distinct ticket event of the generic JSON source, signed with
 * `secret` (so the service accepts each one instead of answering "duplicate").
 */
import { createHmac } from "node:crypto"
import { Agent, request } from "node:http"
import { performance } from "node:perf_hooks"
import autocannon from "autocannon"

export interface LoadSpec {
  /** Base URL; only 127.0.0.1 / localhost are allowed. */
  readonly url: string
  readonly path: string
  readonly connections: number
  readonly durationSeconds: number
  /** Requests per second over all connections; unlimited when omitted (required when `paced`). */
  readonly overallRate?: number
  /** Evenly spaced, open-loop requests at `overallRate` (the latency figures), instead of autocannon's closed loop. */
  readonly paced?: boolean
  /** Paced runs: seconds of requests sent at the pace before the measured `durationSeconds`, not measured. */
  readonly warmupSeconds?: number
  readonly headers?: Readonly<Record<string, string>>
  /** A fixed JSON body, or distinct signed generic-source webhook events. */
  readonly body: { readonly json: unknown } | "generic-webhook"
  /** The generic source's secret (for `generic-webhook`). */
  readonly secret?: string
  /** Prefix of generated ticket ids (unique per run). */
  readonly prefix?: string
}

export interface LoadResult {
  /** Mean requests per second completed. */
  readonly rps: number
  readonly total: number
  readonly non2xx: number
  readonly errors: number
  readonly timeouts: number
  readonly latencyMs: {
    readonly p50: number
    readonly p90: number
    readonly p99: number
    readonly max: number
    readonly mean: number
  }
  readonly durationSeconds: number
  /** Paced runs: how late the generator itself sent its requests (its own stalls), p99 and max, ms. */
  readonly sendLagMs?: { readonly p99: number; readonly max: number }
}

/** Nearest-rank percentile of ascending `sorted` (0 when empty). */
export const percentile = (sorted: ArrayLike<number>, p: number): number =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!

/** Request bodies and headers: a fixed JSON body, or distinct signed generic-source events. */
const requestsOf = (spec: LoadSpec): (() => { body: string; headers: Record<string, string> }) => {
  let n = 0
  const webhook = (): { body: string; headers: Record<string, string> } => {
    n++
    const id = `${spec.prefix ?? "load"}-${process.pid}-${n}`
    const body = JSON.stringify({
      ticket_id: id,
      revision: 1,
      event_id: `${id}-1`,
      kind: "created",
      fields: {
        subject: `Load test ticket ${n}`,
        status: "new",
        priority: "normal",
        category: "incident",
        product_family: ["web"]
      }
    })
    const signature = `sha256=${createHmac("sha256", spec.secret ?? "")
      .update(body)
      .digest("hex")}`
    return {
      body,
      headers: { "content-type": "application/json", "x-workbridge-signature": signature, ...spec.headers }
    }
  }
  if (spec.body === "generic-webhook") return webhook
  const fixed = {
    body: JSON.stringify(spec.body.json),
    headers: { "content-type": "application/json", ...spec.headers }
  }
  return () => fixed
}

const checkUrl = (url: string): URL => {
  const u = new URL(url)
  if (u.hostname !== "127.0.0.1" && u.hostname !== "localhost")
    throw new Error(`loadgen: url must be on 127.0.0.1 (got ${u.hostname})`)
  return u
}

/**
 * Open loop: request i is due at start + i × (1000 / rate) ms; its latency runs from then to its answer's end. The
 * requests of the first `warmupSeconds` are sent at the same pace but not measured: they warm this process's own
 * code (a fresh process per round) and its connections, which would otherwise weigh on the round's slowest answers.
 */
const runPaced = (spec: LoadSpec, u: URL): Promise<LoadResult> => {
  const rate = spec.overallRate
  if (rate === undefined || !(rate > 0)) throw new Error("loadgen: a paced run needs overallRate > 0")
  const next = requestsOf(spec)
  const agent = new Agent({ keepAlive: true, maxSockets: spec.connections })
  const warm = Math.round(rate * (spec.warmupSeconds ?? 0))
  const measured = Math.round(rate * spec.durationSeconds)
  const total = warm + measured
  const interval = 1000 / rate
  const latencies = new Float64Array(measured)
  const sendLags = new Float64Array(measured)
  let answered = 0
  let non2xx = 0
  let errors = 0
  let settled = 0
  return new Promise((resolve) => {
    const start = performance.now() + 5
    const measuredFrom = start + warm * interval
    let lastEnd = measuredFrom
    const finish = () => {
      agent.destroy()
      const lat = latencies.slice(0, answered).sort()
      const lags = sendLags.slice().sort()
      const seconds = (lastEnd - measuredFrom) / 1000
      const mean = lat.reduce((a, b) => a + b, 0) / Math.max(1, lat.length)
      resolve({
        rps: seconds > 0 ? answered / seconds : 0,
        total: answered,
        non2xx,
        errors,
        timeouts: total - settled,
        latencyMs: {
          p50: percentile(lat, 50),
          p90: percentile(lat, 90),
          p99: percentile(lat, 99),
          max: percentile(lat, 100),
          mean
        },
        durationSeconds: seconds,
        sendLagMs: { p99: percentile(lags, 99), max: percentile(lags, 100) }
      })
    }
    const settle = () => {
      settled++
      if (settled === total) {
        clearTimeout(deadline)
        finish()
      }
    }
    const send = (k: number) => {
      const due = start + k * interval
      const { body, headers } = next()
      if (k >= warm) sendLags[k - warm] = performance.now() - due
      const req = request(
        {
          agent,
          host: u.hostname,
          port: u.port,
          path: spec.path,
          method: "POST",
          headers: { ...headers, "content-length": Buffer.byteLength(body) }
        },
        (res) => {
          res.on("data", () => {})
          res.on("end", () => {
            const end = performance.now()
            if (k >= warm) {
              latencies[answered++] = end - due
              lastEnd = Math.max(lastEnd, end)
            }
            if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) > 299) non2xx++
            settle()
          })
        }
      )
      req.on("error", () => {
        errors++
        settle()
      })
      req.end(body)
    }
    let i = 0
    const tick = () => {
      const now = performance.now()
      while (i < total && start + i * interval <= now) send(i++)
      if (i < total) setTimeout(tick, Math.max(0, start + i * interval - performance.now()))
    }
    // Answers still missing 10 s after the last request was due count as timeouts.
    const deadline = setTimeout(finish, (spec.warmupSeconds ?? 0) * 1000 + spec.durationSeconds * 1000 + 10_000)
    setTimeout(tick, 5)
  })
}

export const runLoad = async (spec: LoadSpec): Promise<LoadResult> => {
  const u = checkUrl(spec.url)
  if (spec.paced === true) return runPaced(spec, u)
  const next = requestsOf(spec)
  const result = await autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: spec.durationSeconds,
    ...(spec.overallRate === undefined ? {} : { overallRate: spec.overallRate }),
    requests: [
      {
        method: "POST",
        path: spec.path,
        setupRequest: (req: Record<string, unknown>) => {
          const r = next()
          return { ...req, body: r.body, headers: r.headers }
        }
      }
    ]
  } as never)
  const r = result as unknown as {
    requests: { average: number; total: number }
    latency: { p50: number; p90: number; p99: number; max: number; average: number }
    non2xx: number
    errors: number
    timeouts: number
    duration: number
  }
  return {
    rps: r.requests.average,
    total: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    latencyMs: {
      p50: r.latency.p50,
      p90: r.latency.p90,
      p99: r.latency.p99,
      max: r.latency.max,
      mean: r.latency.average
    },
    durationSeconds: r.duration
  }
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const raw = process.argv[2]
  if (raw === undefined) {
    process.stderr.write("usage: loadgen.ts '<json LoadSpec>'\n")
    process.exit(2)
  }
  runLoad(JSON.parse(raw) as LoadSpec).then(
    (r) => {
      process.stdout.write(`${JSON.stringify(r)}\n`)
      process.exit(0)
    },
    (e: unknown) => {
      process.stderr.write(`loadgen: ${e instanceof Error ? e.message : String(e)}\n`)
      process.exit(1)
    }
  )
}
