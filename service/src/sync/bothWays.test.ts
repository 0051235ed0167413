/** The forward side of the "both" rule for the status: when the helpdesk's status took its value, and when it stands. */
import { DEFAULT_WRITE_BACK_STATUSES } from "@workbridge/catalog"
import { describe, expect, it } from "vitest"
import type { InboxEntry, Link } from "../domain/records.js"
import { testEvent } from "../testing/events.js"
import { bothWaysStatus, statusSinceIn } from "./apply.js"

const entry = (rev: number, at: string, status: string, subject = "s"): InboxEntry => ({
  id: String(rev),
  acceptedAt: at,
  event: testEvent({ source: "zendesk", ticketId: "1", rev, occurredAt: at, fields: { status, subject } })
})

const rule = { statusKey: "status", writeBackStatuses: () => DEFAULT_WRITE_BACK_STATUSES["zendesk"]! }

/** A link after an agent's close at 00:00:10 was written back (Zendesk `solved`, catalog value `closed`). */
const closedByAgent = (): Link => ({
  workitemId: "w",
  appliedRevision: "r",
  appliedValues: { status: "closed", subject: "s" },
  appliedAt: "2026-01-01T00:00:11Z",
  occurredAt: "2026-01-01T00:00:05Z",
  statusChangedAt: "2026-01-01T00:00:00Z",
  writeBack: { status: "solved", value: "closed", eventAt: "2026-01-01T00:00:10Z", outcome: "written" }
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

describe("bothWaysStatus", () => {
  it("keeps the agent's status over a helpdesk status older than the agent's change", () => {
    const values: Record<string, unknown> = { status: "pending", subject: "renamed" }
    const at = bothWaysStatus(rule, closedByAgent(), "2026-01-01T00:00:08Z", values)
    expect(values["status"]).toBe("closed")
    expect(at).toBe("2026-01-01T00:00:00Z")
  })

  it("keeps the agent's status when the helpdesk reports the status the write-back put there", () => {
    const values: Record<string, unknown> = { status: "solved", subject: "renamed" }
    bothWaysStatus(rule, closedByAgent(), "2026-01-01T00:00:12Z", values)
    expect(values["status"]).toBe("closed")
  })

  it("applies a helpdesk status set after the agent's change, and records when", () => {
    const values: Record<string, unknown> = { status: "pending", subject: "s" }
    const at = bothWaysStatus(rule, closedByAgent(), "2026-01-01T00:00:12Z", values)
    expect(values["status"]).toBe("pending")
    expect(at).toBe("2026-01-01T00:00:12Z")
  })

  it("lets the written status through once another helpdesk status was applied since", () => {
    const link = { ...closedByAgent(), appliedValues: { status: "pending", subject: "s" } }
    const values: Record<string, unknown> = { status: "solved", subject: "s" }
    bothWaysStatus(rule, link, "2026-01-01T00:00:20Z", values)
    expect(values["status"]).toBe("solved")
  })
})
