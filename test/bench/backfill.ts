/**
 * The backfill rows of `pnpm bench` (section `backfill`; `pnpm bench --only backfill` runs them alone):
 * - Genesys calls per ticket of a backfill of new tickets: the Zendesk emulator holds `tickets` tickets, and
 *   `pnpm backfill --source zendesk` (service/bin/backfill.ts, run as the pnpm script runs it) syncs them through the
 *   service — a dry run first, then the run, then a second run; each run's calls counted at the Genesys emulator;
 * - a reconciliation pass's Genesys calls per unchanged ticket: one pass over the same tickets, all in sync;
 * - the lag of live webhooks sent while a backfill of `lagTickets` new tickets drains: a new ticket is created in the
 *   Zendesk emulator every few seconds and its signed webhook sent to the service; the lag is from the webhook's 202
 *   to the workitem written (the emulator's `dateCreated`; the emulator runs in this process, on this clock).
 */
import { setTimeout as sleep } from "node:timers/promises"
import { sign } from "@workbridge/adapters"
import type { ZendeskEmulator } from "@workbridge/helpdesk-emulators"
import { runBackfillCli, ZENDESK_API_AUTH, ZENDESK_API_ENV, zendeskWithTickets } from "../src/backfill.js"
import { waitForDrain } from "../src/runStorm.js"
import { startStack, type Stack } from "../src/stack.js"
import {
  bulkFloor,
  countCalls,
  formatOperations,
  parseBackfillSummary,
  quantile,
  type BackfillSummary
} from "./backfillFigures.js"
import type { BenchRow } from "./table.js"

export interface BackfillBenchOptions {
  /** New tickets of the call-count runs (rows 1 and 2). */
  readonly tickets: number
  /** New tickets of the backfill the live webhooks are sent during (row 3). */
  readonly lagTickets: number
  /** Seconds between two live webhooks during that backfill. */
  readonly webhookEverySeconds: number
  /** Genesys budget per minute (service and emulator). */
  readonly budgetPerMinute: number
  /** Run the service's production build. */
  readonly compiled: boolean
  readonly log: (line: string) => void
}

const SECRET = "bench-zendesk-secret"
const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : "n/a")

const zendeskWith = async (n: number, log: (line: string) => void): Promise<ZendeskEmulator> => {
  const zd = await zendeskWithTickets(n)
  log(`Zendesk emulator: ${zd.tickets.size} tickets (created two hours ago)`)
  return zd
}

const stackFor = (zd: ZendeskEmulator, o: BackfillBenchOptions, namePrefix: string): Promise<Stack> =>
  startStack({
    compiled: o.compiled,
    rateLimitPerMinute: o.budgetPerMinute,
    budgetPerMinute: o.budgetPerMinute,
    webhookEnv: { WEBHOOK_SECRET_ZENDESK: SECRET },
    namePrefix,
    log: o.log,
    serviceEnv: {
      HELPDESK_URL_ZENDESK: zd.url,
      ...ZENDESK_API_ENV,
      WORKBRIDGE_RECONCILE_INTERVAL_ZENDESK: "0",
      WORKBRIDGE_RECONCILE_INTERVAL_GENESYS: "0"
    }
  })

/** `pnpm backfill --source zendesk --json [--dry-run]` against the service, as its pnpm script runs it. */
const backfillCli = async (serviceUrl: string, dryRun: boolean): Promise<BackfillSummary> => {
  const r = await runBackfillCli(serviceUrl, ["--source", "zendesk", "--json", ...(dryRun ? ["--dry-run"] : [])])
  if (r.code !== 0)
    throw new Error(`pnpm backfill${dryRun ? " --dry-run" : ""} exited ${r.code}: ${r.stderr.slice(-1000)}`)
  return parseBackfillSummary(r.stdout)
}

/** Rows 1 and 2: the backfill's calls per ticket (dry run, run, second run), then a pass's calls per unchanged ticket. */
const callRows = async (o: BackfillBenchOptions): Promise<Array<BenchRow>> => {
  const n = o.tickets
  const zd = await zendeskWith(n, o.log)
  const stack = await stackFor(zd, o, "BackfillCalls").catch(async (e: unknown) => {
    await zd.close()
    throw e
  })
  try {
    const calls = (from: number) => countCalls(stack.emulator.requests(), stack.serviceClientId, from, Date.now() + 1)
    const run = async (dryRun: boolean) => {
      const from = Date.now()
      const summary = await backfillCli(stack.service.url, dryRun)
      await waitForDrain([stack.service.url], 60_000)
      return { summary, calls: calls(from), ms: Date.now() - from }
    }
    o.log(`backfill: pnpm backfill --source zendesk --dry-run over ${n} tickets`)
    const dry = await run(true)
    o.log(`backfill: pnpm backfill --source zendesk (${n} new tickets, budget ${o.budgetPerMinute}/min)`)
    const first = await run(false)
    o.log(
      `backfill: ${first.calls.api} Genesys calls (${formatOperations(first.calls)}) in ${fmt(first.ms / 1000, 1)} s; the second run`
    )
    const second = await run(false)

    o.log(`reconciliation: one pass over the ${n} tickets, all in sync`)
    const from = Date.now()
    const res = await fetch(`${stack.service.url}/reconcile/zendesk?since=1970-01-01T00:00:00Z`, { method: "POST" })
    const pass = (await res.json()) as { ticketsRead?: number; upToDate?: number; driftFound?: number }
    if (res.status !== 200) throw new Error(`POST /reconcile/zendesk answered ${res.status}: ${JSON.stringify(pass)}`)
    const drained = await waitForDrain([stack.service.url], 60_000)
    const passCalls = calls(from)
    const read = pass.ticketsRead ?? 0

    const floor = bulkFloor(n)
    const s = first.summary
    const perTicket = first.calls.api / n
    return [
      {
        id: "backfill-calls",
        figure: `backfill, Genesys calls per new ticket (${n.toLocaleString("en")} tickets)`,
        measured: `${fmt(perTicket, 3)} (${first.calls.api} calls; floor ${fmt(floor / n, 3)})`,
        goal: `≤ ${fmt((floor + 1) / n, 3)} (floor + 1 check; 1 per 20 is below the floor)`,
        met:
          s.created === n && s.refused === 0 && dry.calls.api === 0 && second.calls.writes === 0
            ? first.calls.api <= floor + 1
            : false,
        note: `pnpm backfill --source zendesk through ${o.compiled ? "the production build" : "the sources"} of the service, ${n} new tickets in the Zendesk emulator, budget ${o.budgetPerMinute}/min on service and emulator; calls by the service's client at the Genesys emulator, token requests excluded: ${formatOperations(first.calls)}; ${s.created} created, ${s.refused} refused, in ${fmt(first.ms / 1000, 1)} s; the dry run first: ${dry.summary.created} to create, ${dry.calls.api} calls; the second run: ${second.summary.upToDate} up to date, ${second.calls.api} calls (${second.calls.writes} writes)`,
        data: {
          tickets: n,
          floor,
          dry: { ...dry.summary, calls: dry.calls },
          run: { ...s, calls: first.calls, ms: first.ms },
          second: { ...second.summary, calls: second.calls }
        }
      },
      {
        id: "reconcile-unchanged",
        figure: `reconciliation pass, Genesys calls per unchanged ticket (${n.toLocaleString("en")} tickets)`,
        measured: `${fmt(read === 0 ? Number.NaN : passCalls.api / read, 3)} (${passCalls.api} calls)`,
        goal: "0",
        met: read === n && drained !== undefined ? passCalls.api === 0 : false,
        note: `POST /reconcile/zendesk?since=1970-01-01 after the backfill and its second run: ${read} tickets read, ${pass.upToDate ?? "?"} up to date, ${pass.driftFound ?? "?"} behind; calls by the service's client from the pass's start until the inbox drained${drained === undefined ? " (it did not drain within 60 s)" : ""}: ${formatOperations(passCalls)}`,
        data: { pass, calls: passCalls }
      }
    ]
  } finally {
    await stack.close()
    await zd.close()
  }
}

interface LiveWebhook {
  readonly ticketId: string
  readonly sentAt: number
  /** When the service answered 202 (epoch ms). */
  accepted?: number
  status?: number
}

/** Row 3: live webhooks while a backfill of `lagTickets` new tickets drains. */
const lagRow = async (o: BackfillBenchOptions): Promise<BenchRow> => {
  const n = o.lagTickets
  const zd = await zendeskWith(n, o.log)
  const stack = await stackFor(zd, o, "BackfillLag").catch(async (e: unknown) => {
    await zd.close()
    throw e
  })
  try {
    const service = stack.service.url
    const started = Date.now()
    const res = await fetch(`${service}/backfill/zendesk`, { method: "POST" })
    let job = (await res.json()) as {
      id: string
      state: string
      read: number
      finished: number
      summary?: BackfillSummary
      error?: string
    }
    if (res.status !== 202) throw new Error(`POST /backfill/zendesk answered ${res.status}: ${JSON.stringify(job)}`)
    o.log(
      `backfill lag: backfill of ${n} new tickets started (budget ${o.budgetPerMinute}/min); a live Zendesk webhook every ${o.webhookEverySeconds} s while it runs`
    )
    const sent: Array<LiveWebhook> = []
    const inFlight: Array<Promise<void>> = []
    /** A new ticket in Zendesk, and its webhook as the emulator made it, signed and sent now. */
    const live = async () => {
      const r = await fetch(`${zd.url}/api/v2/tickets.json`, {
        method: "POST",
        headers: { authorization: ZENDESK_API_AUTH, "content-type": "application/json" },
        body: JSON.stringify({
          ticket: {
            subject: `Live ticket ${sent.length + 1}`,
            comment: { body: "arrived during the backfill" },
            type: "incident",
            priority: "high"
          }
        })
      })
      const ticketId = String(((await r.json()) as { ticket: { id: number } }).ticket.id)
      const delivery = [...zd.core.deliveries].reverse().find((d) => d.ticketId === ticketId)
      if (delivery === undefined) throw new Error(`the Zendesk emulator recorded no webhook for ticket ${ticketId}`)
      const w: LiveWebhook = { ticketId, sentAt: Date.now() }
      sent.push(w)
      const answer = await fetch(`${service}/webhooks/zendesk`, {
        method: "POST",
        headers: {
          ...sign("zendesk", delivery.rawBody, { secret: SECRET }, new Date()),
          ...delivery.headers,
          "content-type": "application/json"
        },
        body: delivery.rawBody
      })
      await answer.arrayBuffer()
      w.status = answer.status
      if (answer.status === 202) w.accepted = Date.now()
    }
    let nextAt = Date.now() + o.webhookEverySeconds * 1000
    let lastProgress = 0
    while (job.state !== "done" && job.state !== "failed") {
      await sleep(200)
      job = (await (await fetch(`${service}/backfill/jobs/${encodeURIComponent(job.id)}`)).json()) as typeof job
      if (job.state === "done" || job.state === "failed") break
      if (Date.now() >= nextAt) {
        inFlight.push(live())
        nextAt += o.webhookEverySeconds * 1000
      }
      if (Date.now() - lastProgress >= 30_000) {
        o.log(
          `backfill lag: ${job.state}, ${job.read} read, ${job.finished} written, ${sent.length} live webhooks sent`
        )
        lastProgress = Date.now()
      }
    }
    await Promise.all(inFlight)
    const backfillMs = Date.now() - started
    if (job.state === "failed") throw new Error(`the backfill failed: ${job.error ?? "unknown"}`)
    const drained = await waitForDrain([service], 120_000)
    const lags: Array<number> = []
    let missing = 0
    for (const w of sent) {
      const st = (await (await fetch(`${service}/tickets/zendesk/${w.ticketId}`)).json().catch(() => ({}))) as {
        workitemId?: string
      }
      const workitem = st.workitemId === undefined ? undefined : stack.emulator.state.workitems.get(st.workitemId)
      if (w.accepted === undefined || workitem === undefined) missing++
      else lags.push(Math.max(0, Date.parse(workitem.dateCreated) - w.accepted))
    }
    const p50 = quantile(lags, 0.5)
    const max = quantile(lags, 1)
    const calls = countCalls(stack.emulator.requests(), stack.serviceClientId, started, Date.now() + 1)
    const s = job.summary
    return {
      id: "backfill-live-lag",
      figure: `live webhook lag during a ${n.toLocaleString("en")}-ticket backfill, 202 → workitem written; p50/max`,
      measured: `${fmt(p50, 0)} / ${fmt(max, 0)} ms (${lags.length} webhooks)`,
      goal: "≤ 5 s",
      met: lags.length > 0 && missing === 0 ? max <= 5000 : false,
      note: `${o.compiled ? "the production build" : "the sources"}; a backfill of ${n} new Zendesk tickets (${s?.created ?? "?"} created through bulk add jobs in ${fmt(backfillMs / 1000, 1)} s, ${calls.api} Genesys calls in all, ${fmt(calls.api / n, 3)} per ticket) at a budget of ${o.budgetPerMinute}/min on service and emulator; every ${o.webhookEverySeconds} s while it ran, a new ticket created in the Zendesk emulator and its signed webhook sent; written = the workitem's dateCreated at the Genesys emulator; ${missing} of ${sent.length} not written${drained === undefined ? "; the inbox did not drain within 120 s" : ""}`,
      data: {
        p50,
        max,
        lagsMs: [...lags].sort((a, b) => a - b),
        sent: sent.length,
        missing,
        backfillMs,
        summary: s,
        calls
      }
    }
  } finally {
    await stack.close()
    await zd.close()
  }
}

/** The three backfill rows. */
export const backfillBenchRows = async (o: BackfillBenchOptions): Promise<Array<BenchRow>> => [
  ...(await callRows(o)),
  await lagRow(o)
]
