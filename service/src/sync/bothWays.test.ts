/** When the helpdesk's status took its value, as far as one batch shows (sources without write-back). */
import { describe, expect, it } from "vitest"
import type { InboxEntry } from "../domain/records.js"
import { testEvent } from "../testing/events.js"
import { statusSinceIn } from "./apply.js"

const entry = (rev: number, at: string, status: string, subject = "s"): InboxEntry => ({
  id: String(rev),
  acceptedAt: at,
  event: testEvent({ source: "zendesk", ticketId: "1", rev, occurredAt: at, fields: { status, subject } })
})

describe("statusSinceIn", () => {
  it("is the oldest event of the run of the newest event's status", () => {
    const entries = [
      entry(1, "2026-01-01T00:00:01Z", "open"),
      entry(2, "2026-01-01T00:00:02Z", "pending"),
      entry(3, "2026-01-01T00:00:03Z", "pending", "renamed")
    ]
    expect(statusSinceIn("status", entries)).toBe("2026-01-01T00:00:02Z")
    expect(statusSinceIn("status", entries.slice(0, 1))).toBe("2026-01-01T00:00:01Z")
    expect(statusSinceIn(undefined, entries)).toBe("2026-01-01T00:00:03Z")
  })
})
