/**
 * The load generator, run as its own process so it never shares an event loop with the server under test:
 * `node --import tsx test/bench/loadgen.ts '<json LoadSpec>'` runs autocannon and prints one JSON line (LoadResult).
 *
 * `body: "generic-webhook"` makes every request a distinct ticket event of the generic JSON source, signed with
 * `secret` (so the service accepts each one instead of answering "duplicate").
 */
import { createHmac } from "node:crypto"
import autocannon from "autocannon"

export interface LoadSpec {
  /** Base URL; only 127.0.0.1 / localhost are allowed. */
  readonly url: string
  readonly path: string
  readonly connections: number
  readonly durationSeconds: number
  /** Requests per second over all connections; unlimited when omitted. */
  readonly overallRate?: number
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
}

const run = async (spec: LoadSpec): Promise<LoadResult> => {
  const host = new URL(spec.url).hostname
  if (host !== "127.0.0.1" && host !== "localhost") throw new Error(`loadgen: url must be on 127.0.0.1 (got ${host})`)
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
    return { body, headers: { "content-type": "application/json", "x-workbridge-signature": signature } }
  }
  const fixed = spec.body === "generic-webhook" ? undefined : JSON.stringify(spec.body.json)
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
          if (fixed !== undefined)
            return { ...req, body: fixed, headers: { "content-type": "application/json", ...spec.headers } }
          const w = webhook()
          return { ...req, body: w.body, headers: { ...w.headers, ...spec.headers } }
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
  run(JSON.parse(raw) as LoadSpec).then(
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
