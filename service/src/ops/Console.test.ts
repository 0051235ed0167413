/**
 * The operator console over a running service and the emulator: the admin token guards every page, POSTs
 * must be same-origin with the form's CSRF token, data is escaped, and the ticket timeline shows what the
 * audit trail recorded.
 */
import request from "supertest"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { genericBody, type Harness, startHarness } from "../testing/harness.js"
import type { TicketSyncStatus } from "../sync/TicketStatus.js"

const TOKEN = "console-test-token-0123456789"
const WORKITEMS = /\/api\/v2\/taskmanagement\/workitems$/

const csrfOf = (html: string): string => {
  const m = /name="csrf" value="([^"]+)"/.exec(html)
  if (m === null) throw new Error("no CSRF field in the page")
  return m[1]!
}

/** The timeline's rows as `kind`, or `call:<operation>:<status>` for Genesys calls. */
const rows = (page: string): Array<string> =>
  [...page.matchAll(/class="kind kind-(\w+)".*?<\/tr>/g)].map((m) => {
    const call = /<code>(\w+)<\/code> → HTTP (\d+)/.exec(m[0])
    return m[1] === "call" && call !== null ? `call:${call[1]}:${call[2]}` : m[1]!
  })

/** Wait until the ticket's status (read with the bearer token) satisfies `ok`. */
const waitFor = async (
  h: Harness,
  ticketId: string,
  ok: (s: TicketSyncStatus) => boolean
): Promise<TicketSyncStatus> => {
  const deadline = Date.now() + 20_000
  let last: unknown
  while (Date.now() < deadline) {
    const r = await request(h.service.url)
      .get(`/tickets/generic/${encodeURIComponent(ticketId)}`)
      .set("authorization", `Bearer ${TOKEN}`)
    last = r.body
    if (r.status === 200 && ok(r.body as TicketSyncStatus)) return r.body as TicketSyncStatus
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`ticket ${ticketId} did not reach the expected state; last: ${JSON.stringify(last)}`)
}

const login = async (h: Harness) => {
  const agent = request.agent(h.service.url)
  const form = await agent.get("/ops/login")
  const res = await agent
    .post("/ops/login")
    .type("form")
    .send({ token: TOKEN, csrf: csrfOf(form.text), next: "/ops" })
  expect(res.status).toBe(303)
  const page = await agent.get("/ops/dead-letters")
  return { agent, csrf: csrfOf(page.text) }
}

describe("console with WORKBRIDGE_ADMIN_TOKEN", () => {
  let h: Harness
  let deadId: string
  beforeAll(async () => {
    h = await startHarness({ WORKBRIDGE_ADMIN_TOKEN: TOKEN })
    // One dead letter: Genesys refuses the create once with a 400.
    h.emulator.faults.add({ kind: "status", status: 400, path: WORKITEMS, method: "POST", count: 1 })
    await h.post(genericBody({ ticketId: "DL-1", rev: 1 }))
    const deadline = Date.now() + 20_000
    for (;;) {
      const r = await request(h.service.url).get("/dead-letters").set("authorization", `Bearer ${TOKEN}`)
      const letters = (r.body as { deadLetters: Array<{ id: string; ticketId: string }> }).deadLetters
      const found = letters.find((d) => d.ticketId === "DL-1")
      if (found !== undefined) {
        deadId = found.id
        break
      }
      if (Date.now() > deadline) throw new Error("no dead letter appeared")
      await new Promise((r) => setTimeout(r, 50))
    }
  })
  afterAll(() => h.close())

  it("redirects every page to the login form and refuses the live fragment without the session", async () => {
    const page = await request(h.service.url).get("/ops/ticket?source=generic&id=DL-1")
    expect(page.status).toBe(303)
    expect(page.headers["location"]).toBe("/ops/login?next=%2Fops%2Fticket%3Fsource%3Dgeneric%26id%3DDL-1")
    expect(page.text).not.toContain("DL-1</")
    const live = await request(h.service.url).get("/ops/overview/live")
    expect(live.status).toBe(401)
    expect(live.text).not.toContain("Inbox depth")
  })

  it("refuses a replay without the session even with a valid CSRF token, and keeps the dead letter", async () => {
    const form = await request(h.service.url).get("/ops/login")
    const res = await request(h.service.url)
      .post("/ops/dead-letters/replay")
      .type("form")
      .send({ id: deadId, csrf: csrfOf(form.text) })
    expect(res.status).toBe(401)
    const still = await request(h.service.url).get(`/dead-letters`).set("authorization", `Bearer ${TOKEN}`)
    expect((still.body as { deadLetters: Array<{ id: string }> }).deadLetters.map((d) => d.id)).toContain(deadId)
  })

  it("refuses a wrong token without a cookie; the right one sets an HttpOnly, SameSite=Strict session cookie", async () => {
    const form = await request(h.service.url).get("/ops/login")
    const wrong = await request(h.service.url)
      .post("/ops/login")
      .type("form")
      .send({ token: "not-the-token-at-all", csrf: csrfOf(form.text) })
    expect(wrong.status).toBe(401)
    expect(wrong.headers["set-cookie"]).toBeUndefined()
    const right = await request(h.service.url)
      .post("/ops/login")
      .type("form")
      .send({ token: TOKEN, csrf: csrfOf(form.text) })
    expect(right.status).toBe(303)
    const cookie = String(right.headers["set-cookie"])
    expect(cookie).toMatch(/^wb_ops=[\w-]+; Path=\/ops; HttpOnly; SameSite=Strict; Max-Age=43200$/)
    expect(cookie).not.toContain(TOKEN)
  })

  it("accepts the bearer token as the JSON endpoints do", async () => {
    const res = await request(h.service.url).get("/ops").set("authorization", `Bearer ${TOKEN}`)
    expect(res.status).toBe(200)
    expect(res.text).toContain("Inbox depth")
    expect(res.text).not.toContain("WORKBRIDGE_ADMIN_TOKEN is not set")
  })

  it("refuses cross-site and tokenless POSTs, then replays the dead letter from the same origin", async () => {
    const { agent, csrf } = await login(h)
    const crossSite = await agent
      .post("/ops/dead-letters/discard")
      .set("sec-fetch-site", "cross-site")
      .type("form")
      .send({ id: deadId, csrf })
    expect(crossSite.status).toBe(403)
    const otherOrigin = await agent
      .post("/ops/dead-letters/discard")
      .set("origin", "https://attacker.example")
      .type("form")
      .send({ id: deadId, csrf })
    expect(otherOrigin.status).toBe(403)
    const noToken = await agent.post("/ops/dead-letters/discard").type("form").send({ id: deadId })
    expect(noToken.status).toBe(403)
    const list = await agent.get("/ops/dead-letters")
    expect(list.text).toContain(`value="${deadId}"`)

    const confirm = await agent.get(`/ops/dead-letters/confirm?action=replay&id=${deadId}`)
    expect(confirm.text).toContain("Confirm: replay 1")
    const replay = await agent
      .post("/ops/dead-letters/replay")
      .set("origin", h.service.url)
      .set("sec-fetch-site", "same-origin")
      .type("form")
      .send({ id: deadId, csrf: csrfOf(confirm.text) })
    expect(replay.status).toBe(303)
    expect(replay.headers["location"]).toBe("/ops/dead-letters?done=replayed&n=1")
    const applied = await waitFor(h, "DL-1", (s) => s.workitemId !== undefined && s.pendingEvents === 0)
    const timeline = await agent.get("/ops/ticket?source=generic&id=DL-1")
    expect(timeline.text).toContain(applied.workitemId!)
    // The refused create with its Genesys error body, the worktype's statuses read again (a refused status may be a
    // re-provisioned one), the dead letter, the replay, the create that worked.
    const steps = rows(timeline.text).filter((r) => !r.startsWith("call:queryWorkitems"))
    expect(steps).toEqual([
      "received",
      "call:createWorkitem:400",
      "call:getWorktypeStatuses:200",
      "dead",
      "requeued",
      "call:createWorkitem:200",
      "applied"
    ])
    expect(timeline.text).toMatch(/<code>createWorkitem<\/code> → HTTP 400 <span class="bad">BadRequest<\/span>/)
    expect(timeline.text).toContain("<summary>Genesys error body</summary>")
  })

  it("shows a dead letter's detail escaped, and discards selected dead letters after a confirmation page", async () => {
    const { agent } = await login(h)
    h.emulator.faults.add({ kind: "status", status: 400, path: WORKITEMS, method: "POST", count: 2 })
    await h.post(genericBody({ ticketId: "DX-1", rev: 1, fields: { subject: "<b>bold</b> subject" } }))
    await h.post(genericBody({ ticketId: "DX-2", rev: 1 }))
    await waitFor(h, "DX-1", (s) => s.lastError !== undefined)
    await waitFor(h, "DX-2", (s) => s.lastError !== undefined)
    const list = await request(h.service.url).get("/dead-letters").set("authorization", `Bearer ${TOKEN}`)
    // DX-1's first (the one with the markup): the workers may dead-letter the two in either order.
    const ids = (list.body as { deadLetters: Array<{ id: string; ticketId: string }> }).deadLetters
      .filter((d) => d.ticketId === "DX-1" || d.ticketId === "DX-2")
      .sort((a, b) => a.ticketId.localeCompare(b.ticketId))
      .map((d) => d.id)
    expect(ids).toHaveLength(2)

    const detail = await agent.get(`/ops/dead-letters/${ids[0]}`)
    expect(detail.text).toContain("GenesysBadRequest")
    expect(detail.text).toContain("&lt;b&gt;bold&lt;/b&gt; subject")
    expect(detail.text).not.toContain("<b>bold</b>")

    const filtered = await agent.get("/ops/dead-letters?reason=GenesysBadRequest")
    expect(filtered.text).toContain(`value="${ids[0]}"`)
    const none = await agent.get("/ops/dead-letters?reason=Invalid")
    expect(none.text).not.toContain(`value="${ids[0]}"`)

    const confirm = await agent.get(`/ops/dead-letters/confirm?action=discard&id=${ids[0]}&id=${ids[1]}`)
    expect(confirm.text).toContain("Discard 2 dead letters?")
    const discarded = await agent
      .post("/ops/dead-letters/discard")
      .type("form")
      .send(`csrf=${encodeURIComponent(csrfOf(confirm.text))}&id=${ids[0]}&id=${ids[1]}`)
    expect(discarded.status).toBe(303)
    expect(discarded.headers["location"]).toBe("/ops/dead-letters?done=discarded&n=2")
    const after = await request(h.service.url).get("/dead-letters").set("authorization", `Bearer ${TOKEN}`)
    expect((after.body as { deadLetters: Array<{ id: string }> }).deadLetters.map((d) => d.id)).not.toContain(ids[0])
    expect((after.body as { deadLetters: Array<{ id: string }> }).deadLetters.map((d) => d.id)).not.toContain(ids[1])
  })

  it("records deliveries, duplicates and stale revisions in the timeline", async () => {
    const { agent } = await login(h)
    await h.post(genericBody({ ticketId: "TL-1", rev: 2 }))
    await waitFor(h, "TL-1", (s) => s.workitemId !== undefined && s.pendingEvents === 0)
    await h.post(genericBody({ ticketId: "TL-1", rev: 2 }))
    await h.post(genericBody({ ticketId: "TL-1", rev: 1 }))
    await waitFor(h, "TL-1", (s) => s.pendingEvents === 0)
    const page = await agent.get("/ops/ticket?source=generic&id=TL-1")
    expect(rows(page.text).filter((r) => !r.startsWith("call:queryWorkitems"))).toEqual([
      "received",
      "call:createWorkitem:200",
      "applied",
      "duplicate",
      "received",
      "superseded"
    ])
  })

  it("escapes what the stores hold: a ticket id with markup is shown as text", async () => {
    const { agent } = await login(h)
    const id = `<img src=x onerror="alert(1)">&'`
    const posted = await h.post(genericBody({ ticketId: id, rev: 1 }))
    expect(posted.status).toBe(202)
    await waitFor(h, id, (s) => s.workitemId !== undefined)
    const page = await agent.get(`/ops/ticket?source=generic&id=${encodeURIComponent(id)}`)
    expect(page.status).toBe(200)
    expect(page.text).not.toContain("<img src=x")
    expect(page.text).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;&#39;")
  })
})

describe("console without WORKBRIDGE_ADMIN_TOKEN, audit trail off", () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness({ WORKBRIDGE_AUDIT_RETENTION_DAYS: "0" })
  })
  afterAll(() => h.close())

  it("is open and warns as the log does", async () => {
    const res = await request(h.service.url).get("/ops")
    expect(res.status).toBe(200)
    expect(res.text).toContain("WORKBRIDGE_ADMIN_TOKEN is not set")
  })

  it("shows the ticket's link without a timeline when WORKBRIDGE_AUDIT_RETENTION_DAYS=0", async () => {
    await h.post(genericBody({ ticketId: "OFF-1", rev: 1 }))
    const status = await h.waitFor("OFF-1", (s) => s.workitemId !== undefined)
    const page = await request(h.service.url).get("/ops/ticket?source=generic&id=OFF-1")
    expect(page.text).toContain(`<code data-testid="workitem-id">${status.workitemId}</code>`)
    expect(page.text).toContain("The audit trail is off (WORKBRIDGE_AUDIT_RETENTION_DAYS=0).")
    expect(page.text).not.toContain('data-testid="timeline"')
  })

  it("still refuses cross-site POSTs", async () => {
    const res = await request(h.service.url)
      .post("/ops/dead-letters/discard")
      .set("sec-fetch-site", "cross-site")
      .type("form")
      .send({ id: "1", csrf: "any" })
    expect(res.status).toBe(403)
    expect(res.text).toContain("cross-site request refused")
  })
})
