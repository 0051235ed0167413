/** Records the sync engine's ports exchange. */
import type { TicketEvent } from "@workbridge/catalog"

/** Identifies one ticket: its source and its id there. */
export interface TicketKey {
  readonly source: string
  readonly ticketId: string
}

export const ticketKeyString = (key: TicketKey): string => `${key.source}\u0000${key.ticketId}`

/** An accepted event as the inbox holds it. */
export interface InboxEntry {
  /** Inbox-assigned id (unique within one inbox). */
  readonly id: string
  readonly event: TicketEvent
  /** ISO-8601 time the edge accepted it. */
  readonly acceptedAt: string
}

/** All pending events of one ticket handed to one worker; nobody else gets this ticket until it is acked or released. */
export interface TicketBatch {
  readonly key: TicketKey
  /** Sorted by revision, oldest first; never empty. */
  readonly entries: ReadonlyArray<InboxEntry>
}

export type AcceptResult = { readonly _tag: "Accepted"; readonly id: string } | { readonly _tag: "Duplicate" }

/** What the store knows about a ticket's workitem. */
export interface Link {
  readonly workitemId: string
  /** Newest revision written to the workitem. */
  readonly appliedRevision: string
  /** The normalized values last written (the base of the next minimal PATCH). */
  readonly appliedValues: Readonly<Record<string, unknown>>
  /** The status id last set on the workitem, when known. */
  readonly statusId?: string
  /** ISO-8601. */
  readonly appliedAt: string
}

/** What became of one accepted event. */
export type OutcomeKind = "applied" | "superseded" | "dead"

export interface Outcome {
  readonly deliveryKey: string
  readonly revision: string
  readonly outcome: OutcomeKind
}

/** An event that could not be applied, with every reason and the original payload. */
export interface DeadLetter {
  readonly id: string
  readonly source: string
  readonly ticketId: string
  readonly revision: string
  /** A short machine-readable category: `Invalid`, `NoTransition`, `GenesysBadRequest`, … */
  readonly reason: string
  /** Human-readable details, one per problem. */
  readonly details: ReadonlyArray<string>
  readonly event: TicketEvent
  /** ISO-8601. */
  readonly createdAt: string
}

export type NewDeadLetter = Omit<DeadLetter, "id" | "createdAt">
