/**
 * The arithmetic of the backfill rows of `pnpm bench` (test/bench/backfill.ts), kept apart so it is tested without a
 * stack: Genesys calls counted from the emulator's request log, the `pnpm backfill --json` summary, the floor of a
 * bulk backfill's calls, and lag percentiles.
 */

/** One request from the Genesys emulator's log (the fields counted here). */
export interface LoggedCall {
  readonly method: string
  readonly path: string
  readonly status: number
  /** ISO instant it arrived. */
  readonly at: string
  readonly clientId?: string
  readonly route?: string
}

export interface CallCount {
  /** API calls (token requests left out). */
  readonly api: number
  /** Of those, writes: every method but GET, less the workitem and worktype queries (POST …/query reads). */
  readonly writes: number
  /** `METHOD route` → calls, in the order first seen. */
  readonly byOperation: Readonly<Record<string, number>>
}

/** The calls `clientId` made from `from` (inclusive) to `to` (exclusive), epoch ms. */
export const countCalls = (log: ReadonlyArray<LoggedCall>, clientId: string, from: number, to: number): CallCount => {
  let api = 0
  let writes = 0
  const byOperation: Record<string, number> = {}
  for (const r of log) {
    const at = Date.parse(r.at)
    if (r.clientId !== clientId || at < from || at >= to || r.path.includes("/oauth/token")) continue
    api++
    const route = r.route ?? r.path
    if (r.method !== "GET" && !route.endsWith("/query")) writes++
    const op = `${r.method} ${route}`
    byOperation[op] = (byOperation[op] ?? 0) + 1
  }
  return { api, writes, byOperation }
}

/** `POST …/workitems/bulk/add/jobs 20, PATCH … 20` — the operations with their counts, the API prefix left out. */
export const formatOperations = (c: CallCount): string =>
  Object.entries(c.byOperation)
    .map(([op, n]) => `${op.replace("/api/v2/taskmanagement", "")} ${n}`)
    .join(", ") || "none"

/** Workitems per bulk add job (developer.genesys.cloud "Bulk Operations": 1 to 50). */
export const PER_JOB = 50
/** Calls per job with only documented behaviour: create, queue, one status read that finds it finished, results. */
export const CALLS_PER_JOB = 4

/** The fewest calls a bulk backfill of `tickets` new tickets can make: 4 per job of up to 50 (docs/genesys-api.md §2.12). */
export const bulkFloor = (tickets: number): number => CALLS_PER_JOB * Math.ceil(tickets / PER_JOB)

/** The summary `pnpm backfill --json` prints (service/bin/backfill.ts). */
export interface BackfillSummary {
  readonly dryRun: boolean
  readonly read: number
  readonly created: number
  readonly updated: number
  readonly upToDate: number
  readonly refused: number
  readonly pending: number
}

/** Reads the summary from `pnpm backfill --json`'s output; an error names what is missing or not a number. */
export const parseBackfillSummary = (stdout: string): BackfillSummary => {
  const start = stdout.indexOf("{")
  if (start < 0) throw new Error(`pnpm backfill --json printed no JSON: ${stdout.slice(0, 200)}`)
  let o: Record<string, unknown>
  try {
    o = JSON.parse(stdout.slice(start)) as Record<string, unknown>
  } catch (e) {
    throw new Error(`pnpm backfill --json printed invalid JSON (${e instanceof Error ? e.message : String(e)})`)
  }
  const n = (k: string): number => {
    const v = o[k]
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0)
      throw new Error(`the backfill summary's "${k}" is not a count (got ${JSON.stringify(v)})`)
    return v
  }
  if (typeof o["dryRun"] !== "boolean")
    throw new Error(`the backfill summary's "dryRun" is not true or false (got ${JSON.stringify(o["dryRun"])})`)
  return {
    dryRun: o["dryRun"],
    read: n("read"),
    created: n("created"),
    updated: n("updated"),
    upToDate: n("upToDate"),
    refused: n("refused"),
    pending: n("pending")
  }
}

/** The `p` quantile (0 < p ≤ 1, nearest rank) of `values`; NaN when empty. */
export const quantile = (values: ReadonlyArray<number>, p: number): number => {
  const v = [...values].sort((a, b) => a - b)
  return v.length === 0 ? Number.NaN : v[Math.min(v.length - 1, Math.max(0, Math.ceil(p * v.length) - 1))]!
}
