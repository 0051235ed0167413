/**
 * The write-back step: a ticket's pending `genesys` events (agents' changes to its workitem) written to the helpdesk
 * through `@workbridge/helpdesk-clients` `writeBack` (docs/write-back.md). The engine runs it on the `genesys`
 * entries of a batch, after the forward entries are applied.
 *
 *   the agents' changes into the link's status log (sync/statusRule.ts) → ignored, writing nothing, when:
 *   Workbridge's own OAuth client made the newest change; write-back is off for the source; the ticket has no link,
 *   or its link names another workitem (nothing is ever created in reverse); the "both" rule gives the status to a
 *   person's newer helpdesk change and the helpdesk has it; the workitem's status maps to no helpdesk status and its
 *   assignee to no helpdesk agent; the status was written back already, the ticket still has it and neither another
 *   mapped assignee nor a new wrap-up code came → a token of the source's write budget (none: the ticket waits in the inbox
 *   until one is due) → `writeBack(ticketId, {status, assignee, note, seenUntil})` (nothing is written while the
 *   ticket was updated after the newest helpdesk change applied or written back: the ticket waits in the inbox for
 *   that change's webhook, at most `MAX_UNSEEN_WAITS` times) → the link records the write-back and its
 *   applied status moves to the value written, so neither the helpdesk's echo nor a later forward event PATCHes the
 *   agent's status back. The rule may also want a person's newer status written back over a write-back that replaced
 *   it, or the workitem's status set back to an agent's that a forward move replaced (the engine does that).
 *
 * Transient failures (a 429, a 5xx, a network error) send the ticket back to the inbox with a delay; anything else
 * dead-letters the event (replay puts it back).
 */
import { type Catalog, writeBackStatusMap } from "@workbridge/catalog"
import { answeredWithin, type HelpdeskWriter, type ReadError, type StatusRead } from "@workbridge/helpdesk-clients"
import { Clock, Effect } from "effect"
import type { Logger } from "pino"
import type { StoreError } from "../domain/errors.js"
import {
  isCreatePending,
  type InboxEntry,
  type Link,
  type Outcome,
  type StatusLog,
  type TicketKey,
  type WriteBackState
} from "../domain/records.js"
import type { LinkStoreService } from "../links/LinkStore.js"
import type { WorktypeStatus } from "@workbridge/genesys"
import type { WriteBudget } from "./Budget.js"
import { agentChangesOf, type WorkitemChange, workitemChangeOf } from "./WorkitemEvent.js"
import {
  beginWrite,
  dropWriteIntent,
  EMPTY_STATUS_LOG,
  observeAgent,
  statusContext,
  statusTargets,
  workitemNeedsMove,
  type WriteAttempt,
  workitemStatusNow,
  writeDone,
  writeNotDone
} from "../sync/statusRule.js"

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
  /** A person's newer helpdesk change holds the status (the "both" rule), and the helpdesk has it. */
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
  /** How long one write-back (its read of the ticket and its write) may go unanswered; default {@link WRITE_BACK_TIMEOUT_MS}. */
  readonly timeoutMs?: number
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
      /**
       * The workitem's status must be set to the "both" rule's winner's (Workbridge or an agent moved it without
       * knowing of the newer change): the engine does it (sync/apply.ts `convergeStatus`).
       */
      readonly restore?: true
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

/**
 * The same with a read client (`fetch`): each wait after the first two reads the ticket, and while the reads are
 * refused (a 429 storm) the write-back keeps waiting, up to this many times (about 7 minutes with the default
 * backoff) — a read that works brings the change in, where writing anyway would overwrite it.
 */
export const MAX_UNSEEN_WAITS_WITH_READS = 12

/** The later of two ISO-8601 times (either may be absent). */
const latest = (a: string | undefined, b: string | undefined): string | undefined =>
  a === undefined ? b : b === undefined ? a : Date.parse(b) > Date.parse(a) ? b : a

/** What a failed write-back means (see {@link classifyWriteFailure}). */
export interface WriteFailure {
  /** Worth retrying: a rate limit, a 5xx, a 408/409, or no answer at all. Anything else is a refusal. */
  readonly retry: boolean
  /**
   * The status may have been written all the same: no answer (a timeout, a dropped connection) or a server error to
   * a write. A read that failed (the write-back reads the ticket first), a rate-limit answer and a refusal wrote
   * nothing.
   */
  readonly mayHaveWritten: boolean
}

/** A failed write-back, judged once: whether to retry it and whether its status write may have landed. */
export const classifyWriteFailure = (e: ReadError): WriteFailure => {
  if (e._tag === "RateLimited") return { retry: true, mayHaveWritten: false }
  const unanswered = e.status === undefined && e.invalid !== true
  const serverError = e.status !== undefined && e.status >= 500
  const wrote = e.invalid !== true && !e.operation.startsWith("GET ")
  return {
    retry: unanswered || serverError || e.status === 408 || e.status === 409,
    mayHaveWritten: wrote && (unanswered || serverError)
  }
}

/** An agent status of the log, for the debug log (without the change it came from). */
export const agentSummary = (a: StatusLog["agent"]) =>
  a === undefined
    ? undefined
    : { eventAt: a.eventAt, statusId: a.statusId, statusAt: a.statusAt, last: a.lastStatusId, lastAt: a.lastStatusAt }

/**
 * How long one write-back — the read of the ticket and the write — may go unanswered before it is abandoned and
 * retried: well inside the minute an intent's echo is looked for after the read (`INTENT_ECHO_WINDOW_MS`), so a write
 * whose answer is lost lands, if at all, within it.
 */
export const WRITE_BACK_TIMEOUT_MS = 30_000

/**
 * The write-back sources whose `HELPDESK_TIMEOUT_MS` (each call's time) is longer than a whole write-back may take:
 * for their write-backs it never applies, the write-back's own {@link WRITE_BACK_TIMEOUT_MS} cuts first. Said at start.
 */
export const callTimeLongerThanAWriteBack = (
  helpdesks: Readonly<Record<string, { readonly timeoutMs?: number | undefined } | undefined>>,
  sources: ReadonlyArray<string>
): ReadonlyArray<{ readonly source: string; readonly timeoutMs: number }> =>
  sources.flatMap((source) => {
    const timeoutMs = helpdesks[source]?.timeoutMs
    return timeoutMs !== undefined && timeoutMs > WRITE_BACK_TIMEOUT_MS ? [{ source, timeoutMs }] : []
  })

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
    // The waits for an unseen helpdesk change count only while this write-back is pending: every other record drops it.
    const { unseenWaits: waited = 0, ...kept } = link.writeBack ?? {}
    const state: WriteBackState | undefined = link.writeBack === undefined ? undefined : kept
    const waiting = waited > 0 ? { unseenWaits: waited } : {}
    // The agents' changes go into the status log; the "both" rule (sync/statusRule.ts) decides what each side should
    // have: the newer of a person's helpdesk change and an agent's change wins, per field.
    const before = link.statusLog ?? EMPTY_STATUS_LOG
    let statusLog = before
    for (const c of agentChangesOf(
      entries.map((e) => e.event),
      options.selfIds
    ))
      statusLog = observeAgent(statusLog, c, link.statusId)
    // A change the write-back step has not handled yet (the forward step may have recorded it in the log already).
    const isNew = state?.eventAt === undefined || Date.parse(change.dateModified) > Date.parse(state.eventAt)
    const ctx = statusContext(options.catalog, key.source, deps.statuses)
    const targets = statusTargets(statusLog, ctx)
    const statusNow = workitemStatusNow(statusLog, link.statusId)
    const statusKey = options.catalog.fields.find((f) => f.attribute === "statusId")?.key
    // The applied status follows an agent's change made after Workbridge last moved the workitem (what a later
    // forward PATCH is derived against).
    const agentValue =
      statusNow !== undefined && statusNow !== link.statusId ? ctx.agentTarget(statusNow)?.value : undefined
    const base: Link = {
      ...link,
      statusLog,
      ...(statusNow !== undefined ? { statusId: statusNow } : {}),
      appliedValues:
        statusKey !== undefined && agentValue !== undefined
          ? { ...link.appliedValues, [statusKey]: agentValue }
          : link.appliedValues
    }
    // The workitem is not at the winner's status: an agent's change won over a status Workbridge set without knowing
    // of it, or an agent's change older than a person's newer helpdesk change (applied before this event came) moved
    // it. The engine sets it (sync/apply.ts `convergeStatus`).
    const restore = workitemNeedsMove(targets, statusNow)
    // The status log as recorded: a write's intent joins it before the write goes out (below).
    let logged = statusLog
    const record = (next: WriteBackState, values: Readonly<Record<string, unknown>> = base.appliedValues) =>
      links.compareAndSet(key, link.appliedRevision, {
        ...base,
        statusLog: logged,
        appliedValues: values,
        writeBack: next
      })
    const finish = (outcome: WriteBackOutcome): WriteBackResult => ({
      ...done(outcome),
      ...(restore ? { restore: true } : {})
    })
    const settle = (outcome: WriteBackOutcome) =>
      Effect.gen(function* () {
        const { attempts: _attempts, ...rest } = state ?? {}
        yield* record({ ...rest, eventAt: statusLog.agent?.eventAt ?? change.dateModified, outcome, pending: false })
        return finish(outcome)
      })
    if (log.isLevelEnabled("debug"))
      log.debug(
        {
          source: key.source,
          ticketId: key.ticketId,
          eventAt: change.dateModified,
          statusId: change.statusId,
          statusChanged: change.statusChanged,
          statusChangedAt: change.statusChangedAt,
          origin: newest.origin,
          modifiedBy: change.modifiedBy !== undefined,
          isNew,
          agentBefore: agentSummary(before.agent),
          agent: agentSummary(statusLog.agent),
          winner: targets?.winner,
          helpdesk: targets?.helpdesk,
          statusNow,
          restore
        },
        "write-back decision"
      )

    const assignee =
      isNew && change.assigneeId !== undefined ? options.assignees?.[key.source]?.[change.assigneeId] : undefined
    // What goes to the helpdesk: the status the rule wants there, and — for an agent's change that won — its
    // assignee and the note.
    const agentWon = targets?.winner.side === "agent"
    const target = agentWon ? ctx.agentTarget(targets.winner.statusId) : undefined
    // The note names the status written: the agent's that won (an older change arriving late may have shown the
    // agent's newest status change to be another one), else the change's own.
    const statusName = deps
      .statuses()
      .find((s) => s.id === (agentWon ? targets.winner.statusId : change.statusId))?.name
    // A person's helpdesk change is newer (or no status change decides) and the helpdesk has its status: only an
    // assignee of the agent's change is left to write.
    if (!agentWon && targets?.helpdesk === undefined && assignee === undefined)
      // An agent's change that did not move the status (an edit) is no status change of theirs: nothing to write.
      return yield* settle(
        statusLog.agent?.statusAt === (change.statusChangedAt ?? change.dateModified) ? "older" : "repeat"
      )
    if (agentWon && target === undefined && assignee === undefined) return yield* settle("unmapped")
    if (
      agentWon &&
      targets.helpdesk === undefined &&
      (state?.status === target?.status || !isNew) &&
      (assignee === undefined || assignee === state?.assignee) &&
      (change.wrapupCode === undefined || change.wrapupCode === state?.wrapupCode || !isNew)
    )
      return yield* settle("repeat")
    // An agent's status that won is sent with every write of theirs (the writer skips a status the ticket has).
    const wanted = agentWon ? target : targets?.helpdesk
    const noted = agentWon ? isNew || state?.status !== target?.status : assignee !== undefined

    const wait = yield* options.budget.take(key.source)
    if (wait > 0) {
      yield* record({ ...state, pending: true, ...waiting })
      return { _tag: "Retry", delayMs: wait, reason: `the ${key.source} write budget is spent` }
    }
    // The guard against writing over a helpdesk change the service has not applied yet: the ticket's last update must
    // be no later than the newest helpdesk change applied, or than the last write-back (whose own update of the
    // ticket has its echo on the way).
    const seenUntil = latest(link.occurredAt, state?.lastWrittenAt)
    const guarded =
      seenUntil !== undefined && waited < (options.fetch === undefined ? MAX_UNSEEN_WAITS : MAX_UNSEEN_WAITS_WITH_READS)
    if (seenUntil !== undefined && !guarded)
      log.warn(
        { source: key.source, ticketId: key.ticketId, workitemId: link.workitemId, waits: waited, seenUntil },
        "the helpdesk change the write-back waited for never arrived; writing the agent's change anyway"
      )
    const note = noted ? writeBackNote(change, statusName, options.workitemUrl?.(change.workitemId)) : undefined
    const newestSeen = statusLog.helpdesk[statusLog.helpdesk.length - 1]?.at
    // What the helpdesk's webhook of the write reports: its echo (ServiceNow state 2, written for `new`, as `open`).
    const matches = (status: string) => ctx.echoValuesOf?.(status) ?? []
    // The write's intent (sync/statusRule.ts `beginWrite`), recorded once the ticket was read and its status is about
    // to be written — not before the read: a write-back cut short by a `kill -9` while it read wrote nothing, and an
    // intent left from it would take a person's later change to that status for its echo. If the write's answer is
    // lost, its echo is still known as this write's. An intent from an earlier attempt of the same status stays.
    const attempted: { current?: WriteAttempt } = {}
    const beforeStatusWrite = (read: StatusRead) =>
      Effect.gen(function* () {
        if (wanted?.value == null) return
        const attempt = beginWrite(statusLog, {
          after: latest(read.updatedAt, newestSeen) ?? new Date(yield* Clock.currentTimeMillis).toISOString(),
          value: wanted.value,
          status: wanted.status,
          matches: matches(wanted.status),
          ...(read.readAt === undefined ? {} : { readAt: read.readAt })
        })
        attempted.current = attempt
        // Nothing new to record: an earlier attempt's intent of this status stands, read no later than this one.
        if (attempt.log === statusLog) return
        logged = attempt.log
        yield* record({ ...state, pending: true, ...waiting })
      })
    const timeoutMs = options.timeoutMs ?? WRITE_BACK_TIMEOUT_MS
    const written = yield* Effect.either(
      writer
        .writeBack(key.ticketId, {
          ...(wanted === undefined ? {} : { status: wanted.status }),
          ...(assignee === undefined ? {} : { assignee }),
          ...(note === undefined ? {} : { note }),
          ...(guarded ? { seenUntil } : {}),
          beforeStatusWrite
        })
        .pipe(
          // A connection that never answers must not hold the ticket: the call is abandoned and retried. Past the
          // read (its intent recorded) the write may have gone out, and its intent stays; before it nothing did.
          answeredWithin(
            key.source,
            () => (attempted.current === undefined ? "GET (the read before the write)" : "write"),
            timeoutMs
          )
        )
    )
    const attempt = attempted.current
    if (written._tag === "Left") {
      const e = written.left
      // The intent could not be recorded: nothing was written (the engine retries, as after any store failure).
      if (e._tag === "StoreError") return yield* Effect.fail(e)
      const failure = classifyWriteFailure(e)
      // A failure that wrote nothing drops this attempt's intent; one that may have written keeps it.
      if (attempt !== undefined) logged = writeNotDone(attempt, failure.mayHaveWritten)
      if (failure.retry) {
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
      // Refused: nothing was written.
      if (attempt !== undefined) logged = dropWriteIntent(logged, attempt.status)
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
      // Nothing was written: this attempt's intent goes (an earlier attempt's stays).
      if (attempt !== undefined) logged = writeNotDone(attempt, false)
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
    const status = wanted?.status ?? state?.status
    const value = wanted === undefined ? state?.value : (wanted.value ?? undefined)
    // The write's echo is Workbridge's own, not a person's change: the ticket's update time before it marks it.
    // The later of the two: a vendor's update time read through its API may be in whole seconds where its webhooks
    // give milliseconds, and the guard made sure the newest event seen is the ticket as the write found it.
    const after = latest(written.right.updatedBefore, newestSeen) ?? at
    // The write's record replaces its intent; a status found already there keeps an earlier attempt's intent (its
    // write landed before its answer was lost), and drops this attempt's.
    const loggedWrite =
      attempt === undefined || wanted?.value == null
        ? logged
        : writeDone(
            attempt,
            written.right.statusWritten
              ? {
                  after,
                  ...(written.right.updatedAfter === undefined ? {} : { at: written.right.updatedAfter }),
                  value: wanted.value,
                  status: wanted.status,
                  matches: matches(wanted.status)
                }
              : undefined
          )
    const ok = yield* links.compareAndSet(key, link.appliedRevision, {
      ...base,
      statusLog: loggedWrite,
      appliedValues:
        agentWon && target !== undefined && statusKey !== undefined
          ? { ...base.appliedValues, [statusKey]: target.value }
          : base.appliedValues,
      writeBack: {
        ...(status === undefined ? {} : { status }),
        ...(value === undefined ? {} : { value }),
        ...(assignee === undefined
          ? state?.assignee === undefined
            ? {}
            : { assignee: state.assignee }
          : { assignee }),
        lastWrittenAt: at,
        ...(change.wrapupCode !== undefined ? { wrapupCode: change.wrapupCode } : {}),
        eventAt: statusLog.agent?.eventAt ?? change.dateModified,
        outcome
      }
    })
    if (!ok) log.warn({ source: key.source, ticketId: key.ticketId }, "the link moved during the write-back")
    log.info(
      {
        source: key.source,
        ticketId: key.ticketId,
        workitemId: link.workitemId,
        status: wanted?.status,
        assignee,
        outcome,
        ...(agentWon ? {} : { restored: true })
      },
      agentWon
        ? "written back to the helpdesk"
        : "a person's newer helpdesk status written back over Workbridge's write"
    )
    return {
      _tag: "Done",
      outcome,
      outcomes: outcomesOf(entries, "applied"),
      workitemId: link.workitemId,
      ...(restore ? { restore: true } : {})
    }
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
