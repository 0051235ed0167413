/**
 * Jira Cloud / Jira Service Management admin webhooks (`jira:issue_created`, `jira:issue_updated`).
 *
 * Signature: `X-Hub-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>` (only for webhooks registered with a
 * secret). Dedupe on `X-Atlassian-Webhook-Identifier`, which stays the same on every retry.
 * Revision: the envelope `timestamp` (epoch ms), else `issue.fields.updated`; `changelog.id` orders equal timestamps.
 *
 * Refusals answer 400/422: Jira retries 408, 409, 425, 429 and 5xx only, so other 4xx are final.
 */
import type { Catalog, TicketEventKind } from "@workbridge/catalog"
import { Either } from "effect"
import type { Adapter, SourceCredentials, WebhookRequest } from "./Adapter.js"
import { bodyHash, fromHex, header, hmac, refuse, verifyAll } from "./internal/auth.js"
import { digestsEqual } from "./compare.js"
import type { Decoded } from "./internal/decode.js"
import {
  at,
  buildEvent,
  fail,
  ignored,
  isClosedStatus,
  isObject,
  iso,
  mapValue,
  nonNegativeInt,
  parseBody,
  parseInstant,
  quote,
  str,
  strings
} from "./internal/decode.js"

const SOURCE = "jira"

export const SIGNATURE_HEADER = "x-hub-signature"
export const IDENTIFIER_HEADER = "x-atlassian-webhook-identifier"

/** `statusCategory.key` → catalog status (workflow status names are per site; their category is not). */
export const JIRA_STATUS_CATEGORY: Readonly<Record<string, string>> = {
  new: "new",
  indeterminate: "open",
  done: "solved"
}

/** Default Jira Cloud priorities and the legacy names. */
export const JIRA_PRIORITY: Readonly<Record<string, string>> = {
  highest: "urgent",
  blocker: "urgent",
  critical: "urgent",
  high: "high",
  major: "normal",
  medium: "normal",
  low: "low",
  minor: "low",
  lowest: "low",
  trivial: "low"
}

/** Issue type name → catalog category. */
export const JIRA_ISSUE_TYPE: Readonly<Record<string, string>> = {
  bug: "incident",
  incident: "incident",
  "it help": "incident",
  problem: "problem",
  change: "change",
  "service request": "service_request",
  "service request with approvals": "service_request",
  task: "service_request",
  "sub-task": "service_request",
  question: "question",
  support: "question",
  improvement: "change",
  "new feature": "change",
  story: "service_request",
  epic: "service_request"
}

const verify = (req: WebhookRequest, creds: SourceCredentials) =>
  verifyAll(SOURCE, ["secret"], req, creds, (secret) => {
    const value = header(req, SIGNATURE_HEADER)
    if (value === undefined) return refuse(SOURCE, "MissingHeader", `the ${SIGNATURE_HEADER} header is missing`)
    const [method, hex] = splitOnce(value, "=")
    // Atlassian warns the method may change: parse the prefix, accept only what is implemented.
    if (method.toLowerCase() !== "sha256")
      return refuse(SOURCE, "BadSignature", `the ${SIGNATURE_HEADER} method is not sha256`)
    const given = fromHex(hex)
    return given !== undefined && digestsEqual(given, hmac("sha256", secret, req.rawBody))
      ? Either.void
      : refuse(SOURCE, "BadSignature", `the ${SIGNATURE_HEADER} header does not match the body`)
  })

const decode = (req: WebhookRequest, catalog: Catalog): Decoded =>
  Either.flatMap(parseBody(SOURCE, req.rawBody, 400), (body) => {
    const webhookEvent = str(body["webhookEvent"])
    if (webhookEvent === undefined) return fail(SOURCE, "webhookEvent is missing", 422)
    if (webhookEvent === "jira:issue_deleted")
      return ignored("deleted issues are not synced (the workitem is left as is)")
    if (webhookEvent !== "jira:issue_created" && webhookEvent !== "jira:issue_updated") {
      return ignored(`${quote(webhookEvent)} is not an issue create/update event`)
    }
    const issue = body["issue"]
    if (!isObject(issue)) return fail(SOURCE, "issue is missing", 422)
    // issue.id is stable; the key changes when an issue moves to another project.
    const ticketId = str(issue["id"])
    if (ticketId === undefined) return fail(SOURCE, "issue.id is missing", 422)
    const f = isObject(issue["fields"]) ? issue["fields"] : {}
    const timestamp = nonNegativeInt(body["timestamp"]) ?? parseInstant(f["updated"])?.ms
    if (timestamp === undefined) return fail(SOURCE, "timestamp (or issue.fields.updated) is missing or invalid", 422)
    const deliveryKey = header(req, IDENTIFIER_HEADER) || bodyHash(req.rawBody)
    const fields = {
      subject: str(f["summary"]),
      description: str(f["description"]),
      status: mapValue(catalog, SOURCE, "status", str(at(f, "status.statusCategory.key")), JIRA_STATUS_CATEGORY),
      priority: mapValue(catalog, SOURCE, "priority", str(at(f, "priority.name")), JIRA_PRIORITY),
      category: mapValue(catalog, SOURCE, "category", str(at(f, "issuetype.name")), JIRA_ISSUE_TYPE),
      product_family: strings(f["labels"]),
      created_at: str(f["created"]),
      updated_at: str(f["updated"]),
      due_at: str(f["duedate"]),
      requester: str(at(f, "reporter.displayName")) ?? str(at(f, "reporter.accountId"))
    }
    const kind: TicketEventKind =
      webhookEvent === "jira:issue_created"
        ? "created"
        : isClosedStatus(fields.status)
          ? "closed"
          : reopened(body["changelog"])
            ? "reopened"
            : "updated"
    const changelogId = nonNegativeInt(at(body, "changelog.id"))
    return buildEvent(
      SOURCE,
      catalog,
      {
        ticketId,
        primary: timestamp,
        subOrder: (changelogId ?? 0).toString().padStart(16, "0"),
        occurredAt: iso(timestamp),
        deliveryKey,
        kind,
        fields
      },
      422
    )
  })

/** A changelog that clears the resolution (or moves the status out of Done) reopens the issue. */
const reopened = (changelog: unknown): boolean => {
  const items = at(changelog, "items")
  if (!Array.isArray(items)) return false
  return items.some(
    (item) =>
      isObject(item) &&
      str(item["field"])?.toLowerCase() === "resolution" &&
      str(item["fromString"]) !== undefined &&
      str(item["toString"]) === undefined
  )
}

const splitOnce = (value: string, separator: string): [string, string] => {
  const index = value.indexOf(separator)
  return index < 0 ? ["", value] : [value.slice(0, index), value.slice(index + 1)]
}

export const jira: Adapter = { name: SOURCE, credentialKinds: ["secret"], verify, decode }

/**
 * Atlassian Document Format → the plain text a webhook carries: text nodes joined within a block, blocks joined by
 * newlines. A string is already text; anything else that is not a document reads as no text.
 */
export const adfToText = (doc: unknown): string | undefined => {
  if (typeof doc === "string") return doc
  if (typeof doc !== "object" || doc === null) return undefined
  const block = (node: unknown): string => {
    if (typeof node !== "object" || node === null) return ""
    const n = node as { type?: unknown; text?: unknown; content?: unknown }
    if (n.type === "text" && typeof n.text === "string") return n.text
    return Array.isArray(n.content) ? n.content.map(block).join("") : ""
  }
  const content = (doc as { content?: unknown }).content
  return Array.isArray(content) ? content.map(block).join("\n") : undefined
}
