/**
 * Zendesk Support read client: the cursor-based incremental ticket export and the single-ticket read
 * (docs/helpdesks.md#reading-the-helpdesk-api).
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { zendesk } from "@workbridge/adapters"
import { type Catalog, defaultCatalog, type TicketEvent } from "@workbridge/catalog"
import { Effect } from "effect"
import {
  callJson,
  type CallSettings,
  callSettings,
  decodeCursor,
  encodeCursor,
  HelpdeskError,
  type ReadError
} from "./Http.js"
import { decodeRead, type HelpdeskClient, type ReadPage, type ReadStart } from "./Read.js"
import { type CurrentStatus, type HelpdeskWriter, makeWriter, optionalReadAt, optionalUpdatedAt } from "./Write.js"

export interface ZendeskConfig extends CallSettings {
  /** `https://{subdomain}.zendesk.com` */
  readonly baseUrl: string
  /** The agent's e-mail; the API token authenticates as `{email}/token:{apiToken}`. */
  readonly email: string
  readonly apiToken: string
  /** Tickets per export page (the export's maximum is 1000). */
  readonly perPage?: number
  readonly catalog?: Catalog
}

const SOURCE = "zendesk"

type Json = Record<string, unknown>

/** A ticket's URL; a Zendesk ticket id is a number, anything else is refused before any call. */
const ticketUrl = (base: string, ticketId: string, operation: string): Effect.Effect<string, HelpdeskError> =>
  /^\d+$/.test(ticketId)
    ? Effect.succeed(`${base}/api/v2/tickets/${ticketId}.json`)
    : Effect.fail(
        new HelpdeskError({ source: SOURCE, operation, reason: "a Zendesk ticket id is a number", invalid: true })
      )
export const makeZendeskClient = (config: ZendeskConfig): HelpdeskClient & HelpdeskWriter => {
  const base = config.baseUrl.replace(/\/+$/, "")
  const catalog = config.catalog ?? defaultCatalog
  const policy = callSettings(config)
  const authed = (r: HttpClientRequest.HttpClientRequest) =>
    r.pipe(HttpClientRequest.basicAuth(`${config.email}/token`, config.apiToken), HttpClientRequest.acceptJson)

  /** A REST ticket, shaped as the ticket-event webhook the adapter decodes (ids as strings, enumerations as sent). */
  const toEvent = (t: Json, operation: string): Effect.Effect<TicketEvent, HelpdeskError> => {
    const id = String(t["id"])
    const created = t["created_at"] !== undefined && t["created_at"] === t["updated_at"]
    const body = {
      type: `zen:event-type:ticket.${created ? "created" : "read"}`,
      time: t["updated_at"],
      subject: `zen:ticket:${id}`,
      id: "read",
      detail: {
        id,
        subject: t["subject"],
        description: t["description"],
        status: t["status"],
        priority: t["priority"],
        type: t["type"],
        tags: t["tags"],
        created_at: t["created_at"],
        updated_at: t["updated_at"],
        requester_id:
          t["requester_id"] === undefined || t["requester_id"] === null ? undefined : String(t["requester_id"])
      }
    }
    return decodeRead(zendesk, catalog, operation, body, {}, `read:${id}:${String(t["updated_at"])}`)
  }

  const readPage = (start: ReadStart): Effect.Effect<ReadPage, ReadError> =>
    Effect.gen(function* () {
      const operation = "GET /api/v2/incremental/tickets/cursor.json"
      let request = HttpClientRequest.get(`${base}/api/v2/incremental/tickets/cursor.json`)
      if ("since" in start) {
        request = HttpClientRequest.setUrlParam(request, "start_time", String(Math.floor(start.since.getTime() / 1000)))
      } else {
        const state = yield* decodeCursor(SOURCE, start.cursor)
        request = HttpClientRequest.setUrlParam(request, "cursor", String(state["c"]))
      }
      if (config.perPage !== undefined)
        request = HttpClientRequest.setUrlParam(request, "per_page", String(config.perPage))
      const res = yield* callJson(authed(request), {
        source: SOURCE,
        operation,
        ...policy
      })
      const body = res.body as Json | undefined
      const tickets = body?.["tickets"]
      const after = body?.["after_cursor"]
      if (!Array.isArray(tickets) || typeof after !== "string") {
        return yield* Effect.fail(
          new HelpdeskError({
            source: SOURCE,
            operation,
            status: res.status,
            reason: "the page has no tickets array or after_cursor"
          })
        )
      }
      const events: Array<TicketEvent> = []
      // The export includes deleted tickets (status "deleted"); the webhook side ignores deletions too.
      for (const t of tickets as Array<Json>) if (t["status"] !== "deleted") events.push(yield* toEvent(t, operation))
      return { events, cursor: encodeCursor(SOURCE, { c: after }), done: body?.["end_of_stream"] === true }
    }).pipe(Effect.provide(FetchHttpClient.layer))

  const readTicket = (ticketId: string): Effect.Effect<TicketEvent, ReadError> =>
    Effect.gen(function* () {
      const operation = "GET /api/v2/tickets/{id}"
      const res = yield* callJson(authed(HttpClientRequest.get(yield* ticketUrl(base, ticketId, operation))), {
        source: SOURCE,
        operation,
        ...policy
      })
      const ticket = (res.body as Json | undefined)?.["ticket"]
      if (typeof ticket !== "object" || ticket === null)
        return yield* Effect.fail(
          new HelpdeskError({ source: SOURCE, operation, status: res.status, reason: "the body has no ticket" })
        )
      return yield* toEvent(ticket as Json, operation)
    }).pipe(Effect.provide(FetchHttpClient.layer))

  // [Z4][Z9]: the status and an internal comment (`public: false`) go in one `PUT /api/v2/tickets/{id}`.
  const writer = makeWriter(SOURCE, {
    current: (ticketId) =>
      Effect.gen(function* () {
        const operation = "GET /api/v2/tickets/{id}"
        const res = yield* callJson(authed(HttpClientRequest.get(yield* ticketUrl(base, ticketId, operation))), {
          source: SOURCE,
          operation,
          ...policy
        })
        const ticket = (res.body as Json | undefined)?.["ticket"] as Json | undefined
        const status = ticket?.["status"]
        if (typeof status !== "string")
          return yield* Effect.fail(
            new HelpdeskError({ source: SOURCE, operation, status: res.status, reason: "the ticket has no status" })
          )
        const assignee = ticket?.["assignee_id"]
        return {
          status,
          is: (requested: string) => requested === status,
          ...(typeof assignee === "number" ? { assignee: String(assignee) } : {}),
          ...optionalUpdatedAt(ticket?.["updated_at"]),
          ...optionalReadAt(res.headers)
        } satisfies CurrentStatus
      }).pipe(Effect.provide(FetchHttpClient.layer)),
    // [Z4]: the assignee is the ticket's `assignee_id` (a user id, a number), written in the same PUT.
    write: (ticketId, { status, note, assignee }) =>
      Effect.gen(function* () {
        const operation = "PUT /api/v2/tickets/{id}"
        const ticket = {
          ...(status === undefined ? {} : { status }),
          ...(assignee === undefined ? {} : { assignee_id: Number(assignee) }),
          ...(note === undefined ? {} : { comment: { body: note, public: false } })
        }
        const request = HttpClientRequest.put(yield* ticketUrl(base, ticketId, operation)).pipe(
          HttpClientRequest.bodyUnsafeJson({ ticket })
        )
        const res = yield* callJson(authed(request), { source: SOURCE, operation, ...policy })
        const answered = (res.body as Json | undefined)?.["ticket"] as Json | undefined
        return { calls: 1, ...(status === undefined ? {} : optionalUpdatedAt(answered?.["updated_at"])) }
      }).pipe(Effect.provide(FetchHttpClient.layer))
  })

  return { source: SOURCE, readPage, readTicket, readStatus: writer.readStatus, writeBack: writer.writeBack }
}
