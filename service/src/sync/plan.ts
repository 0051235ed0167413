/**
 * The sync engine's pure planning: which link an apply works from, what the PATCH bodies of an update are (the
 * field changes, the status walk, the revision marker last), the update intent recorded before them, what became
 * of each event, and how long a failed ticket waits. No I/O, no clock: the effectful apply (apply.ts) calls these.
 */
import { compareRevision, type EventOrigin } from "@workbridge/catalog"
import {
  isCreatePending,
  type InboxEntry,
  type Link,
  type Outcome,
  type StatusLog,
  type UpdateIntent,
  type WriteBackState
} from "../domain/records.js"
import { GenesysError } from "../domain/errors.js"
import type { WorktypeStatus } from "@workbridge/genesys"
import { shortestStatusPath } from "./statusWalk.js"

type Values = Readonly<Record<string, unknown>>

/**
 * A 429, a 403 (permissions still propagating) or a credential failure was refused before Genesys did anything; any
 * other transient failure may not have been.
 */
export const outcomeUnknown = (e: GenesysError): boolean =>
  e.transient && e.reason !== "RateLimited" && e.reason !== "Forbidden" && !e.credential

/** Two value sets alike but for the time they were written. */
export const sameValues = (a: Values, b: Values): boolean => {
  const { last_synced: _a, ...x } = a
  const { last_synced: _b, ...y } = b
  return JSON.stringify(x) === JSON.stringify(y)
}

/** The union of PATCH bodies computed towards the same values (custom fields merged key by key). */
export const mergePatches = (bodies: ReadonlyArray<Values | undefined>): Record<string, unknown> => {
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

/** An update's changes: the field PATCH, the status it should end in, and the revision marker held back for the last PATCH. */
export interface PatchPlan {
  readonly patch: Readonly<Record<string, unknown>>
  readonly wantedStatus?: string
  readonly marker?: Readonly<Record<string, unknown>>
}

/** Take the status and the revision marker (`revisionField` among the custom fields) out of a merged PATCH body. */
export const splitPatch = (merged: Values, revisionField: string | undefined): PatchPlan => {
  const { statusId, ...patch } = merged
  const wanted = typeof statusId === "string" ? { wantedStatus: statusId } : {}
  const custom = patch["customFields"] as Record<string, unknown> | undefined
  if (revisionField === undefined || custom === undefined || !(revisionField in custom)) return { patch, ...wanted }
  const { [revisionField]: revision, ...rest } = custom
  const out: Record<string, unknown> = { ...patch }
  if (Object.keys(rest).length > 0) out["customFields"] = rest
  else delete out["customFields"]
  return { patch: out, ...wanted, marker: { [revisionField]: revision } }
}

export type BodiesPlan =
  | { readonly _tag: "Bodies"; readonly bodies: ReadonlyArray<Readonly<Record<string, unknown>>> }
  | { readonly _tag: "NoTransition"; readonly detail: string }

/**
 * The PATCH bodies from status `from`: the field changes with the first status step, then one body per further
 * step; the revision marker with the last. A `from` that is not one of `statuses` (unknown) is not walked from:
 * the wanted status is set in one step.
 */
export const planBodies = (
  plan: PatchPlan,
  statuses: ReadonlyArray<WorktypeStatus>,
  from: string | undefined
): BodiesPlan => {
  let path: ReadonlyArray<string> = []
  const { wantedStatus } = plan
  if (wantedStatus !== undefined) {
    const known = from !== undefined && statuses.some((s) => s.id === from)
    const found = known ? shortestStatusPath(statuses, from, wantedStatus) : [wantedStatus]
    if (found === undefined) {
      const name = (id: string | undefined) => statuses.find((s) => s.id === id)?.name ?? id ?? "unknown"
      return {
        _tag: "NoTransition",
        detail: `the worktype allows no path from status "${name(from)}" to "${name(wantedStatus)}"`
      }
    }
    path = found
  }
  const bodies: Array<Record<string, unknown>> = []
  const first: Record<string, unknown> = { ...plan.patch }
  if (path.length > 0) first["statusId"] = path[0]
  if (Object.keys(first).length > 0) bodies.push(first)
  for (const step of path.slice(1)) bodies.push({ statusId: step })
  if (plan.marker !== undefined) {
    const last = bodies.pop() ?? {}
    bodies.push({
      ...last,
      customFields: { ...((last["customFields"] as Record<string, unknown> | undefined) ?? {}), ...plan.marker }
    })
  }
  return { _tag: "Bodies", bodies }
}

/** The update intent recorded before the first PATCH towards `after` (the same values are not listed twice). */
export const nextUpdateIntent = (intended: ReadonlyArray<Values>, after: Values, revision: string): UpdateIntent => ({
  revision,
  values: intended.length > 0 && sameValues(intended[intended.length - 1]!, after) ? intended : [...intended, after]
})

/** What an apply works from: the stored link, unless it is a create intent or into another worktype. */
export interface LinkView {
  /** A create intent: a create was started and may have made a workitem nobody linked. */
  readonly pending: boolean
  /** The link PATCHes go through (none: the ticket is created, or adopted by query). */
  readonly link: Link | undefined
  /** What the stored link's revision is now (the compare-and-set's expectation). */
  readonly expected: string | undefined
}

/**
 * A link into another worktype (the service now writes to a new one) is not used: the ticket is created afresh,
 * or adopted by query, in this worktype, as if it had no link.
 */
export const viewLink = (stored: Link | undefined, typeId: string): LinkView => {
  const pending = stored !== undefined && isCreatePending(stored)
  const foreign = stored !== undefined && !pending && stored.typeId !== undefined && stored.typeId !== typeId
  return { pending, link: pending || foreign ? undefined : stored, expected: stored?.appliedRevision }
}

/** The newest event is not newer than the applied revision. */
export const isSuperseded = (newestRevision: string, applied: string | undefined): boolean =>
  applied !== undefined && compareRevision(newestRevision, applied) <= 0

/** Every listed event superseded. */
export const supersededOutcomes = (entries: ReadonlyArray<InboxEntry>): Array<Outcome> =>
  entries.map((e) => ({ deliveryKey: e.event.deliveryKey, revision: e.event.revision, outcome: "superseded" as const }))

/** The newest event (the last of `entries`, sorted by revision) ended `outcome`; the others were superseded by it. */
export const newestOutcomes = (entries: ReadonlyArray<InboxEntry>, outcome: "applied" | "dead"): Array<Outcome> => {
  const newest = entries[entries.length - 1]!
  return [
    ...supersededOutcomes(entries.slice(0, -1)),
    { deliveryKey: newest.event.deliveryKey, revision: newest.event.revision, outcome }
  ]
}

export const errorDetails = (e: GenesysError): Array<string> => {
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

/** A Genesys failure the apply cannot get past: transient ones are retried, the others dead-letter the event. */
export type FailureClass =
  | { readonly _tag: "Retry" }
  | { readonly _tag: "Dead"; readonly reason: string; readonly details: ReadonlyArray<string> }

export const classifyGenesysFailure = (e: GenesysError): FailureClass =>
  e.transient ? { _tag: "Retry" } : { _tag: "Dead", reason: `Genesys${e.reason}`, details: errorDetails(e) }

export interface BackoffOptions {
  readonly failureBackoffMs?: number
  readonly ambiguousCreateBackoffMs?: number
}

/**
 * How long a ticket whose apply failed waits in the inbox: after an unknown outcome at least the request timeout
 * (`ambiguousCreateBackoffMs`), after a scoped 429 its pause (over this ticket's work only), else `failureBackoffMs`.
 */
export const retryDelayMs = (e: { readonly _tag: string }, options: BackoffOptions): number => {
  const base = options.failureBackoffMs ?? 1000
  if (e._tag === "AmbiguousCreate" || e._tag === "AmbiguousUpdate")
    return Math.max(options.ambiguousCreateBackoffMs ?? 0, base)
  if (e instanceof GenesysError && e.scoped && e.retryAfterSeconds !== undefined)
    return Math.max(base, Math.ceil(e.retryAfterSeconds * 1000))
  return base
}

/** Seconds since the oldest pending event was accepted (0: none pending). */
export const lagSeconds = (nowMs: number, oldestAcceptedAt: string | undefined): number =>
  oldestAcceptedAt === undefined ? 0 : Math.max(0, (nowMs - Date.parse(oldestAcceptedAt)) / 1000)

/** The link's record of how its state arrived (webhooks, the default, are not written). */
export const originOf = (origin: EventOrigin | undefined): { readonly origin?: EventOrigin } =>
  origin === undefined || origin === "webhook" ? {} : { origin }

/** The link written after a create or an update (it clears any intent). */
export const appliedLink = (a: {
  readonly workitemId: string
  readonly revision: string
  readonly values: Values
  readonly statusId: string | undefined
  readonly appliedAt: string
  readonly typeId: string
  readonly origin: EventOrigin | undefined
  /** When the applied helpdesk change happened. */
  readonly occurredAt?: string | undefined
  /** When the helpdesk last changed the applied status (see `Link.statusChangedAt`). */
  readonly statusChangedAt?: string | undefined
  /** The write-back state, kept from the link before. */
  readonly writeBack?: WriteBackState | undefined
  /** The "both" rule's status log (sync/statusRule.ts). */
  readonly statusLog?: StatusLog | undefined
}): Link => ({
  workitemId: a.workitemId,
  appliedRevision: a.revision,
  appliedValues: a.values,
  ...(a.statusId !== undefined ? { statusId: a.statusId } : {}),
  appliedAt: a.appliedAt,
  typeId: a.typeId,
  ...originOf(a.origin),
  ...(a.occurredAt !== undefined ? { occurredAt: a.occurredAt } : {}),
  ...(a.statusChangedAt !== undefined ? { statusChangedAt: a.statusChangedAt } : {}),
  ...(a.writeBack !== undefined ? { writeBack: a.writeBack } : {}),
  ...(a.statusLog !== undefined ? { statusLog: a.statusLog } : {})
})
