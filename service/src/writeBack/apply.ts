/**
 * The write-back step: a ticket's pending `genesys` events (agents' changes to its workitem) written to the helpdesk
 * through `@workbridge/helpdesk-clients` `writeBack` (docs/write-back.md). The engine runs it on the `genesys`
 * entries of a batch, after the forward entries are applied.
 *
 *   newest event only (the older ones are superseded by it) → ignored, writing nothing, when: Workbridge's own
 *   OAuth client made the change; write-back is off for the source; the ticket has no link, or its link names
 *   another workitem (nothing is ever created in reverse); an event as new was handled already; the helpdesk's
 *   applied change is newer (the "both" rule); the workitem's status maps to no helpdesk status and its assignee to
 *   no helpdesk agent; the status was written back already, the ticket still has it and neither another mapped
 *   assignee nor a new wrap-up code came → a token of the source's write budget (none: the ticket waits in the inbox
 *   until one is due) → `writeBack(ticketId, {status, assignee, note, seenUntil})` (nothing is written while the
 *   ticket was updated after the newest helpdesk change applied or written back: the ticket waits in the inbox for
 *   that change's webhook, at most `MAX_UNSEEN_WAITS` times) → the link records the write-back and its
 *   applied status moves to the value written, so neither the helpdesk's echo nor a later forward event PATCHes the
 *   agent's status back.
 *
 * Transient failures (a 429, a 5xx, a network error) send the ticket back to the inbox with a delay; anything else
 * dead-letters the event (replay puts it back).
 */
import { type Catalog, writeBackStatusMap, writeBackTarget } from "@workbridge/catalog"
import type { HelpdeskWriter, ReadError } from "@workbridge/helpdesk-clients"
import { Clock, Effect } from "effect"
import type { Logger } from "pino"
import type { StoreError } from "../domain/errors.js"
import {
  isCreatePending,
  type InboxEntry,
  type Link,
  type Outcome,
  type TicketKey,
  type WriteBackState
} from "../domain/records.js"
import type { LinkStoreService } from "../links/LinkStore.js"
import type { WorktypeStatus } from "@workbridge/genesys"
import type { WriteBudget } from "./Budget.js"
import { type WorkitemChange, workitemChangeOf } from "./WorkitemEvent.js"

/** What became of a write-back (the `outcome` label of `workbridge_write_backs_total`). */
export type WriteBackOutcome =
  /** The status or the assignee (and the note) were written. */
  | "written"
  /** The helpdesk already had the status and the assignee: only the note was written. */
  | "unchanged"
  /** Workbridge's own OAuth client made the change (an echo of a forward write). */
  | "own_change"
  /** Write-back is off for the source (or it has no API client). */
  | "disabled"
  /** The ticket has no link, or its link names another workitem: nothing is created in reverse. */
  | "not_linked"
  /** An event as new (or newer) was already handled, or the helpdesk's applied change is newer. */
  | "older"
  /** The workitem's status maps to no status of the source, and its assignee to no agent of it. */
  | "unmapped"
  /**
   * The status was written back already and the ticket still has it, and the change brings no new wrap-up code (an
   * edit of a workitem that keeps its status): nothing written.
   */
  | "repeat"
  /** Written later: a transient failure, the write budget, or a helpdesk change not seen yet. */
  | "retry"
  /** Dead-lettered. */
  | "dead"

export interface WriteBackOptions {
  readonly catalog: Catalog
  /** Source → the client that writes to it (the sources with write-back on). */
  readonly writers: Readonly<Record<string, HelpdeskWriter>>
  /** Workbridge's own Genesys OAuth client id(s): their changes are never written back. */
  readonly selfIds: ReadonlyArray<string>
  readonly budget: WriteBudget
  /**
   * Source → Genesys user id → the source's agent (`WORKBRIDGE_ASSIGNEE_MAP_<SOURCE>`): the workitem's assignee is
   * written as the ticket's when mapped.
   */
  readonly assignees?: Readonly<Record<string, Readonly<Record<string, string>>>>
  /** A link to the workitem for the note (undefined: the note names the workitem id). */
  readonly workitemUrl?: (workitemId: string) => string
  /** First wait after a transient failure; doubles per attempt up to `maxBackoffMs`. */
  readonly backoffMs?: number
  readonly maxBackoffMs?: number
  /**
   * Read the ticket from the helpdesk and put its state into the inbox as a `fetch` event (answers whether it did).
   * Used when the helpdesk has a change the service has not applied yet: the change is read instead of waiting for
   * its webhook. Absent (or failing): the write-back waits for the webhook.
   */
  readonly fetch?: (key: TicketKey) => Effect.Effect<boolean>
}

export type WriteBackResult =
  | {
      readonly _tag: "Done"
      readonly outcome: WriteBackOutcome
      readonly outcomes: ReadonlyArray<Outcome>
      readonly workitemId?: string
      /** A permanent failure: the dead letter's reason and details. */
      readonly dead?: { readonly reason: string; readonly details: ReadonlyArray<string> }
    }
  | { readonly _tag: "Retry"; readonly delayMs: number; readonly reason: string }

export interface WriteBackDeps {
  readonly options: WriteBackOptions
  readonly links: LinkStoreService
  readonly log: Logger
  /** The worktype's statuses now (id → name). */
  readonly statuses: () => ReadonlyArray<WorktypeStatus>
}

const outcomesOf = (entries: ReadonlyArray<InboxEntry>, newest: "applied" | "superseded" | "dead"): Array<Outcome> =>
  entries.map((e, i) => ({
    deliveryKey: e.event.deliveryKey,
    revision: e.event.revision,
    outcome: i === entries.length - 1 ? newest : "superseded"
  }))

/** The note for the helpdesk's agents: who, what status, which wrap-up, and where the workitem is. */
export const writeBackNote = (change: WorkitemChange, statusName: string | undefined, url: string | undefined) => {
  const lines = [
    `Genesys Cloud: workitem ${change.name !== undefined ? `"${change.name}" ` : ""}${statusName !== undefined ? `set to ${statusName}` : "changed"}.`
  ]
  const agent = change.assigneeId ?? change.modifiedBy
  if (agent !== undefined) lines.push(`Agent: ${agent}`)
  if (change.wrapupCode !== undefined) lines.push(`Wrap-up: ${change.wrapupCode}`)
  lines.push(`Workitem: ${url ?? change.workitemId}`)
  return lines.join("\n")
}

/**
 * How many times a write-back waits for a helpdesk change it has not seen (its webhook delayed: a restart, a 429
 * wait) before it writes anyway — the webhook may be lost; the helpdesk reconciliation would bring the change later.
 * With the default backoff (1 s doubling) the waits add up to about 31 s.
 */
/** Waits for an unseen helpdesk change's webhook before the write-back reads the ticket instead. */
export const FETCH_AFTER_WAITS = 2

export const MAX_UNSEEN_WAITS = 5

/** The later of two ISO-8601 times (either may be absent). */
const latest = (a: string | undefined, b: string | undefined): string | undefined =>
  a === undefined ? b : b === undefined ? a : Date.parse(b) > Date.parse(a) ? b : a

/** A helpdesk failure worth retrying: a rate limit, a 5xx, a 408/409, or no answer at all. */
const transient = (e: ReadError): boolean =>
  e._tag === "RateLimited" || e.status === undefined || e.status >= 500 || e.status === 408 || e.status === 409

/** Write back the ticket's `genesys` entries (sorted by revision, oldest first; never empty). */
export const writeBackEntries = (
  deps: WriteBackDeps,
  key: TicketKey,
  entries: ReadonlyArray<InboxEntry>
): Effect.Effect<WriteBackResult, StoreError> =>
  Effect.gen(function* () {
    const { options, links, log } = deps
    const newest = entries[entries.length - 1]!.event
    const change = workitemChangeOf(newest)
    const done = (outcome: WriteBackOutcome, kind: "applied" | "superseded" = "superseded"): WriteBackResult => ({
      _tag: "Done",
      outcome,
      outcomes: outcomesOf(entries, kind)
    })
    if (change === undefined) {
      return {
        _tag: "Done",
        outcome: "dead",
        outcomes: outcomesOf(entries, "dead"),
        dead: { reason: "Invalid", details: ["the event carries no workitem change"] }
      }
    }
    if (change.modifiedBy !== undefined && options.selfIds.includes(change.modifiedBy)) return done("own_change")
    const writer = options.writers[key.source]
    if (writer === undefined) return done("disabled")
    const stored = yield* links.get(key)
    const link: Link | undefined = stored === undefined || isCreatePending(stored) ? undefined : stored
    if (link === undefined || link.workitemId !== change.workitemId) {
      log.info(
        { source: key.source, ticketId: key.ticketId, workitemId: change.workitemId, linked: link?.workitemId },
        "workitem event for a ticket not linked to that workitem; nothing is written back"
      )
      return done("not_linked")
    }
    const eventAt = Date.parse(change.dateModified)
    // The waits for an unseen helpdesk change count only while this write-back is pending: every other record drops it.
    const { unseenWaits: waited = 0, ...kept } = link.writeBack ?? {}
    const state: WriteBackState | undefined = link.writeBack === undefined ? undefined : kept
    const waiting = waited > 0 ? { unseenWaits: waited } : {}
    const handled = state?.eventAt !== undefined && Date.parse(state.eventAt) >= eventAt
    // The "both" rule: the newer change wins — the helpdesk change applied last against the workitem's modification.
    // Per field: the helpdesk's last change of the status, not its last change of anything.
    const helpdeskAt = link.statusChangedAt ?? link.occurredAt
    const helpdeskNewer = helpdeskAt !== undefined && Date.parse(helpdeskAt) > eventAt
    if (handled || helpdeskNewer) {
      // A write-back that was waiting (a 429, the budget) is dropped here: the link must no longer say it is pending.
      if (state?.pending === true) {
        const { attempts: _attempts, ...rest } = state
        yield* links.compareAndSet(key, link.appliedRevision, {
          ...link,
          writeBack: { ...rest, pending: false, outcome: "older" }
        })
      }
      return done("older")
    }

    const statusName = deps.statuses().find((s) => s.id === change.statusId)?.name
    const target = statusName === undefined ? undefined : writeBackTarget(options.catalog, key.source, statusName)
    const assignee = change.assigneeId === undefined ? undefined : options.assignees?.[key.source]?.[change.assigneeId]
    const record = (next: WriteBackState, values: Readonly<Record<string, unknown>> = link.appliedValues) =>
      links.compareAndSet(key, link.appliedRevision, { ...link, appliedValues: values, writeBack: next })
    if (target === undefined && assignee === undefined) {
      yield* record({ ...state, eventAt: change.dateModified, outcome: "unmapped", pending: false })
      return done("unmapped")
    }

    // An agent's later change that keeps the status last written back (an edit, a second save of a workitem In
    // Progress) writes nothing more while the ticket still has that status — applied as the value written or read
    // back as it — and the change names no other mapped assignee and no new wrap-up code.
    if (target !== undefined) {
      const applied = link.appliedValues[target.key]
      const ticketHasIt =
        applied === target.value ||
        (typeof applied === "string" && writeBackStatusMap(options.catalog, key.source)[applied] === target.status)
      if (
        state?.status === target.status &&
        ticketHasIt &&
        (assignee === undefined || assignee === state.assignee) &&
        (change.wrapupCode === undefined || change.wrapupCode === state.wrapupCode)
      ) {
        yield* record({ ...state, eventAt: change.dateModified, outcome: "repeat", pending: false })
        return done("repeat")
      }
    }

    const wait = yield* options.budget.take(key.source)
    if (wait > 0) {
      yield* record({ ...state, pending: true, ...waiting })
      return { _tag: "Retry", delayMs: wait, reason: `the ${key.source} write budget is spent` }
    }
    // The guard against writing over a helpdesk change the service has not applied yet: the ticket's last update must
    // be no later than the newest helpdesk change applied, or than the last write-back (whose own update of the
    // ticket has its echo on the way).
    const seenUntil = latest(link.occurredAt, state?.lastWrittenAt)
    const guarded = seenUntil !== undefined && waited < MAX_UNSEEN_WAITS
    if (seenUntil !== undefined && !guarded)
      log.warn(
        { source: key.source, ticketId: key.ticketId, workitemId: link.workitemId, waits: waited, seenUntil },
        "the helpdesk change the write-back waited for never arrived; writing the agent's change anyway"
      )
    const note = writeBackNote(change, statusName, options.workitemUrl?.(change.workitemId))
    const written = yield* Effect.either(
      writer.writeBack(key.ticketId, {
        ...(target === undefined ? {} : { status: target.status }),
        ...(assignee === undefined ? {} : { assignee }),
        note,
        ...(guarded ? { seenUntil } : {})
      })
    )
    if (written._tag === "Left") {
      const e = written.left
      if (transient(e)) {
        const attempts = (state?.attempts ?? 0) + 1
        const base = options.backoffMs ?? 1000
        const delayMs =
          e._tag === "RateLimited"
            ? Math.max(e.retryAfterMs, base)
            : Math.min(options.maxBackoffMs ?? 60_000, base * 2 ** Math.min(attempts - 1, 16))
        yield* record({ ...state, pending: true, attempts, lastError: e.message, ...waiting })
        log.warn(
          { source: key.source, ticketId: key.ticketId, error: e.message, delayMs },
          "write-back failed; the event stays in the inbox"
        )
        return { _tag: "Retry", delayMs, reason: e.message }
      }
      const { attempts: _attempts, ...before } = state ?? {}
      yield* record({ ...before, pending: false, lastError: e.message, outcome: "dead" })
      return {
        _tag: "Done",
        outcome: "dead",
        outcomes: outcomesOf(entries, "dead"),
        workitemId: link.workitemId,
        dead: { reason: `Helpdesk${e.status ?? ""}`, details: [e.message] }
      }
    }
    if (written.right.unseenChange === true) {
      const reason = "the helpdesk has a change the service has not applied yet"
      const unseenWaits = waited + 1
      const base = options.backoffMs ?? 1000
      // The change's webhook is waited for twice (its events time each status change exactly); then the ticket is
      // read and queued ahead of the write-back (the engine applies a batch's forward entries first). When it cannot
      // be read, the write-back keeps waiting for the webhook, longer each time.
      const fetched =
        options.fetch === undefined || unseenWaits <= FETCH_AFTER_WAITS ? false : yield* options.fetch(key)
      const delayMs = fetched
        ? Math.min(base, 1000)
        : Math.min(options.maxBackoffMs ?? 60_000, base * 2 ** Math.min(unseenWaits - 1, 16))
      yield* record({ ...state, pending: true, unseenWaits, lastError: reason })
      log.info(
        { source: key.source, ticketId: key.ticketId, workitemId: link.workitemId, seenUntil, delayMs, fetched },
        fetched
          ? "the ticket changed after the newest helpdesk change applied; read it, the write-back waits for it to apply"
          : "the ticket changed after the newest helpdesk change applied; the write-back waits for its webhook"
      )
      return { _tag: "Retry", delayMs, reason }
    }
    const outcome: WriteBackOutcome =
      written.right.statusWritten || written.right.assigneeWritten ? "written" : "unchanged"
    const at = new Date(yield* Clock.currentTimeMillis).toISOString()
    // The applied status moves to the value written: the helpdesk's echo of it, and later forward events that keep
    // it, leave the agent's status alone. A write of the assignee alone keeps the status last written.
    const status = target?.status ?? state?.status
    const value = target?.value ?? state?.value
    const ok = yield* record(
      {
        ...(status === undefined ? {} : { status }),
        ...(value === undefined ? {} : { value }),
        ...(assignee === undefined ? {} : { assignee }),
        lastWrittenAt: at,
        ...(change.wrapupCode !== undefined ? { wrapupCode: change.wrapupCode } : {}),
        eventAt: change.dateModified,
        outcome
      },
      target === undefined ? link.appliedValues : { ...link.appliedValues, [target.key]: target.value }
    )
    if (!ok) log.warn({ source: key.source, ticketId: key.ticketId }, "the link moved during the write-back")
    log.info(
      {
        source: key.source,
        ticketId: key.ticketId,
        workitemId: link.workitemId,
        status: target?.status,
        assignee,
        outcome
      },
      "written back to the helpdesk"
    )
    return { _tag: "Done", outcome, outcomes: outcomesOf(entries, "applied"), workitemId: link.workitemId }
  })

/** The fields an echo may differ in besides the status: bookkeeping Workbridge or the helpdesk moves on every change. */
export const ECHO_BOOKKEEPING_FIELDS: ReadonlyArray<string> = ["source_revision", "last_synced", "updated_at"]

/**
 * Whether a helpdesk event is the echo of the link's last write-back: its values equal the applied ones but for the
 * bookkeeping fields and a status that writes back to the helpdesk status written (or is the applied one), while the
 * applied status is still the one the write-back left (no other helpdesk status was applied since). An assignee
 * written is seen by no catalog field (the adapters decode no assignee), so its echo differs in the bookkeeping
 * fields only.
 */
export const isWriteBackEcho = (
  catalog: Catalog,
  source: string,
  link: Link,
  values: Readonly<Record<string, unknown>>
): boolean => {
  const written = link.writeBack?.status
  if (written === undefined && link.writeBack?.assignee === undefined) return false
  const statusKey = catalog.fields.find((f) => f.attribute === "statusId")?.key
  const strip = (v: Readonly<Record<string, unknown>>) => {
    const out: Record<string, unknown> = {}
    for (const k of Object.keys(v).sort()) {
      if (!ECHO_BOOKKEEPING_FIELDS.includes(k) && k !== statusKey) out[k] = v[k]
    }
    return JSON.stringify(out)
  }
  if (strip(values) !== strip(link.appliedValues)) return false
  if (statusKey === undefined) return true
  const map = writeBackStatusMap(catalog, source)
  const applied = link.appliedValues[statusKey]
  // A helpdesk status applied forward since the write-back (a human moved the ticket on) ends the echo window: a
  // later event back at the written status is that human's change, not the echo, and must reach Genesys.
  if (
    written !== undefined &&
    applied !== link.writeBack?.value &&
    !(typeof applied === "string" && map[applied] === written)
  )
    return false
  const status = values[statusKey]
  return status === applied || (written !== undefined && typeof status === "string" && map[status] === written)
}
