/**
 * Feeds from the helpdesks' APIs into the inbox: reconciliation passes (what changed since a persisted cursor) and
 * fetch-on-notify (a webhook taken as a notice to read the ticket). Every read becomes the same `TicketEvent` the
 * webhook adapter makes for that state (package `@workbridge/helpdesk-clients`), enqueued with its `origin`, so the
 * engine's invariants hold for it as for a webhook: a read of a revision already applied is superseded (no Genesys
 * call), a newer one is applied once. Reconciliation reads go to the inbox's background lane (taken only while no
 * live event waits); fetch-on-notify reads are live work.
 */
import { compareRevision, type EventOrigin, type TicketEvent } from "@workbridge/catalog"
import {
  type HelpdeskClient,
  type HelpdeskConfigs,
  type HelpdeskSource,
  makeFreshdeskClient,
  makeGitHubClient,
  makeJiraClient,
  makeServiceNowClient,
  makeZendeskClient,
  type ReadError,
  type ReadPage,
  type ReadStart,
  retryRateLimited
} from "@workbridge/helpdesk-clients"
import { Cause, Context, Effect, Layer } from "effect"
import type { Logger } from "pino"
import {
  CREATE_PENDING_REVISION,
  createPendingLink,
  isCreatePending,
  type Link,
  type TicketKey
} from "../domain/records.js"
import type { GenesysError, InboxFull, StoreError } from "../domain/errors.js"
import type { BulkAddItemResult } from "@workbridge/genesys"
import type { InboxService } from "../inbox/Inbox.js"
import type { LinkStoreService } from "../links/LinkStore.js"
import type { NormalizeResult } from "../sync/Mapping.js"
import type { ServiceMetrics } from "../observability/Metrics.js"
import { Sqlite, type SqliteDatabase, sql } from "../store/Sqlite.js"
import type { GenesysReconciler } from "../writeBack/Reconcile.js"

/** Where a source's reconciliation resumes, and when it was last moved. */
export interface FeedCursor {
  readonly cursor: string
  /** ISO-8601. */
  readonly updatedAt: string
}

/** The persisted reconciliation cursors, and the lock that lets one runner at a time run a source's pass. */
export interface CursorStore {
  readonly get: (source: string) => Effect.Effect<FeedCursor | undefined, StoreError>
  readonly set: (source: string, cursor: string) => Effect.Effect<void, StoreError>
  /**
   * Hold the source's pass lock; answers a release, or `undefined` when another runner holds it. The store keeps
   * the lock while the holder lives (Redis: `SET NX PX` with `ttlMs`, extended every `ttlMs / 3` while the token is
   * still the holder's, until the release) and lets it expire `ttlMs` after the holder died. One process (SQLite)
   * needs no lock beyond its own fiber. A release never removes another holder's lock.
   */
  readonly lock: (source: string, ttlMs: number) => Effect.Effect<(() => Effect.Effect<void>) | undefined, StoreError>
}

export class FeedCursors extends Context.Tag("@workbridge/service/FeedCursors")<FeedCursors, CursorStore>() {}

/** Cursors in the service's SQLite file (table `feed_cursors`); the lock is in-process. */
export const sqliteCursorStore = (db: SqliteDatabase): CursorStore => {
  db.exec(
    "CREATE TABLE IF NOT EXISTS feed_cursors (source TEXT PRIMARY KEY, cursor TEXT NOT NULL, updated_at TEXT NOT NULL)"
  )
  const get = db.prepare("SELECT cursor, updated_at FROM feed_cursors WHERE source = ?")
  const put = db.prepare(
    "INSERT INTO feed_cursors (source, cursor, updated_at) VALUES (?, ?, ?) ON CONFLICT (source) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at"
  )
  const held = new Set<string>()
  return {
    get: (source) =>
      sql("feeds.cursor.get", () => {
        const r = get.get(source) as { cursor: string; updated_at: string } | undefined
        return r === undefined ? undefined : { cursor: r.cursor, updatedAt: r.updated_at }
      }),
    set: (source, cursor) => sql("feeds.cursor.set", () => void put.run(source, cursor, new Date().toISOString())),
    lock: (source) =>
      Effect.sync(() => {
        if (held.has(source)) return undefined
        held.add(source)
        return () => Effect.sync(() => void held.delete(source))
      })
  }
}

export const sqliteCursorLayer: Layer.Layer<FeedCursors, never, Sqlite> = Layer.effect(
  FeedCursors,
  Effect.map(Sqlite, sqliteCursorStore)
)

/** The read client of every configured source. */
export const makeClients = (configs: HelpdeskConfigs): Partial<Record<HelpdeskSource, HelpdeskClient>> => ({
  ...(configs.zendesk !== undefined ? { zendesk: makeZendeskClient(configs.zendesk) } : {}),
  ...(configs.servicenow !== undefined ? { servicenow: makeServiceNowClient(configs.servicenow) } : {}),
  ...(configs.jira !== undefined ? { jira: makeJiraClient(configs.jira) } : {}),
  ...(configs.freshdesk !== undefined ? { freshdesk: makeFreshdeskClient(configs.freshdesk) } : {}),
  ...(configs.github !== undefined ? { github: makeGitHubClient(configs.github) } : {})
})

/** The ticket a pass found behind Genesys, as the report lists it. */
export interface Drift {
  readonly ticketId: string
  /** What the link had applied (absent: no workitem yet). */
  readonly appliedRevision?: string
  readonly readRevision: string
}

export interface PassReport {
  readonly source: string
  readonly dryRun: boolean
  /** Tickets read from the helpdesk in this pass. */
  readonly ticketsRead: number
  /** Tickets already at the revision read (or newer): nothing to do; the engine supersedes them at no Genesys call. */
  readonly upToDate: number
  /** Tickets whose read state is newer than what Genesys holds (or that have no workitem). */
  readonly driftFound: number
  /** Of those, how many reached the read revision before the pass ended (0 in a dry run). */
  readonly repaired: number
  /** Up to 20 of the tickets found behind. */
  readonly drift: ReadonlyArray<Drift>
  /** Where the pass started: `cursor`, or `since` an ISO time. */
  readonly from: string
  /** The cursor saved for the next pass (not saved in a dry run). */
  readonly cursorSaved: boolean
}

export class PassBusy extends Error {
  readonly _tag = "PassBusy"
  constructor(readonly source: string) {
    super(`a reconciliation pass of ${source} is already running`)
  }
}

export class UnknownFeedSource extends Error {
  readonly _tag = "UnknownFeedSource"
  constructor(
    readonly source: string,
    readonly known: ReadonlyArray<string>
  ) {
    super(
      known.length === 0
        ? `no helpdesk API is configured (set HELPDESK_URL_<SOURCE> and HELPDESK_TOKEN_<SOURCE>; see docs/helpdesks.md)`
        : `no helpdesk API is configured for "${source}"; configured: ${known.join(", ")}`
    )
  }
}

export interface FeedsOptions {
  readonly clients: Partial<Record<string, HelpdeskClient>>
  readonly inbox: InboxService
  readonly links: LinkStoreService
  readonly cursors: CursorStore
  readonly metrics: ServiceMetrics
  readonly log: Logger
  /** Sources whose webhooks are read on notice. */
  readonly fetchOnNotify: ReadonlyArray<string>
  /** How far back a source's first pass reads when it has no cursor yet (default 24 h). */
  readonly firstPassLookbackMs?: number
  /** How long a pass waits for the tickets it found behind to be applied before it reports (default 60 s). */
  readonly repairWaitMs?: number
  /** The background feed pauses while the inbox holds this many events (default 5,000): it never fills the inbox. */
  readonly inboxHighWater?: number
  /**
   * Time to live of a pass's (and a backfill's) lock (default 10 min). The holder renews it while it runs, so this
   * is how long a holder that died keeps the others from taking the source over.
   */
  readonly passLockTtlMs?: number
  /** The catalog's normalization (backfill: refusals and the dry run's field-level diff). */
  readonly normalize?: (fields: Readonly<Record<string, unknown>>) => NormalizeResult
  /** Backfill creates new tickets through Genesys bulk add jobs with this (absent: every ticket goes through the engine). */
  readonly bulkCreate?: BulkCreator
  /** The write-back reconciliation (absent: write-back is off for every source). */
  readonly genesys?: GenesysReconciler
}

/**
 * What the backfill needs to create workitems in bulk: the values the engine would write for an event, the create
 * body, and the bulk add jobs. `ready` answers false while a link miss cannot be trusted to mean "no workitem" (the
 * store does not know the worktype from empty): then every ticket goes through the engine, which looks it up first.
 */
export interface BulkCreator {
  readonly typeId: string
  readonly ready: Effect.Effect<boolean, StoreError>
  /** The values the engine writes for this event, and the create body derived from them; a string is a refusal. */
  readonly prepare: (
    event: TicketEvent
  ) => { readonly values: Readonly<Record<string, unknown>>; readonly body: Readonly<Record<string, unknown>> } | string
  readonly bulkAdd: (
    bodies: ReadonlyArray<Readonly<Record<string, unknown>>>
  ) => Effect.Effect<ReadonlyArray<BulkAddItemResult>, GenesysError>
  /** Workitems per job. */
  readonly perJob: number
}

/** One field that an update would change (dry run). */
export interface FieldChange {
  readonly field: string
  readonly from: unknown
  readonly to: unknown
}

export interface BackfillSummary {
  readonly source: string
  readonly dryRun: boolean
  readonly since?: string
  readonly limit?: number
  /** Tickets read from the helpdesk. */
  readonly read: number
  /** New workitems (dry run: would be created). */
  readonly created: number
  /** Workitems brought to the read state (dry run: would be updated). */
  readonly updated: number
  /** Already at the read revision (or newer): nothing written. */
  readonly upToDate: number
  /** Tickets that cannot be synced, with the reasons (`reason` → count, and up to 20 examples). */
  readonly refused: number
  readonly refusedReasons: Readonly<Record<string, number>>
  readonly refusedSample: ReadonlyArray<{
    readonly ticketId: string
    readonly reason: string
    readonly details: ReadonlyArray<string>
  }>
  /** Dry run: up to 5 updates with their field-level changes. */
  readonly diffSample: ReadonlyArray<{ readonly ticketId: string; readonly changes: ReadonlyArray<FieldChange> }>
  /** Enqueued and not yet applied when the wait ended (0 once done). */
  readonly pending: number
}

export interface BackfillJob {
  readonly id: string
  readonly source: string
  /** `reading` the helpdesk, `applying` what was enqueued, then `done` or `failed`. */
  state: "reading" | "applying" | "done" | "failed"
  read: number
  /** Enqueued for the engine. */
  enqueued: number
  /** Of those, finished (applied or refused). */
  finished: number
  readonly limit?: number
  summary?: BackfillSummary
  error?: string
}

export interface Feeds {
  readonly sources: ReadonlyArray<string>
  readonly reconcile: (
    source: string,
    options?: { readonly dryRun?: boolean; readonly since?: Date; readonly repairWaitMs?: number }
  ) => Effect.Effect<PassReport, ReadError | StoreError | InboxFull | PassBusy | UnknownFeedSource>
  /** The event to enqueue for a webhook of a fetch-on-notify source: the ticket as read now, else the webhook's own. */
  readonly notified: (event: TicketEvent) => Effect.Effect<TicketEvent>
  /** Refresh the per-source cursor-age gauge. */
  readonly refreshGauges: Effect.Effect<void, StoreError>
  /** Start a backfill in the background (one per source at a time); its progress and summary are in `backfillJob`. */
  readonly startBackfill: (
    source: string,
    options: { readonly dryRun?: boolean; readonly since?: Date; readonly limit?: number }
  ) => Effect.Effect<BackfillJob, StoreError | PassBusy | UnknownFeedSource>
  readonly backfillJob: (id: string) => BackfillJob | undefined
  /**
   * The write-back reconciliation: the Genesys side's pass, which finds agents' changes the write-back did not hear
   * of (writeBack/Reconcile.ts); absent while write-back is off for every source.
   */
  readonly genesys?: GenesysReconciler
}

const PASS_LOCK_TTL_MS = 10 * 60_000

/** What the feeds' passes share: the options, the rate-limit retry, the enqueue and the applied-state check. */
interface FeedsCore {
  readonly o: FeedsOptions
  readonly retry: ReturnType<typeof retryRateLimited>
  /** Enqueue a read (background reads wait while the inbox is deep). */
  readonly enqueue: (event: TicketEvent, origin: EventOrigin) => Effect.Effect<void, StoreError | InboxFull>
  /** Whether the ticket's applied state is older than `revision` (or it has no workitem). */
  readonly behind: (
    key: TicketKey,
    revision: string
  ) => Effect.Effect<{ readonly applied: string | undefined; readonly behind: boolean }, StoreError>
}

const makeFeedsCore = (o: FeedsOptions): FeedsCore => {
  const highWater = o.inboxHighWater ?? 5000
  return {
    o,
    retry: retryRateLimited({
      maxRetries: 5,
      maxDelayMs: 120_000,
      onRateLimited: (e, delayMs) =>
        o.log.warn({ source: e.source, operation: e.operation, delayMs }, "helpdesk API rate limit; waiting as it asks")
    }),
    enqueue: (event, origin) =>
      Effect.gen(function* () {
        // Background reads wait while the inbox is deep: live webhooks keep their room.
        while ((yield* o.inbox.depth) >= highWater) yield* Effect.sleep(200)
        const r = yield* o.inbox.accept({ ...event, origin })
        o.metrics.events.inc({ outcome: r._tag === "Accepted" ? "accepted" : "duplicate" })
      }),
    behind: (key, revision) =>
      Effect.map(o.links.get(key), (link) => {
        const applied = link === undefined || isCreatePending(link) ? undefined : link.appliedRevision
        return { applied, behind: applied === undefined || compareRevision(revision, applied) > 0 }
      })
  }
}

/** The applied revision of a link (none for a create intent). */
const appliedOf = (link: Link | undefined): string | undefined =>
  link === undefined || isCreatePending(link) ? undefined : link.appliedRevision

type Found = { readonly key: TicketKey; readonly drift: Drift }

/** Read the source's pages from `start`, noting the tickets whose applied state is behind, and enqueue every read. */
const readForDrift = (core: FeedsCore, source: string, client: HelpdeskClient, first: ReadStart, dryRun: boolean) =>
  Effect.gen(function* () {
    const { o } = core
    let start = first
    let ticketsRead = 0
    let upToDate = 0
    const found: Array<Found> = []
    for (;;) {
      const page = yield* core.retry(client.readPage(start))
      for (const event of page.events) {
        ticketsRead++
        o.metrics.feedTicketsRead.inc({ source, origin: "reconcile" })
        const key = { source: event.source, ticketId: event.ticketId }
        const b = yield* core.behind(key, event.revision)
        if (b.behind) {
          o.metrics.feedDriftFound.inc({ source })
          found.push({
            key,
            drift: {
              ticketId: event.ticketId,
              ...(b.applied !== undefined ? { appliedRevision: b.applied } : {}),
              readRevision: event.revision
            }
          })
        } else upToDate++
        // Enqueued either way: the engine decides (a state already applied is superseded at no Genesys call).
        if (!dryRun) yield* core.enqueue(event, "reconcile")
      }
      // The cursor moves only after the page's events are durable in the inbox.
      if (!dryRun) yield* o.cursors.set(source, page.cursor)
      if (page.done) break
      start = { cursor: page.cursor }
    }
    return { ticketsRead, upToDate, found }
  })

/**
 * Wait (up to `waitMs`, checking every 100 ms) for the drift a pass found to be repaired; answers how many were.
 * `repaired` answers true (repaired), false (settled without a repair) or undefined (not yet: checked again).
 */
export const awaitRepairs = <A>(
  found: ReadonlyArray<A>,
  repaired: (a: A) => Effect.Effect<boolean | undefined, StoreError>,
  waitMs: number
): Effect.Effect<number, StoreError> =>
  Effect.gen(function* () {
    const deadline = Date.now() + waitMs
    let count = 0
    let open = found
    for (;;) {
      const still: Array<A> = []
      for (const a of open) {
        const r = yield* repaired(a)
        if (r === undefined) still.push(a)
        else if (r) count++
      }
      open = still
      if (open.length === 0 || Date.now() >= deadline) break
      yield* Effect.sleep(100)
    }
    return count
  })

/** One reconciliation pass of a source (its lock held): read from the cursor, enqueue, wait for the repairs, report. */
const reconcilePass = (
  core: FeedsCore,
  source: string,
  client: HelpdeskClient,
  options: Parameters<Feeds["reconcile"]>[1] & object
) =>
  Effect.gen(function* () {
    const { o } = core
    const dryRun = options.dryRun === true
    const saved = options.since === undefined ? yield* o.cursors.get(source) : undefined
    const since = options.since ?? new Date(Date.now() - (o.firstPassLookbackMs ?? 24 * 3600_000))
    const start: ReadStart = saved !== undefined ? { cursor: saved.cursor } : { since }
    const from = saved !== undefined ? "cursor" : since.toISOString()
    const { ticketsRead, upToDate, found } = yield* readForDrift(core, source, client, start, dryRun)
    let repaired = 0
    if (!dryRun && found.length > 0) {
      repaired = yield* awaitRepairs(
        found,
        (f) => Effect.map(core.behind(f.key, f.drift.readRevision), (b) => (b.behind ? undefined : true)),
        options.repairWaitMs ?? o.repairWaitMs ?? 60_000
      )
      o.metrics.feedDriftRepaired.inc({ source }, repaired)
    }
    const report: PassReport = {
      source,
      dryRun,
      ticketsRead,
      upToDate,
      driftFound: found.length,
      repaired,
      drift: found.slice(0, 20).map((f) => f.drift),
      from,
      cursorSaved: !dryRun
    }
    o.log.info({ ...report, drift: undefined }, dryRun ? "reconciliation dry run done" : "reconciliation pass done")
    return report
  })

/** The fields an update would change (dry run), in field order; the revision and sync time are not changes. */
const diff = (from: Readonly<Record<string, unknown>>, to: Readonly<Record<string, unknown>>): Array<FieldChange> => {
  const out: Array<FieldChange> = []
  for (const field of [...new Set([...Object.keys(from), ...Object.keys(to)])].sort()) {
    if (field === "source_revision" || field === "last_synced") continue
    if (JSON.stringify(from[field]) !== JSON.stringify(to[field])) out.push({ field, from: from[field], to: to[field] })
  }
  return out
}

type BackfillOptions = Parameters<Feeds["startBackfill"]>[1]

/** A ticket enqueued for the engine, awaited until applied at its read revision or refused. */
type Waiting = { readonly key: TicketKey; readonly revision: string; readonly create: boolean }

/** One backfill run's tallies (the job holds the read/enqueued/finished progress). */
class BackfillTally {
  created = 0
  updated = 0
  upToDate = 0
  readonly refusedReasons: Record<string, number> = {}
  readonly refusedSample: Array<BackfillSummary["refusedSample"][number]> = []
  readonly diffSample: Array<BackfillSummary["diffSample"][number]> = []
  readonly waiting: Array<Waiting> = []
  refuse(ticketId: string, reason: string, details: ReadonlyArray<string>): void {
    this.refusedReasons[reason] = (this.refusedReasons[reason] ?? 0) + 1
    if (this.refusedSample.length < 20) this.refusedSample.push({ ticketId, reason, details })
  }
}

/**
 * Create the collected tickets in one bulk add job: a create intent for each first (durably; a ticket whose
 * intent cannot be written goes through the engine), then the job, then each link from the job's results. A
 * ticket the job did not create — or every ticket of a job that failed or whose outcome is unknown — goes
 * through the engine, which finds its create intent and looks the workitem up before creating it: a crash or
 * a rerun never makes a second workitem.
 */
const flushBulk = (
  core: FeedsCore,
  creator: BulkCreator,
  job: BackfillJob,
  tally: BackfillTally,
  batch: ReadonlyArray<TicketEvent>
) =>
  Effect.gen(function* () {
    const { o } = core
    if (batch.length === 0) return
    const items: Array<{
      event: TicketEvent
      key: TicketKey
      values: Readonly<Record<string, unknown>>
      body: Readonly<Record<string, unknown>>
    }> = []
    const viaEngine: Array<TicketEvent> = []
    for (const event of batch) {
      const key = { source: event.source, ticketId: event.ticketId }
      const prepared = creator.prepare(event)
      if (typeof prepared === "string") {
        tally.refuse(event.ticketId, "Derivation", [prepared])
        job.finished++
        continue
      }
      if (yield* o.links.compareAndSet(key, undefined, createPendingLink(new Date().toISOString())))
        items.push({ event, key, ...prepared })
      else viaEngine.push(event)
    }
    if (items.length > 0) {
      const results = yield* Effect.either(creator.bulkAdd(items.map((i) => i.body)))
      if (results._tag === "Left") {
        o.log.warn(
          { source: job.source, tickets: items.length, error: results.left.message },
          "bulk add job failed; its tickets go through the engine (each is looked up before a create)"
        )
        viaEngine.push(...items.map((i) => i.event))
      } else {
        for (const [n, item] of items.entries()) {
          const r = results.right[n]
          if (r === undefined || !r.ok) {
            if (r !== undefined)
              o.log.info(
                { source: job.source, ticketId: item.event.ticketId, error: r.message },
                "bulk add refused a workitem; the ticket goes through the engine"
              )
            viaEngine.push(item.event)
            continue
          }
          const statusId = item.body["statusId"]
          const linked = yield* o.links.compareAndSet(item.key, CREATE_PENDING_REVISION, {
            workitemId: r.workitemId,
            appliedRevision: item.event.revision,
            appliedValues: item.values,
            ...(typeof statusId === "string" ? { statusId } : {}),
            appliedAt: new Date().toISOString(),
            typeId: creator.typeId,
            origin: "backfill"
          })
          if (linked) {
            tally.created++
            job.finished++
          } else viaEngine.push(item.event)
        }
      }
    }
    for (const event of viaEngine) {
      yield* core.enqueue(event, "backfill")
      tally.waiting.push({
        key: { source: event.source, ticketId: event.ticketId },
        revision: event.revision,
        create: true
      })
    }
  })

/** Read the helpdesk and route each ticket: up to date, refused, counted (dry run), collected for bulk add, or enqueued. */
const readBackfill = (
  core: FeedsCore,
  job: BackfillJob,
  client: HelpdeskClient,
  options: BackfillOptions,
  tally: BackfillTally
) =>
  Effect.gen(function* () {
    const { o } = core
    const dryRun = options.dryRun === true
    const source = job.source
    const creator = !dryRun && o.bulkCreate !== undefined && (yield* o.bulkCreate.ready) ? o.bulkCreate : undefined
    let bulk: Array<TicketEvent> = []
    let start: ReadStart = { since: options.since ?? new Date(0) }
    reading: for (;;) {
      const page: ReadPage = yield* core.retry(client.readPage(start))
      for (const event of page.events) {
        if (options.limit !== undefined && job.read >= options.limit) break reading
        job.read++
        o.metrics.feedTicketsRead.inc({ source, origin: "backfill" })
        const key = { source: event.source, ticketId: event.ticketId }
        const normalized = o.normalize?.(event.fields)
        if (normalized?._tag === "Invalid") {
          tally.refuse(event.ticketId, "Invalid", normalized.issues)
          continue
        }
        const link = yield* o.links.get(key)
        const applied = appliedOf(link)
        if (applied !== undefined && compareRevision(event.revision, applied) <= 0) {
          tally.upToDate++
          continue
        }
        const create = applied === undefined
        if (dryRun) {
          if (create) tally.created++
          else {
            tally.updated++
            if (tally.diffSample.length < 5 && link !== undefined && normalized?._tag === "Valid") {
              tally.diffSample.push({ ticketId: event.ticketId, changes: diff(link.appliedValues, normalized.values) })
            }
          }
          continue
        }
        // A ticket with no link, no create intent and nothing pending: created in a bulk add job. Anything
        // else (an interrupted create, a newer event on its way) goes through the engine.
        if (create && creator !== undefined && link === undefined && (yield* o.inbox.pendingFor(key)).count === 0) {
          bulk.push(event)
          job.enqueued++
          if (bulk.length >= creator.perJob) {
            yield* flushBulk(core, creator, job, tally, bulk)
            bulk = []
          }
          continue
        }
        yield* core.enqueue(event, "backfill")
        job.enqueued++
        tally.waiting.push({ key, revision: event.revision, create })
      }
      if (page.done) break
      start = { cursor: page.cursor }
    }
    if (creator !== undefined) yield* flushBulk(core, creator, job, tally, bulk)
  })

/** Wait for the engine: each enqueued ticket ends at the read revision, or in the dead letters. Answers how many are still open (none). */
const awaitEngine = (core: FeedsCore, job: BackfillJob, tally: BackfillTally) =>
  Effect.gen(function* () {
    const { o } = core
    let open: ReadonlyArray<Waiting> = tally.waiting
    for (;;) {
      const still: Array<Waiting> = []
      for (const w of open) {
        const applied = appliedOf(yield* o.links.get(w.key))
        if (applied !== undefined && compareRevision(applied, w.revision) >= 0) {
          if (w.create) tally.created++
          else tally.updated++
          job.finished++
          continue
        }
        const pendingCount = (yield* o.inbox.pendingFor(w.key)).count
        const error = pendingCount === 0 ? yield* o.links.lastError(w.key) : undefined
        if (error !== undefined) {
          tally.refuse(w.key.ticketId, error, [])
          job.finished++
          continue
        }
        still.push(w)
      }
      open = still
      if (open.length === 0) break
      yield* Effect.sleep(200)
    }
    return open.length
  })

const runBackfill = (core: FeedsCore, job: BackfillJob, client: HelpdeskClient, options: BackfillOptions) =>
  Effect.gen(function* () {
    const dryRun = options.dryRun === true
    const tally = new BackfillTally()
    yield* readBackfill(core, job, client, options, tally)
    job.state = "applying"
    const pending = yield* awaitEngine(core, job, tally)
    const refused = Object.values(tally.refusedReasons).reduce((a, b) => a + b, 0)
    job.summary = {
      source: job.source,
      dryRun,
      ...(options.since !== undefined ? { since: options.since.toISOString() } : {}),
      ...(options.limit !== undefined ? { limit: options.limit } : {}),
      read: job.read,
      created: tally.created,
      updated: tally.updated,
      upToDate: tally.upToDate,
      refused,
      refusedReasons: tally.refusedReasons,
      refusedSample: tally.refusedSample,
      diffSample: tally.diffSample,
      pending
    }
    job.state = "done"
    core.o.log.info(
      { ...job.summary, refusedSample: undefined, diffSample: undefined },
      dryRun ? "backfill dry run done" : "backfill done"
    )
  })

export const makeFeeds = (o: FeedsOptions): Feeds => {
  const sources = Object.keys(o.clients).filter((s) => o.clients[s] !== undefined)
  const clientOf = (source: string) => {
    const c = o.clients[source]
    return c === undefined ? Effect.fail(new UnknownFeedSource(source, sources)) : Effect.succeed(c)
  }
  const core = makeFeedsCore(o)
  const lockTtlMs = o.passLockTtlMs ?? PASS_LOCK_TTL_MS

  const reconcile: Feeds["reconcile"] = (source, options = {}) =>
    Effect.gen(function* () {
      const client = yield* clientOf(source)
      const release = yield* o.cursors.lock(source, lockTtlMs)
      if (release === undefined) return yield* Effect.fail(new PassBusy(source))
      return yield* reconcilePass(core, source, client, options).pipe(Effect.ensuring(release()))
    })

  const notified: Feeds["notified"] = (event) => {
    const client = o.fetchOnNotify.includes(event.source) ? o.clients[event.source] : undefined
    if (client === undefined) return Effect.succeed(event)
    return client.readTicket(event.ticketId).pipe(
      Effect.timeout(5000),
      Effect.map((read): TicketEvent => {
        o.metrics.feedTicketsRead.inc({ source: event.source, origin: "fetch" })
        return { ...read, origin: "fetch" }
      }),
      Effect.catchAll((e) =>
        Effect.sync(() => {
          // The webhook's own state is kept (nothing accepted is lost); the next reconciliation pass corrects its order.
          o.log.warn(
            { source: event.source, ticketId: event.ticketId, error: e.message },
            "fetch-on-notify read failed; enqueuing the webhook's own state"
          )
          return event
        })
      )
    )
  }

  const refreshGauges = Effect.zipRight(
    Effect.forEach(
      sources,
      (source) =>
        Effect.map(o.cursors.get(source), (c) => {
          if (c !== undefined)
            o.metrics.feedCursorAge.set({ source }, Math.max(0, (Date.now() - Date.parse(c.updatedAt)) / 1000))
        }),
      { discard: true }
    ),
    o.genesys?.refreshGauge ?? Effect.void
  )

  const jobs = new Map<string, BackfillJob>()
  let jobCounter = 0
  const startBackfill: Feeds["startBackfill"] = (source, options) =>
    Effect.gen(function* () {
      const client = yield* clientOf(source)
      const release = yield* o.cursors.lock(`backfill:${source}`, lockTtlMs)
      if (release === undefined) return yield* Effect.fail(new PassBusy(source))
      const job: BackfillJob = {
        id: `${source}-${Date.now().toString(36)}-${++jobCounter}`,
        source,
        state: "reading",
        read: 0,
        enqueued: 0,
        finished: 0,
        ...(options.limit !== undefined ? { limit: options.limit } : {})
      }
      jobs.set(job.id, job)
      yield* Effect.forkDaemon(
        runBackfill(core, job, client, options).pipe(
          Effect.catchAllCause((cause) =>
            Effect.sync(() => {
              job.state = "failed"
              job.error =
                Cause.squash(cause) instanceof Error
                  ? (Cause.squash(cause) as Error).message
                  : String(Cause.squash(cause))
              o.log.warn(
                { source, error: job.error },
                "backfill failed; run it again to resume (tickets already applied are up to date)"
              )
            })
          ),
          Effect.ensuring(release())
        )
      )
      return job
    })

  return {
    sources,
    reconcile,
    notified,
    refreshGauges,
    startBackfill,
    backfillJob: (id) => jobs.get(id),
    ...(o.genesys !== undefined ? { genesys: o.genesys } : {})
  }
}
