/**
 * Freshdesk emulator: tickets created and changed through `POST`/`PUT /api/v2/tickets[/{id}]`, listed with
 * `updated_since`, `order_by`, `order_type`, `per_page`, `page` and a `Link` header; every change runs the
 * "Trigger webhook" automation rule with the JSON template of docs/helpdesks.md (no signature: HTTP Basic or a token
 * header). Rules and sources: README.md#freshdesk.
 */
import type { Request, Response } from "express"
import { type CoreOptions, Core, type Running, basicAuth, isoSeconds, listen, q, selfUrl } from "./internal/core.js"

export interface FreshdeskTicket {
  id: number
  subject: string
  description: string
  description_text: string
  status: number
  priority: number
  source: number
  type: string | null
  tags: Array<string>
  requester_id: number
  responder_id: number | null
  group_id: number | null
  due_by: string
  fr_due_by: string
  created_at: string
  updated_at: string
}

export interface FreshdeskContact {
  readonly id: number
  readonly name: string
  readonly email: string
}

export interface FreshdeskEmulatorOptions extends CoreOptions {
  /** The API key accepted as the Basic user name (any password, `X` by convention); default `freshdesk-api-key`. */
  readonly apiKey?: string
  /**
   * Whether the rule's template renders `ticket_updated_at` (`{{ticket.updated_at}}`), the only revision a Freshdesk
   * webhook can carry; default true. False reproduces a template without it (the adapter then orders by receive time).
   */
  readonly renderUpdatedAt?: boolean
}

/** A note added with `POST /api/v2/tickets/{id}/notes` ([F2][F7]). */
export interface FreshdeskNote {
  readonly id: number
  readonly ticket_id: number
  readonly body: string
  readonly body_text: string
  readonly private: boolean
  readonly incoming: boolean
  readonly user_id: number
  readonly created_at: string
  readonly updated_at: string
}

export interface FreshdeskEmulator extends Running {
  readonly core: Core
  readonly tickets: Map<number, FreshdeskTicket>
  /** Each ticket's notes, oldest first. */
  readonly notes: Map<number, Array<FreshdeskNote>>
  readonly contacts: Map<number, FreshdeskContact>
}

const STATUS_LABEL: Readonly<Record<number, string>> = { 2: "Open", 3: "Pending", 4: "Resolved", 5: "Closed" }
const PRIORITY_LABEL: Readonly<Record<number, string>> = { 1: "Low", 2: "Medium", 3: "High", 4: "Urgent" }
const TYPES = ["Question", "Incident", "Problem", "Feature Request", "Refund"]
const DAY = 86_400_000

/** The Freshdesk emulator's state and the helpers its routes share (authentication is installed here). */
const freshdeskKit = (options: FreshdeskEmulatorOptions) => {
  const apiKey = options.apiKey ?? "freshdesk-api-key"
  const renderUpdatedAt = options.renderUpdatedAt ?? true
  const core = new Core(
    {
      source: "freshdesk",
      // [F9] 🟡: 429 + Retry-After; the body of a Freshdesk 429 is unverified.
      rateLimited: (res, s) => {
        res
          .status(429)
          .set("Retry-After", String(s))
          .json({ code: "rate_limit_exceeded", message: "You have exceeded the limit of requests per minute" })
      },
      failure: (res, status, message) => {
        res
          .status(status)
          .json({ code: status === 404 ? "not_found" : status === 400 ? "invalid_json" : "internal_error", message })
      },
      // [F9]: Growth plan, Tickets List 20/min; other ticket calls share the 200/min account limit.
      bucket: (req) =>
        req.method === "GET" && req.path === "/api/v2/tickets"
          ? { name: "list", perMinute: 20 }
          : req.path.startsWith("/api/v2/")
            ? { name: "account", perMinute: 200 }
            : undefined,
      // [F11] 🟡: a failed rule webhook is retried 5, then 30, then 60 minutes later (then the admins get an e-mail).
      retry: { retries: () => true, delaysMs: [300_000, 1_800_000, 3_600_000] },
      limitHeaders: (res, limit, remaining) => {
        res.set({
          "X-RateLimit-Total": String(limit),
          "X-RateLimit-Remaining": String(remaining),
          "X-RateLimit-Used-CurrentRequest": "1"
        })
      }
    },
    options
  )
  const tickets = new Map<number, FreshdeskTicket>()
  const contacts = new Map<number, FreshdeskContact>()
  const byEmail = new Map<string, FreshdeskContact>()
  const notes = new Map<number, Array<FreshdeskNote>>()
  const ids = { nextId: 1, nextContact: 153022557183, nextNoteId: 1 }

  // [F2] ✅ / [F1] 🟡: Basic with the API key as user name and `X` as password. 401 body: unverified.
  core.app.use("/api/v2", (req, res, next) => {
    const auth = basicAuth(req)
    if (auth === undefined || auth.user !== apiKey) {
      res.status(401).json({ code: "invalid_credentials", message: "You have to be logged in to perform this action." })
      return
    }
    next()
  })

  const validation = (res: Response, field: string, message: string, code = "invalid_value") =>
    res.status(400).json({ description: "Validation failed", errors: [{ field, message, code }] })

  const contactFor = (email: string): FreshdeskContact => {
    let c = byEmail.get(email)
    if (c === undefined) {
      c = { id: ids.nextContact++, name: email.split("@")[0] ?? email, email }
      contacts.set(c.id, c)
      byEmail.set(email, c)
    }
    return c
  }

  /** [F3] 🟡: `include=requester` embeds the requester, `include=description` the description on lists. */
  const view = (t: FreshdeskTicket, include: ReadonlyArray<string>, list: boolean) => {
    const { description, description_text, ...rest } = t
    const out: Record<string, unknown> =
      list && !include.includes("description") ? rest : { ...rest, description, description_text }
    if (include.includes("requester")) {
      const c = contacts.get(t.requester_id)
      out["requester"] = c === undefined ? null : { id: c.id, name: c.name, email: c.email, mobile: null, phone: null }
    }
    return out
  }

  /** The automation rule's "Trigger webhook" body: the JSON template of docs/helpdesks.md, placeholders rendered. */
  const send = (t: FreshdeskTicket, triggered: string) => {
    const requester = contacts.get(t.requester_id)
    const w: Record<string, string> = {
      triggered_event: triggered,
      ticket_id: String(t.id),
      ticket_url: `https://example.freshdesk.com/helpdesk/tickets/${t.id}`,
      ticket_type: t.type ?? "",
      ticket_subject: t.subject,
      ticket_description: t.description,
      ticket_status: STATUS_LABEL[t.status] ?? String(t.status),
      ticket_priority: PRIORITY_LABEL[t.priority] ?? String(t.priority),
      ticket_tags: t.tags.join(", "),
      ticket_due_by: t.due_by,
      ticket_created_at: t.created_at,
      ...(renderUpdatedAt ? { ticket_updated_at: t.updated_at } : {}),
      requester_name: requester?.name ?? "",
      requester_email: requester?.email ?? ""
    }
    core.emit(String(t.id), { freshdesk_webhook: w }, { "content-type": "application/json" })
  }

  /** Apply the writable fields; returns the changed field names or a validation failure. */
  const apply = (
    t: FreshdeskTicket,
    b: Record<string, unknown>
  ): Array<string> | { field: string; message: string } => {
    const changed: Array<string> = []
    const checks: Array<[keyof FreshdeskTicket, (v: unknown) => boolean, string]> = [
      ["subject", (v) => typeof v === "string" && v !== "", "It should be a/an String"],
      ["description", (v) => typeof v === "string", "It should be a/an String"],
      [
        "status",
        (v) => typeof v === "number" && STATUS_LABEL[v] !== undefined,
        "It should be one of these values: '2,3,4,5'"
      ],
      [
        "priority",
        (v) => typeof v === "number" && PRIORITY_LABEL[v] !== undefined,
        "It should be one of these values: '1,2,3,4'"
      ],
      [
        "type",
        (v) => v === null || (typeof v === "string" && TYPES.includes(v)),
        `It should be one of these values: '${TYPES.join(",")}'`
      ],
      ["tags", (v) => Array.isArray(v) && v.every((x) => typeof x === "string"), "It should be a/an Array"],
      // [F2]: the assigned agent's id, or null. Whether the agent exists is not checked (unverified on a real account).
      [
        "responder_id",
        (v) => v === null || (typeof v === "number" && Number.isInteger(v) && v > 0),
        "It should be a/an Positive Integer"
      ]
    ]
    for (const [key, ok, message] of checks) {
      const v = b[key]
      if (v === undefined) continue
      if (!ok(v)) return { field: key, message }
      if (JSON.stringify(t[key]) !== JSON.stringify(v)) {
        ;(t as unknown as Record<string, unknown>)[key] = Array.isArray(v) ? [...v] : v
        changed.push(key)
      }
    }
    if (changed.includes("description")) t.description_text = t.description.replace(/<[^>]*>/g, "")
    return changed
  }
  return {
    apiKey,
    renderUpdatedAt,
    core,
    tickets,
    contacts,
    byEmail,
    notes,
    ids,
    validation,
    contactFor,
    view,
    send,
    apply
  }
}

type FreshdeskKit = ReturnType<typeof freshdeskKit>

const createRoute = (k: FreshdeskKit): void => {
  const { core, tickets, contacts, ids, validation, contactFor, view, send, apply } = k
  core.app.post("/api/v2/tickets", (req, res) => {
    const b = (req.body ?? {}) as Record<string, unknown>
    if (typeof b["email"] !== "string" && typeof b["requester_id"] !== "number")
      return void validation(
        res,
        "requester_id",
        "Please fill at least 1 of requester_id, phone, email, twitter_id, facebook_id, unique_external_id attributes",
        "missing_field"
      )
    const now = core.now()
    const requester =
      typeof b["email"] === "string" ? contactFor(b["email"]) : contacts.get(b["requester_id"] as number)
    if (requester === undefined)
      return void validation(res, "requester_id", "There is no contact matching the given requester_id")
    const t: FreshdeskTicket = {
      id: ids.nextId++,
      subject: "",
      description: "",
      description_text: "",
      status: 2,
      priority: 1,
      source: 2,
      type: null,
      tags: [],
      requester_id: requester.id,
      responder_id: null,
      group_id: null,
      due_by: isoSeconds(now + 3 * DAY),
      fr_due_by: isoSeconds(now + DAY),
      created_at: isoSeconds(now),
      updated_at: isoSeconds(now)
    }
    const r = apply(t, b)
    if (!Array.isArray(r)) return void validation(res, r.field, r.message)
    if (t.subject === "") return void validation(res, "subject", "It should be a/an String", "missing_field")
    tickets.set(t.id, t)
    send(t, "{ticket_action:created}")
    res
      .status(201)
      .location(`/api/v2/tickets/${t.id}`)
      .json(view(t, [], false))
  })
}

const ticketRoutes = (k: FreshdeskKit): void => {
  const { core, tickets, notes, ids, validation, view, send, apply } = k
  const includes = (req: Request, res: Response, allowed: ReadonlyArray<string>): Array<string> | undefined => {
    const raw = q(req, "include")
    if (raw === undefined) return []
    const parts = raw.split(",").map((s) => s.trim())
    const bad = parts.find((p) => !allowed.includes(p))
    if (bad !== undefined) {
      validation(res, "include", `It should be one of these values: '${allowed.join(",")}'`)
      return undefined
    }
    return parts
  }

  const find = (req: Request, res: Response): FreshdeskTicket | undefined => {
    const t = tickets.get(Number(req.params["id"]))
    if (t === undefined) res.status(404).end()
    return t
  }

  core.app.get("/api/v2/tickets/:id", (req, res) => {
    const include = includes(req, res, ["conversations", "requester", "company", "stats"])
    if (include === undefined) return
    const t = find(req, res)
    if (t) res.json(view(t, include, false))
  })

  core.app.put("/api/v2/tickets/:id", (req, res) => {
    const t = find(req, res)
    if (t === undefined) return
    const copy: FreshdeskTicket = { ...t, tags: [...t.tags] }
    const before = { status: t.status, priority: t.priority }
    const r = apply(copy, (req.body ?? {}) as Record<string, unknown>)
    if (!Array.isArray(r)) return void validation(res, r.field, r.message)
    Object.assign(t, copy)
    if (r.length > 0) {
      t.updated_at = isoSeconds(core.now())
      // `{{triggered_event}}` renders the change that fired an "on ticket update" rule, e.g. `{status:{from:2,to:4}}`
      // (fixtures); how it renders changes other than status and priority is unverified.
      const field = r.includes("status") ? "status" : r.includes("priority") ? "priority" : undefined
      send(t, field === undefined ? `{${r[0]}:{changed}}` : `{${field}:{from:${before[field]},to:${t[field]}}}`)
    }
    res.json(view(t, [], false))
  })

  // [F2][F7][F13]: a note; `private` defaults to true. Whether adding a note moves the ticket's `updated_at` or runs an
  // "on ticket update" rule is unverified: the emulator leaves the ticket as it is and sends no webhook.
  core.app.post("/api/v2/tickets/:id/notes", (req, res) => {
    const t = find(req, res)
    if (t === undefined) return
    const b = (req.body ?? {}) as Record<string, unknown>
    if (typeof b["body"] !== "string" || b["body"] === "")
      return void validation(res, "body", "It should be a/an String", "missing_field")
    if (b["private"] !== undefined && typeof b["private"] !== "boolean")
      return void validation(res, "private", "It should be a/an Boolean")
    const now = isoSeconds(core.now())
    const note: FreshdeskNote = {
      id: ids.nextNoteId++,
      ticket_id: t.id,
      body: b["body"],
      body_text: b["body"].replace(/<[^>]*>/g, ""),
      private: b["private"] !== false,
      incoming: false,
      user_id: 1,
      created_at: now,
      updated_at: now
    }
    notes.set(t.id, [...(notes.get(t.id) ?? []), note])
    res.status(201).json(note)
  })

  core.app.get("/api/v2/tickets/:id/conversations", (req, res) => {
    const t = find(req, res)
    if (t) res.json(notes.get(t.id) ?? [])
  })

  // [F3][F4] 🟡: updated_since; order_by created_at (default)|due_by|updated_at|status; order_type desc (default);
  // without updated_since only tickets created in the past 30 days; per_page ≤100 (default 30) [F5][F14];
  // Link rel="next" [F5]; at most 300 pages [F6].
  core.app.get("/api/v2/tickets", (req, res) => {
    const include = includes(req, res, ["requester", "stats", "description"])
    if (include === undefined) return
    const perPage = Number(q(req, "per_page") ?? 30)
    const page = Number(q(req, "page") ?? 1)
    if (!Number.isInteger(perPage) || perPage < 1 || perPage > 100)
      return void validation(res, "per_page", "It should be a/an Positive Integer less than or equal to 100")
    if (!Number.isInteger(page) || page < 1) return void validation(res, "page", "It should be a/an Positive Integer")
    if (page > 300) return void validation(res, "page", "You cannot access more than 300 pages")
    const orderBy = q(req, "order_by") ?? "created_at"
    const orderType = q(req, "order_type") ?? "desc"
    if (!["created_at", "due_by", "updated_at", "status"].includes(orderBy))
      return void validation(res, "order_by", "It should be one of these values: 'created_at,due_by,updated_at,status'")
    if (!["asc", "desc"].includes(orderType))
      return void validation(res, "order_type", "It should be one of these values: 'asc,desc'")
    const since = q(req, "updated_since")
    const sinceMs = since === undefined ? undefined : Date.parse(since)
    if (sinceMs !== undefined && Number.isNaN(sinceMs))
      return void validation(res, "updated_since", "It should be in the 'valid date time' format")
    const now = core.now()
    const key = (t: FreshdeskTicket): number =>
      orderBy === "status" ? t.status : Date.parse(t[orderBy as "created_at" | "due_by" | "updated_at"])
    const rows = [...tickets.values()]
      .filter((t) =>
        sinceMs === undefined ? Date.parse(t.created_at) >= now - 30 * DAY : Date.parse(t.updated_at) >= sinceMs
      )
      .sort((a, b) => (orderType === "asc" ? key(a) - key(b) || a.id - b.id : key(b) - key(a) || b.id - a.id))
    const slice = rows.slice((page - 1) * perPage, page * perPage)
    if (rows.length > page * perPage) {
      res.set(
        "Link",
        `<${selfUrl(req, req.path, { updated_since: since, order_by: q(req, "order_by"), order_type: q(req, "order_type"), include: q(req, "include"), per_page: q(req, "per_page"), page: page + 1 })}>; rel="next"`
      )
    }
    res
      .set("X-RateLimit-Used-CurrentRequest", String(1 + 2 * include.length))
      .json(slice.map((t) => view(t, include, true)))
  })
}

export const startFreshdeskEmulator = async (options: FreshdeskEmulatorOptions = {}): Promise<FreshdeskEmulator> => {
  const k = freshdeskKit(options)
  createRoute(k)
  ticketRoutes(k)
  const running = await listen(k.core)
  return { ...running, core: k.core, tickets: k.tickets, contacts: k.contacts, notes: k.notes }
}
