/**
 * ServiceNow read client over the Table API: records of one table (default `incident`) with
 * `sysparm_query=sys_updated_on>=…^ORDERBYsys_updated_on^ORDERBYsys_id`, `sysparm_limit`/`sysparm_offset` and the
 * `Link` header, and single records (docs/helpdesks.md#reading-the-helpdesk-api).
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { SERVICENOW_RECORD_FIELDS, servicenow } from "@workbridge/adapters"
import { type Catalog, defaultCatalog, type TicketEvent } from "@workbridge/catalog"
import { Effect } from "effect"
import {
  callJson,
  type CallSettings,
  callSettings,
  decodeCursor,
  encodeCursor,
  HelpdeskError,
  nextLink,
  type ReadError
} from "./Http.js"
import {
  decodeRead,
  type HelpdeskClient,
  type Keyset,
  keysetFrom,
  keysetStep,
  type ReadPage,
  type ReadStart
} from "./Read.js"
import {
  type CurrentStatus,
  type HelpdeskWriter,
  makeWriter,
  optionalReadAt,
  optionalUpdatedAt,
  type RestAccess
} from "./Write.js"

export interface ServiceNowConfig extends CallSettings {
  /** `https://{instance}.service-now.com` */
  readonly baseUrl: string
  readonly user: string
  readonly password: string
  /** Default `incident`. */
  readonly table?: string
  /** The `close_code` a write-back that resolves or closes the record (state 6 or 7) sends; default `Solution provided`. */
  readonly closeCode?: string
  /** Records per page (`sysparm_limit`); default 1000. */
  readonly pageSize?: number
  readonly catalog?: Catalog
}

const SOURCE = "servicenow"

/** The fields a read asks for: those the documented business rule sends (docs/helpdesks.md#servicenow). */
export const SERVICENOW_READ_FIELDS = SERVICENOW_RECORD_FIELDS

type Json = Record<string, unknown>

/** `YYYY-MM-DD HH:MM:SS`, read as UTC (whether an instance reads query literals in the user's zone is unverified). */
const glideTime = (d: Date): string => d.toISOString().slice(0, 19).replace("T", " ")

export const makeServiceNowClient = (config: ServiceNowConfig): HelpdeskClient & HelpdeskWriter => {
  const base = config.baseUrl.replace(/\/+$/, "")
  const table = config.table ?? "incident"
  const catalog = config.catalog ?? defaultCatalog
  const limit = config.pageSize ?? 1000
  const policy = callSettings(config)
  const common = {
    sysparm_fields: SERVICENOW_READ_FIELDS.join(","),
    sysparm_exclude_reference_link: "true",
    sysparm_display_value: "false"
  }
  const authed = (r: HttpClientRequest.HttpClientRequest) =>
    r.pipe(HttpClientRequest.basicAuth(config.user, config.password), HttpClientRequest.acceptJson)

  /** A record shaped as the business rule's body; its revision and delivery key are the webhook's own (`sys_id:sys_mod_count`). */
  const toEvent = (record: Json, operation: string): Effect.Effect<TicketEvent, HelpdeskError> =>
    decodeRead(
      servicenow,
      catalog,
      operation,
      { table, operation: record["sys_mod_count"] === "0" ? "insert" : "update", changed_fields: [], record },
      {},
      undefined
    )

  const readPage = (start: ReadStart): Effect.Effect<ReadPage, ReadError> =>
    Effect.gen(function* () {
      const operation = `GET /api/now/table/${table}`
      const state: Keyset =
        "since" in start
          ? { since: glideTime(start.since), page: 1, seen: [] }
          : keysetFrom(yield* decodeCursor(SOURCE, start.cursor))
      const request = HttpClientRequest.get(`${base}/api/now/v2/table/${table}`).pipe(
        HttpClientRequest.setUrlParams({
          ...common,
          sysparm_query: `sys_updated_on>=${state.since}^ORDERBYsys_updated_on^ORDERBYsys_id`,
          sysparm_limit: String(limit),
          sysparm_offset: String((state.page - 1) * limit),
          sysparm_no_count: "true"
        })
      )
      const res = yield* callJson(authed(request), { source: SOURCE, operation, ...policy })
      const rows = (res.body as Json | undefined)?.["result"]
      if (!Array.isArray(rows))
        return yield* Effect.fail(
          new HelpdeskError({ source: SOURCE, operation, status: res.status, reason: "the body has no result array" })
        )
      const hasNext = nextLink(res.headers["link"]) !== undefined
      const { fresh, next } = keysetStep(
        state,
        rows as Array<Json>,
        (r) => String(r["sys_updated_on"]),
        (r) => String(r["sys_id"]),
        hasNext
      )
      const events: Array<TicketEvent> = []
      for (const r of fresh) events.push(yield* toEvent(r, operation))
      return { events, cursor: encodeCursor(SOURCE, { ...next }), done: !hasNext }
    }).pipe(Effect.provide(FetchHttpClient.layer))

  /** By `number` (the adapter's ticket id) or by `sys_id` (32 hex digits). */
  const readTicket = (ticketId: string): Effect.Effect<TicketEvent, ReadError> =>
    Effect.gen(function* () {
      const bySysId = /^[0-9a-f]{32}$/.test(ticketId)
      const operation = bySysId
        ? `GET /api/now/table/${table}/{sys_id}`
        : `GET /api/now/table/${table}?sysparm_query=number={number}`
      const request = yield* recordRequest(`${base}/api/now/v2/table/${table}`, ticketId, common, operation)
      const res = yield* callJson(authed(request), { source: SOURCE, operation, ...policy })
      const result = (res.body as Json | undefined)?.["result"]
      const record = Array.isArray(result) ? result[0] : result
      if (typeof record !== "object" || record === null)
        return yield* Effect.fail(
          new HelpdeskError({ source: SOURCE, operation, status: 404, reason: `no ${table} record ${ticketId}` })
        )
      return yield* toEvent(record as Json, operation)
    }).pipe(Effect.provide(FetchHttpClient.layer))

  const writer = serviceNowWriter({ base, authed, policy }, table, config.closeCode)

  return { source: SOURCE, readPage, readTicket, readStatus: writer.readStatus, writeBack: writer.writeBack }
}

/**
 * The read of one record under `tablePath` by `number` (the adapter's ticket id) or by `sys_id` (32 hex digits);
 * any other id is refused before any call.
 */
const recordRequest = (
  tablePath: string,
  ticketId: string,
  params: Readonly<Record<string, string>>,
  operation: string
): Effect.Effect<HttpClientRequest.HttpClientRequest, HelpdeskError> =>
  /^[0-9a-f]{32}$/.test(ticketId)
    ? Effect.succeed(HttpClientRequest.get(`${tablePath}/${ticketId}`).pipe(HttpClientRequest.setUrlParams(params)))
    : /^[A-Za-z0-9]+$/.test(ticketId)
      ? Effect.succeed(
          HttpClientRequest.get(tablePath).pipe(
            HttpClientRequest.setUrlParams({ ...params, sysparm_query: `number=${ticketId}`, sysparm_limit: "1" })
          )
        )
      : Effect.fail(
          new HelpdeskError({
            source: SOURCE,
            operation,
            reason: "a ServiceNow ticket id is a record number or a sys_id"
          })
        )

/** The write side ([S1], [S4], [S9]) over the client's REST access, on `table`. */
const serviceNowWriter = (
  { base, authed, policy }: RestAccess,
  table: string,
  closeCode: string | undefined
): HelpdeskWriter => {
  // [S1][S4][S9]: `PATCH /api/now/table/{table}/{sys_id}` with `state`; resolving (6) or closing (7) also needs
  // `close_code` and `close_notes`; the note goes in `work_notes`, the journal agents see (🟡 [S9]).
  return makeWriter(SOURCE, {
    current: (ticketId) =>
      Effect.gen(function* () {
        const operation = `GET /api/now/table/${table}/{sys_id}`
        const params = {
          sysparm_fields: "sys_id,state,assigned_to,sys_updated_on",
          sysparm_exclude_reference_link: "true"
        }
        const request = yield* recordRequest(`${base}/api/now/table/${table}`, ticketId, params, operation)
        const res = yield* callJson(authed(request), { source: SOURCE, operation, accept: [404], ...policy })
        const result = res.status === 404 ? undefined : (res.body as Json | undefined)?.["result"]
        const record = (Array.isArray(result) ? result[0] : result) as Json | undefined
        if (typeof record?.["sys_id"] !== "string")
          return yield* Effect.fail(
            new HelpdeskError({ source: SOURCE, operation, status: 404, reason: `no ${table} record ${ticketId}` })
          )
        const state = String(record["state"] ?? "")
        // A reference field reads as its sys_id (with sysparm_exclude_reference_link; else as {link, value}).
        const raw = record["assigned_to"]
        const assignee = typeof raw === "object" && raw !== null ? (raw as Json)["value"] : raw
        return {
          status: state,
          is: (requested: string) => requested === state,
          ref: record["sys_id"],
          ...(typeof assignee === "string" && assignee !== "" ? { assignee } : {}),
          ...optionalUpdatedAt(record["sys_updated_on"]),
          ...optionalReadAt(res.headers)
        } satisfies CurrentStatus
      }).pipe(Effect.provide(FetchHttpClient.layer)),
    // [S1]: `assigned_to` is a reference to `sys_user`; its actual value is the user's sys_id, written in the same PATCH.
    write: (_ticketId, { status, note, assignee }, current) =>
      Effect.gen(function* () {
        const operation = `PATCH /api/now/table/${table}/{sys_id}`
        const closing = status === "6" || status === "7"
        const body = {
          ...(status === undefined ? {} : { state: status }),
          ...(assignee === undefined ? {} : { assigned_to: assignee }),
          ...(closing
            ? { close_code: closeCode ?? "Solution provided", close_notes: note ?? "Resolved in Genesys Cloud" }
            : {}),
          ...(note === undefined ? {} : { work_notes: note })
        }
        const request = HttpClientRequest.patch(`${base}/api/now/table/${table}/${current.ref}`).pipe(
          HttpClientRequest.bodyUnsafeJson(body)
        )
        const res = yield* callJson(authed(request), { source: SOURCE, operation, ...policy })
        const record = (res.body as Json | undefined)?.["result"] as Json | undefined
        return { calls: 1, ...(status === undefined ? {} : optionalUpdatedAt(record?.["sys_updated_on"])) }
      }).pipe(Effect.provide(FetchHttpClient.layer))
  })
}
