import { zendesk } from "@workbridge/adapters"
import { compareRevision, revisionPrimary } from "@workbridge/catalog"
import { startZendeskEmulator, type ZendeskEmulator } from "@workbridge/helpdesk-emulators"
import { startWebhookReceiver, type WebhookReceiver } from "@workbridge/helpdesk-emulators/testing"
import { Effect, Exit } from "effect"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import type { RateLimited } from "./Http.js"
import { readAll, stateRevision } from "./Read.js"
import { comparable, testClock, webhookEvent } from "./testkit.js"
import { makeZendeskClient } from "./Zendesk.js"

const SECRET = "zendesk-signing-secret"
const START = Date.UTC(2026, 0, 5, 9, 0, 0)

let emu: ZendeskEmulator
let hook: WebhookReceiver
let clock: ReturnType<typeof testClock>

const api = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${emu.url}${path}`, {
    method,
    headers: {
      authorization: `Basic ${Buffer.from("agent@example.com/token:zendesk-api-token").toString("base64")}`,
      "content-type": "application/json"
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  return { status: res.status, body: (await res.json()) as Record<string, any> }
}

const create = async (subject: string) =>
  (
    await api("POST", "/api/v2/tickets.json", {
      ticket: {
        subject,
        comment: { body: `${subject}: details` },
        priority: "normal",
        type: "incident",
        tags: ["mobile"]
      }
    })
  ).body["ticket"]

beforeEach(async () => {
  clock = testClock(START)
  hook = await startWebhookReceiver()
  emu = await startZendeskEmulator({
    clock: clock.now,
    webhook: { url: hook.url, credentials: { secret: SECRET } },
    rateLimitPerMinute: 1000
  })
})
afterEach(async () => {
  await emu.close()
  await hook.close()
})

const client = (extra: Partial<Parameters<typeof makeZendeskClient>[0]> = {}) =>
  makeZendeskClient({ baseUrl: emu.url, email: "agent@example.com", apiToken: "zendesk-api-token", ...extra })

describe("Zendesk read client against the Zendesk emulator", () => {
  it("pages through the incremental export and resumes from its cursor with only the later changes", async () => {
    for (const n of [1, 2, 3, 4, 5]) {
      await create(`ticket ${n}`)
      clock.advance(1000)
    }
    clock.advance(61_000) // the export leaves out the last minute's changes
    const first = await Effect.runPromise(readAll(client({ perPage: 2 }), { since: new Date(START) }))
    expect(first.events.map((e) => e.ticketId)).toEqual(["1", "2", "3", "4", "5"])
    expect(emu.core.requests.filter((r) => r.path.startsWith("/api/v2/incremental")).length).toBe(3)

    await api("PUT", "/api/v2/tickets/2.json", { ticket: { status: "solved" } })
    clock.advance(61_000)
    const later = await Effect.runPromise(readAll(client({ perPage: 2 }), { cursor: first.cursor }))
    expect(later.events.map((e) => [e.ticketId, e.fields["status"]])).toEqual([["2", "solved"]])
  })

  it("maps a ticket to the event the adapter decodes from the webhook of the same change", async () => {
    const t = await create("printer on fire")
    clock.advance(5000)
    await api("PUT", `/api/v2/tickets/${t.id}.json`, {
      ticket: { status: "pending", priority: "high", tags: ["mobile", "login"] }
    })
    await emu.core.settle()
    const webhooks = hook.received.map((r) =>
      webhookEvent(zendesk, r, { secret: SECRET }, { now: new Date(clock.now()) })
    )
    expect(webhooks.map((w) => w.kind)).toEqual(["created", "updated", "updated", "updated"])
    const last = webhooks[webhooks.length - 1]!
    const read = await Effect.runPromise(client().readTicket(String(t.id)))
    expect(comparable(read)).toEqual(comparable(last))
    expect(stateRevision(read.revision)).toBe(stateRevision(last.revision))
    // The read sorts just before the webhook of the same state, so it never supersedes it.
    expect(compareRevision(read.revision, last.revision)).toBeLessThan(0)
    expect(compareRevision(read.revision, webhooks[0]!.revision)).toBeGreaterThan(0)
  })

  it("orders a read within the second of its change: the event time has sub-second digits, updated_at has none", async () => {
    clock.set(START + 250)
    const t = await create("sub-second")
    await emu.core.settle()
    const webhook = webhookEvent(zendesk, hook.received[0]!, { secret: SECRET }, { now: new Date(clock.now()) })
    const read = await Effect.runPromise(client().readTicket(String(t.id)))
    expect(revisionPrimary(webhook.revision) - revisionPrimary(read.revision)).toBe(250_000)
    expect(compareRevision(read.revision, webhook.revision)).toBeLessThan(0)
  })

  it("waits as a 429's Retry-After says, then reads", async () => {
    const t = await create("limited")
    emu.core.addFault({ kind: "rateLimit", path: /^\/api\/v2\/tickets\/\d+/, count: 1, retryAfterSeconds: 1 })
    const waits: Array<number> = []
    const read = await Effect.runPromise(
      client({ retry: { onRateLimited: (_e: RateLimited, ms: number) => void waits.push(ms) } }).readTicket(
        String(t.id)
      )
    )
    expect(read.ticketId).toBe(String(t.id))
    expect(waits).toEqual([1000])
    expect(
      emu.core.requests.filter((r) => r.method === "GET" && r.path.startsWith("/api/v2/tickets/")).map((r) => r.status)
    ).toEqual([429, 200])
  })

  it("fails naming the status when the credentials are wrong, without the token in the message", async () => {
    const exit = await Effect.runPromiseExit(client({ apiToken: "wrong-token-value" }).readTicket("1"))
    expect(Exit.isFailure(exit)).toBe(true)
    const text = JSON.stringify(exit)
    expect(text).toContain("401")
    expect(text).not.toContain("wrong-token-value")
  })
})
