/**
 * The write-back reconciliation end to end, against the Genesys emulator (through the SDK) and the Zendesk emulator:
 * no trigger is provisioned at first, so no agent's change is delivered to the workitem-event Data Action — the pass
 * (`POST /reconcile/genesys`) is the only way the service hears of them. An agent's close is written back with the
 * note; a second pass makes one query call and writes nothing; a late real delivery of the same change is a
 * duplicate; Workbridge's own status changes are not written back; an agent's close followed by a forward change
 * (which leaves Workbridge's client in `modifiedBy`) is still written back; paging costs one query call a page; with
 * the chain provisioned but the service unreachable, the failed delivery's close is written back by the pass; the
 * cursor survives a restart.
 */
import platformClient from "purecloud-platform-client-v2"
import { type ZendeskEmulator, startZendeskEmulator } from "@workbridge/helpdesk-emulators"
import { buildDataActionDefinitions } from "@workbridge/data-actions"
import { makeSdkClient, provision } from "@workbridge/genesys"
import { waitForExecutions } from "@workbridge/genesys-emulator/testing"
import { defaultCatalog } from "@workbridge/catalog"
import { Effect } from "effect"
import pino from "pino"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { loadConfig } from "../src/config/Config.js"
import { type RunningService, startService } from "../src/Service.js"
import { type Harness, startHarness } from "../src/testing/harness.js"
import type { TicketSyncStatus } from "../src/sync/TicketStatus.js"
import type { CursorStore } from "../src/feeds/Feeds.js"
import { type GenesysPassReport, makeGenesysReconciler } from "../src/writeBack/Reconcile.js"

const SECRET = "zendesk-webhook-secret"
const DATA_ACTION_AUTH = "genesys:write-back-password"
const ZENDESK_AUTH = `Basic ${Buffer.from("agent@example.com/token:zendesk-api-token").toString("base64")}`
/** The pass's default overlap before its cursor. */
const OVERLAP_MS = 120_000

let zd: ZendeskEmulator
let h: Harness
/** The service under test (replaced by the restart test). */
let service: RunningService
let restarted: RunningService | undefined
/** The Task Management API as an agent: an OAuth client other than the service's. */
let agent: platformClient.TaskManagementApi

const body = <T>(r: unknown): T => ((r as { body?: unknown }).body ?? r) as T

beforeAll(async () => {
  zd = await startZendeskEmulator({ webhook: { credentials: { secret: SECRET } } })
  h = await startHarness(
    {
      WEBHOOK_SECRET_ZENDESK: SECRET,
      HELPDESK_URL_ZENDESK: zd.url,
      HELPDESK_USER_ZENDESK: "agent@example.com",
      HELPDESK_TOKEN_ZENDESK: "zendesk-api-token",
      WORKBRIDGE_RECONCILE_INTERVAL_ZENDESK: "0",
      // On demand only: each test runs the pass itself.
      WORKBRIDGE_RECONCILE_INTERVAL_GENESYS: "0",
      WORKBRIDGE_DATA_ACTION_BASIC_AUTH: DATA_ACTION_AUTH,
      WORKBRIDGE_COALESCE_MS: "0"
    },
    // The workflow's Data Action call is retried quickly before its execution is recorded as failed.
    { workflowRetryDelaysMs: [50, 200] }
  )
  service = h.service
  zd.core.configureWebhooks({ url: `${service.url}/webhooks/zendesk`, credentials: { secret: SECRET } })
  const admin = makeSdkClient({ gatewayUrl: h.emulator.url })
  await admin.loginClientCredentialsGrant(h.emulator.adminClientId, h.emulator.adminClientSecret)
  const role = body<{ id: string }>(
    await new platformClient.AuthorizationApi(admin).postAuthorizationRoles({
      name: "Agents",
      permissionPolicies: [{ domain: "workitems", entityName: "workitem", actionSet: ["view", "edit"] }]
    } as never)
  )
  const client = body<{ id: string; secret: string }>(
    await new platformClient.OAuthApi(admin).postOauthClients({
      name: "agent-desktop",
      authorizedGrantType: "CLIENT-CREDENTIALS",
      roleDivisions: [{ roleId: role.id, divisionId: h.emulator.state.homeDivision.id }]
    } as never)
  )
  const agentSdk = makeSdkClient({ gatewayUrl: h.emulator.url })
  await agentSdk.loginClientCredentialsGrant(client.id, client.secret)
  agent = new platformClient.TaskManagementApi(agentSdk)
}, 60_000)

afterAll(async () => {
  await restarted?.close()
  await h?.close()
  await zd?.close()
})

const until = async <A>(what: string, f: () => Promise<A | undefined>, timeoutMs = 20_000): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await f()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

const zendesk = async (method: string, path: string, payload?: unknown) => {
  const res = await fetch(`${zd.url}${path}`, {
    method,
    headers: { authorization: ZENDESK_AUTH, "content-type": "application/json" },
    ...(payload !== undefined ? { body: JSON.stringify(payload) } : {})
  })
  expect(res.status, await res.clone().text()).toBeLessThan(300)
  return (await res.json()) as { ticket: { id: number } }
}

const ticketStatus = async (id: string): Promise<TicketSyncStatus | undefined> => {
  const res = await fetch(`${service.url}/tickets/zendesk/${id}`)
  return res.status === 404 ? undefined : ((await res.json()) as TicketSyncStatus)
}

/** Every accepted event of the ticket dealt with, and every webhook Zendesk had to send answered. */
const settled = async (id: string) => {
  await zd.core.settle()
  return until(`ticket ${id} settled`, async () => {
    const s = await ticketStatus(id)
    return s !== undefined && s.pendingEvents === 0 ? s : undefined
  })
}

/** A Zendesk ticket, synced forward to a workitem. */
const newTicket = async (subject: string) => {
  const created = await zendesk("POST", "/api/v2/tickets.json", {
    ticket: { subject, comment: { body: `${subject}: the printer is on fire` }, priority: "normal" }
  })
  const id = String(created.ticket.id)
  const s = await until(`the workitem of ticket ${id}`, async () => {
    const st = await ticketStatus(id)
    return st?.workitemId !== undefined && st.pendingEvents === 0 ? st : undefined
  })
  return { id, workitemId: s.workitemId! }
}

const statusId = (name: string) => h.provisioned.statusIds[name]!

/** The agent moves the workitem to `status` through the SDK. */
const agentSets = async (workitemId: string, status: string) =>
  agent.patchTaskmanagementWorkitem(workitemId, { statusId: statusId(status) } as never)

const reconcile = async (query = "") => {
  const res = await fetch(`${service.url}/reconcile/genesys${query}`, { method: "POST" })
  const json = (await res.json()) as GenesysPassReport & { error?: string; message?: string }
  expect(res.status, JSON.stringify(json)).toBe(200)
  return json
}

/** The Platform API calls the emulator answered since the last clear (logins aside). */
const apiCalls = () =>
  h.emulator
    .requests()
    .filter((r) => r.path.startsWith("/api/v2/"))
    .map((r) => `${r.method} ${r.route ?? r.path}`)

const executions = async () =>
  ((await (await fetch(`${h.emulator.url}/__emulator/workflow-executions`)).json()) as { executions: Array<unknown> })
    .executions

const comments = (id: string) => zd.tickets.get(Number(id))?.comments.length ?? 0

const QUERY = "POST /api/v2/taskmanagement/workitems/query"

describe("write-back reconciliation", () => {
  it("writes back an agent's close no trigger delivered; a second pass makes one query call and writes nothing", async () => {
    const { id, workitemId } = await newTicket("missed close")
    // Settle any earlier changes, so that this pass finds exactly this one.
    await reconcile()
    await agentSets(workitemId, "Closed")
    expect(await executions()).toEqual([])

    // A dry run finds it and writes nothing.
    const dry = await reconcile("?dryRun=true")
    expect(dry).toMatchObject({ dryRun: true, driftFound: 1, repaired: 0, cursorSaved: false, queryCalls: 1 })
    expect(zd.tickets.get(Number(id))?.status).not.toBe("solved")

    h.emulator.clearRequests()
    const report = await reconcile("?waitMs=20000")
    expect(report).toMatchObject({ source: "genesys", dryRun: false, driftFound: 1, repaired: 1, cursorSaved: true })
    expect(report.drift).toEqual([
      expect.objectContaining({ source: "zendesk", ticketId: id, workitemId, status: "Closed", applied: "Open" })
    ])
    // The pass's Genesys calls: its query, one per page, and nothing else (the write-back calls the helpdesk only).
    expect(apiCalls()).toEqual(Array.from({ length: report.queryCalls }, () => QUERY))
    expect(report.queryCalls).toBe(1)

    const ticket = zd.tickets.get(Number(id))!
    expect(ticket.status).toBe("solved")
    const note = ticket.comments[ticket.comments.length - 1]!
    expect(note.public).toBe(false)
    expect(note.body).toContain("set to Closed")
    expect(note.body).toContain(`${h.emulator.url}/api/v2/taskmanagement/workitems/${workitemId}`)
    const s = await settled(id)
    expect(s.writeBack).toMatchObject({ status: "solved", outcome: "written", pending: false })

    // The second pass: one query call, nothing found, nothing written.
    h.emulator.clearRequests()
    const notes = comments(id)
    const again = await reconcile()
    expect(again).toMatchObject({ driftFound: 0, repaired: 0, cursorSaved: true, queryCalls: 1 })
    expect(again.upToDate).toBeGreaterThanOrEqual(1)
    expect(apiCalls()).toEqual([QUERY])
    await settled(id)
    expect(comments(id)).toBe(notes)

    // The real delivery of the same change, arriving late, is the same inbox event: a duplicate.
    const w = body<Record<string, any>>(await h.admin.getTaskmanagementWorkitem(workitemId))
    const late = await fetch(`${service.url}/data-actions/workitem-event`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Basic ${Buffer.from(DATA_ACTION_AUTH).toString("base64")}`
      },
      body: JSON.stringify({
        id: workitemId,
        statusId: w["status"].id,
        statusCategory: w["statusCategory"],
        dateModified: w["dateModified"],
        modifiedBy: w["modifiedBy"].id,
        operation: "update",
        customFields: {
          ticket_id_identifier: { value: id },
          source_system_enum: { value: "zendesk" }
        }
      })
    })
    expect(late.status).toBe(202)
    expect(await late.json()).toMatchObject({ accepted: true, duplicate: true })
    await settled(id)
    expect(comments(id)).toBe(notes)

    const metrics = await (await fetch(`${service.url}/metrics`)).text()
    expect(metrics).toMatch(/workbridge_feed_drift_found_total\{source="genesys"\} [1-9]/)
    expect(metrics).toMatch(/workbridge_feed_drift_repaired_total\{source="genesys"\} [1-9]/)
  })

  it("does not write back Workbridge's own status changes", async () => {
    const { id, workitemId } = await newTicket("own change")
    // The helpdesk solves the ticket: Workbridge PATCHes the workitem to Resolved (its own change), a status that
    // would write back to Zendesk's solved were it an agent's.
    await zendesk("PUT", `/api/v2/tickets/${id}`, { ticket: { status: "solved" } })
    await until("the status change applied", async () => {
      const w = await h.getWorkitem(workitemId)
      return w.status?.id === statusId("Resolved") ? w : undefined
    })
    await settled(id)
    const notes = comments(id)
    const report = await reconcile()
    expect(report.driftFound).toBe(0)
    expect(report.drift).toEqual([])
    expect(report.upToDate).toBeGreaterThanOrEqual(1)
    await settled(id)
    expect(comments(id)).toBe(notes)
    expect(zd.tickets.get(Number(id))?.status).toBe("solved")
    expect((await ticketStatus(id))?.writeBack).toBeUndefined()
  })

  it("writes back an agent's close that a later forward change left with Workbridge's client as modifiedBy", async () => {
    const { id, workitemId } = await newTicket("close then forward")
    await reconcile()
    await agentSets(workitemId, "Closed")
    // The helpdesk's change of another field reaches Genesys after the agent's close: a minimal PATCH by Workbridge.
    await zendesk("PUT", `/api/v2/tickets/${id}`, { ticket: { priority: "urgent" } })
    const w = await until("the priority change applied", async () => {
      const x = await h.getWorkitem(workitemId)
      return (x.customFields as Record<string, unknown>)["priority_enum"] === "urgent" ? x : undefined
    })
    expect((w["modifiedBy"] as { id: string }).id).toBe(h.emulator.adminClientId)
    expect(w.status?.id).toBe(statusId("Closed"))
    await settled(id)

    const report = await reconcile("?waitMs=20000")
    expect(report).toMatchObject({ driftFound: 1, repaired: 1 })
    expect(zd.tickets.get(Number(id))?.status).toBe("solved")
  })

  it("pages: one query call per page, every find enqueued and written back", async () => {
    const since = new Date()
    const tickets = []
    for (let n = 0; n < 5; n++) tickets.push(await newTicket(`paged ${n}`))
    for (const t of tickets.slice(0, 3)) await agentSets(t.workitemId, "Closed")
    let saved: string | undefined
    const cursors: CursorStore = {
      get: () =>
        Effect.succeed(saved === undefined ? undefined : { cursor: saved, updatedAt: new Date().toISOString() }),
      set: (_source, cursor) =>
        Effect.sync(() => {
          saved = cursor
        }),
      lock: () => Effect.succeed(() => Effect.void)
    }
    // The service's own stores and Genesys client; a page of 2 workitems instead of 200.
    const reconciler = makeGenesysReconciler({
      catalog: defaultCatalog,
      genesys: service.genesys,
      typeId: service.target.typeId,
      statuses: () => service.target.statuses,
      inbox: service.inbox,
      links: service.links,
      cursors,
      metrics: service.metrics,
      log: pino({ level: "silent" }),
      sources: ["zendesk"],
      selfIds: [h.emulator.adminClientId],
      pageSize: 2,
      // Only this test's workitems: no overlap before `since`.
      overlapMs: 0
    })
    h.emulator.clearRequests()
    const report = await Effect.runPromise(reconciler.reconcile({ since, repairWaitMs: 20_000 }))
    expect(report.ticketsRead).toBe(5)
    expect(report).toMatchObject({ driftFound: 3, repaired: 3, upToDate: 2, queryCalls: 3, cursorSaved: true })
    expect(apiCalls()).toEqual([QUERY, QUERY, QUERY])
    for (const t of tickets.slice(0, 3)) expect(zd.tickets.get(Number(t.id))?.status).toBe("solved")
    for (const t of tickets.slice(3)) expect(zd.tickets.get(Number(t.id))?.status).not.toBe("solved")
    // The cursor: the newest dateModified read.
    const newest = Math.max(
      ...(await Promise.all(
        tickets.map(async (t) => Date.parse(String((await h.getWorkitem(t.workitemId))["dateModified"])))
      ))
    )
    expect(saved).toBe(new Date(newest).toISOString())
  })

  it("writes back a close whose delivery failed: the chain provisioned, the service unreachable from Genesys", async () => {
    // The write-back chain as provisioned, but its Data Action calls an address nobody answers (Workbridge down).
    await provision({
      gatewayUrl: h.emulator.url,
      clientId: h.emulator.adminClientId,
      clientSecret: h.emulator.adminClientSecret,
      catalog: defaultCatalog,
      dataActions: {
        definitions: buildDataActionDefinitions(defaultCatalog, {
          baseUrl: "http://127.0.0.1:9",
          credentialType: "basicAuth"
        }),
        basicAuth: { userName: "genesys", password: "write-back-password" }
      },
      writeBack: {}
    })
    const { id, workitemId } = await newTicket("unreachable")
    await reconcile()
    await agentSets(workitemId, "Closed")
    const failed = await waitForExecutions(h.emulator.url, { workitemId }, 1, 20_000)
    expect(failed.map((x) => x.status)).toEqual(["failed"])
    expect(failed[0]!.attempts).toBeGreaterThan(1)
    await settled(id)
    expect(zd.tickets.get(Number(id))?.status).not.toBe("solved")

    const report = await reconcile("?waitMs=20000")
    expect(report).toMatchObject({ driftFound: 1, repaired: 1 })
    expect(report.drift).toEqual([expect.objectContaining({ ticketId: id, workitemId, status: "Closed" })])
    expect(zd.tickets.get(Number(id))?.status).toBe("solved")
  })

  it("keeps its cursor across a restart (SQLite)", async () => {
    await reconcile()
    const all = body<{ entities: Array<{ dateModified: string }> }>(
      await h.admin.postTaskmanagementWorkitemsQuery({
        filters: [{ name: "typeId", type: "String", operator: "EQ", values: [h.provisioned.worktypeId] }],
        pageSize: 200
      } as never)
    ).entities
    const newest = Math.max(...all.map((x) => Date.parse(x.dateModified)))

    await service.close()
    restarted = await startService(loadConfig(h.env), { print: () => undefined })
    service = restarted
    zd.core.configureWebhooks({ url: `${service.url}/webhooks/zendesk`, credentials: { secret: SECRET } })

    h.emulator.clearRequests()
    const report = await reconcile()
    // From the saved cursor (the newest dateModified seen) less the overlap, not from a first pass's look-back.
    expect(report.from).toBe(new Date(newest - OVERLAP_MS).toISOString())
    expect(report).toMatchObject({ driftFound: 0, queryCalls: 1 })
    expect(apiCalls().filter((c) => c === QUERY)).toHaveLength(1)
  })
})
