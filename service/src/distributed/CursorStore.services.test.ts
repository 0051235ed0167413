/** Reconciliation cursors in Redis and the pass lock that lets one replica at a time run a source's pass. */
import { Effect } from "effect"
import { Redis } from "ioredis"
import { afterAll, describe, expect, it } from "vitest"
import { make } from "./RedisCursorStore.js"
import { dropNamespaces, freshPrefix, REDIS_URL } from "./testSupport.js"

const clients: Array<Redis> = []
const connect = () => {
  const r = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 })
  clients.push(r)
  return r
}
afterAll(async () => {
  await dropNamespaces()
  for (const c of clients) c.disconnect()
})

describe("Redis cursor store", () => {
  it("keeps a source's cursor for every replica of the namespace, and another namespace does not see it", async () => {
    const prefix = freshPrefix()
    const a = make(connect(), prefix)
    const b = make(connect(), prefix)
    expect(await Effect.runPromise(a.get("zendesk"))).toBeUndefined()
    await Effect.runPromise(a.set("zendesk", "cursor-1"))
    const seen = await Effect.runPromise(b.get("zendesk"))
    expect(seen?.cursor).toBe("cursor-1")
    expect(Number.isNaN(Date.parse(seen?.updatedAt ?? ""))).toBe(false)
    expect(await Effect.runPromise(make(connect(), freshPrefix()).get("zendesk"))).toBeUndefined()
  })

  it("lets one replica hold a source's pass lock, renewed past its time to live; the other gets it once it is released", async () => {
    const prefix = freshPrefix()
    const a = make(connect(), prefix)
    const b = make(connect(), prefix)
    const release = await Effect.runPromise(a.lock("github", 60_000))
    expect(typeof release).toBe("function")
    expect(await Effect.runPromise(b.lock("github", 60_000))).toBeUndefined()
    const jira = await Effect.runPromise(b.lock("jira", 60_000))
    expect(typeof jira).toBe("function")
    await Effect.runPromise(release!())
    const second = await Effect.runPromise(b.lock("github", 200))
    expect(typeof second).toBe("function")
    // A release by the former holder does not remove the new holder's lock.
    await Effect.runPromise(release!())
    expect(await Effect.runPromise(a.lock("github", 60_000))).toBeUndefined()
    // The holder renews it: still held after twice its time to live, free once released.
    await new Promise((r) => setTimeout(r, 400))
    expect(await Effect.runPromise(a.lock("github", 60_000))).toBeUndefined()
    await Effect.runPromise(second!())
    const third = await Effect.runPromise(a.lock("github", 60_000))
    expect(typeof third).toBe("function")
    await Effect.runPromise(third!())
    await Effect.runPromise(jira!())
  })
})
