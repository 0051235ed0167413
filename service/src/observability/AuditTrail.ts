/**
 * The audit trail port: per ticket, what happened to it — deliveries received (accepted, duplicate, requeued),
 * each Genesys call made while applying it (operation, HTTP status, latency, the error body of a failure) and each
 * apply's outcome (applied, superseded, dead-lettered, retried later). The operator console's ticket timeline
 * reads it.
 *
 * Writes are buffered in memory and flushed in batches (one SQLite transaction, one Redis pipeline) so the trail
 * costs the hot path almost nothing; it is a record for people, not part of the exactly-once machinery, so the
 * last few hundred milliseconds of entries may be lost on kill -9. Entries hold ids, revisions, delivery keys,
 * operation names, statuses and Genesys's error bodies — no credentials and no ticket field values beyond what an
 * error body quotes back about the workitem itself.
 *
 * The engine marks the ticket it is applying with `withAuditTicket`; the Genesys client's call wrapper records
 * each attempt through `recordCall`, which reads that mark (calls made outside an apply, such as readiness
 * checks, belong to no ticket and are not recorded).
 */
import type { TicketEvent } from "@workbridge/catalog"
import { Context, Effect, FiberRef, Option } from "effect"
import type { Logger } from "pino"
import type { AcceptResult, Outcome, TicketKey } from "../domain/records.js"
import type { StoreError } from "../domain/errors.js"
import { acceptPromiseOf, type InboxService, registerAcceptPromise } from "../inbox/Inbox.js"

export type AuditKind = "received" | "duplicate" | "requeued" | "call" | "applied" | "superseded" | "dead" | "retry"

export interface AuditEntry {
  /** ISO-8601 time of the entry. */
  readonly at: string
  readonly kind: AuditKind
  readonly revision?: string
  readonly deliveryKey?: string
  /** `call`: the Genesys operation (`createWorkitem`, `updateWorkitem`, …). */
  readonly operation?: string
  /** `call`: the HTTP status Genesys answered (absent on a timeout or network failure). */
  readonly status?: number
  /** `call`: `ok` or the failure's reason (`RateLimited`, `BadRequest`, …). */
  readonly outcome?: string
  /** `call`: milliseconds from sending the request to its answer. */
  readonly latencyMs?: number
  readonly workitemId?: string
  /** A short human-readable note: how the event arrived, a dead letter's details, Genesys's error body. */
  readonly detail?: string
}

export interface AuditTrailService {
  /** Remember an entry of the ticket (buffered; never fails: a store failure is logged by the adapter). */
  readonly record: (key: TicketKey, entry: AuditEntry) => Effect.Effect<void>
  /** `record` as a plain call, for the webhook edge's Promise path (no Effect run per request); optional. */
  readonly recordNow?: (key: TicketKey, entry: AuditEntry) => void
  /** The ticket's newest `limit` entries (default 200), oldest first; pending buffered entries included. */
  readonly list: (
    key: TicketKey,
    options?: { readonly limit?: number }
  ) => Effect.Effect<ReadonlyArray<AuditEntry>, StoreError>
  /** Write the buffered entries now. */
  readonly flush: Effect.Effect<void>
}

export class AuditTrail extends Context.Tag("@workbridge/service/AuditTrail")<AuditTrail, AuditTrailService>() {}

/** Entries one ticket keeps at most (besides the age limit, `WORKBRIDGE_AUDIT_RETENTION_DAYS`). */
export const AUDIT_ENTRIES_PER_TICKET = 200

/** The longest `detail` kept (error bodies are cut there). */
export const AUDIT_DETAIL_MAX = 2000

export const clip = (s: string): string => (s.length > AUDIT_DETAIL_MAX ? `${s.slice(0, AUDIT_DETAIL_MAX - 1)}…` : s)

/** The ticket the current fiber is applying and the revision it applies (set by the engine around one apply). */
export const currentAuditTicket: FiberRef.FiberRef<
  { readonly key: TicketKey; readonly revision?: string } | undefined
> = FiberRef.unsafeMake<{ readonly key: TicketKey; readonly revision?: string } | undefined>(undefined)

/** Run `effect` with its Genesys calls recorded against `key` (and the revision being applied). */
export const withAuditTicket =
  (key: TicketKey, revision?: string) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.locally(effect, currentAuditTicket, revision === undefined ? { key } : { key, revision })

export interface CallRecord {
  readonly operation: string
  readonly outcome: string
  readonly latencyMs: number
  readonly status?: number
  readonly body?: unknown
}

const bodyText = (body: unknown): string | undefined => {
  if (body === undefined || body === null) return undefined
  try {
    return clip(typeof body === "string" ? body : JSON.stringify(body))
  } catch {
    return undefined
  }
}

/** Record one Genesys call against the ticket being applied, if any and if an audit trail is configured. */
export const recordCall = (audit: Option.Option<AuditTrailService>, call: CallRecord): Effect.Effect<void> =>
  Option.isNone(audit)
    ? Effect.void
    : Effect.flatMap(FiberRef.get(currentAuditTicket), (current) => {
        if (current === undefined) return Effect.void
        const detail = call.outcome === "ok" ? undefined : bodyText(call.body)
        return audit.value.record(current.key, {
          at: new Date().toISOString(),
          kind: "call",
          ...(current.revision !== undefined ? { revision: current.revision } : {}),
          operation: call.operation,
          outcome: call.outcome,
          latencyMs: Math.round(call.latencyMs),
          ...(call.status !== undefined ? { status: call.status } : {}),
          ...(detail !== undefined ? { detail: `Genesys error body: ${detail}` } : {})
        })
      })

const received = (event: TicketEvent, kind: "received" | "duplicate" | "requeued"): AuditEntry => ({
  at: new Date().toISOString(),
  kind,
  revision: event.revision,
  deliveryKey: event.deliveryKey,
  detail:
    kind === "requeued"
      ? `replayed from the dead letters (${event.kind})`
      : `webhook: ${event.kind}, changed ${event.occurredAt.replace("T", " ").replace(/\.\d+Z$/, "Z")}`
})

/** The inbox with every accept (accepted or duplicate) and requeue recorded in the audit trail. */
export const auditedInbox = (inbox: InboxService, audit: AuditTrailService): InboxService => {
  const receivedEntry = (event: TicketEvent, r: AcceptResult) =>
    audit.record(event, received(event, r._tag === "Duplicate" ? "duplicate" : "received"))
  const audited: InboxService = {
    ...inbox,
    accept: (event, options) => Effect.tap(inbox.accept(event, options), (r) => receivedEntry(event, r)),
    requeue: (event) => Effect.tap(inbox.requeue(event), () => audit.record(event, received(event, "requeued")))
  }
  // The inbox's Promise form, audited the same way (recording is a synchronous buffer push: a plain call when the
  // audit trail offers one, else its Effect run synchronously).
  const acceptPromise = acceptPromiseOf(inbox)
  const recordNow = audit.recordNow ?? ((key: TicketKey, entry: AuditEntry) => Effect.runSync(audit.record(key, entry)))
  return acceptPromise === undefined
    ? audited
    : registerAcceptPromise(audited, (event, options) =>
        acceptPromise(event, options).then((r) => {
          recordNow(event, received(event, r._tag === "Duplicate" ? "duplicate" : "received"))
          return r
        })
      )
}

/**
 * A write buffer: `push` adds an entry, `drain` hands everything buffered to `write` at most every `intervalMs`
 * (and at once past `maxBuffered`). `write` failures are reported to `onError` and the entries dropped.
 */
export const makeBuffer = <T>(options: {
  readonly write: (items: ReadonlyArray<T>) => Promise<void> | void
  readonly onError: (e: unknown) => void
  readonly intervalMs?: number
  readonly maxBuffered?: number
}) => {
  let items: Array<T> = []
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> = Promise.resolve()
  const intervalMs = options.intervalMs ?? 250
  const maxBuffered = options.maxBuffered ?? 1000
  const drain = (): Promise<void> => {
    if (timer !== undefined) {
      clearTimeout(timer)
      timer = undefined
    }
    const batch = items
    items = []
    running = running.then(async () => {
      if (batch.length === 0) return
      try {
        await options.write(batch)
      } catch (e) {
        options.onError(e)
      }
    })
    return running
  }
  return {
    push: (item: T): void => {
      items.push(item)
      if (items.length >= maxBuffered) void drain()
      else if (timer === undefined) {
        timer = setTimeout(() => void drain(), intervalMs)
        timer.unref()
      }
    },
    drain,
    pending: (): ReadonlyArray<T> => items
  }
}

/** One buffered entry of a ticket. */
export interface PendingAuditEntry {
  readonly key: TicketKey
  readonly entry: AuditEntry
}

/**
 * An audit trail over a store (the SQLite and Redis adapters): entries are buffered (`makeBuffer`) and handed to
 * `write` in batches; `read` answers a ticket's newest `limit` entries, oldest first, once the buffer is written.
 * `limit` is kept between 1 and `perTicket`. A failed write is logged and its entries dropped.
 */
export const bufferedAuditTrail = (options: {
  readonly write: (items: ReadonlyArray<PendingAuditEntry>) => Promise<void> | void
  readonly read: (key: TicketKey, limit: number) => Effect.Effect<ReadonlyArray<AuditEntry>, StoreError>
  readonly perTicket: number
  readonly log?: Logger
  readonly flushMs?: number
}): AuditTrailService => {
  const buffer = makeBuffer<PendingAuditEntry>({
    write: options.write,
    onError: (e) =>
      options.log?.error(
        { error: e instanceof Error ? e.message : String(e) },
        "audit trail write failed; entries dropped"
      ),
    ...(options.flushMs !== undefined ? { intervalMs: options.flushMs } : {})
  })
  const recordNow = (key: TicketKey, entry: AuditEntry): void =>
    buffer.push({ key: { source: key.source, ticketId: key.ticketId }, entry })
  return {
    record: (key, entry) => Effect.sync(() => recordNow(key, entry)),
    recordNow,
    list: (key, opts) =>
      Effect.flatMap(Effect.promise(buffer.drain), () =>
        options.read(key, Math.max(1, Math.min(opts?.limit ?? options.perTicket, options.perTicket)))
      ),
    flush: Effect.promise(buffer.drain)
  }
}

/** Record what became of each event of an apply (the engine's outcomes), with the workitem or the dead letter's reason. */
export const recordOutcomes = (
  audit: Option.Option<AuditTrailService>,
  key: TicketKey,
  outcomes: ReadonlyArray<Outcome>,
  result: { readonly _tag: string; readonly workitemId?: string; readonly reason?: string }
): Effect.Effect<void> =>
  Option.isNone(audit)
    ? Effect.void
    : Effect.forEach(
        outcomes,
        (o) =>
          audit.value.record(key, {
            at: new Date().toISOString(),
            kind: o.outcome,
            revision: o.revision,
            deliveryKey: o.deliveryKey,
            ...(o.outcome === "applied" && result.workitemId !== undefined ? { workitemId: result.workitemId } : {}),
            ...(o.outcome === "dead" && result.reason !== undefined ? { detail: result.reason } : {}),
            ...(o.outcome === "superseded"
              ? { detail: "not newer than the revision applied (stale) or replaced by a newer event in the same batch" }
              : {})
          }),
        { discard: true }
      )

/** Record an apply that failed for now (its events stay in the inbox and are retried). */
export const recordRetry = (
  audit: Option.Option<AuditTrailService>,
  key: TicketKey,
  revision: string | undefined,
  error: string
): Effect.Effect<void> =>
  Option.isNone(audit)
    ? Effect.void
    : audit.value.record(key, {
        at: new Date().toISOString(),
        kind: "retry",
        ...(revision !== undefined ? { revision } : {}),
        detail: clip(`apply failed, the events stay in the inbox: ${error}`)
      })

/** The audit trail when `WORKBRIDGE_AUDIT_RETENTION_DAYS=0`: records nothing. */
export const noAuditTrail: AuditTrailService = {
  record: () => Effect.void,
  recordNow: () => undefined,
  list: () => Effect.succeed([]),
  flush: Effect.void
}
