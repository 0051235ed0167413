/**
 * Zendesk: webhooks subscribed to ticket events (fixed `zen:event-type:ticket.*` envelope) and webhooks connected to a
 * trigger whose JSON body follows the template in docs/helpdesks.md.
 *
 * Signature: `X-Zendesk-Webhook-Signature` = base64(HMAC-SHA256(secret, timestamp + body)), with the timestamp from
 * `X-Zendesk-Webhook-Signature-Timestamp` (the current Zendesk "Verifying webhook authenticity" page; an older copy's
 * worked example signed body + timestamp and is refused on purpose, see Zendesk.test.ts).
 *
 * Refusals answer 400/422: Zendesk retries only 409, 429/503 (with Retry-After) and timeouts, so these are final.
 */
import type { Catalog, TicketEventKind } from "@workbridge/catalog"
import { Either } from "effect"
import type { Adapter, SourceCredentials, VerifyOptions, WebhookRequest } from "./Adapter.js"
import { DEFAULT_TOLERANCE_SECONDS } from "./Adapter.js"
import { bodyHash, fromBase64, header, hmac, refuse, verifyAll } from "./internal/auth.js"
import { digestsEqual } from "./compare.js"
import type { Decoded, JsonObject } from "./internal/decode.js"
import {
  at,
  buildEvent,
  fail,
  ignored,
  isClosedStatus,
  isObject,
  iso,
  mapValue,
  parseBody,
  parseInstant,
  quote,
  str,
  strings
} from "./internal/decode.js"

const SOURCE = "zendesk"

export const SIGNATURE_HEADER = "x-zendesk-webhook-signature"
export const TIMESTAMP_HEADER = "x-zendesk-webhook-signature-timestamp"
export const INVOCATION_HEADER = "x-zendesk-webhook-invocation-id"

/** Zendesk status (REST lower-case, event upper-case, trigger display names) → catalog status. */
export const ZENDESK_STATUS: Readonly<Record<string, string>> = {
  new: "new",
  open: "open",
  pending: "pending",
  hold: "on_hold",
  "on-hold": "on_hold",
  on_hold: "on_hold",
  solved: "solved",
  closed: "closed"
}

export const ZENDESK_PRIORITY: Readonly<Record<string, string>> = {
  low: "low",
  normal: "normal",
  high: "high",
  urgent: "urgent"
}

export const ZENDESK_TYPE: Readonly<Record<string, string>> = {
  problem: "problem",
  incident: "incident",
  question: "question",
  task: "service_request"
}

/** Zendesk's signature: base64 HMAC-SHA256 over timestamp + raw body. */
export const zendeskSignature = (secret: string, timestamp: string, rawBody: Buffer): string =>
  hmac("sha256", secret, Buffer.from(timestamp, "utf8"), rawBody).toString("base64")

const verify = (req: WebhookRequest, creds: SourceCredentials, options?: VerifyOptions) =>
  verifyAll(SOURCE, ["secret"], req, creds, (secret) => {
    const signature = header(req, SIGNATURE_HEADER)
    if (signature === undefined) return refuse(SOURCE, "MissingHeader", `the ${SIGNATURE_HEADER} header is missing`)
    const timestamp = header(req, TIMESTAMP_HEADER)
    if (timestamp === undefined) return refuse(SOURCE, "MissingHeader", `the ${TIMESTAMP_HEADER} header is missing`)
    const signedAt = parseInstant(timestamp)
    if (signedAt === undefined)
      return refuse(SOURCE, "BadSignature", `the ${TIMESTAMP_HEADER} header is not an ISO-8601 time`)
    const given = fromBase64(signature)
    const expected = hmac("sha256", secret, Buffer.from(timestamp, "utf8"), req.rawBody)
    if (given === undefined || !digestsEqual(given, expected)) {
      return refuse(SOURCE, "BadSignature", `the ${SIGNATURE_HEADER} header does not match the body and timestamp`)
    }
    const now = (options?.now ?? req.receivedAt).getTime()
    const tolerance = (options?.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS) * 1000
    if (Math.abs(now - signedAt.ms) > tolerance) {
      return refuse(
        SOURCE,
        "StaleTimestamp",
        `the ${TIMESTAMP_HEADER} is more than ${tolerance / 1000} s away from the receive time`
      )
    }
    return Either.void
  })

const EVENT_PREFIX = "zen:event-type:ticket."
const IGNORED_EVENTS = new Set(["soft_deleted", "permanently_deleted", "undeleted", "marked_as_spam", "merged"])

const decode = (req: WebhookRequest, catalog: Catalog): Decoded =>
  Either.flatMap(parseBody(SOURCE, req.rawBody, 400), (body) => {
    const type = str(body["type"])
    if (type?.startsWith("zen:event-type:")) return decodeEvent(req, catalog, body, type)
    if (isObject(body["ticket"])) return decodeTrigger(req, catalog, body["ticket"])
    return fail(SOURCE, 'the body is neither a Zendesk event (no "type") nor a trigger body (no "ticket" object)', 422)
  })

/** A webhook subscribed to ticket events: `{ type, id, time, subject: "zen:ticket:<id>", detail, event }`. */
const decodeEvent = (req: WebhookRequest, catalog: Catalog, body: JsonObject, type: string): Decoded => {
  if (!type.startsWith(EVENT_PREFIX)) return ignored(`${quote(type)} is not a ticket event`)
  const name = type.slice(EVENT_PREFIX.length)
  if (IGNORED_EVENTS.has(name))
    return ignored(`${quote(type)} is not synced (deletions, spam and merges leave the workitem as is)`)
  const detail = isObject(body["detail"]) ? body["detail"] : {}
  const subjectId = /^zen:ticket:(.+)$/.exec(str(body["subject"]) ?? "")?.[1]
  const ticketId = str(detail["id"]) ?? subjectId
  if (ticketId === undefined)
    return fail(SOURCE, 'the ticket id is missing (detail.id and subject "zen:ticket:<id>")', 422)
  const time = parseInstant(body["time"]) ?? parseInstant(detail["updated_at"])
  if (time === undefined) return fail(SOURCE, "time (or detail.updated_at) is missing or not an ISO-8601 time", 422)
  // Only signed material decides dedupe and order: the invocation id header is not covered by the signature.
  const deliveryKey = str(body["id"]) ?? bodyHash(req.rawBody)
  const fields = {
    subject: str(detail["subject"]),
    description: str(detail["description"]),
    status: mapValue(catalog, SOURCE, "status", str(detail["status"]), ZENDESK_STATUS),
    priority: mapValue(catalog, SOURCE, "priority", str(detail["priority"]), ZENDESK_PRIORITY),
    category: mapValue(catalog, SOURCE, "category", str(detail["type"]), ZENDESK_TYPE),
    product_family: strings(detail["tags"]),
    created_at: str(detail["created_at"]),
    updated_at: str(detail["updated_at"]),
    requester: str(detail["requester_id"])
  }
  const previous = mapValue(catalog, SOURCE, "status", str(at(body, "event.previous")), ZENDESK_STATUS)
  const kind: TicketEventKind =
    name === "created"
      ? "created"
      : isClosedStatus(fields.status)
        ? "closed"
        : name === "status_changed" && isClosedStatus(previous)
          ? "reopened"
          : "updated"
  return buildEvent(
    SOURCE,
    catalog,
    { ticketId, ...revisionOf(time), occurredAt: iso(time.ms), deliveryKey, kind, fields },
    422
  )
}

/** A trigger webhook with the documented template: `{ ticket: { id, title, status, priority, type, ... } }`. */
const decodeTrigger = (req: WebhookRequest, catalog: Catalog, ticket: JsonObject): Decoded => {
  const ticketId = str(ticket["id"])
  if (ticketId === undefined) return fail(SOURCE, "ticket.id is missing", 422)
  const time = parseInstant(ticket["updated_at"])
  if (time === undefined) return fail(SOURCE, "ticket.updated_at is missing or not an ISO-8601 time", 422)
  // Only signed material decides dedupe and order (the invocation id header is not covered by the signature):
  // the dedupe key is the body's `event_id`, else the hash of the body, so a replay of an identical body is a
  // duplicate, and ties within the placeholders' minute are broken by that key. The revision is a function of the
  // body alone: a re-signed retry of a delivery gets the same revision.
  const deliveryKey = str(ticket["event_id"]) ?? bodyHash(req.rawBody)
  const fields = {
    subject: str(ticket["title"]) ?? str(ticket["subject"]),
    description: str(ticket["description"]),
    status: mapValue(catalog, SOURCE, "status", str(ticket["status"]), ZENDESK_STATUS),
    priority: mapValue(catalog, SOURCE, "priority", str(ticket["priority"]), ZENDESK_PRIORITY),
    category: mapValue(catalog, SOURCE, "category", str(ticket["type"]), ZENDESK_TYPE),
    product_family: strings(ticket["tags"]) ?? splitTags(str(ticket["tags"])),
    created_at: str(ticket["created_at"]),
    updated_at: str(ticket["updated_at"]),
    due_at: str(ticket["due_at"]),
    requester: str(ticket["requester_email"]) ?? str(ticket["requester"])
  }
  const action = str(ticket["action"])?.toLowerCase()
  const kind: TicketEventKind =
    action === "created"
      ? "created"
      : isClosedStatus(fields.status)
        ? "closed"
        : action === "reopened"
          ? "reopened"
          : "updated"
  return buildEvent(
    SOURCE,
    catalog,
    { ticketId, ...revisionOf(time), occurredAt: iso(time.ms), deliveryKey, kind, fields },
    422
  )
}

/** Zendesk revisions count microseconds (event `time` has ns precision); the remaining ns digits order ties. */
const revisionOf = (time: { readonly ms: number; readonly subMs: string }) => ({
  primary: time.ms * 1000 + Number(time.subMs.slice(0, 3)),
  subOrder: time.subMs.slice(3, 6)
})

const splitTags = (tags: string | undefined): ReadonlyArray<string> | undefined =>
  tags === undefined ? undefined : tags.split(/\s+/).filter((t) => t !== "")

export const zendesk: Adapter = { name: SOURCE, credentialKinds: ["secret"], verify, decode }
