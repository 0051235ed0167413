/**
 * The embedded store: one SQLite database (WAL) that the SQLite inbox and link store share, so an event's
 * acceptance and its dedupe mark commit together and survive kill -9.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import Database from "better-sqlite3"
import { Context, Effect, Layer } from "effect"
import { StoreError } from "../domain/errors.js"

export type SqliteDatabase = Database.Database

export class Sqlite extends Context.Tag("@workbridge/service/Sqlite")<Sqlite, SqliteDatabase>() {}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS inbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  source TEXT NOT NULL,
  ticket_id TEXT NOT NULL,
  revision TEXT NOT NULL,
  delivery_key TEXT NOT NULL,
  event TEXT NOT NULL,
  accepted_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS inbox_ticket ON inbox (source, ticket_id, id);
CREATE TABLE IF NOT EXISTS deliveries (
  source TEXT NOT NULL,
  delivery_key TEXT NOT NULL,
  accepted_at TEXT NOT NULL,
  PRIMARY KEY (source, delivery_key)
);
CREATE TABLE IF NOT EXISTS links (
  source TEXT NOT NULL,
  ticket_id TEXT NOT NULL,
  workitem_id TEXT NOT NULL,
  applied_revision TEXT NOT NULL,
  applied_values TEXT NOT NULL,
  status_id TEXT,
  applied_at TEXT NOT NULL,
  PRIMARY KEY (source, ticket_id)
);
CREATE TABLE IF NOT EXISTS update_intents (
  source TEXT NOT NULL,
  ticket_id TEXT NOT NULL,
  revision TEXT NOT NULL,
  intended_values TEXT NOT NULL,
  PRIMARY KEY (source, ticket_id)
);
CREATE TABLE IF NOT EXISTS outcomes (
  source TEXT NOT NULL,
  delivery_key TEXT NOT NULL,
  ticket_id TEXT NOT NULL,
  revision TEXT NOT NULL,
  outcome TEXT NOT NULL,
  at TEXT NOT NULL,
  PRIMARY KEY (source, delivery_key)
);
CREATE TABLE IF NOT EXISTS dead_letters (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  source TEXT NOT NULL,
  ticket_id TEXT NOT NULL,
  revision TEXT NOT NULL,
  reason TEXT NOT NULL,
  details TEXT NOT NULL,
  event TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS ticket_errors (
  source TEXT NOT NULL,
  ticket_id TEXT NOT NULL,
  error TEXT NOT NULL,
  PRIMARY KEY (source, ticket_id)
);
CREATE TABLE IF NOT EXISTS heartbeat (id INTEGER PRIMARY KEY CHECK (id = 1), at TEXT NOT NULL);
`

/**
 * Columns added after a table's first release, as `[table, column, definition]`: a database made before one of them
 * gets it with ALTER TABLE when opened (existing rows hold NULL). Additive only; never rename or drop.
 */
const ADDED_COLUMNS: ReadonlyArray<readonly [string, string, string]> = [
  ["links", "type_id", "TEXT"],
  ["links", "origin", "TEXT"],
  // The applied helpdesk change's time and the write-back state (JSON), docs/write-back.md.
  ["links", "occurred_at", "TEXT"],
  ["links", "write_back", "TEXT"],
  // When the helpdesk last changed the applied status (the status half of the "both" rule).
  ["links", "status_changed_at", "TEXT"],
  // The "both" rule's status log (JSON), sync/statusRule.ts.
  ["links", "status_log", "TEXT"],
  ["inbox", "lane", "INTEGER NOT NULL DEFAULT 0"],
  // The W3C traceparent of the span that accepted the event (tracing on; NULL otherwise).
  ["inbox", "trace_context", "TEXT"]
]

const migrate = (db: SqliteDatabase): void => {
  for (const [table, column, definition] of ADDED_COLUMNS) {
    const columns = db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>
    if (!columns.some((c) => c.name === column)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${definition}`)
  }
}

/** Open (creating if needed) the database file, in WAL mode with synchronous=FULL, and apply the schema and its added columns. */
export const openDatabase = (file: string): SqliteDatabase => {
  if (file !== ":memory:") fs.mkdirSync(path.dirname(file), { recursive: true })
  const db = new Database(file)
  db.pragma("journal_mode = WAL")
  db.pragma("synchronous = FULL")
  db.pragma("busy_timeout = 5000")
  db.exec(SCHEMA)
  migrate(db)
  // The background lane (reads of reconciliation and backfill) is taken only when no live event waits.
  db.exec("CREATE INDEX IF NOT EXISTS inbox_lane ON inbox (lane, id)")
  return db
}

/** Run a synchronous SQLite operation as an Effect failing with `StoreError`. */
export const sql = <A>(operation: string, f: () => A): Effect.Effect<A, StoreError> =>
  Effect.try({ try: f, catch: (cause) => new StoreError({ operation, cause }) })

/** The WAL file of a file database in WAL mode; undefined for `:memory:` or another journal mode. */
export const walFileOf = (db: SqliteDatabase): string | undefined =>
  !db.memory && String(db.pragma("journal_mode", { simple: true })).toLowerCase() === "wal"
    ? `${db.name}-wal`
    : undefined

/** Syncs a file to disk and calls back with the error, if any. */
export type SyncFile = (file: string, done: (error: Error | null) => void) => void

/**
 * `fsync` of a file off the event loop (libuv's thread pool; on Linux it syncs the file whatever descriptor wrote
 * it). One descriptor is kept open while syncs follow each other, closed a second after `idle` (or after a failure).
 */
export const fileSyncer = (): { readonly sync: SyncFile; readonly idle: () => void } => {
  let fd: number | undefined
  let closing: NodeJS.Timeout | undefined
  const release = () => {
    if (closing !== undefined) clearTimeout(closing)
    closing = undefined
    if (fd === undefined) return
    fs.close(fd, () => undefined)
    fd = undefined
  }
  const syncOpen = (open: number, done: (error: Error | null) => void) =>
    fs.fsync(open, (error) => {
      if (error !== null) release()
      done(error)
    })
  return {
    sync: (file, done) => {
      if (closing !== undefined) clearTimeout(closing)
      closing = undefined
      if (fd !== undefined) return syncOpen(fd, done)
      fs.open(file, "r", (error, opened) => {
        if (error !== null) return done(error)
        // Another sync opened it meanwhile: keep that one.
        if (fd !== undefined) fs.close(opened, () => undefined)
        else fd = opened
        syncOpen(fd, done)
      })
    },
    idle: () => {
      if (fd !== undefined && closing === undefined) closing = setTimeout(release, 1000).unref()
    }
  }
}

/** A file syncer's `sync`, telling it `idle` whenever no sync is in flight. */
const idleAfterSyncs = (syncer: ReturnType<typeof fileSyncer>): SyncFile => {
  let inFlight = 0
  return (file, done) => {
    inFlight++
    syncer.sync(file, (error) => {
      inFlight--
      if (inFlight === 0) syncer.idle()
      done(error)
    })
  }
}

/**
 * `sql` for a write that must be on disk when it succeeds, without holding the event loop for the fsync: on a WAL
 * file the write commits with synchronous=NORMAL (SQLite writes the WAL frames without syncing them; the
 * connection's FULL is restored right after), then the WAL file is synced on libuv's thread pool and the effect
 * succeeds only after that sync — what synchronous=FULL does inside the commit, moved off the loop
 * (https://www.sqlite.org/pragma.html#pragma_synchronous). A failed sync fails the effect with a `StoreError`
 * (`<operation>.sync`): the write may or may not be on disk, as after a failed FULL commit. Other work runs meanwhile,
 * and may read the committed rows before they are on disk; a process crash (kill -9) loses nothing committed, only
 * an operating-system crash before the sync can. Without a WAL file (`:memory:`) it is `sql`.
 */
export const durableSql = (
  db: SqliteDatabase,
  syncWal?: SyncFile
): (<A>(operation: string, f: () => A) => Effect.Effect<A, StoreError>) => {
  const wal = walFileOf(db)
  if (wal === undefined) return sql
  const syncFile = syncWal ?? idleAfterSyncs(fileSyncer())
  const commit = <A>(f: () => A): A => {
    // Inside an outer transaction its own commit decides; the sync after it is harmless.
    if (db.inTransaction) return f()
    // `db.pragma` each time, not a prepared statement: SQLite applies this pragma when it is compiled.
    db.pragma("synchronous = NORMAL")
    try {
      return f()
    } finally {
      db.pragma("synchronous = FULL")
    }
  }
  return <A>(operation: string, f: () => A) =>
    Effect.flatMap(
      sql(operation, () => commit(f)),
      (a) =>
        Effect.async<A, StoreError>((resume) =>
          syncFile(wal, (error) =>
            resume(
              error === null
                ? Effect.succeed(a)
                : Effect.fail(new StoreError({ operation: `${operation}.sync`, cause: error }))
            )
          )
        )
    )
}

/** The database at `file`, closed when the layer is released. */
export const layer = (file: string): Layer.Layer<Sqlite, StoreError> =>
  Layer.scoped(
    Sqlite,
    Effect.acquireRelease(
      sql("open", () => openDatabase(file)),
      (db) => Effect.sync(() => db.close())
    )
  )
