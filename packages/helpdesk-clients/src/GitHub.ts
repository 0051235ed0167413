/**
 * GitHub Issues read client over Octokit (`@octokit/core`): `GET /repos/{owner}/{repo}/issues?since=&state=all`
 * sorted by update time, and `GET /repos/{owner}/{repo}/issues/{number}` (docs/helpdesks.md#reading-the-helpdesk-api).
 * Octokit never retries on its own without its throttling plugin: rate limits are retried by the same Effect schedule
 * as the other clients.
 */
import { Octokit } from "@octokit/core"
import { github } from "@workbridge/adapters"
import { type Catalog, defaultCatalog, type TicketEvent } from "@workbridge/catalog"
import { Effect } from "effect"
import {
  answeredWithin,
  type CallSettings,
  decodeCursor,
  encodeCursor,
  HelpdeskError,
  RateLimited,
  type ReadError,
  retryAfterMs,
  retryRateLimited
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
import { type CurrentStatus, type HelpdeskWriter, makeWriter, optionalReadAt, optionalUpdatedAt } from "./Write.js"

export interface GitHubConfig extends CallSettings {
  /** `https://api.github.com` (default) or a GitHub Enterprise Server `https://{host}/api/v3`. */
  readonly baseUrl?: string
  /** A personal access token or an installation token (sent as `Authorization: Bearer`). */
  readonly token: string
  /** `owner/repo` */
  readonly repository: string
  /** Issues per page (≤ 100). */
  readonly perPage?: number
  readonly catalog?: Catalog
}

const SOURCE = "github"

type Json = Record<string, unknown>

export const makeGitHubClient = (config: GitHubConfig): HelpdeskClient & HelpdeskWriter => {
  const catalog = config.catalog ?? defaultCatalog
  const [owner, repo] = config.repository.split("/") as [string, string]
  const octokit = new Octokit({
    auth: config.token,
    baseUrl: (config.baseUrl ?? "https://api.github.com").replace(/\/+$/, ""),
    userAgent: "workbridge"
  })
  const perPage = Math.min(100, config.perPage ?? 100)

  /**
   * One Octokit call; 429 and 403-with-rate-limit answers become `RateLimited` ([G1]: `retry-after`, else the reset).
   * Each attempt is bounded in time (`timeoutMs`): the signal aborts the request of an attempt given up.
   */
  const call = <T>(
    operation: string,
    f: (signal: AbortSignal) => Promise<{ data: T; headers: Record<string, unknown> }>
  ) =>
    retryRateLimited(config.retry)(
      Effect.tryPromise({
        try: f,
        catch: (e): ReadError => {
          const err = e as { status?: unknown; message?: unknown; response?: { headers?: Record<string, unknown> } }
          const status = typeof err.status === "number" ? err.status : undefined
          const headers: Record<string, string> = {}
          for (const [k, v] of Object.entries(err.response?.headers ?? {}))
            if (v !== undefined) headers[k.toLowerCase()] = String(v)
          const secondary = typeof err.message === "string" && /rate limit/i.test(err.message)
          if (
            status === 429 ||
            (status === 403 &&
              (headers["retry-after"] !== undefined || headers["x-ratelimit-remaining"] === "0" || secondary))
          ) {
            const reset =
              headers["x-ratelimit-remaining"] === "0" && headers["x-ratelimit-reset"] !== undefined
                ? Number(headers["x-ratelimit-reset"]) * 1000 + 1000
                : undefined
            return new RateLimited({
              source: SOURCE,
              operation,
              status,
              retryAfterMs: retryAfterMs(headers, Date.now(), config.retry?.fallbackDelayMs ?? 60_000, reset)
            })
          }
          return new HelpdeskError({
            source: SOURCE,
            operation,
            ...(status === undefined ? {} : { status }),
            reason: typeof err.message === "string" ? err.message : "request failed"
          })
        }
      }).pipe(answeredWithin(SOURCE, operation, config.timeoutMs))
    )

  /** A REST issue, shaped as the `issues` webhook the adapter decodes. */
  const toEvent = (issue: Json, operation: string): Effect.Effect<TicketEvent, HelpdeskError> => {
    const action =
      issue["state"] === "closed" ? "closed" : issue["created_at"] === issue["updated_at"] ? "opened" : "edited"
    return decodeRead(
      github,
      catalog,
      operation,
      { action, issue, repository: { full_name: config.repository } },
      { "x-github-event": "issues", "x-github-delivery": "read" },
      `read:${String(issue["number"])}:${String(issue["updated_at"])}`
    )
  }

  const readPage = (start: ReadStart): Effect.Effect<ReadPage, ReadError> =>
    Effect.gen(function* () {
      const operation = "GET /repos/{owner}/{repo}/issues"
      const state: Keyset =
        "since" in start
          ? { since: isoSeconds(start.since), page: 1, seen: [] }
          : keysetFrom(yield* decodeCursor(SOURCE, start.cursor))
      const res = yield* call(operation, (signal) =>
        octokit.request("GET /repos/{owner}/{repo}/issues", {
          owner,
          repo,
          request: { signal },
          state: "all",
          sort: "updated",
          direction: "asc",
          since: state.since,
          per_page: perPage,
          page: state.page
        })
      )
      const hasNext = /rel="next"/.test(String(res.headers["link"] ?? ""))
      const { fresh, next } = keysetStep(
        state,
        res.data as unknown as Array<Json>,
        (i) => String(i["updated_at"]),
        (i) => String(i["number"]),
        hasNext
      )
      const events: Array<TicketEvent> = []
      // Pull requests are issues too ([G5]); they arrive as `pull_request` webhooks, which Workbridge does not sync.
      for (const issue of fresh) if (issue["pull_request"] === undefined) events.push(yield* toEvent(issue, operation))
      return { events, cursor: encodeCursor(SOURCE, { ...next }), done: !hasNext }
    })

  /** The issue number of a ticket id of this client (`owner/repo#number`). */
  const issueNumber = (ticketId: string, operation: string): Effect.Effect<number, HelpdeskError> => {
    const m = /^(.+)#(\d+)$/.exec(ticketId)
    return m === null || m[1] !== config.repository
      ? Effect.fail(
          new HelpdeskError({
            source: SOURCE,
            operation,
            reason: `a ticket id of this client is "${config.repository}#<number>"`
          })
        )
      : Effect.succeed(Number(m[2]))
  }

  const readIssue = (ticketId: string, operation: string) =>
    Effect.flatMap(issueNumber(ticketId, operation), (issue_number) =>
      call(operation, (signal) =>
        octokit.request("GET /repos/{owner}/{repo}/issues/{issue_number}", {
          owner,
          repo,
          issue_number,
          request: { signal }
        })
      )
    )

  const readTicket = (ticketId: string): Effect.Effect<TicketEvent, ReadError> => {
    const operation = "GET /repos/{owner}/{repo}/issues/{issue_number}"
    return Effect.flatMap(readIssue(ticketId, operation), (res) => toEvent(res.data as unknown as Json, operation))
  }

  const writer = gitHubWriter({
    octokit,
    owner,
    repo,
    call,
    issueNumber,
    readState: (ticketId) =>
      Effect.map(readIssue(ticketId, "GET /repos/{owner}/{repo}/issues/{issue_number}"), (res) => {
        const issue = res.data as unknown as Json
        const assignees = Array.isArray(issue["assignees"])
          ? (issue["assignees"] as Array<Json>).map((a) => String(a["login"]))
          : []
        return {
          state: String(issue["state"]),
          assignees,
          updatedAt: issue["updated_at"],
          ...optionalReadAt(res.headers)
        }
      })
  })

  return { source: SOURCE, readPage, readTicket, readStatus: writer.readStatus, writeBack: writer.writeBack }
}

/** What the write side needs of the client: its Octokit, the repository, the rate-limited call, ids and the state read. */
interface GitHubAccess {
  readonly octokit: Octokit
  readonly owner: string
  readonly repo: string
  readonly call: <T>(
    operation: string,
    f: (signal: AbortSignal) => Promise<{ data: T; headers: Record<string, unknown> }>
  ) => Effect.Effect<{ data: T; headers: Record<string, unknown> }, ReadError>
  readonly issueNumber: (ticketId: string, operation: string) => Effect.Effect<number, HelpdeskError>
  readonly readState: (ticketId: string) => Effect.Effect<
    {
      readonly state: string
      readonly assignees: ReadonlyArray<string>
      readonly updatedAt?: unknown
      readonly readAt?: string
    },
    ReadError
  >
}

/** The write side ([G5]). */
const gitHubWriter = ({ octokit, owner, repo, call, issueNumber, readState }: GitHubAccess): HelpdeskWriter => {
  // [G5]: `PATCH …/issues/{n}` with `state` (and `state_reason: completed` when closing) and `assignees` (the whole
  // set: the agent becomes the only assignee); the note is an ordinary comment (`POST …/issues/{n}/comments`): GitHub
  // has no internal comments.
  return makeWriter(SOURCE, {
    current: (ticketId) =>
      Effect.map(
        readState(ticketId),
        ({ state, assignees, updatedAt, readAt }) =>
          ({
            status: state,
            is: (requested: string) => requested === state,
            ...(assignees.length > 0 ? { assignee: assignees.join(",") } : {}),
            // Logins are case-insensitive; the issue is "assigned" when the agent is its only assignee.
            isAssigned: (requested: string) =>
              assignees.length === 1 && assignees[0]!.toLowerCase() === requested.toLowerCase(),
            ...optionalUpdatedAt(updatedAt),
            ...(readAt === undefined ? {} : { readAt })
          }) satisfies CurrentStatus
      ),
    write: (ticketId, { status, note, assignee }) =>
      Effect.gen(function* () {
        let calls = 0
        let updatedAt: { readonly updatedAt?: string } = {}
        if (status !== undefined || assignee !== undefined) {
          const operation = "PATCH /repos/{owner}/{repo}/issues/{issue_number}"
          if (status !== undefined && status !== "open" && status !== "closed")
            return yield* Effect.fail(
              new HelpdeskError({
                source: SOURCE,
                operation,
                reason: `a GitHub issue is "open" or "closed", not "${status}"`,
                invalid: true
              })
            )
          const issue_number = yield* issueNumber(ticketId, operation)
          const res = yield* call(operation, (signal) =>
            octokit.request("PATCH /repos/{owner}/{repo}/issues/{issue_number}", {
              owner,
              repo,
              request: { signal },
              issue_number,
              ...(status === undefined ? {} : { state: status }),
              ...(status === "closed" ? { state_reason: "completed" as const } : {}),
              ...(assignee === undefined ? {} : { assignees: [assignee] })
            })
          )
          if (status !== undefined) updatedAt = optionalUpdatedAt(res.data.updated_at)
          calls++
        }
        if (note !== undefined) {
          const operation = "POST /repos/{owner}/{repo}/issues/{issue_number}/comments"
          const issue_number = yield* issueNumber(ticketId, operation)
          yield* call(operation, (signal) =>
            octokit.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", {
              owner,
              repo,
              request: { signal },
              issue_number,
              body: note
            })
          )
          calls++
        }
        return { calls, ...updatedAt }
      })
  })
}
