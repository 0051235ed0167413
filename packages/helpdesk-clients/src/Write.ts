/**
 * The write side every client offers, for sending an agent's work in Genesys back to the ticket
 * (docs/helpdesks.md#writing-to-the-helpdesk): the ticket's status in the vendor's own vocabulary, and an internal
 * note. A write reads the ticket's status first and writes the status only when it differs, so a write-back that
 * repeats one already made changes nothing in the helpdesk (and makes it send no webhook).
 */
import { parseInstant } from "@workbridge/adapters"
import { Effect } from "effect"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { HelpdeskError, type ReadError, type RetryPolicy } from "./Http.js"

export interface WriteBack<E = never> {
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
  /**
   * The agent to assign the ticket to, as the vendor identifies agents: Zendesk the user id (`assignee_id`),
   * ServiceNow the `sys_user` record's sys_id (`assigned_to`), Jira the Atlassian account id, Freshdesk the agent id
   * (`responder_id`), GitHub the user's login (the only assignee). Omitted: the assignee is left alone.
   */
  readonly assignee?: string
  /**
   * ISO-8601 time of the newest helpdesk change the caller has seen (applied): when the ticket was updated later than
   * this, nothing is written and the result says `unseenChange` — a change the caller has not seen yet (its webhook
   * still on the way) must not be overwritten. Omitted: no such check.
   */
  readonly seenUntil?: string
  /**
   * Run once the ticket was read and its status is about to be written — only then: not when it has the status
   * already, the read failed, or `seenUntil` stopped the write — with the ticket as read. What must be done before
   * the status may change (the service records that the write may land, so that a write whose answer is lost is
   * still known as its own). Its failure stops the write-back with it: nothing is written.
   */
  readonly beforeStatusWrite?: (read: StatusRead) => Effect.Effect<void, E>
}

/** The ticket as a write read it, before writing its status. */
export interface StatusRead {
  /** Its status, in the vendor's vocabulary. */
  readonly status: string
  /** ISO-8601 UTC time of its last update (absent when the vendor gave none). */
  readonly updatedAt?: string
  /**
   * ISO-8601 UTC time the helpdesk answered the read, by its own clock: the response's `Date` header (RFC 9110
   * §6.6.1; whole seconds). A status written after this read lands moments after it, or not at all.
   */
  readonly readAt?: string
}

/**
 * `CurrentStatus.updatedAt` from a vendor's update time, parsed as the adapters parse it for `TicketEvent.occurredAt`
 * (so the two compare); nothing when the value is absent or not a time.
 */
export const optionalUpdatedAt = (value: unknown): { readonly updatedAt?: string } => {
  const instant = parseInstant(value)
  return instant === undefined ? {} : { updatedAt: new Date(instant.ms).toISOString() }
}

/**
 * `CurrentStatus.readAt` from a response's headers: its `Date` (an HTTP date, RFC 9110 §6.6.1, which an origin server
 * with a clock sends with every answer); nothing when it is absent or not a date.
 */
export const optionalReadAt = (headers: Readonly<Record<string, unknown>>): { readonly readAt?: string } => {
  const raw = headers["date"]
  const ms = typeof raw === "string" ? Date.parse(raw) : Number.NaN
  return Number.isNaN(ms) ? {} : { readAt: new Date(ms).toISOString() }
}

/** What an assignee of each vendor looks like (docs/helpdesks.md#writing-to-the-helpdesk). */
const ASSIGNEE_FORMS: Readonly<Record<string, { readonly pattern: RegExp; readonly form: string }>> = {
  // Ids are sent as JSON numbers: at most 15 digits, so that they stay exact.
  zendesk: { pattern: /^[1-9]\d{0,14}$/, form: "a Zendesk assignee is a user id (a number)" },
  servicenow: {
    pattern: /^[0-9a-f]{32}$/,
    form: "a ServiceNow assignee is the sys_id of a sys_user record (32 hex digits)"
  },
  jira: { pattern: /^[A-Za-z0-9:_-]{1,128}$/, form: "a Jira assignee is an Atlassian account id" },
  freshdesk: { pattern: /^[1-9]\d{0,14}$/, form: "a Freshdesk assignee is an agent id (a number)" },
  github: {
    pattern: /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/,
    form: "a GitHub assignee is a user login"
  }
}

/**
 * Why `assignee` cannot be an assignee of `source`'s tickets, naming the value (undefined: it can). Sources with no
 * known form accept any non-empty value.
 */
export const assigneeProblem = (source: string, assignee: string): string | undefined => {
  const shown = assignee.length > 60 ? `${assignee.slice(0, 60)}…` : assignee
  const known = ASSIGNEE_FORMS[source]
  if (known === undefined) return assignee.trim() === "" ? "an assignee cannot be empty" : undefined
  return known.pattern.test(assignee) ? undefined : `${known.form}, not "${shown}"`
}

export interface WriteResult {
  /** The ticket's status as read before the write, in the vendor's vocabulary. */
  readonly statusBefore: string
  /** Whether the status was written (false when it already had that value, or none was asked for). */
  readonly statusWritten: boolean
  readonly noteWritten: boolean
  /** The ticket's assignee as read before the write (absent when it had none). */
  readonly assigneeBefore?: string
  /** Whether the assignee was written (false when the ticket had that assignee already, or none was asked for). */
  readonly assigneeWritten: boolean
  /** API calls the write made (the status read included). */
  readonly calls: number
  /**
   * True when the ticket was updated after `WriteBack.seenUntil`: nothing was written (present only then).
   */
  readonly unseenChange?: true
  /** ISO-8601 UTC time of the ticket's last update as read before the write (absent when the vendor gave none). */
  readonly updatedBefore?: string
  /**
   * ISO-8601 UTC update time the status write answered with: the time its echo (the vendor's webhook of this very
   * change) carries. Absent when nothing was written or the vendor's answer has none.
   */
  readonly updatedAfter?: string
}

export interface HelpdeskWriter {
  readonly source: string
  /** The ticket's status now, in the vendor's vocabulary (as `WriteBack.status` names it). */
  readStatus(ticketId: string): Effect.Effect<string, ReadError>
  /**
   * Write `change` to the ticket: the status only when it differs from the current one (after
   * `change.beforeStatusWrite`); the note when given; nothing when the ticket was updated after `change.seenUntil`.
   */
  writeBack<E = never>(ticketId: string, change: WriteBack<E>): Effect.Effect<WriteResult, ReadError | E>
}

/** A ticket's status as read for a write: its name, and whether a requested status is the one it already has. */
export interface CurrentStatus {
  readonly status: string
  readonly is: (requested: string) => boolean
  /** The vendor's own reference of the record when the write needs another one than the ticket id (ServiceNow's sys_id). */
  readonly ref?: string
  /** The ticket's assignee in the form `WriteBack.assignee` names it (absent when unassigned). */
  readonly assignee?: string
  /** Whether the ticket's assignee is `requested` already (default: equal to `assignee`). */
  readonly isAssigned?: (requested: string) => boolean
  /** ISO-8601 UTC time of the ticket's last update, from the same read (see {@link optionalUpdatedAt}). */
  readonly updatedAt?: string
  /** When the helpdesk answered the read, by its clock (see {@link optionalReadAt}). */
  readonly readAt?: string
}

/** What a vendor's write sends: the parts that differ from the ticket (and the note). */
export interface WriteParts {
  readonly status?: string
  readonly note?: string
  readonly assignee?: string
}

/** What a vendor's write did: its API calls, and the ticket's update time its status write answered with. */
export interface Written {
  readonly calls: number
  /** ISO-8601 UTC (see {@link optionalUpdatedAt}); absent when the answer has none (Jira's transition has no body). */
  readonly updatedAt?: string
}

/** The vendor-specific parts of a write-back. */
export interface WriteOps {
  readonly current: (ticketId: string) => Effect.Effect<CurrentStatus, ReadError>
  /**
   * Write the status, the assignee and the note (each when given), in as few calls as the vendor allows; answers the
   * number of API calls made.
   */
  readonly write: (ticketId: string, parts: WriteParts, current: CurrentStatus) => Effect.Effect<Written, ReadError>
}

/**
 * `readStatus` and `writeBack` from a vendor's parts: refuse an assignee the vendor cannot have (before any call),
 * read, skip what is already so, write the rest.
 */
export const makeWriter = (source: string, ops: WriteOps): HelpdeskWriter => ({
  source,
  readStatus: (ticketId) => Effect.map(ops.current(ticketId), (c) => c.status),
  writeBack: <E>(ticketId: string, change: WriteBack<E>) =>
    Effect.gen(function* () {
      const problem = change.assignee === undefined ? undefined : assigneeProblem(source, change.assignee)
      if (problem !== undefined)
        return yield* Effect.fail(
          new HelpdeskError({ source, operation: "write-back assignee", reason: problem, invalid: true })
        )
      const seenUntil = change.seenUntil === undefined ? undefined : Date.parse(change.seenUntil)
      if (seenUntil !== undefined && Number.isNaN(seenUntil))
        return yield* Effect.fail(
          new HelpdeskError({
            source,
            operation: "write-back seenUntil",
            reason: `seenUntil must be an ISO-8601 time, not "${String(change.seenUntil).slice(0, 60)}"`,
            invalid: true
          })
        )
      const current = yield* ops.current(ticketId)
      // A change of the ticket newer than the newest one the caller has seen: write nothing over it.
      if (seenUntil !== undefined && current.updatedAt !== undefined && Date.parse(current.updatedAt) > seenUntil)
        return {
          statusBefore: current.status,
          statusWritten: false,
          noteWritten: false,
          ...(current.assignee === undefined ? {} : { assigneeBefore: current.assignee }),
          assigneeWritten: false,
          calls: 1,
          unseenChange: true
        }
      const status = change.status !== undefined && !current.is(change.status) ? change.status : undefined
      const note = change.note !== undefined && change.note.trim() !== "" ? change.note : undefined
      const assigned = (requested: string) => current.isAssigned?.(requested) ?? current.assignee === requested
      const assignee = change.assignee !== undefined && !assigned(change.assignee) ? change.assignee : undefined
      const parts: WriteParts = {
        ...(status === undefined ? {} : { status }),
        ...(note === undefined ? {} : { note }),
        ...(assignee === undefined ? {} : { assignee })
      }
      if (status !== undefined && change.beforeStatusWrite !== undefined)
        yield* change.beforeStatusWrite({
          status: current.status,
          ...(current.updatedAt === undefined ? {} : { updatedAt: current.updatedAt }),
          ...(current.readAt === undefined ? {} : { readAt: current.readAt })
        })
      const done = Object.keys(parts).length === 0 ? { calls: 0 } : yield* ops.write(ticketId, parts, current)
      const calls = done.calls
      return {
        ...(current.updatedAt === undefined ? {} : { updatedBefore: current.updatedAt }),
        ...(done.updatedAt === undefined ? {} : { updatedAfter: done.updatedAt }),
        statusBefore: current.status,
        statusWritten: status !== undefined,
        noteWritten: note !== undefined,
        ...(current.assignee === undefined ? {} : { assigneeBefore: current.assignee }),
        assigneeWritten: assignee !== undefined,
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
