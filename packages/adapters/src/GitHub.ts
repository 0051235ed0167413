/**
 * GitHub Issues: repository or organization webhooks for the `issues` event.
 *
 * Signature: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, raw body)>` (the legacy sha1 header is not
 * accepted). Dedupe on `X-GitHub-Delivery`, which a redelivery keeps. Revision: `issue.updated_at`.
 * The ticket id is `<owner>/<repo>#<number>`.
 *
 * Refusals answer 400/422: GitHub never redelivers on its own, and the status shows in the hook's delivery log.
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
  isObject,
  iso,
  lookup,
  mapValue,
  parseBody,
  parseInstant,
  quote,
  str,
  strings
} from "./internal/decode.js"

const SOURCE = "github"

export const SIGNATURE_HEADER = "x-hub-signature-256"
export const DELIVERY_HEADER = "x-github-delivery"
export const EVENT_HEADER = "x-github-event"

/** Issue state (and `state_reason` for closed issues) → catalog status. */
export const GITHUB_STATE: Readonly<Record<string, string>> = {
  open: "open",
  closed: "solved",
  "closed/completed": "solved",
  "closed/not_planned": "closed",
  "closed/duplicate": "closed"
}

/** Label → priority (labels such as `P1`, `priority: high`, `urgent`). */
export const GITHUB_PRIORITY_LABEL: Readonly<Record<string, string>> = {
  p0: "urgent",
  p1: "urgent",
  p2: "high",
  p3: "normal",
  p4: "low",
  urgent: "urgent",
  critical: "urgent",
  high: "high",
  medium: "normal",
  normal: "normal",
  low: "low"
}

/** Label → category. */
export const GITHUB_CATEGORY_LABEL: Readonly<Record<string, string>> = {
  bug: "incident",
  question: "question",
  enhancement: "service_request",
  "feature request": "service_request"
}

const ACTION_KIND: Readonly<Record<string, TicketEventKind>> = {
  opened: "created",
  closed: "closed",
  reopened: "reopened",
  edited: "updated",
  labeled: "updated",
  unlabeled: "updated",
  assigned: "updated",
  unassigned: "updated",
  milestoned: "updated",
  demilestoned: "updated"
}

const verify = (req: WebhookRequest, creds: SourceCredentials) =>
  verifyAll(SOURCE, ["secret"], req, creds, (secret) => {
    const value = header(req, SIGNATURE_HEADER)
    if (value === undefined) return refuse(SOURCE, "MissingHeader", `the ${SIGNATURE_HEADER} header is missing`)
    const given = value.toLowerCase().startsWith("sha256=") ? fromHex(value.slice("sha256=".length)) : undefined
    return given !== undefined && digestsEqual(given, hmac("sha256", secret, req.rawBody))
      ? Either.void
      : refuse(SOURCE, "BadSignature", `the ${SIGNATURE_HEADER} header does not match the body`)
  })

const decode = (req: WebhookRequest, catalog: Catalog): Decoded => {
  const event = header(req, EVENT_HEADER)
  if (event !== undefined && event !== "issues")
    return Either.right({ _tag: "Ignored", reason: `the ${quote(event)} event is not synced (send only "Issues")` })
  return Either.flatMap(parseBody(SOURCE, req.rawBody, 400), (body) => {
    const action = str(body["action"])
    if (action === undefined) return fail(SOURCE, "action is missing", 422)
    const kind = lookup(ACTION_KIND, action)
    if (kind === undefined) return ignored(`the issues action ${quote(action)} is not synced`)
    const issue = body["issue"]
    if (!isObject(issue)) return fail(SOURCE, "issue is missing", 422)
    const repo = str(at(body, "repository.full_name"))
    const number = str(issue["number"])
    if (repo === undefined || number === undefined)
      return fail(SOURCE, "repository.full_name or issue.number is missing", 422)
    const updated = parseInstant(issue["updated_at"])
    if (updated === undefined) return fail(SOURCE, "issue.updated_at is missing or not an ISO-8601 time", 422)
    const state = str(issue["state"])
    const reason = str(issue["state_reason"])
    const labels = strings(issue["labels"], "name") ?? []
    const fields = {
      subject: str(issue["title"]),
      description: str(issue["body"]),
      status: mapValue(
        catalog,
        SOURCE,
        "status",
        state === "closed" && reason !== undefined ? `closed/${reason}` : state,
        GITHUB_STATE
      ),
      priority: firstMapped(catalog, "priority", labels, GITHUB_PRIORITY_LABEL),
      category: firstMapped(catalog, "category", labels, GITHUB_CATEGORY_LABEL),
      product_family: labels,
      created_at: str(issue["created_at"]),
      updated_at: str(issue["updated_at"]),
      requester: str(at(issue, "user.login"))
    }
    return buildEvent(
      SOURCE,
      catalog,
      {
        ticketId: `${repo}#${number}`,
        primary: updated.ms,
        occurredAt: iso(updated.ms),
        deliveryKey: header(req, DELIVERY_HEADER) || bodyHash(req.rawBody),
        kind,
        fields
      },
      422
    )
  })
}

/** The first label that the deployment's mapping or the defaults know, e.g. `priority: high` → `high`. */
const firstMapped = (
  catalog: Catalog,
  field: string,
  labels: ReadonlyArray<string>,
  defaults: Readonly<Record<string, string>>
) => {
  const overrides = catalog.sourceMappings?.[SOURCE]?.[field] ?? {}
  for (const label of labels) {
    const bare = label.toLowerCase().replace(/^(priority|prio|type|kind)\s*[:/-]\s*/, "")
    for (const candidate of [label, bare]) {
      const hit =
        Object.keys(overrides).some((k) => k.toLowerCase() === candidate.toLowerCase()) ||
        lookup(defaults, candidate.toLowerCase()) !== undefined
      if (hit) return mapValue(catalog, SOURCE, field, candidate, defaults)
    }
  }
  return undefined
}

export const github: Adapter = { name: SOURCE, credentialKinds: ["secret"], verify, decode }
