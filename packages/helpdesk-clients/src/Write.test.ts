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

/**
 * The result without `updatedBefore`, which must be the ticket's update time as read (an ISO-8601 instant), and
 * without `updatedAfter` (the seenUntil cases below check it against the ticket).
 */
const readBefore = ({ updatedBefore, updatedAfter: _after, ...rest }: WriteResult) => {
  expect(updatedBefore === undefined ? Number.NaN : Date.parse(updatedBefore)).not.toBeNaN()
  return rest
}
import { assigneeProblem, type StatusRead, type WriteResult } from "./Write.js"
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
const bodies = () => hook.received.map((r) => JSON.parse(r.rawBody.toString("utf8")) as any)
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
    expect(readBefore(first)).toEqual({
      statusBefore: "new",
      statusWritten: true,
      noteWritten: true,
      assigneeWritten: false,
      calls: 2
    })
    const t = emu.tickets.get(id)!
    expect(t.status).toBe("solved")
    expect(t.comments.at(-1)).toMatchObject({ body: "Closed by agent Ada in Genesys Cloud", public: false })
    const stamp = t.updated_at
    clock.advance(5000)
    const again = await Effect.runPromise(client().writeBack(String(id), { status: "solved" }))
    expect(readBefore(again)).toEqual({
      statusBefore: "solved",
      statusWritten: false,
      noteWritten: false,
      assigneeWritten: false,
      calls: 1
    })
    expect(emu.tickets.get(id)!.updated_at).toBe(stamp)
    expect(await Effect.runPromise(client().readStatus(String(id)))).toBe("solved")
  })

  it("refuses a ticket id that is not a number, naming it, before any call", async () => {
    expect(await failure(client().writeBack("ZD-1", { status: "solved" }))).toMatch(/Zendesk ticket id is a number/)
  })

  it("assigns the agent in the same PUT as the status, sends agent_assignment_changed, and skips an agent already there", async () => {
    const id = (
      await send(`${emu.url}/api/v2/tickets.json`, auth, "POST", {
        ticket: { subject: "VPN down", comment: { body: "It is down" } }
      })
    ).body.ticket.id as number
    const ticketId = String(id)
    clock.advance(5000)
    const first = await Effect.runPromise(
      client().writeBack(ticketId, { status: "solved", assignee: "235323", note: "Closed by agent Ada" })
    )
    expect(readBefore(first)).toEqual({
      statusBefore: "new",
      statusWritten: true,
      noteWritten: true,
      assigneeWritten: true,
      calls: 2
    })
    expect(emu.tickets.get(Number(ticketId))).toMatchObject({ status: "solved", assignee_id: 235323 })
    await emu.core.settle()
    expect(bodies().map((b) => b.type)).toContain("zen:event-type:ticket.agent_assignment_changed")
    expect(bodies().find((b) => b.type.endsWith("agent_assignment_changed"))).toMatchObject({
      detail: { assignee_id: "235323" },
      event: { previous: null, current: "235323" }
    })
    const stamp = emu.tickets.get(Number(ticketId))!.updated_at
    const sent = hook.received.length
    clock.advance(5000)
    const again = await Effect.runPromise(client().writeBack(ticketId, { status: "solved", assignee: "235323" }))
    expect(readBefore(again)).toEqual({
      statusBefore: "solved",
      statusWritten: false,
      noteWritten: false,
      assigneeBefore: "235323",
      assigneeWritten: false,
      calls: 1
    })
    expect(emu.tickets.get(Number(ticketId))!.updated_at).toBe(stamp)
    await emu.core.settle()
    expect(hook.received).toHaveLength(sent)
  })

  it("refuses an assignee that is not a user id, naming it, before any call", async () => {
    await send(`${emu.url}/api/v2/tickets.json`, auth, "POST", { ticket: { subject: "x", comment: { body: "y" } } })
    const [id] = [...emu.tickets.keys()]
    expect(await failure(client().writeBack(String(id), { status: "solved", assignee: "ada@example.com" }))).toBe(
      'a Zendesk assignee is a user id (a number), not "ada@example.com"'
    )
    expect(emu.tickets.get(id!)).toMatchObject({ status: "new", assignee_id: null })
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
    expect(readBefore(first)).toEqual({
      statusBefore: "1",
      statusWritten: true,
      noteWritten: true,
      assigneeWritten: false,
      calls: 2
    })
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

  it("sets assigned_to (a sys_user sys_id) in the same PATCH as the state; the same agent again changes nothing", async () => {
    const number = (await send(`${emu.url}/api/now/table/incident`, auth, "POST", { short_description: "wifi" })).body
      .result.number as string
    const agent = "5137153cc611227c000bbd1bd8cd2005"
    clock.advance(5000)
    const first = await Effect.runPromise(client().writeBack(number, { status: "6", assignee: agent, note: "Fixed" }))
    expect(readBefore(first)).toEqual({
      statusBefore: "1",
      statusWritten: true,
      noteWritten: true,
      assigneeWritten: true,
      calls: 2
    })
    const record = [...emu.incidents.values()].find((r) => r["number"] === number)!
    expect(record).toMatchObject({ state: "6", assigned_to: agent })
    await emu.core.settle()
    // The business rule's record carries the fields Workbridge syncs; the change shows in changed_fields.
    expect(bodies().at(-1)).toMatchObject({ operation: "update", record: { number, state: "6" } })
    expect(bodies().at(-1).changed_fields).toContain("assigned_to")
    const mods = record["sys_mod_count"]
    const sent = hook.received.length
    const again = await Effect.runPromise(client().writeBack(number, { assignee: agent }))
    expect(readBefore(again)).toEqual({
      statusBefore: "6",
      statusWritten: false,
      noteWritten: false,
      assigneeBefore: agent,
      assigneeWritten: false,
      calls: 1
    })
    expect([...emu.incidents.values()].find((r) => r["number"] === number)!["sys_mod_count"]).toBe(mods)
    await emu.core.settle()
    expect(hook.received).toHaveLength(sent)
  })

  it("refuses an assignee that is not a sys_id (a user name), naming it, and writes nothing", async () => {
    const number = (await send(`${emu.url}/api/now/table/incident`, auth, "POST", { short_description: "wifi" })).body
      .result.number as string
    expect(await failure(client().writeBack(number, { status: "6", assignee: "beth.anglin" }))).toBe(
      'a ServiceNow assignee is the sys_id of a sys_user record (32 hex digits), not "beth.anglin"'
    )
    expect([...emu.incidents.values()].find((r) => r["number"] === number)).toMatchObject({ state: "1" })
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
    expect(readBefore(first)).toEqual({
      statusBefore: "To Do",
      statusWritten: true,
      noteWritten: true,
      assigneeWritten: false,
      calls: 4
    })
    expect(emu.issues.get(issue.id)!.status).toBe("Done")
    expect(emu.comments.get(issue.id)).toEqual([
      expect.objectContaining({ body: "Resolved in Genesys Cloud", public: false })
    ])
    const again = await Effect.runPromise(client().writeBack(issue.key, { status: "Done" }))
    expect(readBefore(again)).toEqual({
      statusBefore: "Done",
      statusWritten: false,
      noteWritten: false,
      assigneeWritten: false,
      calls: 1
    })
    expect(emu.issues.get(issue.id)!.histories).toHaveLength(1)
  })

  it("names the statuses on offer when no transition leads to the one asked for", async () => {
    const issue = await create()
    expect(await failure(client().writeBack(issue.key, { status: "Waiting for customer" }))).toMatch(
      /no transition leads from "To Do" to "Waiting for customer" \(offered: .*Done/
    )
    expect(emu.issues.get(issue.id)!.status).toBe("To Do")
  })

  it("assigns through PUT …/assignee {accountId} after the transition; the same account again changes nothing", async () => {
    const issue = await create()
    const agent = "557058:f58131cb-b67d-43c7-b30d-6b58d40bd077"
    const first = await Effect.runPromise(
      client().writeBack(issue.key, { status: "category:done", assignee: agent, note: "Resolved" })
    )
    expect(readBefore(first)).toEqual({
      statusBefore: "To Do",
      statusWritten: true,
      noteWritten: true,
      assigneeWritten: true,
      calls: 5
    })
    expect(emu.issues.get(issue.id)).toMatchObject({ status: "Done", assignee: agent })
    await emu.core.settle()
    const last = bodies().at(-1)
    expect(last).toMatchObject({
      webhookEvent: "jira:issue_updated",
      issue: { fields: { assignee: { accountId: agent } } }
    })
    expect(last.changelog.items).toEqual([expect.objectContaining({ field: "assignee", from: null, to: agent })])
    const histories = emu.issues.get(issue.id)!.histories.length
    const again = await Effect.runPromise(client().writeBack(issue.key, { status: "Done", assignee: agent }))
    expect(readBefore(again)).toEqual({
      statusBefore: "Done",
      statusWritten: false,
      noteWritten: false,
      assigneeBefore: agent,
      assigneeWritten: false,
      calls: 1
    })
    expect(emu.issues.get(issue.id)!.histories).toHaveLength(histories)
  })

  it("refuses an assignee that is not an account id (an e-mail), naming it, and writes nothing", async () => {
    const issue = await create()
    expect(await failure(client().writeBack(issue.key, { status: "Done", assignee: "ada@example.com" }))).toBe(
      'a Jira assignee is an Atlassian account id, not "ada@example.com"'
    )
    expect(emu.issues.get(issue.id)).toMatchObject({ status: "To Do", assignee: null })
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
    expect(readBefore(first)).toEqual({
      statusBefore: "2",
      statusWritten: true,
      noteWritten: true,
      assigneeWritten: false,
      calls: 3
    })
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

  it("sets responder_id in the same PUT as the status; the same agent again changes nothing", async () => {
    const id = (
      await send(`${emu.url}/api/v2/tickets`, auth, "POST", { email: "c@example.com", subject: "P", description: "j" })
    ).body.id as number
    clock.advance(5000)
    const first = await Effect.runPromise(
      client().writeBack(String(id), { status: "4", assignee: "153000435734", note: "Replaced the drum" })
    )
    expect(readBefore(first)).toEqual({
      statusBefore: "2",
      statusWritten: true,
      noteWritten: true,
      assigneeWritten: true,
      calls: 3
    })
    expect(emu.tickets.get(id)).toMatchObject({ status: 4, responder_id: 153000435734 })
    await emu.core.settle()
    expect(bodies().at(-1)).toMatchObject({ freshdesk_webhook: { ticket_id: String(id), ticket_status: "Resolved" } })
    const sent = hook.received.length
    const stamp = emu.tickets.get(id)!.updated_at
    clock.advance(5000)
    const again = await Effect.runPromise(client().writeBack(String(id), { assignee: "153000435734" }))
    expect(readBefore(again)).toEqual({
      statusBefore: "4",
      statusWritten: false,
      noteWritten: false,
      assigneeBefore: "153000435734",
      assigneeWritten: false,
      calls: 1
    })
    expect(emu.tickets.get(id)!.updated_at).toBe(stamp)
    await emu.core.settle()
    expect(hook.received).toHaveLength(sent)
  })

  it("assigns alone (no status) in one PUT, and the rule's webhook follows", async () => {
    const id = (
      await send(`${emu.url}/api/v2/tickets`, auth, "POST", { email: "c@example.com", subject: "P", description: "j" })
    ).body.id as number
    await emu.core.settle()
    const sent = hook.received.length
    clock.advance(5000)
    expect(await Effect.runPromise(client().writeBack(String(id), { assignee: "42" }))).toMatchObject({
      statusWritten: false,
      assigneeWritten: true,
      calls: 2
    })
    expect(emu.tickets.get(id)).toMatchObject({ status: 2, responder_id: 42 })
    await emu.core.settle()
    expect(hook.received).toHaveLength(sent + 1)
  })

  it("refuses an assignee that is not an agent id, naming it, and writes nothing", async () => {
    const id = (
      await send(`${emu.url}/api/v2/tickets`, auth, "POST", { email: "c@example.com", subject: "P", description: "j" })
    ).body.id as number
    expect(await failure(client().writeBack(String(id), { status: "4", assignee: "agent-7" }))).toBe(
      'a Freshdesk assignee is an agent id (a number), not "agent-7"'
    )
    expect(emu.tickets.get(id)).toMatchObject({ status: 2, responder_id: null })
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
    expect(readBefore(first)).toEqual({
      statusBefore: "open",
      statusWritten: true,
      noteWritten: true,
      assigneeWritten: false,
      calls: 3
    })
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

  it("closes and sets assignees [login] in one PATCH (an `assigned` event); the same login again changes nothing", async () => {
    const n = (
      await send(`${emu.url}/repos/octo-org/helpdesk/issues`, "Bearer github-pat", "POST", { title: "Crash on start" })
    ).body.number as number
    clock.advance(5000)
    const first = await Effect.runPromise(
      client().writeBack(`octo-org/helpdesk#${n}`, { status: "closed", assignee: "ada-lovelace", note: "Fixed" })
    )
    expect(readBefore(first)).toEqual({
      statusBefore: "open",
      statusWritten: true,
      noteWritten: true,
      assigneeWritten: true,
      calls: 3
    })
    expect(emu.issues.get(n)).toMatchObject({ state: "closed", assignee: { login: "ada-lovelace" } })
    expect(emu.issues.get(n)!.assignees.map((a) => a.login)).toEqual(["ada-lovelace"])
    await emu.core.settle()
    expect(bodies().find((b) => b.action === "assigned")).toMatchObject({
      assignee: { login: "ada-lovelace" },
      issue: { assignees: [{ login: "ada-lovelace" }] }
    })
    const stamp = emu.issues.get(n)!.updated_at
    const sent = hook.received.length
    clock.advance(5000)
    const again = await Effect.runPromise(
      client().writeBack(`octo-org/helpdesk#${n}`, { status: "closed", assignee: "Ada-Lovelace" })
    )
    expect(readBefore(again)).toEqual({
      statusBefore: "closed",
      statusWritten: false,
      noteWritten: false,
      assigneeBefore: "ada-lovelace",
      assigneeWritten: false,
      calls: 1
    })
    expect(emu.issues.get(n)!.updated_at).toBe(stamp)
    await emu.core.settle()
    expect(hook.received).toHaveLength(sent)
  })

  it("refuses an assignee that is not a login, naming it, and writes nothing", async () => {
    const n = (await send(`${emu.url}/repos/octo-org/helpdesk/issues`, "Bearer github-pat", "POST", { title: "x" }))
      .body.number as number
    expect(await failure(client().writeBack(`octo-org/helpdesk#${n}`, { status: "closed", assignee: "-ada" }))).toBe(
      'a GitHub assignee is a user login, not "-ada"'
    )
    expect(emu.issues.get(n)).toMatchObject({ state: "open", assignees: [] })
  })
})

describe("assigneeProblem", () => {
  it("takes each vendor's agent form and names a value of another form", () => {
    expect(assigneeProblem("zendesk", "235323")).toBeUndefined()
    expect(assigneeProblem("servicenow", "5137153cc611227c000bbd1bd8cd2005")).toBeUndefined()
    expect(assigneeProblem("jira", "557058:f58131cb-b67d-43c7-b30d-6b58d40bd077")).toBeUndefined()
    expect(assigneeProblem("freshdesk", "153000435734")).toBeUndefined()
    expect(assigneeProblem("github", "ada-lovelace")).toBeUndefined()
    // Sent as a JSON number: more than 15 digits would not stay exact.
    expect(assigneeProblem("zendesk", "1234567890123456")).toBe(
      'a Zendesk assignee is a user id (a number), not "1234567890123456"'
    )
    expect(assigneeProblem("github", "ada--lovelace")).toMatch(/GitHub assignee is a user login/)
    expect(assigneeProblem("servicenow", "5137153CC611227C000BBD1BD8CD2005")).toMatch(/sys_id/)
  })
})

/**
 * `seenUntil` on every vendor: the ticket is created at START and a person changes it 5 s later; a write-back that has
 * seen only the creation writes nothing (one read, no webhook), one that has seen the change writes.
 */
describe("seenUntil: no write over a change the caller has not seen", () => {
  const seen = new Date(START).toISOString()
  const later = new Date(START + 5000).toISOString()
  interface Case {
    readonly start: () => Promise<{ url: string; core: { settle(): Promise<void> }; close(): Promise<void> }>
    /** Create a ticket (at START), change it as a person would (at START + 5 s); answers its id for the client. */
    readonly prepare: (url: string) => Promise<string>
    readonly client: (url: string) => {
      writeBack: ReturnType<typeof makeZendeskClient>["writeBack"]
      readStatus: ReturnType<typeof makeZendeskClient>["readStatus"]
    }
    readonly status: string
  }
  const zd = basic("agent@example.com/token", "zendesk-api-token")
  const sn = basic("workbridge", "servicenow-password")
  const jr = basic("agent@example.com", "jira-api-token")
  const fd = basic("freshdesk-api-key", "X")
  const gh = "Bearer github-pat"
  const cases: Record<string, Case> = {
    zendesk: {
      start: () => startZendeskEmulator({ clock: clock.now, webhook: { url: hook.url, credentials: { secret: "s" } } }),
      prepare: async (url) => {
        const id = (
          await send(`${url}/api/v2/tickets.json`, zd, "POST", {
            ticket: { subject: "VPN", comment: { body: "down" } }
          })
        ).body.ticket.id as number
        clock.advance(5000)
        expect((await send(`${url}/api/v2/tickets/${id}`, zd, "PUT", { ticket: { status: "pending" } })).status).toBe(
          200
        )
        return String(id)
      },
      client: (url) => makeZendeskClient({ baseUrl: url, email: "agent@example.com", apiToken: "zendesk-api-token" }),
      status: "solved"
    },
    servicenow: {
      start: () =>
        startServiceNowEmulator({ clock: clock.now, webhook: { url: hook.url, credentials: { basicAuth: "a:b" } } }),
      prepare: async (url) => {
        const created = (await send(`${url}/api/now/table/incident`, sn, "POST", { short_description: "wifi" })).body
          .result as { number: string; sys_id: string }
        clock.advance(5000)
        const patched = await send(`${url}/api/now/table/incident/${created.sys_id}`, sn, "PATCH", { state: "2" })
        expect(patched.status).toBe(200)
        return created.number
      },
      client: (url) => makeServiceNowClient({ baseUrl: url, user: "workbridge", password: "servicenow-password" }),
      status: "6"
    },
    jira: {
      start: () => startJiraEmulator({ clock: clock.now, webhook: { url: hook.url, credentials: { secret: "s" } } }),
      prepare: async (url) => {
        const issue = (
          await send(`${url}/rest/api/3/issue`, jr, "POST", {
            fields: { project: { key: "SUP" }, summary: "VPN", issuetype: { name: "Incident" } }
          })
        ).body as { key: string }
        clock.advance(5000)
        const put = await send(`${url}/rest/api/3/issue/${issue.key}`, jr, "PUT", { fields: { summary: "VPN down" } })
        expect(put.status).toBe(204)
        return issue.key
      },
      client: (url) => makeJiraClient({ baseUrl: url, email: "agent@example.com", apiToken: "jira-api-token" }),
      status: "Done"
    },
    freshdesk: {
      start: () =>
        startFreshdeskEmulator({ clock: clock.now, webhook: { url: hook.url, credentials: { basicAuth: "a:b" } } }),
      prepare: async (url) => {
        const id = (
          await send(`${url}/api/v2/tickets`, fd, "POST", { email: "c@example.com", subject: "P", description: "j" })
        ).body.id as number
        clock.advance(5000)
        expect((await send(`${url}/api/v2/tickets/${id}`, fd, "PUT", { status: 3 })).status).toBe(200)
        return String(id)
      },
      client: (url) => makeFreshdeskClient({ baseUrl: url, apiKey: "freshdesk-api-key" }),
      status: "4"
    },
    github: {
      start: () => startGitHubEmulator({ clock: clock.now, webhook: { url: hook.url, credentials: { secret: "s" } } }),
      prepare: async (url) => {
        const n = (await send(`${url}/repos/octo-org/helpdesk/issues`, gh, "POST", { title: "Crash" })).body
          .number as number
        clock.advance(5000)
        const patched = await send(`${url}/repos/octo-org/helpdesk/issues/${n}`, gh, "PATCH", {
          title: "Crash on start"
        })
        expect(patched.status).toBe(200)
        return `octo-org/helpdesk#${n}`
      },
      client: (url) => makeGitHubClient({ baseUrl: url, token: "github-pat", repository: "octo-org/helpdesk" }),
      status: "closed"
    }
  }

  for (const [source, c] of Object.entries(cases)) {
    it(`${source}: a change after seenUntil → nothing written and no webhook; seenUntil at the change → written`, async () => {
      const emu = await c.start()
      closers.push(() => emu.close())
      const id = await c.prepare(emu.url)
      const client = c.client(emu.url)
      const before = await Effect.runPromise(client.readStatus(id))
      await emu.core.settle()
      const sent = hook.received.length
      clock.advance(5000)
      // The hook run once the ticket was read and its status is about to be written, with the ticket as read.
      const reads: Array<StatusRead> = []
      const beforeStatusWrite = (read: StatusRead) => Effect.sync(() => void reads.push(read))

      const unseen = await Effect.runPromise(
        client.writeBack(id, { status: c.status, note: "Done", seenUntil: seen, beforeStatusWrite })
      )
      expect(unseen).toMatchObject({ statusWritten: false, noteWritten: false, unseenChange: true, calls: 1 })
      expect(await Effect.runPromise(client.readStatus(id))).toBe(before)
      await emu.core.settle()
      expect(hook.received).toHaveLength(sent)
      expect(reads).toEqual([])

      // The helpdesk's clock when it answered the read (its `Date` header: whole seconds).
      const readAt = new Date(Math.floor(clock.now() / 1000) * 1000).toISOString()
      const written = await Effect.runPromise(
        client.writeBack(id, { status: c.status, note: "Done", seenUntil: later, beforeStatusWrite })
      )
      expect(written).toMatchObject({ statusWritten: true, noteWritten: true })
      expect(written.unseenChange).toBeUndefined()
      expect(await Effect.runPromise(client.readStatus(id))).not.toBe(before)
      expect(reads).toEqual([{ status: before, updatedAt: written.updatedBefore, readAt }])
      // The update time the status write answered with is the ticket's (what its webhook carries); Jira's transition
      // answers with no body.
      const repeat = await Effect.runPromise(client.writeBack(id, { status: c.status, beforeStatusWrite }))
      expect(repeat.statusWritten).toBe(false)
      expect(reads).toHaveLength(1)
      if (source === "jira") expect(written.updatedAfter).toBeUndefined()
      else {
        expect(written.updatedAfter).toBeDefined()
        expect(written.updatedAfter).toBe(repeat.updatedBefore)
      }
    })
  }

  it("writes nothing when the hook run before the status write fails, and fails with its error", async () => {
    const emu = await cases["zendesk"]!.start()
    closers.push(() => emu.close())
    const id = await cases["zendesk"]!.prepare(emu.url)
    const client = cases["zendesk"]!.client(emu.url)
    await emu.core.settle()
    const sent = hook.received.length
    const exit = await Effect.runPromiseExit(
      client.writeBack(id, { status: "solved", note: "Done", beforeStatusWrite: () => Effect.fail("store down") })
    )
    expect(exit).toEqual(Exit.fail("store down"))
    expect(await Effect.runPromise(client.readStatus(id))).toBe("pending")
    await emu.core.settle()
    expect(hook.received).toHaveLength(sent)
  })

  it("refuses a seenUntil that is not a time, naming it, before any call", async () => {
    const client = makeZendeskClient({ baseUrl: "http://127.0.0.1:9", email: "a@example.com", apiToken: "t" })
    expect(await failure(client.writeBack("1", { status: "solved", seenUntil: "yesterday" }))).toBe(
      'seenUntil must be an ISO-8601 time, not "yesterday"'
    )
  })
})
