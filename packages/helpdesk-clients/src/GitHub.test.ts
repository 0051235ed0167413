import { github } from "@workbridge/adapters"
import { compareRevision } from "@workbridge/catalog"
import { type GitHubEmulator, startGitHubEmulator } from "@workbridge/helpdesk-emulators"
import { startWebhookReceiver, type WebhookReceiver } from "@workbridge/helpdesk-emulators/testing"
import { Chunk, Effect, Exit, Stream } from "effect"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { makeGitHubClient } from "./GitHub.js"
import { pages, readAll, stateRevision } from "./Read.js"
import { comparable, testClock, webhookEvent } from "./testkit.js"

const SECRET = "github-webhook-secret"
const START = Date.UTC(2026, 0, 5, 9, 0, 0)

let emu: GitHubEmulator
let hook: WebhookReceiver
let clock: ReturnType<typeof testClock>

const api = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${emu.url}/repos/octo-org/helpdesk${path}`, {
    method,
    headers: { authorization: "Bearer github-pat", "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  return { status: res.status, body: (await res.json()) as any }
}

beforeEach(async () => {
  clock = testClock(START)
  hook = await startWebhookReceiver()
  emu = await startGitHubEmulator({
    clock: clock.now,
    webhook: { url: hook.url, credentials: { secret: SECRET } },
    rateLimitPerMinute: 1000
  })
})
afterEach(async () => {
  await emu.close()
  await hook.close()
})

const client = (extra: Partial<Parameters<typeof makeGitHubClient>[0]> = {}) =>
  makeGitHubClient({ baseUrl: emu.url, token: "github-pat", repository: "octo-org/helpdesk", ...extra })

describe("GitHub read client (Octokit) against the GitHub emulator", () => {
  it("pages through issues updated since a time, oldest first, and resumes with only later changes", async () => {
    for (const n of [1, 2, 3, 4, 5]) {
      await api("POST", "/issues", { title: `issue ${n}`, labels: ["bug"] })
      clock.advance(1000)
    }
    const first = await Effect.runPromise(readAll(client({ perPage: 2 }), { since: new Date(START) }))
    expect(first.events.map((e) => e.ticketId)).toEqual([1, 2, 3, 4, 5].map((n) => `octo-org/helpdesk#${n}`))
    // Keyset paging: each page after the first starts at the previous page's newest second, so 5 issues at 2 per
    // page take 4 requests ([1,2] [2,3] [3,4] [4,5]); the boundary issue is not returned twice.
    expect(emu.core.requests.filter((r) => r.method === "GET" && r.path.endsWith("/issues")).length).toBe(4)

    clock.advance(5000)
    await api("PATCH", "/issues/3", { state: "closed", state_reason: "not_planned" })
    const later = await Effect.runPromise(readAll(client({ perPage: 2 }), { cursor: first.cursor }))
    // `since` is inclusive, but the cursor remembers #5 was read at that second: only the closed #3 comes back.
    expect(later.events.map((e) => [e.ticketId, e.fields["status"]])).toEqual([["octo-org/helpdesk#3", "closed"]])
  })

  it("keeps paging while a whole page shares one second", async () => {
    for (const n of [1, 2, 3, 4, 5]) await api("POST", "/issues", { title: `same second ${n}` })
    const all = await Effect.runPromise(readAll(client({ perPage: 2 }), { since: new Date(START) }))
    expect(all.events.map((e) => e.ticketId)).toEqual([1, 2, 3, 4, 5].map((n) => `octo-org/helpdesk#${n}`))
    const streamed = Chunk.toReadonlyArray(
      await Effect.runPromise(Stream.runCollect(pages(client({ perPage: 2 }), { since: new Date(START) })))
    )
    expect(streamed.map((p) => [p.events.length, p.done])).toEqual([
      [2, false],
      [2, false],
      [1, true]
    ])
  })

  it("maps an issue to the event the adapter decodes from the webhook of the same change", async () => {
    const created = (await api("POST", "/issues", { title: "Spelling error", body: "commmit", labels: ["bug", "P2"] }))
      .body
    clock.advance(7000)
    await api("PATCH", `/issues/${created.number}`, { state: "closed" })
    await emu.core.settle()
    const webhooks = hook.received.map((r) => webhookEvent(github, r, { secret: SECRET }))
    expect(webhooks.map((w) => w.kind)).toEqual(["created", "closed"])
    const read = await Effect.runPromise(client().readTicket(`octo-org/helpdesk#${created.number}`))
    expect(comparable(read)).toEqual(comparable(webhooks[1]!))
    expect(stateRevision(read.revision)).toBe(stateRevision(webhooks[1]!.revision))
    expect(compareRevision(read.revision, webhooks[1]!.revision)).toBeLessThan(0)
    expect(compareRevision(read.revision, webhooks[0]!.revision)).toBeGreaterThan(0)
  })

  it("maps a just-opened issue like the opened webhook (created ranks first)", async () => {
    const created = (await api("POST", "/issues", { title: "Fresh" })).body
    await emu.core.settle()
    const webhook = webhookEvent(github, hook.received[0]!, { secret: SECRET })
    const read = await Effect.runPromise(client().readTicket(`octo-org/helpdesk#${created.number}`))
    expect(read.kind).toBe("created")
    expect(stateRevision(read.revision)).toBe(stateRevision(webhook.revision))
  })

  it("waits as a 429's retry-after says, then reads", async () => {
    await api("POST", "/issues", { title: "limited" })
    emu.core.addFault({ kind: "rateLimit", path: /\/issues$/, method: "GET", count: 1, retryAfterSeconds: 1 })
    const waits: Array<number> = []
    const page = await Effect.runPromise(
      client({ retry: { onRateLimited: (_e, ms) => void waits.push(ms) } }).readPage({ since: new Date(START) })
    )
    expect(page.events.length).toBe(1)
    expect(waits).toEqual([1000])
    expect(emu.core.requests.filter((r) => r.method === "GET").map((r) => r.status)).toEqual([429, 200])
  })

  it("refuses a ticket id of another repository, naming the expected form", async () => {
    const exit = await Effect.runPromiseExit(client().readTicket("other/repo#1"))
    expect(Exit.isFailure(exit) && JSON.stringify(exit)).toContain("octo-org/helpdesk#<number>")
  })
})
