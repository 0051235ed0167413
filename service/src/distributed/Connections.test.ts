import { describe, expect, it } from "vitest"
import { checkPrefix, partitionOf, redactMessage, redactUrl, ticketSegment } from "./Connections.js"

describe("distributed helpers", () => {
  it("redacts passwords from URLs and messages", () => {
    expect(redactUrl("amqp://guest:s3cret@mq:5672/vh")).toBe("amqp://guest:***@mq:5672/vh")
    expect(redactUrl("redis://:s3cret@r:6379")).not.toContain("s3cret")
    expect(redactMessage("connect to amqp://guest:s3cret@mq:5672 failed")).toBe(
      "connect to amqp://guest:***@mq:5672 failed"
    )
  })

  it("puts a ticket on one partition, always the same, and spreads tickets over all partitions", () => {
    const seen = new Set<number>()
    for (let i = 0; i < 200; i++) {
      const key = { source: "zendesk", ticketId: String(i) }
      const p = partitionOf(key, 8)
      expect(partitionOf({ ...key }, 8)).toBe(p)
      expect(p).toBeGreaterThanOrEqual(0)
      expect(p).toBeLessThan(8)
      seen.add(p)
    }
    expect(seen.size).toBe(8)
  })

  it("keeps ticket segments apart when parts contain separators", () => {
    expect(ticketSegment({ source: "a/b", ticketId: "c" })).not.toBe(ticketSegment({ source: "a", ticketId: "b/c" }))
  })

  it("refuses prefixes that could escape their namespace", () => {
    expect(() => checkPrefix("wb:*")).toThrow(/prefix/)
    expect(checkPrefix("wb-test-1")).toBe("wb-test-1")
  })
})
