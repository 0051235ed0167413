/**
 * The write side of each client against its vendor's emulator: the status is reached the vendor's way, the note is
 * internal where the vendor has internal notes, and a write that repeats the current status changes nothing.
 */
import {
  type FreshdeskEmulator,
  type GitHubEmulator,
  type JiraEmulator,
  type ServiceNowEmulator,
  startFreshdeskEmulator,
  startGitHubEmulator,
  startJiraEmulator,
  startServiceNowEmulator,
  startZendeskEmulator,
  type ZendeskEmulator
} from "@workbridge/helpdesk-emulators"
import { startWebhookReceiver, type WebhookReceiver } from "@workbridge/helpdesk-emulators/testing"
import { Effect, Exit } from "effect"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { makeFreshdeskClient } from "./Freshdesk.js"
import { makeGitHubClient } from "./GitHub.js"
import type { ReadError } from "./Http.js"
import { makeJiraClient } from "./Jira.js"
import { makeServiceNowClient } from "./ServiceNow.js"
import { testClock } from "./testkit.js"
import { makeZendeskClient } from "./Zendesk.js"

const START = Date.UTC(2026, 0, 5, 9, 0, 0)
let hook: WebhookReceiver
let clock: ReturnType<typeof testClock>
const closers: Array<() => Promise<void>> = []

beforeEach(async () => {
  clock = testClock(START)
  hook = await startWebhookReceiver()
})
afterEach(async () => {
  for (const close of closers.splice(0)) await close()
  await hook.close()
})

const send = async (url: string, auth: string, method: string, body?: unknown) => {
  const res = await fetch(url, {
    method,
    headers: { authorization: auth, "content-type": "application/json", accept: "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  const text = await res.text()
  return { status: res.status, body: (text === "" ? undefined : JSON.parse(text)) as any }
}
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`
const failure = async (effect: Effect.Effect<unknown, ReadError>) => {
  const exit = await Effect.runPromiseExit(effect)
  if (Exit.isSuccess(exit)) throw new Error("expected the write to fail")
  const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
  return error?._tag === "HelpdeskError" ? error.reason : String(exit.cause)
}

describe("Zendesk write-back", () => {
  let emu: ZendeskEmulator
  const auth = basic("agent@example.com/token", "zendesk-api-token")
  beforeEach(async () => {
    emu = await startZendeskEmulator({
      clock: clock.now,
      webhook: { url: hook.url, credentials: { secret: "s" } },
      rateLimitPerMinute: 1000
    })
    closers.push(() => emu.close())
  })
  const client = () =>
    makeZendeskClient({ baseUrl: emu.url, email: "agent@example.com", apiToken: "zendesk-api-token" })

  it("solves the ticket with an internal comment in one PUT, and a repeat changes nothing", async () => {
    const id = (
      await send(`${emu.url}/api/v2/tickets.json`, auth, "POST", {
        ticket: { subject: "VPN down", comment: { body: "It is down" } }
      })
    ).body.ticket.id as number
    clock.advance(5000)
    const first = await Effect.runPromise(
      client().writeBack(String(id), { status: "solved", note: "Closed by agent Ada in Genesys Cloud" })
    )
    expect(first).toEqual({ statusBefore: "new", statusWritten: true, noteWritten: true, calls: 2 })
    const t = emu.tickets.get(id)!
    expect(t.status).toBe("solved")
    expect(t.comments.at(-1)).toMatchObject({ body: "Closed by agent Ada in Genesys Cloud", public: false })
    const stamp = t.updated_at
    clock.advance(5000)
    const again = await Effect.runPromise(client().writeBack(String(id), { status: "solved" }))
    expect(again).toEqual({ statusBefore: "solved", statusWritten: false, noteWritten: false, calls: 1 })
    expect(emu.tickets.get(id)!.updated_at).toBe(stamp)
    expect(await Effect.runPromise(client().readStatus(String(id)))).toBe("solved")
  })

  it("refuses a ticket id that is not a number, naming it, before any call", async () => {
    expect(await failure(client().writeBack("ZD-1", { status: "solved" }))).toMatch(/Zendesk ticket id is a number/)
  })
})

describe("ServiceNow write-back", () => {
  let emu: ServiceNowEmulator
  const auth = basic("workbridge", "servicenow-password")
  beforeEach(async () => {
    emu = await startServiceNowEmulator({
      clock: clock.now,
      webhook: { url: hook.url, credentials: { basicAuth: "a:b" } }
    })
    closers.push(() => emu.close())
  })
  const client = () => makeServiceNowClient({ baseUrl: emu.url, user: "workbridge", password: "servicenow-password" })

  it("resolves the record (state 6) with close code and notes, the note in work_notes; a repeat changes nothing", async () => {
    const number = (
      await send(`${emu.url}/api/now/table/incident`, auth, "POST", {
        short_description: "wifi",
        impact: "2",
        urgency: "2"
      })
    ).body.result.number as string
    clock.advance(5000)
    const first = await Effect.runPromise(client().writeBack(number, { status: "6", note: "Fixed the access point" }))
    expect(first).toEqual({ statusBefore: "1", statusWritten: true, noteWritten: true, calls: 2 })
    const record = [...emu.incidents.values()].find((r) => r["number"] === number)!
    expect(record).toMatchObject({ state: "6", close_code: "Solution provided", close_notes: "Fixed the access point" })
    const journal = (await send(`${emu.url}/api/now/table/sys_journal_field`, auth, "GET")).body.result as Array<{
      element: string
      element_id: string
      value: string
    }>
    expect(journal).toContainEqual(
      expect.objectContaining({ element: "work_notes", element_id: record["sys_id"], value: "Fixed the access point" })
    )
    const mods = record["sys_mod_count"]
    const again = await Effect.runPromise(client().writeBack(number, { status: "6" }))
    expect(again).toMatchObject({ statusWritten: false, calls: 1 })
    expect([...emu.incidents.values()].find((r) => r["number"] === number)!["sys_mod_count"]).toBe(mods)
  })

  it("answers a clear error for a record that does not exist", async () => {
    expect(await failure(client().writeBack("INC0099999", { status: "6" }))).toMatch(/no incident record INC0099999/)
  })
})

describe("Jira write-back", () => {
  let emu: JiraEmulator
  const auth = basic("agent@example.com", "jira-api-token")
  beforeEach(async () => {
    emu = await startJiraEmulator({ clock: clock.now, webhook: { url: hook.url, credentials: { secret: "s" } } })
    closers.push(() => emu.close())
  })
  const client = () => makeJiraClient({ baseUrl: emu.url, email: "agent@example.com", apiToken: "jira-api-token" })
  const create = async () =>
    (
      await send(`${emu.url}/rest/api/3/issue`, auth, "POST", {
        fields: { project: { key: "SUP" }, summary: "VPN", issuetype: { name: "Incident" }, priority: { name: "High" } }
      })
    ).body as { id: string; key: string }

  it("reaches a done-category status through the transition that leads there, with an internal JSM comment", async () => {
    const issue = await create()
    const first = await Effect.runPromise(
      client().writeBack(issue.key, { status: "category:done", note: "Resolved in Genesys Cloud" })
    )
    expect(first).toEqual({ statusBefore: "To Do", statusWritten: true, noteWritten: true, calls: 4 })
    expect(emu.issues.get(issue.id)!.status).toBe("Done")
    expect(emu.comments.get(issue.id)).toEqual([
      expect.objectContaining({ body: "Resolved in Genesys Cloud", public: false })
    ])
    const again = await Effect.runPromise(client().writeBack(issue.key, { status: "Done" }))
    expect(again).toEqual({ statusBefore: "Done", statusWritten: false, noteWritten: false, calls: 1 })
    expect(emu.issues.get(issue.id)!.histories).toHaveLength(1)
  })

  it("names the statuses on offer when no transition leads to the one asked for", async () => {
    const issue = await create()
    expect(await failure(client().writeBack(issue.key, { status: "Waiting for customer" }))).toMatch(
      /no transition leads from "To Do" to "Waiting for customer" \(offered: .*Done/
    )
    expect(emu.issues.get(issue.id)!.status).toBe("To Do")
  })
})

describe("Freshdesk write-back", () => {
  let emu: FreshdeskEmulator
  const auth = basic("freshdesk-api-key", "X")
  beforeEach(async () => {
    emu = await startFreshdeskEmulator({
      clock: clock.now,
      webhook: { url: hook.url, credentials: { basicAuth: "a:b" } },
      rateLimitPerMinute: 1000
    })
    closers.push(() => emu.close())
  })
  const client = () => makeFreshdeskClient({ baseUrl: emu.url, apiKey: "freshdesk-api-key" })

  it("resolves the ticket (4) and adds a private note; a repeat changes nothing", async () => {
    const id = (
      await send(`${emu.url}/api/v2/tickets`, auth, "POST", {
        email: "c@example.com",
        subject: "Printer",
        description: "jam",
        status: 2,
        priority: 1
      })
    ).body.id as number
    clock.advance(5000)
    const first = await Effect.runPromise(client().writeBack(String(id), { status: "4", note: "Replaced the drum" }))
    expect(first).toEqual({ statusBefore: "2", statusWritten: true, noteWritten: true, calls: 3 })
    expect(emu.tickets.get(id)!.status).toBe(4)
    const notes = (await send(`${emu.url}/api/v2/tickets/${id}/conversations`, auth, "GET")).body
    expect(notes).toEqual([expect.objectContaining({ body: "Replaced the drum", private: true, ticket_id: id })])
    const stamp = emu.tickets.get(id)!.updated_at
    clock.advance(5000)
    expect(await Effect.runPromise(client().writeBack(String(id), { status: "4" }))).toMatchObject({
      statusWritten: false,
      calls: 1
    })
    expect(emu.tickets.get(id)!.updated_at).toBe(stamp)
  })

  it("refuses a status that is not a Freshdesk status number, naming it, and writes nothing", async () => {
    const id = (
      await send(`${emu.url}/api/v2/tickets`, auth, "POST", {
        email: "c@example.com",
        subject: "Printer",
        description: "jam"
      })
    ).body.id as number
    expect(await failure(client().writeBack(String(id), { status: "resolved", note: "x" }))).toMatch(
      /Freshdesk status is a number, not "resolved"/
    )
    expect(emu.tickets.get(id)!.status).toBe(2)
    expect(emu.notes.get(id)).toBeUndefined()
  })
})

describe("GitHub write-back", () => {
  let emu: GitHubEmulator
  beforeEach(async () => {
    emu = await startGitHubEmulator({
      clock: clock.now,
      webhook: { url: hook.url, credentials: { secret: "s" } },
      rateLimitPerMinute: 1000
    })
    closers.push(() => emu.close())
  })
  const client = () => makeGitHubClient({ baseUrl: emu.url, token: "github-pat", repository: "octo-org/helpdesk" })

  it("closes the issue as completed and comments (GitHub has no private comments); a repeat changes nothing", async () => {
    const n = (
      await send(`${emu.url}/repos/octo-org/helpdesk/issues`, "Bearer github-pat", "POST", { title: "Crash on start" })
    ).body.number as number
    clock.advance(5000)
    const first = await Effect.runPromise(
      client().writeBack(`octo-org/helpdesk#${n}`, { status: "closed", note: "Fixed in 2.4.1" })
    )
    expect(first).toEqual({ statusBefore: "open", statusWritten: true, noteWritten: true, calls: 3 })
    expect(emu.issues.get(n)).toMatchObject({ state: "closed", state_reason: "completed", comments: 1 })
    expect(emu.comments.get(n)).toEqual([expect.objectContaining({ body: "Fixed in 2.4.1" })])
    const stamp = emu.issues.get(n)!.updated_at
    clock.advance(5000)
    expect(await Effect.runPromise(client().writeBack(`octo-org/helpdesk#${n}`, { status: "closed" }))).toMatchObject({
      statusWritten: false,
      calls: 1
    })
    expect(emu.issues.get(n)!.updated_at).toBe(stamp)
  })

  it("refuses a status other than open or closed and a ticket of another repository", async () => {
    const n = (await send(`${emu.url}/repos/octo-org/helpdesk/issues`, "Bearer github-pat", "POST", { title: "x" }))
      .body.number as number
    expect(await failure(client().writeBack(`octo-org/helpdesk#${n}`, { status: "done" }))).toMatch(
      /"open" or "closed", not "done"/
    )
    expect(await failure(client().writeBack(`other/repo#${n}`, { status: "closed" }))).toMatch(
      /octo-org\/helpdesk#<number>/
    )
    expect(emu.issues.get(n)!.state).toBe("open")
  })
})
