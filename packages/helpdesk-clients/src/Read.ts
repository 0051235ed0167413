/**
 * The read side every client offers, and how a ticket read from an API becomes a `TicketEvent`: the vendor's record
 * is put in the shape of that vendor's webhook and decoded by the very adapter that decodes webhooks, so fields,
 * vocabularies, catalog overrides and the revision's ordering number are the webhook's. Only the delivery part
 * differs (see `readRevision`).
 */
import type { Adapter } from "@workbridge/adapters"
import type { Catalog, TicketEvent } from "@workbridge/catalog"
import { Effect, Either, Option, Stream } from "effect"
import { HelpdeskError, type ReadError } from "./Http.js"

/** Where a read starts: tickets changed at or after `since`, or where an earlier page's `cursor` left off. */
export type ReadStart = { readonly since: Date } | { readonly cursor: string }

export interface ReadPage {
  /** The tickets of this page, oldest change first, as ticket events. */
  readonly events: ReadonlyArray<TicketEvent>
  /** Resumes after this page; when `done`, resumes with the changes made after this read (persist it). */
  readonly cursor: string
  /** No more pages now. */
  readonly done: boolean
}

export interface HelpdeskClient {
  /** The adapter source name (`zendesk`, `servicenow`, `jira`, `freshdesk`, `github`). */
  readonly source: string
  /** One page of changed tickets. */
  readPage(start: ReadStart): Effect.Effect<ReadPage, ReadError>
  /** The current state of one ticket, by the same id the adapter gives it (`TicketEvent.ticketId`). */
  readTicket(ticketId: string): Effect.Effect<TicketEvent, ReadError>
}

/** Every page from `start` until the client reports `done`. */
export const pages = (client: HelpdeskClient, start: ReadStart): Stream.Stream<ReadPage, ReadError> =>
  Stream.paginateEffect(start, (s: ReadStart) =>
    client
      .readPage(s)
      .pipe(
        Effect.map(
          (page) => [page, page.done ? Option.none() : Option.some<ReadStart>({ cursor: page.cursor })] as const
        )
      )
  )

/** Every changed ticket from `start` until caught up, with the cursor to resume from afterwards. */
export const readAll = (
  client: HelpdeskClient,
  start: ReadStart
): Effect.Effect<{ readonly events: ReadonlyArray<TicketEvent>; readonly cursor: string }, ReadError> =>
  Effect.gen(function* () {
    const events: Array<TicketEvent> = []
    let from: ReadStart = start
    for (;;) {
      const page = yield* client.readPage(from)
      events.push(...page.events)
      if (page.done) return { events, cursor: page.cursor }
      from = { cursor: page.cursor }
    }
  })

/**
 * The part of a revision that describes the ticket's state, without the delivery that carried it:
 * `<ordering number>:<sub-order><kind rank>:`. A webhook and a read of the same state have the same state revision.
 */
export const stateRevision = (revision: string): string => /^\d{16}:\d*:/.exec(revision)?.[0] ?? revision

/**
 * A read's revision: the state revision with an empty delivery part, so it sorts just before every webhook of the
 * same state (a read never supersedes a delivered webhook of the state it read) and after every older state.
 * When the read can rebuild the webhook's own delivery key (ServiceNow: `sys_id:sys_mod_count`), the revision is the
 * webhook's exactly.
 */
export const readRevision = (revision: string, keepDelivery: boolean): string =>
  keepDelivery ? revision : stateRevision(revision)

/**
 * Decode a vendor record shaped as its webhook with the vendor's adapter, then give it the read's delivery key and
 * revision. `deliveryKey` names the state read (e.g. `read:<updated_at>`), so two reads of one state dedupe.
 */
export const decodeRead = (
  adapter: Adapter,
  catalog: Catalog,
  operation: string,
  body: unknown,
  headers: Readonly<Record<string, string>>,
  deliveryKey: string | undefined
): Effect.Effect<TicketEvent, HelpdeskError> => {
  const decoded = adapter.decode(
    { headers, rawBody: Buffer.from(JSON.stringify(body), "utf8"), receivedAt: new Date(0) },
    catalog
  )
  if (Either.isLeft(decoded))
    return Effect.fail(
      new HelpdeskError({ source: adapter.name, operation, reason: `cannot map the ticket: ${decoded.left.reason}` })
    )
  if (decoded.right._tag === "Ignored")
    return Effect.fail(
      new HelpdeskError({
        source: adapter.name,
        operation,
        reason: `the ticket is not synced: ${decoded.right.reason}`
      })
    )
  const event = decoded.right.event
  return Effect.succeed(
    deliveryKey === undefined ? event : { ...event, deliveryKey, revision: readRevision(event.revision, false) }
  )
}

/**
 * Keyset paging over `?since=` lists sorted by update time (GitHub, Freshdesk, ServiceNow): after each page `since`
 * moves to the newest update time seen, and the ids already read at that time are remembered so the inclusive
 * boundary is not read twice. While a whole page shares one time, the page number moves on instead.
 */
export interface Keyset {
  readonly since: string
  readonly page: number
  readonly seen: ReadonlyArray<string>
}

export const keysetStep = <T>(
  state: Keyset,
  rows: ReadonlyArray<T>,
  time: (row: T) => string,
  id: (row: T) => string,
  hasNext: boolean
): { readonly fresh: ReadonlyArray<T>; readonly next: Keyset } => {
  const fresh = rows.filter((r) => !(time(r) === state.since && state.seen.includes(id(r))))
  let last = state.since
  for (const r of rows) if (time(r) > last) last = time(r)
  const atLast = rows.filter((r) => time(r) === last).map(id)
  const seen = last === state.since ? [...new Set([...state.seen, ...atLast])] : atLast
  const next: Keyset =
    hasNext && last === state.since ? { since: last, page: state.page + 1, seen } : { since: last, page: 1, seen }
  return { fresh, next }
}

export const keysetFrom = (c: Record<string, unknown>): Keyset => ({
  since: String(c["since"]),
  page: Number(c["page"]),
  seen: Array.isArray(c["seen"]) ? c["seen"].map(String) : []
})

/** ISO-8601 UTC with second precision, as the vendors print update times. */
export const isoSeconds = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, "Z")
