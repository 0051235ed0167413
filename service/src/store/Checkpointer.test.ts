import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { startCheckpointer } from "./Checkpointer.js"
import { layer, openDatabase, Sqlite } from "./Sqlite.js"

const dirs: Array<string> = []
const tempFile = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wb-ckpt-"))
  dirs.push(dir)
  return path.join(dir, "store.db")
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true })
})

/** Resolves once `check` holds, polling every 20 ms; rejects after 10 s. */
const eventually = async (check: () => boolean | Promise<boolean>) => {
  const until = Date.now() + 10_000
  while (!(await check())) {
    if (Date.now() > until) throw new Error("the condition did not hold within 10 s")
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe("startCheckpointer", () => {
  it("copies committed pages into the database file from its own thread, without the writer checkpointing", async () => {
    const file = tempFile()
    const db = openDatabase(file)
    // The writer makes no checkpoint of its own: only the checkpointer can grow the database file.
    db.pragma("wal_autocheckpoint = 0")
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, pad TEXT NOT NULL)")
    const before = fs.statSync(file).size
    const checkpointer = startCheckpointer(file, 5)
    try {
      const insert = db.prepare("INSERT INTO t (pad) VALUES (?)")
      for (let i = 0; i < 200; i++) insert.run("x".repeat(2000))
      await eventually(() => fs.statSync(file).size > before + 200 * 2000)
      const stats = await checkpointer.stats()
      expect(stats.passes).toBeGreaterThan(0)
      expect(stats.pages).toBeGreaterThan(100)
      // The data read back through the writer's connection is all there.
      expect((db.prepare("SELECT COUNT(*) AS n FROM t").get() as { n: number }).n).toBe(200)
    } finally {
      await checkpointer.stop()
      db.close()
    }
  })

  it("stops: its connection closed, the database usable and closable by the writer", async () => {
    const file = tempFile()
    const db = openDatabase(file)
    const checkpointer = startCheckpointer(file, 5)
    await checkpointer.stop()
    expect(await checkpointer.stats()).toEqual({ passes: 0, pages: 0 })
    db.exec("CREATE TABLE u (id INTEGER PRIMARY KEY)")
    db.prepare("INSERT INTO u DEFAULT VALUES").run()
    db.close()
    const again = openDatabase(file)
    expect((again.prepare("SELECT COUNT(*) AS n FROM u").get() as { n: number }).n).toBe(1)
    again.close()
  })

  it("is started and stopped by the store's layer for a file database", async () => {
    const file = tempFile()
    const rows = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const db = yield* Sqlite
          db.pragma("wal_autocheckpoint = 0")
          db.exec("CREATE TABLE v (id INTEGER PRIMARY KEY, pad TEXT NOT NULL)")
          const before = fs.statSync(file).size
          const insert = db.prepare("INSERT INTO v (pad) VALUES (?)")
          for (let i = 0; i < 100; i++) insert.run("y".repeat(2000))
          yield* Effect.promise(() => eventually(() => fs.statSync(file).size > before + 100 * 2000))
          return (db.prepare("SELECT COUNT(*) AS n FROM v").get() as { n: number }).n
        })
      ).pipe(Effect.provide(layer(file)))
    )
    expect(rows).toBe(100)
  })
})
