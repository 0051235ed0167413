/** The SQLite inbox's lanes: live events (webhooks, fetch-on-notify, Genesys write-backs) are handed out before background reads. */
import type { TicketEvent } from "@workbridge/catalog"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { openDatabase } from "../store/Sqlite.js"
import { make } from "./SqliteInbox.js"

const event = (ticketId: string, origin?: TicketEvent["origin"]): TicketEvent => ({
  source: "github",
  ticketId,
  revision: `0000000000000001:0:${ticketId}`,
  occurredAt: "2026-01-01T00:00:00Z",
  deliveryKey: `d-${ticketId}`,
  kind: "updated",
  fields: {},
  ...(origin !== undefined ? { origin } : {})
})

describe("SQLite inbox lanes", () => {
  it("hands out a live ticket accepted after background ones first, then the background ones in order", async () => {
    const inbox = await Effect.runPromise(make(openDatabase(":memory:"), { hardLimit: 100 }))
    await Effect.runPromise(Effect.all([inbox.accept(event("b1", "reconcile")), inbox.accept(event("b2", "backfill"))]))
    await Effect.runPromise(
      Effect.all([
        inbox.accept(event("live", "fetch")),
        inbox.accept(event("hook")),
        inbox.accept(event("agent", "genesys"))
      ])
    )
    const order: Array<string> = []
    for (;;) {
      const batch = await Effect.runPromise(inbox.poll)
      if (batch === undefined) break
      order.push(batch.key.ticketId)
      await Effect.runPromise(inbox.ack(batch))
    }
    expect(order).toEqual(["live", "hook", "agent", "b1", "b2"])
  })
})
