/**
 * The helpdesk chaos run (`pnpm test:chaos --drop-webhooks 0.1`): the five helpdesk emulators hold the tickets and
 * send the vendors' signed webhooks to the service on every change — dropping a share of them on purpose — while
 * tickets are created and changed through the vendors' APIs. Once the service has drained, one reconciliation pass
 * per source (`POST /reconcile/:source`) must leave every ticket at its newest revision with exactly one workitem.
 * The truth is what the helpdesk's API answers for each ticket after the run.
 */
import { setTimeout as sleep } from "node:timers/promises"
import { compareRevision, customFieldKey, defaultCatalog } from "@workbridge/catalog"
import {
  type HelpdeskClient,
  type HelpdeskWriter,
  makeFreshdeskClient,
  makeGitHubClient,
  makeJiraClient,
  makeServiceNowClient,
  makeZendeskClient
} from "@workbridge/helpdesk-clients"
import {
  type Core,
  type FreshdeskEmulator,
  type GitHubEmulator,
  prng,
  type Running,
  type ServiceNowEmulator,
  startFreshdeskEmulator,
  startGitHubEmulator,
  startJiraEmulator,
  startServiceNowEmulator,
  startZendeskEmulator,
  type ZendeskEmulator
} from "@workbridge/helpdesk-emulators"
import { type SourceCredentials, sourceVariable } from "@workbridge/adapters"
import { Effect } from "effect"
import { allWorkitems, openSession } from "../src/genesys.js"
import { startStack } from "../src/stack.js"

export interface HelpdeskChaosOptions {
  /** Tickets in all, spread over the five helpdesks. */
  readonly tickets: number
  /** Changes per ticket after its creation; default 3. */
  readonly changesPerTicket?: number
  /** Share 0..1 of webhooks the emulators drop. */
  readonly dropShare: number
  readonly seed: number
  readonly budgetPerMinute: number
  readonly log?: (line: string) => void
  readonly logFile?: string
}

export interface HelpdeskChaosReport {
  readonly ok: boolean
  readonly tickets: number
  readonly changes: number
  readonly webhooks: { readonly sent: number; readonly dropped: number }
  /** Tickets not at their newest revision (or without a workitem) once the webhooks were applied. */
  readonly staleBeforePass: number
  /** Per source: the pass's figures. */
  readonly passes: ReadonlyArray<{
    readonly source: string
    readonly ticketsRead: number
    readonly driftFound: number
    readonly repaired: number
  }>
  /** Tickets the passes repaired, in all. */
  readonly repaired: number
  readonly violations: ReadonlyArray<string>
}

const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString("base64")}`
/** A vendor API call as a human at the helpdesk makes it: the parsed answer, or an Error naming the status. */
export const call = async (url: string, method: string, auth: string, body?: unknown) => {
  const res = await fetch(url, {
    method,
    headers: { authorization: auth, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  const text = await res.text()
  if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${text.slice(0, 200)}`)
  return (text === "" ? undefined : JSON.parse(text)) as any
}

const ZD = basic("agent@example.com/token", "zendesk-api-token")
const FD = basic("freshdesk-api-key", "X")
const SN = basic("workbridge", "servicenow-password")
const JI = basic("agent@example.com", "jira-api-token")
const GH = "Bearer github-pat"
const SECRET = "helpdesk-chaos-secret"
const BASIC = "workbridge:helpdesk-chaos"

/** One helpdesk of the chaos runs: its emulator, its API as a human uses it, and the service's settings for it. */
export interface Vendor {
  readonly name: "zendesk" | "github" | "freshdesk" | "servicenow" | "jira"
  readonly creds: SourceCredentials
  readonly webhookEnv: Readonly<Record<string, string>>
  readonly start: (
    clock: () => number,
    onRequest?: (method: string, path: string) => void
  ) => Promise<Running & { core: Core }>
  readonly apiEnv: (url: string) => Readonly<Record<string, string>>
  readonly client: (url: string) => HelpdeskClient & HelpdeskWriter
  readonly create: (url: string, n: number) => Promise<{ ticketId: string; handle: string }>
  readonly changes: ReadonlyArray<(url: string, handle: string, pick: (n: number) => number) => Promise<unknown>>
  /** Whether the first entry of `changes` sets the ticket's status. */
  readonly statusChange: boolean
  /** The ticket's status as the client's `readStatus` names it, from the answer of that status change. */
  readonly statusOf: (answer: any) => string | undefined
  /** The status a new ticket has, as the client's `readStatus` names it. */
  readonly createdStatus: string
  /** The ticket's status now as `statusOf` names it, from the running emulator's own records (no API call). */
  readonly peekStatus: (emulator: Running & { core: Core }, handle: string) => string | undefined
}

export const VENDORS: ReadonlyArray<Vendor> = [
  {
    name: "zendesk",
    creds: { secret: SECRET },
    webhookEnv: { WEBHOOK_SECRET_ZENDESK: SECRET },
    start: (clock, onRequest) =>
      startZendeskEmulator({ clock, rateLimitPerMinute: 100_000, ...(onRequest === undefined ? {} : { onRequest }) }),
    apiEnv: (url) => ({
      HELPDESK_URL_ZENDESK: url,
      HELPDESK_USER_ZENDESK: "agent@example.com",
      HELPDESK_TOKEN_ZENDESK: "zendesk-api-token"
    }),
    client: (url) => makeZendeskClient({ baseUrl: url, email: "agent@example.com", apiToken: "zendesk-api-token" }),
    create: async (url, n) => {
      const t = (
        await call(`${url}/api/v2/tickets.json`, "POST", ZD, {
          ticket: { subject: `chaos ${n}`, comment: { body: "first" }, type: "question" }
        })
      ).ticket
      return { ticketId: String(t.id), handle: String(t.id) }
    },
    statusChange: true,
    statusOf: (a) => a?.ticket?.status,
    createdStatus: "new",
    peekStatus: (e, id) => (e as ZendeskEmulator).tickets.get(Number(id))?.status,
    changes: [
      (url, id, pick) =>
        call(`${url}/api/v2/tickets/${id}.json`, "PUT", ZD, {
          ticket: { status: ["open", "pending", "hold", "solved"][pick(4)] }
        }),
      (url, id, pick) =>
        call(`${url}/api/v2/tickets/${id}.json`, "PUT", ZD, {
          ticket: { priority: ["low", "normal", "high", "urgent"][pick(4)], subject: `s${pick(1000)}` }
        })
    ]
  },
  {
    name: "github",
    creds: { secret: SECRET },
    webhookEnv: { WEBHOOK_SECRET_GITHUB: SECRET },
    start: (clock, onRequest) =>
      startGitHubEmulator({ clock, rateLimitPerMinute: 100_000, ...(onRequest === undefined ? {} : { onRequest }) }),
    apiEnv: (url) => ({
      HELPDESK_URL_GITHUB: url,
      HELPDESK_TOKEN_GITHUB: "github-pat",
      HELPDESK_REPO_GITHUB: "octo-org/helpdesk"
    }),
    client: (url) => makeGitHubClient({ baseUrl: url, token: "github-pat", repository: "octo-org/helpdesk" }),
    create: async (url, n) => {
      const i = await call(`${url}/repos/octo-org/helpdesk/issues`, "POST", GH, {
        title: `chaos ${n}`,
        body: "b",
        labels: ["bug"]
      })
      return { ticketId: `octo-org/helpdesk#${i.number}`, handle: String(i.number) }
    },
    statusChange: true,
    statusOf: (a) => a?.state,
    createdStatus: "open",
    peekStatus: (e, n) => (e as GitHubEmulator).issues.get(Number(n))?.state,
    changes: [
      (url, n, pick) =>
        call(
          `${url}/repos/octo-org/helpdesk/issues/${n}`,
          "PATCH",
          GH,
          pick(2) === 0 ? { state: "closed", state_reason: "completed" } : { state: "open" }
        ),
      (url, n, pick) =>
        call(`${url}/repos/octo-org/helpdesk/issues/${n}`, "PATCH", GH, {
          title: `t${pick(1000)}`,
          body: `b${pick(1000)}`
        })
    ]
  },
  {
    name: "freshdesk",
    creds: { basicAuth: BASIC },
    webhookEnv: { WEBHOOK_BASIC_AUTH_FRESHDESK: BASIC },
    start: (clock, onRequest) =>
      startFreshdeskEmulator({ clock, rateLimitPerMinute: 100_000, ...(onRequest === undefined ? {} : { onRequest }) }),
    apiEnv: (url) => ({ HELPDESK_URL_FRESHDESK: url, HELPDESK_TOKEN_FRESHDESK: "freshdesk-api-key" }),
    client: (url) => makeFreshdeskClient({ baseUrl: url, apiKey: "freshdesk-api-key" }),
    create: async (url, n) => {
      const t = await call(`${url}/api/v2/tickets`, "POST", FD, {
        email: "c@example.com",
        subject: `chaos ${n}`,
        description: "<p>d</p>",
        status: 2,
        priority: 1,
        type: "Question"
      })
      return { ticketId: String(t.id), handle: String(t.id) }
    },
    statusChange: true,
    statusOf: (a) => (a?.status === undefined ? undefined : String(a.status)),
    createdStatus: "2",
    peekStatus: (e, id) => {
      const t = (e as FreshdeskEmulator).tickets.get(Number(id))
      return t === undefined ? undefined : String(t.status)
    },
    changes: [
      (url, id, pick) => call(`${url}/api/v2/tickets/${id}`, "PUT", FD, { status: 2 + pick(4) }),
      (url, id, pick) =>
        call(`${url}/api/v2/tickets/${id}`, "PUT", FD, { priority: 1 + pick(4), subject: `s${pick(1000)}` })
    ]
  },
  {
    name: "servicenow",
    creds: { basicAuth: BASIC },
    webhookEnv: { WEBHOOK_BASIC_AUTH_SERVICENOW: BASIC },
    start: (clock, onRequest) =>
      startServiceNowEmulator({
        clock,
        rateLimitPerMinute: 100_000,
        ...(onRequest === undefined ? {} : { onRequest })
      }),
    apiEnv: (url) => ({
      HELPDESK_URL_SERVICENOW: url,
      HELPDESK_USER_SERVICENOW: "workbridge",
      HELPDESK_TOKEN_SERVICENOW: "servicenow-password"
    }),
    client: (url) => makeServiceNowClient({ baseUrl: url, user: "workbridge", password: "servicenow-password" }),
    create: async (url, n) => {
      const r = (
        await call(`${url}/api/now/table/incident`, "POST", SN, {
          short_description: `chaos ${n}`,
          category: "software"
        })
      ).result
      return { ticketId: r.number, handle: r.sys_id }
    },
    statusChange: true,
    statusOf: (a) => a?.result?.state,
    createdStatus: "1",
    peekStatus: (e, id) => {
      const r = (e as ServiceNowEmulator).incidents.get(id)
      return r === undefined ? undefined : String(r["state"])
    },
    changes: [
      (url, id, pick) =>
        call(`${url}/api/now/table/incident/${id}`, "PATCH", SN, { state: ["1", "2", "3", "6"][pick(4)] }),
      (url, id, pick) =>
        call(`${url}/api/now/table/incident/${id}`, "PATCH", SN, {
          impact: String(1 + pick(3)),
          short_description: `s${pick(1000)}`
        })
    ]
  },
  {
    name: "jira",
    creds: { secret: SECRET },
    webhookEnv: { WEBHOOK_SECRET_JIRA: SECRET },
    start: (clock, onRequest) =>
      startJiraEmulator({ clock, rateLimitPerMinute: 100_000, ...(onRequest === undefined ? {} : { onRequest }) }),
    apiEnv: (url) => ({
      HELPDESK_URL_JIRA: url,
      HELPDESK_USER_JIRA: "agent@example.com",
      HELPDESK_TOKEN_JIRA: "jira-api-token",
      HELPDESK_JQL_JIRA: "project = SUP"
    }),
    client: (url) =>
      makeJiraClient({ baseUrl: url, email: "agent@example.com", apiToken: "jira-api-token", jql: "project = SUP" }),
    create: async (url, n) => {
      const i = await call(`${url}/rest/api/3/issue`, "POST", JI, {
        fields: { project: { key: "SUP" }, summary: `chaos ${n}`, issuetype: { name: "Bug" } }
      })
      return { ticketId: i.id, handle: i.key }
    },
    statusChange: false,
    statusOf: () => undefined,
    createdStatus: "To Do",
    peekStatus: () => undefined,
    changes: [
      (url, key, pick) =>
        call(`${url}/rest/api/3/issue/${key}`, "PUT", JI, {
          fields: { priority: { name: ["Highest", "High", "Medium", "Low"][pick(4)] } }
        }),
      (url, key, pick) => call(`${url}/rest/api/3/issue/${key}`, "PUT", JI, { fields: { summary: `s${pick(1000)}` } })
    ]
  }
]

export const runHelpdeskChaos = async (options: HelpdeskChaosOptions): Promise<HelpdeskChaosReport> => {
  const log = options.log ?? (() => undefined)
  const random = prng(options.seed)
  const pick = (n: number) => Math.floor(random() * n)
  // Each emulator's clock moves one second per change: the vendors' revisions (update times in seconds) then order
  // every change of a ticket. Zendesk's export leaves out the last minute, so its clock moves on before the pass.
  const clocks = VENDORS.map(() => {
    let now = Date.now() - 60_000
    return { now: () => now, advance: (ms: number) => void (now += ms) }
  })
  const emulators = await Promise.all(VENDORS.map((v, i) => v.start(clocks[i]!.now)))
  const apiEnv: Record<string, string> = {}
  const webhookEnv: Record<string, string> = {}
  VENDORS.forEach((v, i) => {
    Object.assign(apiEnv, v.apiEnv(emulators[i]!.url), {
      [sourceVariable("WORKBRIDGE_RECONCILE_INTERVAL", v.name)]: "0"
    })
    Object.assign(webhookEnv, v.webhookEnv)
  })
  const stack = await startStack({
    rateLimitPerMinute: options.budgetPerMinute,
    budgetPerMinute: options.budgetPerMinute,
    workitemUpdatesPerMinute: 600,
    webhookEnv,
    seed: options.seed,
    namePrefix: `HelpdeskChaos${options.seed}`,
    log,
    serviceEnv: { ...apiEnv, LOG_LEVEL: "info", WORKBRIDGE_COALESCE_MS: "50" },
    ...(options.logFile === undefined ? {} : { logFile: options.logFile })
  })
  const service = stack.service.url
  try {
    VENDORS.forEach((v, i) =>
      emulators[i]!.core.configureWebhooks({
        url: `${service}/webhooks/${v.name}`,
        credentials: v.creds,
        dropShare: options.dropShare,
        seed: options.seed + i
      })
    )
    log(
      `helpdesk emulators: ${VENDORS.map((v, i) => `${v.name} ${emulators[i]!.url}`).join(" · ")} · service ${service} · dropping ${options.dropShare * 100} % of webhooks`
    )
    const tickets: Array<{ vendor: number; ticketId: string; handle: string }> = []
    for (let n = 0; n < options.tickets; n++) {
      const vendor = n % VENDORS.length
      clocks[vendor]!.advance(1000)
      tickets.push({ vendor, ...(await VENDORS[vendor]!.create(emulators[vendor]!.url, n)) })
    }
    let changes = 0
    for (let round = 0; round < (options.changesPerTicket ?? 3); round++) {
      for (const t of tickets) {
        const v = VENDORS[t.vendor]!
        clocks[t.vendor]!.advance(1000)
        await v.changes[pick(v.changes.length)]!(emulators[t.vendor]!.url, t.handle, pick)
        changes++
      }
    }
    await Promise.all(emulators.map((e) => e.core.settle()))
    const deliveries = emulators.flatMap((e) => e.core.deliveries)
    const webhooks = {
      sent: deliveries.filter((d) => d.state === "sent").length,
      dropped: deliveries.filter((d) => d.state === "dropped").length
    }
    log(
      `${tickets.length} tickets, ${changes} changes · webhooks: ${webhooks.sent} delivered, ${webhooks.dropped} dropped`
    )

    const status = async (source: string, id: string) => {
      const res = await fetch(`${service}/tickets/${source}/${encodeURIComponent(id)}`)
      return res.status === 404
        ? undefined
        : ((await res.json()) as { workitemId?: string; appliedRevision?: string; pendingEvents: number })
    }
    const depth = async () => {
      const text = await (await fetch(`${service}/metrics`)).text()
      return Number(/^workbridge_inbox_depth (\d+)/m.exec(text)?.[1] ?? "NaN")
    }
    const drain = async () => {
      const deadline = Date.now() + 300_000
      let zeros = 0
      while (Date.now() < deadline && zeros < 3) {
        zeros = (await depth()) === 0 ? zeros + 1 : 0
        await sleep(200)
      }
    }
    await drain()
    const clients = VENDORS.map((v, i) => v.client(emulators[i]!.url))
    const truth = async (t: (typeof tickets)[number]) => Effect.runPromise(clients[t.vendor]!.readTicket(t.ticketId))
    const atNewest = async (t: (typeof tickets)[number]) => {
      const s = await status(VENDORS[t.vendor]!.name, t.ticketId)
      const read = await truth(t)
      return (
        s?.appliedRevision !== undefined &&
        s.pendingEvents === 0 &&
        compareRevision(s.appliedRevision, read.revision) >= 0
      )
    }
    let staleBeforePass = 0
    for (const t of tickets) if (!(await atNewest(t))) staleBeforePass++
    log(`after the webhooks: ${staleBeforePass} of ${tickets.length} tickets are not at their newest revision`)

    clocks[0]!.advance(65_000)
    const passes: Array<HelpdeskChaosReport["passes"][number]> = []
    for (const v of VENDORS) {
      const res = await fetch(`${service}/reconcile/${v.name}?waitMs=120000`, { method: "POST" })
      const r = (await res.json()) as { ticketsRead: number; driftFound: number; repaired: number; message?: string }
      if (res.status !== 200) throw new Error(`reconcile ${v.name}: ${res.status} ${r.message ?? ""}`)
      passes.push({ source: v.name, ticketsRead: r.ticketsRead, driftFound: r.driftFound, repaired: r.repaired })
      log(`reconcile ${v.name}: read ${r.ticketsRead}, found ${r.driftFound} behind, repaired ${r.repaired}`)
    }
    await drain()

    const violations: Array<string> = []
    const session = await openSession(stack.reader)
    const workitems = await allWorkitems(session, stack.worktypeId)
    const idKey = customFieldKey(defaultCatalog.fields.find((f) => f.key === "ticket_id")!)
    const count = new Map<string, number>()
    for (const w of workitems) {
      const id = String(w.customFields?.[idKey] ?? "")
      count.set(id, (count.get(id) ?? 0) + 1)
    }
    const perId = new Map<string, number>()
    for (const t of tickets) perId.set(t.ticketId, (perId.get(t.ticketId) ?? 0) + 1)
    for (const t of tickets) {
      const name = `${VENDORS[t.vendor]!.name}/${t.ticketId}`
      if (!(await atNewest(t))) violations.push(`${name}: not at its newest revision after the pass`)
      // Ids shared by tickets of several helpdesks (Zendesk and Freshdesk both count from 1) share the count.
      const n = count.get(t.ticketId) ?? 0
      if (n !== perId.get(t.ticketId))
        violations.push(`${name}: ${n} workitems for ${perId.get(t.ticketId)} ticket(s) with this id`)
    }
    if (workitems.length !== tickets.length)
      violations.push(`(service): ${workitems.length} workitems for ${tickets.length} tickets`)
    const repaired = passes.reduce((n, p) => n + p.repaired, 0)
    return {
      ok: violations.length === 0,
      tickets: tickets.length,
      changes,
      webhooks,
      staleBeforePass,
      passes,
      repaired,
      violations
    }
  } finally {
    await stack.close()
    await Promise.all(emulators.map((e) => e.close().catch(() => undefined)))
  }
}

export const formatHelpdeskReport = (r: HelpdeskChaosReport): string =>
  [
    `${r.ok ? "OK" : "VIOLATIONS"}: ${r.tickets} tickets in five helpdesks, ${r.changes} changes; webhooks ${r.webhooks.sent} delivered, ${r.webhooks.dropped} dropped`,
    `  ${r.staleBeforePass} tickets stale after the webhooks; the reconciliation pass repaired ${r.repaired} (${r.passes.map((p) => `${p.source} ${p.repaired}/${p.driftFound}`).join(", ")})`,
    ...r.violations.slice(0, 20).map((v) => `  ✗ ${v}`)
  ].join("\n")
