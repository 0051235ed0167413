/**
 * The sync engine: applies one ticket's pending events to Genesys, exactly once and in revision order.
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
 */
import { compareRevision, customFieldKey, type EventOrigin, type TicketEvent } from "@workbridge/catalog"
import { Context, Data, Effect, Layer } from "effect"
import type { Logger } from "pino"
import { AuditTrail, recordOutcomes, recordRetry, withAuditTicket } from "./AuditTrail.js"
import type { CrashPoint } from "./Config.js"
import {
  CREATE_PENDING_REVISION,
  createPendingLink,
  isCreatePending,
  type InboxEntry,
  type Link,
  type Outcome,
  type TicketBatch,
  type TicketKey,
  type UpdateIntent
} from "./Domain.js"
import { GenesysError, type StoreError } from "./Errors.js"
import { Genesys, type GenesysService, type Workitem, type WorktypeStatus } from "@workbridge/genesys"
import { Inbox } from "./Inbox.js"
import { LinkStore } from "./LinkStore.js"
import { Log } from "./Log.js"
import type { MappingContext, WorkitemMapping } from "./Mapping.js"
import { Metrics } from "./Metrics.js"
import type { TicketSyncStatus } from "./TicketStatus.js"
import { withApplySpan } from "./Tracing.js"
import { shortestStatusPath } from "./Transitions.js"

/** The worktype Workbridge writes to, resolved at start. */
export interface SyncTarget {
  readonly typeId: string
  readonly statuses: ReadonlyArray<WorktypeStatus>
  readonly skillIds?: Readonly<Record<string, string>>
  /** Workbin of new workitems (default: the worktype's default workbin). */
  readonly workbinId?: string
}

export interface EngineOptions {
  readonly mapping: WorkitemMapping
  readonly target: SyncTarget
  /** Test-only crash point (see docs/service.md). */
  readonly crashAt?: CrashPoint
  /** How long a worker waits after a transient failure before taking work again. */
  readonly failureBackoffMs?: number
  /**
   * How long to wait after a create or update whose outcome is unknown (timeout, network error, 5xx) before the
   * ticket is tried again — at least the request timeout, so a request still running in Genesys has finished
   * (and cannot land after the next write).
   */
  readonly ambiguousCreateBackoffMs?: number
  /** Tracing on: each apply runs in an `Engine.apply` span joined to its events' traces (Tracing.ts). */
  readonly tracing?: boolean
}

/** Another writer moved the ticket's applied revision under us; the batch goes back to the inbox. */
export class LinkConflict extends Data.TaggedError("LinkConflict")<{ readonly key: TicketKey }> {
  override get message(): string {
    return `the link of ${this.key.source}/${this.key.ticketId} changed during the apply`
  }
}

/** A create failed in a way that leaves unknown whether Genesys made the workitem; retried after a lookup. */
export class AmbiguousCreate extends Data.TaggedError("AmbiguousCreate")<{ readonly cause: GenesysError }> {
  override get message(): string {
    return `create outcome unknown: ${this.cause.message}`
  }
}

/** The linked workitem belongs to another worktype (found on reading it): the ticket is created in this one. */
class ForeignWorkitem extends Data.TaggedError("ForeignWorkitem")<{ readonly typeId: string }> {}

/** A PATCH failed in a way that leaves unknown whether Genesys applied it; its update intent stays on the link. */
export class AmbiguousUpdate extends Data.TaggedError("AmbiguousUpdate")<{ readonly cause: GenesysError }> {
  override get message(): string {
    return `update outcome unknown: ${this.cause.message}`
  }
}

/**
 * A 429, a 403 (permissions still propagating) or a credential failure was refused before Genesys did anything; any
 * other transient failure may not have been.
 */
const outcomeUnknown = (e: GenesysError): boolean => e.transient && e.reason !== "RateLimited" && e.reason !== "Forbidden" && !e.credential

/** Two value sets alike but for the time they were written. */
const sameValues = (a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): boolean => {
  const { last_synced: _a, ...x } = a
  const { last_synced: _b, ...y } = b
  return JSON.stringify(x) === JSON.stringify(y)
}

/** The union of PATCH bodies computed towards the same values (custom fields merged key by key). */
const mergePatches = (bodies: ReadonlyArray<Readonly<Record<string, unknown>> | undefined>): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const body of bodies) {
    for (const [k, v] of Object.entries(body ?? {})) {
      if (k === "customFields" && typeof v === "object" && v !== null) {
        out[k] = { ...((out[k] as Record<string, unknown> | undefined) ?? {}), ...(v as Record<string, unknown>) }
      } else out[k] = v
    }
  }
  return out
}

/** An event that cannot be applied as it stands (dead letter). */
class Unapplicable extends Data.TaggedError("Unapplicable")<{ readonly reason: string; readonly details: ReadonlyArray<string> }> {}

export type ApplyResult =
  | { readonly _tag: "Applied"; readonly workitemId: string; readonly revision: string; readonly calls: number }
  | { readonly _tag: "Superseded"; readonly revision: string }
  | { readonly _tag: "DeadLettered"; readonly reason: string }

export interface EngineService {
  /** Apply one batch and ack it; on a transient failure release it (nothing is lost). */
  readonly process: (batch: TicketBatch) => Effect.Effect<ApplyResult | undefined>
  /** Run `workers` loops taking batches from the inbox until interrupted. */
  readonly run: (workers: number) => Effect.Effect<never>
  readonly ticketStatus: (key: TicketKey) => Effect.Effect<TicketSyncStatus, StoreError>
}

export class Engine extends Context.Tag("@workbridge/service/Engine")<Engine, EngineService>() {}

/**
 * The store's note that it has known the worktype since it was empty: every workitem Workbridge made in it was
 * made after a create intent, so a ticket with no link has no workitem. Without it (a fresh data directory
 * against a worktype that already has workitems) any miss may be a workitem the store never heard of.
 */
export const worktypeMarkerKey = (typeId: string): TicketKey => ({ source: "_workbridge", ticketId: `create-intents:${typeId}` })

/** What the engine does on a link miss: POST directly (intents are trusted) or look the workitem up first. */
export type MissPolicy = "post" | "query"

/** The link's record of how its state arrived (webhooks, the default, are not written). */
const originOf = (origin: EventOrigin | undefined): { readonly origin?: EventOrigin } =>
  origin === undefined || origin === "webhook" ? {} : { origin }

/** Kill the process at a test-only crash point. */
export const crashIfAt = (configured: CrashPoint | undefined, point: CrashPoint): Effect.Effect<void> =>
  configured === point ? Effect.sync(() => process.kill(process.pid, "SIGKILL")).pipe(Effect.zipRight(Effect.never)) : Effect.void

const errorDetails = (e: GenesysError): Array<string> => {
  const out = [e.message]
  if (e.body !== undefined) {
    try {
      out.push(`Genesys error body: ${JSON.stringify(e.body)}`)
    } catch {
      /* not serializable */
    }
  }
  return out
}

export const make = (options: EngineOptions) =>
  Effect.gen(function* () {
    const inbox = yield* Inbox
    const links = yield* LinkStore
    const genesys: GenesysService = yield* Genesys
    const metrics = yield* Metrics
    const log: Logger = yield* Log
    const audit = yield* Effect.serviceOption(AuditTrail)
    const { mapping, target } = options
    const catalog = mapping.catalog
    const fieldKey = (key: string): string | undefined => {
      const f = catalog.fields.find((x) => x.key === key)
      return f === undefined ? undefined : customFieldKey(f)
    }
    const revisionField = fieldKey("source_revision")
    const hasField = (key: string) => catalog.fields.some((f) => f.key === key)
    const statusKey = catalog.fields.find((f) => f.attribute === "statusId")?.key
    /** The worktype's statuses: read at start, read again when Genesys shows they changed (see `relearnStatuses`). */
    let statuses = target.statuses
    const contextOf = (list: ReadonlyArray<WorktypeStatus>): MappingContext => ({
      typeId: target.typeId,
      statusIds: Object.fromEntries(list.map((s) => [s.name, s.id])),
      ...(target.skillIds !== undefined ? { skillIds: target.skillIds } : {})
    })
    let ctx: MappingContext = contextOf(statuses)
    const knownStatus = (id: string | undefined) => id !== undefined && statuses.some((s) => s.id === id)
    /**
     * Read the worktype's statuses again (someone re-provisioned them: a status replaced keeps its name, not its
     * id). Called only when Genesys shows a status id the engine does not know or refuses a status step.
     */
    const relearnStatuses = Effect.gen(function* () {
      const fresh = yield* genesys.getStatuses(target.typeId)
      const before = new Set(statuses.map((s) => s.id))
      if (fresh.length !== before.size || fresh.some((s) => !before.has(s.id))) {
        log.warn({ typeId: target.typeId, statuses: fresh.map((s) => s.name) }, "the worktype's statuses changed in Genesys; using the new ones")
      }
      statuses = fresh
      ctx = contextOf(fresh)
    })

    /** Run a catalog derivation; a throw (missing status id, body too large) makes the event unapplicable. */
    const derive = <A>(f: () => A) =>
      Effect.try({
        try: f,
        catch: (e) => new Unapplicable({ reason: "Derivation", details: [e instanceof Error ? e.message : String(e)] })
      })

    /** Find the ticket's workitem in Genesys (crash repair): oldest match wins. */
    const findWorkitem = (values: Readonly<Record<string, unknown>>, event: TicketEvent) => {
      const filters: Array<{ name: string; value: string }> = []
      const idKey = fieldKey("ticket_id")
      const sourceKey = fieldKey("source_system")
      filters.push({ name: `customFields.${idKey ?? "ticket_id_identifier"}`, value: String(values["ticket_id"] ?? event.ticketId) })
      if (sourceKey !== undefined && typeof values["source_system"] === "string") {
        filters.push({ name: `customFields.${sourceKey}`, value: values["source_system"] })
      }
      return Effect.map(genesys.queryWorkitems(target.typeId, filters), (found) =>
        [...found].sort((a, b) => String(a["dateCreated"] ?? "").localeCompare(String(b["dateCreated"] ?? "")))[0]
      )
    }

    /**
     * On a link miss: POST directly when the store has known the worktype since it was empty (decided once per
     * process: the marker, else one query of pageSize 1 — an empty worktype writes the marker), else query first.
     */
    let missPolicy: MissPolicy | undefined
    const policyLock = yield* Effect.makeSemaphore(1)
    const decideMissPolicy = Effect.gen(function* () {
      const markerKey = worktypeMarkerKey(target.typeId)
      if ((yield* links.get(markerKey)) !== undefined) return "post" as const
      const any = yield* genesys.queryWorkitems(target.typeId, [], { limit: 1 })
      if (any.length > 0) {
        log.warn(
          { typeId: target.typeId },
          "the link store does not know this worktype from empty and it already has workitems: every ticket without a link is looked up in Genesys before a create"
        )
        return "query" as const
      }
      // Another replica may have written it first (false): the same conclusion.
      yield* links.compareAndSet(markerKey, undefined, { workitemId: target.typeId, appliedRevision: "marker", appliedValues: {}, appliedAt: new Date().toISOString() })
      return "post" as const
    })
    const getMissPolicy = Effect.suspend(() =>
      missPolicy !== undefined
        ? Effect.succeed(missPolicy)
        : policyLock.withPermits(1)(
            Effect.suspend(() =>
              missPolicy !== undefined
                ? Effect.succeed(missPolicy)
                : Effect.tap(decideMissPolicy, (p) =>
                    Effect.sync(() => {
                      missPolicy = p
                    })
                  )
            )
          )
    )

    /**
     * Create the workitem: record the create intent first (durably, compare-and-set over `expected`) unless it is
     * already there, POST, then replace the intent with the link.
     */
    const create = (key: TicketKey, values: Readonly<Record<string, unknown>>, expected: string | undefined, revision: string, origin?: EventOrigin) =>
      Effect.gen(function* () {
        const bodyOf = Effect.map(derive(() => mapping.create(values, ctx)), (derived) =>
          target.workbinId !== undefined ? { ...derived, workbinId: target.workbinId } : derived
        )
        const body = yield* bodyOf
        if (expected !== CREATE_PENDING_REVISION) {
          if (!(yield* links.compareAndSet(key, expected, createPendingLink(new Date().toISOString())))) return yield* new LinkConflict({ key })
        }
        const post = (b: Readonly<Record<string, unknown>>) =>
          genesys.createWorkitem(b).pipe(Effect.mapError((e) => (outcomeUnknown(e) ? new AmbiguousCreate({ cause: e }) : e)))
        const w = yield* post(body).pipe(
          // A refused status may be one re-provisioned since start (same name, new id): learn the statuses again
          // and, if the body changes, send it once more (a 400 made nothing).
          Effect.catchIf(
            (e): e is GenesysError => e instanceof GenesysError && e.reason === "BadRequest" && typeof body["statusId"] === "string",
            (e) =>
              Effect.gen(function* () {
                yield* relearnStatuses
                const again = yield* bodyOf
                if (again["statusId"] === body["statusId"]) return yield* Effect.fail(e)
                return yield* post(again)
              })
          )
        )
        yield* crashIfAt(options.crashAt, "after-create")
        const statusId = w.status?.id
        const link: Link = {
          workitemId: w.id,
          appliedRevision: revision,
          appliedValues: values,
          ...(statusId !== undefined ? { statusId } : {}),
          appliedAt: new Date().toISOString(),
          typeId: target.typeId,
          ...originOf(origin)
        }
        if (!(yield* links.compareAndSet(key, CREATE_PENDING_REVISION, link))) return yield* new LinkConflict({ key })
        return { workitemId: w.id, calls: 1 }
      })

    /** A PATCH; a failure that leaves its outcome unknown is an {@link AmbiguousUpdate}. */
    const patchWorkitem = (workitemId: string, body: Readonly<Record<string, unknown>>) =>
      genesys.updateWorkitem(workitemId, body).pipe(Effect.mapError((e) => (outcomeUnknown(e) ? new AmbiguousUpdate({ cause: e }) : e)))

    /**
     * PATCH the changes, walking the status graph when the status changes — from the status the link recorded
     * (what Genesys answered to our last write). Only when that is unknown, not one of the worktype's statuses
     * (re-provisioned), or an update intent says a write may have moved it, or Genesys refuses the first step
     * (someone moved the workitem meanwhile, or the statuses changed), is the workitem read to learn its current
     * status; a status id the engine does not know, or a refused step, also reads the worktype's statuses again.
     *
     * `intended`: the values of earlier writes whose outcome is unknown (the link's update intent); the PATCH
     * covers every field where `after` differs from `before` or from any of them. `linked`: the stored link, on
     * which the update intent is recorded before the first PATCH (undefined when adopting: the workitem was
     * just read, and a crash leaves the create intent, which makes the next run read it again). The revision
     * marker goes with the last PATCH only, so a workitem claims a revision only once all of it is there.
     */
    const update = (
      key: TicketKey,
      workitemId: string,
      before: Readonly<Record<string, unknown>>,
      after: Readonly<Record<string, unknown>>,
      expected: string | undefined,
      revision: string,
      knownStatusId: string | undefined,
      intended: ReadonlyArray<Readonly<Record<string, unknown>>>,
      linked: Link | undefined,
      origin?: EventOrigin
    ) =>
      Effect.gen(function* () {
        let calls = 0
        let patch: Record<string, unknown> = {}
        let wantedStatus: string | undefined
        // The revision marker, held back for the last PATCH.
        let marker: Record<string, unknown> | undefined
        const derivePatch = Effect.gen(function* () {
          const fromApplied = yield* derive(() => mapping.update(before, after, ctx))
          // An intended value set that no longer derives (the worktype changed since) is replaced by "every field".
          const fromIntended = yield* Effect.forEach(intended, (b) =>
            derive(() => mapping.update(b, after, ctx)).pipe(Effect.orElse(() => derive(() => mapping.update({}, after, ctx))))
          )
          patch = mergePatches([fromApplied, ...fromIntended])
          wantedStatus = typeof patch["statusId"] === "string" ? patch["statusId"] : undefined
          delete patch["statusId"]
          marker = undefined
          const custom = patch["customFields"] as Record<string, unknown> | undefined
          if (revisionField !== undefined && custom !== undefined && revisionField in custom) {
            marker = { [revisionField]: custom[revisionField] }
            const { [revisionField]: _, ...rest } = custom
            if (Object.keys(rest).length > 0) patch["customFields"] = rest
            else delete patch["customFields"]
          }
        })
        yield* derivePatch
        /** Learn the statuses again (at most once per update) and derive the PATCH with them. */
        let relearned = false
        const relearn = Effect.suspend(() =>
          relearned
            ? Effect.void
            : Effect.zipRight(
                Effect.tap(relearnStatuses, () =>
                  Effect.sync(() => {
                    relearned = true
                    calls++
                  })
                ),
                derivePatch
              )
        )
        let statusId = intended.length > 0 ? undefined : knownStatusId
        const readStatus = Effect.gen(function* () {
          const current = yield* genesys.getWorkitem(workitemId)
          calls++
          const typeId = current.type?.id
          if (typeId !== undefined && typeId !== target.typeId) return yield* new ForeignWorkitem({ typeId })
          statusId = current.status?.id
          // A status the engine does not know: the worktype's statuses changed since they were read.
          if (statusId !== undefined && !knownStatus(statusId)) yield* relearn
          return current
        })
        /** The PATCH bodies: the field changes with the first status step, then one body per further step; the marker with the last. */
        const plan = (from: string | undefined) =>
          Effect.gen(function* () {
            let path: ReadonlyArray<string> = []
            if (wantedStatus !== undefined) {
              const found = !knownStatus(from) ? [wantedStatus] : shortestStatusPath(statuses, from!, wantedStatus)
              if (found === undefined) {
                const name = (id: string | undefined) => statuses.find((s) => s.id === id)?.name ?? id ?? "unknown"
                return yield* new Unapplicable({
                  reason: "NoTransition",
                  details: [`the worktype allows no path from status "${name(from)}" to "${name(wantedStatus)}"`]
                })
              }
              path = found
            }
            const bodies: Array<Record<string, unknown>> = []
            const first: Record<string, unknown> = { ...patch }
            if (path.length > 0) first["statusId"] = path[0]
            if (Object.keys(first).length > 0) bodies.push(first)
            for (const step of path.slice(1)) bodies.push({ statusId: step })
            if (marker !== undefined) {
              const last = bodies.pop() ?? {}
              bodies.push({ ...last, customFields: { ...((last["customFields"] as Record<string, unknown> | undefined) ?? {}), ...marker } })
            }
            return bodies
          })
        let trusted = false
        if (linked !== undefined && linked.typeId === undefined) {
          // A link from before links recorded their worktype: the workitem is read once (whatever the change) to learn
          // whose it is — another worktype's is not PATCHed — and where its status is. The link written after records it.
          yield* readStatus
        } else if (wantedStatus !== undefined) {
          if (statusId === undefined) yield* readStatus
          else if (!knownStatus(statusId)) {
            // Not one of the worktype's statuses (re-provisioned, or a link from before a restart): unknown, not trusted.
            log.info({ workitemId, statusId }, "the recorded status is not one of the worktype's statuses; reading the workitem's current status")
            yield* readStatus
          } else trusted = true
        }
        let bodies = yield* plan(statusId)
        if (linked !== undefined && bodies.length > 0) {
          // Durably, before the PATCH: these values may be in Genesys from now on, whatever the link says.
          const updateIntent: UpdateIntent = {
            revision,
            values: intended.length > 0 && sameValues(intended[intended.length - 1]!, after) ? intended : [...intended, after]
          }
          if (!(yield* links.compareAndSet(key, expected, { ...linked, updateIntent }))) return yield* new LinkConflict({ key })
        }
        for (let i = 0; i < bodies.length; i++) {
          const body = bodies[i]!
          const sent = patchWorkitem(workitemId, body)
          const w: Workitem =
            i === 0 && typeof body["statusId"] === "string"
              ? yield* sent.pipe(
                  // The recorded status may be stale (changed in Genesys), or the statuses re-provisioned: a
                  // refused first step reads the workitem (unless just read) and, unless it had moved, the
                  // worktype's statuses, and plans again; the refused PATCH changed nothing.
                  Effect.catchIf(
                    (e): e is GenesysError => e instanceof GenesysError && (e.reason === "BadRequest" || e.reason === "Conflict"),
                    (e) =>
                      Effect.gen(function* () {
                        calls++
                        log.info({ workitemId, error: e.message }, "status step refused; reading the workitem's current status")
                        const planned = statusId
                        const read = trusted ? yield* readStatus : undefined
                        trusted = false
                        // Where the workitem is was known (just read), or it has not moved: the statuses changed.
                        if (read === undefined || statusId === planned) yield* relearn
                        bodies = yield* plan(statusId)
                        const retried = bodies[0]
                        if (retried === undefined) {
                          calls-- // nothing left to send: the loop's count of this step is the refused PATCH
                          return read ?? (yield* Effect.fail(e))
                        }
                        return yield* patchWorkitem(workitemId, retried)
                      })
                  )
                )
              : yield* sent
          calls++
          const applied = bodies[i]!
          statusId = w.status?.id ?? (typeof applied["statusId"] === "string" ? applied["statusId"] : statusId)
          if (i < bodies.length - 1) yield* crashIfAt(options.crashAt, "between-status-steps")
        }
        yield* crashIfAt(options.crashAt, "after-update")
        const link: Link = {
          workitemId,
          appliedRevision: revision,
          appliedValues: after,
          ...(statusId !== undefined ? { statusId } : {}),
          appliedAt: new Date().toISOString(),
          typeId: target.typeId,
          ...originOf(origin)
        }
        if (!(yield* links.compareAndSet(key, expected, link))) return yield* new LinkConflict({ key })
        return { workitemId, calls }
      })

    const apply = (batch: TicketBatch) =>
      Effect.gen(function* () {
        const key = batch.key
        const entries = [...batch.entries].sort((a, b) => compareRevision(a.event.revision, b.event.revision))
        const newest = entries[entries.length - 1]!
        const stored = yield* links.get(key)
        // A create intent: a create was started and may have made a workitem nobody linked.
        const pending = stored !== undefined && isCreatePending(stored)
        // A link into another worktype (the service now writes to a new one): not used; the ticket is created
        // afresh, or adopted by query, in this worktype, as if it had no link.
        const foreign = stored !== undefined && !pending && stored.typeId !== undefined && stored.typeId !== target.typeId
        const link = pending || foreign ? undefined : stored
        const applied = link?.appliedRevision
        /** What the stored link's revision is now (the compare-and-set's expectation). */
        const expected = stored?.appliedRevision
        const superseded = (list: ReadonlyArray<InboxEntry>): Array<Outcome> =>
          list.map((e) => ({ deliveryKey: e.event.deliveryKey, revision: e.event.revision, outcome: "superseded" as const }))
        const others = entries.slice(0, -1)

        if (applied !== undefined && compareRevision(newest.event.revision, applied) <= 0) {
          return { result: { _tag: "Superseded", revision: newest.event.revision } as ApplyResult, outcomes: superseded(entries) }
        }
        yield* crashIfAt(options.crashAt, "before-apply")

        const deadLetter = (reason: string, details: ReadonlyArray<string>) =>
          Effect.gen(function* () {
            yield* links.addDeadLetter({ source: key.source, ticketId: key.ticketId, revision: newest.event.revision, reason, details, event: newest.event })
            log.warn({ source: key.source, ticketId: key.ticketId, revision: newest.event.revision, reason, details }, "event dead-lettered")
            const outcomes: Array<Outcome> = [
              ...superseded(others),
              { deliveryKey: newest.event.deliveryKey, revision: newest.event.revision, outcome: "dead" }
            ]
            return { result: { _tag: "DeadLettered", reason } as ApplyResult, outcomes }
          })

        const normalized = mapping.normalize(newest.event.fields)
        if (normalized._tag === "Invalid") return yield* deadLetter("Invalid", normalized.issues)
        const values: Record<string, unknown> = { ...normalized.values }
        if (hasField("source_revision")) values["source_revision"] = newest.event.revision
        if (hasField("last_synced")) values["last_synced"] = new Date().toISOString()

        const run = Effect.gen(function* () {
          if (link !== undefined) {
            return yield* update(
              key,
              link.workitemId,
              link.appliedValues,
              values,
              applied,
              newest.event.revision,
              link.statusId,
              link.updateIntent?.values ?? [],
              link,
              newest.event.origin
            ).pipe(
              Effect.catchIf(
                (e): e is GenesysError => e instanceof GenesysError && e.reason === "NotFound",
                () =>
                  Effect.gen(function* () {
                    // The workitem was deleted in Genesys: create it again and relink.
                    log.warn({ source: key.source, ticketId: key.ticketId, workitemId: link.workitemId }, "linked workitem is gone; recreating it")
                    return yield* create(key, values, applied, newest.event.revision, newest.event.origin)
                  })
              ),
              Effect.catchTag("ForeignWorkitem", (e) =>
                Effect.gen(function* () {
                  // A link from before links recorded their worktype, into another one: create it in this one.
                  log.warn({ source: key.source, ticketId: key.ticketId, workitemId: link.workitemId, typeId: e.typeId }, "linked workitem belongs to another worktype; creating it in this one")
                  return yield* create(key, values, applied, newest.event.revision, newest.event.origin)
                })
              )
            )
          }
          // No link and no intent: no create was ever started for this ticket (once the store knows the worktype
          // from empty), so POST without looking.
          if (!pending && (yield* getMissPolicy) === "post") return yield* create(key, values, expected, newest.event.revision, newest.event.origin)
          const found = yield* findWorkitem(values, newest.event)
          if (found === undefined) return yield* create(key, values, expected, newest.event.revision, newest.event.origin)
          // Adopt the workitem a previous run created but did not link. Its status is what its status attribute
          // says, not its status field: a walk cut short between two steps leaves them apart, so the status is
          // left out of the adopted values (the update walks from the workitem's status, `[]` when it is there).
          const { [statusKey ?? ""]: _status, ...adoptedValues } = mapping.fromWorkitem(found, ctx)
          const rev = revisionField === undefined ? undefined : found.customFields?.[revisionField]
          log.info({ source: key.source, ticketId: key.ticketId, workitemId: found.id, revision: rev }, "adopting an unlinked workitem")
          if (typeof rev === "string" && compareRevision(newest.event.revision, rev) <= 0) {
            const adopted: Link = {
              workitemId: found.id,
              appliedRevision: rev,
              appliedValues: adoptedValues,
              ...(found.status?.id !== undefined ? { statusId: found.status.id } : {}),
              appliedAt: new Date().toISOString(),
              typeId: target.typeId
            }
            if (!(yield* links.compareAndSet(key, expected, adopted))) return yield* new LinkConflict({ key })
            // The run that created it applied this very revision (or a newer one): nothing to write.
            return { workitemId: found.id, calls: 1, upToDate: compareRevision(newest.event.revision, rev) === 0 ? "applied" : "superseded" }
          }
          const r = yield* update(key, found.id, adoptedValues, values, expected, newest.event.revision, found.status?.id, [], undefined, newest.event.origin).pipe(
            // Found by a query of this worktype: it is not another worktype's.
            Effect.catchTag("ForeignWorkitem", (e) => Effect.die(new Error(`the query of worktype ${target.typeId} found a workitem of ${e.typeId}`)))
          )
          return { ...r, calls: r.calls + 1 }
        })

        const done = yield* run.pipe(
          Effect.map((r) => ({ _tag: "Done" as const, ...r })),
          Effect.catchTags({
            Unapplicable: (e) => Effect.succeed({ _tag: "Dead" as const, reason: e.reason, details: e.details }),
            GenesysError: (e) =>
              e.transient
                ? Effect.fail(e)
                : Effect.succeed({ _tag: "Dead" as const, reason: `Genesys${e.reason}`, details: errorDetails(e) })
          })
        )
        if (done._tag === "Dead") return yield* deadLetter(done.reason, done.details)
        yield* links.clearError(key)
        if ("upToDate" in done) {
          if (done.upToDate === "superseded") {
            return { result: { _tag: "Superseded", revision: newest.event.revision } as ApplyResult, outcomes: superseded(entries) }
          }
          return {
            result: { _tag: "Applied", workitemId: done.workitemId, revision: newest.event.revision, calls: done.calls } as ApplyResult,
            outcomes: [...superseded(others), { deliveryKey: newest.event.deliveryKey, revision: newest.event.revision, outcome: "applied" as const }]
          }
        }
        return {
          result: { _tag: "Applied", workitemId: done.workitemId, revision: newest.event.revision, calls: done.calls } as ApplyResult,
          outcomes: [...superseded(others), { deliveryKey: newest.event.deliveryKey, revision: newest.event.revision, outcome: "applied" as const }]
        }
      })

    const process = (batch: TicketBatch): Effect.Effect<ApplyResult | undefined> =>
      Effect.gen(function* () {
        const started = Date.now()
        const newestRevision = batch.entries[batch.entries.length - 1]?.event.revision
        const applying = apply(batch).pipe(withAuditTicket(batch.key, newestRevision))
        const r = yield* Effect.either(options.tracing === true ? withApplySpan(batch)(applying) : applying)
        if (r._tag === "Left") {
          const e = r.left
          yield* recordRetry(audit, batch.key, newestRevision, e.message)
          log.warn(
            { source: batch.key.source, ticketId: batch.key.ticketId, error: e.message, reason: "reason" in e ? e.reason : e._tag },
            "apply failed; the events stay in the inbox"
          )
          // The ticket waits (its events stay in the inbox); the worker goes on with other tickets.
          const delayMs =
            e._tag === "AmbiguousCreate" || e._tag === "AmbiguousUpdate"
              ? Math.max(options.ambiguousCreateBackoffMs ?? 0, options.failureBackoffMs ?? 1000)
              : e._tag === "GenesysError" && e.scoped && e.retryAfterSeconds !== undefined
                ? // A pause over this ticket's work only (its workitem, creates, updates): wait it out in the inbox.
                  Math.max(options.failureBackoffMs ?? 1000, Math.ceil(e.retryAfterSeconds * 1000))
                : (options.failureBackoffMs ?? 1000)
          yield* inbox.release(batch, { delayMs }).pipe(Effect.ignore)
          return undefined
        }
        const { result, outcomes } = r.right
        yield* links.recordOutcomes(batch.key, outcomes).pipe(Effect.ignore)
        yield* recordOutcomes(audit, batch.key, outcomes, result)
        yield* inbox.ack(batch).pipe(
          Effect.catchAll((e) => Effect.sync(() => log.error({ error: e.message }, "inbox ack failed; the batch will be seen again")))
        )
        const now = Date.now()
        metrics.applyDuration.observe((now - started) / 1000)
        for (const o of outcomes) metrics.events.inc({ outcome: o.outcome })
        for (const e of batch.entries) metrics.syncLag.observe(Math.max(0, now - Date.parse(e.acceptedAt)) / 1000)
        if (result._tag === "Applied") {
          log.info(
            { source: batch.key.source, ticketId: batch.key.ticketId, workitemId: result.workitemId, revision: result.revision, events: batch.entries.length, calls: result.calls },
            "ticket applied"
          )
        } else if (result._tag === "Superseded") {
          log.debug({ source: batch.key.source, ticketId: batch.key.ticketId, events: batch.entries.length }, "events superseded")
        }
        return result
      }).pipe(Effect.onInterrupt(() => inbox.release(batch).pipe(Effect.ignore)))

    /** A defect (a bug) while applying one batch must not end the worker: the ticket waits and is retried. */
    const guarded = (batch: TicketBatch) =>
      process(batch).pipe(
        Effect.catchAllDefect((defect) =>
          Effect.gen(function* () {
            log.error(
              { source: batch.key.source, ticketId: batch.key.ticketId, defect: defect instanceof Error ? defect.message : String(defect) },
              "unexpected failure while applying; the events stay in the inbox"
            )
            yield* inbox.release(batch, { delayMs: options.failureBackoffMs ?? 1000 }).pipe(Effect.ignore)
            return undefined
          })
        )
      )

    const worker = Effect.forever(
      Effect.flatMap(inbox.take, guarded).pipe(
        Effect.catchAll((e) => Effect.zipRight(Effect.sync(() => log.error({ error: e.message }, "inbox take failed")), Effect.sleep(1000)))
      )
    )

    const service: EngineService = {
      process,
      run: (workers) => Effect.forEach(Array.from({ length: workers }, () => worker), (w) => w, { concurrency: "unbounded", discard: true }).pipe(Effect.zipRight(Effect.never)),
      ticketStatus: (key) =>
        Effect.gen(function* () {
          const stored = yield* links.get(key)
          const link = stored !== undefined && isCreatePending(stored) ? undefined : stored
          const pending = yield* inbox.pendingFor(key)
          const lastError = yield* links.lastError(key)
          return {
            source: key.source,
            ticketId: key.ticketId,
            ...(link !== undefined
              ? { workitemId: link.workitemId, appliedRevision: link.appliedRevision, lastAppliedAt: link.appliedAt, arrivedBy: link.origin ?? "webhook" }
              : {}),
            pendingEvents: pending.count,
            ...(lastError !== undefined ? { lastError } : {}),
            lagSeconds: pending.oldestAcceptedAt === undefined ? 0 : Math.max(0, (Date.now() - Date.parse(pending.oldestAcceptedAt)) / 1000)
          }
        })
    }
    return service
  })

export const layer = (options: EngineOptions): Layer.Layer<Engine, never, Inbox | LinkStore | Genesys | Metrics | Log> =>
  Layer.effect(Engine, make(options))
