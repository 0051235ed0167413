import { describe, expect, it } from "vitest"
import { breakDownCalls, formatBreakdown } from "../distributed/replicas.js"

const A = "11111111-1111-4111-8111-111111111111"
const B = "22222222-2222-4222-8222-222222222222"
const W = "/api/v2/taskmanagement/workitems"

describe("distributed storm call breakdown", () => {
  it("counts calls by operation and outcome, per ticket, and per workitem named in the path", () => {
    const b = breakDownCalls(
      [
        { method: "POST", path: W, route: W, status: 200 },
        { method: "POST", path: W, route: W, status: 429 },
        { method: "POST", path: W, route: W, status: 200 },
        { method: "PATCH", path: `${W}/${A}`, route: `${W}/{workitemId}`, status: 200 },
        { method: "PATCH", path: `${W}/${A}`, route: `${W}/{workitemId}`, status: 503 },
        { method: "GET", path: `${W}/${A}`, route: `${W}/{workitemId}`, status: 0 },
        { method: "PATCH", path: `${W}/${B}`, route: `${W}/{workitemId}`, status: 200 },
        { method: "POST", path: `${W}/query`, route: `${W}/query`, status: 200 }
      ],
      2
    )
    expect(b.byOperation.map((o) => [o.operation, o.calls, o.perTicket])).toEqual([
      [`POST ${W}`, 3, 1.5],
      [`PATCH ${W}/{workitemId}`, 3, 1.5],
      [`GET ${W}/{workitemId}`, 1, 0.5],
      [`POST ${W}/query`, 1, 0.5]
    ])
    expect(b.byOperation[0]!.byStatus).toEqual({ "2xx": 2, "429": 1 })
    expect(b.byOperation[1]!.byStatus).toEqual({ "2xx": 2, "5xx": 1 })
    expect(b.byOperation[2]!.byStatus).toEqual({ none: 1 })
    expect(b.perWorkitem).toEqual({ "1": 1, "3": 1 })
    expect(formatBreakdown(b)).toBe(
      `by operation: POST ${W} 3 (1.50/ticket; 429: 1), PATCH ${W}/{workitemId} 3 (1.50/ticket; 5xx: 1), GET ${W}/{workitemId} 1 (0.50/ticket; none: 1), POST ${W}/query 1 (0.50/ticket); workitems by calls naming them (PATCH, GET): 1 → 1, 3 → 1`
    )
  })

  it("counts, per operation, the calls made before the storm had arrived", () => {
    const at = (ms: number) => new Date(ms).toISOString()
    const b = breakDownCalls(
      [
        { method: "POST", path: W, route: W, status: 200, at: at(1_000) },
        { method: "PATCH", path: `${W}/${A}`, route: `${W}/{workitemId}`, status: 200, at: at(2_000) },
        { method: "POST", path: W, route: W, status: 200, at: at(3_000) },
        { method: "PATCH", path: `${W}/${A}`, route: `${W}/{workitemId}`, status: 200, at: at(3_001) }
      ],
      2,
      3_000
    )
    expect(b.byOperation.map((o) => [o.operation, o.calls, o.whileArriving])).toEqual([
      [`POST ${W}`, 2, 2],
      [`PATCH ${W}/{workitemId}`, 2, 1]
    ])
    expect(formatBreakdown(b)).toBe(
      `by operation: POST ${W} 2 (1.00/ticket; 2 while the storm arrived), PATCH ${W}/{workitemId} 2 (1.00/ticket; 1 while the storm arrived); workitems by calls naming them (PATCH, GET): 2 → 1`
    )
  })
})
