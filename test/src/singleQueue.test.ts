import { makeRevision } from "@workbridge/catalog"
import { describe, expect, it } from "vitest"
import { type Arrival, singleQueueCalls } from "./singleQueue.js"
import type { Delivery } from "./storm.js"

const arrival = (ticket: string, rev: number, atMs: number, deliveryKey = `${ticket}:${rev}`): Arrival => ({
  delivery: {
    ticket: `generic/${ticket}`,
    event: { source: "generic", ticketId: ticket, revision: makeRevision(rev), deliveryKey }
  } as unknown as Delivery,
  atMs
})

describe("the single-queue yardstick", () => {
  it("a storm that arrives at once costs one call per ticket; duplicates and stale copies cost nothing", () => {
    const r = singleQueueCalls(
      [arrival("A", 1, 0), arrival("A", 2, 0), arrival("B", 1, 0), arrival("A", 2, 0), arrival("B", 1, 0, "copy")],
      60,
      1
    )
    expect(r).toEqual({ calls: 2, whileArriving: 1 })
  })

  it("an event after its ticket was applied costs another call; oldest pending first", () => {
    // 1 call a second, burst 1: A at 0 (call 1), B at 0.5 and A again at 0.6 → B at 1 s (older), A at 2 s.
    const r = singleQueueCalls([arrival("A", 1, 0), arrival("B", 1, 500), arrival("A", 2, 600)], 60, 1)
    expect(r).toEqual({ calls: 3, whileArriving: 1 })
    // A stale late copy of A after it was applied costs none.
    expect(singleQueueCalls([arrival("A", 2, 0), arrival("A", 1, 5_000)], 60, 1).calls).toBe(1)
  })

  it("a slower budget coalesces more", () => {
    const storm = Array.from({ length: 40 }, (_, i) => arrival(`T${i % 4}`, Math.floor(i / 4) + 1, i * 100))
    const fast = singleQueueCalls(storm, 6000, 10).calls
    const slow = singleQueueCalls(storm, 60, 1).calls
    expect(fast).toBe(40)
    expect(slow).toBeLessThan(fast)
    expect(slow).toBeGreaterThanOrEqual(4)
  })
})
