import { afterEach, describe, expect, it } from "vitest"
import {
  startFreshdeskEmulator,
  startGitHubEmulator,
  startJiraEmulator,
  startServiceNowEmulator,
  startZendeskEmulator
} from "./index.js"

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`
const running: Array<{ close(): Promise<void> }> = []
afterEach(async () => {
  for (const r of running.splice(0)) await r.close()
})
const json = async (url: string, auth: string, method = "GET", body?: unknown) => {
  const res = await fetch(url, {
    method,
    headers: { authorization: auth, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  const text = await res.text()
  return { status: res.status, headers: res.headers, body: (text === "" ? undefined : JSON.parse(text)) as any }
}

describe("Zendesk emulator API", () => {
  const ZD = basic("agent@example.com/token", "zendesk-api-token")
  it("refuses other credentials with 401 and an export without start_time or cursor with 400", async () => {
    const emu = await startZendeskEmulator({})
    running.push(emu)
    expect(
      (await json(`${emu.url}/api/v2/tickets/1.json`, basic("agent@example.com", "zendesk-api-token"))).status
    ).toBe(401)
    const res = await json(`${emu.url}/api/v2/incremental/tickets/cursor.json`, ZD)
    expect(res.status).toBe(400)
    expect(res.body.description).toContain("start_time")
  })

  it("leaves out tickets changed within the last minute and answers 409 to a stale safe update", async () => {
    let now = Date.UTC(2026, 0, 5, 9, 0, 0)
    const emu = await startZendeskEmulator({ clock: () => now })
    running.push(emu)
    const t = (
      await json(`${emu.url}/api/v2/tickets.json`, ZD, "POST", { ticket: { subject: "s", comment: { body: "b" } } })
    ).body.ticket
    now += 30_000
    const early = await json(`${emu.url}/api/v2/incremental/tickets/cursor.json?start_time=0`, ZD)
    expect(early.body.tickets).toEqual([])
    now += 31_000
    const later = await json(`${emu.url}/api/v2/incremental/tickets/cursor.json?start_time=0`, ZD)
    expect(later.body.tickets.map((x: { id: number }) => x.id)).toEqual([t.id])
    expect(later.body.end_of_stream).toBe(true)
    const stale = await json(`${emu.url}/api/v2/tickets/${t.id}.json`, ZD, "PUT", {
      ticket: { status: "open", safe_update: true, updated_stamp: "2020-01-01T00:00:00Z" }
    })
    expect(stale.status).toBe(409)
    const ok = await json(`${emu.url}/api/v2/tickets/${t.id}.json`, ZD, "PUT", {
      ticket: { status: "open", safe_update: true, updated_stamp: t.updated_at }
    })
    expect(ok.body.ticket.status).toBe("open")
  })

  it("tells onRequest of each request before the handler reads the clock", async () => {
    let now = Date.UTC(2026, 0, 5, 9, 0, 0)
    const seen: Array<string> = []
    const emu = await startZendeskEmulator({
      clock: () => now,
      // A clock that moves a minute on every write: the ticket is stamped with the moved time.
      onRequest: (method, path) => {
        seen.push(`${method} ${path}`)
        if (method !== "GET") now += 60_000
      }
    })
    running.push(emu)
    const created = await json(`${emu.url}/api/v2/tickets.json`, ZD, "POST", {
      ticket: { subject: "s", comment: { body: "b" } }
    })
    expect(created.body.ticket.created_at).toBe("2026-01-05T09:01:00Z")
    await json(`${emu.url}/api/v2/tickets/${created.body.ticket.id}.json`, ZD)
    expect(seen).toEqual(["POST /api/v2/tickets.json", `GET /api/v2/tickets/${created.body.ticket.id}.json`])
  })

  it("lists a ticket's comments oldest first, internal notes with public false, and 404 for an unknown ticket", async () => {
    const emu = await startZendeskEmulator({})
    running.push(emu)
    const t = (
      await json(`${emu.url}/api/v2/tickets.json`, ZD, "POST", { ticket: { subject: "s", comment: { body: "Help" } } })
    ).body.ticket
    await json(`${emu.url}/api/v2/tickets/${t.id}.json`, ZD, "PUT", {
      ticket: { comment: { body: "Internal", public: false } }
    })
    const list = await json(`${emu.url}/api/v2/tickets/${t.id}/comments.json`, ZD)
    expect(list.status).toBe(200)
    expect(list.body.count).toBe(2)
    expect(list.body.comments.map((c: { body: string; public: boolean }) => [c.body, c.public])).toEqual([
      ["Help", true],
      ["Internal", false]
    ])
    expect((await json(`${emu.url}/api/v2/tickets/999/comments`, ZD)).status).toBe(404)
    expect((await json(`${emu.url}/api/v2/tickets/${t.id}/comments`, basic("x", "y"))).status).toBe(401)
  })

  it("answers the incremental export's own 10 per minute limit with 429 and Retry-After", async () => {
    const emu = await startZendeskEmulator({ clock: () => Date.UTC(2026, 0, 5, 9, 0, 0) })
    running.push(emu)
    const answers = []
    for (let n = 0; n < 11; n++)
      answers.push(await json(`${emu.url}/api/v2/incremental/tickets/cursor.json?start_time=0`, ZD))
    expect(answers.map((a) => a.status)).toEqual([...Array(10).fill(200), 429])
    expect(answers[10]!.headers.get("retry-after")).toBe("60")
    expect((await json(`${emu.url}/api/v2/tickets/1.json`, ZD)).status).toBe(404) // the account bucket is separate
  })
})

describe("GitHub emulator API", () => {
  it("lists open issues by default, caps per_page at 100 and ignores state_reason without a state change", async () => {
    const emu = await startGitHubEmulator({})
    running.push(emu)
    const base = `${emu.url}/repos/octo-org/helpdesk/issues`
    for (const n of [1, 2]) await json(base, "Bearer github-pat", "POST", { title: `i${n}` })
    await json(`${base}/1`, "Bearer github-pat", "PATCH", { state: "closed" })
    expect((await json(base, "Bearer github-pat")).body.map((i: { number: number }) => i.number)).toEqual([2])
    expect((await json(`${base}?state=all&per_page=500`, "Bearer github-pat")).body.length).toBe(2)
    const same = await json(`${base}/2`, "Bearer github-pat", "PATCH", { state_reason: "not_planned" })
    expect([same.body.state, same.body.state_reason]).toEqual(["open", null])
    expect((await json(base, "Bearer wrong")).status).toBe(401)
  })
})

describe("Freshdesk emulator API", () => {
  const FD = basic("freshdesk-api-key", "X")
  it("refuses per_page over 100 and pages past 300, and lists only the last 30 days without updated_since", async () => {
    let now = Date.UTC(2026, 0, 5)
    const emu = await startFreshdeskEmulator({ clock: () => now })
    running.push(emu)
    await json(`${emu.url}/api/v2/tickets`, FD, "POST", {
      email: "a@b.c",
      subject: "old",
      description: "d",
      status: 2,
      priority: 1
    })
    now += 31 * 86_400_000
    await json(`${emu.url}/api/v2/tickets`, FD, "POST", {
      email: "a@b.c",
      subject: "new",
      description: "d",
      status: 2,
      priority: 1
    })
    expect((await json(`${emu.url}/api/v2/tickets`, FD)).body.map((t: { subject: string }) => t.subject)).toEqual([
      "new"
    ])
    expect((await json(`${emu.url}/api/v2/tickets?updated_since=2026-01-01T00:00:00Z`, FD)).body.length).toBe(2)
    const big = await json(`${emu.url}/api/v2/tickets?per_page=101`, FD)
    expect([big.status, big.body.errors[0].field]).toEqual([400, "per_page"])
    expect((await json(`${emu.url}/api/v2/tickets?page=301`, FD)).status).toBe(400)
  })
})

describe("ServiceNow emulator API", () => {
  const SN = basic("workbridge", "servicenow-password")
  it("filters and orders with sysparm_query, pages with Link and X-Total-Count, and counts versions in sys_mod_count", async () => {
    const emu = await startServiceNowEmulator({})
    running.push(emu)
    const base = `${emu.url}/api/now/table/incident`
    const a = (await json(base, SN, "POST", { short_description: "a", urgency: "1", impact: "1" })).body.result
    await json(base, SN, "POST", { short_description: "b" })
    await json(base, SN, "POST", { short_description: "c" })
    expect(a.priority).toBe("1")
    const patched = (
      await json(`${base}/${a.sys_id}`, SN, "PATCH", { state: "2", work_notes: "looking", sys_mod_count: "99" })
    ).body.result
    expect([patched.sys_mod_count, patched.state, patched.work_notes]).toEqual(["1", "2", ""])
    const page = await json(
      `${base}?sysparm_query=short_description>=b^ORDERBYDESCshort_description&sysparm_limit=1`,
      SN
    )
    expect(page.body.result.map((r: { short_description: string }) => r.short_description)).toEqual(["c"])
    expect(page.headers.get("x-total-count")).toBe("2")
    expect(page.headers.get("link")).toContain('rel="next"')
    expect((await json(`${base}?sysparm_query=short_description=zzz`, SN)).status).toBe(404)
    expect((await json(`${emu.url}/api/now/v2/table/incident?sysparm_query=short_description=zzz`, SN)).body).toEqual({
      result: []
    })
  })
})

describe("Jira emulator API", () => {
  const J = basic("agent@example.com", "jira-api-token")
  it("refuses unbounded JQL, answers 410 on the removed search, and only allows transitions away from the current status", async () => {
    const emu = await startJiraEmulator({})
    running.push(emu)
    expect((await json(`${emu.url}/rest/api/3/search/jql?jql=ORDER%20BY%20updated`, J)).status).toBe(400)
    expect((await json(`${emu.url}/rest/api/3/search?jql=project%3DSUP`, J)).status).toBe(410)
    const issue = (
      await json(`${emu.url}/rest/api/3/issue`, J, "POST", {
        fields: { project: { key: "SUP" }, summary: "s", issuetype: { name: "Task" } }
      })
    ).body
    expect(
      (await json(`${emu.url}/rest/api/3/issue/${issue.key}/transitions`, J, "POST", { transition: { id: "11" } }))
        .status
    ).toBe(400)
    expect(
      (await json(`${emu.url}/rest/api/3/issue/${issue.key}/transitions`, J, "POST", { transition: { id: "31" } }))
        .status
    ).toBe(204)
    const read = (await json(`${emu.url}/rest/api/3/issue/${issue.key}`, J)).body
    expect([read.fields.status.statusCategory.key, read.fields.resolution]).toEqual(["done", { name: "Done" }])
    const ids = (await json(`${emu.url}/rest/api/3/search/jql?jql=project%3DSUP`, J)).body
    expect(ids).toEqual({
      issues: [{ id: issue.id, key: issue.key, self: `https://example.atlassian.net/rest/api/3/issue/${issue.id}` }],
      isLast: true
    })
  })

  it("expires a nextPageToken after 7 days", async () => {
    let now = Date.UTC(2026, 0, 5)
    const emu = await startJiraEmulator({ clock: () => now })
    running.push(emu)
    for (const n of [1, 2])
      await json(`${emu.url}/rest/api/3/issue`, J, "POST", {
        fields: { project: { key: "SUP" }, summary: `s${n}`, issuetype: { name: "Task" } }
      })
    const first = (await json(`${emu.url}/rest/api/3/search/jql`, J, "POST", { jql: "project = SUP", maxResults: 1 }))
      .body
    expect(first.isLast).toBe(false)
    now += 7 * 86_400_000 + 1
    const expired = await json(`${emu.url}/rest/api/3/search/jql`, J, "POST", {
      jql: "project = SUP",
      maxResults: 1,
      nextPageToken: first.nextPageToken
    })
    expect(expired.status).toBe(400)
  })
})

describe("every emulator", () => {
  it("answers an unknown route and a malformed JSON body in the vendor's error envelope", async () => {
    const emu = await startGitHubEmulator({})
    running.push(emu)
    const unknown = await json(`${emu.url}/repos/octo-org/helpdesk/pulls`, "Bearer github-pat")
    expect([unknown.status, unknown.body.message]).toEqual([404, "No route for GET /repos/octo-org/helpdesk/pulls"])
    const res = await fetch(`${emu.url}/repos/octo-org/helpdesk/issues`, {
      method: "POST",
      headers: { authorization: "Bearer github-pat", "content-type": "application/json" },
      body: "{not json"
    })
    expect([res.status, ((await res.json()) as { message: string }).message]).toEqual([
      400,
      "The request body is not valid JSON"
    ])
  })
})
