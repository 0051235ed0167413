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
 * it). Each sync in flight has a descriptor of its own: Linux reports a writeback error once per open file
 * description, to the first sync that checks it, so two syncs sharing one descriptor could see one failure as one
 * error and one success ("Handling errors during writeback",
 * https://www.kernel.org/doc/html/latest/filesystems/vfs.html#handling-errors-during-writeback). A descriptor is
 * kept for the next sync once its sync is done, closed a second after `idle`, or at once after a failure.
 */
export const fileSyncer = (): { readonly sync: SyncFile; readonly idle: () => void } => {
  /** Descriptors open and not in use by a sync, by file. */
  const free = new Map<string, Array<number>>()
  let closing: NodeJS.Timeout | undefined
  const release = () => {
    closing = undefined
    for (const fds of free.values()) for (const fd of fds) fs.close(fd, () => undefined)
    free.clear()
  }
  const syncOn = (file: string, fd: number, done: (error: Error | null) => void) =>
    fs.fsync(fd, (error) => {
      if (error !== null) fs.close(fd, () => undefined)
      else {
        const fds = free.get(file)
        if (fds === undefined) free.set(file, [fd])
        else fds.push(fd)
      }
      done(error)
    })
  return {
    sync: (file, done) => {
      if (closing !== undefined) clearTimeout(closing)
      closing = undefined
      const fd = free.get(file)?.pop()
      if (fd !== undefined) return syncOn(file, fd, done)
      fs.open(file, "r", (error, opened) => (error !== null ? done(error) : syncOn(file, opened, done)))
    },
    idle: () => {
      if (free.size > 0 && closing === undefined) closing = setTimeout(release, 1000).unref()
    }
  }
}

/**
 * The durability of a database's commits made with synchronous=NORMAL: the WAL file is synced after them, off the
 * event loop, and each commit is told when it is on disk.
 */
export interface WalSync {
  /**
   * Call right after a commit: `done(null)` once a sync of the WAL file that STARTED AFTER this call has succeeded
   * (an fsync flushes every write made to the file before it began: https://man7.org/linux/man-pages/man2/fsync.2.html),
   * `done(error)` if a sync fails first.
   */
  readonly afterCommit: (done: (error: Error | null) => void) => void
  /** Whether as many syncs as may run at once are in flight: a commit now would wait for one of them to end. */
  readonly saturated: () => boolean
  /** Called each time a sync has ended and been answered (a writer holding its commits back may commit now). */
  readonly onSettled: (listener: () => void) => void
}

/** Syncs of one WAL file in flight at once, at most: each holds one of libuv's 4 threads while it runs. */
export const WAL_SYNCS_IN_FLIGHT = 3

/**
 * Pipelined syncs of a WAL file. A commit does not wait for a sync in flight: it starts its own (up to `maxInFlight`
 * at once, then the next starts when one ends, covering every commit made meanwhile), and is answered by the first
 * sync that started after it. Syncs are answered in the order they started, so a sync that ends early never
 * answers before an earlier one has said whether it failed.
 *
 * A failed sync fails every commit still waiting, those made after it started included: their frames may share a
 * page of the WAL with frames whose write-back failed, and a later sync does not write that page again (Linux
 * marks it clean after the error; see `fileSyncer`). Syncs still in flight then answer only commits made after
 * the failure was seen. A commit answered with an error may still be on disk (as after a failed
 * synchronous=FULL commit).
 */
export const walSyncPipeline = (
  file: string,
  sync: SyncFile,
  options: { readonly maxInFlight?: number; readonly idle?: () => void } = {}
): WalSync => {
  const maxInFlight = Math.max(1, options.maxInFlight ?? WAL_SYNCS_IN_FLIGHT)
  interface Waiter {
    readonly commit: number
    readonly done: (error: Error | null) => void
  }
  interface Flight {
    /** The last commit made before it started: it answers the commits up to this one. */
    readonly covers: number
    /** Undefined while it runs. */
    outcome: Error | null | undefined
  }
  let commits = 0
  /** The last commit a sync in flight or done has started after. */
  let covered = 0
  const waiting: Array<Waiter> = []
  const flights: Array<Flight> = []
  const listeners: Array<() => void> = []
  const start = (): void => {
    if (covered === commits || flights.length >= maxInFlight) return
    const flight: Flight = { covers: commits, outcome: undefined }
    covered = commits
    flights.push(flight)
    sync(file, (error) => {
      flight.outcome = error
      settle()
    })
  }
  const settle = (): void => {
    while (flights.length > 0 && flights[0]!.outcome !== undefined) {
      const flight = flights.shift()!
      const outcome = flight.outcome!
      let n = 0
      if (outcome === null) while (n < waiting.length && waiting[n]!.commit <= flight.covers) n++
      else {
        n = waiting.length
        // Nothing committed so far is waiting any more: no sync is owed for it.
        covered = commits
      }
      for (const w of waiting.splice(0, n)) w.done(outcome)
    }
    // A writer that held its commits back commits now, and the sync started next covers them.
    for (const listener of listeners) listener()
    start()
    if (flights.length === 0) options.idle?.()
  }
  return {
    afterCommit: (done) => {
      waiting.push({ commit: ++commits, done })
      start()
    },
    saturated: () => flights.length >= maxInFlight,
    onSettled: (listener) => void listeners.push(listener)
  }
}

/** The pipelines of the databases' WAL files with the default syncer, one per database: shared by its writers. */
const walSyncs = new WeakMap<SqliteDatabase, WalSync>()

/**
 * The WAL sync pipeline of `db` (undefined without a WAL file): with `syncWal`, a pipeline of its own over that
 * sync (tests hold or fail it); without, the database's one pipeline over `fileSyncer`, shared by every writer of
 * the database, so the inbox's batches and the engine's writes share their syncs.
 */
export const walSyncOf = (db: SqliteDatabase, syncWal?: SyncFile): WalSync | undefined => {
  const wal = walFileOf(db)
  if (wal === undefined) return undefined
  if (syncWal !== undefined) return walSyncPipeline(wal, syncWal)
  let shared = walSyncs.get(db)
  if (shared === undefined) {
    const syncer = fileSyncer()
    shared = walSyncPipeline(wal, syncer.sync, { idle: syncer.idle })
    walSyncs.set(db, shared)
  }
  return shared
}

/** Run `f` as a commit with synchronous=NORMAL (no sync in it), the connection's FULL restored after. */
export const commitUnsynced = <A>(db: SqliteDatabase, f: () => A): A => {
  // `db.pragma` each time, not a prepared statement: SQLite applies this pragma when it is compiled.
  db.pragma("synchronous = NORMAL")
  try {
    return f()
  } finally {
    db.pragma("synchronous = FULL")
  }
}

/**
 * `sql` for a write that must be on disk when it succeeds, without holding the event loop for the fsync: on a WAL
 * file the write commits with synchronous=NORMAL (SQLite writes the WAL frames without syncing them; the
 * connection's FULL is restored right after), then waits for a sync of the WAL file that started after the commit
 * (`walSyncOf`: on libuv's thread pool, shared with the database's other writers) and succeeds only after it —
 * what synchronous=FULL does inside the commit, moved off the loop
 * (https://www.sqlite.org/pragma.html#pragma_synchronous). A failed sync fails the effect with a `StoreError`
 * (`<operation>.sync`): the write may or may not be on disk, as after a failed FULL commit. Other work runs meanwhile,
 * and may read the committed rows before they are on disk; a process crash (kill -9) loses nothing committed, only
 * an operating-system crash before the sync can. Without a WAL file (`:memory:`) it is `sql`. `sync` replaces the
 * sync (tests) or names the pipeline to share (a writer that has its own).
 */
export const durableSql = (
  db: SqliteDatabase,
  sync?: SyncFile | WalSync
): (<A>(operation: string, f: () => A) => Effect.Effect<A, StoreError>) => {
  const wal = sync !== undefined && typeof sync !== "function" ? sync : walSyncOf(db, sync)
  if (wal === undefined) return sql
  // Inside an outer transaction its own commit decides; the sync after it is harmless.
  const commit = <A>(f: () => A): A => (db.inTransaction ? f() : commitUnsynced(db, f))
  return <A>(operation: string, f: () => A) =>
    Effect.flatMap(
      sql(operation, () => commit(f)),
      (a) =>
        Effect.async<A, StoreError>((resume) =>
          wal.afterCommit((error) =>
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
