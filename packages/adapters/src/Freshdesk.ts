/**
 * Freshdesk: an automation rule's "Trigger Webhook" action with the JSON body documented in docs/helpdesks.md
 * (`{ freshdesk_webhook: { ticket_id, triggered_event, ticket_status, ... } }`; placeholders render labels, and every
 * value is a string). A flat body without the `freshdesk_webhook` wrapper is accepted as well.
 *
 * Authenticity: Freshdesk signs nothing — HTTP Basic ("Requires authentication") or a custom token header.
 * Revision: the ticket's `updated_at` when the template carries it (`ticket_updated_at`), else the receive time; the
 * webhook has no event id, so the dedupe key is a hash of the raw body.
 *
 * Decode refusals answer 200 (acknowledge and drop, after the edge logs them): Freshdesk retries any failure at
 * +5, +30 and +60 min, and every retry counts against the account's hourly API limit — a body that cannot be decoded
 * now will not decode on a retry either.
 */
import type { Catalog, TicketEventKind } from "@workbridge/catalog"
import { Either } from "effect"
import type { Adapter, SourceCredentials, WebhookRequest } from "./Adapter.js"
import { bodyHash, verifyAll } from "./internal/auth.js"
import type { Decoded, JsonObject } from "./internal/decode.js"
import {
  buildEvent,
  fail,
  isClosedStatus,
  isObject,
  iso,
  lookup,
  mapValue,
  parseBody,
  parseInstant,
  str,
  strings
} from "./internal/decode.js"

const SOURCE = "freshdesk"

/** Status codes (2 Open, 3 Pending, 4 Resolved, 5 Closed, custom ≥ 6) and the labels placeholders render. */
export const FRESHDESK_STATUS: Readonly<Record<string, string>> = {
  "2": "open",
  "3": "pending",
  "4": "solved",
  "5": "closed",
  "6": "pending",
  "7": "on_hold",
  open: "open",
  pending: "pending",
  resolved: "solved",
  closed: "closed",
  "waiting on customer": "pending",
  "waiting on third party": "on_hold"
}

/** Priority codes 1 Low … 4 Urgent and their labels. */
export const FRESHDESK_PRIORITY: Readonly<Record<string, string>> = {
  "1": "low",
  "2": "normal",
  "3": "high",
  "4": "urgent",
  low: "low",
  medium: "normal",
  high: "high",
  urgent: "urgent"
}

export const FRESHDESK_TYPE: Readonly<Record<string, string>> = {
  incident: "incident",
  problem: "problem",
  question: "question",
  "service request": "service_request",
  request: "service_request",
  "feature request": "service_request",
  refund: "service_request"
}

const verify = (req: WebhookRequest, creds: SourceCredentials) => verifyAll(SOURCE, ["basicAuth", "token"], req, creds)

const decode = (req: WebhookRequest, catalog: Catalog): Decoded =>
  Either.flatMap(parseBody(SOURCE, req.rawBody, 200), (body) => {
    const t: JsonObject = isObject(body["freshdesk_webhook"]) ? body["freshdesk_webhook"] : body
    const ticketId = str(t["ticket_id"])
    if (ticketId === undefined) return fail(SOURCE, "freshdesk_webhook.ticket_id is missing", 200)
    const updated = parseInstant(t["ticket_updated_at"])
    const primary = updated?.ms ?? req.receivedAt.getTime()
    const fields = {
      subject: str(t["ticket_subject"]),
      description: str(t["ticket_description"]),
      status: mapValue(catalog, SOURCE, "status", str(t["ticket_status"]), FRESHDESK_STATUS),
      priority: mapValue(catalog, SOURCE, "priority", str(t["ticket_priority"]), FRESHDESK_PRIORITY),
      category: mapValue(catalog, SOURCE, "category", str(t["ticket_type"]), FRESHDESK_TYPE),
      product_family: strings(t["ticket_tags"]) ?? splitTags(str(t["ticket_tags"])),
      created_at: str(t["ticket_created_at"]),
      updated_at: str(t["ticket_updated_at"]),
      due_at: str(t["ticket_due_by"]),
      requester: str(t["requester_email"]) ?? str(t["requester_name"])
    }
    const change = triggered(str(t["triggered_event"]))
    const kind: TicketEventKind = change.created
      ? "created"
      : isClosedStatus(fields.status)
        ? "closed"
        : change.statusFrom !== undefined && isClosedStatus(lookup(FRESHDESK_STATUS, change.statusFrom))
          ? "reopened"
          : "updated"
    return buildEvent(
      SOURCE,
      catalog,
      { ticketId, primary, occurredAt: iso(primary), deliveryKey: bodyHash(req.rawBody), kind, fields },
      200
    )
  })

/** `{{triggered_event}}` renders `{ticket_action:created}` or `{status:{from:4,to:6}}`. */
const triggered = (text: string | undefined): { created: boolean; statusFrom?: string } => {
  if (text === undefined) return { created: false }
  const created = /ticket_action\s*:\s*created/i.test(text)
  const from = /status\s*:\s*\{\s*from\s*:\s*(\d+)/i.exec(text)?.[1]
  return from === undefined ? { created } : { created, statusFrom: from }
}

const splitTags = (tags: string | undefined): ReadonlyArray<string> | undefined =>
  tags === undefined
    ? undefined
    : tags
        .split(",")
        .map((t) => t.trim())
        .filter((t) => t !== "")

export const freshdesk: Adapter = { name: SOURCE, credentialKinds: ["basicAuth", "token"], verify, decode }
