/** `durableSql`: a write committed with synchronous=NORMAL, then on disk (the WAL synced) before it succeeds. */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Exit, Fiber } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { heldSync } from "../testing/heldSync.js"
import { durableSql, openDatabase, type SqliteDatabase } from "./Sqlite.js"

const dirs: Array<string> = []
const open = (): SqliteDatabase => {
  const dir = mkdtempSync(join(tmpdir(), "durable-sql-"))
  dirs.push(dir)
  const db = openDatabase(join(dir, "wb.sqlite"))
  db.exec("CREATE TABLE t (v INTEGER)")
  return db
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** Two durable inserts, the second committed while the first one's sync is held: the database, the held syncs, both fibers. */
const twoWritesOneSyncApart = async () => {
  const db = open()
  const held = heldSync()
  const durable = durableSql(db, held.sync)
  const insert = (v: number) =>
    Effect.runFork(durable("t.insert", () => db.prepare("INSERT INTO t (v) VALUES (?)").run(v).changes))
  const first = insert(1)
  await new Promise((r) => setTimeout(r, 20))
  const second = insert(2)
  await new Promise((r) => setTimeout(r, 20))
  return { db, held, first, second }
}

describe("durableSql", () => {
  it("commits with synchronous=NORMAL, restores FULL, and succeeds only once the WAL file is synced", async () => {
    const db = open()
    const held = heldSync()
    const durable = durableSql(db, held.sync)
    let level: unknown
    const fiber = Effect.runFork(
      durable("t.insert", () => {
        level = db.pragma("synchronous", { simple: true })
        return db.prepare("INSERT INTO t (v) VALUES (1)").run().changes
      })
    )
    await new Promise((r) => setTimeout(r, 20))
    // Committed (and FULL again) but not answered: the sync is held.
    expect(level).toBe(1)
    expect(db.pragma("synchronous", { simple: true })).toBe(2)
    expect(db.prepare("SELECT COUNT(*) AS n FROM t").get()).toEqual({ n: 1 })
    expect(held.calls.map((c) => c.file)).toEqual([`${db.name}-wal`])
    expect(fiber.unsafePoll()).toBeNull()
    held.calls[0]!.done(null)
    expect(await Effect.runPromise(Fiber.join(fiber))).toBe(1)
    db.close()
  })

  it("fails with a StoreError naming the sync when the sync fails, and with the write's own error when it fails", async () => {
    const db = open()
    const held = heldSync()
    const durable = durableSql(db, held.sync)
    const fiber = Effect.runFork(durable("t.insert", () => db.prepare("INSERT INTO t (v) VALUES (1)").run()))
    await new Promise((r) => setTimeout(r, 20))
    held.calls[0]!.done(new Error("EIO"))
    const exit = await Effect.runPromiseExit(Fiber.join(fiber))
    expect(Exit.isFailure(exit) && JSON.stringify(exit.cause)).toContain("t.insert.sync")
    const bad = await Effect.runPromiseExit(durable("t.bad", () => db.prepare("INSERT INTO nowhere VALUES (1)").run()))
    expect(Exit.isFailure(bad) && JSON.stringify(bad.cause)).toContain("t.bad")
    expect(held.calls).toHaveLength(1)
    expect(db.pragma("synchronous", { simple: true })).toBe(2)
    db.close()
  })

  it("a write committed while a sync is in flight starts a sync of its own and waits for it; the earlier sync answers only the writes before it", async () => {
    const { db, held, first, second } = await twoWritesOneSyncApart()
    expect(db.prepare("SELECT COUNT(*) AS n FROM t").get()).toEqual({ n: 2 })
    expect(held.calls).toHaveLength(2)
    held.calls[0]!.done(null)
    expect(await Effect.runPromise(Fiber.join(first))).toBe(1)
    await new Promise((r) => setTimeout(r, 20))
    expect(second.unsafePoll()).toBeNull()
    held.calls[1]!.done(null)
    expect(await Effect.runPromise(Fiber.join(second))).toBe(1)
    db.close()
  })

  it("a failed sync fails the writes committed while it ran too, although a later sync succeeds", async () => {
    const { db, held, first, second } = await twoWritesOneSyncApart()
    held.calls[1]!.done(null)
    held.calls[0]!.done(new Error("EIO"))
    for (const fiber of [first, second]) {
      const exit = await Effect.runPromiseExit(Fiber.join(fiber))
      expect(Exit.isFailure(exit) && JSON.stringify(exit.cause)).toContain("t.insert.sync")
    }
    db.close()
  })

  it("syncs the real WAL file by default, and is plain sql on a database without one", async () => {
    const db = open()
    expect(
      await Effect.runPromise(durableSql(db)("t.insert", () => db.prepare("INSERT INTO t VALUES (1)").run().changes))
    ).toBe(1)
    db.close()
    const memory = openDatabase(":memory:")
    memory.exec("CREATE TABLE t (v INTEGER)")
    const held = heldSync()
    expect(
      await Effect.runPromise(
        durableSql(memory, held.sync)("t.insert", () => memory.prepare("INSERT INTO t VALUES (1)").run().changes)
      )
    ).toBe(1)
    expect(held.calls).toHaveLength(0)
    memory.close()
  })
})
