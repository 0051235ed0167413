import { freshdesk } from "@workbridge/adapters"
import { compareRevision } from "@workbridge/catalog"
import { type FreshdeskEmulator, startFreshdeskEmulator } from "@workbridge/helpdesk-emulators"
import { startWebhookReceiver, type WebhookReceiver } from "@workbridge/helpdesk-emulators/testing"
import { Effect } from "effect"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { makeFreshdeskClient } from "./Freshdesk.js"
import { readAll, stateRevision } from "./Read.js"
import { comparable, testClock, webhookEvent } from "./testkit.js"

const BASIC = "workbridge:hook-password"
const START = Date.UTC(2026, 0, 5, 9, 0, 0)

let emu: FreshdeskEmulator
let hook: WebhookReceiver
let clock: ReturnType<typeof testClock>

const api = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${emu.url}/api/v2${path}`, {
    method,
    headers: {
      authorization: `Basic ${Buffer.from("freshdesk-api-key:X").toString("base64")}`,
      "content-type": "application/json"
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  return { status: res.status, body: (await res.json()) as any }
}

const start = async (renderUpdatedAt = true) => {
  emu = await startFreshdeskEmulator({
    clock: clock.now,
    renderUpdatedAt,
    webhook: { url: hook.url, credentials: { basicAuth: BASIC } },
    rateLimitPerMinute: 1000
  })
}

beforeEach(async () => {
  clock = testClock(START)
  hook = await startWebhookReceiver()
})
afterEach(async () => {
  await emu.close()
  await hook.close()
})

const client = (extra: Partial<Parameters<typeof makeFreshdeskClient>[0]> = {}) =>
  makeFreshdeskClient({ baseUrl: emu.url, apiKey: "freshdesk-api-key", ...extra })

const ticket = (n: number) => ({
  email: `customer${n}@example.com`,
  subject: `Printer ${n} jammed`,
  description: `<div>Printer ${n}</div>`,
  status: 2,
  priority: 1,
  type: "Incident",
  tags: ["printer", "floor-3"]
})

describe("Freshdesk read client against the Freshdesk emulator", () => {
  it("pages through tickets updated since a time, oldest first, and resumes with only later changes", async () => {
    await start()
    for (const n of [1, 2, 3, 4, 5]) {
      await api("POST", "/tickets", ticket(n))
      clock.advance(1000)
    }
    const first = await Effect.runPromise(readAll(client({ perPage: 2 }), { since: new Date(START) }))
    expect(first.events.map((e) => e.ticketId)).toEqual(["1", "2", "3", "4", "5"])
    clock.advance(60_000)
    await api("PUT", "/tickets/2", { status: 4 })
    const later = await Effect.runPromise(readAll(client({ perPage: 2 }), { cursor: first.cursor }))
    expect(later.events.map((e) => [e.ticketId, e.fields["status"]])).toEqual([["2", "solved"]])
  })

  it("maps a ticket to the event the adapter decodes from the rule's webhook of the same change", async () => {
    await start()
    const created = (await api("POST", "/tickets", ticket(1))).body
    clock.advance(3000)
    await api("PUT", `/tickets/${created.id}`, { status: 4, priority: 3 })
    await emu.core.settle()
    const webhooks = hook.received.map((r) => webhookEvent(freshdesk, r, { basicAuth: BASIC }))
    expect(webhooks.map((w) => w.kind)).toEqual(["created", "closed"])
    const read = await Effect.runPromise(client().readTicket(String(created.id)))
    expect(comparable(read)).toEqual(comparable(webhooks[1]!))
    expect(stateRevision(read.revision)).toBe(stateRevision(webhooks[1]!.revision))
    expect(compareRevision(read.revision, webhooks[1]!.revision)).toBeLessThan(0)
    expect(compareRevision(read.revision, webhooks[0]!.revision)).toBeGreaterThan(0)
  })

  it("cannot match a webhook whose template lacks ticket_updated_at: the adapter falls back to the receive time", async () => {
    await start(false)
    const created = (await api("POST", "/tickets", ticket(1))).body
    await emu.core.settle()
    const webhook = webhookEvent(freshdesk, hook.received[0]!, { basicAuth: BASIC })
    const read = await Effect.runPromise(client().readTicket(String(created.id)))
    const { updated_at, ...rest } = read.fields
    expect(rest).toEqual(webhook.fields)
    expect(updated_at).toBe(created.updated_at)
    // The receive time (now) is years after the emulator's clock: the two revisions say nothing about each other.
    expect(stateRevision(read.revision)).not.toBe(stateRevision(webhook.revision))
  })

  it("waits as a 429's Retry-After says, then reads", async () => {
    await start()
    await api("POST", "/tickets", ticket(1))
    emu.core.addFault({ kind: "rateLimit", path: "/api/v2/tickets", method: "GET", count: 1, retryAfterSeconds: 1 })
    const waits: Array<number> = []
    const page = await Effect.runPromise(
      client({ retry: { onRateLimited: (_e, ms) => void waits.push(ms) } }).readPage({ since: new Date(START) })
    )
    expect(page.events.map((e) => e.ticketId)).toEqual(["1"])
    expect(waits).toEqual([1000])
  })
})
