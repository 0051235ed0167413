/**
 * The inbox port: the durable queue of accepted ticket events.
 *
 * Producers `accept` (dedupe on the event's delivery key, durable before it returns). Consumers `take` a whole
 * ticket's pending events at once and hold that ticket exclusively until they `ack` (applied, superseded or
 * dead-lettered) or `release` (put back untouched, e.g. on a transient failure). A pull store (SQLite) leases
 * tickets; a push broker (RabbitMQ partitions with single-active-consumer, manual ack after apply) fits the same
 * shape: `take` yields the prefetched messages of one ticket and `ack` acknowledges them.
 */
import { Context, type Effect } from "effect"
import type { TicketEvent } from "@workbridge/catalog"
import type { AcceptResult, TicketBatch, TicketKey } from "../domain/records.js"
import type { InboxFull, StoreError } from "../domain/errors.js"

export interface InboxService {
  /**
   * Store an event durably; a re-delivered delivery key is acknowledged as `Duplicate` and not stored twice.
   * `traceparent` (tracing on) is stored with the event and handed back in its `InboxEntry`.
   */
  readonly accept: (event: TicketEvent, options?: AcceptOptions) => Effect.Effect<AcceptResult, StoreError | InboxFull>
  /** Store an event again under a fresh delivery key (dead-letter replay). */
  readonly requeue: (event: TicketEvent) => Effect.Effect<string, StoreError>
  /** Wait for a ticket with pending events that no other consumer holds, and hold it. */
  readonly take: Effect.Effect<TicketBatch, StoreError>
  /** Like `take`, but answers `undefined` at once when nothing is available. */
  readonly poll: Effect.Effect<TicketBatch | undefined, StoreError>
  /** The batch's events are done with: remove them and let the ticket go. */
  readonly ack: (batch: TicketBatch) => Effect.Effect<void, StoreError>
  /** Put the batch back untouched and let the ticket go; with `delayMs`, nobody takes the ticket again before then. */
  readonly release: (batch: TicketBatch, options?: { readonly delayMs?: number }) => Effect.Effect<void, StoreError>
  /** Events accepted and not yet acked. */
  readonly depth: Effect.Effect<number, StoreError>
  /** Pending events of one ticket and when the oldest was accepted. */
  readonly pendingFor: (
    key: TicketKey
  ) => Effect.Effect<{ readonly count: number; readonly oldestAcceptedAt?: string }, StoreError>
  /** Age in seconds of the oldest pending event (0 when empty). */
  readonly oldestAgeSeconds: Effect.Effect<number, StoreError>
  /** A cheap write that proves the inbox accepts writes (readiness). */
  readonly checkWritable: Effect.Effect<void, StoreError>
}

export interface AcceptOptions {
  /** The W3C trace context of the accepting span. */
  readonly traceparent?: string
}

export class Inbox extends Context.Tag("@workbridge/service/Inbox")<Inbox, InboxService>() {}

/**
 * The lane of live work: webhooks, reads on a webhook's notice (fetch-on-notify), agents' changes in Genesys to write
 * back (`genesys`) and dead-letter replays. Every
 * inbox hands out a ticket with live events before any ticket with only background events.
 */
export const LIVE_LANE = 0
/**
 * The lane of background feeds (reconciliation, backfill, the write-back reconciliation's `genesys-reconcile` finds):
 * handed out only while no live ticket is waiting.
 */
export const BACKGROUND_LANE = 1
export type Lane = typeof LIVE_LANE | typeof BACKGROUND_LANE
/**
 * The lane an accepted event goes to (a replay, `requeue`, always goes to the live lane). Only the background feeds
 * go to the background lane: a delivered `genesys` write-back is an agent's live work, the same change found by the
 * write-back reconciliation pass (`genesys-reconcile`) is background work.
 */
export const laneOf = (event: TicketEvent): Lane =>
  event.origin === "reconcile" || event.origin === "backfill" || event.origin === "genesys-reconcile"
    ? BACKGROUND_LANE
    : LIVE_LANE

/** `accept` as a plain Promise, for the webhook edge: no Effect runtime entered per request. */
export type AcceptPromise = (event: TicketEvent, options?: AcceptOptions) => Promise<AcceptResult>

const acceptPromises = new WeakMap<InboxService, AcceptPromise>()

/**
 * Register `accept` of this very inbox object as a Promise (same results; failures reject with the same typed
 * errors). A wrapper that changes `accept` (auditing, tracing) is a new object and so has none unless it registers
 * its own: whoever calls `acceptPromiseOf` then falls back to running `accept`, so no wrapper is ever bypassed.
 */
export const registerAcceptPromise = <I extends InboxService>(inbox: I, accept: AcceptPromise): I => {
  acceptPromises.set(inbox, accept)
  return inbox
}

/** The Promise form of `inbox.accept` registered for exactly this object, if any. */
export const acceptPromiseOf = (inbox: InboxService): AcceptPromise | undefined => acceptPromises.get(inbox)
