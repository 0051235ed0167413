/**
 * ServiceNow: there is no standard outbound webhook, so Workbridge documents one (docs/helpdesks.md): an after
 * insert/update business rule posting `{ table, operation, changed_fields?, record }` where `record` holds the Table
 * API field values (strings; reference fields as `{ link, value }`). A bare record is accepted as well.
 *
 * Authenticity: ServiceNow signs nothing — HTTP Basic (`WEBHOOK_BASIC_AUTH_SERVICENOW`) or a token header
 * (`WEBHOOK_TOKEN_SERVICENOW`) configured on the REST message.
 *
 * Revision: `sys_mod_count` (the record's update counter); `sys_updated_on` has one-second resolution only.
 * Refusals answer 400/422: RESTMessageV2 never retries on its own, the status only informs the integrator's script.
 */
import type { Catalog, TicketEventKind } from "@workbridge/catalog"
import { Either } from "effect"
import type { Adapter, SourceCredentials, WebhookRequest } from "./Adapter.js"
import { bodyHash, verifyAll } from "./internal/auth.js"
import type { Decoded, JsonObject } from "./internal/decode.js"
import {
  buildEvent,
  fail,
  ignored,
  isClosedStatus,
  isObject,
  iso,
  lookup,
  mapValue,
  nonNegativeInt,
  parseBody,
  parseInstant,
  str
} from "./internal/decode.js"

const SOURCE = "servicenow"

/** Incident `state`: 1 New, 2 In Progress, 3 On Hold, 6 Resolved, 7 Closed, 8 Canceled (labels accepted too). */
/**
 * The incident fields the documented business rule sends in its webhook record (docs/helpdesks.md#servicenow). A
 * read of exactly these keeps a read and a webhook of the same record version equal.
 */
export const SERVICENOW_RECORD_FIELDS = [
  "sys_id",
  "number",
  "sys_class_name",
  "sys_mod_count",
  "sys_created_on",
  "sys_updated_on",
  "short_description",
  "description",
  "state",
  "impact",
  "urgency",
  "priority",
  "category",
  "caller_id",
  "sla_due",
  "made_sla"
] as const

export const SERVICENOW_STATE: Readonly<Record<string, string>> = {
  "1": "new",
  "2": "open",
  "3": "on_hold",
  "6": "solved",
  "7": "closed",
  "8": "closed",
  new: "new",
  "in progress": "open",
  "on hold": "on_hold",
  resolved: "solved",
  closed: "closed",
  canceled: "closed"
}

/** Priority 1 Critical … 5 Planning (derived by ServiceNow from impact × urgency). */
export const SERVICENOW_PRIORITY: Readonly<Record<string, string>> = {
  "1": "urgent",
  "2": "high",
  "3": "normal",
  "4": "low",
  "5": "low",
  "1 - critical": "urgent",
  "2 - high": "high",
  "3 - moderate": "normal",
  "4 - low": "low",
  "5 - planning": "low"
}

/** The default priority lookup rules: impact/urgency → priority, used when the record carries no priority. */
export const SERVICENOW_PRIORITY_MATRIX: Readonly<Record<string, string>> = {
  "1/1": "1",
  "1/2": "2",
  "1/3": "3",
  "2/1": "2",
  "2/2": "3",
  "2/3": "4",
  "3/1": "3",
  "3/2": "4",
  "3/3": "5"
}

/** Record table → catalog category. */
export const SERVICENOW_TABLE: Readonly<Record<string, string>> = {
  incident: "incident",
  problem: "problem",
  change_request: "change",
  sc_req_item: "service_request",
  sc_task: "service_request",
  sc_request: "service_request"
}

/** Incident `category` → catalog routing skill. */
export const SERVICENOW_CATEGORY_SKILL: Readonly<Record<string, string>> = {
  inquiry: "general_support",
  software: "software",
  hardware: "hardware",
  network: "technical",
  database: "technical"
}

const verify = (req: WebhookRequest, creds: SourceCredentials) => verifyAll(SOURCE, ["basicAuth", "token"], req, creds)

const decode = (req: WebhookRequest, catalog: Catalog): Decoded =>
  Either.flatMap(parseBody(SOURCE, req.rawBody, 400), (body) => {
    const record: JsonObject | undefined = isObject(body["record"])
      ? body["record"]
      : str(body["sys_id"]) !== undefined
        ? body
        : undefined
    if (record === undefined)
      return fail(SOURCE, 'the body has no "record" object (and is not a record itself: no sys_id)', 422)
    const operation = str(body["operation"])?.toLowerCase()
    if (operation === "delete") return ignored("deleted records are not synced (the workitem is left as is)")
    const sysId = str(record["sys_id"])
    const ticketId = str(record["number"]) ?? sysId
    if (ticketId === undefined) return fail(SOURCE, "record.number and record.sys_id are missing", 422)
    const modCount = nonNegativeInt(record["sys_mod_count"])
    if (modCount === undefined)
      return fail(SOURCE, "record.sys_mod_count is missing or not a non-negative integer", 422)
    const updated = parseInstant(record["sys_updated_on"])
    const table = str(body["table"]) ?? str(record["sys_class_name"])
    const priorityCode = str(record["priority"]) ?? priorityFromMatrix(record)
    const fields = {
      subject: str(record["short_description"]),
      description: str(record["description"]),
      status: mapValue(
        catalog,
        SOURCE,
        "status",
        str(record["state"]) ?? str(record["incident_state"]),
        SERVICENOW_STATE
      ),
      priority: mapValue(catalog, SOURCE, "priority", priorityCode, SERVICENOW_PRIORITY),
      category: mapValue(catalog, SOURCE, "category", table, SERVICENOW_TABLE),
      routing_skill: mapValue(catalog, SOURCE, "routing_skill", str(record["category"]), SERVICENOW_CATEGORY_SKILL),
      created_at: utc(record["sys_created_on"]),
      updated_at: utc(record["sys_updated_on"]),
      due_at: utc(record["sla_due"]) ?? utc(record["due_date"]),
      sla_breached: madeSla(record["made_sla"]),
      requester: reference(record["caller_id"]) ?? reference(record["opened_by"])
    }
    const changed = Array.isArray(body["changed_fields"]) ? body["changed_fields"].map((f) => str(f)) : []
    const kind: TicketEventKind =
      operation === "insert"
        ? "created"
        : isClosedStatus(fields.status)
          ? "closed"
          : changed.includes("reopen_count")
            ? "reopened"
            : "updated"
    return buildEvent(
      SOURCE,
      catalog,
      {
        ticketId,
        primary: modCount,
        occurredAt: iso(updated?.ms ?? req.receivedAt.getTime()),
        // No delivery id exists: a record version (sys_id + sys_mod_count) is the natural dedupe key.
        deliveryKey: sysId !== undefined ? `${sysId}:${modCount}` : bodyHash(req.rawBody),
        kind,
        fields
      },
      422
    )
  })

const priorityFromMatrix = (record: JsonObject): string | undefined => {
  const impact = str(record["impact"])
  const urgency = str(record["urgency"])
  return impact === undefined || urgency === undefined
    ? undefined
    : lookup(SERVICENOW_PRIORITY_MATRIX, `${impact}/${urgency}`)
}

/** ServiceNow date-times are `YYYY-MM-DD HH:MM:SS` in UTC without a zone: made explicit so nobody reads them as local. */
const utc = (value: unknown): string | undefined => {
  const instant = parseInstant(value)
  return instant === undefined ? undefined : iso(instant.ms)
}

/** A reference field (`{ link, value }`) or a plain sys_id string. */
const reference = (value: unknown): string | undefined => (isObject(value) ? str(value["value"]) : str(value))

const madeSla = (value: unknown): boolean | undefined => {
  const text = str(value)?.toLowerCase()
  return text === "true" ? false : text === "false" ? true : undefined
}

export const servicenow: Adapter = { name: SOURCE, credentialKinds: ["basicAuth", "token"], verify, decode }
