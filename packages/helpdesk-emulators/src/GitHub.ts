/**
 * GitHub Issues emulator: one repository whose issues are created and changed through `POST`/`PATCH
 * /repos/{owner}/{repo}/issues[/{number}]` and listed with `since`, `state`, `sort`, `direction`, `per_page`, `page`
 * and a `link` header; every change sends the `issues` webhook signed with `X-Hub-Signature-256`. Rules and sources:
 * README.md#github.
 */
import { randomUUID } from "node:crypto"
import type { Request, Response } from "express"
import { type CoreOptions, Core, type Running, isoSeconds, listen, q, selfUrl } from "./internal/core.js"

export interface GitHubIssue {
  id: number
  node_id: string
  number: number
  title: string
  body: string | null
  state: "open" | "closed"
  state_reason: string | null
  labels: Array<{ id: number; name: string; color: string; default: boolean }>
  user: { login: string; id: number; type: string }
  /** [G5]: the assignees (the first is also `assignee`); set as a whole by `PATCH … {assignees: [login]}`. */
  assignees: Array<{ login: string; id: number; type: string }>
  assignee: { login: string; id: number; type: string } | null
  comments: number
  created_at: string
  updated_at: string
  closed_at: string | null
  pull_request?: { url: string }
}

export interface GitHubEmulatorOptions extends CoreOptions {
  /** `owner/repo` the emulator serves; default `octo-org/helpdesk`. */
  readonly repository?: string
  /** The personal access token accepted as `Authorization: Bearer` or `token`; default `github-pat`. */
  readonly token?: string
  /** The login the token belongs to (`sender.login`, `user.login` of created issues); default `workbridge-bot`. */
  readonly login?: string
}

/** A comment added with `POST …/issues/{n}/comments` ([G5]: the body only; GitHub has no private comments). */
export interface GitHubComment {
  readonly id: number
  readonly body: string
  readonly user: { readonly login: string }
  readonly created_at: string
  readonly updated_at: string
}

export interface GitHubEmulator extends Running {
  readonly core: Core
  readonly issues: Map<number, GitHubIssue>
  /** Each issue's comments, oldest first. */
  readonly comments: Map<number, Array<GitHubComment>>
  readonly repository: string
}

const DOCS = "https://docs.github.com/rest"

/** The GitHub emulator's state and the helpers its routes share (authentication is installed here). */
const gitHubKit = (options: GitHubEmulatorOptions) => {
  const repository = options.repository ?? "octo-org/helpdesk"
  const [owner, repo] = repository.split("/") as [string, string]
  const token = options.token ?? "github-pat"
  const login = options.login ?? "workbridge-bot"
  const core = new Core(
    {
      source: "github",
      // [G1]: a secondary limit answers 403 or 429 with a message and optionally retry-after; this answers 429.
      rateLimited: (res, s) => {
        res
          .status(429)
          .set("retry-after", String(s))
          .json({
            message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
            documentation_url: `${DOCS}/overview/rate-limits-for-the-rest-api`,
            status: "429"
          })
      },
      failure: (res, status, message) => {
        res.status(status).json({ message, documentation_url: DOCS, status: String(status) })
      },
      // [G1]: the primary limit is per hour (5000 for a PAT); the emulator windows per minute (5000/60 ≈ 83).
      bucket: (req) => (req.path.startsWith("/repos/") ? { name: "core", perMinute: 83 } : undefined),
      limitHeaders: (res, limit, remaining, reset) => {
        res.set({
          "x-ratelimit-limit": String(limit),
          "x-ratelimit-remaining": String(remaining),
          "x-ratelimit-used": String(limit - remaining),
          "x-ratelimit-reset": String(reset),
          "x-ratelimit-resource": "core"
        })
      }
    },
    options
  )
  const issues = new Map<number, GitHubIssue>()
  const labelIds = new Map<string, number>()
  const comments = new Map<number, Array<GitHubComment>>()
  const ids = { nextNumber: 1, nextLabelId: 1, nextCommentId: 1 }
  const sender = { login, id: 4242, type: "Bot" }
  const repositoryBody = {
    id: 186853002,
    name: repo,
    full_name: repository,
    private: true,
    owner: { login: owner, id: 21031067, type: "Organization" }
  }

  // [G12]: PAT as `Authorization: Bearer <token>` (the older `token <token>` form is accepted too).
  core.app.use("/repos", (req, res, next) => {
    const h = req.headers.authorization ?? ""
    const m = /^(?:bearer|token)\s+(.+)$/i.exec(h)
    if (m === null || m[1] !== token) {
      res.status(401).json({ message: "Bad credentials", documentation_url: DOCS, status: "401" })
      return
    }
    next()
  })

  const api = (i: GitHubIssue) => ({
    url: `https://api.github.com/repos/${repository}/issues/${i.number}`,
    html_url: `https://github.com/${repository}/issues/${i.number}`,
    ...i
  })

  /** [G7]: `issues` event, `X-GitHub-Delivery` a GUID, `sender` the acting user. */
  const send = (i: GitHubIssue, action: string, extra: Record<string, unknown> = {}) => {
    core.emit(
      `${repository}#${i.number}`,
      { action, issue: api(i), ...extra, repository: repositoryBody, sender },
      {
        "user-agent": "GitHub-Hookshot/emulator",
        "x-github-event": "issues",
        "x-github-delivery": randomUUID(),
        "x-github-hook-id": "1",
        "x-github-hook-installation-target-type": "repository"
      }
    )
  }

  const repoGuard = (req: Request, res: Response): boolean => {
    if (req.params["owner"] !== owner || req.params["repo"] !== repo) {
      res.status(404).json({ message: "Not Found", documentation_url: DOCS, status: "404" })
      return false
    }
    return true
  }

  const invalid = (res: Response, field: string, code: string) =>
    res.status(422).json({
      message: "Validation Failed",
      errors: [{ resource: "Issue", code, field }],
      documentation_url: DOCS,
      status: "422"
    })

  const labelsOf = (names: ReadonlyArray<string>) =>
    names.map((name) => {
      let id = labelIds.get(name)
      if (id === undefined) labelIds.set(name, (id = ids.nextLabelId++))
      return { id, name, color: "ededed", default: false }
    })
  return {
    repository,
    owner,
    repo,
    token,
    login,
    core,
    issues,
    labelIds,
    comments,
    ids,
    sender,
    repositoryBody,
    api,
    send,
    repoGuard,
    invalid,
    labelsOf
  }
}

type GitHubKit = ReturnType<typeof gitHubKit>

const writeRoutes = (k: GitHubKit): void => {
  const { core, issues, comments, ids, sender, api, send, repoGuard, invalid, labelsOf } = k
  core.app.post("/repos/:owner/:repo/issues", (req, res) => {
    if (!repoGuard(req, res)) return
    const b = (req.body ?? {}) as Record<string, unknown>
    if (typeof b["title"] !== "string" || b["title"] === "") return void invalid(res, "title", "missing_field")
    if (b["labels"] !== undefined && !(Array.isArray(b["labels"]) && b["labels"].every((l) => typeof l === "string")))
      return void invalid(res, "labels", "invalid")
    const now = isoSeconds(core.now())
    const n = ids.nextNumber++
    const issue: GitHubIssue = {
      id: 444500000 + n,
      node_id: Buffer.from(`I_${n}`).toString("base64"),
      number: n,
      title: b["title"],
      body: typeof b["body"] === "string" ? b["body"] : null,
      state: "open",
      state_reason: null,
      labels: labelsOf((b["labels"] as Array<string> | undefined) ?? []),
      user: { ...sender },
      assignees: [],
      assignee: null,
      comments: 0,
      created_at: now,
      updated_at: now,
      closed_at: null
    }
    issues.set(n, issue)
    send(issue, "opened")
    res.status(201).location(api(issue).url).json(api(issue))
  })

  const find = (req: Request, res: Response): GitHubIssue | undefined => {
    if (!repoGuard(req, res)) return undefined
    const i = issues.get(Number(req.params["number"]))
    if (i === undefined) res.status(404).json({ message: "Not Found", documentation_url: DOCS, status: "404" })
    return i
  }

  core.app.get("/repos/:owner/:repo/issues/:number", (req, res) => {
    const i = find(req, res)
    if (i) res.set("etag", `W/"${i.number}-${i.updated_at}"`).json(api(i))
  })

  // [G5]: a comment takes `body` only and counts in the issue's `comments`. The `issue_comment` webhook GitHub sends
  // for it is not emulated (Workbridge subscribes to `issues` only), and whether the issue's `updated_at` moves is
  // unverified: the emulator leaves it.
  core.app.post("/repos/:owner/:repo/issues/:number/comments", (req, res) => {
    const i = find(req, res)
    if (i === undefined) return
    const b = (req.body ?? {}) as Record<string, unknown>
    if (typeof b["body"] !== "string" || b["body"] === "") return void invalid(res, "body", "missing_field")
    const now = isoSeconds(core.now())
    const comment: GitHubComment = {
      id: ids.nextCommentId++,
      body: b["body"],
      user: { login: sender.login },
      created_at: now,
      updated_at: now
    }
    comments.set(i.number, [...(comments.get(i.number) ?? []), comment])
    i.comments += 1
    res.status(201).json(comment)
  })

  core.app.get("/repos/:owner/:repo/issues/:number/comments", (req, res) => {
    const i = find(req, res)
    if (i) res.json(comments.get(i.number) ?? [])
  })

  // [G5]: state_reason is ignored unless state changes; labels replace the whole set.
  core.app.patch("/repos/:owner/:repo/issues/:number", (req, res) => {
    const i = find(req, res)
    if (i === undefined) return
    const b = (req.body ?? {}) as Record<string, unknown>
    if (b["state"] !== undefined && b["state"] !== "open" && b["state"] !== "closed")
      return void invalid(res, "state", "invalid")
    if (
      b["state_reason"] !== undefined &&
      !["completed", "not_planned", "reopened", null].includes(b["state_reason"] as string)
    )
      return void invalid(res, "state_reason", "invalid")
    if (b["title"] !== undefined && (typeof b["title"] !== "string" || b["title"] === ""))
      return void invalid(res, "title", "invalid")
    if (b["labels"] !== undefined && !(Array.isArray(b["labels"]) && b["labels"].every((l) => typeof l === "string")))
      return void invalid(res, "labels", "invalid")
    // [G5]: `assignees` replaces the set. Whether each login may be assigned (a collaborator) is not checked: GitHub
    // drops logins it cannot assign without an error when the caller lacks push access (unverified otherwise).
    const login = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/
    if (
      b["assignees"] !== undefined &&
      !(Array.isArray(b["assignees"]) && b["assignees"].every((l) => typeof l === "string" && login.test(l)))
    )
      return void invalid(res, "assignees", "invalid")
    const actions: Array<[string, Record<string, unknown>]> = []
    const changes: Record<string, { from: unknown }> = {}
    if (typeof b["title"] === "string" && b["title"] !== i.title) {
      changes["title"] = { from: i.title }
      i.title = b["title"]
    }
    if (b["body"] !== undefined && b["body"] !== i.body) {
      changes["body"] = { from: i.body }
      i.body = typeof b["body"] === "string" ? b["body"] : null
    }
    if (Object.keys(changes).length > 0) actions.push(["edited", { changes }])
    if (Array.isArray(b["labels"])) {
      const want = b["labels"] as Array<string>
      const have = i.labels.map((l) => l.name)
      for (const gone of have.filter((n) => !want.includes(n)))
        actions.push(["unlabeled", { label: labelsOf([gone])[0] }])
      for (const added of want.filter((n) => !have.includes(n)))
        actions.push(["labeled", { label: labelsOf([added])[0] }])
      i.labels = labelsOf(want)
    }
    if (Array.isArray(b["assignees"])) {
      const want = b["assignees"] as Array<string>
      const have = i.assignees.map((a) => a.login.toLowerCase())
      const user = (l: string) => ({
        login: l,
        id: 5000 + [...l].reduce((n, c) => n + c.charCodeAt(0), 0),
        type: "User"
      })
      const gone = i.assignees.filter((a) => !want.some((w) => w.toLowerCase() === a.login.toLowerCase()))
      const added = want.filter((w) => !have.includes(w.toLowerCase()))
      i.assignees = want.map(user)
      i.assignee = i.assignees[0] ?? null
      // [G7]: one `unassigned` / `assigned` event per login, naming it in `assignee`.
      for (const a of gone) actions.push(["unassigned", { assignee: a }])
      for (const a of added) actions.push(["assigned", { assignee: user(a) }])
    }
    const now = isoSeconds(core.now())
    if (b["state"] !== undefined && b["state"] !== i.state) {
      i.state = b["state"] as "open" | "closed"
      if (i.state === "closed") {
        i.state_reason = (b["state_reason"] as string | undefined) ?? "completed"
        i.closed_at = now
        actions.push(["closed", {}])
      } else {
        i.state_reason = "reopened"
        i.closed_at = null
        actions.push(["reopened", {}])
      }
    }
    if (actions.length > 0) {
      i.updated_at = now
      for (const [action, extra] of actions) send(i, action, extra)
    }
    res.json(api(i))
  })
}

const listRoute = (k: GitHubKit): void => {
  const { core, issues, api, repoGuard, invalid } = k
  // [G5][G4]: state (default open), since (updated at or after), sort (default created), direction (default desc),
  // per_page ≤100 (default 30), page; link header with next/prev/first/last.
  core.app.get("/repos/:owner/:repo/issues", (req, res) => {
    if (!repoGuard(req, res)) return
    const state = q(req, "state") ?? "open"
    const sort = q(req, "sort") ?? "created"
    const direction = q(req, "direction") ?? "desc"
    const perPage = Number(q(req, "per_page") ?? 30)
    const page = Number(q(req, "page") ?? 1)
    const since = q(req, "since")
    if (
      !["open", "closed", "all"].includes(state) ||
      !["created", "updated", "comments"].includes(sort) ||
      !["asc", "desc"].includes(direction)
    ) {
      return void invalid(res, "state/sort/direction", "invalid")
    }
    if (!Number.isInteger(perPage) || perPage < 1 || !Number.isInteger(page) || page < 1)
      return void invalid(res, "per_page/page", "invalid")
    const sinceMs = since === undefined ? undefined : Date.parse(since)
    if (sinceMs !== undefined && Number.isNaN(sinceMs)) return void invalid(res, "since", "invalid")
    const size = Math.min(100, perPage)
    const key = (i: GitHubIssue) =>
      sort === "updated" ? Date.parse(i.updated_at) : sort === "comments" ? i.comments : Date.parse(i.created_at)
    const rows = [...issues.values()]
      .filter((i) => state === "all" || i.state === state)
      .filter((i) => sinceMs === undefined || Date.parse(i.updated_at) >= sinceMs)
      .sort((a, b) =>
        direction === "asc" ? key(a) - key(b) || a.number - b.number : key(b) - key(a) || b.number - a.number
      )
    const last = Math.max(1, Math.ceil(rows.length / size))
    const link = (p: number, rel: string) =>
      `<${selfUrl(req, req.path, { state: q(req, "state"), sort: q(req, "sort"), direction: q(req, "direction"), since, per_page: q(req, "per_page"), page: p })}>; rel="${rel}"`
    const links: Array<string> = []
    if (page < last) links.push(link(page + 1, "next"), link(last, "last"))
    if (page > 1) links.push(link(1, "first"), link(page - 1, "prev"))
    if (links.length > 0) res.set("link", links.join(", "))
    res.json(rows.slice((page - 1) * size, page * size).map(api))
  })
}

export const startGitHubEmulator = async (options: GitHubEmulatorOptions = {}): Promise<GitHubEmulator> => {
  const k = gitHubKit(options)
  writeRoutes(k)
  listRoute(k)
  const running = await listen(k.core)
  return { ...running, core: k.core, issues: k.issues, repository: k.repository, comments: k.comments }
}
