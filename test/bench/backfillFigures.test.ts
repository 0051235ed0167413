import { describe, expect, it } from "vitest"
import {
  bulkFloor,
  countCalls,
  formatOperations,
  type LoggedCall,
  parseBackfillSummary,
  quantile
} from "./backfillFigures.js"

const TM = "/api/v2/taskmanagement"
const JOBS = `${TM}/workitems/bulk/add/jobs`
const at = (ms: number) => new Date(ms).toISOString()
const call = (method: string, route: string, ms: number, clientId = "svc"): LoggedCall => ({
  method,
  path: route.replace("{bulkJobId}", "j1"),
  route,
  status: 200,
  at: at(ms),
  clientId
})

describe("backfill bench: calls counted at the emulator", () => {
  const log: Array<LoggedCall> = [
    call("POST", "/oauth/token", 1000),
    call("POST", `${TM}/workitems/query`, 1000),
    call("POST", JOBS, 1001),
    call("PATCH", `${JOBS}/{bulkJobId}`, 1002),
    call("GET", `${JOBS}/{bulkJobId}`, 1500),
    call("GET", `${JOBS}/{bulkJobId}/results`, 1501),
    call("POST", JOBS, 1502, "admin"),
    call("PATCH", `${TM}/workitems/{workitemId}`, 999),
    call("PATCH", `${TM}/workitems/{workitemId}`, 2000)
  ]

  it("counts one client's API calls in the window, token requests left out, with the writes and each operation", () => {
    const c = countCalls(log, "svc", 1000, 2000)
    expect(c.api).toBe(5)
    expect(c.writes).toBe(2)
    expect(c.byOperation).toEqual({
      [`POST ${TM}/workitems/query`]: 1,
      [`POST ${JOBS}`]: 1,
      [`PATCH ${JOBS}/{bulkJobId}`]: 1,
      [`GET ${JOBS}/{bulkJobId}`]: 1,
      [`GET ${JOBS}/{bulkJobId}/results`]: 1
    })
    expect(formatOperations(c)).toBe(
      "POST /workitems/query 1, POST /workitems/bulk/add/jobs 1, PATCH /workitems/bulk/add/jobs/{bulkJobId} 1, GET /workitems/bulk/add/jobs/{bulkJobId} 1, GET /workitems/bulk/add/jobs/{bulkJobId}/results 1"
    )
    expect(countCalls(log, "svc", 3000, 4000)).toEqual({ api: 0, writes: 0, byOperation: {} })
    expect(formatOperations(countCalls(log, "svc", 3000, 4000))).toBe("none")
  })

  it("puts the floor of a bulk backfill at 4 calls per job of up to 50", () => {
    expect(bulkFloor(1000)).toBe(80)
    expect(bulkFloor(1001)).toBe(84)
    expect(bulkFloor(10_000)).toBe(800)
    expect(bulkFloor(1)).toBe(4)
  })
})

describe("backfill bench: the pnpm backfill --json summary", () => {
  it("reads the summary's counts", () => {
    const out = `${JSON.stringify({ source: "zendesk", dryRun: false, read: 1000, created: 1000, updated: 0, upToDate: 0, refused: 0, refusedReasons: {}, pending: 0 }, null, 2)}\n`
    expect(parseBackfillSummary(out)).toEqual({
      dryRun: false,
      read: 1000,
      created: 1000,
      updated: 0,
      upToDate: 0,
      refused: 0,
      pending: 0
    })
  })

  it("names what is missing or not a count", () => {
    expect(() => parseBackfillSummary("reading zendesk: 10 tickets")).toThrow(/printed no JSON/)
    expect(() => parseBackfillSummary("{ not json")).toThrow(/invalid JSON/)
    expect(() =>
      parseBackfillSummary(JSON.stringify({ dryRun: true, read: 1, created: 1, updated: 0, upToDate: 0, refused: 0 }))
    ).toThrow(/"pending" is not a count \(got undefined\)/)
    expect(() => parseBackfillSummary(JSON.stringify({ dryRun: "no", read: 1 }))).toThrow(
      /"dryRun" is not true or false/
    )
    expect(() =>
      parseBackfillSummary(
        JSON.stringify({ dryRun: true, read: -1, created: 1, updated: 0, upToDate: 0, refused: 0, pending: 0 })
      )
    ).toThrow(/"read" is not a count \(got -1\)/)
  })
})

describe("backfill bench: lag quantiles", () => {
  it("takes the nearest-rank quantile whatever the order", () => {
    expect(quantile([900, 100, 300, 700, 500], 0.5)).toBe(500)
    expect(quantile([900, 100, 300, 700, 500], 1)).toBe(900)
    expect(quantile([4, 1, 3, 2], 0.5)).toBe(2)
    expect(Number.isNaN(quantile([], 0.5))).toBe(true)
  })
})
