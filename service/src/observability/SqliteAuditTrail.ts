/**
 * The audit trail on SQLite: table `audit` in the service's database, written in batches (one transaction per
 * flush). Upkeep, at most once a minute on a flush: entries older than `retentionDays` are deleted (oldest rows
 * first, by id: rows are appended in time order, so no index on the time is kept up on every insert), and each
 * ticket written since the last upkeep is cut to its newest `perTicket` entries. Reads never answer more than
 * `perTicket` entries.
 *
 * A flush commits with `synchronous=NORMAL` (the connection's FULL is restored after it): the trail is a record for
 * people, and a synchronous fsync of the WAL several times a second would hold the event loop, and with it the
 * webhooks being answered, for a few milliseconds each time. Its rows are still in the WAL file the moment the
 * flush returns (a kill -9 loses none of them) and on disk with the inbox's next synced commit or checkpoint; only an
 * operating-system crash or power loss before that can lose them.
 */
import { Effect, Layer } from "effect"
import type { Logger } from "pino"
import {
  AUDIT_ENTRIES_PER_TICKET,
  type AuditEntry,
  AuditTrail,
  type AuditTrailService,
  bufferedAuditTrail,
  type PendingAuditEntry
} from "./AuditTrail.js"
import type { TicketKey } from "../domain/records.js"
import { Sqlite, type SqliteDatabase, sql } from "../store/Sqlite.js"

const SCHEMA = `
CREATE TABLE IF NOT EXISTS audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  source TEXT NOT NULL,
  ticket_id TEXT NOT NULL,
  at TEXT NOT NULL,
  entry TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_ticket ON audit (source, ticket_id, id);
`

/** Rows the expiry looks at per statement (oldest first), and statements per upkeep at most. */
const EXPIRY_CHUNK = 5000
const EXPIRY_CHUNKS = 50

export interface SqliteAuditTrailOptions {
  /** Entries older than this many days are deleted. */
  readonly retentionDays: number
  /** Newest entries one ticket keeps (default `AUDIT_ENTRIES_PER_TICKET`). */
  readonly perTicket?: number
  readonly log?: Logger
  /** Buffer flush interval (default 250 ms). */
  readonly flushMs?: number
  /** Clock (tests). */
  readonly now?: () => number
}

export const make = (db: SqliteDatabase, options: SqliteAuditTrailOptions): AuditTrailService => {
  db.exec(SCHEMA)
  const perTicket = options.perTicket ?? AUDIT_ENTRIES_PER_TICKET
  const now = options.now ?? Date.now
  const insert = db.prepare("INSERT INTO audit (source, ticket_id, at, entry) VALUES (?, ?, ?, ?)")
  const trimTicket = db.prepare(
    `DELETE FROM audit WHERE source = ? AND ticket_id = ? AND id <= (
       SELECT id FROM audit WHERE source = ? AND ticket_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`
  )
  const expire = db.prepare(
    `DELETE FROM audit WHERE id IN (SELECT id FROM (SELECT id, at FROM audit ORDER BY id LIMIT ${EXPIRY_CHUNK}) WHERE at < ?)`
  )
  const list = db.prepare(
    "SELECT entry FROM (SELECT id, entry FROM audit WHERE source = ? AND ticket_id = ? ORDER BY id DESC LIMIT ?) ORDER BY id"
  )
  let lastUpkeep = 0
  /** Tickets written since the last upkeep. */
  let touched = new Map<string, TicketKey>()

  const writeTx = db.transaction((items: ReadonlyArray<PendingAuditEntry>) => {
    for (const { key, entry } of items) {
      insert.run(key.source, key.ticketId, entry.at, JSON.stringify(entry))
      touched.set(`${key.source}\u0000${key.ticketId}`, key)
    }
    const t = now()
    if (t - lastUpkeep >= 60_000) {
      lastUpkeep = t
      for (const key of touched.values()) trimTicket.run(key.source, key.ticketId, key.source, key.ticketId, perTicket)
      touched = new Map()
      const cutoff = new Date(t - options.retentionDays * 86_400_000).toISOString()
      for (let i = 0; i < EXPIRY_CHUNKS && expire.run(cutoff).changes > 0; i++);
    }
  })

  // `db.pragma` each time, not a prepared statement: SQLite applies this pragma when it is compiled.
  const write = (items: ReadonlyArray<PendingAuditEntry>): void => {
    db.pragma("synchronous = NORMAL")
    try {
      writeTx(items)
    } finally {
      db.pragma("synchronous = FULL")
    }
  }

  return bufferedAuditTrail({
    write,
    read: (key, limit) =>
      sql("audit.list", () =>
        (list.all(key.source, key.ticketId, limit) as Array<{ entry: string }>).map(
          (r) => JSON.parse(r.entry) as AuditEntry
        )
      ),
    perTicket,
    ...(options.log !== undefined ? { log: options.log } : {}),
    ...(options.flushMs !== undefined ? { flushMs: options.flushMs } : {})
  })
}

export const layer = (options: SqliteAuditTrailOptions): Layer.Layer<AuditTrail, never, Sqlite> =>
  Layer.scoped(
    AuditTrail,
    Effect.acquireRelease(
      Effect.map(Sqlite, (db) => make(db, options)),
      (audit) => audit.flush
    )
  )
