/**
 * The demo as `pnpm start` runs it (`node --import tsx src/main.ts`, no credentials: the bundled Genesys emulator
 * and the five helpdesk emulators), the whole loop for each vendor, everything through public APIs:
 *
 *   a human creates and changes a ticket through the vendor emulator's API → exactly one workitem; an agent (a
 *   second OAuth client, created here through the SDK, with a role that may edit workitems) closes it through the
 *   SDK → the emulator's trigger → workflow → Data Action chain the demo provisioned delivers the event → the ticket
 *   reaches the vendor's done status with an internal note (GitHub: a comment) naming the agent and linking the
 *   workitem → the webhook the vendor sends for that change costs the service's Genesys client no call at all
 *   (counted in the emulator's request log once the vendor's deliveries have settled and the inbox is empty); a
 *   human's later rename in the helpdesk is applied and leaves the workitem Closed; the agent reopens the workitem →
 *   the ticket is open again with a note, and that echo costs nothing either. The printed demo-agent commands are
 *   followed once.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { call, login, type SdkSession, waitForExecutions } from "@workbridge/genesys-emulator/testing"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { loadConfig } from "../src/config/Config.js"
import { type ServiceProcess, spawnService, stopServices } from "../src/testing/child.js"
import type { TicketSyncStatus } from "../src/sync/TicketStatus.js"

const running: Array<ServiceProcess> = []
let printed: string
const dirs: Array<string> = []
let serviceUrl: string
let emulatorUrl: string
let adminId: string
let agentId: string
let agent: SdkSession
let closedId: string
let openId: string
let worktypeId: string
const vendorUrl: Record<string, string> = {}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`
const AUTH: Record<string, string> = {
  zendesk: basic("agent@example.com/token", "zendesk-api-token"),
  servicenow: basic("workbridge", "servicenow-password"),
  jira: basic("agent@example.com", "jira-api-token"),
  freshdesk: basic("freshdesk-api-key", "X"),
  github: "Bearer github-pat"
}

const api = async (source: string, method: string, p: string, body?: unknown): Promise<any> => {
  const res = await fetch(`${vendorUrl[source]}${p}`, {
    method,
    headers: { authorization: AUTH[source]!, "content-type": "application/json", accept: "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  const text = await res.text()
  if (!res.ok) throw new Error(`${source} ${method} ${p}: ${res.status} ${text}`)
  return text === "" ? undefined : JSON.parse(text)
}

const until = async <A>(what: string, f: () => Promise<A | undefined>, timeoutMs = 30_000): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await f()
      if (v !== undefined) return v
    } catch (e) {
      last = e
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

const ticketStatus = async (source: string, ticketId: string): Promise<TicketSyncStatus | undefined> => {
  const res = await fetch(`${serviceUrl}/tickets/${source}/${encodeURIComponent(ticketId)}`)
  return res.status === 200 ? ((await res.json()) as TicketSyncStatus) : undefined
}

/** The calls the service's own OAuth client made to the emulator, as its request log lists them. */
const serviceCalls = async (): Promise<Array<{ method: string; path: string }>> => {
  const res = await fetch(`${emulatorUrl}/__emulator/requests?clientId=${encodeURIComponent(adminId)}`)
  return ((await res.json()) as { requests: Array<{ method: string; path: string }> }).requests
}

/** The vendor emulator's webhook deliveries (control API). */
const deliveries = async (source: string): Promise<Array<{ state: string }>> => {
  const res = await fetch(`${vendorUrl[source]}/__emulator/webhooks`)
  return ((await res.json()) as { deliveries: Array<{ state: string }> }).deliveries
}

const inboxDepth = async (): Promise<number> => {
  const text = await (await fetch(`${serviceUrl}/metrics`)).text()
  const m = /^workbridge_inbox_depth(?:\{[^}]*\})? (\d+)/m.exec(text)
  if (m === null) throw new Error("no workbridge_inbox_depth in /metrics")
  return Number(m[1])
}

/** One vendor: how a human creates and changes a ticket, and how to read its status and internal notes back. */
interface Vendor {
  readonly source: string
  /** Creates a ticket; `ticketId` is the service's key, `ref` what the vendor's API takes. */
  create(title: string): Promise<{ ticketId: string; ref: string }>
  change(ref: string): Promise<void>
  /** A human renames the ticket. */
  rename(ref: string, title: string): Promise<void>
  /** The ticket's status in the vendor's own vocabulary. */
  status(ref: string): Promise<string>
  readonly done: ReadonlyArray<string>
  /** The status the write-back of a Closed workitem writes (the catalog's default map). */
  readonly written: string
  /** The ticket's status once the agent reopens the workitem (Closed → Open), and the status written for it. */
  readonly reopened: string
  readonly reopenWritten: string
  /** The internal notes (GitHub: the comments). */
  notes(ref: string): Promise<Array<string>>
}

const vendors: ReadonlyArray<Vendor> = [
  {
    source: "zendesk",
    create: async (title) => {
      const t = await api("zendesk", "POST", "/api/v2/tickets.json", {
        ticket: { subject: title, comment: { body: "Help" } }
      })
      return { ticketId: String(t.ticket.id), ref: String(t.ticket.id) }
    },
    change: async (ref) => {
      await api("zendesk", "PUT", `/api/v2/tickets/${ref}.json`, { ticket: { priority: "high" } })
    },
    rename: async (ref, title) => {
      await api("zendesk", "PUT", `/api/v2/tickets/${ref}.json`, { ticket: { subject: title } })
    },
    status: async (ref) => (await api("zendesk", "GET", `/api/v2/tickets/${ref}.json`)).ticket.status,
    done: ["solved"],
    written: "solved",
    reopened: "open",
    reopenWritten: "open",
    notes: async (ref) =>
      (await api("zendesk", "GET", `/api/v2/tickets/${ref}/comments.json`)).comments
        .filter((c: { public: boolean }) => !c.public)
        .map((c: { body: string }) => c.body)
  },
  {
    source: "servicenow",
    create: async (title) => {
      const r = (await api("servicenow", "POST", "/api/now/table/incident", { short_description: title })).result
      return { ticketId: r.number, ref: r.sys_id }
    },
    change: async (ref) => {
      await api("servicenow", "PATCH", `/api/now/table/incident/${ref}`, { urgency: "1" })
    },
    rename: async (ref, title) => {
      await api("servicenow", "PATCH", `/api/now/table/incident/${ref}`, { short_description: title })
    },
    status: async (ref) => (await api("servicenow", "GET", `/api/now/table/incident/${ref}`)).result.state,
    done: ["6", "7"],
    written: "7",
    reopened: "2",
    reopenWritten: "2",
    notes: async (ref) =>
      (await api("servicenow", "GET", "/api/now/table/sys_journal_field")).result
        .filter((j: { element: string; element_id: string }) => j.element === "work_notes" && j.element_id === ref)
        .map((j: { value: string }) => j.value)
  },
  {
    source: "jira",
    create: async (title) => {
      const i = await api("jira", "POST", "/rest/api/3/issue", {
        fields: { project: { key: "SUP" }, summary: title, issuetype: { name: "Task" } }
      })
      return { ticketId: String(i.id), ref: String(i.key) }
    },
    change: async (ref) => {
      await api("jira", "PUT", `/rest/api/3/issue/${ref}`, { fields: { priority: { name: "High" } } })
    },
    rename: async (ref, title) => {
      await api("jira", "PUT", `/rest/api/3/issue/${ref}`, { fields: { summary: title } })
    },
    status: async (ref) =>
      (await api("jira", "GET", `/rest/api/3/issue/${ref}`)).fields.status.statusCategory.key as string,
    done: ["done"],
    written: "category:done",
    reopened: "new",
    reopenWritten: "category:new",
    notes: async (ref) =>
      (await api("jira", "GET", `/rest/servicedeskapi/request/${ref}/comment`)).values
        .filter((c: { public: boolean }) => !c.public)
        .map((c: { body: string }) => c.body)
  },
  {
    source: "freshdesk",
    create: async (title) => {
      const t = await api("freshdesk", "POST", "/api/v2/tickets", {
        email: "a@example.com",
        subject: title,
        description: "<p>Hi</p>",
        status: 2,
        priority: 1
      })
      return { ticketId: String(t.id), ref: String(t.id) }
    },
    change: async (ref) => {
      await api("freshdesk", "PUT", `/api/v2/tickets/${ref}`, { priority: 3 })
    },
    rename: async (ref, title) => {
      await api("freshdesk", "PUT", `/api/v2/tickets/${ref}`, { subject: title })
    },
    status: async (ref) => String((await api("freshdesk", "GET", `/api/v2/tickets/${ref}`)).status),
    done: ["4", "5"],
    written: "5",
    reopened: "2",
    reopenWritten: "2",
    notes: async (ref) =>
      (await api("freshdesk", "GET", `/api/v2/tickets/${ref}/conversations`))
        .filter((c: { private: boolean }) => c.private)
        .map((c: { body: string }) => c.body)
  },
  {
    source: "github",
    create: async (title) => {
      const i = await api("github", "POST", "/repos/octo-org/helpdesk/issues", { title })
      return { ticketId: `octo-org/helpdesk#${i.number}`, ref: String(i.number) }
    },
    change: async (ref) => {
      await api("github", "PATCH", `/repos/octo-org/helpdesk/issues/${ref}`, { labels: ["P1"] })
    },
    rename: async (ref, title) => {
      await api("github", "PATCH", `/repos/octo-org/helpdesk/issues/${ref}`, { title })
    },
    status: async (ref) => (await api("github", "GET", `/repos/octo-org/helpdesk/issues/${ref}`)).state,
    done: ["closed"],
    written: "closed",
    reopened: "open",
    reopenWritten: "open",
    notes: async (ref) =>
      (await api("github", "GET", `/repos/octo-org/helpdesk/issues/${ref}/comments`)).map(
        (c: { body: string }) => c.body
      )
  }
]

beforeAll(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wb-wbdemo-"))
  dirs.push(dir)
  // `pnpm start` with nothing configured; only the ports are left to the system and the data go to a fresh dir.
  const env = { PORT: "0", GENESYS_EMULATOR_PORT: "0", WORKBRIDGE_DATA_DIR: dir }
  const p = spawnService(env)
  running.push(p)
  serviceUrl = await p.ready
  await until(
    "the write-back instructions",
    // The last start-up line, whole: the agent's reopen command.
    async () => (/^ {2}reopen it: .*\n/m.test(p.output()) ? true : undefined),
    60_000
  )
  const out = p.output()
  printed = out
  emulatorUrl = /the bundled LOCAL EMULATOR at (\S+)/.exec(out)![1]!
  for (const source of ["zendesk", "servicenow", "jira", "freshdesk", "github"])
    vendorUrl[source] = new RegExp(`^ {2}${source} +(http://\\S+)`, "m").exec(out)![1]!
  // The bundled emulator's admin client is the service's own (its default credentials: nothing is configured).
  const g = loadConfig(env, dir).genesys
  if (g._tag !== "Embedded") throw new Error("the demo runs the bundled emulator")
  adminId = g.adminId
  expect(out).toContain(`admin client ${adminId}`)

  // An agent: a second OAuth client with a role that may view and edit workitems, created through the SDK.
  const admin = await login(emulatorUrl, g.adminId, g.adminSecret)
  const role = (
    await call<{ id: string }>(
      admin.authz.postAuthorizationRoles({
        name: "Test agents",
        permissionPolicies: [
          { domain: "workitems", entityName: "workitem", actionSet: ["view", "edit"] },
          { domain: "workitems", entityName: "status", actionSet: ["view"] }
        ]
      } as never)
    )
  ).body
  const home = (await call<{ id: string }>(admin.authz.getAuthorizationDivisionsHome())).body
  const client = (
    await call<{ id: string; secret: string }>(
      admin.oauth.postOauthClients({
        name: "Test agent desktop",
        authorizedGrantType: "CLIENT-CREDENTIALS",
        roleDivisions: [{ roleId: role.id, divisionId: home.id }]
      } as never)
    )
  ).body
  agentId = client.id
  agent = await login(emulatorUrl, client.id, client.secret)
  worktypeId = /worktypes\/(\S+)\/statuses/.exec(out)![1]!
  const statuses = (
    await call<{ entities: Array<{ id: string; name: string }> }>(
      agent.tm.getTaskmanagementWorktypeStatuses(worktypeId)
    )
  ).body.entities
  // The write-back reconciliation's pass at start (one workitem query by the service's client) is over before any
  // test counts the service's calls.
  await until("the write-back reconciliation's pass at start", async () =>
    (await serviceCalls()).some((c) => c.method === "POST" && c.path.endsWith("/workitems/query")) ? true : undefined
  )
  closedId = statuses.find((s) => s.name === "Closed")!.id
  openId = statuses.find((s) => s.name === "Open")!.id
}, 120_000)

afterAll(async () => {
  await stopServices(running)
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true })
})

/** The workitems of a ticket, found by its Workbridge custom fields (through the agent, not the service's client). */
const workitemsOf = async (source: string, ticketId: string): Promise<Array<{ id: string }>> => {
  const r = await call<{ entities: Array<{ id: string }> }>(
    agent.tm.postTaskmanagementWorkitemsQuery({
      filters: [
        { name: "typeId", type: "String", operator: "EQ", values: [worktypeId] },
        { name: "customFields.ticket_id_identifier", type: "String", operator: "EQ", values: [ticketId] },
        { name: "customFields.source_system_enum", type: "String", operator: "EQ", values: [source] }
      ],
      pageSize: 25
    } as never)
  )
  if (r.status !== 200) throw new Error(`workitem query: ${r.status} ${JSON.stringify(r.body)}`)
  return r.body.entities
}

/** Waits until the vendor's webhooks are all answered, the ticket has nothing pending and the inbox is empty. */
const settled = async (v: Vendor, ticketId: string, ok: (s: TicketSyncStatus) => boolean) =>
  until(`${v.source} ${ticketId} settled`, async () => {
    const ds = await deliveries(v.source)
    if (ds.some((d) => d.state === "pending")) return undefined
    const s = await ticketStatus(v.source, ticketId)
    if (s === undefined || s.pendingEvents !== 0 || !ok(s)) return undefined
    return (await inboxDepth()) === 0 ? s : undefined
  })

describe("write-back in the demo (pnpm start, every helpdesk emulator)", () => {
  for (const v of vendors) {
    it(`${v.source}: a ticket → one workitem; the agent closes it → the ticket is done with an internal note, then reopens it → the ticket is open again; the vendor's webhooks cost no Genesys call`, async () => {
      // A human creates the ticket and changes it, in the helpdesk.
      const { ticketId, ref } = await v.create(`Write-back ${v.source}`)
      const linked = await until("the workitem", async () => {
        const s = await ticketStatus(v.source, ticketId)
        return s?.workitemId !== undefined && s.pendingEvents === 0 ? s : undefined
      })
      // A human's next change comes a moment later (the vendors' timestamps have whole seconds).
      await new Promise((r) => setTimeout(r, 1100))
      await v.change(ref)
      const changed = await settled(v, ticketId, (s) => s.appliedRevision !== linked.appliedRevision)
      const workitemId = linked.workitemId!
      expect((await workitemsOf(v.source, ticketId)).map((w) => w.id)).toEqual([workitemId])
      // The service's own writes raised events the trigger leaves out: no workflow ran for this workitem yet.
      expect(await waitForExecutions(emulatorUrl, { workitemId }, 0)).toEqual([])
      expect(v.done).not.toContain(await v.status(ref))

      // The agent closes the workitem through the SDK (a moment later: the echo is a newer revision of the ticket).
      await new Promise((r) => setTimeout(r, 1100))
      const callsBefore = (await serviceCalls()).length
      expect(callsBefore).toBeGreaterThan(0) // the log names the service's client: its create and update are there
      const deliveriesBefore = (await deliveries(v.source)).length
      const patched = await call(agent.tm.patchTaskmanagementWorkitem(workitemId, { statusId: closedId } as never))
      expect(patched.status).toBe(200)
      const executions = await waitForExecutions(emulatorUrl, { workitemId }, 1, 30_000)
      expect(executions.map((e) => [e.status, e.httpStatus])).toEqual([["succeeded", 202]])

      // The ticket reaches the vendor's done status, with an internal note naming the agent and linking the workitem.
      // (The status and the note are separate calls for some vendors: wait for both.)
      const note = await until(`${v.source} ${ref} done, with the note`, async () =>
        v.done.includes(await v.status(ref))
          ? (await v.notes(ref)).find((n) => n.includes("Genesys Cloud: workitem"))
          : undefined
      )
      expect(note).toContain("set to Closed")
      expect(note).toContain(`Agent: ${agentId}`)
      expect(note).toContain(`Workitem: ${emulatorUrl}/api/v2/taskmanagement/workitems/${workitemId}`)

      // The vendor's webhook of that change arrives and is absorbed: zero Genesys calls by the service's client.
      const s = await settled(
        v,
        ticketId,
        (x) => x.writeBack?.outcome === "written" && x.appliedRevision !== changed.appliedRevision
      )
      const sent = (await deliveries(v.source)).slice(deliveriesBefore)
      expect(sent.length).toBeGreaterThanOrEqual(1)
      expect(sent.map((d) => d.state)).toEqual(sent.map(() => "sent"))
      expect(s.writeBack).toMatchObject({ status: v.written, pending: false })
      expect((await serviceCalls()).slice(callsBefore)).toEqual([])
      // Nothing ran again in Genesys, and the workitem keeps the agent's status.
      expect(await waitForExecutions(emulatorUrl, { workitemId }, 1)).toHaveLength(1)
      const after = (await call<{ status?: { id: string } }>(agent.tm.getTaskmanagementWorkitem(workitemId))).body
      expect(after.status?.id).toBe(closedId)

      // A human's later change in the helpdesk is applied forward and leaves the agent's status alone.
      await new Promise((r) => setTimeout(r, 1100))
      const renameCallsBefore = (await serviceCalls()).length
      await v.rename(ref, `Renamed ${v.source}`)
      const renamed = await settled(v, ticketId, (x) => x.appliedRevision !== s.appliedRevision)
      expect(renamed.lastError).toBeUndefined()
      const later = (
        await call<{ name: string; status?: { id: string } }>(agent.tm.getTaskmanagementWorkitem(workitemId))
      ).body
      expect([later.name, later.status?.id]).toEqual([`Renamed ${v.source}`, closedId])
      expect((await serviceCalls()).slice(renameCallsBefore).map((c) => c.method)).toContain("PATCH")

      // The agent reopens the workitem (Closed → Open): the ticket is open again, with a note; its echo costs nothing.
      await new Promise((r) => setTimeout(r, 1100))
      const reopenCallsBefore = (await serviceCalls()).length
      const reopenDeliveriesBefore = (await deliveries(v.source)).length
      const reopen = await call(agent.tm.patchTaskmanagementWorkitem(workitemId, { statusId: openId } as never))
      expect(reopen.status).toBe(200)
      const again = await waitForExecutions(emulatorUrl, { workitemId }, 2, 30_000)
      expect(again.map((e) => [e.status, e.httpStatus])).toEqual([
        ["succeeded", 202],
        ["succeeded", 202]
      ])
      const reopenNotes = await until(`${v.source} ${ref} reopened, with the note`, async () => {
        if ((await v.status(ref)) !== v.reopened) return undefined
        const found = (await v.notes(ref)).filter((n) => n.includes("set to Open") && n.includes(`Agent: ${agentId}`))
        return found.length > 0 ? found : undefined
      })
      expect(reopenNotes).toHaveLength(1)
      const r = await settled(
        v,
        ticketId,
        (x) => x.writeBack?.status === v.reopenWritten && x.appliedRevision !== renamed.appliedRevision
      )
      expect(r.writeBack).toMatchObject({ outcome: "written", pending: false })
      const reopenSent = (await deliveries(v.source)).slice(reopenDeliveriesBefore)
      expect(reopenSent.length).toBeGreaterThanOrEqual(1)
      expect(reopenSent.map((d) => d.state)).toEqual(reopenSent.map(() => "sent"))
      expect((await serviceCalls()).slice(reopenCallsBefore)).toEqual([])
      expect(await waitForExecutions(emulatorUrl, { workitemId }, 2)).toHaveLength(2)
      const reopenedWorkitem = (await call<{ status?: { id: string } }>(agent.tm.getTaskmanagementWorkitem(workitemId)))
        .body
      expect(reopenedWorkitem.status?.id).toBe(openId)
    }, 120_000)
  }

  it("the printed instructions work: the demo agent's token, then its close and reopen of a Zendesk workitem", async () => {
    const { ticketId, ref } = await vendors[0]!.create("Printed instructions")
    const linked = await until("the workitem", async () => {
      const s = await ticketStatus("zendesk", ticketId)
      return s?.workitemId !== undefined && s.pendingEvents === 0 ? s : undefined
    })
    // TOKEN=$(curl -s -X POST <emulator>/oauth/token -u '<id>:<secret>' -d grant_type=client_credentials | …)
    const [, tokenUrl, credentials] =
      /TOKEN=\$\(curl -s -X POST (\S+) -u '([^']+)' -d grant_type=client_credentials/.exec(printed)!
    const token = (
      (await (
        await fetch(tokenUrl!, {
          method: "POST",
          headers: {
            authorization: `Basic ${Buffer.from(credentials!).toString("base64")}`,
            "content-type": "application/x-www-form-urlencoded"
          },
          body: "grant_type=client_credentials"
        })
      ).json()) as { access_token: string }
    ).access_token
    const demoAgentId = credentials!.split(":")[0]!
    // curl -X PATCH <emulator>/api/v2/taskmanagement/workitems/<workitemId> -H … -d '{"statusId":"…"}'
    const commands = [
      ...printed.matchAll(/curl -X PATCH (\S+) -H "Authorization: Bearer \$TOKEN" -H '[^']+' -d '([^']+)'/g)
    ]
    expect(commands).toHaveLength(2) // close, reopen
    const run = async (command: RegExpMatchArray) => {
      const res = await fetch(command[1]!.replace("<workitemId>", linked.workitemId!), {
        method: "PATCH",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: command[2]!
      })
      expect(res.status).toBe(200)
    }
    await new Promise((r) => setTimeout(r, 1100))
    await run(commands[0]!)
    await until("the ticket solved", async () => ((await vendors[0]!.status(ref)) === "solved" ? true : undefined))
    expect((await vendors[0]!.notes(ref)).join("\n")).toContain(`Agent: ${demoAgentId}`)
    await settled(vendors[0]!, ticketId, (s) => s.writeBack?.status === "solved")
    await new Promise((r) => setTimeout(r, 1100))
    await run(commands[1]!)
    await until("the ticket open again", async () => ((await vendors[0]!.status(ref)) === "open" ? true : undefined))
  }, 60_000)
})
