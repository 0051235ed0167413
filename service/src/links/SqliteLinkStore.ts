/**
 * The link store on SQLite: links with compare-and-set on the applied revision, outcomes, dead letters. A link's
 * update intent lives in `update_intents` (one row per ticket), written and removed in the link's own transaction.
 */
import { Effect, Layer } from "effect"
import type { EventOrigin, TicketEvent } from "@workbridge/catalog"
import type { DeadLetter, Link, OutcomeKind, StatusLog, UpdateIntent, WriteBackState } from "../domain/records.js"
import { DeadLetterNotFound } from "../domain/errors.js"
import { LinkStore, type LinkStoreService } from "./LinkStore.js"
import { durableSql, Sqlite, type SqliteDatabase, sql } from "../store/Sqlite.js"

interface LinkRow {
  workitem_id: string
  applied_revision: string
  applied_values: string
  status_id: string | null
  applied_at: string
  type_id: string | null
  origin: string | null
  occurred_at: string | null
  status_changed_at: string | null
  write_back: string | null
  status_log: string | null
}

interface DeadRow {
  id: number
  source: string
  ticket_id: string
  revision: string
  reason: string
  details: string
  event: string
  created_at: string
}

const toDeadLetter = (r: DeadRow): DeadLetter => ({
  id: String(r.id),
  source: r.source,
  ticketId: r.ticket_id,
  revision: r.revision,
  reason: r.reason,
  details: JSON.parse(r.details) as Array<string>,
  event: JSON.parse(r.event) as TicketEvent,
  createdAt: r.created_at
})

export const make = (db: SqliteDatabase): LinkStoreService => {
  const getLink = db.prepare(
    "SELECT workitem_id, applied_revision, applied_values, status_id, applied_at, type_id, origin, occurred_at, status_changed_at, write_back, status_log FROM links WHERE source = ? AND ticket_id = ?"
  )
  const upsertLink = db.prepare(
    `INSERT INTO links (source, ticket_id, workitem_id, applied_revision, applied_values, status_id, applied_at, type_id, origin,
       occurred_at, status_changed_at, write_back, status_log)
     VALUES (@source, @ticketId, @workitemId, @appliedRevision, @appliedValues, @statusId, @appliedAt, @typeId, @origin,
       @occurredAt, @statusChangedAt, @writeBack, @statusLog)
     ON CONFLICT (source, ticket_id) DO UPDATE SET workitem_id = excluded.workitem_id,
       applied_revision = excluded.applied_revision, applied_values = excluded.applied_values,
       status_id = excluded.status_id, applied_at = excluded.applied_at, type_id = excluded.type_id, origin = excluded.origin,
       occurred_at = excluded.occurred_at, status_changed_at = excluded.status_changed_at, write_back = excluded.write_back,
       status_log = excluded.status_log`
  )
  const countOtherWorktype = db.prepare("SELECT COUNT(*) AS n FROM links WHERE type_id IS NOT NULL AND type_id <> ?")
  const getIntent = db.prepare(
    "SELECT revision, intended_values FROM update_intents WHERE source = ? AND ticket_id = ?"
  )
  const upsertIntent = db.prepare(
    `INSERT INTO update_intents (source, ticket_id, revision, intended_values) VALUES (?, ?, ?, ?)
     ON CONFLICT (source, ticket_id) DO UPDATE SET revision = excluded.revision, intended_values = excluded.intended_values`
  )
  const deleteIntent = db.prepare("DELETE FROM update_intents WHERE source = ? AND ticket_id = ?")
  const insertOutcome = db.prepare(
    "INSERT OR IGNORE INTO outcomes (source, delivery_key, ticket_id, revision, outcome, at) VALUES (?, ?, ?, ?, ?, ?)"
  )
  const outcomeCounts = db.prepare("SELECT outcome, COUNT(*) AS n FROM outcomes GROUP BY outcome")
  const insertDead = db.prepare(
    "INSERT INTO dead_letters (source, ticket_id, revision, reason, details, event, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
  )
  const setError = db.prepare(
    "INSERT INTO ticket_errors (source, ticket_id, error) VALUES (?, ?, ?) ON CONFLICT (source, ticket_id) DO UPDATE SET error = excluded.error"
  )
  const clearError = db.prepare("DELETE FROM ticket_errors WHERE source = ? AND ticket_id = ?")
  const getError = db.prepare("SELECT error FROM ticket_errors WHERE source = ? AND ticket_id = ?")
  const listDead = db.prepare("SELECT * FROM dead_letters ORDER BY id LIMIT ?")
  const getDead = db.prepare("SELECT * FROM dead_letters WHERE id = ?")
  const deleteDead = db.prepare("DELETE FROM dead_letters WHERE id = ?")
  const countDead = db.prepare("SELECT COUNT(*) AS n FROM dead_letters")

  const readLink = (source: string, ticketId: string): Link | undefined => {
    const r = getLink.get(source, ticketId) as LinkRow | undefined
    if (r === undefined) return undefined
    const i = getIntent.get(source, ticketId) as { revision: string; intended_values: string } | undefined
    const updateIntent: UpdateIntent | undefined =
      i === undefined
        ? undefined
        : { revision: i.revision, values: JSON.parse(i.intended_values) as UpdateIntent["values"] }
    return {
      workitemId: r.workitem_id,
      appliedRevision: r.applied_revision,
      appliedValues: JSON.parse(r.applied_values) as Record<string, unknown>,
      ...(r.status_id !== null ? { statusId: r.status_id } : {}),
      appliedAt: r.applied_at,
      ...(r.type_id !== null ? { typeId: r.type_id } : {}),
      ...(r.origin !== null ? { origin: r.origin as EventOrigin } : {}),
      ...(r.occurred_at !== null ? { occurredAt: r.occurred_at } : {}),
      ...(r.status_changed_at !== null ? { statusChangedAt: r.status_changed_at } : {}),
      ...(r.write_back !== null ? { writeBack: JSON.parse(r.write_back) as WriteBackState } : {}),
      ...(r.status_log !== null ? { statusLog: JSON.parse(r.status_log) as StatusLog } : {}),
      ...(updateIntent !== undefined ? { updateIntent } : {})
    }
  }

  const casTx = db.transaction(
    (source: string, ticketId: string, expected: string | undefined, link: Link): boolean => {
      const current = readLink(source, ticketId)
      if (current?.appliedRevision !== expected) return false
      upsertLink.run({
        source,
        ticketId,
        workitemId: link.workitemId,
        appliedRevision: link.appliedRevision,
        appliedValues: JSON.stringify(link.appliedValues),
        statusId: link.statusId ?? null,
        appliedAt: link.appliedAt,
        typeId: link.typeId ?? null,
        origin: link.origin ?? null,
        occurredAt: link.occurredAt ?? null,
        statusChangedAt: link.statusChangedAt ?? null,
        writeBack: link.writeBack === undefined ? null : JSON.stringify(link.writeBack),
        statusLog: link.statusLog === undefined ? null : JSON.stringify(link.statusLog)
      })
      if (link.updateIntent !== undefined) {
        upsertIntent.run(source, ticketId, link.updateIntent.revision, JSON.stringify(link.updateIntent.values))
      } else deleteIntent.run(source, ticketId)
      return true
    }
  )

  // The writes of every apply (the link, the outcomes): on disk before they succeed, the fsync off the event loop.
  const durable = durableSql(db)
  const parseId = (id: string): number | undefined => (/^\d{1,15}$/.test(id) ? Number(id) : undefined)

  return {
    get: (key) => sql("links.get", () => readLink(key.source, key.ticketId)),
    compareAndSet: (key, expected, link) =>
      durable("links.compareAndSet", () => casTx(key.source, key.ticketId, expected, link)),
    countOtherWorktype: (typeId) =>
      sql("links.countOtherWorktype", () => (countOtherWorktype.get(typeId) as { n: number }).n),
    recordOutcomes: (key, outcomes) =>
      durable("links.recordOutcomes", () => {
        const now = new Date().toISOString()
        db.transaction(() => {
          for (const o of outcomes)
            insertOutcome.run(key.source, o.deliveryKey, key.ticketId, o.revision, o.outcome, now)
        })()
      }),
    outcomeCounts: sql("links.outcomeCounts", () => {
      const out: Record<OutcomeKind, number> = { applied: 0, superseded: 0, dead: 0 }
      for (const r of outcomeCounts.all() as Array<{ outcome: OutcomeKind; n: number }>) out[r.outcome] = r.n
      return out
    }),
    addDeadLetter: (letter) =>
      sql("links.addDeadLetter", () => {
        const now = new Date().toISOString()
        return db.transaction(() => {
          const r = insertDead.run(
            letter.source,
            letter.ticketId,
            letter.revision,
            letter.reason,
            JSON.stringify(letter.details),
            JSON.stringify(letter.event),
            now
          )
          setError.run(letter.source, letter.ticketId, `${letter.reason}: ${letter.details.join("; ")}`)
          return { ...letter, id: String(r.lastInsertRowid), createdAt: now }
        })()
      }),
    listDeadLetters: (options) =>
      sql("links.listDeadLetters", () => (listDead.all(options?.limit ?? 1000) as Array<DeadRow>).map(toDeadLetter)),
    getDeadLetter: (id) =>
      Effect.flatMap(
        sql("links.getDeadLetter", () => {
          const n = parseId(id)
          return n === undefined ? undefined : (getDead.get(n) as DeadRow | undefined)
        }),
        (r) => (r === undefined ? Effect.fail(new DeadLetterNotFound({ id })) : Effect.succeed(toDeadLetter(r)))
      ),
    removeDeadLetter: (id) =>
      Effect.flatMap(
        sql("links.removeDeadLetter", () => {
          const n = parseId(id)
          return n === undefined ? 0 : deleteDead.run(n).changes
        }),
        (changes) => (changes === 0 ? Effect.fail(new DeadLetterNotFound({ id })) : Effect.void)
      ),
    deadLetterCount: sql("links.deadLetterCount", () => (countDead.get() as { n: number }).n),
    lastError: (key) =>
      sql("links.lastError", () => (getError.get(key.source, key.ticketId) as { error: string } | undefined)?.error),
    clearError: (key) =>
      sql("links.clearError", () => {
        clearError.run(key.source, key.ticketId)
      })
  }
}

export const layer: Layer.Layer<LinkStore, never, Sqlite> = Layer.effect(LinkStore, Effect.map(Sqlite, make))
