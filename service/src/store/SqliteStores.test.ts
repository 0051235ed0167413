import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Layer } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { Inbox } from "../inbox/Inbox.js"
import { LinkStore } from "../links/LinkStore.js"
import * as Sqlite from "./Sqlite.js"
import * as SqliteInbox from "../inbox/SqliteInbox.js"
import * as SqliteLinkStore from "../links/SqliteLinkStore.js"
import { inboxContract } from "../testing/inboxContract.js"
import { linkStoreContract } from "../testing/linkStoreContract.js"
import { testEvent } from "../testing/events.js"

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wb-sqlite-"))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))
let n = 0
const freshDb = () => Sqlite.layer(path.join(dir, `db-${++n}.sqlite`))

inboxContract("SQLite", () => SqliteInbox.layer({ hardLimit: 5, pollIntervalMs: 20 }).pipe(Layer.provide(freshDb())))
linkStoreContract("SQLite", () => SqliteLinkStore.layer.pipe(Layer.provide(freshDb())))

describe("SQLite link store on a database made before links recorded their worktype", () => {
  it("adds the column on open, keeps the old links (with no worktype) and records the worktype of new ones", async () => {
    const file = path.join(dir, "before-type-id.sqlite")
    const Database = (await import("better-sqlite3")).default
    const old = new Database(file)
    old.exec(`CREATE TABLE links (source TEXT NOT NULL, ticket_id TEXT NOT NULL, workitem_id TEXT NOT NULL,
      applied_revision TEXT NOT NULL, applied_values TEXT NOT NULL, status_id TEXT, applied_at TEXT NOT NULL,
      PRIMARY KEY (source, ticket_id))`)
    old
      .prepare("INSERT INTO links VALUES ('generic', 'OLD-1', 'w-old', 'r1', '{}', 'st-1', '2026-01-01T00:00:00.000Z')")
      .run()
    old.close()
    const r = await Effect.runPromise(
      Effect.scoped(
        Effect.provide(
          Effect.gen(function* () {
            const links = yield* LinkStore
            const kept = yield* links.get({ source: "generic", ticketId: "OLD-1" })
            yield* links.compareAndSet({ source: "generic", ticketId: "NEW-1" }, undefined, {
              workitemId: "w-new",
              appliedRevision: "r1",
              appliedValues: {},
              appliedAt: "2026-01-02T00:00:00.000Z",
              typeId: "type-2"
            })
            return {
              kept,
              fresh: yield* links.get({ source: "generic", ticketId: "NEW-1" }),
              other: yield* links.countOtherWorktype("type-1")
            }
          }),
          SqliteLinkStore.layer.pipe(Layer.provide(Sqlite.layer(file)))
        )
      )
    )
    expect(r.kept).toEqual({
      workitemId: "w-old",
      appliedRevision: "r1",
      appliedValues: {},
      statusId: "st-1",
      appliedAt: "2026-01-01T00:00:00.000Z"
    })
    expect(r.fresh?.typeId).toBe("type-2")
    expect(r.other).toBe(1)
    // Opening again does not add it twice.
    const again = Sqlite.openDatabase(file)
    const columns = (again.prepare("PRAGMA table_info(links)").all() as Array<{ name: string }>).map((c) => c.name)
    again.close()
    expect(columns.filter((c) => c === "type_id")).toHaveLength(1)
  })
})

describe("SQLite inbox on a database made before events carried a trace context", () => {
  it("adds the column on open and hands out the old pending events with no trace context, new ones with theirs", async () => {
    const file = path.join(dir, "before-trace-context.sqlite")
    const Database = (await import("better-sqlite3")).default
    const old = new Database(file)
    old.exec(`CREATE TABLE inbox (id INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL, ticket_id TEXT NOT NULL,
      revision TEXT NOT NULL, delivery_key TEXT NOT NULL, event TEXT NOT NULL, accepted_at TEXT NOT NULL)`)
    const before = testEvent({ ticketId: "OLD-T", rev: 1 })
    old
      .prepare(
        "INSERT INTO inbox (source, ticket_id, revision, delivery_key, event, accepted_at) VALUES (?, ?, ?, ?, ?, ?)"
      )
      .run(
        before.source,
        before.ticketId,
        before.revision,
        before.deliveryKey,
        JSON.stringify(before),
        "2026-01-01T00:00:00.000Z"
      )
    old.close()
    const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    const after = testEvent({ ticketId: "OLD-T", rev: 2 })
    const batch = await Effect.runPromise(
      Effect.scoped(
        Effect.provide(
          Effect.gen(function* () {
            const inbox = yield* Inbox
            yield* inbox.accept(after, { traceparent })
            return yield* inbox.take
          }),
          SqliteInbox.layer({ hardLimit: 100 }).pipe(Layer.provide(Sqlite.layer(file)))
        )
      )
    )
    expect(batch.entries.map((e) => ({ revision: e.event.revision, traceparent: e.traceparent }))).toEqual([
      { revision: before.revision, traceparent: undefined },
      { revision: after.revision, traceparent }
    ])
    const again = Sqlite.openDatabase(file)
    const columns = (again.prepare("PRAGMA table_info(inbox)").all() as Array<{ name: string }>).map((c) => c.name)
    again.close()
    expect(columns.filter((c) => c === "trace_context")).toHaveLength(1)
  })
})

describe("SQLite inbox durability", () => {
  it("keeps accepted events and the dedupe marks across a reopen of the file", async () => {
    const file = path.join(dir, "durable.sqlite")
    const layer = () => SqliteInbox.layer({ hardLimit: 100 }).pipe(Layer.provide(Sqlite.layer(file)))
    const e = testEvent({ ticketId: "D", rev: 1 })
    await Effect.runPromise(
      Effect.scoped(
        Effect.provide(
          Effect.flatMap(Inbox, (i) => i.accept(e)),
          layer()
        )
      )
    )
    const r = await Effect.runPromise(
      Effect.scoped(
        Effect.provide(
          Effect.gen(function* () {
            const inbox = yield* Inbox
            const again = yield* inbox.accept(e)
            const batch = yield* inbox.take
            return { again, events: batch.entries.map((x) => x.event) }
          }),
          layer()
        )
      )
    )
    expect(r.again._tag).toBe("Duplicate")
    expect(r.events).toEqual([e])
  })
})

describe("SQLite inbox group commit", () => {
  const open = (file: string, hardLimit = 10_000) =>
    SqliteInbox.layer({ hardLimit }).pipe(Layer.provideMerge(Sqlite.layer(file)))
  const count = (db: Sqlite.SqliteDatabase, table: "inbox" | "deliveries") =>
    (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n

  it("concurrent accepts, duplicates of each other among them, each get their own exact result and row", async () => {
    const file = path.join(dir, "group.sqlite")
    // 300 distinct deliveries over 30 tickets; 20 of them accepted in an earlier transaction.
    const events = Array.from({ length: 300 }, (_, i) => testEvent({ ticketId: `G-${i % 30}`, rev: i + 1 }))
    const earlier = events.slice(0, 20)
    // Every delivery once, every third one again (a copy, same delivery key), all in flight at once.
    const all = [...events, ...events.filter((_, i) => i % 3 === 0).map((e) => ({ ...e }))]
    // Interleaved deterministically, so that a copy may come before or after its original.
    const deliveries = all
      .map((e, i) => ({ e, k: (i * 7919) % all.length }))
      .sort((a, b) => a.k - b.k)
      .map((x) => x.e)
    const r = await Effect.runPromise(
      Effect.scoped(
        Effect.provide(
          Effect.gen(function* () {
            const inbox = yield* Inbox
            const db = yield* Sqlite.Sqlite
            for (const e of earlier) yield* inbox.accept(e)
            const results = yield* Effect.all(
              deliveries.map((e) => inbox.accept(e)),
              { concurrency: "unbounded" }
            )
            const rows = db.prepare("SELECT id, delivery_key, event FROM inbox ORDER BY id").all() as Array<{
              id: number
              delivery_key: string
              event: string
            }>
            return { results, rows, deliveryMarks: count(db, "deliveries"), depth: yield* inbox.depth }
          }),
          open(file)
        )
      )
    )
    const acceptedIds = new Map<string, Array<string>>()
    r.results.forEach((res, i) => {
      const key = deliveries[i]!.deliveryKey
      if (res._tag === "Accepted") acceptedIds.set(key, [...(acceptedIds.get(key) ?? []), res.id])
    })
    // Each delivery key accepted exactly once overall: once in the batch unless an earlier transaction took it.
    for (const e of events) {
      const ids = acceptedIds.get(e.deliveryKey) ?? []
      expect(ids, e.deliveryKey).toHaveLength(earlier.includes(e) ? 0 : 1)
    }
    expect(r.results.filter((x) => x._tag === "Duplicate")).toHaveLength(
      deliveries.length - (events.length - earlier.length)
    )
    // One row per distinct delivery, each stored event the one accepted under that id.
    expect(r.rows).toHaveLength(events.length)
    expect(r.deliveryMarks).toBe(events.length)
    expect(r.depth).toBe(events.length)
    const byKey = new Map(events.map((e) => [e.deliveryKey, e]))
    for (const row of r.rows) expect(JSON.parse(row.event)).toEqual(byKey.get(row.delivery_key))
    for (const [key, [id]] of acceptedIds) expect(r.rows.find((row) => String(row.id) === id)?.delivery_key).toBe(key)
    // And all of it durable: a reopen of the file sees the same rows and dedupe marks.
    const again = await Effect.runPromise(
      Effect.scoped(
        Effect.provide(
          Effect.flatMap(Inbox, (i) =>
            Effect.all(
              events.map((e) => i.accept(e)),
              { concurrency: "unbounded" }
            )
          ),
          open(file)
        )
      )
    )
    expect(again.every((x) => x._tag === "Duplicate")).toBe(true)
  })

  it("an entry that fails fails alone: the rest of its batch is accepted, and the failed one keeps no dedupe mark", async () => {
    const file = path.join(dir, "group-fail.sqlite")
    const batch = Array.from({ length: 12 }, (_, i) =>
      testEvent({ ticketId: i === 7 ? "boom" : `F-${i}`, rev: 1000 + i })
    )
    const r = await Effect.runPromise(
      Effect.scoped(
        Effect.provide(
          Effect.gen(function* () {
            const inbox = yield* Inbox
            const db = yield* Sqlite.Sqlite
            // A real SQLite failure in the middle of the batch's transaction.
            db.exec(
              "CREATE TRIGGER boom BEFORE INSERT ON inbox WHEN NEW.ticket_id = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END"
            )
            const failed = yield* Effect.all(
              batch.map((e) => Effect.either(inbox.accept(e))),
              { concurrency: "unbounded" }
            )
            const after = { inbox: count(db, "inbox"), deliveries: count(db, "deliveries"), depth: yield* inbox.depth }
            db.exec("DROP TRIGGER boom")
            // Nothing was acknowledged, so the helpdesk's retries are accepted, not taken for duplicates.
            const retried = yield* Effect.all(
              batch.map((e) => inbox.accept(e)),
              { concurrency: "unbounded" }
            )
            return { failed, after, retried, depth: yield* inbox.depth, rows: count(db, "inbox") }
          }),
          open(file)
        )
      )
    )
    expect(r.failed.map((x) => (x._tag === "Left" ? x.left._tag : "Right"))).toEqual(
      batch.map((_, i) => (i === 7 ? "StoreError" : "Right"))
    )
    expect(r.after).toEqual({ inbox: batch.length - 1, deliveries: batch.length - 1, depth: batch.length - 1 })
    // Nothing of the failed entry was kept, so the helpdesk's retry is accepted, not taken for a duplicate.
    expect(r.retried.map((x) => x._tag)).toEqual(batch.map((_, i) => (i === 7 ? "Accepted" : "Duplicate")))
    expect(r.depth).toBe(batch.length)
    expect(r.rows).toBe(batch.length)
  })

  it("the hard limit refuses the batch's overflow without keeping its dedupe marks", async () => {
    const file = path.join(dir, "group-full.sqlite")
    const batch = Array.from({ length: 8 }, (_, i) => testEvent({ ticketId: `L-${i}`, rev: 2000 + i }))
    const r = await Effect.runPromise(
      Effect.scoped(
        Effect.provide(
          Effect.gen(function* () {
            const inbox = yield* Inbox
            const first = yield* Effect.all(
              [...batch, { ...batch[0]! }].map((e) => Effect.either(inbox.accept(e))),
              { concurrency: "unbounded" }
            )
            const depth = yield* inbox.depth
            // Drain, then the refused ones are accepted on their re-delivery; the accepted ones stay duplicates.
            for (;;) {
              const b = yield* inbox.poll
              if (b === undefined) break
              yield* inbox.ack(b)
            }
            const redelivered = yield* Effect.all(
              batch.map((e) => inbox.accept(e)),
              { concurrency: "unbounded" }
            )
            return { first, depth, redelivered }
          }),
          open(file, 5)
        )
      )
    )
    const tags = r.first.map((x) => (x._tag === "Left" ? x.left._tag : x.right._tag))
    expect(tags.filter((t) => t === "Accepted")).toHaveLength(5)
    expect(tags.filter((t) => t === "InboxFull")).toHaveLength(3)
    expect(tags.filter((t) => t === "Duplicate")).toHaveLength(1)
    expect(r.depth).toBe(5)
    expect(r.redelivered.map((x, i) => [x._tag, tags[i]])).toEqual(
      tags.slice(0, batch.length).map((t) => [t === "Accepted" ? "Duplicate" : "Accepted", t])
    )
  })
})
