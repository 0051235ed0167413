/**
 * The audit trail on SQLite: table `audit` in the service's database, written in batches (one transaction per
 * flush). Upkeep, at most once a minute on a flush: entries older than `retentionDays` are deleted (oldest rows
 * first, by id: rows are appended in time order, so no index on the time is kept up on every insert), and each
 * ticket written before the upkeep is cut to its newest `perTicket` entries. The tickets to cut are read back from
 * the table, by id, `TRIM_ROWS_PER_FLUSH` rows per flush (the rest at the next ones), from where the last cut
 * ended: the process keeps two ids, not the keys of the tickets written in a minute (in a storm of new tickets,
 * over a hundred thousand strings kept a minute and then dropped, which made the collector mark and compact the
 * old generation several times a second). Reads never answer more than `perTicket` entries.
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
/** Rows whose tickets are cut to their newest `perTicket` entries, per flush at most (the rest at the next flushes). */
export const TRIM_ROWS_PER_FLUSH = 500

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
  const lastId = db.prepare("SELECT COALESCE(MAX(id), 0) AS id FROM audit").pluck()
  /** The tickets of the next rows after id `?` up to id `?`, `?` rows at most, each with the highest id it has there. */
  const ticketsAfter = db.prepare(
    `SELECT source, ticket_id, MAX(id) AS last FROM
       (SELECT id, source, ticket_id FROM audit WHERE id > ? AND id <= ? ORDER BY id LIMIT ?)
     GROUP BY source, ticket_id`
  )
  let lastUpkeep = 0
  /** The tickets of the rows up to this id are cut; those of the rows after it, up to `cutTo`, are still to cut. */
  let cutFrom = lastId.get() as number
  /** The last row written before the last upkeep. */
  let cutTo = cutFrom

  const writeTx = db.transaction((items: ReadonlyArray<PendingAuditEntry>) => {
    for (const { key, entry } of items) insert.run(key.source, key.ticketId, entry.at, JSON.stringify(entry))
    const t = now()
    if (t - lastUpkeep >= 60_000) {
      lastUpkeep = t
      cutTo = lastId.get() as number
      const cutoff = new Date(t - options.retentionDays * 86_400_000).toISOString()
      for (let i = 0; i < EXPIRY_CHUNKS && expire.run(cutoff).changes > 0; i++);
    }
    // A webhook storm of new tickets writes thousands a second: cutting them all in one flush held the event loop
    // for a second or more, so each flush cuts the tickets of a bounded number of rows.
    if (cutFrom < cutTo) {
      const tickets = ticketsAfter.all(cutFrom, cutTo, TRIM_ROWS_PER_FLUSH) as Array<{
        source: string
        ticket_id: string
        last: number
      }>
      let ended = 0
      for (const { source, ticket_id, last } of tickets) {
        trimTicket.run(source, ticket_id, source, ticket_id, perTicket)
        if (last > ended) ended = last
      }
      // No row left up to `cutTo` (none written, or the expiry deleted them): nothing more to cut.
      cutFrom = tickets.length === 0 ? cutTo : ended
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
