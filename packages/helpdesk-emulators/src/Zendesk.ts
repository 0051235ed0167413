/**
 * Zendesk Support emulator: tickets created and changed through `POST`/`PUT /api/v2/tickets`, read through
 * `GET /api/v2/tickets/{id}` (its comments through `GET /api/v2/tickets/{id}/comments`) and the cursor-based
 * incremental export; every change sends the ticket-event webhook
 * (`zen:event-type:ticket.*`) signed with `X-Zendesk-Webhook-Signature`. Rules and sources: README.md#zendesk.
 */
import { randomUUID } from "node:crypto"
import type { Request, Response } from "express"
import { type CoreOptions, Core, type Running, basicAuth, isoSeconds, listen, q, selfUrl } from "./internal/core.js"

export interface ZendeskTicket {
  id: number
  subject: string
  description: string
  status: string
  priority: string | null
  type: string | null
  tags: Array<string>
  requester_id: number
  /** The assigned agent's user id ([Z4] `assignee_id`); null when unassigned. */
  assignee_id: number | null
  created_at: string
  updated_at: string
  generated_timestamp: number
  via: { channel: string }
  /** Internal: the change instant in ms (the event `time`). */
  changedAtMs: number
  comments: Array<{ id: number; body: string; public: boolean; author_id: number; created_at: string }>
}

export interface ZendeskEmulatorOptions extends CoreOptions {
  /** Agent e-mail and API token accepted as `{email}/token:{token}`; default `agent@example.com` / `zendesk-api-token`. */
  readonly email?: string
  readonly apiToken?: string
  /** The API user's id (`actor_id` of the events of API changes); default 9001. */
  readonly userId?: number
}

export interface ZendeskEmulator extends Running {
  readonly core: Core
  readonly tickets: Map<number, ZendeskTicket>
}

const STATUSES = new Set(["new", "open", "pending", "hold", "solved", "closed"])
const PRIORITIES = new Set(["low", "normal", "high", "urgent"])
const TYPES = new Set(["problem", "incident", "question", "task"])
const ACCOUNT_ID = 12514403

/** One running Zendesk emulator: its core, tickets, API user and id counters. */
interface Zendesk {
  readonly core: Core
  readonly tickets: Map<number, ZendeskTicket>
  readonly userId: number
  readonly ids: { ticket: number; comment: number; invocation: number }
}

/** The Zendesk core: its 429 and error bodies, rate-limit buckets, webhook retries and rate-limit headers. */
const zendeskCore = (options: ZendeskEmulatorOptions): Core =>
  new Core(
    {
      source: "zendesk",
      // [Z5]: 429 + Retry-After (seconds). The body of a Zendesk 429 is not documented in the sources: unverified.
      rateLimited: (res, s) => {
        res
          .status(429)
          .set("Retry-After", String(s))
          .json({ error: "APIRateLimitExceeded", description: "Number of allowed API requests per minute exceeded" })
      },
      failure: (res, status, message) => {
        res.status(status).json({
          error: status === 404 ? "InvalidEndpoint" : status === 400 ? "InvalidJSON" : "InternalError",
          description: message
        })
      },
      // [Z1]: the incremental endpoints have their own 10/min limit; [Z7]: account limit, 700/min on Enterprise.
      bucket: (req) =>
        req.path.startsWith("/api/v2/incremental/")
          ? { name: "incremental", perMinute: 10 }
          : req.path.startsWith("/api/v2/")
            ? { name: "account", perMinute: 700 }
            : undefined,
      // [Z11]: Zendesk retries "certain status codes"; the adapter's notes name 409, 429 and 503 and timeouts. Which
      // codes exactly, how often and when: unverified (three retries after 10 s, 1 min and 5 min here).
      retry: {
        retries: (status) => status === undefined || status === 409 || status === 429 || status === 503,
        delaysMs: [10_000, 60_000, 300_000]
      },
      limitHeaders: (res, limit, remaining) => {
        res.set("X-Rate-Limit", String(limit)).set("X-Rate-Limit-Remaining", String(remaining))
      }
    },
    options
  )

/** [Z8]: `{email}/token:{api_token}` Basic; only the Authorization header counts. 401 body: unverified shape. */
const requireAuth = (core: Core, email: string, apiToken: string): void => {
  core.app.use("/api/v2", (req, res, next) => {
    const auth = basicAuth(req)
    if (auth === undefined || auth.user !== `${email}/token` || auth.password !== apiToken) {
      res.status(401).json({ error: "Couldn't authenticate you" })
      return
    }
    next()
  })
}

const stamp = (z: Zendesk, t: ZendeskTicket, ticketEvent: boolean): void => {
  const now = z.core.now()
  t.changedAtMs = now
  // [Z3]: generated_timestamp moves on every update; updated_at only when the update creates a ticket event.
  t.generated_timestamp = Math.floor(now / 1000)
  if (ticketEvent) t.updated_at = isoSeconds(now)
}

const view = (t: ZendeskTicket) => {
  const { changedAtMs: _c, comments: _m, ...rest } = t
  return { ...rest, url: `https://example.zendesk.com/api/v2/tickets/${t.id}.json` }
}

/** The event webhook [Z13]: enumerations upper-case, ids as strings, `time` with ns precision (fixture notes). */
const sendEvent = (z: Zendesk, t: ZendeskTicket, name: string, event: Record<string, unknown>): void => {
  const time = new Date(t.changedAtMs).toISOString().replace(/Z$/, "000000Z")
  z.core.emit(
    String(t.id),
    {
      type: `zen:event-type:ticket.${name}`,
      account_id: ACCOUNT_ID,
      id: randomUUID(),
      time,
      zendesk_event_version: "2022-11-06",
      subject: `zen:ticket:${t.id}`,
      detail: {
        actor_id: String(z.userId),
        created_at: t.created_at,
        description: t.description,
        id: String(t.id),
        priority: t.priority?.toUpperCase() ?? null,
        requester_id: String(t.requester_id),
        assignee_id: t.assignee_id === null ? null : String(t.assignee_id),
        status: t.status.toUpperCase(),
        subject: t.subject,
        tags: t.tags,
        type: t.type?.toUpperCase() ?? null,
        updated_at: t.updated_at,
        via: { channel: "api" }
      },
      event
    },
    {
      "user-agent": "Zendesk Webhook",
      "x-zendesk-account-id": String(ACCOUNT_ID),
      "x-zendesk-webhook-id": "01EMULATORWEBHOOK00000000",
      "x-zendesk-webhook-invocation-id": String(z.ids.invocation++)
    }
  )
}

const invalid = (res: Response, field: string, why: string) =>
  res.status(422).json({
    error: "RecordInvalid",
    description: "Record validation errors",
    details: { [field]: [{ description: `${field} ${why}` }] }
  })

/** Validate and apply the writable fields of a `ticket` body; returns the list of changed attributes or an error text. */
const apply = (
  z: Zendesk,
  t: ZendeskTicket,
  body: Record<string, unknown>
): { changed: Array<string> } | { field: string; why: string } => {
  const changed: Array<string> = []
  const set = <K extends "subject" | "status" | "priority" | "type">(key: K, allowed?: Set<string>) => {
    const v = body[key]
    if (v === undefined) return undefined
    if (typeof v !== "string" || (allowed !== undefined && !allowed.has(v)))
      return { field: key, why: allowed ? `must be one of ${[...allowed].join(", ")}` : "must be a string" }
    if (t[key] !== v) {
      ;(t as unknown as Record<string, unknown>)[key] = v
      changed.push(key)
    }
    return undefined
  }
  const err = set("subject") ?? set("status", STATUSES) ?? set("priority", PRIORITIES) ?? set("type", TYPES)
  if (err) return err
  if (body["tags"] !== undefined) {
    const tags = body["tags"]
    if (!Array.isArray(tags) || !tags.every((x) => typeof x === "string"))
      return { field: "tags", why: "must be an array of strings" }
    if (JSON.stringify(tags) !== JSON.stringify(t.tags)) {
      t.tags = [...tags]
      changed.push("tags")
    }
  }
  // [Z4]: `assignee_id`, the agent's user id (a number) or null. Whether the user exists and is an agent is not
  // checked (a real account answers 422 for a user who cannot be assigned: unverified).
  const assignee = body["assignee_id"]
  if (assignee !== undefined) {
    if (assignee !== null && !(typeof assignee === "number" && Number.isInteger(assignee) && assignee > 0))
      return { field: "assignee_id", why: "must be a user id (a number) or null" }
    if (t.assignee_id !== assignee) {
      t.assignee_id = assignee
      changed.push("assignee_id")
    }
  }
  const comment = body["comment"]
  if (comment !== undefined) {
    const c = comment as Record<string, unknown>
    if (typeof c !== "object" || c === null || typeof c["body"] !== "string")
      return { field: "comment", why: "must be an object with a body" }
    // [Z9]: at most 5000 comments per ticket; the 5001st is refused with 422.
    if (t.comments.length >= 5000) return { field: "comment", why: "exceeds the 5000 comments a ticket can hold" }
    t.comments.push({
      id: z.ids.comment++,
      body: c["body"],
      public: c["public"] !== false,
      author_id: z.userId,
      created_at: isoSeconds(z.core.now())
    })
    changed.push("comment")
  }
  return { changed }
}

/** `POST /api/v2/tickets`: a ticket from its first comment. */
const createRoute = (z: Zendesk): void => {
  z.core.app.post(["/api/v2/tickets", "/api/v2/tickets.json"], (req: Request, res: Response) => {
    const body = (req.body as { ticket?: Record<string, unknown> } | undefined)?.ticket
    if (typeof body !== "object" || body === null) return void invalid(res, "ticket", "is missing")
    const comment = body["comment"] as { body?: unknown } | undefined
    if (typeof comment?.body !== "string")
      return void invalid(res, "comment", "with a body is required to create a ticket")
    const now = z.core.now()
    const t: ZendeskTicket = {
      id: z.ids.ticket++,
      subject: "",
      description: comment.body,
      status: "new",
      priority: null,
      type: null,
      tags: [],
      requester_id: typeof body["requester_id"] === "number" ? body["requester_id"] : 20978392,
      assignee_id: null,
      created_at: isoSeconds(now),
      updated_at: isoSeconds(now),
      generated_timestamp: Math.floor(now / 1000),
      via: { channel: "api" },
      changedAtMs: now,
      comments: []
    }
    const r = apply(z, t, body)
    if ("field" in r) return void invalid(res, r.field, r.why)
    if (t.status === "new" && body["status"] === undefined && t.comments.length > 0) t.status = "new"
    z.tickets.set(t.id, t)
    sendEvent(z, t, "created", {})
    res
      .status(201)
      .location(`/api/v2/tickets/${t.id}.json`)
      .json({ ticket: view(t) })
  })
}

const find = (z: Zendesk, req: Request, res: Response): ZendeskTicket | undefined => {
  const id = Number(String(req.params["id"]).replace(/\.json$/, ""))
  const t = z.tickets.get(id)
  if (t === undefined) res.status(404).json({ error: "RecordNotFound", description: "Not found" })
  return t
}

/** `GET` and `PUT /api/v2/tickets/{id}`: one event webhook per changed attribute. */
const ticketRoutes = (z: Zendesk): void => {
  z.core.app.get("/api/v2/tickets/:id", (req, res) => {
    const t = find(z, req, res)
    if (t) res.json({ ticket: view(t) })
  })

  // List Comments: every comment, oldest first (public replies and internal notes, `public: false`), on one page.
  z.core.app.get(["/api/v2/tickets/:id/comments", "/api/v2/tickets/:id/comments.json"], (req, res) => {
    const t = find(z, req, res)
    if (t === undefined) return
    const comments = t.comments.map((c) => ({ type: "Comment", ...c, plain_body: c.body }))
    res.json({ comments, next_page: null, previous_page: null, count: comments.length })
  })

  z.core.app.put("/api/v2/tickets/:id", (req, res) => {
    const t = find(z, req, res)
    if (t === undefined) return
    const body = (req.body as { ticket?: Record<string, unknown> } | undefined)?.ticket
    if (typeof body !== "object" || body === null) return void invalid(res, "ticket", "is missing")
    // [Z4][Z18]: safe_update + updated_stamp → 409 when the ticket changed since.
    if (body["safe_update"] === true && body["updated_stamp"] !== t.updated_at) {
      res.status(409).json({
        error: "UpdateConflict",
        description:
          "Safe Update prevented the update due to outdated ticket data. Please fetch the latest ticket data and try again."
      })
      return
    }
    const before = {
      status: t.status,
      priority: t.priority,
      subject: t.subject,
      tags: [...t.tags],
      type: t.type,
      assignee_id: t.assignee_id
    }
    const copy: ZendeskTicket = { ...t, tags: [...t.tags], comments: [...t.comments] }
    const r = apply(z, copy, body)
    if ("field" in r) return void invalid(res, r.field, r.why)
    Object.assign(t, copy)
    if (r.changed.length > 0) {
      stamp(z, t, true)
      const events: Record<string, [string, unknown, unknown]> = {
        status: ["status_changed", before.status.toUpperCase(), t.status.toUpperCase()],
        priority: ["priority_changed", before.priority?.toUpperCase() ?? null, t.priority?.toUpperCase() ?? null],
        subject: ["subject_changed", before.subject, t.subject],
        tags: ["tags_changed", before.tags, t.tags],
        type: ["type_changed", before.type?.toUpperCase() ?? null, t.type?.toUpperCase() ?? null],
        // [Z13]: `agent_assignment_changed`; its `event` body here ({previous, current} user ids) is 🟡.
        assignee_id: [
          "agent_assignment_changed",
          before.assignee_id === null ? null : String(before.assignee_id),
          t.assignee_id === null ? null : String(t.assignee_id)
        ]
      }
      for (const attr of r.changed) {
        if (attr === "comment") {
          const c = t.comments[t.comments.length - 1]!
          sendEvent(z, t, "comment_added", {
            comment: { id: String(c.id), body: c.body, is_public: c.public, author: { id: String(c.author_id) } }
          })
          continue
        }
        const [name, previous, current] = events[attr]!
        sendEvent(z, t, name, { previous, current })
      }
    }
    res.json({ ticket: view(t), audit: { ticket_id: t.id, created_at: t.updated_at, author_id: z.userId } })
  })
}

const exportRoute = (z: Zendesk): void => {
  // [Z2][Z3]: cursor-based incremental export. First call needs start_time; then cursor. Items changed within the
  // minute before the request are excluded; ≤1000 per page (per_page, 🟡 [Z17]).
  z.core.app.get(["/api/v2/incremental/tickets/cursor", "/api/v2/incremental/tickets/cursor.json"], (req, res) => {
    const cursor = q(req, "cursor")
    const startTime = q(req, "start_time")
    let after: { ts: number; id: number }
    if (cursor !== undefined) {
      const parsed = decodeCursor(cursor)
      if (parsed === undefined)
        return void res.status(400).json({ error: "InvalidPaginationParameter", description: "cursor is invalid" })
      after = parsed
    } else if (startTime !== undefined && /^\d+$/.test(startTime)) {
      after = { ts: Number(startTime), id: -1 }
    } else {
      return void res
        .status(400)
        .json({ error: "InvalidPaginationParameter", description: "start_time is required on the first request" })
    }
    const perPage = Math.min(1000, Math.max(1, Number(q(req, "per_page") ?? 1000) || 1000))
    const horizon = Math.floor(z.core.now() / 1000) - 60
    const rows = [...z.tickets.values()]
      .filter((t) => t.generated_timestamp <= horizon)
      .filter((t) =>
        after.id < 0
          ? t.generated_timestamp >= after.ts
          : t.generated_timestamp > after.ts || (t.generated_timestamp === after.ts && t.id > after.id)
      )
      .sort((a, b) => a.generated_timestamp - b.generated_timestamp || a.id - b.id)
    const page = rows.slice(0, perPage)
    const last = page[page.length - 1]
    const next =
      last === undefined
        ? after.id < 0
          ? { ts: Math.max(0, after.ts - 1), id: Number.MAX_SAFE_INTEGER }
          : after
        : { ts: last.generated_timestamp, id: last.id }
    const afterCursor = encodeCursor(next)
    const path = "/api/v2/incremental/tickets/cursor.json"
    res.json({
      tickets: page.map(view),
      after_cursor: afterCursor,
      after_url: selfUrl(req, path, { cursor: afterCursor, per_page: q(req, "per_page") }),
      before_cursor: null,
      before_url: null,
      end_of_stream: rows.length <= perPage
    })
  })
}

/** Start a Zendesk emulator (port 0 by default). */
export const startZendeskEmulator = async (options: ZendeskEmulatorOptions = {}): Promise<ZendeskEmulator> => {
  const core = zendeskCore(options)
  requireAuth(core, options.email ?? "agent@example.com", options.apiToken ?? "zendesk-api-token")
  const z: Zendesk = {
    core,
    tickets: new Map(),
    userId: options.userId ?? 9001,
    ids: { ticket: 1, comment: 1, invocation: 8350205577 }
  }
  createRoute(z)
  ticketRoutes(z)
  exportRoute(z)
  const running = await listen(core)
  return { ...running, core, tickets: z.tickets }
}

const encodeCursor = (c: { ts: number; id: number }): string =>
  Buffer.from(`${c.ts}.0||${c.id}|`, "utf8").toString("base64")
const decodeCursor = (s: string): { ts: number; id: number } | undefined => {
  const m = /^(\d+)\.0\|\|(\d+)\|$/.exec(Buffer.from(s, "base64").toString("utf8"))
  return m === null ? undefined : { ts: Number(m[1]), id: Number(m[2]) }
}
