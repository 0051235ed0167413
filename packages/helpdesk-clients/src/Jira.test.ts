import { jira } from "@workbridge/adapters"
import { compareRevision, defaultCatalog } from "@workbridge/catalog"
import { type JiraEmulator, startJiraEmulator } from "@workbridge/helpdesk-emulators"
import { startWebhookReceiver, type WebhookReceiver } from "@workbridge/helpdesk-emulators/testing"
import { Effect } from "effect"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { makeJiraClient } from "./Jira.js"
import { readAll, stateRevision } from "./Read.js"
import { comparable, testClock, webhookEvent } from "./testkit.js"

const SECRET = "jira-webhook-secret"
const START = Date.UTC(2026, 0, 5, 9, 0, 0)

let emu: JiraEmulator
let hook: WebhookReceiver
let clock: ReturnType<typeof testClock>

const api = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${emu.url}/rest/api/3${path}`, {
    method,
    headers: {
      authorization: `Basic ${Buffer.from("agent@example.com:jira-api-token").toString("base64")}`,
      "content-type": "application/json"
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  const text = await res.text()
  return { status: res.status, body: (text === "" ? undefined : JSON.parse(text)) as any }
}
const create = async (summary: string) =>
  (
    await api("POST", "/issue", {
      fields: {
        project: { key: "SUP" },
        summary,
        issuetype: { name: "Incident" },
        priority: { name: "High" },
        labels: ["vpn"],
        description: {
          type: "doc",
          version: 1,
          content: [{ type: "paragraph", content: [{ type: "text", text: `${summary}: details` }] }]
        }
      }
    })
  ).body
const transition = (key: string, id: string) => api("POST", `/issue/${key}/transitions`, { transition: { id } })

beforeEach(async () => {
  clock = testClock(START)
  hook = await startWebhookReceiver()
  emu = await startJiraEmulator({ clock: clock.now, webhook: { url: hook.url, credentials: { secret: SECRET } } })
})
afterEach(async () => {
  await emu.close()
  await hook.close()
})

const client = (extra: Partial<Parameters<typeof makeJiraClient>[0]> = {}) =>
  makeJiraClient({
    baseUrl: emu.url,
    email: "agent@example.com",
    apiToken: "jira-api-token",
    jql: "project = SUP",
    ...extra
  })

describe("Jira read client against the Jira emulator", () => {
  it("pages a JQL search with nextPageToken and resumes with only later changes (the overlap minute is not read twice)", async () => {
    const ids: Array<string> = []
    for (const n of [1, 2, 3, 4, 5]) {
      ids.push((await create(`VPN ${n}`)).id)
      clock.advance(1000)
    }
    const first = await Effect.runPromise(readAll(client({ pageSize: 2 }), { since: new Date(START) }))
    expect(first.events.map((e) => e.ticketId)).toEqual(ids)
    expect(emu.core.requests.filter((r) => r.path === "/rest/api/3/search/jql").length).toBe(3)
    clock.advance(120_000)
    await transition("SUP-2", "31")
    const later = await Effect.runPromise(readAll(client({ pageSize: 2 }), { cursor: first.cursor }))
    expect(later.events.map((e) => [e.ticketId, e.fields["status"]])).toEqual([[ids[1], "solved"]])
  })

  it("moves its cursor on with a catalog that has no updated_at field", async () => {
    const catalog = { ...defaultCatalog, fields: defaultCatalog.fields.filter((f) => f.key !== "updated_at") }
    await create("first")
    clock.advance(120_000)
    const first = await Effect.runPromise(readAll(client({ catalog }), { since: new Date(START) }))
    expect(first.events.length).toBe(1)
    clock.advance(120_000)
    await create("second")
    const later = await Effect.runPromise(readAll(client({ catalog }), { cursor: first.cursor }))
    expect(later.events.map((e) => e.fields["subject"])).toEqual(["second"])
  })

  it("maps an issue to the event the adapter decodes from the webhook of the same change (time and changelog id)", async () => {
    const issue = await create("Laptop broken")
    clock.advance(4000)
    await transition(issue.key, "21")
    clock.advance(4000)
    await api("PUT", `/issue/${issue.key}`, { fields: { labels: ["vpn", "hardware"], priority: { name: "Highest" } } })
    await emu.core.settle()
    const webhooks = hook.received.map((r) => webhookEvent(jira, r, { secret: SECRET }))
    expect(webhooks.map((w) => w.kind)).toEqual(["created", "updated", "updated"])
    const last = webhooks[2]!
    const read = await Effect.runPromise(client().readTicket(issue.key))
    expect(comparable(read)).toEqual(comparable(last))
    expect(stateRevision(read.revision)).toBe(stateRevision(last.revision))
    expect(compareRevision(read.revision, last.revision)).toBeLessThan(0)
    expect(compareRevision(read.revision, webhooks[1]!.revision)).toBeGreaterThan(0)
    const fresh = await Effect.runPromise(readAll(client(), { since: new Date(START) }))
    expect(stateRevision(fresh.events[0]!.revision)).toBe(stateRevision(last.revision))
  })

  it("reads the newest changelog id when the search embeds only the first 20 entries", async () => {
    const issue = await create("Chatty")
    for (let n = 0; n < 22; n++) {
      clock.advance(1000)
      await api("PUT", `/issue/${issue.key}`, { fields: { labels: [`round-${n}`] } })
    }
    await emu.core.settle()
    const last = webhookEvent(jira, hook.received[hook.received.length - 1]!, { secret: SECRET })
    const page = await Effect.runPromise(client().readPage({ since: new Date(START) }))
    expect(stateRevision(page.events[0]!.revision)).toBe(stateRevision(last.revision))
    expect(emu.core.requests.filter((r) => r.path.endsWith("/changelog")).length).toBe(1)
  })

  it("a reopen (resolution cleared) is a reopened webhook and an updated read of the same state revision", async () => {
    const issue = await create("Flaky")
    clock.advance(1000)
    await transition(issue.key, "31")
    clock.advance(1000)
    await transition(issue.key, "11")
    await emu.core.settle()
    const webhook = webhookEvent(jira, hook.received[2]!, { secret: SECRET })
    expect(webhook.kind).toBe("reopened")
    const read = await Effect.runPromise(client().readTicket(issue.id))
    expect(read.kind).toBe("updated")
    expect(stateRevision(read.revision)).toBe(stateRevision(webhook.revision))
  })

  it("waits as a 429's Retry-After says, then searches", async () => {
    await create("limited")
    emu.core.addFault({ kind: "rateLimit", path: "/rest/api/3/search/jql", count: 1, retryAfterSeconds: 1 })
    const waits: Array<number> = []
    const page = await Effect.runPromise(
      client({ retry: { onRateLimited: (_e, ms) => void waits.push(ms) } }).readPage({ since: new Date(START) })
    )
    expect(page.events.length).toBe(1)
    expect(waits).toEqual([1000])
  })
})
