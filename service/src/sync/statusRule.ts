/**
 * The "both" rule for the status (docs/write-back.md, "Who wins"): the newest change wins — a person's change of the
 * ticket's status in the helpdesk against an agent's change of the workitem's status in Genesys. Pure functions over
 * the link's `StatusLog`, which both directions feed:
 *
 * - every helpdesk event of the ticket the service gets (applied, coalesced, arriving late after a newer one, read
 *   back by a fetch or a reconciliation) adds its revision, time and status to `helpdesk`;
 * - every write-back that changed the helpdesk status adds the ticket's update time read just before it to
 *   `written`, so that the event it causes (its echo) is known as Workbridge's and not a person's change;
 * - every agent change of the workitem updates `agent` (a change that keeps the status does not move its time);
 * - every PATCH or POST of Workbridge's that set the status records Genesys's `dateModified` as `movedAt`, and a
 *   status its walk read (not trusting the one recorded) is recorded at the workitem's `dateStatusChanged`.
 *
 * A person's newest status change is the first helpdesk event of the newest run of one status that no write-back
 * explains. Its time is exact when every event arrived; an event arriving late (after a newer one) can move it, and
 * the rule is decided again then. The winner's status is what both sides should end at.
 */
import { type Catalog, compareRevision, writeBackStatusMap, writeBackTarget } from "@workbridge/catalog"
import { valuesReadFrom, vendorStatusFor } from "@workbridge/adapters"
import type { WorktypeStatus } from "@workbridge/genesys"
import type { AgentStatus, StatusLog, StatusSeen, StatusWritten } from "../domain/records.js"

/** How many helpdesk events a link keeps (a ticket's newest changes; the older ones no longer decide anything). */
export const STATUS_SEEN_CAP = 32
/** How many write-backs a link keeps. */
export const STATUS_WRITTEN_CAP = 8
/** How many of Workbridge's own status moves a link keeps. */
export const STATUS_MOVES_CAP = 8

export const EMPTY_STATUS_LOG: StatusLog = { helpdesk: [], written: [] }

const ms = (iso: string): number => Date.parse(iso)

/** The coarsest precision of a vendor API's update time (whole seconds), in milliseconds. */
const WHOLE_SECOND = 1000

/**
 * How long after the read before it (the helpdesk's clock, `StatusWritten.readAt`) a write whose answer was lost may
 * have landed: it is sent as soon as the read answers, and lands within moments or never. A change of the ticket to
 * that status later than this is a person's, not the write's echo.
 */
export const INTENT_ECHO_WINDOW_MS = 60_000

/** The log with helpdesk events added: ordered by revision, one per revision (the first seen stays). */
export const observeHelpdesk = (log: StatusLog, seen: ReadonlyArray<StatusSeen>): StatusLog => {
  const known = new Set(log.helpdesk.map((s) => s.revision))
  const added = seen.filter((s) => {
    if (known.has(s.revision)) return false
    known.add(s.revision)
    return true
  })
  if (added.length === 0) return log
  const helpdesk = [...log.helpdesk, ...added]
    .sort((a, b) => compareRevision(a.revision, b.revision))
    .slice(-STATUS_SEEN_CAP)
  return { ...log, helpdesk }
}

/** The log with a write-back of the status recorded. */
export const observeWritten = (log: StatusLog, written: StatusWritten): StatusLog => ({
  ...log,
  written: [...log.written, written].slice(-STATUS_WRITTEN_CAP)
})

/** Whether the log holds the intent of a write of this helpdesk status. */
export const hasWriteIntent = (log: StatusLog, status: string): boolean =>
  log.written.some((w) => w.intent === true && w.status === status)

/** The log without the intents of writes of this helpdesk status. */
export const dropWriteIntent = (log: StatusLog, status: string): StatusLog =>
  hasWriteIntent(log, status)
    ? { ...log, written: log.written.filter((w) => !(w.intent === true && w.status === status)) }
    : log

/**
 * A status write on its way: the log with its intent, the status written, and whether this attempt recorded the
 * intent (an earlier attempt's intent of the same status stays the one: that attempt's write may have landed).
 */
export interface WriteAttempt {
  readonly log: StatusLog
  readonly status: string
  readonly recorded: boolean
}

/**
 * The log with a write's intent recorded, before the write goes out: if its answer is lost (a timeout, a `kill -9`
 * between the write and its record), its echo is still known as Workbridge's. An earlier attempt's intent of the same
 * status stays the one, timed by this attempt's read when that is later.
 */
export const beginWrite = (
  log: StatusLog,
  intent: Omit<StatusWritten, "at" | "intent" | "status"> & { readonly status: string }
): WriteAttempt =>
  hasWriteIntent(log, intent.status)
    ? { log: laterRead(log, intent.status, intent.readAt), status: intent.status, recorded: false }
    : { log: observeWritten(log, { ...intent, intent: true }), status: intent.status, recorded: true }

/**
 * The log with the intents of a status timed by a later read before a write of it: the earlier write, if it landed,
 * landed before this read, and this attempt's write may land after it — the echo window runs from the later read.
 */
const laterRead = (log: StatusLog, status: string, readAt: string | undefined): StatusLog =>
  readAt === undefined || !log.written.some((w) => earlierRead(w, status, readAt))
    ? log
    : { ...log, written: log.written.map((w) => (earlierRead(w, status, readAt) ? { ...w, readAt } : w)) }

const earlierRead = (w: StatusWritten, status: string, readAt: string): boolean =>
  w.intent === true && w.status === status && (w.readAt === undefined || ms(w.readAt) < ms(readAt))

/**
 * The log after a write that did not answer with success: this attempt's intent goes when its status cannot have
 * been written (a rate limit, a failed read, a change not seen yet) and stays when it may have been (no answer, a
 * server error); an earlier attempt's stays either way.
 */
export const writeNotDone = (attempt: WriteAttempt, mayHaveWritten: boolean): StatusLog =>
  attempt.recorded && !mayHaveWritten ? dropWriteIntent(attempt.log, attempt.status) : attempt.log

/**
 * The log after a write that answered: the write's record replaces the intents of its status; when the ticket had
 * the status already (nothing written), this attempt's intent goes and an earlier attempt's stays (its write landed
 * before its answer was lost).
 */
export const writeDone = (attempt: WriteAttempt, written: StatusWritten | undefined): StatusLog =>
  written !== undefined
    ? observeWritten(dropWriteIntent(attempt.log, attempt.status), written)
    : writeNotDone(attempt, false)

/**
 * The log with the workitem's status as Workbridge read it (its status walk reads the workitem when what the log
 * says may be stale: an update intent open, a status it does not know, a refused step): the status, since when it
 * has had it (`dateStatusChanged`). Recorded among Workbridge's moves, in time order, unless one is there already:
 * most likely it is a move of Workbridge's own whose link write a `kill -9` cut off (the retry found the workitem
 * there and sent nothing); were it an agent's, their event still comes and is judged against the status before it.
 */
export const observeWorkitemRead = (log: StatusLog, read: { readonly at: string; readonly to: string }): StatusLog => {
  const moves = log.moves ?? []
  if (moves.some((m) => m.to === read.to && ms(m.at) === ms(read.at))) return log
  const sorted = [...moves, { at: read.at, to: read.to }].sort((a, b) => ms(a.at) - ms(b.at)).slice(-STATUS_MOVES_CAP)
  const last = sorted[sorted.length - 1]!
  const newer = log.movedAt === undefined || ms(last.at) >= ms(log.movedAt)
  return { ...log, moves: sorted, ...(newer ? { movedAt: last.at, movedTo: last.to } : {}) }
}

/** The workitem's status as far as Workbridge knows: an agent's newer change, else the status it set itself. */
export const workitemStatusNow = (log: StatusLog, ownStatusId: string | undefined): string | undefined => {
  const agent = log.agent
  if (agent?.lastStatusId === undefined) return ownStatusId
  return log.movedAt === undefined || ms(agent.eventAt) > ms(log.movedAt) ? agent.lastStatusId : ownStatusId
}

/** The workitem's status as the log knows it up to a time: Workbridge's latest move, or an agent's later status change. */
const statusAsOf = (log: StatusLog, upTo: (t: number) => boolean): string | undefined => {
  const ours = (log.moves ?? []).filter((m) => upTo(ms(m.at))).at(-1)
  const agent = log.agent
  const agents =
    agent?.statusId !== undefined && agent.statusAt !== undefined && upTo(ms(agent.statusAt))
      ? { at: agent.statusAt, to: agent.statusId }
      : undefined
  const known = ours === undefined ? agents : agents === undefined || ms(ours.at) >= ms(agents.at) ? ours : agents
  return known?.to
}

/** An agent's change of the workitem, as `observeAgent` takes it. */
export type AgentChange = {
  readonly statusId?: string | undefined
  /** The event's own word on whether the status moved (its `changes`), when it has one. */
  readonly statusChanged?: boolean | undefined
  readonly dateModified: string
  /** When the status took its value, where known (a reconciliation's read); else `dateModified`. */
  readonly statusChangedAt?: string | undefined
  readonly modifiedBy?: string | undefined
}

/**
 * The log with an agent's change of the workitem recorded. It moves the agent's status time only when the change
 * moved the status: as its event's `changes` say, else when its status differs from the one the workitem had
 * (`ownStatusId`: the status Workbridge set, unless an agent's change came after that). A change older than the
 * newest one recorded (its delivery came late: {@link observeLateAgent}) counts only when it tells of a status change
 * newer than the one known.
 */
export const observeAgent = (log: StatusLog, change: AgentChange, ownStatusId: string | undefined): StatusLog => {
  const before = log.agent
  const statusAt = change.statusChangedAt ?? change.dateModified
  if (before !== undefined && ms(change.dateModified) <= ms(before.eventAt))
    return observeLateAgent(log, before, change, statusAt)
  // A workitem read by the write-back reconciliation whose last change was Workbridge's own names nobody, and its
  // time is that change's, not its status's: its status is no news when it is the one the workitem had then as far
  // as the log knows (Workbridge's latest move up to then, or an agent's later status change).
  const at = ms(statusAt)
  if (change.modifiedBy === undefined && change.statusId !== undefined) {
    if (statusAsOf(log, (t) => t <= at) === change.statusId) return log
  }
  // The status just before this change, as the log knows it (Workbridge's moves and the agent's status change up to
  // then: a move Workbridge made later, after the change but before its event came, is not what the agent changed
  // from); else the status Workbridge set (not one it learned from a PATCH's answer: that may be this very change).
  const had = statusAsOf(log, (t) => t < at) ?? workitemStatusNow(log, log.movedTo ?? ownStatusId)
  // The event's `changes`, when it lists them, say it outright: a Workbridge move the log missed (its answer lost
  // to a timeout or a kill) may have been what the agent changed from.
  const moved =
    change.statusId !== undefined &&
    (change.statusChanged ??
      (change.statusId !== had || overtaken(log, change, at) || unseenStatusChange(log, change, at)))
  const agent: AgentStatus = moved
    ? {
        eventAt: change.dateModified,
        lastStatusId: change.statusId!,
        lastStatusAt: statusAt,
        statusId: change.statusId!,
        statusAt,
        change: change as Readonly<Record<string, unknown>>
      }
    : {
        ...withoutLastStatusAt(before),
        eventAt: change.dateModified,
        ...(change.statusId !== undefined ? { lastStatusId: change.statusId } : {}),
        ...lastStatusAtOf(before, change)
      }
  return { ...log, agent }
}

const withoutLastStatusAt = (a: AgentStatus | undefined): Omit<AgentStatus, "lastStatusAt"> | undefined => {
  if (a === undefined) return undefined
  const { lastStatusAt: _dropped, ...rest } = a
  return rest
}

/** When a change that did not move the status says its status took its value: its own word, else the one before. */
const lastStatusAtOf = (before: AgentStatus | undefined, change: AgentChange): { readonly lastStatusAt?: string } => {
  if (change.statusChangedAt !== undefined) return { lastStatusAt: change.statusChangedAt }
  const kept =
    before?.lastStatusAt !== undefined && (change.statusId === undefined || change.statusId === before.lastStatusId)
      ? before.lastStatusAt
      : undefined
  return kept === undefined ? {} : { lastStatusAt: kept }
}

/**
 * Whether an agent's change that names no change of the status was made while Workbridge's own status walk was
 * between two steps, at the status the walk passed through: the agent set that status — their PATCH found the
 * workitem there already, so the event lists no change of it — or saved the workitem as it showed it. Either way the
 * agent chose a status Workbridge never meant to leave the workitem at, and the walk's next step then moved it on
 * without knowing: it is the agent's status change.
 */
const overtaken = (log: StatusLog, change: AgentChange, at: number): boolean => {
  if (change.modifiedBy === undefined || change.statusId === undefined) return false
  const step = (log.moves ?? []).filter((m) => ms(m.at) < at).at(-1)
  if (step?.via !== true || step.to !== change.statusId) return false
  const agent = log.agent
  // An agent's status change between the step and this change: the workitem was at the agent's status, not the walk's.
  return !(agent?.statusAt !== undefined && ms(agent.statusAt) > ms(step.at) && ms(agent.statusAt) < at)
}

/**
 * Whether a read of the workitem that names an agent (the write-back reconciliation's: no `changes`, but its
 * `dateStatusChanged`) shows a status change the log has not seen: its status took its value then, and neither a move
 * of Workbridge's (within the API's whole second) nor the agent's status change known was made then. The log may
 * take the workitem for having been at that status all along: a move of Workbridge's to another status whose answer
 * was lost (a `kill -9` before the link was written; the retry found the workitem there and sent nothing) is not in
 * it. A time older than the moves the log keeps tells nothing — unless the read's last change (`dateModified`) was
 * that status change: the agent the read names made it.
 */
const unseenStatusChange = (log: StatusLog, change: AgentChange, at: number): boolean => {
  if (change.statusChangedAt === undefined || change.statusId === undefined || change.modifiedBy === undefined)
    return false
  const moves = log.moves ?? []
  const oldest = moves[0]
  const near = (t: string | undefined) => t !== undefined && Math.abs(ms(t) - at) < WHOLE_SECOND
  // The read's last change was its status change, made by the agent it names: that says it outright, whatever the
  // log keeps of the moves before it.
  const setByAgent = near(change.dateModified)
  if (!setByAgent && (oldest === undefined || (moves.length >= STATUS_MOVES_CAP && at <= ms(oldest.at)))) return false
  if (moves.some((m) => m.to === change.statusId && near(m.at))) return false
  return !(log.agent?.statusId === change.statusId && near(log.agent.statusAt))
}

/**
 * An agent's change whose event came after a newer one's: the trigger chain retried its delivery while the service
 * was down, and the next change's event — or the write-back reconciliation's read of the workitem — came first. The
 * newer one was judged without it: a reconciliation's read at the status the log last knew (the workitem's first
 * status, say) looked like no change, though the late event shows the agent had moved it elsewhere in between. So a
 * late change that moved the status, later than the agent's status change known, is the agent's newest status
 * change — unless the newer change shows another status: then the status moved again between the two, which is the
 * newest change, timed by when the newer one says its status took its value (else by its time); only a move of
 * Workbridge's recorded in between leaves the late change the agent's newest.
 */
const observeLateAgent = (log: StatusLog, before: AgentStatus, change: AgentChange, statusAt: string): StatusLog => {
  const statusId = change.statusId
  const at = ms(statusAt)
  if (statusId === undefined) return log
  // The agent's status change known is as new: nothing to learn (also the very change, seen again).
  if (before.statusAt !== undefined && ms(before.statusAt) >= at) return log
  if (change.modifiedBy === undefined && statusAsOf(log, (t) => t <= at) === statusId) return log
  const had = statusAsOf(log, (t) => t < at)
  const moved =
    change.statusChanged ??
    (had !== undefined && (had !== statusId || overtaken(log, change, at) || unseenStatusChange(log, change, at)))
  if (!moved) return log
  const recorded = change as Readonly<Record<string, unknown>>
  const newer = before.lastStatusId
  const late: AgentStatus = { ...before, statusId, statusAt, change: recorded }
  if (newer === undefined || newer === statusId) return { ...log, agent: late }
  const until = ms(before.eventAt)
  const ours = (log.moves ?? []).some((m) => m.to === newer && ms(m.at) > at && ms(m.at) <= until)
  if (ours) return { ...log, agent: late }
  const movedAt =
    before.lastStatusAt !== undefined && ms(before.lastStatusAt) > at ? before.lastStatusAt : before.eventAt
  return { ...log, agent: { ...before, statusId: newer, statusAt: movedAt, change: recorded } }
}

/**
 * Whether a write-back and a helpdesk event name the same status: the same catalog value, or the same status as the
 * helpdesk names it (a write of `closed` is Zendesk's `solved`, which its echo reports as `solved`).
 */
const sameStatus = (w: StatusWritten, s: { readonly value: string | null; readonly raw?: string }): boolean =>
  (w.status !== undefined && s.raw !== undefined && w.status === s.raw) ||
  (s.value !== null && echoValues(w).includes(s.value))

/**
 * The catalog values a write's echo may report: `matches` (what the source's adapter reads the status written as),
 * else the value written. Not the value written as such: the write-back writes `new` (an agent's Open) as ServiceNow
 * state 2, whose echo reports `open`, while a person's state 1 reports `new`.
 */
const echoValues = (w: StatusWritten): ReadonlyArray<string> =>
  w.matches !== undefined && w.matches.length > 0 ? w.matches : [w.value]

/** A person's newest change of the helpdesk status (undefined: none seen). */
export const newestHelpdeskChange = (log: StatusLog): StatusSeen | undefined => {
  const seen = log.helpdesk
  for (let i = seen.length - 1; i >= 0; i--) {
    const s = seen[i]!
    const before = seen[i - 1]
    if (before !== undefined && before.value === s.value) continue
    const at = ms(s.at)
    const from = before === undefined ? Number.NEGATIVE_INFINITY : ms(before.at)
    // The first event after a write-back of this very status, with no change of the status seen in between: that
    // write's echo. The write's time is the ticket's update time its API answered when the write read it, which may
    // have whole seconds where the events have milliseconds: an event less than a second after it is the state the
    // write found. Events seen after that read that all still show the status before (a person's change of another
    // field made while the write was on its way, between its read and its write) do not make the echo a person's;
    // a status seen changing after the read does.
    const own = log.written.some((w) => {
      if (!sameStatus(w, s)) return false
      // The write's own update time, where the vendor answered with it, names its echo exactly; an event stamped
      // more coarsely than the API (a Zendesk trigger body's minute) is judged by the rules below.
      if (w.at !== undefined && Math.abs(ms(w.at) - at) < WHOLE_SECOND) return true
      if (ms(w.after) >= at) return false
      // A write whose answer was lost (a `kill -9`, a timeout) landed moments after its read, or never.
      if (w.intent === true && w.readAt !== undefined && at > ms(w.readAt) + INTENT_ECHO_WINDOW_MS) return false
      const read = ms(w.after) + WHOLE_SECOND
      if (read > from) return true
      const earlier = seen.slice(0, i)
      const found = earlier.filter((e) => ms(e.at) < read).at(-1)
      return found !== undefined && earlier.every((e) => ms(e.at) < read || e.value === found.value)
    })
    if (!own) return s
  }
  return undefined
}

export type StatusWinner =
  | { readonly side: "helpdesk"; readonly at: string; readonly seen: StatusSeen }
  | { readonly side: "agent"; readonly at: string; readonly statusId: string }

/** Whose status both sides should end at: the newer of a person's helpdesk change and an agent's (a tie: the agent's). */
export const statusWinner = (log: StatusLog): StatusWinner | undefined => {
  const helpdesk = newestHelpdeskChange(log)
  const agent = log.agent
  if (
    agent?.statusId !== undefined &&
    agent.statusAt !== undefined &&
    (helpdesk === undefined || ms(agent.statusAt) >= ms(helpdesk.at))
  )
    return { side: "agent", at: agent.statusAt, statusId: agent.statusId }
  return helpdesk === undefined ? undefined : { side: "helpdesk", at: helpdesk.at, seen: helpdesk }
}

/** The helpdesk's status as far as Workbridge knows: its newest event, or a write-back made after it. */
export const helpdeskStatusNow = (
  log: StatusLog
): { readonly value: string | null; readonly raw?: string } | undefined => {
  const newest = log.helpdesk[log.helpdesk.length - 1]
  // An intent is no word that the status is there (its write may never have gone out): only writes that answered.
  const written = log.written.filter((w) => w.intent !== true).at(-1)
  if (written !== undefined && (newest === undefined || ms(written.at ?? written.after) >= ms(newest.at))) {
    // As the helpdesk reads the status written (ServiceNow state 2, written for `new`, reads as `open`).
    const values = echoValues(written)
    const value = values.includes(written.value) ? written.value : values[0]!
    return { value, ...(written.status === undefined ? {} : { raw: written.status }) }
  }
  return newest
}

/** What the rule needs of the catalog and the worktype. */
export interface StatusContext {
  /** The worktype status a catalog status value maps to (its id). */
  readonly statusIdOf: (value: string | null) => string | undefined
  /** The catalog value and the helpdesk status an agent's workitem status writes back as (undefined: not mapped). */
  readonly agentTarget: (statusId: string) => { readonly value: string; readonly status: string } | undefined
  /** The helpdesk status a catalog value writes back as (undefined: not mapped). */
  readonly helpdeskStatusOf: (value: string | null) => string | undefined
  /**
   * The helpdesk status, as its API takes it, that the source's adapter reads as a catalog value: what writing a
   * person's own status back sends (undefined: none; then the write-back map's, else the event's own word).
   */
  readonly personStatusOf?: (value: string | null) => string | undefined
  /**
   * The catalog values the helpdesk reports a status written through its API as (its echo): recorded with each
   * write as `StatusWritten.matches`.
   */
  readonly echoValuesOf?: (status: string) => ReadonlyArray<string>
}

/** Where both sides should end, by the rule. */
export interface StatusTargets {
  readonly winner: StatusWinner
  /** The catalog status value the workitem's status should stand for (undefined: the rule leaves it as it is). */
  readonly value?: string | null
  /** The workitem status it should have (undefined: the rule leaves it as it is). */
  readonly statusId?: string
  /**
   * The helpdesk status to write, as the helpdesk names it, with its catalog value: the agent's status when it won
   * and the helpdesk has another, or a person's newest status when a write-back replaced it after it was made.
   * Undefined: the helpdesk has it already, or it has no status to write.
   */
  readonly helpdesk?: { readonly status: string; readonly value: string | null }
}

export const statusTargets = (log: StatusLog, ctx: StatusContext): StatusTargets | undefined => {
  const winner = statusWinner(log)
  if (winner === undefined) return undefined
  const now = helpdeskStatusNow(log)
  if (winner.side === "agent") {
    const target = ctx.agentTarget(winner.statusId)
    const has =
      target === undefined ||
      (now !== undefined &&
        (now.value === target.value || now.raw === target.status || ctx.helpdeskStatusOf(now.value) === target.status))
    return {
      winner,
      statusId: winner.statusId,
      ...(target === undefined ? {} : { value: target.value }),
      ...(has ? {} : { helpdesk: { status: target.status, value: target.value } })
    }
  }
  const seen = winner.seen
  const statusId = ctx.statusIdOf(seen.value)
  // The person's status as the helpdesk's API takes it: the vendor status the adapter reads as that value (an
  // adapter reports statuses in catalog words: ServiceNow state 1 as `new`, which the write-back map writes as 2),
  // else its write-back status, else as the event reported it.
  const status = ctx.personStatusOf?.(seen.value) ?? ctx.helpdeskStatusOf(seen.value) ?? seen.raw
  const restore =
    now !== undefined &&
    now.value !== seen.value &&
    !(now.raw !== undefined && (now.raw === seen.raw || now.raw === status)) &&
    status !== undefined
  return {
    winner,
    value: seen.value,
    ...(statusId === undefined ? {} : { statusId }),
    ...(restore ? { helpdesk: { status: status!, value: seen.value } } : {})
  }
}

/** The rule's context from the catalog and the worktype's statuses now. */
export const statusContext = (
  catalog: Catalog,
  source: string,
  statuses: () => ReadonlyArray<WorktypeStatus>
): StatusContext => ({
  statusIdOf: (value) => {
    if (value === null) return undefined
    const name = catalog.statusMapping[value]
    return name === undefined ? undefined : statuses().find((s) => s.name === name)?.id
  },
  agentTarget: (statusId) => {
    const name = statuses().find((s) => s.id === statusId)?.name
    const target = name === undefined ? undefined : writeBackTarget(catalog, source, name)
    return target === undefined ? undefined : { value: target.value, status: target.status }
  },
  helpdeskStatusOf: (value) => (value === null ? undefined : writeBackStatusMap(catalog, source)[value]),
  personStatusOf: (value) => (value === null ? undefined : vendorStatusFor(catalog, source, value)),
  echoValuesOf: (status) => {
    const read = valuesReadFrom(catalog, source, status)
    // A source the adapters know nothing of: every value the write-back writes as that status.
    return read.length > 0
      ? read
      : Object.entries(writeBackStatusMap(catalog, source)).flatMap(([v, st]) => (st === status ? [v] : []))
  }
})

/**
 * Whether the workitem must be moved to the winner's status: it is elsewhere (Workbridge or an agent moved it without
 * knowing of the newer change), and the winner's status has a catalog value to write.
 */
export const workitemNeedsMove = (targets: StatusTargets | undefined, statusNow: string | undefined): boolean =>
  targets?.value !== undefined && targets.statusId !== undefined && statusNow !== targets.statusId
