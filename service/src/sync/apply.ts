/**
 * The effectful apply: one ticket's pending events written to Genesys, exactly once and in revision order.
 *
 *   coalesce to the newest revision → drop it if not newer than the applied one (superseded) → normalize
 *   (invalid → dead letter) → find the workitem (link store; a ticket with no link is POSTed directly, after a
 *   create intent is recorded; a ticket whose create intent is still there — a create that may have been
 *   interrupted — is first looked up by type + ticket id + source, which repairs a crash between create and link
 *   write; a link into another worktype is not used: the ticket is treated as one with no link; a link with no
 *   worktype recorded has its workitem read first to tell) → POST, or a
 *   minimal PATCH, walking the status graph step by step from the status the link recorded (or, when that is not
 *   one of the worktype's statuses, from the workitem's real status, read first), after an update intent is
 *   recorded on the link (a link still carrying one — a PATCH whose outcome is unknown — makes the PATCH cover the
 *   intended values too and the walk read the workitem's status); the revision marker goes with the last PATCH →
 *   record link (with its worktype; this clears the intent), applied revision and every event's outcome.
 *
 * The decisions (which link, which bodies, which outcome) are the pure functions of plan.ts; this module makes the
 * calls and the store writes they lead to.
 */
import { compareRevision, type EventOrigin, type TicketEvent } from "@workbridge/catalog"
import { Effect } from "effect"
import {
  CREATE_PENDING_REVISION,
  createPendingLink,
  type InboxEntry,
  type Link,
  type Outcome,
  type StatusLog,
  type StatusSeen,
  type TicketBatch,
  type TicketKey
} from "../domain/records.js"
import { GenesysError, type StoreError } from "../domain/errors.js"
import type { Workitem } from "@workbridge/genesys"
import { type ApplyResult, countCalls, crashIfAt, type GenesysCalls, nowIso, type SyncCore } from "./core.js"
import { agentSummary, isWriteBackEcho } from "../writeBack/apply.js"
import {
  EMPTY_STATUS_LOG,
  observeAgent,
  observeHelpdesk,
  observeWorkitemRead,
  STATUS_MOVES_CAP,
  statusContext,
  type StatusTargets,
  statusTargets,
  workitemStatusNow
} from "./statusRule.js"
import { AmbiguousCreate, AmbiguousUpdate, ForeignWorkitem, LinkConflict, Unapplicable } from "./errors.js"
import {
  appliedLink,
  classifyGenesysFailure,
  isSuperseded,
  type LinkView,
  mergePatches,
  newestOutcomes,
  nextUpdateIntent,
  originOf,
  outcomeUnknown,
  type PatchPlan,
  planBodies,
  splitPatch,
  supersededOutcomes,
  viewLink
} from "./plan.js"

type Values = Readonly<Record<string, unknown>>

/** Run a catalog derivation; a throw (missing status id, body too large) makes the event unapplicable. */
const derive = <A>(f: () => A) =>
  Effect.try({
    try: f,
    catch: (e) => new Unapplicable({ reason: "Derivation", details: [e instanceof Error ? e.message : String(e)] })
  })

/** What a write came to: the workitem, and for an adopted workitem that already held the revision, which way. */
interface Written {
  readonly workitemId: string
  readonly upToDate?: "applied" | "superseded"
}

const written = (workitemId: string, upToDate?: "applied" | "superseded"): Written =>
  upToDate === undefined ? { workitemId } : { workitemId, upToDate }

/** One write of a ticket's newest values. */
interface Write {
  readonly key: TicketKey
  readonly values: Values
  readonly revision: string
  readonly origin: EventOrigin | undefined
  /** When the helpdesk change happened (the newest event's `occurredAt`). */
  readonly occurredAt: string
  /** When the helpdesk last changed the status value written (see `Link.statusChangedAt`). */
  readonly statusChangedAt: string | undefined
  /** The "both" rule's status log to keep on the link (sources with write-back on). */
  readonly statusLog?: StatusLog | undefined
  /**
   * The workitem's status is not the one the applied values stand for (an agent moved it): the PATCH sets the
   * status even when the applied value is the one wanted.
   */
  readonly forceStatus?: boolean
  /** The workitem's status as known (an agent's change, or the one Workbridge set): where a status walk starts. */
  readonly statusNow?: string | undefined
  /** The workitem's values as known, when not the link's applied ones (an agent's status change not recorded yet). */
  readonly before?: Values | undefined
}

/**
 * The log with Workbridge's own status move recorded: Genesys's `dateModified` of the write that set the status, and
 * whether it was a step its status walk passed through (`via`: another status step follows).
 */
const moved = (log: StatusLog | undefined, workitem: Workitem | undefined, via = false): StatusLog | undefined => {
  const at = [workitem?.["dateModified"], workitem?.["dateCreated"]].find((v): v is string => typeof v === "string")
  const to = workitem?.status?.id
  if (log === undefined || at === undefined) return log
  if (to === undefined) return { ...log, movedAt: at }
  const move = { at, to, ...(via ? { via: true as const } : {}) }
  return { ...log, movedAt: at, movedTo: to, moves: [...(log.moves ?? []), move].slice(-STATUS_MOVES_CAP) }
}

/**
 * Create the workitem: record the create intent first (durably, compare-and-set over `expected`) unless it is
 * already there, POST, then replace the intent with the link.
 */
const create = (core: SyncCore, genesys: GenesysCalls, w: Write, expected: string | undefined) =>
  Effect.gen(function* () {
    const { mapping, target, links } = core
    const bodyOf = Effect.map(
      derive(() => mapping.create(w.values, core.statuses.context())),
      (derived) => (target.workbinId !== undefined ? { ...derived, workbinId: target.workbinId } : derived)
    )
    const body = yield* bodyOf
    if (expected !== CREATE_PENDING_REVISION) {
      if (!(yield* links.compareAndSet(w.key, expected, createPendingLink(yield* nowIso))))
        return yield* new LinkConflict({ key: w.key })
    }
    const post = (b: Values) =>
      genesys
        .createWorkitem(b)
        .pipe(Effect.mapError((e) => (outcomeUnknown(e) ? new AmbiguousCreate({ cause: e }) : e)))
    const created = yield* post(body).pipe(
      // A refused status may be one re-provisioned since start (same name, new id): learn the statuses again
      // and, if the body changes, send it once more (a 400 made nothing).
      Effect.catchIf(
        (e): e is GenesysError =>
          e instanceof GenesysError && e.reason === "BadRequest" && typeof body["statusId"] === "string",
        (e) =>
          Effect.gen(function* () {
            yield* core.statuses.relearn(genesys)
            const again = yield* bodyOf
            if (again["statusId"] === body["statusId"]) return yield* Effect.fail(e)
            return yield* post(again)
          })
      )
    )
    yield* crashIfAt(core.options.crashAt, "after-create")
    const link = appliedLink({
      ...w,
      statusLog: moved(w.statusLog, created),
      workitemId: created.id,
      statusId: created.status?.id,
      appliedAt: yield* nowIso,
      typeId: target.typeId
    })
    if (!(yield* links.compareAndSet(w.key, CREATE_PENDING_REVISION, link)))
      return yield* new LinkConflict({ key: w.key })
    return written(created.id)
  })

/** A PATCH; a failure that leaves its outcome unknown is an {@link AmbiguousUpdate}. */
const patchWorkitem = (genesys: GenesysCalls, workitemId: string, body: Values) =>
  genesys
    .updateWorkitem(workitemId, body)
    .pipe(Effect.mapError((e) => (outcomeUnknown(e) ? new AmbiguousUpdate({ cause: e }) : e)))

/** An update of a workitem towards `after` (see {@link update}). */
interface Update extends Write {
  readonly workitemId: string
  readonly before: Values
  readonly expected: string | undefined
  readonly knownStatusId: string | undefined
  readonly intended: ReadonlyArray<Values>
  readonly linked: Link | undefined
}

/**
 * Where one update's workitem is in the status graph and the PATCHes that take it where it should be: the status
 * the link recorded, trusted unless unknown, not one of the worktype's statuses, or an update intent says a write
 * may have moved it (then the workitem is read); a status id the engine does not know, or a refused step, reads
 * the worktype's statuses again (at most once per update) and derives the PATCH with them.
 */
const statusWalk = (core: SyncCore, genesys: GenesysCalls, u: Update) => {
  const { statuses } = core
  let plan: PatchPlan = { patch: {} }
  let relearned = false
  let statusId = u.intended.length > 0 ? undefined : u.knownStatusId
  let trusted = false
  const derivePlan = Effect.gen(function* () {
    const ctx = statuses.context()
    const fromApplied = yield* derive(() => core.mapping.update(u.before, u.values, ctx))
    // An intended value set that no longer derives (the worktype changed since) is replaced by "every field".
    const fromIntended = yield* Effect.forEach(u.intended, (b) =>
      derive(() => core.mapping.update(b, u.values, ctx)).pipe(
        Effect.orElse(() => derive(() => core.mapping.update({}, u.values, ctx)))
      )
    )
    plan = splitPatch(mergePatches([fromApplied, ...fromIntended]), core.fields.revision)
    // The workitem is not at the status the applied values stand for (an agent moved it): set it all the same.
    const statusKey = core.fields.statusKey
    if (u.forceStatus === true && plan.wantedStatus === undefined && statusKey !== undefined) {
      const value = u.values[statusKey]
      const name = typeof value === "string" ? core.mapping.catalog.statusMapping[value] : undefined
      const wanted = name === undefined ? undefined : ctx.statusIds[name]
      if (wanted !== undefined && wanted !== u.statusNow) plan = { ...plan, wantedStatus: wanted }
    }
  })
  const relearn = Effect.suspend(() =>
    relearned
      ? Effect.void
      : statuses.relearn(genesys).pipe(
          Effect.tap(() => {
            relearned = true
          }),
          Effect.zipRight(derivePlan)
        )
  )
  // The workitem as last read (where the status was not trusted), for the status log.
  let read: Workitem | undefined
  const readStatus = Effect.gen(function* () {
    const current = yield* genesys.getWorkitem(u.workitemId)
    read = current
    const typeId = current.type?.id
    if (typeId !== undefined && typeId !== core.target.typeId) return yield* new ForeignWorkitem({ typeId })
    statusId = current.status?.id
    // A status the engine does not know: the worktype's statuses changed since they were read.
    if (statusId !== undefined && !statuses.known(statusId)) yield* relearn
    return current
  })
  /** The PATCH bodies from where the workitem is now. */
  const bodies = Effect.suspend(() => {
    const planned = planBodies(plan, statuses.list(), statusId)
    return planned._tag === "NoTransition"
      ? Effect.fail(new Unapplicable({ reason: "NoTransition", details: [planned.detail] }))
      : Effect.succeed(planned.bodies)
  })
  /** Derive the PATCH and learn where the workitem is, reading it when the recorded status cannot be trusted. */
  const start = Effect.gen(function* () {
    yield* derivePlan
    if (u.linked !== undefined && u.linked.typeId === undefined) {
      // A link from before links recorded their worktype: the workitem is read once (whatever the change) to learn
      // whose it is — another worktype's is not PATCHed — and where its status is. The link written after records it.
      yield* readStatus
    } else if (plan.wantedStatus !== undefined) {
      if (statusId === undefined) yield* readStatus
      else if (!statuses.known(statusId)) {
        // Not one of the worktype's statuses (re-provisioned, or a link from before a restart): unknown, not trusted.
        core.log.info(
          { workitemId: u.workitemId, statusId },
          "the recorded status is not one of the worktype's statuses; reading the workitem's current status"
        )
        yield* readStatus
      } else trusted = true
    }
  })
  /**
   * The first status step was refused: the recorded status may be stale (changed in Genesys), or the statuses
   * re-provisioned. Read the workitem (unless just read) and, unless it had moved, the worktype's statuses, and
   * plan again; the refused PATCH changed nothing. Answers the workitem after the replacement first PATCH (or as
   * read, when nothing is left to send) and the new bodies.
   */
  const afterRefusal = (e: GenesysError) =>
    Effect.gen(function* () {
      core.log.info(
        { workitemId: u.workitemId, error: e.message },
        "status step refused; reading the workitem's current status"
      )
      const planned = statusId
      const read = trusted ? yield* readStatus : undefined
      trusted = false
      // Where the workitem is was known (just read), or it has not moved: the statuses changed.
      if (read === undefined || statusId === planned) yield* relearn
      const again = yield* bodies
      const retried = again[0]
      if (retried === undefined) return { workitem: read ?? (yield* Effect.fail(e)), bodies: again }
      return { workitem: yield* patchWorkitem(genesys, u.workitemId, retried), bodies: again }
    })
  /**
   * A status step after the first was refused. The walk set the status before it a moment ago, so unless the
   * worktype's statuses changed meanwhile, someone moved the workitem in between: an agent, whose change is newer
   * than the helpdesk change the walk applies (the walk began after it was made). The agent's status stays — their
   * event comes through the trigger, and the "both" rule judges it against the step the log records as only passed
   * through — and the walk stops. Answers the workitem as read; fails with the refusal when it had not moved.
   */
  const movedBetweenSteps = (e: GenesysError) =>
    Effect.gen(function* () {
      const current = yield* genesys.getWorkitem(u.workitemId)
      const found = current.status?.id
      // Still where the walk left it, or at a status the engine does not know (the statuses changed): not moved.
      if (found === undefined || found === statusId || !statuses.known(found)) return yield* Effect.fail(e)
      core.log.info(
        { workitemId: u.workitemId, walkedTo: statusId, found },
        "the workitem was moved between two steps of the status walk; the walk stops there"
      )
      return current
    })
  return {
    start,
    bodies,
    afterRefusal,
    movedBetweenSteps,
    statusId: () => statusId,
    /** The workitem as last read, if the walk read it. */
    read: () => read,
    /** The status the workitem is in after a PATCH: what Genesys answered, else what the body set. */
    moved: (w: Workitem, body: Values | undefined) => {
      statusId = w.status?.id ?? (typeof body?.["statusId"] === "string" ? body["statusId"] : statusId)
    }
  }
}

const refusedStep = (e: unknown): e is GenesysError =>
  e instanceof GenesysError && (e.reason === "BadRequest" || e.reason === "Conflict")

/**
 * PATCH the changes, walking the status graph when the status changes (see {@link statusWalk}).
 *
 * `intended`: the values of earlier writes whose outcome is unknown (the link's update intent); the PATCH
 * covers every field where `after` differs from `before` or from any of them. `linked`: the stored link, on
 * which the update intent is recorded before the first PATCH (undefined when adopting: the workitem was
 * just read, and a crash leaves the create intent, which makes the next run read it again). The revision
 * marker goes with the last PATCH only, so a workitem claims a revision only once all of it is there.
 */
const update = (core: SyncCore, genesys: GenesysCalls, u: Update) =>
  Effect.gen(function* () {
    const walk = statusWalk(core, genesys, u)
    yield* walk.start
    let bodies = yield* walk.bodies
    const updateIntent = nextUpdateIntent(u.intended, u.values, u.revision)
    if (u.linked !== undefined && bodies.length > 0) {
      // Durably, before the PATCH: these values may be in Genesys from now on, whatever the link says.
      if (!(yield* core.links.compareAndSet(u.key, u.expected, { ...u.linked, updateIntent })))
        return yield* new LinkConflict({ key: u.key })
    }
    let statusLog = u.statusLog
    // A status step with another one after it: the walk only passes through its status.
    const via = (i: number) => bodies.slice(i + 1).some((b) => typeof b["statusId"] === "string")
    for (let i = 0; i < bodies.length; i++) {
      const body = bodies[i]!
      const sent = patchWorkitem(genesys, u.workitemId, body)
      if (i === 0 && typeof body["statusId"] === "string") {
        const r = yield* sent.pipe(
          Effect.map((workitem) => ({ workitem, bodies })),
          Effect.catchIf(refusedStep, walk.afterRefusal)
        )
        bodies = r.bodies
        walk.moved(r.workitem, bodies[i])
        if (typeof bodies[i]?.["statusId"] === "string") statusLog = moved(statusLog, r.workitem, via(i))
      } else if (typeof body["statusId"] === "string") {
        const answered = yield* sent.pipe(
          Effect.map((workitem) => ({ workitem, stopped: false })),
          Effect.catchIf(refusedStep, (e) =>
            Effect.map(walk.movedBetweenSteps(e), (workitem) => ({ workitem, stopped: true }))
          )
        )
        if (answered.stopped) {
          // The rest of the walk is status steps, the revision marker with the last: the marker still goes. The steps
          // the walk made go into the link first (its update intent still open): should the marker's PATCH fail or
          // the process die, the retry judges the agent's change against them, not against the status it reads.
          const { statusId: _left, ...rest } = bodies[bodies.length - 1]!
          if (Object.keys(rest).length > 0) {
            if (
              u.linked !== undefined &&
              statusLog !== undefined &&
              !(yield* core.links.compareAndSet(u.key, u.expected, { ...u.linked, updateIntent, statusLog }))
            )
              return yield* new LinkConflict({ key: u.key })
            yield* patchWorkitem(genesys, u.workitemId, rest)
          }
          break
        }
        walk.moved(answered.workitem, body)
        statusLog = moved(statusLog, answered.workitem, via(i))
      } else {
        walk.moved(yield* sent, body)
      }
      if (i < bodies.length - 1) yield* crashIfAt(core.options.crashAt, "between-status-steps")
    }
    // The status the walk read (it did not trust the one recorded) goes into the log, since when the workitem has had
    // it: a move of Workbridge's whose link write was cut off is otherwise never known.
    const read = walk.read()
    const readAt = read?.["dateStatusChanged"]
    if (statusLog !== undefined && read?.status?.id !== undefined && typeof readAt === "string")
      statusLog = observeWorkitemRead(statusLog, { at: readAt, to: read.status.id })
    yield* crashIfAt(core.options.crashAt, "after-update")
    const link = appliedLink({
      ...u,
      statusId: walk.statusId(),
      appliedAt: yield* nowIso,
      typeId: core.target.typeId,
      writeBack: u.linked?.writeBack,
      statusLog
    })
    if (!(yield* core.links.compareAndSet(u.key, u.expected, link))) return yield* new LinkConflict({ key: u.key })
    return written(u.workitemId)
  })

/** Find the ticket's workitem in Genesys (crash repair): oldest match wins. */
const findWorkitem = (core: SyncCore, genesys: GenesysCalls, values: Values, event: TicketEvent) => {
  const { ticketId, sourceSystem } = core.fields
  const filters: Array<{ name: string; value: string }> = [
    { name: `customFields.${ticketId ?? "ticket_id_identifier"}`, value: String(values["ticket_id"] ?? event.ticketId) }
  ]
  if (sourceSystem !== undefined && typeof values["source_system"] === "string") {
    filters.push({ name: `customFields.${sourceSystem}`, value: values["source_system"] })
  }
  return Effect.map(
    genesys.queryWorkitems(core.target.typeId, filters),
    (found) =>
      [...found].sort((a, b) => String(a["dateCreated"] ?? "").localeCompare(String(b["dateCreated"] ?? "")))[0]
  )
}

/** Update the linked workitem; one deleted in Genesys, or another worktype's, is created again in this one. */
const updateLinked = (core: SyncCore, genesys: GenesysCalls, w: Write, link: Link) =>
  update(core, genesys, {
    ...w,
    workitemId: link.workitemId,
    before: w.before ?? link.appliedValues,
    expected: link.appliedRevision,
    knownStatusId: w.statusNow ?? link.statusId,
    intended: link.updateIntent?.values ?? [],
    linked: link
  }).pipe(
    Effect.catchIf(
      (e): e is GenesysError => e instanceof GenesysError && e.reason === "NotFound",
      () =>
        Effect.gen(function* () {
          // The workitem was deleted in Genesys: create it again and relink.
          core.log.warn(
            { source: w.key.source, ticketId: w.key.ticketId, workitemId: link.workitemId },
            "linked workitem is gone; recreating it"
          )
          return yield* create(core, genesys, w, link.appliedRevision)
        })
    ),
    Effect.catchTag("ForeignWorkitem", (e) =>
      Effect.gen(function* () {
        // A link from before links recorded their worktype, into another one: create it in this one.
        core.log.warn(
          { source: w.key.source, ticketId: w.key.ticketId, workitemId: link.workitemId, typeId: e.typeId },
          "linked workitem belongs to another worktype; creating it in this one"
        )
        return yield* create(core, genesys, w, link.appliedRevision)
      })
    )
  )

/**
 * Adopt the workitem a previous run created but did not link. Its status is what its status attribute says, not
 * its status field: a walk cut short between two steps leaves them apart, so the status is left out of the adopted
 * values (the update walks from the workitem's status, `[]` when it is there).
 */
const adopt = (core: SyncCore, genesys: GenesysCalls, w: Write, expected: string | undefined, found: Workitem) =>
  Effect.gen(function* () {
    const { [core.fields.statusKey ?? ""]: _status, ...adoptedValues } = core.mapping.fromWorkitem(
      found,
      core.statuses.context()
    )
    const rev = core.fields.revision === undefined ? undefined : found.customFields?.[core.fields.revision]
    core.log.info(
      { source: w.key.source, ticketId: w.key.ticketId, workitemId: found.id, revision: rev },
      "adopting an unlinked workitem"
    )
    if (typeof rev === "string" && compareRevision(w.revision, rev) <= 0) {
      const adopted: Link = {
        workitemId: found.id,
        appliedRevision: rev,
        appliedValues: adoptedValues,
        ...(found.status?.id !== undefined ? { statusId: found.status.id } : {}),
        appliedAt: yield* nowIso,
        typeId: core.target.typeId
      }
      if (!(yield* core.links.compareAndSet(w.key, expected, adopted))) return yield* new LinkConflict({ key: w.key })
      // The run that created it applied this very revision (or a newer one): nothing to write.
      return written(found.id, compareRevision(w.revision, rev) === 0 ? "applied" : "superseded")
    }
    return yield* update(core, genesys, {
      ...w,
      workitemId: found.id,
      before: adoptedValues,
      expected,
      knownStatusId: found.status?.id,
      intended: [],
      linked: undefined
    }).pipe(
      // Found by a query of this worktype: it is not another worktype's.
      Effect.catchTag("ForeignWorkitem", (e) =>
        Effect.die(new Error(`the query of worktype ${core.target.typeId} found a workitem of ${e.typeId}`))
      )
    )
  })

/** Write the newest values: update through the link, else create — or adopt what a query finds, when a miss may hide a workitem. */
const write = (core: SyncCore, genesys: GenesysCalls, w: Write, event: TicketEvent, batchLink: LinkView) =>
  Effect.gen(function* () {
    const { link, pending, expected } = batchLink
    if (link !== undefined) return yield* updateLinked(core, genesys, w, link)
    // No link and no intent: no create was ever started for this ticket (once the store knows the worktype
    // from empty), so POST without looking.
    if (!pending && (yield* core.missPolicy) === "post") return yield* create(core, genesys, w, expected)
    const found = yield* findWorkitem(core, genesys, w.values, event)
    if (found === undefined) return yield* create(core, genesys, w, expected)
    return yield* adopt(core, genesys, w, expected, found)
  })

/** Dead-letter the newest event (the others are superseded by it). */
const deadLetter = (
  core: SyncCore,
  key: TicketKey,
  entries: ReadonlyArray<InboxEntry>,
  reason: string,
  details: ReadonlyArray<string>
) =>
  Effect.gen(function* () {
    const newest = entries[entries.length - 1]!.event
    yield* core.links.addDeadLetter({
      source: key.source,
      ticketId: key.ticketId,
      revision: newest.revision,
      reason,
      details,
      event: newest
    })
    core.log.warn(
      { source: key.source, ticketId: key.ticketId, revision: newest.revision, reason, details },
      "event dead-lettered"
    )
    return { result: { _tag: "DeadLettered", reason }, outcomes: newestOutcomes(entries, "dead") } satisfies Applied
  })

/**
 * When the newest event's status took its value, as far as the batch shows: the time of the oldest event of the
 * unbroken run of that status that ends with the newest event (a coalesced batch's newest event may have changed
 * another field long after the status changed).
 */
export const statusSinceIn = (statusKey: string | undefined, entries: ReadonlyArray<InboxEntry>): string => {
  const newest = entries[entries.length - 1]!.event
  if (statusKey === undefined) return newest.occurredAt
  const status = JSON.stringify(newest.fields[statusKey] ?? null)
  let since = newest.occurredAt
  for (let i = entries.length - 2; i >= 0; i--) {
    const event = entries[i]!.event
    if (JSON.stringify(event.fields[statusKey] ?? null) !== status) break
    since = event.occurredAt
  }
  return since
}

/** A write whose permanent failures are answered (to dead-letter) and whose transient ones fail (to retry). */
const settled = <R>(
  written: Effect.Effect<
    Written,
    Unapplicable | GenesysError | StoreError | LinkConflict | AmbiguousCreate | AmbiguousUpdate,
    R
  >
) =>
  written.pipe(
    Effect.map((r) => ({ _tag: "Done" as const, ...r })),
    Effect.catchTags({
      Unapplicable: (e) => Effect.succeed({ _tag: "Dead" as const, reason: e.reason, details: e.details }),
      GenesysError: (e) => {
        const c = classifyGenesysFailure(e)
        return c._tag === "Retry" ? Effect.fail(e) : Effect.succeed(c)
      }
    })
  )

const settledWrite = (core: SyncCore, genesys: GenesysCalls, w: Write, event: TicketEvent, view: LinkView) =>
  settled(write(core, genesys, w, event, view))

/**
 * Set the linked workitem's status to the "both" rule's winner's, its other fields as applied: what late helpdesk
 * events and `convergeStatus` write. Transient failures fail (the batch waits); a permanent one is logged with
 * `why` and leaves the workitem as it is (`undefined`). Answers the workitem written.
 */
const statusOnlyWrite = (
  core: SyncCore,
  genesys: GenesysCalls,
  key: TicketKey,
  linked: Link,
  s: {
    readonly log: StatusLog
    readonly targets: StatusTargets & { readonly value: string | null }
    readonly statusNow: string | undefined
    readonly forceStatus: boolean
    readonly occurredAt: string
    readonly statusChangedAt: string | undefined
    readonly why: string
  }
) =>
  Effect.gen(function* () {
    const statusKey = core.fields.statusKey!
    const values: Record<string, unknown> = { ...linked.appliedValues }
    if (s.targets.value === null) delete values[statusKey]
    else values[statusKey] = s.targets.value
    const w: Write = {
      key,
      values,
      revision: linked.appliedRevision,
      origin: linked.origin,
      occurredAt: s.occurredAt,
      statusChangedAt: s.statusChangedAt,
      statusLog: s.log,
      forceStatus: s.forceStatus,
      statusNow: s.statusNow
    }
    const done = yield* settled(updateLinked(core, genesys, w, linked))
    if (done._tag === "Done") return done.workitemId
    core.log.warn({ source: key.source, ticketId: key.ticketId, reason: done.reason, details: done.details }, s.why)
    return undefined
  })

/**
 * Helpdesk events older than the applied revision (their webhooks came late): nothing of theirs is written, but
 * they go into the status log, where they may move a person's newest status change and with it the "both" rule's
 * decision — then the workitem's status is set again (its other fields stay as applied), and the engine has the
 * helpdesk's written when it needs it too.
 */
const lateEvents = (
  core: SyncCore,
  genesys: GenesysCalls,
  key: TicketKey,
  entries: ReadonlyArray<InboxEntry>,
  linked: Link,
  view: LinkView,
  superseded: Applied
) =>
  Effect.gen(function* () {
    const statusKey = core.fields.statusKey!
    const log = observeHelpdesk(
      linked.statusLog ?? seedStatusLog(linked, statusKey),
      statusesSeen(core, statusKey, entries)
    )
    const targets = statusTargets(log, ruleContext(core, key.source))
    // Nothing new for the log (a redelivery, or this batch again after a restart): the rule's want of a helpdesk
    // write still stands — the process may have died between the link's write and the write-back's queueing.
    if (log === linked.statusLog)
      return targets?.helpdesk !== undefined ? { ...superseded, writeBack: true } : superseded
    const statusNow = workitemStatusNow(log, linked.statusId)
    const writeBack = targets?.helpdesk !== undefined ? { writeBack: true as const } : {}
    const forceStatus = targets?.statusId !== undefined && statusNow !== targets.statusId
    if (targets?.value === undefined || (targets.value === linked.appliedValues[statusKey] && !forceStatus)) {
      if (!(yield* core.links.compareAndSet(key, view.expected, { ...linked, statusLog: log })))
        return yield* new LinkConflict({ key })
      return { ...superseded, ...writeBack } satisfies Applied
    }
    const newest = entries[entries.length - 1]!.event
    core.log.info(
      { source: key.source, ticketId: key.ticketId, workitemId: linked.workitemId, status: targets.value },
      "a late helpdesk event moved the newest status change; the workitem's status follows"
    )
    const counted = countCalls(genesys)
    const workitemId = yield* statusOnlyWrite(core, counted.genesys, key, linked, {
      log,
      targets: { ...targets, value: targets.value },
      statusNow,
      forceStatus,
      occurredAt: linked.occurredAt ?? newest.occurredAt,
      statusChangedAt: targets.winner.at,
      // The status cannot be set (no path in the worktype): the events stay superseded, the log is kept.
      why: "the workitem's status could not follow a late helpdesk event"
    })
    if (workitemId === undefined) return superseded
    yield* core.links.clearError(key)
    return {
      result: { _tag: "Applied", workitemId, revision: linked.appliedRevision, calls: counted.count() },
      outcomes: supersededOutcomes(entries),
      ...writeBack
    } satisfies Applied
  })

/** Whether the ticket's source keeps the "both" rule's status log: write-back on for it, and a status field. */
const keepsStatusLog = (core: SyncCore, source: string): boolean =>
  core.fields.statusKey !== undefined && core.options.writeBack?.writers[source] !== undefined

/** Each helpdesk event's status, for the status log (an event whose fields do not normalize is left out). */
const statusesSeen = (
  core: SyncCore,
  statusKey: string,
  entries: ReadonlyArray<InboxEntry>,
  newestValues?: Values
): Array<StatusSeen> =>
  entries.flatMap((e, i) => {
    const normalized = () => {
      const n = core.mapping.normalize(e.event.fields)
      return n._tag === "Invalid" ? undefined : n.values
    }
    const values = i === entries.length - 1 && newestValues !== undefined ? newestValues : normalized()
    if (values === undefined) return []
    const value = values[statusKey]
    const raw = e.event.fields[statusKey]
    return [
      {
        revision: e.event.revision,
        at: e.event.occurredAt,
        value: typeof value === "string" ? value : null,
        ...(typeof raw === "string" || typeof raw === "number" ? { raw: String(raw) } : {})
      }
    ]
  })

/**
 * A link without a status log yet (made before its source's write-back was turned on): its applied status, as of
 * when the helpdesk last changed it, stands for what the helpdesk did before.
 */
const seedStatusLog = (link: Link, statusKey: string): StatusLog => {
  const at = link.statusChangedAt ?? link.occurredAt
  const value = link.appliedValues[statusKey]
  return at === undefined || link.writeBack !== undefined
    ? EMPTY_STATUS_LOG
    : {
        helpdesk: [{ revision: link.appliedRevision, at, value: typeof value === "string" ? value : null }],
        written: []
      }
}

/** The rule's context for a ticket of `source` (sync/statusRule.ts). */
const ruleContext = (core: SyncCore, source: string) =>
  statusContext(core.mapping.catalog, source, () => core.statuses.list())

export interface Applied {
  readonly result: ApplyResult
  readonly outcomes: ReadonlyArray<Outcome>
  /**
   * The "both" rule wants a status written to the helpdesk (an agent's change that won, or a person's change a
   * write-back replaced): the engine has the write-back step run for the ticket.
   */
  readonly writeBack?: true
}

/** Apply one batch: the result and every event's outcome (recorded and acked by the engine). */
export const applyBatch = (
  core: SyncCore,
  genesys: GenesysCalls,
  batch: TicketBatch,
  /** The agents' changes waiting in the same inbox batch (the engine's write-back entries), oldest first. */
  pendingAgent: ReadonlyArray<{
    readonly statusId?: string | undefined
    readonly statusChanged?: boolean | undefined
    readonly dateModified: string
  }> = []
) =>
  Effect.gen(function* () {
    const key = batch.key
    const entries = [...batch.entries].sort((a, b) => compareRevision(a.event.revision, b.event.revision))
    const newest = entries[entries.length - 1]!.event
    const view = viewLink(yield* core.links.get(key), core.target.typeId)
    const linked = view.link
    const statusKey = core.fields.statusKey
    const twoWay = statusKey !== undefined && keepsStatusLog(core, key.source)
    const superseded: Applied = {
      result: { _tag: "Superseded", revision: newest.revision },
      outcomes: supersededOutcomes(entries)
    }
    if (isSuperseded(newest.revision, linked?.appliedRevision)) {
      if (!twoWay || linked === undefined) return superseded
      // Late helpdesk events: they may move a person's newest status change, and with it the rule's decision.
      return yield* lateEvents(core, genesys, key, entries, linked, view, superseded)
    }
    yield* crashIfAt(core.options.crashAt, "before-apply")

    const normalized = core.mapping.normalize(newest.fields)
    if (normalized._tag === "Invalid") return yield* deadLetter(core, key, entries, "Invalid", normalized.issues)
    const values: Record<string, unknown> = { ...normalized.values }
    if (core.fields.has("source_revision")) values["source_revision"] = newest.revision
    if (core.fields.has("last_synced")) values["last_synced"] = yield* nowIso

    // The helpdesk's values as it reported them, before the "both" rule below may put the agent's status back in.
    const reported: Record<string, unknown> = { ...values }
    let statusChangedAt =
      statusKey !== undefined && linked !== undefined && values[statusKey] === linked.appliedValues[statusKey]
        ? (linked.statusChangedAt ?? linked.occurredAt)
        : statusSinceIn(statusKey, entries)
    let statusLog: StatusLog | undefined
    let forceStatus = false
    let statusNow: string | undefined
    let before: Values | undefined
    let wantsWriteBack = false
    if (twoWay) {
      // The "both" rule for the status (sync/statusRule.ts): both sides end at the newer change's status.
      const logged = observeHelpdesk(
        linked?.statusLog ?? (linked === undefined ? EMPTY_STATUS_LOG : seedStatusLog(linked, statusKey)),
        statusesSeen(core, statusKey, entries, normalized.values)
      )
      const ownStatus = linked?.statusId
      // The agents' changes waiting in this batch count, and are recorded with it (the write-back step that follows
      // finds them there).
      const deciding = pendingAgent.reduce((log, c) => observeAgent(log, c, ownStatus), logged)
      statusLog = deciding
      const context = ruleContext(core, key.source)
      const targets = statusTargets(deciding, context)
      statusNow = workitemStatusNow(deciding, ownStatus)
      // An agent moved the workitem since Workbridge last did: the PATCH is derived from where it is now.
      const nowValue =
        linked !== undefined && statusNow !== undefined && statusNow !== ownStatus
          ? context.agentTarget(statusNow)?.value
          : undefined
      if (linked !== undefined && nowValue !== undefined) before = { ...linked.appliedValues, [statusKey]: nowValue }
      if (targets !== undefined) {
        statusChangedAt = targets.winner.at
        if (targets.value !== undefined) {
          if (targets.value === null) delete values[statusKey]
          else values[statusKey] = targets.value
        } else if (linked !== undefined) {
          // An agent's status with no catalog value won: the workitem keeps it.
          values[statusKey] = linked.appliedValues[statusKey]
        }
        forceStatus = linked !== undefined && targets.statusId !== undefined && statusNow !== targets.statusId
        if (core.log.isLevelEnabled("debug"))
          core.log.debug(
            {
              source: key.source,
              ticketId: key.ticketId,
              winner: targets.winner,
              value: targets.value,
              helpdesk: targets.helpdesk,
              statusNow,
              forceStatus,
              applied: linked?.appliedValues[statusKey],
              agent: agentSummary(deciding.agent),
              pendingAgent: pendingAgent.length
            },
            "forward status decision"
          )
        wantsWriteBack = targets.helpdesk !== undefined && pendingAgent.length === 0
      }
    }

    // The helpdesk's echo of a write-back (its values are the applied ones but for the status written and the
    // bookkeeping): absorbed, the link advanced, no Genesys call (docs/write-back.md, "No echo loops"). It is judged
    // and kept as the helpdesk reported it: an echo stamped in whole seconds (GitHub's `updated_at`) or minutes
    // (Zendesk trigger bodies) is older than the agent's change, and the "both" rule would have replaced its status
    // with the applied one — leaving the link at a status the helpdesk never reports, so that its next change of any
    // field would look like a status change and move the agent's workitem.
    // With the status log, the decided values stand for the workitem (the rule decided them from the whole history).
    const echo =
      linked === undefined || linked.updateIntent !== undefined || forceStatus
        ? undefined
        : isWriteBackEcho(core.mapping.catalog, key.source, linked, reported)
          ? twoWay
            ? values
            : reported
          : isWriteBackEcho(core.mapping.catalog, key.source, linked, values)
            ? values
            : undefined
    if (linked !== undefined && echo !== undefined) {
      const { origin: _origin, ...rest } = linked
      const absorbed: Link = {
        ...rest,
        appliedRevision: newest.revision,
        appliedValues: echo,
        appliedAt: yield* nowIso,
        occurredAt: newest.occurredAt,
        ...originOf(newest.origin),
        ...(statusLog === undefined ? {} : { statusLog })
      }
      if (!(yield* core.links.compareAndSet(key, view.expected, absorbed))) return yield* new LinkConflict({ key })
      core.log.info(
        { source: key.source, ticketId: key.ticketId, workitemId: linked.workitemId, revision: newest.revision },
        "helpdesk echo of a write-back absorbed; nothing sent to Genesys"
      )
      yield* core.links.clearError(key)
      return {
        result: { _tag: "Applied", workitemId: linked.workitemId, revision: newest.revision, calls: 0 },
        outcomes: newestOutcomes(entries, "applied"),
        ...(wantsWriteBack ? { writeBack: true as const } : {})
      } satisfies Applied
    }

    const counted = countCalls(genesys)
    const done = yield* settledWrite(
      core,
      counted.genesys,
      {
        key,
        values,
        revision: newest.revision,
        origin: newest.origin,
        occurredAt: newest.occurredAt,
        statusChangedAt,
        statusLog,
        forceStatus,
        statusNow,
        before
      },
      newest,
      view
    )
    if (done._tag === "Dead") return yield* deadLetter(core, key, entries, done.reason, done.details)
    yield* core.links.clearError(key)
    if (done.upToDate === "superseded") return superseded
    return {
      result: { _tag: "Applied", workitemId: done.workitemId, revision: newest.revision, calls: counted.count() },
      outcomes: newestOutcomes(entries, "applied"),
      ...(wantsWriteBack ? { writeBack: true as const } : {})
    } satisfies Applied
  })

/**
 * Set the workitem's status to the "both" rule's winner's when it is elsewhere: an agent's change won over a status
 * Workbridge set without knowing of it (its event came after Workbridge's move), or an agent's change older than a
 * person's helpdesk change applied before it arrived moved the workitem. The write-back step asks for it. Answers the Genesys
 * calls made (0: nothing to do). Its failures are the forward apply's: transient ones fail (the batch waits),
 * permanent ones are logged and leave the workitem as it is.
 */
export const convergeStatus = (core: SyncCore, genesys: GenesysCalls, key: TicketKey) =>
  Effect.gen(function* () {
    const statusKey = core.fields.statusKey
    const view = viewLink(yield* core.links.get(key), core.target.typeId)
    const linked = view.link
    const log = linked?.statusLog
    if (statusKey === undefined || linked === undefined || log === undefined) return 0
    const targets = statusTargets(log, ruleContext(core, key.source))
    const statusNow = workitemStatusNow(log, linked.statusId)
    if (targets?.value === undefined || targets.statusId === undefined || statusNow === targets.statusId) return 0
    core.log.info(
      { source: key.source, ticketId: key.ticketId, workitemId: linked.workitemId, status: targets.value },
      "the workitem is not at the newest status change's status; setting it"
    )
    const counted = countCalls(genesys)
    yield* statusOnlyWrite(core, counted.genesys, key, linked, {
      log,
      targets: { ...targets, value: targets.value },
      statusNow,
      forceStatus: true,
      occurredAt: linked.occurredAt ?? targets.winner.at,
      statusChangedAt: linked.statusChangedAt,
      why: "the winner's status could not be set on the workitem"
    })
    return counted.count()
  })
