/**
 * Write-back end to end: the Zendesk emulator sends its webhooks to the service, which creates the workitem in the
 * Genesys emulator (through the SDK); an agent (a second OAuth client) changes the workitem through the SDK; the
 * workitem event is posted to the workitem-event Data Action as the trigger's workflow would post it; the service
 * writes the status and an internal note back to Zendesk, and the webhook Zendesk sends for that change costs no
 * Genesys call. Also: Workbridge's own changes, unknown workitems, a 429 storm, and a dead letter replayed.
 */
import platformClient from "purecloud-platform-client-v2"
import { type ZendeskEmulator, startZendeskEmulator } from "@workbridge/helpdesk-emulators"
import { makeSdkClient } from "@workbridge/genesys"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Harness, startHarness } from "../src/testing/harness.js"
import type { TicketSyncStatus } from "../src/sync/TicketStatus.js"

const SECRET = "zendesk-webhook-secret"
const DATA_ACTION_AUTH = "genesys:write-back-password"
const ZENDESK_AUTH = `Basic ${Buffer.from("agent@example.com/token:zendesk-api-token").toString("base64")}`
/** A Genesys user the deployment maps to the Zendesk agent 235323, and one it does not map. */
const MAPPED_USER = "7c1d0c4e-3a52-4f0e-9d7b-2b9f3c1a8e55"
const UNMAPPED_USER = "0b6f2d0e-8c3a-4b8e-a0f4-5d1c9e7a2b13"

let zd: ZendeskEmulator
let h: Harness
/** The Task Management API as an agent: an OAuth client other than the service's. */
let agent: platformClient.TaskManagementApi
let agentClientId: string

const body = <T>(r: unknown): T => ((r as { body?: unknown }).body ?? r) as T

beforeAll(async () => {
  zd = await startZendeskEmulator({ webhook: { credentials: { secret: SECRET } } })
  h = await startHarness({
    WEBHOOK_SECRET_ZENDESK: SECRET,
    HELPDESK_URL_ZENDESK: zd.url,
    HELPDESK_USER_ZENDESK: "agent@example.com",
    HELPDESK_TOKEN_ZENDESK: "zendesk-api-token",
    WORKBRIDGE_RECONCILE_INTERVAL_ZENDESK: "0",
    WORKBRIDGE_RECONCILE_INTERVAL_GENESYS: "0",
    WORKBRIDGE_DATA_ACTION_BASIC_AUTH: DATA_ACTION_AUTH,
    WORKBRIDGE_COALESCE_MS: "0",
    WORKBRIDGE_ASSIGNEE_MAP_ZENDESK: JSON.stringify({ [MAPPED_USER]: "235323" })
  })
  zd.core.configureWebhooks({ url: `${h.service.url}/webhooks/zendesk`, credentials: { secret: SECRET } })
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
  agentClientId = client.id
  const agentSdk = makeSdkClient({ gatewayUrl: h.emulator.url })
  await agentSdk.loginClientCredentialsGrant(client.id, client.secret)
  agent = new platformClient.TaskManagementApi(agentSdk)
}, 60_000)

afterAll(async () => {
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
  const res = await fetch(`${h.service.url}/tickets/zendesk/${id}`)
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

/** The agent moves the workitem to `status` (and assigns it to `assigneeId`) through the SDK. */
const agentSets = async (workitemId: string, status: string, assigneeId?: string) =>
  agent.patchTaskmanagementWorkitem(workitemId, {
    statusId: statusId(status),
    ...(assigneeId === undefined ? {} : { assigneeId })
  } as never)

/**
 * The workitem event of the workitem's state now, as the trigger hands it to the workflow
 * (`WorkitemsEventsNotificationWorkitem`: flat ids, custom fields as `{dataType, value}` with string values).
 */
const eventOf = async (workitemId: string, overrides: Record<string, unknown> = {}) => {
  const w = body<Record<string, any>>(await h.admin.getTaskmanagementWorkitem(workitemId))
  const customFields: Record<string, { dataType: string; value: string }> = {}
  for (const [k, v] of Object.entries((w["customFields"] ?? {}) as Record<string, unknown>)) {
    if (v !== null && v !== undefined) customFields[k] = { dataType: "String", value: String(v) }
  }
  return {
    id: w["id"],
    name: w["name"],
    typeId: w["type"]?.id,
    statusId: w["status"]?.id,
    statusCategory: w["statusCategory"],
    dateModified: w["dateModified"],
    modifiedBy: w["modifiedBy"]?.id,
    ...(w["assignee"]?.id === undefined ? {} : { assigneeId: w["assignee"].id }),
    operation: "update",
    changes: [{ op: "update", field: "statusId", newValue: w["status"]?.id }],
    customFields,
    wrapup: { code: "Resolved - hardware replaced", op: "add" },
    ...overrides
  }
}

const postEvent = async (event: unknown, auth = DATA_ACTION_AUTH) => {
  const res = await fetch(`${h.service.url}/data-actions/workitem-event`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: `Basic ${Buffer.from(auth).toString("base64")}`
    },
    body: JSON.stringify(event)
  })
  return { status: res.status, json: (await res.json()) as Record<string, unknown> }
}

const metric = async (line: string) => (await (await fetch(`${h.service.url}/metrics`)).text()).includes(line)

describe("write-back", () => {
  it("writes an agent's close back to the ticket with an internal note, and the echo costs no Genesys call", async () => {
    const { id, workitemId } = await newTicket("loop")
    await agentSets(workitemId, "Closed")
    const event = await eventOf(workitemId)
    expect(event.modifiedBy).toBe(agentClientId)

    h.emulator.clearRequests()
    const posted = await postEvent(event)
    expect(posted).toEqual({ status: 202, json: { accepted: true, ignored: "" } })
    // Redelivered (the workflow retried): the same delivery key, not queued twice.
    expect((await postEvent(event)).json).toMatchObject({ accepted: true, duplicate: true })

    const ticket = await until("the ticket solved", async () =>
      zd.tickets.get(Number(id))?.status === "solved" ? zd.tickets.get(Number(id)) : undefined
    )
    const note = ticket!.comments[ticket!.comments.length - 1]!
    expect(note.public).toBe(false)
    expect(note.body).toContain("set to Closed")
    expect(note.body).toContain("Wrap-up: Resolved - hardware replaced")
    expect(note.body).toContain(`${h.emulator.url}/api/v2/taskmanagement/workitems/${workitemId}`)

    const s = await settled(id)
    // Zendesk's webhooks for the write-back reached the service and were absorbed: not one Genesys call.
    expect(zd.core.deliveries.filter((d) => d.ticketId === id && d.state === "sent").length).toBeGreaterThanOrEqual(2)
    expect(h.emulator.requests()).toEqual([])
    expect(s.writeBack).toMatchObject({ status: "solved", outcome: "written", pending: false })
    expect(s.writeBack?.lastWrittenAt).toBeDefined()
    expect(await metric('workbridge_write_backs_total{source="zendesk",outcome="written"} 1')).toBe(true)

    // A later helpdesk change flows forward without moving the agent's status back (solved would be Resolved).
    await zendesk("PUT", `/api/v2/tickets/${id}`, { ticket: { priority: "urgent" } })
    await until("the priority change applied", async () =>
      h.emulator.requests().some((r) => r.method === "PATCH") && (await ticketStatus(id))?.pendingEvents === 0
        ? true
        : undefined
    )
    const after = await h.getWorkitem(workitemId)
    expect(after.status?.id).toBe(statusId("Closed"))
    expect((after.customFields as Record<string, unknown>)["priority_enum"]).toBe("urgent")
  })

  it("assigns the ticket to the mapped agent in the same write as the status, and the echo costs no Genesys call", async () => {
    const { id, workitemId } = await newTicket("assigned and closed")
    await agentSets(workitemId, "Closed", MAPPED_USER)
    const event = await eventOf(workitemId)
    expect(event.assigneeId).toBe(MAPPED_USER)

    h.emulator.clearRequests()
    expect((await postEvent(event)).status).toBe(202)
    const ticket = await until("the ticket solved and assigned", async () => {
      const t = zd.tickets.get(Number(id))
      return t?.status === "solved" && t.assignee_id === 235323 ? t : undefined
    })
    expect(ticket.comments.at(-1)).toMatchObject({ public: false })
    expect(ticket.comments.at(-1)!.body).toContain(`Agent: ${MAPPED_USER}`)

    const s = await settled(id)
    // Zendesk sent status_changed, agent_assignment_changed and comment_added: all absorbed, not one Genesys call.
    const sent = zd.core.deliveries.filter((d) => d.ticketId === id && d.state === "sent")
    expect(sent.length).toBeGreaterThanOrEqual(3)
    expect(h.emulator.requests()).toEqual([])
    expect(s.writeBack).toMatchObject({ status: "solved", assignee: "235323", outcome: "written", pending: false })
  })

  it("writes the mapped assignee even when the status maps to no helpdesk status; an unmapped one writes nothing", async () => {
    const { id, workitemId } = await newTicket("assigned in progress")
    const before = zd.tickets.get(Number(id))!.status

    // Neither the status (Waiting writes nothing back) nor the assignee is mapped: nothing is written.
    await agentSets(workitemId, "Waiting", UNMAPPED_USER)
    const comments = zd.tickets.get(Number(id))!.comments.length
    h.emulator.clearRequests()
    expect((await postEvent(await eventOf(workitemId))).status).toBe(202)
    await until("the unmapped outcome", async () => {
      const st = await ticketStatus(id)
      return st?.writeBack?.outcome === "unmapped" && st.pendingEvents === 0 ? st : undefined
    })
    expect(zd.tickets.get(Number(id))).toMatchObject({ status: before, assignee_id: null })
    expect(zd.tickets.get(Number(id))!.comments).toHaveLength(comments)

    // The mapped agent takes it over: the assignee (and the note) are written, the status is left alone.
    await agentSets(workitemId, "Waiting", MAPPED_USER)
    const event = await eventOf(workitemId)
    h.emulator.clearRequests()
    expect((await postEvent(event)).status).toBe(202)
    const ticket = await until("the ticket assigned", async () =>
      zd.tickets.get(Number(id))?.assignee_id === 235323 ? zd.tickets.get(Number(id)) : undefined
    )
    expect(ticket.status).toBe(before)
    expect(ticket.comments).toHaveLength(comments + 1)
    const s = await settled(id)
    expect(h.emulator.requests()).toEqual([])
    expect(s.writeBack).toMatchObject({ assignee: "235323", outcome: "written", pending: false })
    expect(s.writeBack?.status).toBeUndefined()
  })

  it("writes nothing for a change Workbridge made itself, and creates nothing for an unknown workitem", async () => {
    const { id, workitemId } = await newTicket("own")
    const before = structuredClone(zd.tickets.get(Number(id))!)
    // Workbridge's own client (the service uses the emulator's admin client): ignored at once.
    await h.admin.patchTaskmanagementWorkitem(workitemId, { statusId: statusId("Resolved") } as never)
    const own = await eventOf(workitemId)
    expect(own.modifiedBy).toBe(h.emulator.adminClientId)
    expect(await postEvent(own)).toEqual({
      status: 200,
      json: { accepted: false, ignored: "the change was made by Workbridge itself" }
    })

    // A workitem the service never linked (another ticket id), and this ticket named by another workitem.
    const unknown = await eventOf(workitemId, {
      id: "00000000-0000-4000-8000-000000000001",
      modifiedBy: agentClientId,
      customFields: {
        ticket_id_identifier: { dataType: "String", value: "424242" },
        source_system_enum: { dataType: "String", value: "zendesk" }
      }
    })
    const foreign = await eventOf(workitemId, { id: "00000000-0000-4000-8000-000000000002", modifiedBy: agentClientId })
    h.emulator.clearRequests()
    expect((await postEvent(unknown)).status).toBe(202)
    expect((await postEvent(foreign)).status).toBe(202)
    await until("both handled", async () =>
      (await metric('workbridge_write_backs_total{source="zendesk",outcome="not_linked"} 2')) ? true : undefined
    )
    await settled(id)
    expect(zd.tickets.get(424242)).toBeUndefined()
    expect(zd.tickets.get(Number(id))).toEqual(before)
    expect(h.emulator.requests()).toEqual([])
    expect(await h.workitemsOf("424242")).toHaveLength(0)
  })

  it("keeps the newer change: an agent's change older than the helpdesk's last status change is not written", async () => {
    const { id, workitemId } = await newTicket("both")
    await agentSets(workitemId, "Closed")
    const stale = await eventOf(workitemId)
    // The helpdesk changes the status after the agent did, and that change is applied first.
    await new Promise((r) => setTimeout(r, 20))
    await zendesk("PUT", `/api/v2/tickets/${id}`, { ticket: { status: "pending" } })
    await settled(id)
    const comments = zd.tickets.get(Number(id))!.comments.length
    expect((await postEvent(stale)).status).toBe(202)
    await until("the stale change handled", async () =>
      (await metric('workbridge_write_backs_total{source="zendesk",outcome="older"} 1')) ? true : undefined
    )
    const s = await settled(id)
    // Recorded as handled, and nothing written.
    expect(s.writeBack).toEqual(expect.objectContaining({ outcome: "older", pending: false }))
    expect(s.writeBack?.lastWrittenAt).toBeUndefined()
    expect(zd.tickets.get(Number(id))!.status).toBe("pending")
    expect(zd.tickets.get(Number(id))!.comments).toHaveLength(comments)
  })

  it("writes nothing over a helpdesk change whose webhook has not arrived: it reads that change, and the newer change wins", async () => {
    const { id, workitemId } = await newTicket("unseen")
    await agentSets(workitemId, "Closed")
    const event = await eventOf(workitemId)
    // Zendesk's updated_at has whole seconds: the person's change falls in a later second than the creation applied.
    await new Promise((r) => setTimeout(r, 1100))
    // A person sets the ticket to pending after the agent's close; its webhook is held back (a restart, a 429 wait).
    zd.core.configureWebhooks({ hold: true })
    try {
      await zendesk("PUT", `/api/v2/tickets/${id}`, { ticket: { status: "pending" } })
      const comments = zd.tickets.get(Number(id))!.comments.length
      expect((await postEvent(event)).status).toBe(202)
      // The write-back finds the unseen change, reads the ticket into the inbox instead of waiting for the webhook:
      // the person's newer status is applied forward, and the agent's older close is dropped — all while the
      // webhook is still held.
      const s = await until("the write-back dropped as older", async () => {
        const st = await settled(id)
        return st.writeBack?.outcome === "older" ? st : undefined
      })
      expect(s.writeBack).toMatchObject({ pending: false })
      expect(zd.tickets.get(Number(id))!.status).toBe("pending")
      expect(zd.tickets.get(Number(id))!.comments).toHaveLength(comments)
      expect((await h.getWorkitem(workitemId)).status?.id).toBe(statusId("Waiting"))
      expect(zd.core.deliveries.filter((d) => d.ticketId === id && d.state === "held")).not.toHaveLength(0)
    } finally {
      zd.core.configureWebhooks({ hold: false })
    }
    // The held webhook, delivered late, changes nothing.
    await settled(id)
    expect(zd.tickets.get(Number(id))!.status).toBe("pending")
    expect((await h.getWorkitem(workitemId)).status?.id).toBe(statusId("Waiting"))
  })

  it("answers 401 without the integration's credentials and 400 naming the bad field", async () => {
    expect((await postEvent({ id: "w" }, "genesys:wrong")).status).toBe(401)
    const bad = await postEvent({ id: "", dateModified: "yesterday", customFields: { x: { value: 3 } } })
    expect(bad.status).toBe(400)
    expect(bad.json["error"]).toBe("malformed_input")
    expect(bad.json["message"]).toMatch(/id: must be a non-empty string/)
    expect(bad.json["message"]).toMatch(/dateModified: must be an ISO-8601 date-time/)
    expect((await postEvent({ dateModified: "2026-01-01T00:00:00Z" })).json["message"]).toMatch(/id: is required/)
    const notOurs = await postEvent({ id: "w-1", dateModified: "2026-01-01T00:00:00Z", customFields: {} })
    expect(notOurs.status).toBe(200)
    expect(notOurs.json["ignored"]).toMatch(/not a Workbridge ticket/)
  })

  it("waits out a 429 storm without losing the write-back while forward changes keep applying", async () => {
    const { id, workitemId } = await newTicket("storm")
    const ticketPath = new RegExp(`^/api/v2/tickets/${id}(\\.json)?$`)
    zd.core.addFault({ kind: "rateLimit", path: ticketPath, retryAfterSeconds: 1, count: 3 })
    await agentSets(workitemId, "Resolved")
    expect((await postEvent(await eventOf(workitemId))).status).toBe(202)
    // Pending from the moment the write's intent is recorded; waiting once a 429 answered it.
    const waiting = await until("the write-back waiting after a 429", async () => {
      const s = await ticketStatus(id)
      return s?.writeBack?.pending === true && s.writeBack.lastError !== undefined ? s : undefined
    })
    expect(waiting.writeBack?.lastError).toMatch(/rate limited \(429\)/)
    // Meanwhile another ticket syncs forward.
    const other = await newTicket("during the storm")
    expect(other.workitemId).toBeDefined()
    expect(zd.tickets.get(Number(id))?.status).not.toBe("solved")
    const done = await until(
      "the ticket solved after the storm",
      async () => (zd.tickets.get(Number(id))?.status === "solved" ? true : undefined),
      30_000
    )
    expect(done).toBe(true)
    const s = await settled(id)
    expect(s.writeBack).toMatchObject({ status: "solved", outcome: "written", pending: false })
    expect(zd.core.requests.filter((r) => ticketPath.test(r.path) && r.status === 429)).toHaveLength(3)
  }, 60_000)

  it("dead-letters a write-back the helpdesk refuses, and a replay writes it", async () => {
    const { id, workitemId } = await newTicket("refused")
    zd.core.addFault({
      kind: "status",
      status: 422,
      method: "PUT",
      path: new RegExp(`^/api/v2/tickets/${id}(\\.json)?$`),
      count: 1
    })
    await agentSets(workitemId, "Resolved")
    expect((await postEvent(await eventOf(workitemId))).status).toBe(202)
    const letter = await until("the dead letter", async () => {
      const list = (await (await fetch(`${h.service.url}/dead-letters`)).json()) as {
        deadLetters?: Array<{ id: string; ticketId: string; reason: string }>
        items?: Array<{ id: string; ticketId: string; reason: string }>
      }
      return (list.deadLetters ?? list.items ?? []).find((d) => d.ticketId === id)
    })
    expect(letter.reason).toBe("Helpdesk422")
    const failed = await ticketStatus(id)
    expect(failed?.writeBack).toMatchObject({ outcome: "dead", pending: false })
    expect(zd.tickets.get(Number(id))?.status).not.toBe("solved")

    const replay = await fetch(`${h.service.url}/dead-letters/${letter.id}/replay`, { method: "POST" })
    expect(replay.status).toBe(202)
    await until("the ticket solved after the replay", async () =>
      zd.tickets.get(Number(id))?.status === "solved" ? true : undefined
    )
    const s = await settled(id)
    expect(s.writeBack).toMatchObject({ status: "solved", outcome: "written" })
    expect(s.writeBack?.lastError).toBeUndefined()
  })
})
