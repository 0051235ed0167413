/**
 * The helpdesk API feeds end to end: the GitHub emulator sends signed webhooks (a share dropped on purpose) to the
 * service, a reconciliation pass reads what changed and repairs what the dropped webhooks left stale, and a pass
 * over tickets already applied costs no Genesys call (the Genesys emulator's request log). Freshdesk with
 * fetch-on-notify: webhooks delivered newest first end at the newest state.
 */
import {
  type FreshdeskEmulator,
  type GitHubEmulator,
  startFreshdeskEmulator,
  startGitHubEmulator
} from "@workbridge/helpdesk-emulators"
import { Effect } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import type { BackfillJob, PassReport } from "./Feeds.js"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { loadConfig } from "../config/Config.js"
import { GenesysError } from "../domain/errors.js"
import { startService } from "../Service.js"
import { baseEnv, type Harness, startEmulatorAndProvision, startHarness } from "../testing/harness.js"
import type { TicketSyncStatus } from "../sync/TicketStatus.js"

const SECRET = "github-webhook-secret"
const FRESHDESK_BASIC = "workbridge:freshdesk-hook"

let h: Harness | undefined
let gh: GitHubEmulator | undefined
let fd: FreshdeskEmulator | undefined
afterEach(async () => {
  await h?.close()
  await gh?.close()
  await fd?.close()
  h = gh = fd = undefined
})

const status = async (source: string, id: string): Promise<TicketSyncStatus | undefined> => {
  const res = await fetch(`${h!.service.url}/tickets/${source}/${encodeURIComponent(id)}`)
  return res.status === 404 ? undefined : ((await res.json()) as TicketSyncStatus)
}

const until = async (what: string, ok: () => Promise<boolean>, timeoutMs = 20_000) => {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await ok()) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`timed out waiting for ${what}`)
}

/** A call to the GitHub emulator's API as the repository's owner; answers the status, which must be a success. */
const githubApi = async (method: string, path: string, body: unknown): Promise<number> => {
  const res = await fetch(`${gh!.url}/repos/octo-org/helpdesk${path}`, {
    method,
    headers: { authorization: "Bearer github-pat", "content-type": "application/json" },
    body: JSON.stringify(body)
  })
  expect(res.status).toBeLessThan(300)
  return res.status
}

/** A call to the Freshdesk emulator's API with its API key; the status must be a success. */
const freshdeskApi = async (method: string, path: string, body: unknown): Promise<void> => {
  const res = await fetch(`${fd!.url}/api/v2${path}`, {
    method,
    headers: {
      authorization: `Basic ${Buffer.from("freshdesk-api-key:X").toString("base64")}`,
      "content-type": "application/json"
    },
    body: JSON.stringify(body)
  })
  expect(res.status).toBeLessThan(300)
}

const inboxEmpty = () =>
  until("the inbox to drain", async () => (await Effect.runPromise(h!.service.inbox.depth)) === 0)

const reconcile = async (source: string, query: string): Promise<PassReport> => {
  const res = await fetch(`${h!.service.url}/reconcile/${source}?${query}`, { method: "POST" })
  const body = (await res.json()) as PassReport
  expect(res.status, JSON.stringify(body)).toBe(200)
  return body
}

/** Workitem calls (creates, updates, reads, queries) the Genesys emulator answered since its log was cleared. */
const workitemCalls = () => h!.emulator.requests().filter((r) => r.path.includes("/taskmanagement/workitems"))

describe("reconciliation", () => {
  it("repairs the tickets whose webhooks were dropped, reports them, and a second pass costs no Genesys call", async () => {
    gh = await startGitHubEmulator({ rateLimitPerMinute: 10_000, seed: 7 })
    const started = new Date(Date.now() - 5000).toISOString()
    h = await startHarness({
      WEBHOOK_SECRET_GITHUB: SECRET,
      HELPDESK_URL_GITHUB: gh.url,
      HELPDESK_TOKEN_GITHUB: "github-pat",
      HELPDESK_REPO_GITHUB: "octo-org/helpdesk",
      WORKBRIDGE_RECONCILE_INTERVAL_GITHUB: "0",
      WORKBRIDGE_RECONCILE_INTERVAL_GENESYS: "0",
      WORKBRIDGE_COALESCE_MS: "0"
    })
    gh.core.configureWebhooks({
      url: `${h.service.url}/webhooks/github`,
      credentials: { secret: SECRET },
      dropShare: 0.4
    })
    const N = 12
    for (let n = 1; n <= N; n++) await githubApi("POST", "/issues", { title: `issue ${n}`, labels: ["bug"] })
    // Each change in its own second: GitHub's revision is `updated_at` in seconds.
    await new Promise((r) => setTimeout(r, 1100))
    for (let n = 1; n <= N; n++)
      await githubApi("PATCH", `/issues/${n}`, {
        title: `issue ${n}, second state`,
        state: n % 3 === 0 ? "closed" : "open"
      })
    await gh.core.settle()
    const dropped = gh.core.deliveries.filter((d) => d.state === "dropped").length
    expect(dropped).toBeGreaterThan(0)
    await inboxEmpty()

    const id = (n: number) => `octo-org/helpdesk#${n}`
    const newest = (n: number) => gh!.issues.get(n)!
    // Before the pass: some tickets are stale or missing (their newest webhook was dropped).
    const staleBefore: Array<number> = []
    for (let n = 1; n <= N; n++) {
      const s = await status("github", id(n))
      const w = s?.workitemId === undefined ? undefined : await h.getWorkitem(s.workitemId)
      if (w === undefined || w.name !== newest(n).title) staleBefore.push(n)
    }
    expect(staleBefore.length).toBeGreaterThan(0)

    const dry = await reconcile("github", `since=${started}&dryRun=true`)
    expect(dry.ticketsRead).toBe(N)
    expect(dry.driftFound).toBe(staleBefore.length)
    expect(dry.repaired).toBe(0)

    const pass = await reconcile("github", `since=${started}`)
    expect(pass.ticketsRead).toBe(N)
    expect(pass.driftFound).toBe(staleBefore.length)
    expect(pass.repaired).toBe(staleBefore.length)
    await inboxEmpty()
    for (let n = 1; n <= N; n++) {
      const s = await status("github", id(n))
      const w = await h.getWorkitem(s!.workitemId!)
      expect(w.name).toContain(newest(n).title)
      expect(await h.workitemsOf(id(n))).toHaveLength(1)
      expect(s!.arrivedBy).toBe(staleBefore.includes(n) ? "reconcile" : "webhook")
    }
    const metrics = await (await fetch(`${h.service.url}/metrics`)).text()
    expect(metrics).toContain(`workbridge_feed_drift_repaired_total{source="github"} ${staleBefore.length}`)

    // Every ticket is at the revision read: a pass reads them all again and Genesys sees no call for them.
    h.emulator.clearRequests()
    const again = await reconcile("github", `since=${started}`)
    expect(again.ticketsRead).toBe(N)
    expect(again.driftFound).toBe(0)
    await inboxEmpty()
    expect(workitemCalls()).toEqual([])
  })
})

describe("a helpdesk that never answers", () => {
  it("a reconciliation gives up after HELPDESK_TIMEOUT_MS with 502 HelpdeskUnavailable, and the next one reads", async () => {
    gh = await startGitHubEmulator({ rateLimitPerMinute: 10_000 })
    h = await startHarness({
      HELPDESK_URL_GITHUB: gh.url,
      HELPDESK_TOKEN_GITHUB: "github-pat",
      HELPDESK_REPO_GITHUB: "octo-org/helpdesk",
      HELPDESK_TIMEOUT_MS: "300",
      WORKBRIDGE_RECONCILE_INTERVAL_GITHUB: "0",
      WORKBRIDGE_RECONCILE_INTERVAL_GENESYS: "0"
    })
    expect(await githubApi("POST", "/issues", { title: "Printer on fire" })).toBe(201)
    gh.core.addFault({ kind: "noAnswer", path: /\/issues$/, method: "GET", count: 1 })
    const since = new Date(Date.now() - 60_000).toISOString()
    const res = await fetch(`${h.service.url}/reconcile/github?since=${since}`, { method: "POST" })
    const body = (await res.json()) as { error?: string; message?: string }
    expect(res.status, JSON.stringify(body)).toBe(502)
    expect(body.error).toBe("HelpdeskUnavailable")
    expect(body.message).toContain("no answer within 300 ms")
    // The unanswered read is the only one so far; the next pass reads the issue.
    expect(gh.core.requests.filter((r) => r.method === "GET").map((r) => r.status)).toEqual([0])
    const report = await reconcile("github", `since=${since}`)
    expect(report.ticketsRead).toBe(1)
  })
})

describe("HELPDESK_TIMEOUT_MS beside the write-back's own bound", () => {
  /** The service's start-up warnings about the per-call time, with write-back on or off for GitHub. */
  const warningsAtStart = async (writeBack: boolean) => {
    gh = await startGitHubEmulator({ rateLimitPerMinute: 10_000 })
    const lines: Array<string> = []
    h = await startHarness(
      {
        LOG_LEVEL: "warn",
        HELPDESK_URL_GITHUB: gh.url,
        HELPDESK_TOKEN_GITHUB: "github-pat",
        HELPDESK_REPO_GITHUB: "octo-org/helpdesk",
        HELPDESK_TIMEOUT_MS: "45000",
        WORKBRIDGE_WRITE_BACK_GITHUB: String(writeBack),
        WORKBRIDGE_RECONCILE_INTERVAL_GITHUB: "0",
        WORKBRIDGE_RECONCILE_INTERVAL_GENESYS: "0"
      },
      {},
      undefined,
      { logDestination: { write: (line: string) => void lines.push(line) } }
    )
    return lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => String(l["msg"]).startsWith("HELPDESK_TIMEOUT_MS is longer than a write-back"))
  }

  it("says at start that write-backs are abandoned after 30 s when each call may take longer, naming the sources", async () => {
    const warned = await warningsAtStart(true)
    expect(warned).toEqual([
      expect.objectContaining({ sources: ["github"], helpdeskTimeoutMs: 45000, writeBackTimeoutMs: 30000 })
    ])
  })

  it("says nothing of it when the source writes nothing back", async () => {
    expect(await warningsAtStart(false)).toEqual([])
  })
})

describe("fetch-on-notify", () => {
  it("Freshdesk webhooks delivered newest first, retries included, end at the newest state", async () => {
    // A rule template without `{{ticket.updated_at}}`: the webhook itself carries only its receive time.
    fd = await startFreshdeskEmulator({ rateLimitPerMinute: 10_000, renderUpdatedAt: false, webhook: { hold: true } })
    h = await startHarness({
      WEBHOOK_BASIC_AUTH_FRESHDESK: FRESHDESK_BASIC,
      HELPDESK_URL_FRESHDESK: fd.url,
      HELPDESK_TOKEN_FRESHDESK: "freshdesk-api-key",
      WORKBRIDGE_RECONCILE_INTERVAL_FRESHDESK: "0",
      WORKBRIDGE_RECONCILE_INTERVAL_GENESYS: "0",
      WORKBRIDGE_COALESCE_MS: "0"
    })
    fd.core.configureWebhooks({
      url: `${h.service.url}/webhooks/freshdesk`,
      credentials: { basicAuth: FRESHDESK_BASIC }
    })
    await freshdeskApi("POST", "/tickets", {
      email: "c@example.com",
      subject: "Printer jammed",
      description: "<div>x</div>",
      status: 2,
      priority: 1
    })
    await new Promise((r) => setTimeout(r, 1100))
    await freshdeskApi("PUT", "/tickets/1", { subject: "Printer jammed again", priority: 3 })
    await new Promise((r) => setTimeout(r, 1100))
    await freshdeskApi("PUT", "/tickets/1", { subject: "Printer fixed", status: 4 })
    const held = fd.core.deliveries.filter((d) => d.state === "held")
    expect(held).toHaveLength(3)
    // Newest first, then the oldest delivered again (a retry).
    for (const d of [...held].reverse()) await fd.core.replay([d.id])
    await fd.core.replay([held[0]!.id])
    await inboxEmpty()
    const s = await status("freshdesk", "1")
    const w = await h.getWorkitem(s!.workitemId!)
    expect(w.name).toContain("Printer fixed")
    expect(s!.arrivedBy).toBe("fetch")
    expect(await h.workitemsOf("1")).toHaveLength(1)
  })
})

describe("fetch-on-notify, with write-back on", () => {
  it("keeps the webhook's own state, dated by ticket_updated_at, in the status log beside the later read", async () => {
    fd = await startFreshdeskEmulator({ rateLimitPerMinute: 10_000, webhook: { hold: true } })
    h = await startHarness({
      WEBHOOK_BASIC_AUTH_FRESHDESK: FRESHDESK_BASIC,
      HELPDESK_URL_FRESHDESK: fd.url,
      HELPDESK_TOKEN_FRESHDESK: "freshdesk-api-key",
      WORKBRIDGE_RECONCILE_INTERVAL_FRESHDESK: "0",
      WORKBRIDGE_RECONCILE_INTERVAL_GENESYS: "0",
      WORKBRIDGE_COALESCE_MS: "0"
    })
    fd.core.configureWebhooks({
      url: `${h.service.url}/webhooks/freshdesk`,
      credentials: { basicAuth: FRESHDESK_BASIC }
    })
    await freshdeskApi("POST", "/tickets", {
      email: "c@example.com",
      subject: "Printer",
      description: "x",
      status: 2,
      priority: 1
    })
    await fd.core.replay(fd.core.deliveries.filter((d) => d.state === "held").map((d) => d.id))
    await inboxEmpty()
    // A person closes the ticket; its webhook is delayed, and by the time it arrives the subject changed too.
    await new Promise((r) => setTimeout(r, 1100))
    await freshdeskApi("PUT", "/tickets/1", { status: 5 })
    const closedAt = fd.tickets.get(1)!.updated_at
    await new Promise((r) => setTimeout(r, 1100))
    await freshdeskApi("PUT", "/tickets/1", { subject: "Printer, again" })
    const [close, rename] = fd.core.deliveries.filter((d) => d.state === "held")
    await fd.core.replay([close!.id])
    await inboxEmpty()
    const link = await Effect.runPromise(h.service.links.get({ source: "freshdesk", ticketId: "1" }))
    const seen = (link as { statusLog?: { helpdesk: ReadonlyArray<{ at: string; value: string | null }> } }).statusLog
      ?.helpdesk
    // The read (after the rename) and the webhook's own state (the close, at its own time) are both in the log.
    expect(seen?.[0]?.value).toBe("open")
    const closed = seen!.filter((x) => x.value === "closed")
    expect(closed).toHaveLength(2)
    expect(Date.parse(closed[0]!.at)).toBe(Date.parse(closedAt))
    expect(Date.parse(closed[1]!.at)).toBeGreaterThan(Date.parse(closedAt))
    await fd.core.replay([rename!.id])
    await inboxEmpty()
    expect(await h.workitemsOf("1")).toHaveLength(1)
  })
})

describe("backfill", () => {
  it("dry run writes nothing and reports what it would do; the run creates every ticket once; changes are updated with a field-level diff in the dry run; a run after that writes nothing", async () => {
    gh = await startGitHubEmulator({ rateLimitPerMinute: 10_000 })
    const N = 30
    for (let n = 1; n <= N; n++) await githubApi("POST", "/issues", { title: `existing issue ${n}`, labels: ["bug"] })
    h = await startHarness({
      WEBHOOK_SECRET_GITHUB: SECRET,
      HELPDESK_URL_GITHUB: gh.url,
      HELPDESK_TOKEN_GITHUB: "github-pat",
      HELPDESK_REPO_GITHUB: "octo-org/helpdesk",
      WORKBRIDGE_RECONCILE_INTERVAL_GITHUB: "0",
      WORKBRIDGE_RECONCILE_INTERVAL_GENESYS: "0",
      WORKBRIDGE_COALESCE_MS: "0"
    })
    const backfill = async (query: string): Promise<NonNullable<BackfillJob["summary"]>> => {
      const res = await fetch(`${h!.service.url}/backfill/github?${query}`, { method: "POST" })
      expect(res.status).toBe(202)
      let job = (await res.json()) as BackfillJob
      await until("the backfill to end", async () => {
        job = (await (await fetch(`${h!.service.url}/backfill/jobs/${job.id}`)).json()) as BackfillJob
        return job.state === "done" || job.state === "failed"
      })
      expect(job.state, job.error).toBe("done")
      return job.summary!
    }
    h.emulator.clearRequests()
    const dry = await backfill("dryRun=true")
    expect(dry).toMatchObject({ dryRun: true, read: N, created: N, updated: 0, upToDate: 0, refused: 0 })
    expect(workitemCalls()).toEqual([])
    expect(await status("github", "octo-org/helpdesk#1")).toBeUndefined()

    h.emulator.clearRequests()
    const first = await backfill("")
    expect(first).toMatchObject({ read: N, created: N, updated: 0, upToDate: 0, refused: 0, pending: 0 })
    // New tickets are created in one bulk add job (up to 50 a job), not one POST each.
    const calls = workitemCalls()
    expect(calls.filter((r) => r.method === "POST" && r.path === "/api/v2/taskmanagement/workitems")).toEqual([])
    expect(
      calls.filter((r) => r.method === "POST" && r.path === "/api/v2/taskmanagement/workitems/bulk/add/jobs")
    ).toHaveLength(1)
    expect(calls.length).toBeLessThanOrEqual(N / 5)
    for (const n of [1, 17, N]) {
      const s = await status("github", `octo-org/helpdesk#${n}`)
      expect(s!.arrivedBy).toBe("backfill")
      expect(await h.workitemsOf(`octo-org/helpdesk#${n}`)).toHaveLength(1)
    }

    await new Promise((r) => setTimeout(r, 1100))
    await githubApi("PATCH", "/issues/3", { title: "existing issue 3, renamed" })
    await githubApi("PATCH", "/issues/4", { state: "closed", state_reason: "completed" })
    h.emulator.clearRequests()
    const dryUpdate = await backfill("dryRun=true")
    expect(dryUpdate).toMatchObject({ read: N, created: 0, updated: 2, upToDate: N - 2 })
    expect(dryUpdate.diffSample.find((d) => d.ticketId === "octo-org/helpdesk#3")?.changes).toContainEqual({
      field: "subject",
      from: "existing issue 3",
      to: "existing issue 3, renamed"
    })
    expect(workitemCalls()).toEqual([])
    const second = await backfill("")
    expect(second).toMatchObject({ read: N, created: 0, updated: 2, upToDate: N - 2 })
    const w = await h.getWorkitem((await status("github", "octo-org/helpdesk#3"))!.workitemId!)
    expect(w.name).toBe("existing issue 3, renamed")

    h.emulator.clearRequests()
    const third = await backfill("")
    expect(third).toMatchObject({ read: N, created: 0, updated: 0, upToDate: N })
    expect(workitemCalls()).toEqual([])
    expect(await Effect.runPromise(h.service.inbox.depth)).toBe(0)
  })
})

describe("backfill through bulk add jobs", () => {
  it("a job whose outcome is unknown (it ran, its answer was lost) leaves every ticket with exactly one workitem", async () => {
    gh = await startGitHubEmulator({ rateLimitPerMinute: 10_000 })
    const N = 12
    for (let n = 1; n <= N; n++) await githubApi("POST", "/issues", { title: `lost answer ${n}` })
    const { emulator, provisioned } = await startEmulatorAndProvision()
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wb-bulk-"))
    let jobs = 0
    const service = await startService(
      loadConfig({
        ...baseEnv(emulator, provisioned, dir),
        HELPDESK_URL_GITHUB: gh.url,
        HELPDESK_TOKEN_GITHUB: "github-pat",
        HELPDESK_REPO_GITHUB: "octo-org/helpdesk",
        WORKBRIDGE_RECONCILE_INTERVAL_GITHUB: "0",
        WORKBRIDGE_RECONCILE_INTERVAL_GENESYS: "0",
        WORKBRIDGE_COALESCE_MS: "0"
      }),
      {
        print: () => undefined,
        // The job runs in Genesys, then the service hears a timeout.
        decorateGenesys: (g) => ({
          ...g,
          bulkAddWorkitems: (bodies, options) =>
            Effect.flatMap(g.bulkAddWorkitems(bodies, options), () => {
              jobs++
              return Effect.fail(new GenesysError({ reason: "Timeout", operation: "getBulkAddJobResults" }))
            })
        })
      }
    )
    try {
      const res = await fetch(`${service.url}/backfill/github`, { method: "POST" })
      let job = (await res.json()) as BackfillJob
      const deadline = Date.now() + 30_000
      while (job.state !== "done" && job.state !== "failed" && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100))
        job = (await (await fetch(`${service.url}/backfill/jobs/${job.id}`)).json()) as BackfillJob
      }
      expect(job.summary).toMatchObject({ read: N, created: N, refused: 0, pending: 0 })
      expect(jobs).toBe(1)
      const workitems = [...emulator.state.workitems.values()].filter((w) => w.typeId === provisioned.worktypeId)
      expect(workitems).toHaveLength(N)
      expect(new Set(workitems.map((w) => w.name)).size).toBe(N)
    } finally {
      await service.close()
      await emulator.close()
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe("poll-only source", () => {
  it("with no webhooks at all, the scheduled pass is the feed: new and changed tickets arrive, and each pass reads only what changed since its cursor", async () => {
    gh = await startGitHubEmulator({ rateLimitPerMinute: 10_000 })
    h = await startHarness({
      HELPDESK_URL_GITHUB: gh.url,
      HELPDESK_TOKEN_GITHUB: "github-pat",
      HELPDESK_REPO_GITHUB: "octo-org/helpdesk",
      WORKBRIDGE_RECONCILE_INTERVAL_GITHUB: "1s",
      WORKBRIDGE_COALESCE_MS: "0"
    })
    await githubApi("POST", "/issues", { title: "polled issue" })
    await until(
      "the scheduled pass to bring the issue",
      async () => (await status("github", "octo-org/helpdesk#1"))?.workitemId !== undefined
    )
    const s = await status("github", "octo-org/helpdesk#1")
    expect(s!.arrivedBy).toBe("reconcile")
    const listed = () => gh!.core.requests.filter((r) => r.method === "GET" && r.path.endsWith("/issues")).length
    await new Promise((r) => setTimeout(r, 1100))
    await githubApi("PATCH", "/issues/1", { title: "polled issue, changed" })
    await until(
      "the change to arrive",
      async () => (await h!.getWorkitem(s!.workitemId!)).name === "polled issue, changed"
    )
    const metrics = await (await fetch(`${h.service.url}/metrics`)).text()
    expect(metrics).toMatch(/workbridge_feed_cursor_age_seconds\{source="github"\} \d/)
    // Passes go on every second; with nothing changed, each reads nothing new and writes nothing.
    const before = listed()
    const readCount = (text: string) =>
      Number(/workbridge_feed_tickets_read_total\{source="github",origin="reconcile"\} (\d+)/.exec(text)?.[1] ?? "NaN")
    const readBefore = readCount(metrics)
    expect(readBefore).toBeGreaterThanOrEqual(2)
    await new Promise((r) => setTimeout(r, 2500))
    expect(listed()).toBeGreaterThan(before)
    const after = await (await fetch(`${h.service.url}/metrics`)).text()
    expect(readCount(after)).toBe(readBefore)
    expect(await h.workitemsOf("octo-org/helpdesk#1")).toHaveLength(1)
  })
})
