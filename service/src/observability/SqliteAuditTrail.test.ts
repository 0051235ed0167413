import { Effect, Layer } from "effect"
import { describe, expect, it } from "vitest"
import * as Sqlite from "../store/Sqlite.js"
import * as SqliteAuditTrail from "./SqliteAuditTrail.js"
import { auditTrailContract } from "../testing/auditTrailContract.js"

let clock = Date.now()

auditTrailContract(
  "SQLite",
  (perTicket) => {
    clock = Date.now()
    return SqliteAuditTrail.layer({ retentionDays: 7, perTicket, now: () => clock }).pipe(
      Layer.provide(Sqlite.layer(":memory:"))
    )
  },
  {
    check: async (audit, key) => {
      expect(await Effect.runPromise(audit.list(key))).toHaveLength(1)
      // Eight days on, the next write deletes what is older than seven.
      clock += 8 * 86_400_000
      await Effect.runPromise(
        audit.record({ source: "generic", ticketId: "other" }, { at: new Date(clock).toISOString(), kind: "received" })
      )
      expect(await Effect.runPromise(audit.list(key))).toEqual([])
      expect(await Effect.runPromise(audit.list({ source: "generic", ticketId: "other" }))).toHaveLength(1)
    }
  }
)

describe("SQLite audit trail storage", () => {
  it("deletes a ticket's entries beyond its newest perTicket, not just hides them", async () => {
    const db = Sqlite.openDatabase(":memory:")
    const audit = SqliteAuditTrail.make(db, { retentionDays: 7, perTicket: 3 })
    const key = { source: "generic", ticketId: "T-9" }
    for (let i = 0; i < 10; i++)
      await Effect.runPromise(audit.record(key, { at: new Date().toISOString(), kind: "call", latencyMs: i }))
    await Effect.runPromise(audit.flush)
    const rows = db
      .prepare("SELECT COUNT(*) AS n FROM audit WHERE source = ? AND ticket_id = ?")
      .get("generic", "T-9") as { n: number }
    expect(rows.n).toBe(3)
    db.close()
  })
})
