/** The inbox on SQLite: a table of accepted events, dedupe in the same transaction, in-process ticket leases. */
import { Deferred, Effect, Layer, Ref } from "effect"
import type { TicketEvent } from "@workbridge/catalog"
import type { AcceptResult, InboxEntry, TicketBatch, TicketKey } from "../domain/records.js"
import { ticketKeyString } from "../domain/records.js"
import { InboxFull, StoreError, storeCannotWrite } from "../domain/errors.js"
import {
  type AcceptOptions,
  BACKGROUND_LANE,
  Inbox,
  type InboxService,
  LIVE_LANE,
  laneOf,
  registerAcceptPromise
} from "./Inbox.js"
import {
  commitUnsynced,
  durableSql,
  Sqlite,
  type SqliteDatabase,
  sql,
  type WalSync,
  walSyncOf
} from "../store/Sqlite.js"

export interface SqliteInboxOptions {
  /** Accepting beyond this many pending events fails with `InboxFull`. */
  readonly hardLimit: number
  /** Most events handed out in one batch. */
  readonly batchLimit?: number
  /** How long `take` waits between polls when not woken. */
  readonly pollIntervalMs?: number
  /** Dedupe marks older than this are pruned when the inbox opens (default 7 days). */
  readonly dedupeRetentionMs?: number
  /**
   * Coalescing window: a ticket is handed out once its oldest pending event is this old, so that the events
   * of a burst arriving within the window are applied together. Default 0.
   */
  readonly settleMs?: number
  /**
   * After a write failed because the store cannot write (disk full, I/O error), how long readiness answers "not
   * ready" and `take` hands out nothing before a probe write is tried again (default 5000 ms).
   */
  readonly unwritableHoldMs?: number
  /**
   * Syncs the WAL file to disk and calls back (with the error, if any); default: `fsync` on libuv's thread pool,
   * shared with the database's other writers (`walSyncOf`). Replaced in tests to hold or fail the syncs.
   */
  readonly syncWal?: (file: string, done: (error: Error | null) => void) => void
}

/** The lanes are the port's (Inbox.ts); re-exported here where they were first defined. */
export { BACKGROUND_LANE, LIVE_LANE, laneOf } from "./Inbox.js"

interface Row {
  id: number
  event: string
  accepted_at: string
  trace_context: string | null
}

/**
 * When the event pending longest was accepted: the row accepted first (the lowest id; rows are numbered as they are
 * written), found through the primary key. `MIN(accepted_at)` would read the whole table — every pending event's
 * body — on each call (the gauges ask once a second): at a backlog of 100,000 events that held the event loop for
 * 30–60 ms a second.
 */
const OLDEST_PENDING_SQL = "SELECT accepted_at AS oldest FROM inbox ORDER BY id LIMIT 1"

/** The inbox's prepared statements. */
const statements = (db: SqliteDatabase) => {
  const insertDelivery = db.prepare(
    "INSERT OR IGNORE INTO deliveries (source, delivery_key, accepted_at) VALUES (?, ?, ?)"
  )
  const insertEvent = db.prepare(
    "INSERT INTO inbox (source, ticket_id, revision, delivery_key, event, accepted_at, trace_context, lane) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
  )
  const nextTicket = db.prepare(
    `SELECT source, ticket_id FROM inbox
     WHERE lane = ? AND (source || char(0) || ticket_id) NOT IN (SELECT value FROM json_each(?)) AND accepted_at <= ?
     ORDER BY id LIMIT 1`
  )
  const ticketRows = db.prepare(
    "SELECT id, event, accepted_at, trace_context FROM inbox WHERE source = ? AND ticket_id = ? ORDER BY id LIMIT ?"
  )
  const deleteIds = db.prepare("DELETE FROM inbox WHERE id IN (SELECT value FROM json_each(?))")
  const pendingStmt = db.prepare(
    "SELECT COUNT(*) AS n, MIN(accepted_at) AS oldest FROM inbox WHERE source = ? AND ticket_id = ?"
  )
  const oldestStmt = db.prepare(OLDEST_PENDING_SQL)
  const heartbeat = db.prepare(
    "INSERT INTO heartbeat (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at"
  )
  const deleteDelivery = db.prepare("DELETE FROM deliveries WHERE source = ? AND delivery_key = ?")
  return {
    insertDelivery,
    insertEvent,
    nextTicket,
    ticketRows,
    deleteIds,
    pendingStmt,
    oldestStmt,
    heartbeat,
    deleteDelivery
  }
}

type Statements = ReturnType<typeof statements>

/** Whether the store can write; `recovered` clears it after a committed accept. */
const writeHealth = (db: SqliteDatabase, st: Statements, holdMs: number) => {
  // The store's own view of whether it can write: set by a write that failed because the store cannot write
  // (disk full, I/O error), cleared by a committed accept or by a probe write after `unwritableHoldMs`. While
  // set, readiness fails at once and `take` hands out nothing, so the workers spend no Genesys calls on
  // tickets whose outcome could not be recorded.
  // The probe writes as many bytes as the write that failed (64 KB to 4 MB): on a full disk a tiny write can
  // still fit in space the WAL already holds while the real writes do not.
  db.exec("CREATE TABLE IF NOT EXISTS write_probe (id INTEGER PRIMARY KEY, pad BLOB NOT NULL)")
  const probeInsert = db.prepare("INSERT INTO write_probe (pad) VALUES (zeroblob(?))")
  const probeClear = db.prepare("DELETE FROM write_probe")
  let unwritable: { readonly error: StoreError; probeAfter: number; bytes: number } | undefined
  const noteFailure = (error: StoreError, bytes = 0): StoreError => {
    if (storeCannotWrite(error)) {
      const size = Math.min(4 * 1024 * 1024, Math.max(64 * 1024, bytes, unwritable?.bytes ?? 0))
      unwritable = { error, probeAfter: Date.now() + holdMs, bytes: size }
    }
    return error
  }
  /** Undefined when the store can write (probing once the hold is over), else the failure to report. */
  const writeBlocked = (): StoreError | undefined => {
    const u = unwritable
    if (u === undefined) return undefined
    if (Date.now() < u.probeAfter) return u.error
    try {
      probeInsert.run(u.bytes)
      probeClear.run()
      st.heartbeat.run(new Date().toISOString())
      unwritable = undefined
      return undefined
    } catch (cause) {
      return noteFailure(new StoreError({ operation: "inbox.probe", cause }), u.bytes)
    }
  }
  return {
    noteFailure,
    writeBlocked,
    recovered: (): void => {
      unwritable = undefined
    }
  }
}

type WriteHealth = ReturnType<typeof writeHealth>

type EntryResult = AcceptResult | InboxFull | StoreError

interface Waiter {
  readonly event: TicketEvent
  readonly traceparent: string | null
  /** Told the entry's own outcome (an `InboxFull` or `StoreError` is a failure), plainly: no Effect per entry. */
  readonly done: (result: AcceptResult | InboxFull | StoreError) => void
}

// Group commit. Every `accept` made within one event-loop turn joins the pending batch; the batch is written
// in ONE transaction at the next `setImmediate`, and each caller is answered with its own result once that
// transaction is on disk. Each entry is serialized first and written in its own savepoint, so an
// entry that cannot be written fails alone; a transaction that fails (commit, disk full) fails every caller
// of the batch, so nothing is acknowledged that was not committed.
//
// Durable before the answer, without blocking the loop for the fsync: on a WAL file, the batch commits with
// synchronous=NORMAL (SQLite writes the WAL frames but does not sync them), then waits for a sync of the WAL file
// that started after its commit, on libuv's thread pool, and only then is answered. That is the sync
// synchronous=FULL adds after each commit (https://www.sqlite.org/pragma.html#pragma_synchronous), moved off the
// event loop. The syncs are pipelined (`walSyncPipeline`): a batch does not wait for a sync in flight, it commits
// and starts its own, up to WAL_SYNCS_IN_FLIGHT at once; only when that many are in flight do the accepts wait in
// `pending`, to be committed together as one batch when one of them ends, so batches grow with the load by
// themselves. (An apply's writes, the ack among them, share the same syncs through durableSql; see docs/service.md
// for the others.) A failed sync fails every batch still waiting for a sync with a StoreError (a 503: the sender
// retries and is answered "duplicate" once a later sync succeeds).
const groupCommit = (
  db: SqliteDatabase,
  st: Statements,
  health: WriteHealth,
  count: { depth: number },
  hardLimit: number,
  wal: WalSync | undefined,
  notify: () => void
) => {
  let pending: Array<Waiter> = []
  // One entry, in its own savepoint: an entry that cannot be written fails alone, never its batch.
  const acceptOneTx = db.transaction(
    (
      event: TicketEvent,
      json: string,
      now: string,
      added: number,
      traceparent: string | null
    ): AcceptResult | InboxFull => {
      // The dedupe mark first: a delivery key seen before, or earlier in this same batch, is a duplicate.
      if (st.insertDelivery.run(event.source, event.deliveryKey, now).changes === 0) return { _tag: "Duplicate" }
      if (count.depth + added >= hardLimit) {
        // Refused: take the dedupe mark back so a later re-delivery is accepted.
        st.deleteDelivery.run(event.source, event.deliveryKey)
        return new InboxFull({ depth: count.depth + added, limit: hardLimit })
      }
      const r = st.insertEvent.run(
        event.source,
        event.ticketId,
        event.revision,
        event.deliveryKey,
        json,
        now,
        traceparent,
        laneOf(event)
      )
      return { _tag: "Accepted", id: String(r.lastInsertRowid) }
    }
  )
  const acceptBatchTx = db.transaction(
    (
      batch: ReadonlyArray<{
        readonly event: TicketEvent
        readonly json: string | StoreError
        readonly traceparent: string | null
      }>,
      now: string
    ): Array<EntryResult> => {
      let added = 0
      return batch.map(({ event, json, traceparent }): EntryResult => {
        if (typeof json !== "string") return json
        try {
          const r = acceptOneTx(event, json, now, added, traceparent)
          if (r._tag === "Accepted") added++
          return r
        } catch (cause) {
          // SQLite rolled the whole transaction back (disk full, I/O error): the batch fails as one.
          if (!db.inTransaction) throw cause
          return new StoreError({ operation: "inbox.accept", cause })
        }
      })
    }
  )
  const serialize = (event: TicketEvent): string | StoreError => {
    try {
      return JSON.stringify(event)
    } catch (cause) {
      return new StoreError({ operation: "inbox.accept", cause })
    }
  }
  const flush = (): void => {
    // As many syncs as may run are in flight: the batch keeps growing until one ends (`onSettled`).
    if (wal?.saturated() === true) return
    const batch = pending
    pending = []
    if (batch.length === 0) return
    let results: Array<EntryResult>
    const entries = batch.map((w) => ({ event: w.event, json: serialize(w.event), traceparent: w.traceparent }))
    try {
      const now = new Date().toISOString()
      results = wal === undefined ? acceptBatchTx(entries, now) : commitUnsynced(db, () => acceptBatchTx(entries, now))
    } catch (cause) {
      // Rolled back: nobody in the batch is acknowledged.
      const bytes = entries.reduce((n, e) => n + (typeof e.json === "string" ? e.json.length : 0), 0)
      const failure = health.noteFailure(new StoreError({ operation: "inbox.accept", cause }), bytes)
      for (const w of batch) w.done(failure)
      return
    }
    let accepted = 0
    for (const r of results) if (r._tag === "Accepted") accepted++
    count.depth += accepted
    if (accepted > 0) {
      health.recovered()
      notify()
    }
    results.forEach((r, i) => {
      const json = entries[i]!.json
      if (r._tag === "StoreError") health.noteFailure(r, typeof json === "string" ? json.length : 0)
    })
    if (wal === undefined) {
      batch.forEach((w, i) => w.done(results[i]!))
      return
    }
    wal.afterCommit((error) => {
      const failure =
        error === null ? undefined : health.noteFailure(new StoreError({ operation: "inbox.sync", cause: error }))
      batch.forEach((w, i) => w.done(failure ?? results[i]!))
    })
  }
  wal?.onSettled(flush)

  const enqueue = (event: TicketEvent, options: AcceptOptions | undefined, done: Waiter["done"]): void => {
    if (pending.push({ event, traceparent: options?.traceparent ?? null, done }) === 1) setImmediate(flush)
  }
  return enqueue
}

export const make = (db: SqliteDatabase, options: SqliteInboxOptions): Effect.Effect<InboxService> =>
  Effect.gen(function* () {
    const batchLimit = options.batchLimit ?? 500
    const settleMs = options.settleMs ?? 0
    const pollIntervalMs =
      options.pollIntervalMs ?? (settleMs > 0 ? Math.min(250, Math.max(10, Math.ceil(settleMs / 2))) : 250)
    const leased = new Set<string>()
    /** Ticket → epoch ms before which it is not handed out again (released with a delay). */
    const delayed = new Map<string, number>()
    const excluded = (): Array<string> => {
      const now = Date.now()
      for (const [k, until] of delayed) if (until <= now) delayed.delete(k)
      return [...leased, ...delayed.keys()]
    }
    const wake = yield* Ref.make(yield* Deferred.make<void>())
    const notify = Effect.flatMap(Deferred.make<void>(), (next) =>
      Effect.flatMap(Ref.getAndSet(wake, next), (prev) => Deferred.succeed(prev, undefined))
    )

    // Re-deliveries come within hours; dedupe marks are kept for a week, then pruned.
    db.prepare("DELETE FROM deliveries WHERE accepted_at < ?").run(
      new Date(Date.now() - (options.dedupeRetentionMs ?? 7 * 24 * 3600_000)).toISOString()
    )
    // The inbox file belongs to this process: the depth is counted once, then kept in step with every write.
    const count = { depth: (db.prepare("SELECT COUNT(*) AS n FROM inbox").get() as { n: number }).n }
    const st = statements(db)
    const health = writeHealth(db, st, options.unwritableHoldMs ?? 5000)
    const { noteFailure, writeBlocked } = health

    // The WAL file's syncs, shared by the accepts' batches and the acks.
    const wal = walSyncOf(db, options.syncWal)
    const enqueue = groupCommit(db, st, health, count, options.hardLimit, wal, () => Effect.runSync(notify))
    // An ack is on disk before it succeeds, its fsync off the event loop (the applied events are gone for good).
    const durable = durableSql(db, wal)
    const failed = (r: EntryResult): r is InboxFull | StoreError => r._tag === "InboxFull" || r._tag === "StoreError"

    const accept = (event: TicketEvent, options?: AcceptOptions): Effect.Effect<AcceptResult, StoreError | InboxFull> =>
      Effect.async<AcceptResult, StoreError | InboxFull>((resume) => {
        enqueue(event, options, (r) => resume(failed(r) ? Effect.fail(r) : Effect.succeed(r)))
      })
    // The same, as a Promise (the webhook edge's path): one batch, one commit, no Effect runtime per request.
    const acceptPromise = (event: TicketEvent, options?: AcceptOptions): Promise<AcceptResult> =>
      new Promise((resolve, reject) => {
        enqueue(event, options, (r) => (failed(r) ? reject(r) : resolve(r)))
      })

    const requeue = (event: TicketEvent) =>
      sql("inbox.requeue", () => {
        const now = new Date().toISOString()
        const deliveryKey = `${event.deliveryKey}#replay-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
        const replay: TicketEvent = { ...event, deliveryKey }
        st.insertDelivery.run(replay.source, deliveryKey, now)
        const r = st.insertEvent.run(
          replay.source,
          replay.ticketId,
          replay.revision,
          deliveryKey,
          JSON.stringify(replay),
          now,
          null,
          LIVE_LANE
        )
        count.depth++
        return String(r.lastInsertRowid)
      }).pipe(Effect.tap(() => notify))

    const poll: Effect.Effect<TicketBatch | undefined, StoreError> = sql("inbox.poll", () => {
      const held = JSON.stringify(excluded())
      const settled = new Date(Date.now() - settleMs).toISOString()
      // Live events first; the background lane only when no live ticket can be taken.
      const t = (st.nextTicket.get(LIVE_LANE, held, settled) ?? st.nextTicket.get(BACKGROUND_LANE, held, settled)) as
        | { source: string; ticket_id: string }
        | undefined
      if (t === undefined) return undefined
      const key: TicketKey = { source: t.source, ticketId: t.ticket_id }
      const rows = st.ticketRows.all(t.source, t.ticket_id, batchLimit) as Array<Row>
      const entries: Array<InboxEntry> = rows.map((r) => ({
        id: String(r.id),
        event: JSON.parse(r.event) as TicketEvent,
        acceptedAt: r.accepted_at,
        ...(r.trace_context !== null ? { traceparent: r.trace_context } : {})
      }))
      entries.sort((a, b) => (a.event.revision < b.event.revision ? -1 : a.event.revision > b.event.revision ? 1 : 0))
      leased.add(ticketKeyString(key))
      return { key, entries }
    })

    const take: Effect.Effect<TicketBatch, StoreError> = Effect.gen(function* () {
      for (;;) {
        const signal = yield* Ref.get(wake)
        // Paused while the store cannot write: an outcome that cannot be recorded is not worth a Genesys call.
        const batch = writeBlocked() === undefined ? yield* poll : undefined
        if (batch !== undefined) return batch
        yield* Deferred.await(signal).pipe(Effect.timeout(pollIntervalMs), Effect.ignore)
      }
    })

    const letGo = (batch: TicketBatch, delayMs = 0) =>
      Effect.sync(() => {
        const key = ticketKeyString(batch.key)
        leased.delete(key)
        if (delayMs > 0) delayed.set(key, Date.now() + delayMs)
      }).pipe(Effect.zipRight(notify))

    const service: InboxService = {
      accept,
      requeue,
      take,
      poll,
      ack: (batch) =>
        durable("inbox.ack", () => {
          count.depth -= st.deleteIds.run(JSON.stringify(batch.entries.map((e) => Number(e.id)))).changes
        }).pipe(
          Effect.tapError((e) => Effect.sync(() => noteFailure(e))),
          Effect.ensuring(letGo(batch))
        ),
      release: (batch, options) => letGo(batch, options?.delayMs ?? 0),
      depth: Effect.sync(() => count.depth),
      pendingFor: (key) =>
        sql("inbox.pendingFor", () => {
          const r = st.pendingStmt.get(key.source, key.ticketId) as { n: number; oldest: string | null }
          return r.oldest === null ? { count: r.n } : { count: r.n, oldestAcceptedAt: r.oldest }
        }),
      oldestAgeSeconds: sql("inbox.oldest", () => {
        const r = st.oldestStmt.get() as { oldest: string } | undefined
        return r === undefined ? 0 : Math.max(0, (Date.now() - Date.parse(r.oldest)) / 1000)
      }),
      checkWritable: Effect.suspend(() => {
        const blocked = writeBlocked()
        if (blocked !== undefined) return Effect.fail(blocked)
        return sql("inbox.checkWritable", () => {
          st.heartbeat.run(new Date().toISOString())
        }).pipe(Effect.tapError((e) => Effect.sync(() => noteFailure(e))))
      })
    }
    return registerAcceptPromise(service, acceptPromise)
  })

export const layer = (options: SqliteInboxOptions): Layer.Layer<Inbox, never, Sqlite> =>
  Layer.effect(
    Inbox,
    Effect.flatMap(Sqlite, (db) => make(db, options))
  )
