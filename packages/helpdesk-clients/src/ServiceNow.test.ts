import { servicenow } from "@workbridge/adapters"
import { type ServiceNowEmulator, startServiceNowEmulator } from "@workbridge/helpdesk-emulators"
import { startWebhookReceiver, type WebhookReceiver } from "@workbridge/helpdesk-emulators/testing"
import { Effect } from "effect"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { readAll } from "./Read.js"
import { makeServiceNowClient } from "./ServiceNow.js"
import { testClock, webhookEvent } from "./testkit.js"

const BASIC = "svc_outbound:rule-password"
const START = Date.UTC(2026, 0, 5, 9, 0, 0)

let emu: ServiceNowEmulator
let hook: WebhookReceiver
let clock: ReturnType<typeof testClock>

const api = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${emu.url}/api/now/table/incident${path}`, {
    method,
    headers: {
      authorization: `Basic ${Buffer.from("workbridge:servicenow-password").toString("base64")}`,
      "content-type": "application/json",
      accept: "application/json"
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  return { status: res.status, body: (await res.json()) as any }
}

beforeEach(async () => {
  clock = testClock(START)
  hook = await startWebhookReceiver()
  emu = await startServiceNowEmulator({
    clock: clock.now,
    webhook: { url: hook.url, credentials: { basicAuth: BASIC } }
  })
})
afterEach(async () => {
  await emu.close()
  await hook.close()
})

const client = (extra: Partial<Parameters<typeof makeServiceNowClient>[0]> = {}) =>
  makeServiceNowClient({ baseUrl: emu.url, user: "workbridge", password: "servicenow-password", ...extra })

describe("ServiceNow read client against the ServiceNow emulator", () => {
  it("pages through records updated since a time, oldest first, and resumes with only later versions", async () => {
    const ids: Array<string> = []
    for (const n of [1, 2, 3, 4, 5]) {
      ids.push(
        (await api("POST", "", { short_description: `wifi ${n}`, impact: "2", urgency: "2" })).body.result.number
      )
      clock.advance(1000)
    }
    const first = await Effect.runPromise(readAll(client({ pageSize: 2 }), { since: new Date(START) }))
    expect(first.events.map((e) => e.ticketId)).toEqual(ids)
    const sysId = [...emu.incidents.values()].find((r) => r["number"] === ids[1])!["sys_id"]
    clock.advance(10_000)
    await api("PATCH", `/${sysId}`, { state: "6", close_code: "Solution provided", close_notes: "Rebooted" })
    const later = await Effect.runPromise(readAll(client({ pageSize: 2 }), { cursor: first.cursor }))
    expect(later.events.map((e) => [e.ticketId, e.fields["status"]])).toEqual([[ids[1], "solved"]])
  })

  it("keeps paging by offset while a whole page shares one second", async () => {
    for (const n of [1, 2, 3, 4, 5]) await api("POST", "", { short_description: `same second ${n}` })
    const all = await Effect.runPromise(readAll(client({ pageSize: 2 }), { since: new Date(START) }))
    expect(new Set(all.events.map((e) => e.ticketId)).size).toBe(5)
    expect(all.events.length).toBe(5)
  })

  it("reads the very event the business rule's webhook decodes to: same revision and delivery key (sys_id:sys_mod_count)", async () => {
    const created = (
      await api("POST", "", { short_description: "Exchange down", impact: "1", urgency: "2", category: "network" })
    ).body.result
    clock.advance(2000)
    await api("PATCH", `/${created.sys_id}`, { urgency: "1", work_notes: "escalating" })
    await emu.core.settle()
    const webhooks = hook.received.map((r) => webhookEvent(servicenow, r, { basicAuth: BASIC }))
    expect(webhooks.map((w) => w.kind)).toEqual(["created", "updated"])
    const read = await Effect.runPromise(client().readTicket(created.number))
    expect({ ...read, occurredAt: undefined }).toEqual({ ...webhooks[1]!, occurredAt: undefined })
    expect(read.deliveryKey).toBe(`${created.sys_id}:1`)
    const bySysId = await Effect.runPromise(client().readTicket(created.sys_id))
    expect(bySysId.revision).toBe(webhooks[1]!.revision)
  })

  it("waits as a 429's Retry-After says, then reads", async () => {
    await api("POST", "", { short_description: "limited" })
    emu.core.addFault({ kind: "rateLimit", method: "GET", count: 1, retryAfterSeconds: 1 })
    const waits: Array<number> = []
    const page = await Effect.runPromise(
      client({ retry: { onRateLimited: (_e, ms) => void waits.push(ms) } }).readPage({ since: new Date(START) })
    )
    expect(page.events.length).toBe(1)
    expect(waits).toEqual([1000])
  })
})
