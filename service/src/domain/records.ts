/** Records the sync engine's ports exchange. */
import type { EventOrigin, TicketEvent } from "@workbridge/catalog"

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
  /** W3C traceparent of the span that accepted it, stored with it when tracing is on (Tracing.ts). */
  readonly traceparent?: string
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
  /**
   * The worktype the workitem belongs to (links written before it was recorded have none). A link into another
   * worktype than the service's is not used for PATCHes: the ticket is created afresh, or adopted, in the current one.
   */
  readonly typeId?: string
  /** ISO-8601. */
  readonly appliedAt: string
  /** How the applied state reached the service (absent: `webhook`, and links written before it was recorded). */
  readonly origin?: EventOrigin
  /**
   * An update intent: present while a write to the workitem has an unknown outcome (recorded before the PATCH,
   * removed by the link write that follows it). See {@link UpdateIntent}.
   */
  readonly updateIntent?: UpdateIntent
  /**
   * ISO-8601 time the applied helpdesk change happened (its event's `occurredAt`): the helpdesk side of the "both"
   * rule, the newer change wins (docs/write-back.md). Links written before it was recorded have none.
   */
  readonly occurredAt?: string
  /**
   * ISO-8601 time of the helpdesk change that last changed the applied status value: the helpdesk side of the "both"
   * rule for the status, so a change of another field after an agent's change does not count as a newer status.
   * Links written before it was recorded have none (`occurredAt` stands in).
   */
  readonly statusChangedAt?: string
  /** What the write-back of agents' changes in Genesys did to this ticket (docs/write-back.md). */
  readonly writeBack?: WriteBackState
  /**
   * What the "both" rule for the status knows of each side (sync/statusRule.ts, docs/write-back.md): kept for
   * sources with write-back on; absent otherwise.
   */
  readonly statusLog?: StatusLog
}

/** One helpdesk event's status: its revision, the ticket's update time (the helpdesk's clock), the status. */
export interface StatusSeen {
  readonly revision: string
  /** ISO-8601: the event's `occurredAt`. */
  readonly at: string
  /** The catalog status value (normalized), null when the event had none. */
  readonly value: string | null
  /** The status as the helpdesk names it (the event's raw field), what a write of it back would send. */
  readonly raw?: string
}

/** A write-back that changed the helpdesk status. */
export interface StatusWritten {
  /** ISO-8601: the ticket's update time read just before the write (the helpdesk's clock). */
  readonly after: string
  /**
   * ISO-8601: the update time the write answered with (the helpdesk's clock), which its echo carries; absent when the
   * vendor answers with none (Jira's transition) or for an intent.
   */
  readonly at?: string
  /** The catalog status value written. */
  readonly value: string
  /** The status written, as the helpdesk names it. */
  readonly status?: string
  /** Every catalog value that writes back as that status (its echo may report any of them: `solved` for `closed`). */
  readonly matches?: ReadonlyArray<string>
  /**
   * Recorded before the write went out, replaced by the write's own record once it answered: a write whose answer was
   * lost (a timeout, a `kill -9` between the write and its record) still has its echo known as Workbridge's.
   */
  readonly intent?: true
  /**
   * ISO-8601: when the helpdesk answered the read before the write, by its own clock (the response's `Date`): an
   * intent's write landed moments after it or never, so a change long after it is a person's, not its echo.
   */
  readonly readAt?: string
}

/** The agents' side: the newest agent change of the workitem seen, and its newest status change. */
export interface AgentStatus {
  /** ISO-8601 `dateModified` of the newest agent change seen (Genesys's clock). */
  readonly eventAt: string
  /** The workitem's status in that change. */
  readonly lastStatusId?: string
  /**
   * When that status took its value, where the change said so (a reconciliation's read: `dateStatusChanged`), or when
   * that change moved it. What an older change arriving late (its delivery retried) times an unseen move by.
   */
  readonly lastStatusAt?: string
  /** The newest change that moved the status: its status, when (Genesys's clock), and the change itself. */
  readonly statusId?: string
  readonly statusAt?: string
  readonly change?: Readonly<Record<string, unknown>>
}

/** The status history the "both" rule decides from (sync/statusRule.ts). */
export interface StatusLog {
  /** The helpdesk's events, ordered by revision, oldest first (the newest `STATUS_SEEN_CAP`). */
  readonly helpdesk: ReadonlyArray<StatusSeen>
  /** Workbridge's write-backs of the status, oldest first (the newest `STATUS_WRITTEN_CAP`). */
  readonly written: ReadonlyArray<StatusWritten>
  readonly agent?: AgentStatus
  /** ISO-8601 `dateModified` Genesys answered to Workbridge's last PATCH or POST that set the status. */
  readonly movedAt?: string
  /** The status that write set. */
  readonly movedTo?: string
  /**
   * Workbridge's recent status moves (the newest `STATUS_MOVES_CAP`), oldest first: when, to which status, and
   * whether it was a step a status walk passed through on its way to another status (`via`: its next step followed).
   */
  readonly moves?: ReadonlyArray<{ readonly at: string; readonly to: string; readonly via?: true }>
}

/** The write-back state of a link: what was last written to the helpdesk, and the last failure. */
export interface WriteBackState {
  /** The helpdesk status last written (or found already there), in the vendor's vocabulary (`solved`, `6`, …). */
  readonly status?: string
  /** The catalog status value it stands for (the value the link's applied status was moved to). */
  readonly value?: string
  /** The helpdesk agent last assigned (or found already assigned), as the source names agents. */
  readonly assignee?: string
  /** ISO-8601 time of the last write to the helpdesk. */
  readonly lastWrittenAt?: string
  /** The wrap-up code the last write's note named, if any. */
  readonly wrapupCode?: string
  /** `dateModified` of the newest workitem event handled: older ones arriving later are not written. */
  readonly eventAt?: string
  /** The newest event's outcome: `written`, `unchanged`, `older`, … (see `WriteBackOutcome`). */
  readonly outcome?: string
  /** Why the last attempt failed (a transient failure waiting to be retried, or a dead letter). */
  readonly lastError?: string
  /** True while a write-back waits to be retried (a transient failure or the write budget). */
  readonly pending?: boolean
  /** Failed attempts of the pending write-back (its backoff doubles with each). */
  readonly attempts?: number
  /**
   * Waits of the pending write-back for a helpdesk change it has not seen (the ticket was updated after the newest
   * change applied): its backoff doubles with each; after `MAX_UNSEEN_WAITS` it writes anyway.
   */
  readonly unseenWaits?: number
}

/**
 * An update intent: recorded on the link, durably, just before the engine PATCHes the workitem, and gone once the
 * link is written with the new applied values. A link found with one had a PATCH that may have reached Genesys
 * without the link hearing of it (a kill -9 between the PATCH and the link write, a timed-out PATCH Genesys
 * applied, a failed link write), so the workitem may hold any of these values instead of `appliedValues`: the
 * next PATCH covers every field where the newest values differ from the applied ones or from any intended ones,
 * and a status walk reads the workitem's status instead of trusting the recorded one.
 */
export interface UpdateIntent {
  /** The newest revision whose write has an unknown outcome. */
  readonly revision: string
  /** The values of every write since `appliedValues` whose outcome is unknown, oldest first. */
  readonly values: ReadonlyArray<Readonly<Record<string, unknown>>>
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

/**
 * A create intent: the link a ticket gets, durably, just before its workitem is POSTed (compare-and-set from no
 * link, or from the link of a deleted workitem), replaced by the real link once the POST answers. A ticket found
 * in this state may have a workitem Genesys made but nobody linked (a crash, a timeout, an unknown outcome), so
 * the engine looks it up before creating; a ticket with no link at all never had a create started and is POSTed
 * directly. Stored through the ordinary `LinkStore` port (an empty workitem id and applied revision), so every
 * adapter keeps it without knowing about it; the empty revision sorts before any real one.
 */
export const CREATE_PENDING_REVISION = ""

export const createPendingLink = (at: string): Link => ({
  workitemId: "",
  appliedRevision: CREATE_PENDING_REVISION,
  appliedValues: {},
  appliedAt: at
})

/** Whether the link is a create intent rather than a link to a workitem. */
export const isCreatePending = (link: Link): boolean =>
  link.workitemId === "" && link.appliedRevision === CREATE_PENDING_REVISION
