/** The emulator's request log and call statistics (what tests and the chaos suite read back). */
import type { Config } from "./route.js"

export interface LoggedRequest {
  readonly method: string
  readonly path: string
  /** HTTP status answered; 0 when the connection was hung or dropped by a fault. */
  readonly status: number
  /** ISO instant the request arrived. */
  readonly at: string
  readonly clientId?: string
  /** Route template, e.g. `/api/v2/taskmanagement/workitems/{workitemId}`. */
  readonly route?: string
  /** The fault kind applied, if any. */
  readonly fault?: string
  readonly correlationId: string
}

export interface EmulatorStats {
  /** `"METHOD template"` → status → count. */
  readonly calls: Readonly<Record<string, Readonly<Record<string, number>>>>
  readonly total: number
  readonly rateLimited: number
}

const MAX_LOG = 100_000

export interface RequestLog {
  /** Log one answered (or hung, dropped) request; one line on stdout unless `config.quiet`. */
  readonly record: (entry: LoggedRequest, started: number) => void
  readonly stats: () => EmulatorStats
  readonly requests: () => ReadonlyArray<LoggedRequest>
  readonly clear: () => void
}

export const makeRequestLog = (config: Config, clock: () => number): RequestLog => {
  let log: Array<LoggedRequest> = []
  const calls = new Map<string, Map<number, number>>()
  let total = 0
  let rateLimited = 0
  return {
    record: (entry, started) => {
      total++
      if (entry.status === 429) rateLimited++
      const key = `${entry.method} ${entry.route ?? "(unmatched)"}`
      let byStatus = calls.get(key)
      if (byStatus === undefined) calls.set(key, (byStatus = new Map()))
      byStatus.set(entry.status, (byStatus.get(entry.status) ?? 0) + 1)
      if (log.length >= MAX_LOG) log = log.slice(MAX_LOG / 2)
      log.push(entry)
      if (!config.quiet)
        process.stdout.write(
          `${entry.at} ${entry.method} ${entry.path} ${entry.status}${entry.fault === undefined ? "" : ` fault=${entry.fault}`} ${clock() - started}ms\n`
        )
    },
    stats: () => {
      const out: Record<string, Record<string, number>> = {}
      for (const [k, m] of calls) out[k] = Object.fromEntries([...m].map(([s, n]) => [String(s), n]))
      return { calls: out, total, rateLimited }
    },
    requests: () => log.slice(),
    clear: () => {
      log = []
    }
  }
}
