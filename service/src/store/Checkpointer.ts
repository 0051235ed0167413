/**
 * WAL checkpoints on a worker thread. SQLite's automatic checkpoint runs inside the commit that takes the WAL past
 * 1,000 pages, on the thread that commits — for the service, its event loop: it copies those pages into the
 * database file and syncs both files. Under a stream of small commits (figure 3's webhooks) that came to one
 * checkpoint per ~150 commits, each holding the loop 5–15 ms (docs/benchmarks.md, "Checkpoints off the event loop").
 *
 * The checkpointer is a second connection to the same file, on its own thread, that runs a PASSIVE checkpoint every
 * `everyMs`: it copies the pages committed since its last pass without waiting for, or blocking, the writers
 * (https://www.sqlite.org/c3ref/wal_checkpoint_v2.html). The writer's own automatic checkpoint stays as it is, as
 * the backstop: when it comes, the pages are already copied but the last few, and it ends with the WAL restarted
 * from its beginning (a checkpoint that runs while writers keep committing can never catch up with the WAL's end
 * by itself). If the thread fails, the writer's automatic checkpoints go on as before: nothing depends on it.
 */
import { createRequire } from "node:module"
import { Worker } from "node:worker_threads"

/** How often the checkpointer passes by default. */
export const CHECKPOINT_EVERY_MS = 10

export interface Checkpointer {
  /** Passes made and pages copied so far (for tests and diagnostics). */
  readonly stats: () => Promise<{ readonly passes: number; readonly pages: number }>
  /** Stops the thread and closes its connection. */
  readonly stop: () => Promise<void>
}

// Plain JavaScript for `eval`: the same code whether the service runs from its sources or its build.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads")
const Database = require(workerData.module)
const db = new Database(workerData.file, { fileMustExist: true })
let passes = 0
let pages = 0
let last = 0
const timer = setInterval(() => {
  try {
    const r = db.pragma("wal_checkpoint(PASSIVE)")[0]
    passes++
    // The WAL restarted from its beginning since the last pass when fewer pages are counted than then.
    pages += r.checkpointed >= last ? r.checkpointed - last : r.checkpointed
    last = r.checkpointed
  } catch {
    // A pass that fails (the file busy, the disk full) is retried at the next; the writer's own checkpoints remain.
  }
}, workerData.everyMs)
parentPort.on("message", (m) => {
  if (m === "stats") parentPort.postMessage({ passes, pages })
  if (m === "stop") {
    clearInterval(timer)
    db.close()
    parentPort.postMessage("stopped")
  }
})
`

/** A checkpointer for the WAL database at `file` (which must exist), passing every `everyMs`. */
export const startCheckpointer = (file: string, everyMs: number = CHECKPOINT_EVERY_MS): Checkpointer => {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { module: createRequire(import.meta.url).resolve("better-sqlite3"), file, everyMs }
  })
  // It never keeps the process alive, and a failure of its own is only the loss of an optimization.
  worker.unref()
  let alive = true
  const exited = new Promise<void>((resolve) => {
    worker.once("exit", () => {
      alive = false
      resolve()
    })
  })
  worker.on("error", () => undefined)
  const ask = <A>(message: string, matches: (m: unknown) => boolean): Promise<A | undefined> =>
    alive
      ? new Promise((resolve) => {
          const onMessage = (m: unknown) => {
            if (!matches(m)) return
            worker.off("message", onMessage)
            resolve(m as A)
          }
          worker.on("message", onMessage)
          worker.postMessage(message)
          void exited.then(() => resolve(undefined))
        })
      : Promise.resolve(undefined)
  return {
    stats: async () =>
      (await ask<{ passes: number; pages: number }>("stats", (m) => typeof m === "object" && m !== null)) ?? {
        passes: 0,
        pages: 0
      },
    stop: async () => {
      await ask("stop", (m) => m === "stopped")
      await worker.terminate()
      await exited
    }
  }
}
