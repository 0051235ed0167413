import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
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

describe("SQLite audit trail flush", () => {
  it("commits with synchronous=NORMAL and puts the connection back to FULL, also after a failed write", async () => {
    const dir = mkdtempSync(join(tmpdir(), "audit-sync-"))
    try {
      const db = Sqlite.openDatabase(join(dir, "wb.sqlite"))
      // The statements the flush runs, in order: the synchronous level around the inserts.
      const ran: Array<string> = []
      const pragma = db.pragma.bind(db)
      db.pragma = ((source: string, options?: { simple?: boolean }) => {
        const level = /^synchronous = (\w+)$/.exec(source)?.[1]
        if (level !== undefined) ran.push(level)
        return pragma(source, options)
      }) as typeof db.pragma
      const prepare = db.prepare.bind(db)
      db.prepare = ((source: string) => {
        const st = prepare(source)
        if (/INSERT INTO audit/.test(source)) {
          const run = st.run.bind(st)
          st.run = (...args: Array<unknown>) => {
            ran.push(`insert at ${pragma("synchronous", { simple: true })}`)
            return run(...args)
          }
        }
        return st
      }) as typeof db.prepare
      const audit = SqliteAuditTrail.make(db, { retentionDays: 7 })
      const key = { source: "generic", ticketId: "T-1" }
      await Effect.runPromise(audit.record(key, { at: new Date().toISOString(), kind: "received" }))
      await Effect.runPromise(audit.flush)
      expect(ran).toEqual(["NORMAL", "insert at 1", "FULL"])
      expect(db.pragma("synchronous", { simple: true })).toBe(2)
      db.exec("CREATE TRIGGER audit_fail BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'no'); END")
      ran.length = 0
      await Effect.runPromise(audit.record(key, { at: new Date().toISOString(), kind: "received" }))
      await Effect.runPromise(audit.flush)
      expect(ran).toEqual(["NORMAL", "insert at 1", "FULL"])
      expect(db.pragma("synchronous", { simple: true })).toBe(2)
      db.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe("SQLite audit trail upkeep", () => {
  it("cuts the tickets of at most TRIM_ROWS_PER_FLUSH rows per flush and the rest at the next flushes", async () => {
    const db = Sqlite.openDatabase(":memory:")
    let clock = Date.now()
    const audit = SqliteAuditTrail.make(db, { retentionDays: 7, perTicket: 1, now: () => clock })
    const record = (ticketId: string) =>
      Effect.runPromise(
        audit.record({ source: "generic", ticketId }, { at: new Date(clock).toISOString(), kind: "received" })
      )
    const flush = () => Effect.runPromise(audit.flush)
    const rows = () => (db.prepare("SELECT COUNT(*) AS n FROM audit").get() as { n: number }).n
    // The first flush is an upkeep; the tickets written after it are cut from the next one on, a minute later.
    await record("first")
    await flush()
    // Two rows for each ticket, one after the other: a flush's rows hold half as many tickets.
    const tickets = SqliteAuditTrail.TRIM_ROWS_PER_FLUSH + 1
    for (let i = 0; i < tickets; i++) for (let n = 0; n < 2; n++) await record(`T-${i}`)
    await flush()
    expect(rows()).toBe(1 + 2 * tickets)
    clock += 61_000
    await record("other")
    await flush()
    const perFlush = SqliteAuditTrail.TRIM_ROWS_PER_FLUSH / 2
    // The tickets of the first TRIM_ROWS_PER_FLUSH rows lost their older entry, the rest wait for the next flushes.
    expect(rows()).toBe(1 + 2 * tickets + 1 - perFlush)
    await record("another")
    await flush()
    expect(rows()).toBe(1 + 2 * tickets + 2 - 2 * perFlush)
    await record("another")
    await flush()
    // The last ticket is cut; "another" was written after the upkeep and keeps both its entries until the next one.
    expect(rows()).toBe(1 + 2 * tickets + 3 - 2 * perFlush - 1)
    expect(rows()).toBe(1 + tickets + 3)
    clock += 61_000
    await record("last")
    await flush()
    // The next upkeep: "another" is cut to one entry, and "last" is one more.
    expect(rows()).toBe(1 + tickets + 3)
    db.close()
  })
})
