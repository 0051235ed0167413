/**
 * The write side every client offers, for sending an agent's work in Genesys back to the ticket
 * (docs/helpdesks.md#writing-to-the-helpdesk): the ticket's status in the vendor's own vocabulary, and an internal
 * note. A write reads the ticket's status first and writes the status only when it differs, so a write-back that
 * repeats one already made changes nothing in the helpdesk (and makes it send no webhook).
 */
import { Effect } from "effect"
import type { HttpClientRequest } from "@effect/platform"
import type { ReadError, RetryPolicy } from "./Http.js"

export interface WriteBack {
  /**
   * The status to set, as the vendor names it: Zendesk `solved`, ServiceNow the state's value (`6`), Jira a status
   * name or `category:done` (any transition into a done-category status), Freshdesk the status number (`4`), GitHub
   * `closed` or `open`. Omitted: the status is left alone.
   */
  readonly status?: string
  /**
   * A note for the helpdesk's agents, not shown to the customer: Zendesk `public: false`, ServiceNow `work_notes`,
   * Jira Service Management `public: false`, Freshdesk `private: true`. GitHub has no private comments: the note is an
   * ordinary comment there.
   */
  readonly note?: string
}

export interface WriteResult {
  /** The ticket's status as read before the write, in the vendor's vocabulary. */
  readonly statusBefore: string
  /** Whether the status was written (false when it already had that value, or none was asked for). */
  readonly statusWritten: boolean
  readonly noteWritten: boolean
  /** API calls the write made (the status read included). */
  readonly calls: number
}

export interface HelpdeskWriter {
  readonly source: string
  /** The ticket's status now, in the vendor's vocabulary (as `WriteBack.status` names it). */
  readStatus(ticketId: string): Effect.Effect<string, ReadError>
  /** Write `change` to the ticket: the status only when it differs from the current one; the note when given. */
  writeBack(ticketId: string, change: WriteBack): Effect.Effect<WriteResult, ReadError>
}

/** A ticket's status as read for a write: its name, and whether a requested status is the one it already has. */
export interface CurrentStatus {
  readonly status: string
  readonly is: (requested: string) => boolean
  /** The vendor's own reference of the record when the write needs another one than the ticket id (ServiceNow's sys_id). */
  readonly ref?: string
}

/** The vendor-specific parts of a write-back. */
export interface WriteOps {
  readonly current: (ticketId: string) => Effect.Effect<CurrentStatus, ReadError>
  /** Write the status (when given) and the note (when given); answers the number of API calls made. */
  readonly write: (
    ticketId: string,
    status: string | undefined,
    note: string | undefined,
    current: CurrentStatus
  ) => Effect.Effect<number, ReadError>
}

/** `readStatus` and `writeBack` from a vendor's parts: read, skip what is already so, write the rest. */
export const makeWriter = (source: string, ops: WriteOps): HelpdeskWriter => ({
  source,
  readStatus: (ticketId) => Effect.map(ops.current(ticketId), (c) => c.status),
  writeBack: (ticketId, change) =>
    Effect.gen(function* () {
      const current = yield* ops.current(ticketId)
      const status = change.status !== undefined && !current.is(change.status) ? change.status : undefined
      const note = change.note !== undefined && change.note.trim() !== "" ? change.note : undefined
      const calls = status === undefined && note === undefined ? 0 : yield* ops.write(ticketId, status, note, current)
      return {
        statusBefore: current.status,
        statusWritten: status !== undefined,
        noteWritten: note !== undefined,
        calls: 1 + calls
      }
    })
})

/** What a REST client's write side needs of it: the base URL, how a request is authenticated, the retry policy. */
export interface RestAccess {
  readonly base: string
  readonly authed: (request: HttpClientRequest.HttpClientRequest) => HttpClientRequest.HttpClientRequest
  readonly policy: { readonly policy?: RetryPolicy }
}
