/**
 * The two-way chaos run (`pnpm test:chaos --two-way`): humans change tickets in the five helpdesk emulators while
 * agents close and reopen the tickets' workitems in the Genesys emulator, both at once; the helpdesks send their
 * webhooks to the service and the provisioned trigger → workflow → Data Action chain sends the agents' changes to
 * it. Meanwhile webhooks are delivered twice (a replayed earlier delivery: a duplicate that also arrives out of
 * order), the service is killed with SIGKILL and restarted, and the helpdesks answer 429 to every read for a while.
 *
 * Once everything has drained it checks, per ticket, what the ownership rules promise (docs/write-back.md, "The both
 * rule"; the default catalog's status flows both ways, the newer change wins):
 *
 * - exactly one workitem per ticket, and the service at the helpdesk's newest revision (no forward change lost);
 * - the newest status change was a human's in the helpdesk: the helpdesk still shows it (no write-back of an older
 *   agent change overwrote it), and the workitem's status agrees with it;
 * - the newest status change was an agent's to a status with a write-back mapping (`writeBackStatus`; in the
 *   default catalog a close, Resolved or Closed, and a reopen, Open or In Progress): the helpdesk shows the status it
 *   maps to (no write-back lost) and the workitem still has a status mapping to the same one;
 * - the newest status change was an agent's to a status without one (a deployment's unmapped status): nothing is
 *   written back, so the helpdesk keeps its own status; the workitem keeps the agent's status;
 * - "agree" means: the workitem's status is the one the helpdesk's status maps to (`statusMapping`), or both write
 *   back to the same helpdesk status (`writeBackStatus`: a Closed workitem and a Zendesk ticket at `solved`);
 * - no loop: the service's workitem writes (the Genesys emulator's request log, by the service's OAuth client) stay
 *   within 2 × the helpdesk changes (creations included) + tickets, and its helpdesk writes (the helpdesk emulators'
 *   request logs, less the humans' own) within 2 × the agents' changes + tickets;
 * - the 429 burst: the service's reads were refused meanwhile, forward changes kept reaching Genesys, and nothing
 *   above was lost.
 *
 * Time: the Genesys emulator and the helpdesk emulators share one clock that moves to the next whole second on every
 * write to a helpdesk (humans' and the service's alike), so helpdesks whose revisions are update times in seconds
 * (GitHub, Freshdesk) give every change its own revision, and a helpdesk's timestamps and the workitems'
 * `dateModified` compare as the service compares them. A ticket's human and agent changes are made one after another
 * (never two at once on one ticket: the humans' order is the truth the checks use); everything else is concurrent.
 */
import { setTimeout as sleep } from "node:timers/promises"
import {
  customFieldKey,
  defaultCatalog,
  compareRevision,
  normalizeTicket,
  writeBackStatus,
  writeBackStatusMap
} from "@workbridge/catalog"
import { type Core, prng, type Running } from "@workbridge/helpdesk-emulators"
import { sourceVariable } from "@workbridge/adapters"
import { Effect, Either } from "effect"
import platformClient from "purecloud-platform-client-v2"
import { allWorkitems, openSession, sdkCall, sdkClient } from "../src/genesys.js"
import { type Stack, startStack } from "../src/stack.js"
import { VENDORS } from "./helpdesks.js"

export interface TwoWayOptions {
  /** Tickets in all, spread over the five helpdesks. */
  readonly tickets: number
  /** Human changes per ticket in its helpdesk after its creation (half of them set the status, Jira's none). */
  readonly helpdeskChanges: number
  /** Agent changes per ticket (a close, or a reopen of a closed workitem). */
  readonly agentChanges: number
  /** SIGKILL + restart of the service during the run. */
  readonly kills: number
  /** Share 0..1 of human changes after which an earlier webhook of the same helpdesk is delivered again. */
  readonly duplicateShare: number
  /** Human and agent changes in flight. */
  readonly concurrency: number
  /** Mean pause (ms) before each change, per worker (drawn from 0 … 2 × this): how fast humans and agents act. */
  readonly paceMs: number
  /** How long every helpdesk answers 429 to every read, from the middle of the run; 0: no burst. */
  readonly burstMs: number
  readonly seed: number
  readonly log?: (line: string) => void
  readonly logFile?: string
}

export interface TwoWayReport {
  readonly ok: boolean
  readonly seed: number
  readonly tickets: number
  readonly seconds: number
  /** What humans and agents did. */
  readonly changes: {
    /** Creations and later changes through the helpdesks' APIs. */
    readonly helpdesk: number
    readonly helpdeskStatus: number
    readonly agent: number
    /** Agent PATCHes refused (the workitem had moved meanwhile: the transition was not allowed) and made again. */
    readonly agentRetried: number
  }
  /** Writes made by the service, against the bounds. */
  readonly writes: {
    readonly genesys: number
    readonly genesysBound: number
    readonly genesysRefused: number
    readonly helpdesk: number
    readonly helpdeskBound: number
  }
  readonly kills: number
  readonly webhooks: {
    readonly sent: number
    /** Deliveries that failed at least once (the service was down) and were sent again. */
    readonly redelivered: number
    /** Earlier deliveries sent again on purpose. */
    readonly duplicates: number
  }
  readonly workflows: {
    readonly executions: number
    readonly failed: number
    /** Executions that needed more than one attempt (the service was down or busy). */
    readonly retried: number
  }
  readonly burst: {
    readonly ms: number
    /** 429s the helpdesks answered the service meanwhile. */
    readonly refused: number
    /** Workitem writes the service made meanwhile (the forward direction kept going). */
    readonly forwardWrites: number
    /** Agent changes made meanwhile (their write-backs had to wait). */
    readonly agentChanges: number
  }
  /** Tickets whose newest status change was an agent's to a status with no write-back mapping (kept in Genesys only). */
  readonly reopenedInGenesysOnly: number
  readonly lost: number
  readonly disagreements: number
  readonly violations: ReadonlyArray<Violation>
  readonly drainSeconds: number
}

/**
 * What a violation breaks. The ownership kinds are the "newest change wins" promises per ticket; the others are the
 * run's plumbing (one workitem each, no forward change or agent change lost on the way, bounded writes, the burst).
 */
export type ViolationKind =
  | "drain"
  | "one-workitem"
  | "forward-lost"
  | "delivery"
  | "bound"
  | "burst"
  /** The helpdesk's newest status change was replaced by a write-back of an older agent change. */
  | "helpdesk-overwritten"
  /** After the helpdesk's newest status change the workitem's status does not agree with it. */
  | "disagree"
  /** An agent's newest status change with no write-back mapping was replaced in Genesys. */
  | "agent-overwritten"
  /** An agent's newest status change to a status with a write-back mapping never reached the helpdesk. */
  | "write-back-lost"
  /** An agent's newest status change was written back, but the workitem was moved off it afterwards. */
  | "workitem-moved"
  /** The ticket's write-back state still says pending although nothing is left to write. */
  | "stale-pending"

export const OWNERSHIP_KINDS: ReadonlyArray<ViolationKind> = [
  "helpdesk-overwritten",
  "disagree",
  "agent-overwritten",
  "write-back-lost",
  "workitem-moved",
  "stale-pending"
]

export interface Violation {
  readonly kind: ViolationKind
  readonly text: string
}

const DATA_ACTION_AUTH = "genesys:two-way-chaos"
/** Long enough for a workflow's Data Action call to outlast a service restart (the emulator's default is ~5 s). */
const WORKFLOW_RETRY_DELAYS_MS = [500, 1000, 2000, 4000, 8000, 15_000, 30_000, 60_000]

/** How long the run may take to settle once the changes are made. */
const DRAIN_TIMEOUT_MS = 180_000

interface Ticket {
  readonly vendor: number
  readonly source: string
  readonly ticketId: string
  readonly handle: string
  workitemId: string
  /** The newest status change: a human's in the helpdesk (its status as `readStatus` names it) or an agent's. */
  last: { readonly side: "helpdesk" | "agent"; readonly status: string }
  /** What humans and agents did to it, for the violations' text. */
  readonly history: Array<string>
}

/** One clock for every emulator: real time, moved on to the next whole second by `nextSecond`. */
const sharedClock = () => {
  let offset = 0
  const now = () => Date.now() + offset
  return {
    now,
    nextSecond: () => {
      offset += 1000 - (now() % 1000)
    }
  }
}

const body = <T>(r: unknown): T => ((r as { body?: unknown }).body ?? r) as T

/** A second OAuth client allowed to view and edit workitems: the agents' desktop. */
const agentApi = async (stack: Stack) => {
  const admin = sdkClient(stack.emulator.url)
  await admin.loginClientCredentialsGrant(stack.emulator.adminClientId, stack.emulator.adminClientSecret)
  const authz = new platformClient.AuthorizationApi(admin)
  const role = body<{ id: string }>(
    await authz.postAuthorizationRoles({
      name: "Chaos agents",
      permissionPolicies: [
        { domain: "workitems", entityName: "workitem", actionSet: ["view", "edit"] },
        { domain: "workitems", entityName: "status", actionSet: ["view"] }
      ]
    } as never)
  )
  const home = body<{ id: string }>(await authz.getAuthorizationDivisionsHome())
  const client = body<{ id: string; secret: string }>(
    await new platformClient.OAuthApi(admin).postOauthClients({
      name: "chaos-agent-desktop",
      authorizedGrantType: "CLIENT-CREDENTIALS",
      roleDivisions: [{ roleId: role.id, divisionId: home.id }]
    } as never)
  )
  const sdk = sdkClient(stack.emulator.url)
  await sdk.loginClientCredentialsGrant(client.id, client.secret)
  return { clientId: client.id, tm: new platformClient.TaskManagementApi(sdk) }
}

const isWrite = (method: string) => method !== "GET" && method !== "HEAD" && method !== "OPTIONS"

export const runTwoWayChaos = async (options: TwoWayOptions): Promise<TwoWayReport> => {
  const started = Date.now()
  const log = options.log ?? (() => undefined)
  const random = prng(options.seed)
  const pick = (n: number) => Math.floor(random() * n)
  const clock = sharedClock()
  const origin = clock.now()
  log(`shared clock origin ${new Date(origin).toISOString()} (${origin})`)
  /** The shared clock's seconds since the start, for the tickets' histories. */
  const at = () => `${((clock.now() - origin) / 1000).toFixed(3)}s`
  const onRequest = (method: string, path: string) => {
    if (isWrite(method) && !path.startsWith("/__emulator")) clock.nextSecond()
  }
  const emulators: Array<Running & { core: Core }> = await Promise.all(
    VENDORS.map((v) => v.start(clock.now, onRequest))
  )
  const env: Record<string, string> = {}
  const webhookEnv: Record<string, string> = {}
  VENDORS.forEach((v, i) => {
    Object.assign(env, v.apiEnv(emulators[i]!.url), {
      [sourceVariable("WORKBRIDGE_RECONCILE_INTERVAL", v.name)]: "0",
      // The run is about ordering and loss, not about the write budget: room for every write-back at once.
      [sourceVariable("WORKBRIDGE_WRITE_BUDGET", v.name)]: "6000"
    })
    Object.assign(webhookEnv, v.webhookEnv)
  })
  let stack: Stack
  try {
    stack = await startStack({
      rateLimitPerMinute: 6000,
      workitemUpdatesPerMinute: 600,
      webhookEnv,
      seed: options.seed,
      namePrefix: `TwoWay${options.seed}`,
      clock: clock.now,
      writeBack: { dataActionBasicAuth: DATA_ACTION_AUTH, workflowRetryDelaysMs: WORKFLOW_RETRY_DELAYS_MS },
      log,
      serviceEnv: {
        ...env,
        LOG_LEVEL: process.env["TWO_WAY_LOG_LEVEL"] ?? "info",
        WORKBRIDGE_COALESCE_MS: "50",
        // Zendesk signs with the shared clock, which runs ahead of the service's by a second per helpdesk write.
        WORKBRIDGE_WEBHOOK_TOLERANCE_SECONDS: "86400"
      },
      ...(options.logFile === undefined ? {} : { logFile: options.logFile })
    })
  } catch (e) {
    await Promise.all(emulators.map((x) => x.close().catch(() => undefined)))
    throw e
  }
  const service = stack.service.url
  const statusName = new Map(Object.entries(stack.statusIds).map(([name, id]) => [id, name]))
  const statusId = (name: string) => stack.statusIds[name]!
  const closing = new Set(["Resolved", "Closed"])

  // The emulator's request log, counted as it goes (and emptied, so a long run never overflows it).
  const genesys = { writes: 0, refused: 0, agentWrites: 0, burstWrites: 0 }
  let burstWindow: { from: number; to: number } | undefined
  let agentClientId = ""
  const pumpRequests = () => {
    const rs = stack.emulator.requests()
    stack.emulator.clearRequests()
    for (const r of rs) {
      if (!isWrite(r.method) || r.route === undefined || !r.route.includes("/taskmanagement/workitems")) continue
      if (r.route.endsWith("/query")) continue
      const ok = r.status >= 200 && r.status < 300
      if (r.clientId === stack.serviceClientId) {
        if (ok) genesys.writes++
        else genesys.refused++
        const at = Date.parse(r.at)
        if (ok && burstWindow !== undefined && at >= burstWindow.from && at <= burstWindow.to) genesys.burstWrites++
      } else if (r.clientId === agentClientId && ok) genesys.agentWrites++
    }
  }
  const pump = setInterval(pumpRequests, 250)

  try {
    const agent = await agentApi(stack)
    agentClientId = agent.clientId
    for (const [i, v] of VENDORS.entries())
      emulators[i]!.core.configureWebhooks({
        url: `${service}/webhooks/${v.name}`,
        credentials: v.creds,
        // The vendors' own redelivery (where they have one), minutes shrunk to a fraction of a second.
        retryDelayScale: 0.002
      })
    log(
      `two-way: ${options.tickets} tickets in five helpdesks · service ${service} · Genesys ${stack.emulator.url} · write-back trigger ${stack.writeBack?.triggerId}`
    )

    // Humans' writes through the helpdesks' APIs (to tell the service's apart in the request logs).
    const humanWrites = VENDORS.map(() => 0)
    let helpdeskChanges = 0
    let helpdeskStatusChanges = 0
    let agentChanges = 0
    let agentRetried = 0
    let agentChangesInBurst = 0
    let duplicates = 0

    // 1. The tickets, each synced forward to its workitem.
    const tickets: Array<Ticket> = []
    const createOne = async (n: number) => {
      const vendor = n % VENDORS.length
      const v = VENDORS[vendor]!
      const created = await v.create(emulators[vendor]!.url, n)
      humanWrites[vendor]!++
      helpdeskChanges++
      tickets.push({
        vendor,
        source: v.name,
        ...created,
        workitemId: "",
        last: { side: "helpdesk", status: v.createdStatus },
        history: [`${at()} created (${v.createdStatus})`]
      })
    }
    await pool(
      Array.from({ length: options.tickets }, (_, n) => n),
      options.concurrency,
      createOne
    )
    tickets.sort((a, b) => a.vendor - b.vendor || a.ticketId.localeCompare(b.ticketId))
    const ticketStatus = async (t: Ticket) => {
      const res = await fetch(`${service}/tickets/${t.source}/${encodeURIComponent(t.ticketId)}`)
      return res.status === 404
        ? undefined
        : ((await res.json()) as {
            workitemId?: string
            appliedRevision?: string
            pendingEvents: number
            writeBack?: { pending: boolean }
          })
    }
    for (const t of tickets) {
      const deadline = Date.now() + 120_000
      for (;;) {
        const s = await ticketStatus(t)
        if (s?.workitemId !== undefined) {
          t.workitemId = s.workitemId
          break
        }
        if (Date.now() > deadline) throw new Error(`${t.source}/${t.ticketId}: no workitem within 120 s`)
        await sleep(100)
      }
    }
    log(`${tickets.length} tickets created and synced forward`)

    // 2. Both directions at once.
    const humanChange = async (t: Ticket) => {
      const v = VENDORS[t.vendor]!
      const core = emulators[t.vendor]!.core
      const which = pick(v.changes.length)
      const before = v.peekStatus(emulators[t.vendor]!, t.handle)
      const answer = await v.changes[which]!(emulators[t.vendor]!.url, t.handle, pick)
      humanWrites[t.vendor]!++
      helpdeskChanges++
      const status = which === 0 && v.statusChange ? v.statusOf(answer) : undefined
      if (which === 0 && v.statusChange && status === undefined)
        throw new Error(`${t.source}/${t.ticketId}: the status change answered no status`)
      // Setting the status a ticket already has is no status change (no webhook says the status changed).
      if (status !== undefined && status !== before) {
        t.last = { side: "helpdesk", status }
        helpdeskStatusChanges++
        t.history.push(`${at()} helpdesk ${before}→${status}`)
      } else t.history.push(`${at()} helpdesk other`)
      if (random() < options.duplicateShare) {
        const sent = core.deliveries.filter((d) => d.state === "sent")
        const again = sent[pick(sent.length)]
        if (again !== undefined) {
          duplicates++
          void core.replay([again.id])
        }
      }
    }
    const agentChange = async (t: Ticket) => {
      for (let attempt = 0; ; attempt++) {
        const w = await sdkCall<{ status?: { id?: string } }>("agent read", () =>
          agent.tm.getTaskmanagementWorkitem(t.workitemId)
        )
        const current = statusName.get(w.status?.id ?? "") ?? "Open"
        const target = closing.has(current)
          ? current === "Resolved" && pick(3) === 0
            ? "Closed"
            : "Open"
          : pick(2) === 0
            ? "Resolved"
            : "Closed"
        try {
          await sdkCall("agent change", () =>
            agent.tm.patchTaskmanagementWorkitem(t.workitemId, { statusId: statusId(target) } as never)
          )
        } catch (e) {
          // Refused: the service moved the workitem between the read and the PATCH; read again and decide again.
          if (attempt < 5 && /HTTP 400/.test(String(e))) {
            agentRetried++
            continue
          }
          throw e
        }
        t.last = { side: "agent", status: target }
        t.history.push(`${at()} agent ${current}→${target}`)
        agentChanges++
        if (burstWindow !== undefined && clock.now() <= burstWindow.to) agentChangesInBurst++
        return
      }
    }
    const plan: Array<{ readonly t: Ticket; readonly side: "helpdesk" | "agent" }> = []
    for (const t of tickets) {
      for (let i = 0; i < options.helpdeskChanges; i++) plan.push({ t, side: "helpdesk" })
      for (let i = 0; i < options.agentChanges; i++) plan.push({ t, side: "agent" })
    }
    for (let i = plan.length - 1; i > 0; i--) {
      const j = pick(i + 1)
      ;[plan[i], plan[j]] = [plan[j]!, plan[i]!]
    }

    let done = 0
    let kills = 0
    let redelivered = 0
    const redeliverFailed = () => {
      let n = 0
      for (const e of emulators) {
        const failed = e.core.deliveries.filter((d) => d.state === "failed").map((d) => d.id)
        n += failed.length
        if (failed.length > 0) void e.core.replay(failed)
      }
      redelivered += n
      return n
    }
    const killAt = Array.from({ length: options.kills }, (_, i) =>
      Math.floor((plan.length * (i + 1)) / (options.kills + 1))
    )
    const burstAt = options.burstMs > 0 ? Math.floor(plan.length * 0.4) : Number.POSITIVE_INFINITY
    let burstRefused = 0
    let burstStarted = false
    let running = true
    const burst = async () => {
      const from = clock.now()
      burstWindow = { from, to: Number.POSITIVE_INFINITY }
      const before = emulators.map((e) => e.core.requests.length)
      for (const e of emulators) e.core.addFault({ kind: "rateLimit", method: "GET", retryAfterSeconds: 1 })
      log(`429 burst: every helpdesk read refused for ${options.burstMs} ms`)
      await sleep(options.burstMs)
      await Promise.all(emulators.map((e) => fetch(`${e.url}/__emulator/faults`, { method: "DELETE" })))
      burstWindow = { from, to: clock.now() }
      burstRefused = emulators.reduce(
        (n, e, i) => n + e.core.requests.slice(before[i]).filter((r) => r.status === 429).length,
        0
      )
      log(`429 burst over: ${burstRefused} reads refused`)
    }
    let burstOn = false
    // Kills and the burst take turns (a burst while the service is down would refuse nothing); a kill not reached
    // while the changes were being made happens once they are done.
    const monkey = (async () => {
      const pending: Array<Promise<void>> = []
      while (running || kills < killAt.length) {
        if (!burstOn && kills < killAt.length && done >= killAt[kills]!) {
          kills++
          await stack.service.kill9()
          log(`kill -9 #${kills} after ${done}/${plan.length} changes`)
          await sleep(200 + pick(1500))
          await stack.service.restart()
          log(`service restarted; ${redeliverFailed()} failed webhooks sent again`)
        }
        if (!burstStarted && done >= burstAt) {
          burstStarted = true
          burstOn = true
          pending.push(burst().finally(() => (burstOn = false)))
        }
        await sleep(50)
      }
      await Promise.all(pending)
    })()

    const locks = new Map<Ticket, Promise<void>>()
    await pool(plan, options.concurrency, async (a) => {
      await sleep(Math.floor(random() * 2 * options.paceMs))
      const previous = locks.get(a.t) ?? Promise.resolve()
      const mine = previous.then(() => (a.side === "helpdesk" ? humanChange(a.t) : agentChange(a.t)))
      locks.set(
        a.t,
        mine.catch(() => undefined)
      )
      await mine
      done++
      if (done % Math.max(1, Math.floor(plan.length / 10)) === 0) log(`${done}/${plan.length} changes made`)
    })
    running = false
    await monkey
    log(
      `changes done: ${helpdeskChanges} in the helpdesks (${helpdeskStatusChanges} of the status), ${agentChanges} by agents · ${kills} kills`
    )

    // 3. Drain: every webhook answered (failed ones sent again), every workflow run, the inbox empty, nothing moving.
    const drainStarted = Date.now()
    const depth = async () => {
      const text = await (await fetch(`${service}/metrics`)).text()
      return Number(/^workbridge_inbox_depth (\d+)/m.exec(text)?.[1] ?? "NaN")
    }
    const fingerprint = () =>
      JSON.stringify([
        emulators.map((e) => [e.core.requests.length, e.core.deliveries.length]),
        stack.emulator.workflowExecutions().length,
        genesys.writes
      ])
    let notDrained: string | undefined
    let lastReport = Date.now()
    for (;;) {
      let why = ""
      await Promise.all(emulators.map((e) => e.core.settle()))
      const redone = redeliverFailed()
      if (redone > 0) why = `${redone} failed webhooks sent again`
      else {
        await stack.emulator.workflowsIdle()
        const d = await depth()
        if (d !== 0) why = `inbox depth ${d}`
        else {
          pumpRequests()
          const before = fingerprint()
          await sleep(1000)
          pumpRequests()
          if (fingerprint() !== before) why = "requests still coming"
          else {
            const states = await Promise.all(tickets.map(ticketStatus))
            const busy = tickets.filter((_, i) => {
              const s = states[i]
              return s === undefined || s.pendingEvents > 0
            })
            if (busy.length === 0) break
            why = `tickets still pending: ${busy
              .slice(0, 5)
              .map(
                (t, i) =>
                  `${t.source}/${t.ticketId} ${JSON.stringify(states[tickets.indexOf(t)] ?? {})}`.slice(0, 300) +
                  (i === 4 ? " …" : "")
              )
              .join("; ")}`
          }
        }
      }
      if (Date.now() - drainStarted > DRAIN_TIMEOUT_MS) {
        notDrained = why
        break
      }
      if (Date.now() - lastReport > 15_000) {
        lastReport = Date.now()
        log(`draining: ${why}`)
      }
      await sleep(200)
    }
    const drainSeconds = (Date.now() - drainStarted) / 1000
    log(`drained in ${drainSeconds.toFixed(1)} s`)

    // 4. The checks.
    const violations: Array<Violation> = []
    const violate = (kind: ViolationKind, text: string) => void violations.push({ kind, text })
    if (notDrained !== undefined)
      violate("drain", `(all): not drained after ${DRAIN_TIMEOUT_MS / 1000} s: ${notDrained}`)
    let lost = 0
    let disagreements = 0
    let reopened = 0
    const session = await openSession(stack.reader)
    const workitems = await allWorkitems(session, stack.worktypeId)
    const fields = Object.fromEntries(defaultCatalog.fields.map((f) => [f.key, customFieldKey(f)]))
    const byTicket = new Map<string, Array<(typeof workitems)[number]>>()
    for (const w of workitems) {
      const k = `${String(w.customFields?.[fields["source_system"]!] ?? "")}/${String(w.customFields?.[fields["ticket_id"]!] ?? "")}`
      byTicket.set(k, [...(byTicket.get(k) ?? []), w])
    }
    const clients = VENDORS.map((v, i) => v.client(emulators[i]!.url))
    for (const t of tickets) {
      const name = `${t.source}/${t.ticketId}`
      const found = byTicket.get(name) ?? []
      if (found.length !== 1) {
        violate("one-workitem", `${name}: ${found.length} workitems`)
        continue
      }
      const workitem = found[0]!
      const g = statusName.get(workitem.status?.id ?? "") ?? "(unknown status)"
      const client = clients[t.vendor]!
      const read = await Effect.runPromise(client.readTicket(t.ticketId))
      const raw = await Effect.runPromise(client.readStatus(t.ticketId))
      const normalized = normalizeTicket(defaultCatalog, read.fields)
      const value = Either.isRight(normalized) ? String(normalized.right.values["status"] ?? "") : ""
      const s = await ticketStatus(t)
      if (s?.appliedRevision === undefined || compareRevision(s.appliedRevision, read.revision) < 0) {
        lost++
        violate(
          "forward-lost",
          `${name}: the service applied revision ${s?.appliedRevision ?? "none"}, the helpdesk is at ${read.revision} (a forward change lost)`
        )
      }
      const writesAs = (status: string) => writeBackStatus(defaultCatalog, t.source, status)
      const agree =
        defaultCatalog.statusMapping[value] === g ||
        (writesAs(g) !== undefined && writeBackStatusMap(defaultCatalog, t.source)[value] === writesAs(g))
      const by = (workitem as { modifiedBy?: { id?: string } }).modifiedBy?.id
      const who = by === stack.serviceClientId ? "Workbridge" : by === agentClientId ? "an agent" : (by ?? "?")
      const modified = Date.parse(String((workitem as { dateModified?: string }).dateModified ?? ""))
      const state = `helpdesk ${raw} (${value}), workitem ${g} (last changed by ${who} at ${((modified - origin) / 1000).toFixed(3)}s) · ${t.history.join(", ")}`
      if (t.last.side === "helpdesk") {
        if (raw !== t.last.status) {
          violate(
            "helpdesk-overwritten",
            `${name}: the newest change was the helpdesk's to ${t.last.status}, but ${state}`
          )
          disagreements++
        } else if (!agree) {
          violate("disagree", `${name}: disagree after the helpdesk's change to ${t.last.status}: ${state}`)
          disagreements++
        }
      } else {
        const wanted = writesAs(t.last.status)
        if (wanted === undefined) {
          // No write-back mapping for the status: the helpdesk keeps its own (docs/write-back.md).
          reopened++
          if (g !== t.last.status) {
            violate(
              "agent-overwritten",
              `${name}: the agent's ${t.last.status} (not written back) was overwritten: ${state}`
            )
            disagreements++
          }
        } else if (writeBackStatusMap(defaultCatalog, t.source)[value] !== wanted) {
          lost++
          violate(
            "write-back-lost",
            `${name}: the agent's ${t.last.status} was not written back (wanted ${wanted}): ${state}`
          )
        } else if (writesAs(g) !== wanted || !agree) {
          disagreements++
          violate(
            "workitem-moved",
            `${name}: the agent's ${t.last.status} was written back but the workitem moved: ${state}`
          )
        }
      }
    }
    for (const t of tickets) {
      const s = await ticketStatus(t)
      if (s?.writeBack?.pending === true)
        violate(
          "stale-pending",
          `${t.source}/${t.ticketId}: nothing left to write back, but ${JSON.stringify(s.writeBack)}`
        )
    }
    if (workitems.length !== tickets.length)
      violate("one-workitem", `(all): ${workitems.length} workitems for ${tickets.length} tickets`)

    const executions = stack.emulator.workflowExecutions()
    const failedExecutions = executions.filter((x) => x.status === "failed")
    for (const x of failedExecutions.slice(0, 10))
      violate("delivery", `workflow execution of workitem ${x.workitemId} failed after ${x.attempts} attempts`)
    if (genesys.agentWrites !== agentChanges)
      violate("delivery", `the emulator logged ${genesys.agentWrites} agent changes, the agents made ${agentChanges}`)

    const helpdeskWrites = emulators.reduce(
      (n, e, i) =>
        n +
        e.core.requests.filter(
          (r) => isWrite(r.method) && !r.path.startsWith("/__emulator") && r.status >= 200 && r.status < 300
        ).length -
        humanWrites[i]!,
      0
    )
    const genesysBound = 2 * helpdeskChanges + tickets.length
    const helpdeskBound = 2 * agentChanges + tickets.length
    if (genesys.writes > genesysBound)
      violate("bound", `workitem writes ${genesys.writes} exceed 2 × ${helpdeskChanges} helpdesk changes + tickets`)
    if (helpdeskWrites > helpdeskBound)
      violate("bound", `helpdesk writes ${helpdeskWrites} exceed 2 × ${agentChanges} agent changes + tickets`)
    if (options.burstMs > 0) {
      if (burstRefused === 0) violate("burst", "the 429 burst refused no read of the service")
      if (genesys.burstWrites === 0) violate("burst", "no forward write reached Genesys during the 429 burst")
    }
    const deliveries = emulators.flatMap((e) => e.core.deliveries)
    return {
      ok: violations.length === 0,
      seed: options.seed,
      tickets: tickets.length,
      seconds: (Date.now() - started) / 1000,
      changes: {
        helpdesk: helpdeskChanges,
        helpdeskStatus: helpdeskStatusChanges,
        agent: agentChanges,
        agentRetried
      },
      writes: {
        genesys: genesys.writes,
        genesysBound,
        genesysRefused: genesys.refused,
        helpdesk: helpdeskWrites,
        helpdeskBound
      },
      kills,
      webhooks: {
        sent: deliveries.filter((d) => d.state === "sent").length,
        redelivered,
        duplicates
      },
      workflows: {
        executions: executions.length,
        failed: failedExecutions.length,
        retried: executions.filter((x) => x.attempts > 1).length
      },
      burst: {
        ms: options.burstMs,
        refused: burstRefused,
        forwardWrites: genesys.burstWrites,
        agentChanges: agentChangesInBurst
      },
      reopenedInGenesysOnly: reopened,
      lost,
      disagreements,
      violations,
      drainSeconds
    }
  } finally {
    clearInterval(pump)
    await stack.close()
    await Promise.all(emulators.map((e) => e.close().catch(() => undefined)))
  }
}

/** Run `f` over `items` with at most `concurrency` at once; the first failure rejects (after the others settle). */
const pool = async <A>(items: ReadonlyArray<A>, concurrency: number, f: (a: A) => Promise<void>) => {
  let next = 0
  let failure: unknown
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const item = items[next++]!
      try {
        await f(item)
      } catch (e) {
        failure ??= e
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker))
  if (failure !== undefined) throw failure
}

/** Violations per kind. */
export const countKinds = (violations: ReadonlyArray<Violation>): Partial<Record<ViolationKind, number>> => {
  const out: Partial<Record<ViolationKind, number>> = {}
  for (const v of violations) out[v.kind] = (out[v.kind] ?? 0) + 1
  return out
}

export const formatTwoWayReport = (r: TwoWayReport): string =>
  [
    `${r.ok ? "OK" : "VIOLATIONS"}: two-way, seed ${r.seed}, ${r.tickets} tickets in five helpdesks, ${r.seconds.toFixed(0)} s (drained in ${r.drainSeconds.toFixed(1)} s)`,
    `  changes: ${r.changes.helpdesk} by humans in the helpdesks (${r.changes.helpdeskStatus} of the status, creations included), ${r.changes.agent} by agents in Genesys (${r.changes.agentRetried} made again after a refused transition)`,
    `  writes by Workbridge: Genesys ${r.writes.genesys} (bound ${r.writes.genesysBound}; ${r.writes.genesysRefused} refused), helpdesks ${r.writes.helpdesk} (bound ${r.writes.helpdeskBound})`,
    `  ${r.kills} kill -9 restarts · webhooks ${r.webhooks.sent} delivered, ${r.webhooks.redelivered} sent again after failing, ${r.webhooks.duplicates} duplicates · workflow runs ${r.workflows.executions} (${r.workflows.retried} retried, ${r.workflows.failed} failed)`,
    `  429 burst ${r.burst.ms} ms: ${r.burst.refused} reads refused, ${r.burst.forwardWrites} forward writes meanwhile, ${r.burst.agentChanges} agent changes waiting`,
    `  lost ${r.lost} · disagreements ${r.disagreements} · ${r.reopenedInGenesysOnly} tickets end on an agent's status with no write-back mapping (kept in Genesys only, by the rules)`,
    ...(r.violations.length === 0
      ? []
      : [
          `  violations by kind: ${Object.entries(countKinds(r.violations))
            .map(([k, n]) => `${k} ${n}`)
            .join(", ")}`
        ]),
    ...r.violations.slice(0, 30).map((v) => `  ✗ [${v.kind}] ${v.text}`),
    ...(r.violations.length > 30 ? [`  … and ${r.violations.length - 30} more`] : [])
  ].join("\n")
