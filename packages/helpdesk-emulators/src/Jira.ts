/**
 * Jira Cloud emulator: one project whose issues are created and changed through `POST /rest/api/3/issue`,
 * `PUT /rest/api/3/issue/{key}` and `POST /rest/api/3/issue/{key}/transitions`, searched with
 * `GET`/`POST /rest/api/3/search/jql` (bounded JQL, `nextPageToken`, `isLast`, `fields`, `expand=changelog`) and read
 * with `GET /rest/api/3/issue/{key}` and its `/changelog`; every change sends the admin webhook
 * (`jira:issue_created` / `jira:issue_updated`) signed with `X-Hub-Signature`. Rules and sources: README.md#jira.
 */
import { randomUUID } from "node:crypto"
import { adfToText } from "@workbridge/adapters"
import type { Request, Response } from "express"
import { type CoreOptions, Core, type Running, basicAuth, listen, q } from "./internal/core.js"

export interface JiraHistory {
  readonly id: string
  readonly created: string
  readonly author: { readonly accountId: string; readonly displayName: string }
  readonly items: ReadonlyArray<{
    field: string
    fieldtype: string
    fieldId: string
    from: string | null
    fromString: string | null
    to: string | null
    toString: string | null
  }>
}

export interface JiraIssue {
  readonly id: string
  readonly key: string
  summary: string
  /** Plain text; the v3 API renders it as an Atlassian Document Format paragraph per line. */
  description: string | null
  status: "To Do" | "In Progress" | "Done"
  priority: string
  issuetype: string
  labels: Array<string>
  duedate: string | null
  resolution: string | null
  reporter: { accountId: string; displayName: string }
  /** [J6b]: the assignee's account id; null when unassigned. */
  assignee: string | null
  createdMs: number
  updatedMs: number
  histories: Array<JiraHistory>
}

export interface JiraEmulatorOptions extends CoreOptions {
  /** Account e-mail and API token accepted as Basic credentials; default `agent@example.com` / `jira-api-token`. */
  readonly email?: string
  readonly apiToken?: string
  /** The project key; default `SUP`. */
  readonly project?: string
}

/** A Jira Service Management request comment ([J8]): `public: false` is an internal note agents see. */
export interface JiraComment {
  readonly id: string
  readonly body: string
  readonly public: boolean
  readonly createdMs: number
}

export interface JiraEmulator extends Running {
  readonly core: Core
  readonly issues: Map<string, JiraIssue>
  /** Each issue's request comments (by issue id), oldest first. */
  readonly comments: Map<string, Array<JiraComment>>
}

const STATUS = {
  "To Do": { id: "10000", name: "To Do", statusCategory: { id: 2, key: "new", name: "To Do" } },
  "In Progress": { id: "3", name: "In Progress", statusCategory: { id: 4, key: "indeterminate", name: "In Progress" } },
  Done: { id: "10001", name: "Done", statusCategory: { id: 3, key: "done", name: "Done" } }
} as const
const TRANSITIONS = [
  { id: "11", name: "To Do", to: "To Do" },
  { id: "21", name: "In Progress", to: "In Progress" },
  { id: "31", name: "Done", to: "Done" }
] as const
const PRIORITIES = ["Highest", "High", "Medium", "Low", "Lowest"]
const TYPES = ["Bug", "Task", "Incident", "Service Request", "Problem", "Change", "Story"]
const ACTOR = { accountId: "5b10ac8d82e05b22cc7d4ef5", displayName: "Workbridge Integration" }
const TOKEN_TTL_MS = 7 * 86_400_000

/** `2019-01-30T15:51:33.199+0000`: milliseconds and an offset without a colon [J16]. */
export const jiraTime = (ms: number): string => new Date(ms).toISOString().replace("Z", "+0000")

/** Plain text → Atlassian Document Format (one paragraph per line), as the v3 API returns rich-text fields. */
export const toAdf = (text: string) => ({
  type: "doc",
  version: 1,
  content: text
    .split("\n")
    .map((line) => ({ type: "paragraph", content: line === "" ? [] : [{ type: "text", text: line }] }))
})

/** Atlassian Document Format → plain text: the Jira adapter's reader. */
export const fromAdf = adfToText

/** The Jira emulator's state and the helpers its routes share (authentication is installed here). */
const jiraKit = (options: JiraEmulatorOptions) => {
  const email = options.email ?? "agent@example.com"
  const apiToken = options.apiToken ?? "jira-api-token"
  const project = options.project ?? "SUP"
  const core = new Core(
    {
      source: "jira",
      // [J10][J11]: 429 + Retry-After (s) + X-RateLimit-Reset (ISO) + RateLimit-Reason. The body is unverified.
      rateLimited: (res, s) => {
        const reset = `${new Date(Date.now() + s * 1000).toISOString().slice(0, 16)}Z`
        res
          .status(429)
          .set({ "Retry-After": String(s), "X-RateLimit-Reset": reset, "RateLimit-Reason": "jira-burst-based" })
          .json({ errorMessages: ["Rate limit exceeded."], errors: {} })
      },
      failure: (res, status, message) => {
        res.status(status).json({ errorMessages: [message], errors: {} })
      },
      // [J9]: API-token traffic stays under burst limits (per-second, not published); the emulator windows per minute.
      bucket: (req) => (req.path.startsWith("/rest/") ? { name: "burst", perMinute: 600 } : undefined),
      // [J13]: redelivered on 408, 409, 425, 429, 5xx and no answer, for up to about 30 minutes, with
      // `X-Atlassian-Webhook-Retry: <n>`; the schedule within those 30 minutes is unverified (1, 5, 10, 15 min here).
      retry: {
        retries: (status) => status === undefined || [408, 409, 425, 429].includes(status) || status >= 500,
        delaysMs: [60_000, 300_000, 600_000, 900_000],
        headers: (attempt) => ({ "x-atlassian-webhook-retry": String(attempt) })
      }
    },
    options
  )
  const issues = new Map<string, JiraIssue>()
  const byKey = new Map<string, JiraIssue>()
  const comments = new Map<string, Array<JiraComment>>()
  const ids = { nextId: 10001, nextNumber: 1, nextHistory: 10100, nextCommentId: 10_000 }

  // [J17]: Basic e-mail:API token. The 401 body is unverified.
  core.app.use("/rest", (req, res, next) => {
    const auth = basicAuth(req)
    if (auth === undefined || auth.user !== email || auth.password !== apiToken) {
      res.status(401).json({ errorMessages: ["Client must be authenticated to access this resource."], errors: {} })
      return
    }
    next()
  })

  const bad = (res: Response, message: string, errors: Record<string, string> = {}) =>
    res.status(400).json({ errorMessages: message === "" ? [] : [message], errors })

  const find = (req: Request, res: Response): JiraIssue | undefined => {
    const k = String(req.params["key"])
    const i = issues.get(k) ?? byKey.get(k)
    if (i === undefined)
      res
        .status(404)
        .json({ errorMessages: ["Issue does not exist or you do not have permission to see it."], errors: {} })
    return i
  }

  /** All fields, v3 style (`description` as ADF) or webhook style (plain text, as in the vendor's example [J16]). */
  const fields = (i: JiraIssue, adf: boolean): Record<string, unknown> => ({
    summary: i.summary,
    description: i.description === null ? null : adf ? toAdf(i.description) : i.description,
    status: { self: `https://example.atlassian.net/rest/api/3/status/${STATUS[i.status].id}`, ...STATUS[i.status] },
    priority: { name: i.priority, id: String(PRIORITIES.indexOf(i.priority) + 1) },
    issuetype: { name: i.issuetype },
    project: { key: project, name: "Support" },
    labels: i.labels,
    duedate: i.duedate,
    resolution: i.resolution === null ? null : { name: i.resolution },
    reporter: i.reporter,
    assignee: i.assignee === null ? null : { accountId: i.assignee, accountType: "atlassian", active: true },
    created: jiraTime(i.createdMs),
    updated: jiraTime(i.updatedMs)
  })

  const view = (i: JiraIssue, wanted: ReadonlyArray<string> | "all", changelog: boolean, adf = true) => {
    const all = fields(i, adf)
    const out: Record<string, unknown> = {
      id: i.id,
      key: i.key,
      self: `https://example.atlassian.net/rest/api/3/issue/${i.id}`
    }
    if (wanted === "all") out["fields"] = all
    else if (wanted.some((f) => f !== "id" && f !== "key"))
      out["fields"] = Object.fromEntries(wanted.filter((f) => f in all).map((f) => [f, all[f]]))
    // 🟡 [J3]: search embeds at most 20 changelog entries; `total` tells how many exist.
    if (changelog)
      out["changelog"] = { startAt: 0, maxResults: 20, total: i.histories.length, histories: i.histories.slice(0, 20) }
    return out
  }

  /** The admin webhook [J16][J13][J14]: `timestamp` (epoch ms), `user`, `issue` with fields, `changelog` on updates. */
  const send = (i: JiraIssue, event: "jira:issue_created" | "jira:issue_updated", history?: JiraHistory) => {
    core.emit(
      i.id,
      {
        timestamp: i.updatedMs,
        webhookEvent: event,
        issue_event_type_name: event === "jira:issue_created" ? "issue_created" : "issue_generic",
        user: { accountId: ACTOR.accountId, displayName: ACTOR.displayName, accountType: "atlassian", active: true },
        issue: {
          id: i.id,
          key: i.key,
          self: `https://example.atlassian.net/rest/api/2/issue/${i.id}`,
          fields: fields(i, false)
        },
        ...(history === undefined ? {} : { changelog: { id: history.id, items: history.items } })
      },
      { "x-atlassian-webhook-identifier": randomUUID(), "x-atlassian-webhook-flow": "Primary" }
    )
  }

  /** Record one change: bump `updated`, append the changelog entry (oldest first [J6]) and send the webhook. */
  const changed = (i: JiraIssue, items: JiraHistory["items"]) => {
    if (items.length === 0) return
    i.updatedMs = core.now()
    const h: JiraHistory = { id: String(ids.nextHistory++), created: jiraTime(i.updatedMs), author: ACTOR, items }
    i.histories.push(h)
    send(i, "jira:issue_updated", h)
  }

  const item = (
    field: string,
    from: string | null,
    to: string | null,
    fromId: string | null = null,
    toId: string | null = null
  ) => ({ field, fieldtype: "jira", fieldId: field, from: fromId, fromString: from, to: toId, toString: to })
  return { email, apiToken, project, core, issues, byKey, comments, ids, bad, find, fields, view, send, changed, item }
}

type JiraKit = ReturnType<typeof jiraKit>

const issueRoutes = (k: JiraKit): void => {
  const { project, core, issues, byKey, ids, bad, find, view, send, changed, item } = k
  core.app.post("/rest/api/3/issue", (req, res) => {
    // biome-ignore lint/suspicious/noExplicitAny: a Jira request's fields are free-form JSON, read field by field below
    const f = ((req.body ?? {}) as { fields?: Record<string, any> }).fields ?? {}
    if (f["project"]?.key !== project) return void bad(res, "", { project: "valid project is required" })
    if (typeof f["summary"] !== "string" || f["summary"] === "")
      return void bad(res, "", { summary: "You must specify a summary of the issue." })
    const type = f["issuetype"]?.name
    if (!TYPES.includes(type)) return void bad(res, "", { issuetype: "valid issue type is required" })
    const priority = f["priority"]?.name ?? "Medium"
    if (!PRIORITIES.includes(priority)) return void bad(res, "", { priority: "The priority selected is invalid." })
    const now = core.now()
    const i: JiraIssue = {
      id: String(ids.nextId++),
      key: `${project}-${ids.nextNumber++}`,
      summary: f["summary"],
      description: f["description"] === undefined ? null : (fromAdf(f["description"]) ?? null),
      status: "To Do",
      priority,
      issuetype: type,
      labels: Array.isArray(f["labels"]) ? f["labels"].map(String) : [],
      duedate: typeof f["duedate"] === "string" ? f["duedate"] : null,
      resolution: null,
      reporter: ACTOR,
      assignee: null,
      createdMs: now,
      updatedMs: now,
      histories: []
    }
    issues.set(i.id, i)
    byKey.set(i.key, i)
    send(i, "jira:issue_created")
    res.status(201).json({ id: i.id, key: i.key, self: `https://example.atlassian.net/rest/api/3/issue/${i.id}` })
  })

  core.app.get("/rest/api/3/issue/:key", (req, res) => {
    const i = find(req, res)
    if (i) res.json(view(i, "all", (q(req, "expand") ?? "").split(",").includes("changelog")))
  })

  core.app.put("/rest/api/3/issue/:key", (req, res) => {
    const i = find(req, res)
    if (i === undefined) return
    // biome-ignore lint/suspicious/noExplicitAny: a Jira request's fields are free-form JSON, read field by field below
    const f = ((req.body ?? {}) as { fields?: Record<string, any> }).fields ?? {}
    const items: Array<ReturnType<typeof item>> = []
    if (f["summary"] !== undefined) {
      if (typeof f["summary"] !== "string" || f["summary"] === "")
        return void bad(res, "", { summary: "You must specify a summary of the issue." })
      if (f["summary"] !== i.summary) items.push(item("summary", i.summary, f["summary"]))
    }
    if (f["description"] !== undefined && (f["description"] === null || typeof f["description"] !== "object")) {
      return void bad(res, "", {
        description: "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
      })
    }
    if (f["priority"] !== undefined && !PRIORITIES.includes(f["priority"]?.name))
      return void bad(res, "", { priority: "The priority selected is invalid." })
    if (
      f["labels"] !== undefined &&
      !(Array.isArray(f["labels"]) && f["labels"].every((l: unknown) => typeof l === "string" && !/\s/.test(l)))
    ) {
      return void bad(res, "", { labels: "The label must not contain spaces." })
    }
    if (f["summary"] !== undefined) i.summary = f["summary"]
    if (f["description"] !== undefined) {
      const text = fromAdf(f["description"]) ?? null
      if (text !== i.description) items.push(item("description", i.description, text))
      i.description = text
    }
    if (f["priority"] !== undefined && f["priority"].name !== i.priority) {
      items.push(item("priority", i.priority, f["priority"].name))
      i.priority = f["priority"].name
    }
    if (f["labels"] !== undefined && JSON.stringify(f["labels"]) !== JSON.stringify(i.labels)) {
      items.push(item("labels", i.labels.join(" "), f["labels"].join(" ")))
      i.labels = [...f["labels"]]
    }
    changed(i, items)
    res.status(204).end()
  })
}

const commentAndTransitionRoutes = (k: JiraKit): void => {
  const { core, comments, ids, bad, find, changed, item } = k
  // [J8]: `POST /rest/servicedeskapi/request/{issueIdOrKey}/comment {body, public}`; 201 with the comment. The
  // `comment_created` webhook is not emulated (Workbridge registers for issue events only).
  core.app.post("/rest/servicedeskapi/request/:key/comment", (req, res) => {
    const i = find(req, res)
    if (i === undefined) return
    const b = (req.body ?? {}) as Record<string, unknown>
    if (typeof b["body"] !== "string" || b["body"] === "") return void bad(res, "The comment body is required.")
    if (b["public"] !== undefined && typeof b["public"] !== "boolean") return void bad(res, "public must be a boolean.")
    const comment: JiraComment = {
      id: String(ids.nextCommentId++),
      body: b["body"],
      public: b["public"] !== false,
      createdMs: core.now()
    }
    comments.set(i.id, [...(comments.get(i.id) ?? []), comment])
    res
      .status(201)
      .json({ id: comment.id, body: comment.body, public: comment.public, created: { epochMillis: comment.createdMs } })
  })

  core.app.get("/rest/servicedeskapi/request/:key/comment", (req, res) => {
    const i = find(req, res)
    if (i) {
      const values = (comments.get(i.id) ?? []).map((c) => ({
        id: c.id,
        body: c.body,
        public: c.public,
        created: { epochMillis: c.createdMs }
      }))
      res.json({ size: values.length, start: 0, limit: 50, isLastPage: true, values })
    }
  })

  // [J6]: GET lists the transitions available from the current status; POST applies one and answers 204 with no body.
  core.app.get("/rest/api/3/issue/:key/transitions", (req, res) => {
    const i = find(req, res)
    if (i)
      res.json({
        transitions: TRANSITIONS.filter((t) => t.to !== i.status).map((t) => ({
          id: t.id,
          name: t.name,
          to: STATUS[t.to],
          isAvailable: true
        }))
      })
  })

  // [J6b]: `PUT /rest/api/3/issue/{issueIdOrKey}/assignee {accountId}`: an account id assigns, null unassigns
  // ("-1", the project's default assignee, is not emulated); 204. Whether the account exists and may be assigned is
  // not checked (a real site answers 400 or 404: unverified). The change is an `assignee` changelog item.
  core.app.put("/rest/api/3/issue/:key/assignee", (req, res) => {
    const i = find(req, res)
    if (i === undefined) return
    const body = (req.body ?? {}) as { accountId?: unknown }
    const accountId = body.accountId
    if (!("accountId" in body) || (accountId !== null && (typeof accountId !== "string" || accountId === "")))
      return void bad(res, "", { assignee: "Specify a valid value for assignee." })
    if (accountId === "-1") return void bad(res, "", { assignee: "The default assignee is not emulated." })
    const to = accountId as string | null
    if (to !== i.assignee) {
      const items = [item("assignee", i.assignee, to, i.assignee, to)]
      i.assignee = to
      changed(i, items)
    }
    res.status(204).end()
  })

  core.app.post("/rest/api/3/issue/:key/transitions", (req, res) => {
    const i = find(req, res)
    if (i === undefined) return
    const id = ((req.body ?? {}) as { transition?: { id?: unknown } }).transition?.id
    const t = TRANSITIONS.find((x) => x.id === String(id) && x.to !== i.status)
    if (t === undefined) return void bad(res, "Transition id is not valid for this issue.")
    const items = [item("status", i.status, t.to, STATUS[i.status].id, STATUS[t.to].id)]
    const resolution = t.to === "Done" ? "Done" : null
    if (resolution !== i.resolution)
      items.push(
        item(
          "resolution",
          i.resolution,
          resolution,
          i.resolution === null ? null : "10000",
          resolution === null ? null : "10000"
        )
      )
    i.status = t.to
    i.resolution = resolution
    changed(i, items)
    res.status(204).end()
  })
}

const readRoutes = (k: JiraKit): void => {
  const { project, core, issues, bad, find, view } = k
  // [J6]: the changelog, paginated, oldest first.
  core.app.get("/rest/api/3/issue/:key/changelog", (req, res) => {
    const i = find(req, res)
    if (i === undefined) return
    const startAt = Number(q(req, "startAt") ?? 0)
    const maxResults = Math.min(100, Number(q(req, "maxResults") ?? 100))
    if (!Number.isInteger(startAt) || startAt < 0 || !Number.isInteger(maxResults) || maxResults < 1)
      return void bad(res, "startAt and maxResults must be whole numbers")
    const values = i.histories.slice(startAt, startAt + maxResults)
    res.json({
      self: "",
      maxResults,
      startAt,
      total: i.histories.length,
      isLast: startAt + values.length >= i.histories.length,
      values
    })
  })

  // 🟡 [J19]: the removed search endpoints answer 410 Gone.
  core.app.all(["/rest/api/3/search", "/rest/api/2/search"], (_req, res) => {
    res.status(410).json({
      errorMessages: ["The requested API has been removed. Please migrate to the /rest/api/3/search/jql API."],
      errors: {}
    })
  })

  const search = (
    _req: Request,
    res: Response,
    p: { jql?: unknown; nextPageToken?: unknown; maxResults?: unknown; fields?: unknown; expand?: unknown }
  ) => {
    if (typeof p.jql !== "string") return void bad(res, "The JQL query is missing.")
    const parsed = parseJql(p.jql, project)
    if (typeof parsed === "string") return void bad(res, parsed)
    const wanted: ReadonlyArray<string> = Array.isArray(p.fields)
      ? p.fields.map(String)
      : typeof p.fields === "string"
        ? p.fields.split(",")
        : ["id"]
    const idOnly = wanted.every((f) => f === "id" || f === "key")
    const max = Math.min(idOnly ? 5000 : 100, p.maxResults === undefined ? 50 : Number(p.maxResults))
    if (!Number.isInteger(max) || max < 1) return void bad(res, "maxResults must be a positive whole number")
    let offset = 0
    if (typeof p.nextPageToken === "string" && p.nextPageToken !== "") {
      const t = decodeToken(p.nextPageToken)
      // [J1]: the token expires in 7 days.
      if (t === undefined || t.jql !== p.jql || core.now() - t.issuedAt > TOKEN_TTL_MS)
        return void bad(res, "The provided next page token is invalid or expired.")
      offset = t.offset
    }
    const rows = [...issues.values()].filter(parsed.filter).sort(parsed.order)
    const page = rows.slice(offset, offset + max)
    const isLast = offset + page.length >= rows.length
    const all = wanted.includes("*all") || wanted.includes("*navigable")
    const expand = Array.isArray(p.expand)
      ? p.expand.map(String)
      : typeof p.expand === "string"
        ? p.expand.split(",")
        : []
    res.json({
      issues: page.map((i) => view(i, all ? "all" : wanted, expand.includes("changelog"))),
      ...(isLast
        ? {}
        : { nextPageToken: encodeToken({ offset: offset + page.length, jql: p.jql, issuedAt: core.now() }) }),
      isLast
    })
  }
  core.app.get("/rest/api/3/search/jql", (req, res) => {
    search(req, res, {
      jql: q(req, "jql"),
      nextPageToken: q(req, "nextPageToken"),
      maxResults: q(req, "maxResults"),
      fields: q(req, "fields"),
      expand: q(req, "expand")
    })
  })
  core.app.post("/rest/api/3/search/jql", (req, res) => search(req, res, (req.body ?? {}) as Record<string, unknown>))
}

export const startJiraEmulator = async (options: JiraEmulatorOptions = {}): Promise<JiraEmulator> => {
  const k = jiraKit(options)
  issueRoutes(k)
  commentAndTransitionRoutes(k)
  readRoutes(k)
  const running = await listen(k.core)
  return { ...running, core: k.core, issues: k.issues, comments: k.comments }
}

const encodeToken = (t: { offset: number; jql: string; issuedAt: number }) =>
  Buffer.from(JSON.stringify(t), "utf8").toString("base64url")
const decodeToken = (s: string): { offset: number; jql: string; issuedAt: number } | undefined => {
  try {
    const t = JSON.parse(Buffer.from(s, "base64url").toString("utf8")) as {
      offset?: unknown
      jql?: unknown
      issuedAt?: unknown
    }
    return typeof t.offset === "number" && typeof t.jql === "string" && typeof t.issuedAt === "number"
      ? { offset: t.offset, jql: t.jql, issuedAt: t.issuedAt }
      : undefined
  } catch {
    return undefined
  }
}

/**
 * The JQL the emulator understands: clauses joined by AND — `project = KEY`, `key = KEY-1`, `updated >= "yyyy-MM-dd HH:mm"`
 * (also `>`, `<=`, `<`; minute precision, UTC: the user's zone is unverified) — then `ORDER BY updated|created|key
 * ASC|DESC`. A query without a restriction is refused, as Jira refuses unbounded JQL (🟡 [J3]).
 */
export const parseJql = (
  jql: string,
  project: string
): { filter: (i: JiraIssue) => boolean; order: (a: JiraIssue, b: JiraIssue) => number } | string => {
  const [where = "", orderBy] = jql.split(/\s+ORDER\s+BY\s+/i)
  const tests: Array<(i: JiraIssue) => boolean> = []
  for (const raw of where.split(/\s+AND\s+/i)) {
    const clause = raw
      .trim()
      .replace(/^\((.*)\)$/, "$1")
      .trim()
    if (clause === "") continue
    let m: RegExpExecArray | null
    if ((m = /^project\s*=\s*"?([A-Z][A-Z0-9_]*)"?$/i.exec(clause))) {
      const key = m[1]!.toUpperCase()
      tests.push(() => key === project)
    } else if ((m = /^key\s*=\s*"?([A-Z][A-Z0-9_]*-\d+)"?$/i.exec(clause))) {
      const key = m[1]!.toUpperCase()
      tests.push((i) => i.key === key)
    } else if (
      (m = /^(updated|created)\s*(>=|<=|>|<)\s*"(\d{4})[-/](\d{2})[-/](\d{2}) (\d{2}):(\d{2})"$/i.exec(clause))
    ) {
      const [, field, op, y, mo, d, h, mi] = m as unknown as [
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string
      ]
      const at = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi))
      const get = (i: JiraIssue) =>
        Math.floor((field.toLowerCase() === "updated" ? i.updatedMs : i.createdMs) / 60_000) * 60_000
      tests.push((i) =>
        op === ">=" ? get(i) >= at : op === ">" ? get(i) > at : op === "<=" ? get(i) <= at : get(i) < at
      )
    } else {
      return `Error in the JQL Query: the emulator does not understand '${clause}'.`
    }
  }
  if (tests.length === 0)
    return "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
  const orders: Array<{ key: (i: JiraIssue) => number; desc: boolean }> = []
  for (const part of (orderBy ?? "created DESC").split(",")) {
    const m = /^\s*(updated|created|key|id)\s*(ASC|DESC)?\s*$/i.exec(part)
    if (m === null) return `Error in the JQL Query: cannot order by '${part.trim()}'.`
    const f = m[1]!.toLowerCase()
    const key =
      f === "updated"
        ? (i: JiraIssue) => i.updatedMs
        : f === "created"
          ? (i: JiraIssue) => i.createdMs
          : (i: JiraIssue) => Number(i.id)
    orders.push({ key, desc: (m[2] ?? "ASC").toUpperCase() === "DESC" })
  }
  return {
    filter: (i) => tests.every((t) => t(i)),
    order: (a, b) => {
      for (const o of orders) {
        const d = o.key(a) - o.key(b)
        if (d !== 0) return o.desc ? -d : d
      }
      return Number(a.id) - Number(b.id)
    }
  }
}
