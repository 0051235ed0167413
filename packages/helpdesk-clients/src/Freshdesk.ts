/**
 * Freshdesk read client: `GET /api/v2/tickets?updated_since=&order_by=updated_at&order_type=asc` and
 * `GET /api/v2/tickets/{id}` (docs/helpdesks.md#reading-the-helpdesk-api).
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { freshdesk } from "@workbridge/adapters"
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
  isoSeconds,
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

export interface FreshdeskConfig extends CallSettings {
  /** `https://{domain}.freshdesk.com` */
  readonly baseUrl: string
  /** The API key (sent as the Basic user name with the password `X`). */
  readonly apiKey: string
  /** Tickets per page (≤ 100). */
  readonly perPage?: number
  readonly catalog?: Catalog
}

const SOURCE = "freshdesk"

type Json = Record<string, unknown>

export const makeFreshdeskClient = (config: FreshdeskConfig): HelpdeskClient & HelpdeskWriter => {
  const base = config.baseUrl.replace(/\/+$/, "")
  const catalog = config.catalog ?? defaultCatalog
  const perPage = Math.min(100, config.perPage ?? 100)
  const authed = (r: HttpClientRequest.HttpClientRequest) =>
    r.pipe(HttpClientRequest.basicAuth(config.apiKey, "X"), HttpClientRequest.acceptJson)
  const policy = callSettings(config)

  /** A REST ticket (with `include=requester`), shaped as the automation rule's webhook body the adapter decodes. */
  const toEvent = (t: Json, operation: string): Effect.Effect<TicketEvent, HelpdeskError> => {
    const requester = (t["requester"] ?? {}) as Json
    const w = {
      ticket_id: t["id"],
      triggered_event: t["created_at"] === t["updated_at"] ? "{ticket_action:created}" : undefined,
      ticket_type: t["type"],
      ticket_subject: t["subject"],
      ticket_description: t["description"],
      ticket_status: t["status"],
      ticket_priority: t["priority"],
      // `{{ticket.tags}}` renders no tags as "", which the adapter reads as no value: an empty list must read the same.
      ticket_tags: Array.isArray(t["tags"]) && t["tags"].length > 0 ? t["tags"] : undefined,
      ticket_due_by: t["due_by"],
      ticket_created_at: t["created_at"],
      ticket_updated_at: t["updated_at"],
      requester_name: requester["name"],
      requester_email: requester["email"]
    }
    return decodeRead(
      freshdesk,
      catalog,
      operation,
      { freshdesk_webhook: w },
      {},
      `read:${String(t["id"])}:${String(t["updated_at"])}`
    )
  }

  const readPage = (start: ReadStart): Effect.Effect<ReadPage, ReadError> =>
    Effect.gen(function* () {
      const operation = "GET /api/v2/tickets"
      const state: Keyset =
        "since" in start
          ? { since: isoSeconds(start.since), page: 1, seen: [] }
          : keysetFrom(yield* decodeCursor(SOURCE, start.cursor))
      const request = HttpClientRequest.get(`${base}/api/v2/tickets`).pipe(
        HttpClientRequest.setUrlParams({
          updated_since: state.since,
          order_by: "updated_at",
          order_type: "asc",
          include: "requester,description",
          per_page: String(perPage),
          page: String(state.page)
        })
      )
      const res = yield* callJson(authed(request), { source: SOURCE, operation, ...policy })
      if (!Array.isArray(res.body))
        return yield* Effect.fail(
          new HelpdeskError({
            source: SOURCE,
            operation,
            status: res.status,
            reason: "the body is not an array of tickets"
          })
        )
      const hasNext = nextLink(res.headers["link"]) !== undefined
      // Keyset on updated_at also keeps every pass far below the 300-page cap.
      const { fresh, next } = keysetStep(
        state,
        res.body as Array<Json>,
        (t) => String(t["updated_at"]),
        (t) => String(t["id"]),
        hasNext
      )
      const events: Array<TicketEvent> = []
      for (const t of fresh) events.push(yield* toEvent(t, operation))
      return { events, cursor: encodeCursor(SOURCE, { ...next }), done: !hasNext }
    }).pipe(Effect.provide(FetchHttpClient.layer))

  const readTicket = (ticketId: string): Effect.Effect<TicketEvent, ReadError> =>
    Effect.gen(function* () {
      const operation = "GET /api/v2/tickets/{id}"
      const request = HttpClientRequest.get(yield* ticketUrl(base, ticketId, operation)).pipe(
        HttpClientRequest.setUrlParam("include", "requester")
      )
      const res = yield* callJson(authed(request), { source: SOURCE, operation, ...policy })
      if (typeof res.body !== "object" || res.body === null)
        return yield* Effect.fail(
          new HelpdeskError({ source: SOURCE, operation, status: res.status, reason: "the body is not a ticket" })
        )
      return yield* toEvent(res.body as Json, operation)
    }).pipe(Effect.provide(FetchHttpClient.layer))

  const writer = freshdeskWriter({ base, authed, policy })

  return { source: SOURCE, readPage, readTicket, readStatus: writer.readStatus, writeBack: writer.writeBack }
}

/** A ticket's URL (plus `suffix`); a Freshdesk ticket id is a number, anything else is refused before any call. */
const ticketUrl = (
  base: string,
  ticketId: string,
  operation: string,
  suffix = ""
): Effect.Effect<string, HelpdeskError> =>
  /^\d+$/.test(ticketId)
    ? Effect.succeed(`${base}/api/v2/tickets/${ticketId}${suffix}`)
    : Effect.fail(
        new HelpdeskError({ source: SOURCE, operation, reason: "a Freshdesk ticket id is a number", invalid: true })
      )

/** The write side ([F2], [F8], [F13]) over the client's REST access. */
const freshdeskWriter = ({ base, authed, policy }: RestAccess): HelpdeskWriter => {
  // [F2][F8][F13]: the status by `PUT /api/v2/tickets/{id}` (a number: 2 Open, 3 Pending, 4 Resolved, 5 Closed);
  // the note by `POST /api/v2/tickets/{id}/notes` with `private: true`.
  return makeWriter(SOURCE, {
    current: (ticketId) =>
      Effect.gen(function* () {
        const operation = "GET /api/v2/tickets/{id}"
        const res = yield* callJson(authed(HttpClientRequest.get(yield* ticketUrl(base, ticketId, operation))), {
          source: SOURCE,
          operation,
          ...policy
        })
        const status = (res.body as Json | undefined)?.["status"]
        if (typeof status !== "number")
          return yield* Effect.fail(
            new HelpdeskError({ source: SOURCE, operation, status: res.status, reason: "the ticket has no status" })
          )
        const responder = (res.body as Json | undefined)?.["responder_id"]
        return {
          status: String(status),
          is: (requested: string) => Number(requested) === status,
          ...(typeof responder === "number" ? { assignee: String(responder) } : {}),
          ...optionalUpdatedAt((res.body as Json | undefined)?.["updated_at"]),
          ...optionalReadAt(res.headers)
        } satisfies CurrentStatus
      }).pipe(Effect.provide(FetchHttpClient.layer)),
    // [F2]: the assignee is the ticket's `responder_id` (an agent id, a number), in the same PUT as the status.
    write: (ticketId, { status, note, assignee }) =>
      Effect.gen(function* () {
        let calls = 0
        let updatedAt: { readonly updatedAt?: string } = {}
        if (status !== undefined || assignee !== undefined) {
          const operation = "PUT /api/v2/tickets/{id}"
          const value = status === undefined ? undefined : Number(status)
          if (value !== undefined && !Number.isInteger(value))
            return yield* Effect.fail(
              new HelpdeskError({
                source: SOURCE,
                operation,
                reason: `a Freshdesk status is a number, not "${status}"`
              })
            )
          const body = {
            ...(value === undefined ? {} : { status: value }),
            ...(assignee === undefined ? {} : { responder_id: Number(assignee) })
          }
          const res = yield* callJson(
            authed(
              HttpClientRequest.put(yield* ticketUrl(base, ticketId, operation)).pipe(
                HttpClientRequest.bodyUnsafeJson(body)
              )
            ),
            { source: SOURCE, operation, ...policy }
          )
          if (value !== undefined) updatedAt = optionalUpdatedAt((res.body as Json | undefined)?.["updated_at"])
          calls++
        }
        if (note !== undefined) {
          const operation = "POST /api/v2/tickets/{id}/notes"
          const request = HttpClientRequest.post(yield* ticketUrl(base, ticketId, operation, "/notes")).pipe(
            HttpClientRequest.bodyUnsafeJson({ body: note, private: true })
          )
          yield* callJson(authed(request), { source: SOURCE, operation, ...policy })
          calls++
        }
        return { calls, ...updatedAt }
      }).pipe(Effect.provide(FetchHttpClient.layer))
  })
}
