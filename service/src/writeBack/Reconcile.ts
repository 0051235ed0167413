/**
 * The write-back reconciliation (docs/write-back.md, "The safety net"): agents' changes in Genesys reach Workbridge
 * through the trigger → workflow → Data Action chain, whose retries when Workbridge is down or unreachable are
 * unverified. A pass queries the worktype's workitems modified since a stored cursor (`POST
 * /api/v2/taskmanagement/workitems/query`, `typeId EQ` and `dateModified GTE`, one call per page of up to 200) and
 * enqueues, for each workitem whose status Workbridge neither wrote nor wrote back, the inbox event the
 * workitem-event endpoint would have enqueued (same `TicketEvent`, same delivery key), with origin
 * `genesys-reconcile` — the background lane. The engine's write-back step then applies it as a delivered one: a late
 * real delivery and the pass dedupe against each other (the inbox's delivery key, else the link's `eventAt`).
 *
 * Who changed the status: a status Workbridge wrote forward (the link's applied status, and any write whose outcome
 * is unknown) or wrote back (the applied status moves to the value written) is its own; any other status was set by
 * someone else. The workitem's `modifiedBy` says who changed it last, not who set its status (an agent's close
 * followed by a forward PATCH of the subject leaves Workbridge's client in `modifiedBy`), so it does not decide —
 * except while a forward write's outcome is unknown, when a status Workbridge's client may have left mid-walk is
 * not taken for an agent's.
 */
import { newestHelpdeskChange } from "../sync/statusRule.js"
import { type Catalog, type TicketEvent, writeBackTarget } from "@workbridge/catalog"
import type { GenesysError, GenesysService, Workitem, WorktypeStatus } from "@workbridge/genesys"
import { Effect, Either } from "effect"
import type { Logger } from "pino"
import type { InboxFull, StoreError } from "../domain/errors.js"
import { isCreatePending, type Link, type TicketKey } from "../domain/records.js"
import { type CursorStore, PassBusy, awaitRepairs } from "../feeds/Feeds.js"
import type { InboxService } from "../inbox/Inbox.js"
import type { LinkStoreService } from "../links/LinkStore.js"
import type { ServiceMetrics } from "../observability/Metrics.js"
import { decodeWorkitemEvent, toTicketEvent } from "./WorkitemEvent.js"

/** The feed's name: its cursor and lock in the cursor store, the `source` label of its metrics, its route. */
export const GENESYS_FEED = "genesys"

/** A workitem found changed by someone else, as the report lists it. */
export interface GenesysDrift {
  readonly source: string
  readonly ticketId: string
  readonly workitemId: string
  /** The workitem's status now. */
  readonly status: string
  /** The status Workbridge last wrote or wrote back (absent: unknown). */
  readonly applied?: string
  readonly dateModified: string
}

export interface GenesysPassReport {
  readonly source: typeof GENESYS_FEED
  readonly dryRun: boolean
  /** Workitems the query answered (modified since the cursor, less the overlap). */
  readonly ticketsRead: number
  /** Of those, in the status Workbridge wrote or wrote back, already handled, or in a status that writes nothing back. */
  readonly upToDate: number
  /** No Workbridge ticket, no link to this workitem, or write-back off for the ticket's source. */
  readonly ignored: number
  /** Changed by someone else and not written back yet: enqueued for the write-back (not in a dry run). */
  readonly driftFound: number
  /** Of those, how many the write-back step wrote (or found written) before the pass ended (0 in a dry run). */
  readonly repaired: number
  /** Up to 20 of the workitems found changed. */
  readonly drift: ReadonlyArray<GenesysDrift>
  /** Query calls made: one per page. */
  readonly queryCalls: number
  /** The `dateModified` the query started from (ISO-8601). */
  readonly from: string
  /** The cursor saved for the next pass (not saved in a dry run, nor after a pass cut short at `maxPages`). */
  readonly cursorSaved: boolean
}

export interface GenesysReconcileOptions {
  readonly catalog: Catalog
  readonly genesys: Pick<GenesysService, "queryWorkitemsPage">
  readonly typeId: string
  /** The worktype's statuses (a workitem whose status carries no name is named by them). */
  readonly statuses: () => ReadonlyArray<WorktypeStatus>
  readonly inbox: InboxService
  readonly links: LinkStoreService
  readonly cursors: CursorStore
  readonly metrics: ServiceMetrics
  readonly log: Logger
  /** The sources with write-back on. */
  readonly sources: ReadonlyArray<string>
  /** Workbridge's own Genesys OAuth client id(s). */
  readonly selfIds: ReadonlyArray<string>
  /** How far back the first pass reads when there is no cursor yet (default 24 h). */
  readonly firstPassLookbackMs?: number
  /**
   * How far before the cursor each pass queries again (default 2 min): the query cannot be sorted by `dateModified`
   * (only by `dateDue` or `priority`), so a workitem modified while a pass pages, or one the query's index shows
   * late, is read by the next pass. Workitems read again cost no call beyond their page: they are up to date.
   */
  readonly overlapMs?: number
  /** Workitems per query call (default 200, the most Genesys allows). */
  readonly pageSize?: number
  /** Query calls at most per pass (default 1,000); a pass cut short saves no cursor and says so. */
  readonly maxPages?: number
  /** How long a pass waits for its finds to be written back before it reports (default 60 s). */
  readonly repairWaitMs?: number
  /** The pass pauses while the inbox holds this many events (default 5,000). */
  readonly inboxHighWater?: number
  /** Time to live of the pass's lock (default 10 min; the holder renews it while it runs). */
  readonly passLockTtlMs?: number
}

export interface GenesysReconciler {
  readonly reconcile: (options?: {
    readonly dryRun?: boolean
    readonly since?: Date
    readonly repairWaitMs?: number
  }) => Effect.Effect<GenesysPassReport, GenesysError | StoreError | InboxFull | PassBusy>
  /** Refresh the cursor-age gauge of the feed. */
  readonly refreshGauge: Effect.Effect<void, StoreError>
}

const idOf = (v: unknown): string | undefined =>
  typeof v === "object" && v !== null && typeof (v as { id?: unknown }).id === "string"
    ? (v as { id: string }).id
    : undefined

const stringOf = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined)

/**
 * The workitem event of a workitem as the query answers it (`Workitem`: references as `{id}`, custom fields as plain
 * values), in the shape the trigger hands the workflow (`WorkitemsEventsNotificationWorkitem`: flat ids, custom
 * fields as `{value}`), so the endpoint's decoding and ticket naming apply unchanged. The `Workitem` model has no
 * wrap-up code: a pass's note names none.
 */
export const workitemEventBody = (w: Workitem, omitModifiedBy: boolean): Record<string, unknown> => {
  const customFields: Record<string, { value: string | ReadonlyArray<string> }> = {}
  for (const [key, value] of Object.entries(w.customFields ?? {})) {
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean")
      customFields[key] = { value: String(value) }
    else if (Array.isArray(value) && value.every((x) => typeof x === "string")) customFields[key] = { value }
  }
  const assigneeId = idOf(w["assignee"])
  const modifiedBy = idOf(w["modifiedBy"])
  const queueId = idOf(w["queue"])
  return {
    id: w.id,
    ...(w.name !== undefined ? { name: w.name } : {}),
    ...(w.type?.id !== undefined ? { typeId: w.type.id } : {}),
    ...(w.status?.id !== undefined ? { statusId: w.status.id } : {}),
    ...(stringOf(w["statusCategory"]) !== undefined ? { statusCategory: w["statusCategory"] } : {}),
    dateModified: w["dateModified"],
    ...(stringOf(w["dateStatusChanged"]) !== undefined ? { dateStatusChanged: w["dateStatusChanged"] } : {}),
    ...(stringOf(w["dateClosed"]) !== undefined ? { dateClosed: w["dateClosed"] } : {}),
    ...(assigneeId !== undefined ? { assigneeId } : {}),
    ...(modifiedBy !== undefined && !omitModifiedBy ? { modifiedBy } : {}),
    ...(queueId !== undefined ? { queueId } : {}),
    operation: "update",
    customFields
  }
}

type Verdict =
  | { readonly _tag: "Ignored"; readonly reason: string }
  | { readonly _tag: "UpToDate"; readonly reason: string }
  | { readonly _tag: "Drift"; readonly event: TicketEvent; readonly drift: GenesysDrift }

/** The statuses (Genesys names) Workbridge wrote to the workitem or wrote back: applied, and any unknown write's. */
const ownStatuses = (catalog: Catalog, statusKey: string, link: Link): ReadonlySet<string> => {
  const values = [link.appliedValues, ...(link.updateIntent?.values ?? [])].map((v) => v[statusKey])
  const names = new Set<string>()
  for (const v of values) {
    const name = typeof v === "string" ? catalog.statusMapping[v] : undefined
    if (name !== undefined) names.add(name)
  }
  return names
}

export const makeGenesysReconciler = (o: GenesysReconcileOptions): GenesysReconciler => {
  const statusKey = o.catalog.fields.find((f) => f.attribute === "statusId")?.key
  const lockTtlMs = o.passLockTtlMs ?? 10 * 60_000
  const highWater = o.inboxHighWater ?? 5000

  const statusName = (w: Workitem): string | undefined =>
    w.status?.name ?? o.statuses().find((s) => s.id === w.status?.id)?.name

  /** What the pass makes of one workitem. */
  const judge = (w: Workitem): Effect.Effect<Verdict, StoreError> =>
    Effect.gen(function* () {
      const modifiedBy = idOf(w["modifiedBy"])
      const own = modifiedBy !== undefined && o.selfIds.includes(modifiedBy)
      const decoded = decodeWorkitemEvent(workitemEventBody(w, own))
      if (Either.isLeft(decoded)) {
        return {
          _tag: "Ignored",
          reason: `not a workitem event: ${decoded.left.map((i) => `${i.field}: ${i.problem}`).join("; ")}`
        }
      }
      const e = decoded.right
      const converted = toTicketEvent(o.catalog, e)
      if (converted._tag === "Ignored") return { _tag: "Ignored", reason: converted.reason }
      const { event } = converted
      if (!o.sources.includes(event.source)) return { _tag: "Ignored", reason: "write-back is off for the source" }
      const key: TicketKey = { source: event.source, ticketId: event.ticketId }
      const stored = yield* o.links.get(key)
      const link = stored === undefined || isCreatePending(stored) ? undefined : stored
      if (link === undefined || link.workitemId !== w.id) return { _tag: "Ignored", reason: "not linked" }
      const name = statusName(w)
      if (name === undefined || statusKey === undefined) return { _tag: "UpToDate", reason: "no status" }
      const wrote = ownStatuses(o.catalog, statusKey, link)
      if (wrote.has(name)) return { _tag: "UpToDate", reason: "Workbridge's status" }
      if (writeBackTarget(o.catalog, event.source, name) === undefined)
        return { _tag: "UpToDate", reason: "writes nothing back" }
      // A forward write of unknown outcome may have left the workitem mid-walk: not an agent's status.
      if (link.updateIntent !== undefined && (modifiedBy === undefined || own))
        return { _tag: "UpToDate", reason: "a forward write is unsettled" }
      // When the status took its value (`dateStatusChanged`): the workitem's last change may be of another field,
      // made long after (a forward PATCH of Workbridge's, an agent's edit).
      const at = Date.parse(e.dateStatusChanged ?? e.dateModified)
      const eventAt = link.writeBack?.eventAt
      if (eventAt !== undefined && Date.parse(eventAt) >= at) return { _tag: "UpToDate", reason: "handled" }
      // The "both" rule, as the write-back step judges it: the helpdesk's last change of the status.
      const helpdeskAt =
        link.statusLog === undefined
          ? (link.statusChangedAt ?? link.occurredAt)
          : newestHelpdeskChange(link.statusLog)?.at
      if (helpdeskAt !== undefined && Date.parse(helpdeskAt) > at)
        return { _tag: "UpToDate", reason: "the helpdesk's status change is newer" }
      const applied = [...wrote][0]
      return {
        _tag: "Drift",
        event: { ...event, origin: "genesys-reconcile" },
        drift: {
          source: event.source,
          ticketId: event.ticketId,
          workitemId: w.id,
          status: name,
          ...(applied !== undefined ? { applied } : {}),
          dateModified: e.dateModified
        }
      }
    })

  const enqueue = (event: TicketEvent) =>
    Effect.gen(function* () {
      // Background work never fills the inbox: live events keep their room.
      while ((yield* o.inbox.depth) >= highWater) yield* Effect.sleep(200)
      const r = yield* o.inbox.accept(event)
      o.metrics.events.inc({ outcome: r._tag === "Accepted" ? "accepted" : "duplicate" })
    })

  /** Whether a find was written back: its event left the inbox and the link records it written (or found there). */
  const written = (d: GenesysDrift) =>
    Effect.gen(function* () {
      const key = { source: d.source, ticketId: d.ticketId }
      if ((yield* o.inbox.pendingFor(key)).count > 0) return undefined
      const link = yield* o.links.get(key)
      const wb = link === undefined || isCreatePending(link) ? undefined : link.writeBack
      return (
        wb?.eventAt !== undefined &&
        Date.parse(wb.eventAt) >= Date.parse(d.dateModified) &&
        (wb.outcome === "written" || wb.outcome === "unchanged")
      )
    })

  const pass = (options: Parameters<GenesysReconciler["reconcile"]>[0] & object) =>
    Effect.gen(function* () {
      const dryRun = options.dryRun === true
      const saved = options.since === undefined ? yield* o.cursors.get(GENESYS_FEED) : undefined
      const start =
        options.since?.getTime() ??
        (saved !== undefined ? Date.parse(saved.cursor) : Date.now() - (o.firstPassLookbackMs ?? 24 * 3600_000))
      const from = new Date(Math.max(0, start - (o.overlapMs ?? 120_000))).toISOString()
      let high = new Date(start).toISOString()
      let after: string | undefined
      let queryCalls = 0
      let ticketsRead = 0
      let upToDate = 0
      let ignored = 0
      let complete = false
      const found: Array<GenesysDrift> = []
      while (queryCalls < (o.maxPages ?? 1000)) {
        const page = yield* o.genesys.queryWorkitemsPage(
          o.typeId,
          [{ name: "dateModified", operator: "GTE", value: from }],
          { pageSize: o.pageSize ?? 200, ...(after !== undefined ? { after } : {}) }
        )
        queryCalls++
        for (const w of page.entities) {
          ticketsRead++
          o.metrics.feedTicketsRead.inc({ source: GENESYS_FEED, origin: "reconcile" })
          const modified = stringOf(w["dateModified"])
          if (modified !== undefined && !Number.isNaN(Date.parse(modified)) && Date.parse(modified) > Date.parse(high))
            high = new Date(Date.parse(modified)).toISOString()
          const verdict = yield* judge(w)
          if (verdict._tag !== "Drift")
            o.log.debug(
              { workitemId: w.id, verdict: verdict._tag, reason: verdict.reason },
              "workitem not written back"
            )
          if (verdict._tag === "Ignored") ignored++
          else if (verdict._tag === "UpToDate") upToDate++
          else {
            found.push(verdict.drift)
            o.metrics.feedDriftFound.inc({ source: GENESYS_FEED })
            if (!dryRun) yield* enqueue(verdict.event)
          }
        }
        if (page.after === undefined) {
          complete = true
          break
        }
        after = page.after
      }
      // Every find is durably in the inbox before the cursor moves past it.
      const cursorSaved = !dryRun && complete
      if (cursorSaved) yield* o.cursors.set(GENESYS_FEED, high)
      if (!complete)
        o.log.warn(
          { queryCalls, from },
          "write-back reconciliation stopped at its page limit; the cursor stays and the next pass reads again"
        )
      let repaired = 0
      if (!dryRun && found.length > 0) {
        repaired = yield* awaitRepairs(found, written, options.repairWaitMs ?? o.repairWaitMs ?? 60_000)
        o.metrics.feedDriftRepaired.inc({ source: GENESYS_FEED }, repaired)
      }
      const report: GenesysPassReport = {
        source: GENESYS_FEED,
        dryRun,
        ticketsRead,
        upToDate,
        ignored,
        driftFound: found.length,
        repaired,
        drift: found.slice(0, 20),
        queryCalls,
        from,
        cursorSaved
      }
      o.log.info(
        { ...report, drift: undefined },
        dryRun ? "write-back reconciliation dry run done" : "write-back reconciliation pass done"
      )
      return report
    })

  return {
    reconcile: (options = {}) =>
      Effect.gen(function* () {
        const release = yield* o.cursors.lock(GENESYS_FEED, lockTtlMs)
        if (release === undefined) return yield* Effect.fail(new PassBusy(GENESYS_FEED))
        return yield* pass(options).pipe(Effect.ensuring(release()))
      }),
    refreshGauge: Effect.map(o.cursors.get(GENESYS_FEED), (c) => {
      if (c !== undefined)
        o.metrics.feedCursorAge.set(
          { source: GENESYS_FEED },
          Math.max(0, (Date.now() - Date.parse(c.updatedAt)) / 1000)
        )
    })
  }
}
