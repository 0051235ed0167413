/**
 * Jira Cloud read client: `POST /rest/api/3/search/jql` with `updated >= "…" ORDER BY updated ASC` and
 * `nextPageToken`, and `GET /rest/api/3/issue/{idOrKey}` (docs/helpdesks.md#reading-the-helpdesk-api).
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { adfToText, jira } from "@workbridge/adapters"
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
import {
  type CurrentStatus,
  type HelpdeskWriter,
  makeWriter,
  optionalReadAt,
  optionalUpdatedAt,
  type RestAccess
} from "./Write.js"

export interface JiraConfig extends CallSettings {
  /** `https://{site}.atlassian.net` */
  readonly baseUrl: string
  /** Atlassian account e-mail and API token (Basic). */
  readonly email: string
  readonly apiToken: string
  /** A JQL restriction ANDed to every search, e.g. `project = SUP`. */
  readonly jql?: string
  /** Issues per search page (`maxResults`); default 100. */
  readonly pageSize?: number
  readonly catalog?: Catalog
}

const SOURCE = "jira"
const FIELDS = [
  "summary",
  "description",
  "status",
  "priority",
  "issuetype",
  "labels",
  "created",
  "updated",
  "duedate",
  "reporter"
]

type Json = Record<string, unknown>

/** `yyyy-MM-dd HH:mm` in UTC: JQL dates have minute precision and are read in the user's zone (unverified; see docs). */
const jqlMinute = (ms: number): string => new Date(ms).toISOString().slice(0, 16).replace("T", " ")

/** Atlassian Document Format → the plain text a webhook carries; a value that is not a document passes through. */
const adfText = (doc: unknown): unknown => (typeof doc === "object" && doc !== null ? adfToText(doc) : doc)

export const makeJiraClient = (config: JiraConfig): HelpdeskClient & HelpdeskWriter => {
  const base = config.baseUrl.replace(/\/+$/, "")
  const catalog = config.catalog ?? defaultCatalog
  const policy = callSettings(config)
  const authed = (r: HttpClientRequest.HttpClientRequest) =>
    r.pipe(HttpClientRequest.basicAuth(config.email, config.apiToken), HttpClientRequest.acceptJson)

  /** The id of the issue's newest changelog entry (0 when none), the adapter's tie-breaker after the time. */
  const lastChangelogId = (issue: Json, operation: string): Effect.Effect<number, ReadError, HttpClient.HttpClient> =>
    Effect.gen(function* () {
      const changelog = (issue["changelog"] ?? {}) as { histories?: Array<{ id?: unknown }>; total?: unknown }
      const histories = changelog.histories ?? []
      const total = typeof changelog.total === "number" ? changelog.total : histories.length
      if (total === 0) return 0
      if (histories.length >= total) return Math.max(...histories.map((h) => Number(h.id)))
      // Search embeds only the first entries (🟡 20): read the last one from the paginated, oldest-first changelog.
      const request = HttpClientRequest.get(`${base}/rest/api/3/issue/${String(issue["id"])}/changelog`).pipe(
        HttpClientRequest.setUrlParams({ startAt: String(total - 1), maxResults: "1" })
      )
      const res = yield* callJson(authed(request), {
        source: SOURCE,
        operation: `${operation} → GET /rest/api/3/issue/{id}/changelog`,
        ...policy
      })
      const values = (res.body as { values?: Array<{ id?: unknown }> } | undefined)?.values ?? []
      return values.length === 0 ? 0 : Number(values[values.length - 1]!.id)
    })

  /** An issue, shaped as the admin webhook the adapter decodes: `timestamp` = `fields.updated`, `changelog.id` = newest entry. */
  const toEvent = (issue: Json, operation: string): Effect.Effect<TicketEvent, ReadError, HttpClient.HttpClient> =>
    Effect.gen(function* () {
      const fields = { ...((issue["fields"] ?? {}) as Json) }
      fields["description"] = adfText(fields["description"])
      const updated = parseJiraTime(fields["updated"])
      if (Number.isNaN(updated))
        return yield* Effect.fail(
          new HelpdeskError({
            source: SOURCE,
            operation,
            reason: `issue ${String(issue["key"])} has no valid fields.updated`
          })
        )
      const changelogId = yield* lastChangelogId(issue, operation)
      const body = {
        webhookEvent:
          changelogId === 0 && fields["created"] === fields["updated"] ? "jira:issue_created" : "jira:issue_updated",
        timestamp: updated,
        issue: { id: issue["id"], key: issue["key"], fields },
        ...(changelogId === 0 ? {} : { changelog: { id: changelogId } })
      }
      return yield* decodeRead(
        jira,
        catalog,
        operation,
        body,
        {},
        `read:${String(issue["id"])}:${String(fields["updated"])}:${changelogId}`
      )
    })

  const readPage = (start: ReadStart): Effect.Effect<ReadPage, ReadError> =>
    Effect.gen(function* () {
      const operation = "POST /rest/api/3/search/jql"
      // Cursor: `since` (a JQL minute), `seen` (states read in that minute by the previous pass, skipped when the
      // minute overlap returns them), and within a pass the `token` plus the newest minute read so far and its states.
      const state =
        "since" in start ? { since: jqlMinute(start.since.getTime()) } : yield* decodeCursor(SOURCE, start.cursor)
      const since = String(state["since"])
      const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : [])
      const seen = new Set(list(state["seen"]))
      const token = typeof state["token"] === "string" ? state["token"] : undefined
      let newest = typeof state["newest"] === "number" ? state["newest"] : minuteMs(since)
      let boundary = list(state["boundary"])
      const restriction = config.jql === undefined ? "" : `(${config.jql}) AND `
      const jql = `${restriction}updated >= "${since}" ORDER BY updated ASC`
      const request = HttpClientRequest.post(`${base}/rest/api/3/search/jql`).pipe(
        HttpClientRequest.bodyUnsafeJson({
          jql,
          fields: FIELDS,
          expand: "changelog",
          maxResults: config.pageSize ?? 100,
          ...(token === undefined ? {} : { nextPageToken: token })
        })
      )
      const res = yield* callJson(authed(request), { source: SOURCE, operation, ...policy })
      const body = res.body as Json | undefined
      const issues = body?.["issues"]
      if (!Array.isArray(issues))
        return yield* Effect.fail(
          new HelpdeskError({ source: SOURCE, operation, status: res.status, reason: "the body has no issues array" })
        )
      const events: Array<TicketEvent> = []
      for (const issue of issues as Array<Json>) {
        const event = yield* toEvent(issue, operation)
        if (seen.has(event.deliveryKey)) continue
        events.push(event)
        // The raw `fields.updated`, not the event's: a catalog without an `updated_at` field must not stall the cursor.
        const minute = Math.floor(parseJiraTime((issue["fields"] as Json | undefined)?.["updated"]) / 60_000) * 60_000
        if (minute > newest) {
          newest = minute
          boundary = [event.deliveryKey]
        } else if (minute === newest) boundary.push(event.deliveryKey)
      }
      const next = body?.["nextPageToken"]
      const done = body?.["isLast"] === true || typeof next !== "string"
      const nextSince = jqlMinute(newest)
      const cursor = done
        ? encodeCursor(SOURCE, {
            since: nextSince,
            seen: [...new Set([...(nextSince === since ? seen : []), ...boundary])]
          })
        : encodeCursor(SOURCE, { since, seen: [...seen], token: next, newest, boundary })
      return { events, cursor, done }
    }).pipe(Effect.provide(FetchHttpClient.layer))

  const readTicket = (ticketId: string): Effect.Effect<TicketEvent, ReadError> =>
    Effect.gen(function* () {
      const operation = "GET /rest/api/3/issue/{issueIdOrKey}"
      const id = yield* issueId(ticketId, operation)
      const request = HttpClientRequest.get(`${base}/rest/api/3/issue/${id}`).pipe(
        HttpClientRequest.setUrlParams({ fields: FIELDS.join(","), expand: "changelog" })
      )
      const res = yield* callJson(authed(request), { source: SOURCE, operation, ...policy })
      if (typeof res.body !== "object" || res.body === null)
        return yield* Effect.fail(
          new HelpdeskError({ source: SOURCE, operation, status: res.status, reason: "the body is not an issue" })
        )
      return yield* toEvent(res.body as Json, operation)
    }).pipe(Effect.provide(FetchHttpClient.layer))

  const writer = jiraWriter({ base, authed, policy })

  return { source: SOURCE, readPage, readTicket, readStatus: writer.readStatus, writeBack: writer.writeBack }
}

const parseJiraTime = (value: unknown): number => Date.parse(String(value).replace(/([+-]\d{2})(\d{2})$/, "$1:$2"))
const minuteMs = (minute: string): number => Date.parse(`${minute.replace(" ", "T")}:00Z`)

/** A ticket id of this client: the issue id or key; anything else is refused before any call. */
const issueId = (ticketId: string, operation: string): Effect.Effect<string, HelpdeskError> =>
  /^(\d+|[A-Z][A-Z0-9_]*-\d+)$/.test(ticketId)
    ? Effect.succeed(ticketId)
    : Effect.fail(
        new HelpdeskError({
          source: SOURCE,
          operation,
          reason: "a Jira ticket id is the issue id (or key)",
          invalid: true
        })
      )

/** The write side ([J6], [J8]) over the client's REST access. */
const jiraWriter = ({ base, authed, policy }: RestAccess): HelpdeskWriter => {
  /** `category:<key>` asks for any status of that category (`done`, `indeterminate`, `new`); otherwise a status name. */
  const matches = (
    requested: string,
    status: { name?: unknown; statusCategory?: { key?: unknown } } | undefined
  ): boolean =>
    requested.startsWith("category:")
      ? status?.statusCategory?.key === requested.slice("category:".length)
      : typeof status?.name === "string" && status.name.toLowerCase() === requested.toLowerCase()

  // [J6]: a status is reached by a transition: list those available from the current status, pick the one leading to
  // the status asked for, apply it. [J8]: the internal note is a Jira Service Management comment with `public: false`.
  return makeWriter(SOURCE, {
    current: (ticketId) =>
      Effect.gen(function* () {
        const operation = "GET /rest/api/3/issue/{issueIdOrKey}"
        const id = yield* issueId(ticketId, operation)
        const res = yield* callJson(
          authed(
            HttpClientRequest.get(`${base}/rest/api/3/issue/${id}`).pipe(
              HttpClientRequest.setUrlParam("fields", "status,assignee,updated")
            )
          ),
          { source: SOURCE, operation, ...policy }
        )
        const fields = (res.body as Json | undefined)?.["fields"] as Json | undefined
        const status = fields?.["status"] as { name?: unknown; statusCategory?: { key?: unknown } } | undefined
        if (typeof status?.name !== "string")
          return yield* Effect.fail(
            new HelpdeskError({ source: SOURCE, operation, status: res.status, reason: "the issue has no status" })
          )
        const accountId = (fields?.["assignee"] as { accountId?: unknown } | null | undefined)?.accountId
        return {
          status: status.name,
          is: (requested: string) => matches(requested, status),
          ...(typeof accountId === "string" ? { assignee: accountId } : {}),
          ...optionalUpdatedAt(fields?.["updated"]),
          ...optionalReadAt(res.headers)
        } satisfies CurrentStatus
      }).pipe(Effect.provide(FetchHttpClient.layer)),
    // [J6b]: the assignee has its own route, `PUT /rest/api/3/issue/{issueIdOrKey}/assignee {accountId}` (204).
    write: (ticketId, { status, note, assignee }, current) =>
      Effect.gen(function* () {
        let calls = 0
        if (status !== undefined) {
          const operation = "GET /rest/api/3/issue/{issueIdOrKey}/transitions"
          const id = yield* issueId(ticketId, operation)
          const res = yield* callJson(authed(HttpClientRequest.get(`${base}/rest/api/3/issue/${id}/transitions`)), {
            source: SOURCE,
            operation,
            ...policy
          })
          calls++
          const transitions = ((res.body as Json | undefined)?.["transitions"] ?? []) as Array<{
            id?: unknown
            to?: { name?: unknown; statusCategory?: { key?: unknown } }
          }>
          const transition = transitions.find((t) => matches(status, t.to))
          if (transition === undefined) {
            const offered = transitions.map((t) => String(t.to?.name)).join(", ") || "none"
            return yield* Effect.fail(
              new HelpdeskError({
                source: SOURCE,
                operation,
                reason: `no transition leads from "${current.status}" to "${status}" (offered: ${offered})`
              })
            )
          }
          const post = "POST /rest/api/3/issue/{issueIdOrKey}/transitions"
          yield* callJson(
            authed(
              HttpClientRequest.post(`${base}/rest/api/3/issue/${id}/transitions`).pipe(
                HttpClientRequest.bodyUnsafeJson({ transition: { id: String(transition.id) } })
              )
            ),
            { source: SOURCE, operation: post, ...policy }
          )
          calls++
        }
        if (assignee !== undefined) {
          const operation = "PUT /rest/api/3/issue/{issueIdOrKey}/assignee"
          const id = yield* issueId(ticketId, operation)
          yield* callJson(
            authed(
              HttpClientRequest.put(`${base}/rest/api/3/issue/${id}/assignee`).pipe(
                HttpClientRequest.bodyUnsafeJson({ accountId: assignee })
              )
            ),
            { source: SOURCE, operation, ...policy }
          )
          calls++
        }
        if (note !== undefined) {
          const operation = "POST /rest/servicedeskapi/request/{issueIdOrKey}/comment"
          const id = yield* issueId(ticketId, operation)
          yield* callJson(
            authed(
              HttpClientRequest.post(`${base}/rest/servicedeskapi/request/${id}/comment`).pipe(
                HttpClientRequest.bodyUnsafeJson({ body: note, public: false })
              )
            ),
            { source: SOURCE, operation, ...policy }
          )
          calls++
        }
        // A transition answers 204 with no body: no update time (its echo is told by the status log's rules).
        return { calls }
      }).pipe(Effect.provide(FetchHttpClient.layer))
  })
}
