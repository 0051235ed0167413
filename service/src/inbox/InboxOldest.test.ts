/** The SQLite inbox's "oldest pending" gauge: the event accepted first, read through the primary key. */
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { openDatabase } from "../store/Sqlite.js"
import { testEvent } from "../testing/events.js"
import { make } from "./SqliteInbox.js"

const event = (ticketId: string) => testEvent({ ticketId, rev: 1 })

describe("SQLite inbox, the oldest pending event", () => {
  it("is the one accepted first; once it is acknowledged, the next one", async () => {
    const db = openDatabase(":memory:")
    const inbox = await Effect.runPromise(make(db, { hardLimit: 100 }))
    expect(await Effect.runPromise(inbox.oldestAgeSeconds)).toBe(0)
    await Effect.runPromise(inbox.accept(event("first")))
    await Effect.runPromise(inbox.accept(event("second")))
    // Accepted an hour ago, as the store records it.
    const hourAgo = new Date(Date.now() - 3_600_000).toISOString()
    db.prepare("UPDATE inbox SET accepted_at = ? WHERE ticket_id = 'first'").run(hourAgo)
    expect(await Effect.runPromise(inbox.oldestAgeSeconds)).toBeGreaterThanOrEqual(3_600)
    const batch = await Effect.runPromise(inbox.poll)
    expect(batch?.key.ticketId).toBe("first")
    await Effect.runPromise(inbox.ack(batch!))
    expect(await Effect.runPromise(inbox.oldestAgeSeconds)).toBeLessThan(60)
  })

  it("is the one accepted first even where a later one carries an older time (the clock stepped back)", async () => {
    const db = openDatabase(":memory:")
    const inbox = await Effect.runPromise(make(db, { hardLimit: 100 }))
    await Effect.runPromise(inbox.accept(event("first")))
    await Effect.runPromise(inbox.accept(event("second")))
    const dayAgo = new Date(Date.now() - 86_400_000).toISOString()
    db.prepare("UPDATE inbox SET accepted_at = ? WHERE ticket_id = 'second'").run(dayAgo)
    // Read by the row accepted first (the primary key's order), not by the smallest time (a read of every row).
    expect(await Effect.runPromise(inbox.oldestAgeSeconds)).toBeLessThan(60)
  })
})
