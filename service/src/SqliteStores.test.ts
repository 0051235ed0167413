import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Layer } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { Inbox } from "./Inbox.js"
import * as Sqlite from "./Sqlite.js"
import * as SqliteInbox from "./SqliteInbox.js"
import * as SqliteLinkStore from "./SqliteLinkStore.js"
import { inboxContract } from "./testing/inboxContract.js"
import { linkStoreContract } from "./testing/linkStoreContract.js"
import { testEvent } from "./testing/events.js"

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wb-sqlite-"))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))
let n = 0
const freshDb = () => Sqlite.layer(path.join(dir, `db-${++n}.sqlite`))

inboxContract("SQLite", () => SqliteInbox.layer({ hardLimit: 5, pollIntervalMs: 20 }).pipe(Layer.provide(freshDb())))
linkStoreContract("SQLite", () => SqliteLinkStore.layer.pipe(Layer.provide(freshDb())))

describe("SQLite inbox durability", () => {
  it("keeps accepted events and the dedupe marks across a reopen of the file", async () => {
    const file = path.join(dir, "durable.sqlite")
    const layer = () => SqliteInbox.layer({ hardLimit: 100 }).pipe(Layer.provide(Sqlite.layer(file)))
    const e = testEvent({ ticketId: "D", rev: 1 })
    await Effect.runPromise(Effect.scoped(Effect.provide(Effect.flatMap(Inbox, (i) => i.accept(e)), layer())))
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
