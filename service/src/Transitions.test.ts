import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { StatusId, type WorktypeStatus } from "@workbridge/genesys"
import { shortestStatusPath } from "./Transitions.js"

const s = (id: string, ...destinationStatusIds: Array<string>): WorktypeStatus => ({
  id: StatusId.make(id),
  name: id,
  destinationStatusIds: destinationStatusIds.map((d) => StatusId.make(d))
})

// The default catalog's graph.
const graph = [
  s("open", "progress", "waiting", "resolved", "closed"),
  s("progress", "open", "waiting", "resolved", "closed"),
  s("waiting", "progress", "resolved", "closed"),
  s("resolved", "closed", "open"),
  s("closed", "open")
]

describe("shortestStatusPath", () => {
  it("is empty when already at the target, one step for an allowed move", () => {
    expect(shortestStatusPath(graph, "open", "open")).toEqual([])
    expect(shortestStatusPath(graph, "open", "resolved")).toEqual(["resolved"])
  })

  it("walks through an intermediate status when the direct move is not allowed", () => {
    expect(shortestStatusPath(graph, "closed", "progress")).toEqual(["open", "progress"])
    expect(shortestStatusPath(graph, "resolved", "waiting")).toEqual(["open", "waiting"])
  })

  it("treats an empty destination list as 'any status'", () => {
    expect(shortestStatusPath([s("a"), s("b", "a"), s("c", "a")], "a", "c")).toEqual(["c"])
  })

  it("answers undefined when no path exists or the target is unknown", () => {
    const oneWay = [s("a", "b"), s("b", "c"), s("c", "b")]
    expect(shortestStatusPath(oneWay, "c", "a")).toBeUndefined()
    expect(shortestStatusPath(graph, "open", "nowhere")).toBeUndefined()
  })

  it("every returned path is allowed step by step and no shorter path exists (random graphs)", () => {
    const ids = ["s0", "s1", "s2", "s3", "s4", "s5"]
    const arb = fc.tuple(
      fc.array(fc.subarray(ids), { minLength: ids.length, maxLength: ids.length }),
      fc.constantFrom(...ids),
      fc.constantFrom(...ids)
    )
    fc.assert(
      fc.property(arb, ([dests, from, to]) => {
        const statuses = ids.map((id, i) => s(id, ...dests[i]!.filter((d) => d !== id)))
        const allowed = (a: string, b: string) => {
          const st = statuses.find((x) => x.id === a)!
          return st.destinationStatusIds.length === 0 ? a !== b : st.destinationStatusIds.includes(StatusId.make(b))
        }
        const path = shortestStatusPath(statuses, from, to)
        // Reference: the length of the shortest path by exhaustive BFS over lengths.
        const reach = (n: number): boolean => {
          let cur = new Set([from])
          for (let k = 0; k < n; k++) {
            const nxt = new Set<string>()
            for (const a of cur) for (const b of ids) if (allowed(a, b)) nxt.add(b)
            cur = nxt
          }
          return cur.has(to)
        }
        if (path === undefined) {
          for (let n = 1; n <= ids.length; n++) if (reach(n)) return false
          return from !== to
        }
        let at = from
        for (const step of path) {
          if (!allowed(at, step)) return false
          at = step
        }
        if (at !== to) return false
        for (let n = 1; n < path.length; n++) if (reach(n)) return false
        return true
      })
    )
  })
})
