/**
 * Vendor-shaped, signed deliveries for any ticket state: load generators, chaos runs and demos use these so that
 * every adapter's verify + decode path is exercised, not only the generic one. Pure: the caller passes the clock.
 */
import type { TicketEventKind } from "@workbridge/catalog"
import type { SourceCredentials } from "./Adapter.js"
import { sign } from "./sign.js"

/** The catalog statuses each vendor can express (others have no vendor spelling). */
export const SYNTHETIC_STATUSES = {
  zendesk: ["new", "open", "pending", "on_hold", "solved", "closed"],
  servicenow: ["new", "open", "on_hold", "solved", "closed"],
  jira: ["new", "open", "solved"],
  freshdesk: ["open", "pending", "on_hold", "solved", "closed"],
  github: ["open", "solved", "closed"],
  generic: ["new", "open", "pending", "on_hold", "solved", "closed"]
} as const satisfies Record<string, ReadonlyArray<string>>

export type SyntheticSource = keyof typeof SYNTHETIC_STATUSES

export interface SyntheticTicket {
  /** Ticket id; for GitHub `<owner>/<repo>#<number>` or a bare number (repository `workbridge/storm`). */
  readonly ticketId: string
  /** Grows with every change of the ticket: it becomes the vendor's counter or time (base + version seconds). */
  readonly version: number
  /** `created` for the first delivery; `closed` needs a solved/closed status, `updated`/`reopened` an open one. */
  readonly kind: TicketEventKind
  readonly subject: string
  /** A catalog status value the vendor can express (SYNTHETIC_STATUSES). */
  readonly status: string
  readonly priority?: "low" | "normal" | "high" | "urgent"
  /** Vendor delivery id (dedupe key); default `<ticketId>-<version>`. Reuse one to simulate a redelivery. */
  readonly deliveryId?: string
}

export interface SyntheticDelivery {
  /** Lower-case header names, signed for `creds`. */
  readonly headers: Record<string, string>
  readonly rawBody: Buffer
}

/** Times of synthetic tickets start here. */
const BASE_MS = Date.UTC(2025, 0, 1)

const ZENDESK_STATUS: Record<string, string> = {
  new: "NEW",
  open: "OPEN",
  pending: "PENDING",
  on_hold: "HOLD",
  solved: "SOLVED",
  closed: "CLOSED"
}
const SERVICENOW_STATE: Record<string, string> = { new: "1", open: "2", on_hold: "3", solved: "6", closed: "7" }
const SERVICENOW_PRIORITY: Record<string, string> = { urgent: "1", high: "2", normal: "3", low: "4" }
const JIRA_CATEGORY: Record<string, string> = { new: "new", open: "indeterminate", solved: "done" }
const JIRA_PRIORITY: Record<string, string> = { urgent: "Highest", high: "High", normal: "Medium", low: "Low" }
const FRESHDESK_STATUS: Record<string, [string, string]> = {
  open: ["Open", "2"],
  pending: ["Pending", "3"],
  on_hold: ["Waiting on Third Party", "7"],
  solved: ["Resolved", "4"],
  closed: ["Closed", "5"]
}
const FRESHDESK_PRIORITY: Record<string, string> = { urgent: "Urgent", high: "High", normal: "Medium", low: "Low" }

/** Refuse a ticket state the vendor cannot express, naming the field. */
const checkTicket = (source: SyntheticSource, ticket: SyntheticTicket): void => {
  const allowed: ReadonlyArray<string> = SYNTHETIC_STATUSES[source]
  if (!allowed.includes(ticket.status)) {
    throw new Error(
      `ticket.status "${ticket.status}" cannot be expressed by ${source}; use one of ${allowed.join(", ")}`
    )
  }
  if (!Number.isSafeInteger(ticket.version) || ticket.version < 0 || ticket.version > 1e9) {
    throw new Error(`ticket.version must be an integer from 0 to 1e9, got ${ticket.version}`)
  }
  const closed = ticket.status === "solved" || ticket.status === "closed"
  if (ticket.kind === "closed" && !closed)
    throw new Error(`ticket.kind "closed" needs a solved or closed ticket.status`)
  if ((ticket.kind === "updated" || ticket.kind === "reopened") && closed) {
    throw new Error(`ticket.kind "${ticket.kind}" needs an open ticket.status, got "${ticket.status}"`)
  }
}

/** The vendor's webhook body for the ticket state; headers the vendor sends besides its signature go into `extra`. */
const vendorBody = (
  source: SyntheticSource,
  ticket: SyntheticTicket,
  at: Date,
  deliveryId: string,
  extra: Record<string, string>
): unknown => {
  const closed = ticket.status === "solved" || ticket.status === "closed"
  let body: unknown
  switch (source) {
    case "zendesk": {
      const type =
        ticket.kind === "created"
          ? "ticket.created"
          : ticket.kind === "updated"
            ? "ticket.subject_changed"
            : "ticket.status_changed"
      body = {
        type: `zen:event-type:${type}`,
        account_id: 1,
        id: deliveryId,
        time: at.toISOString().replace(/Z$/, "000000Z"),
        zendesk_event_version: "2022-11-06",
        subject: `zen:ticket:${ticket.ticketId}`,
        detail: {
          id: ticket.ticketId,
          subject: ticket.subject,
          status: ZENDESK_STATUS[ticket.status],
          ...(ticket.priority === undefined ? {} : { priority: ticket.priority.toUpperCase() }),
          created_at: new Date(BASE_MS).toISOString(),
          updated_at: at.toISOString()
        },
        event: ticket.kind === "reopened" ? { previous: "SOLVED", current: ZENDESK_STATUS[ticket.status] } : {}
      }
      extra["x-zendesk-webhook-invocation-id"] = deliveryId
      break
    }
    case "servicenow":
      body = {
        table: "incident",
        operation: ticket.kind === "created" ? "insert" : "update",
        changed_fields: ticket.kind === "reopened" ? ["state", "reopen_count"] : ["state"],
        record: {
          sys_id: `sys-${ticket.ticketId}`,
          number: ticket.ticketId,
          sys_mod_count: String(ticket.version),
          sys_created_on: "2025-01-01 00:00:00",
          sys_updated_on: at.toISOString().slice(0, 19).replace("T", " "),
          short_description: ticket.subject,
          state: SERVICENOW_STATE[ticket.status],
          ...(ticket.priority === undefined ? {} : { priority: SERVICENOW_PRIORITY[ticket.priority] })
        }
      }
      break
    case "jira":
      body = {
        timestamp: at.getTime(),
        webhookEvent: ticket.kind === "created" ? "jira:issue_created" : "jira:issue_updated",
        issue: {
          id: ticket.ticketId,
          key: `WB-${ticket.ticketId}`,
          fields: {
            summary: ticket.subject,
            status: { name: ticket.status, statusCategory: { key: JIRA_CATEGORY[ticket.status] } },
            ...(ticket.priority === undefined ? {} : { priority: { name: JIRA_PRIORITY[ticket.priority] } }),
            updated: at.toISOString()
          }
        },
        ...(ticket.kind === "created"
          ? {}
          : {
              changelog: {
                id: String(ticket.version),
                items:
                  ticket.kind === "reopened"
                    ? [{ field: "resolution", fromString: "Done", toString: null }]
                    : [{ field: "status" }]
              }
            })
      }
      extra["x-atlassian-webhook-identifier"] = deliveryId
      break
    case "freshdesk": {
      const [label] = FRESHDESK_STATUS[ticket.status] ?? ["Open"]
      body = {
        freshdesk_webhook: {
          triggered_event:
            ticket.kind === "created"
              ? "{ticket_action:created}"
              : ticket.kind === "reopened"
                ? `{status:{from:4,to:${FRESHDESK_STATUS[ticket.status]?.[1]}}}`
                : "{ticket_action:updated}",
          ticket_id: ticket.ticketId,
          ticket_subject: ticket.subject,
          ticket_status: label,
          ...(ticket.priority === undefined ? {} : { ticket_priority: FRESHDESK_PRIORITY[ticket.priority] }),
          ticket_updated_at: at.toISOString(),
          delivery: deliveryId
        }
      }
      break
    }
    case "github": {
      const m = /^([^#\s]+\/[^#\s]+)#(\d+)$/.exec(ticket.ticketId)
      const [repo, number] =
        m !== null
          ? [m[1], Number(m[2])]
          : /^\d+$/.test(ticket.ticketId)
            ? ["workbridge/storm", Number(ticket.ticketId)]
            : [undefined, NaN]
      if (repo === undefined)
        throw new Error(`ticket.ticketId "${ticket.ticketId}" is not "<owner>/<repo>#<number>" or a number`)
      const action = ticket.kind === "created" ? "opened" : ticket.kind === "updated" ? "edited" : ticket.kind
      const labels = ticket.priority === undefined ? [] : [{ name: `priority: ${ticket.priority}` }]
      body = {
        action,
        issue: {
          number,
          title: ticket.subject,
          state: closed ? "closed" : "open",
          state_reason: ticket.status === "closed" ? "not_planned" : ticket.status === "solved" ? "completed" : null,
          labels,
          created_at: new Date(BASE_MS).toISOString(),
          updated_at: at.toISOString()
        },
        repository: { full_name: repo }
      }
      extra["x-github-event"] = "issues"
      extra["x-github-delivery"] = deliveryId
      break
    }
    case "generic":
      body = {
        ticket_id: ticket.ticketId,
        revision: ticket.version,
        occurred_at: at.toISOString(),
        event_id: deliveryId,
        kind: ticket.kind,
        fields: {
          subject: ticket.subject,
          status: ticket.status,
          ...(ticket.priority === undefined ? {} : { priority: ticket.priority })
        }
      }
      break
  }
  return body
}

/** Build the body one vendor would send for this ticket state, and sign it. */
export const synthesize = (
  source: SyntheticSource,
  ticket: SyntheticTicket,
  creds: SourceCredentials,
  now: Date
): SyntheticDelivery => {
  checkTicket(source, ticket)
  const at = new Date(BASE_MS + ticket.version * 1000)
  const deliveryId = ticket.deliveryId ?? `${ticket.ticketId}-${ticket.version}`
  const extra: Record<string, string> = {}
  const body = vendorBody(source, ticket, at, deliveryId, extra)
  const rawBody = Buffer.from(JSON.stringify(body), "utf8")
  return { headers: { ...extra, ...sign(source, rawBody, creds, now) }, rawBody }
}
