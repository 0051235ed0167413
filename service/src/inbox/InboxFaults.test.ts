/**
 * The SQLite inbox under faults: one entry that cannot be written fails alone in its group commit, and a store that
 * cannot write (SQLITE_FULL, provoked with a real failing SQLite write through `max_page_count`) fails readiness at
 * once and pauses `take` until a write works again.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Either } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { StoreError, storeCannotWrite } from "../domain/errors.js"
import * as Sqlite from "../store/Sqlite.js"
import type * as Inbox from "./Inbox.js"
import * as SqliteInbox from "./SqliteInbox.js"
import { testEvent } from "../testing/events.js"
import { heldSync } from "../testing/heldSync.js"

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wb-inbox-faults-"))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))
let n = 0

const open = async (options: Partial<SqliteInbox.SqliteInboxOptions> = {}) => {
  const db = Sqlite.openDatabase(path.join(dir, `db-${++n}.sqlite`))
  const inbox = await Effect.runPromise(SqliteInbox.make(db, { hardLimit: 10_000, pollIntervalMs: 10, ...options }))
  return { db, inbox }
}

/** An object nested so deep that JSON.stringify overflows the stack. */
const tooDeepValue = (): unknown => {
  let v: unknown = "leaf"
  for (let i = 0; i < 200_000; i++) v = { v }
  return v
}

describe("group commit isolation", () => {
  it("one entry that cannot be serialized fails alone; every other delivery of its batch is accepted", async () => {
    const { db, inbox } = await open()
    const good = Array.from({ length: 50 }, (_, i) => testEvent({ ticketId: `G${i}`, rev: 1 }))
    const bad = { ...testEvent({ ticketId: "BAD", rev: 1 }), fields: { description: tooDeepValue() } }
    // All started within one event-loop turn: they share one batch.
    const results = await Promise.all(
      [...good.slice(0, 25), bad, ...good.slice(25)].map((e) => Effect.runPromise(Effect.either(inbox.accept(e))))
    )
    const lefts = results.filter(Either.isLeft)
    expect(lefts).toHaveLength(1)
    expect(lefts[0]!.left).toBeInstanceOf(StoreError)
    expect(results.filter((r) => Either.isRight(r) && r.right._tag === "Accepted")).toHaveLength(50)
    expect(await Effect.runPromise(inbox.depth)).toBe(50)
    // the failed entry left no dedupe mark: a corrected re-delivery of its key is accepted
    expect((await Effect.runPromise(inbox.accept(testEvent({ ticketId: "BAD", rev: 1 }))))._tag).toBe("Accepted")
    db.close()
  })
})

describe("durable before the answer: the WAL file is synced before an accept is answered", () => {
  const settled = async <A>(p: Promise<A>): Promise<boolean> => {
    let done = false
    p.then(
      () => (done = true),
      () => (done = true)
    )
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r))
    return done
  }

  it("commits the batch, syncs the WAL once for it, and answers only when the sync is done", async () => {
    const sync = heldSync()
    const { db, inbox } = await open({ syncWal: sync.sync })
    const accepts = [1, 2, 3].map((i) => Effect.runPromise(inbox.accept(testEvent({ ticketId: `S${i}`, rev: 1 }))))
    const all = Promise.all(accepts)
    expect(await settled(all)).toBe(false)
    expect(sync.calls.map((c) => path.basename(c.file))).toEqual([`db-${n}.sqlite-wal`])
    // committed (visible to the workers) but not answered before the sync
    expect(await Effect.runPromise(inbox.depth)).toBe(3)
    sync.calls[0]!.done(null)
    expect((await all).map((r) => r._tag)).toEqual(["Accepted", "Accepted", "Accepted"])
    db.close()
  })

  /** One accept, its outcome as "Accepted" / "Duplicate" / the failure's tag once settled. */
  const acceptOf = (inbox: Inbox.InboxService, ticketId: string) =>
    Effect.runPromise(
      Effect.either(inbox.accept(testEvent({ ticketId, rev: 1 }))).pipe(
        Effect.map((r) => (Either.isLeft(r) ? r.left._tag : r.right._tag))
      )
    )
  const committed = (db: Sqlite.SqliteDatabase): Array<string> =>
    (db.prepare("SELECT ticket_id FROM inbox ORDER BY id").pluck().all() as Array<string>).slice()

  it("an accept arriving during a sync commits at once and starts a sync of its own; it is answered by that sync, never by the one in flight before its commit", async () => {
    const sync = heldSync()
    const { db, inbox } = await open({ syncWal: sync.sync })
    const first = acceptOf(inbox, "P1")
    expect(await settled(first)).toBe(false)
    expect(sync.calls).toHaveLength(1)
    const second = acceptOf(inbox, "P2")
    expect(await settled(second)).toBe(false)
    // committed without waiting for the first sync, and a second sync started after its commit
    expect(committed(db)).toEqual(["P1", "P2"])
    expect(sync.calls).toHaveLength(2)
    // the first sync began before P2 was committed: it answers P1 only
    sync.calls[0]!.done(null)
    expect(await first).toBe("Accepted")
    expect(await settled(second)).toBe(false)
    sync.calls[1]!.done(null)
    expect(await second).toBe("Accepted")
    db.close()
  })

  it("syncs answer in the order they started: a later sync that ends first answers nothing until the earlier one has", async () => {
    const sync = heldSync()
    const { db, inbox } = await open({ syncWal: sync.sync })
    const first = acceptOf(inbox, "O1")
    expect(await settled(first)).toBe(false)
    const second = acceptOf(inbox, "O2")
    expect(await settled(second)).toBe(false)
    expect(sync.calls).toHaveLength(2)
    // The second sync covers both commits, but the first may yet fail: nobody is answered before it ends.
    sync.calls[1]!.done(null)
    expect(await settled(Promise.race([first, second]))).toBe(false)
    sync.calls[0]!.done(null)
    expect([await first, await second]).toEqual(["Accepted", "Accepted"])
    db.close()
  })

  it("a failed sync in the middle fails every accept still waiting, those committed after it started included; later syncs that began before the failure answer nobody; a retry is a duplicate once a later sync succeeds", async () => {
    const sync = heldSync()
    const { db, inbox } = await open({ syncWal: sync.sync })
    const a = acceptOf(inbox, "M1")
    expect(await settled(a)).toBe(false)
    const b = acceptOf(inbox, "M2")
    expect(await settled(b)).toBe(false)
    const c = acceptOf(inbox, "M3")
    expect(await settled(c)).toBe(false)
    expect(sync.calls).toHaveLength(3)
    sync.calls[0]!.done(null)
    expect(await a).toBe("Accepted")
    // The second sync fails: M2 (committed before it began) and M3 (committed while it ran: its frames may share
    // a page with frames whose write-back failed) fail, although the third sync then succeeds.
    sync.calls[1]!.done(new Error("EIO: i/o error, fsync"))
    expect([await b, await c]).toEqual(["StoreError", "StoreError"])
    // An accept after the failure needs a sync that starts after its commit: the third one, still in flight, does not
    // answer it.
    const d = acceptOf(inbox, "M4")
    expect(await settled(d)).toBe(false)
    expect(sync.calls).toHaveLength(4)
    sync.calls[2]!.done(null)
    expect(await settled(d)).toBe(false)
    sync.calls[3]!.done(null)
    expect(await d).toBe("Accepted")
    // The failed accepts were committed: their retries are duplicates, answered after a sync of their own.
    const retry = acceptOf(inbox, "M2")
    expect(await settled(retry)).toBe(false)
    sync.calls[4]!.done(null)
    expect(await retry).toBe("Duplicate")
    expect(committed(db)).toEqual(["M1", "M2", "M3", "M4"])
    db.close()
  })

  it(`at most ${Sqlite.WAL_SYNCS_IN_FLIGHT} syncs run at once: then the accepts wait uncommitted, and are committed as one batch when one ends, answered by the sync that starts after it`, async () => {
    const sync = heldSync()
    const { db, inbox } = await open({ syncWal: sync.sync })
    const inFlight = Array.from({ length: Sqlite.WAL_SYNCS_IN_FLIGHT }, (_, i) => `L${i}`)
    const early: Array<Promise<string>> = []
    for (const id of inFlight) {
      early.push(acceptOf(inbox, id))
      expect(await settled(early[early.length - 1]!)).toBe(false)
    }
    expect(sync.calls).toHaveLength(Sqlite.WAL_SYNCS_IN_FLIGHT)
    const late = [acceptOf(inbox, "W1"), acceptOf(inbox, "W2")]
    const third = acceptOf(inbox, "W3")
    expect(await settled(Promise.race([...late, third]))).toBe(false)
    // held back: not committed, no sync started for them
    expect(committed(db)).toEqual(inFlight)
    expect(sync.calls).toHaveLength(Sqlite.WAL_SYNCS_IN_FLIGHT)
    sync.calls[0]!.done(null)
    expect(await early[0]!).toBe("Accepted")
    // one batch, one new sync for the three
    expect(committed(db)).toEqual([...inFlight, "W1", "W2", "W3"])
    expect(sync.calls).toHaveLength(Sqlite.WAL_SYNCS_IN_FLIGHT + 1)
    for (const call of sync.calls.slice(1, Sqlite.WAL_SYNCS_IN_FLIGHT)) call.done(null)
    expect(await Promise.all(early)).toEqual(inFlight.map(() => "Accepted"))
    expect(await settled(Promise.race([...late, third]))).toBe(false)
    sync.calls[Sqlite.WAL_SYNCS_IN_FLIGHT]!.done(null)
    expect(await Promise.all([...late, third])).toEqual(["Accepted", "Accepted", "Accepted"])
    db.close()
  })

  it("an ack shares the inbox's syncs: it succeeds only after a sync that started after its commit", async () => {
    const sync = heldSync()
    const { db, inbox } = await open({ syncWal: sync.sync })
    const accepted = acceptOf(inbox, "K1")
    expect(await settled(accepted)).toBe(false)
    sync.calls[0]!.done(null)
    expect(await accepted).toBe("Accepted")
    const batch = await Effect.runPromise(inbox.take)
    const ack = Effect.runPromise(inbox.ack(batch))
    expect(await settled(ack)).toBe(false)
    expect(await Effect.runPromise(inbox.depth)).toBe(0)
    expect(sync.calls).toHaveLength(2)
    sync.calls[1]!.done(null)
    await ack
    db.close()
  })

  it("syncs the real WAL file by default", async () => {
    const { db, inbox } = await open()
    expect((await Effect.runPromise(inbox.accept(testEvent({ ticketId: "R1", rev: 1 }))))._tag).toBe("Accepted")
    expect(fs.existsSync(path.join(dir, `db-${n}.sqlite-wal`))).toBe(true)
    expect(db.pragma("synchronous", { simple: true })).toBe(2)
    db.close()
  })
})

describe("store cannot write (SQLITE_FULL)", () => {
  const fill = (db: Sqlite.SqliteDatabase) => {
    db.pragma("wal_checkpoint(TRUNCATE)")
    const pages = Number(db.pragma("page_count", { simple: true }))
    db.pragma(`max_page_count = ${pages}`)
  }
  const big = (ticketId: string) => ({
    ...testEvent({ ticketId, rev: 2 }),
    fields: { description: "x".repeat(200_000) }
  })

  it("the failed accept is a StoreError that says the store cannot write; readiness fails at once; take pauses", async () => {
    const { db, inbox } = await open({ unwritableHoldMs: 60_000 })
    await Effect.runPromise(inbox.accept(testEvent({ ticketId: "WAITING", rev: 1 })))
    fill(db)
    const r = await Effect.runPromise(Effect.either(inbox.accept(big("FULL"))))
    if (Either.isRight(r)) throw new Error("expected the accept to fail")
    expect(r.left._tag).toBe("StoreError")
    expect(storeCannotWrite(r.left)).toBe(true)
    // A tiny heartbeat write would still fit in place; readiness must not say ready.
    const ready = await Effect.runPromise(Effect.either(inbox.checkWritable))
    expect(Either.isLeft(ready)).toBe(true)
    // The waiting ticket is not handed out while the store cannot write.
    const taken = await Effect.runPromise(inbox.take.pipe(Effect.timeout(200), Effect.option))
    expect(taken._tag).toBe("None")
    db.close()
  })

  it("after the hold, a probe write that works makes the store ready and hands out work again", async () => {
    const { db, inbox } = await open({ unwritableHoldMs: 1 })
    await Effect.runPromise(inbox.accept(testEvent({ ticketId: "WAITING", rev: 1 })))
    fill(db)
    expect(Either.isLeft(await Effect.runPromise(Effect.either(inbox.accept(big("FULL")))))).toBe(true)
    db.pragma("max_page_count = 1073741823")
    await new Promise((r) => setTimeout(r, 5))
    expect(Either.isRight(await Effect.runPromise(Effect.either(inbox.checkWritable)))).toBe(true)
    const batch = await Effect.runPromise(inbox.take)
    expect(batch.key.ticketId).toBe("WAITING")
    db.close()
  })
})

describe("a transaction that cannot commit", () => {
  it("fails every accept of its batch and keeps nothing of it", async () => {
    const { db, inbox } = await open({ unwritableHoldMs: 60_000 })
    const batch = Array.from({ length: 8 }, (_, i) => testEvent({ ticketId: `C${i}`, rev: 1 }))
    // A real SQLite failure at COMMIT: a deferred foreign key that the batch's transaction violates.
    db.exec(
      "CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE child (pid INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)"
    )
    db.pragma("foreign_keys = ON")
    db.exec(
      "CREATE TRIGGER orphan AFTER INSERT ON inbox WHEN NEW.ticket_id = 'C3' BEGIN INSERT INTO child (pid) VALUES (42); END"
    )
    const results = await Promise.all(batch.map((e) => Effect.runPromise(Effect.either(inbox.accept(e)))))
    expect(results.map((r) => (Either.isLeft(r) ? r.left._tag : r.right._tag))).toEqual(batch.map(() => "StoreError"))
    expect(Number(db.prepare("SELECT COUNT(*) AS n FROM inbox").pluck().get())).toBe(0)
    expect(Number(db.prepare("SELECT COUNT(*) AS n FROM deliveries").pluck().get())).toBe(0)
    expect(await Effect.runPromise(inbox.depth)).toBe(0)
    db.close()
  })
})

describe("the probe after a failed write", () => {
  it("writes as much as the write that failed: while a big write does not fit, a tiny heartbeat that would fit does not make the store ready", async () => {
    const { db, inbox } = await open({ unwritableHoldMs: 1 })
    await Effect.runPromise(inbox.checkWritable)
    db.pragma("wal_checkpoint(TRUNCATE)")
    const pages = Number(db.pragma("page_count", { simple: true }))
    // room for a few small pages, not for the 200 KB event
    db.pragma(`max_page_count = ${pages + 4}`)
    const big = { ...testEvent({ ticketId: "BIG", rev: 1 }), fields: { description: "x".repeat(200_000) } }
    expect(Either.isLeft(await Effect.runPromise(Effect.either(inbox.accept(big))))).toBe(true)
    await new Promise((r) => setTimeout(r, 5))
    expect(Either.isLeft(await Effect.runPromise(Effect.either(inbox.checkWritable)))).toBe(true)
    db.pragma("max_page_count = 1073741823")
    await new Promise((r) => setTimeout(r, 5))
    expect(Either.isRight(await Effect.runPromise(Effect.either(inbox.checkWritable)))).toBe(true)
    expect((await Effect.runPromise(inbox.accept(big)))._tag).toBe("Accepted")
    db.close()
  })
})
