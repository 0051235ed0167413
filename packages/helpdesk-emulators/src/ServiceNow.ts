/**
 * ServiceNow Table API emulator for `incident`: records created and changed through `POST`/`PATCH`/`PUT
 * /api/now/table/incident[/{sys_id}]` and listed with `sysparm_query` (`>=`, `>`, `=`, `^`, `ORDERBY`,
 * `ORDERBYDESC`), `sysparm_limit`, `sysparm_offset`, `sysparm_fields`, `Link` and `X-Total-Count`; every change runs
 * the after insert/update business rule of docs/helpdesks.md (POST `{table, operation, changed_fields, record}`,
 * HTTP Basic or a token header, no signature). Rules and sources: README.md#servicenow.
 */
import { SERVICENOW_PRIORITY_MATRIX, SERVICENOW_RECORD_FIELDS } from "@workbridge/adapters"
import { createHash } from "node:crypto"
import type { Request, Response } from "express"
import { type CoreOptions, Core, type Running, basicAuth, listen, q, selfUrl } from "./internal/core.js"

/** An incident as the Table API returns it with `sysparm_display_value=false`: every value a string. */
export type Incident = Record<string, string>

export interface ServiceNowEmulatorOptions extends CoreOptions {
  /** Basic credentials of the integration user; default `workbridge` / `servicenow-password`. */
  readonly user?: string
  readonly password?: string
}

export interface ServiceNowEmulator extends Running {
  readonly core: Core
  readonly incidents: Map<string, Incident>
}

const WRITABLE = [
  "short_description",
  "description",
  "state",
  "impact",
  "urgency",
  "category",
  "caller_id",
  "sla_due",
  "close_code",
  "close_notes",
  "hold_reason",
  "work_notes",
  "comments",
  "assignment_group",
  "assigned_to"
]
const STATES = new Set(["1", "2", "3", "6", "7", "8"])
/** Journal fields: written by PATCH, read back empty on the record (the vendor examples show `""`). */
const JOURNAL = new Set(["work_notes", "comments"])

/** `YYYY-MM-DD HH:MM:SS` in UTC, the Table API's raw date-time format [S1]. */
const glideTime = (ms: number): string => new Date(ms).toISOString().slice(0, 19).replace("T", " ")

/** The ServiceNow emulator's state and the helpers its routes share (authentication is installed here). */
const serviceNowKit = (options: ServiceNowEmulatorOptions) => {
  const user = options.user ?? "workbridge"
  const password = options.password ?? "servicenow-password"
  const core = new Core(
    {
      source: "servicenow",
      // [S2]: 429, a retry-after header in seconds, and this error body.
      rateLimited: (res, s) => {
        res
          .status(429)
          .set("Retry-After", String(s))
          .json({
            error: {
              message: "Rate limit exceeded",
              detail: "Rate limit of 10 requests per hour for Table API exceeded"
            },
            status: "failure"
          })
      },
      failure: (res, status, message) => {
        res.status(status).json({ error: { message, detail: null }, status: "failure" })
      },
      // [S2]: rules are per hour and admin-defined; the emulator windows per minute (default 1000/min).
      bucket: (req) => (req.path.startsWith("/api/now/") ? { name: "table", perMinute: 1000 } : undefined),
      limitHeaders: (res, limit, _remaining, reset) => {
        res.set({
          "X-RateLimit-Limit": String(limit),
          "X-RateLimit-Reset": String(reset),
          "X-RateLimit-Rule": "e1d4a7b3db1d2010emulator0000000"
        })
      }
    },
    options
  )
  const incidents = new Map<string, Incident>()
  const ids = { nextNumber: 10001 }
  const journal: Array<{
    element: string
    element_id: string
    value: string
    sys_created_on: string
    sys_created_by: string
  }> = []

  const fail = (res: Response, status: number, message: string, detail: string | null = null) =>
    res.status(status).json({ error: { message, detail }, status: "failure" })

  // [S1]: Basic user:password. 401 body: seen in vendor answers, not in the sources (unverified).
  core.app.use("/api/now", (req, res, next) => {
    const auth = basicAuth(req)
    if (auth === undefined || auth.user !== user || auth.password !== password)
      return void fail(res, 401, "User Not Authenticated", "Required to provide Auth information")
    next()
  })

  const sysId = (n: number) => createHash("md5").update(`incident-${n}`).digest("hex")

  const send = (r: Incident, operation: "insert" | "update", changed: ReadonlyArray<string>) => {
    const record: Record<string, string> = {}
    for (const f of SERVICENOW_RECORD_FIELDS) record[f] = r[f] ?? ""
    core.emit(r["number"]!, { table: "incident", operation, changed_fields: changed, record })
  }

  /** Apply writable fields (strings only); returns the changed field names or an error text. */
  const apply = (r: Incident, body: Record<string, unknown>): Array<string> | string => {
    const changed: Array<string> = []
    for (const [k, v] of Object.entries(body)) {
      // [S1]: sys_* fields are read-only; unknown fields are ignored.
      if (!WRITABLE.includes(k)) continue
      if (typeof v !== "string") return `${k} must be a string`
      if (k === "state" && !STATES.has(v)) return `state must be one of ${[...STATES].join(", ")}`
      if (JOURNAL.has(k)) {
        if (v !== "") {
          journal.push({
            element: k,
            element_id: r["sys_id"]!,
            value: v,
            sys_created_on: glideTime(core.now()),
            sys_created_by: user
          })
          changed.push(k)
        }
        continue
      }
      if (r[k] !== v) {
        const reopened = k === "state" && ["6", "7"].includes(r[k] ?? "") && !["6", "7", "8"].includes(v)
        r[k] = v
        changed.push(k)
        if (reopened) {
          r["reopen_count"] = String(Number(r["reopen_count"] ?? "0") + 1)
          changed.push("reopen_count")
        }
      }
    }
    const priority = SERVICENOW_PRIORITY_MATRIX[`${r["impact"]}/${r["urgency"]}`] ?? r["priority"] ?? "4"
    if (priority !== r["priority"]) {
      r["priority"] = priority
      changed.push("priority")
    }
    r["incident_state"] = r["state"]!
    r["active"] = ["6", "7", "8"].includes(r["state"]!) ? "false" : "true"
    return changed
  }

  const view = (r: Incident, fields: ReadonlyArray<string> | undefined): Incident => {
    if (fields === undefined) return { ...r }
    const out: Incident = {}
    for (const f of fields) if (r[f] !== undefined) out[f] = r[f]
    return out
  }

  const fieldsOf = (req: Request) =>
    q(req, "sysparm_fields")
      ?.split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "")

  const table = ["/api/now/table/incident", "/api/now/v2/table/incident"]
  const record = table.map((t) => `${t}/:sys_id`)
  return { user, password, core, incidents, ids, journal, fail, sysId, send, apply, view, fieldsOf, table, record }
}

type ServiceNowKit = ReturnType<typeof serviceNowKit>

const incidentRoutes = (k: ServiceNowKit): void => {
  const { user, core, incidents, ids, journal, fail, sysId, send, apply, view, fieldsOf, table, record } = k
  core.app.post(table, (req, res) => {
    const n = ids.nextNumber++
    const now = glideTime(core.now())
    const r: Incident = {
      sys_id: sysId(n),
      number: `INC00${n}`,
      sys_class_name: "incident",
      sys_created_on: now,
      sys_created_by: user,
      sys_updated_on: now,
      sys_updated_by: user,
      sys_mod_count: "0",
      state: "1",
      incident_state: "1",
      impact: "3",
      urgency: "3",
      priority: "5",
      category: "inquiry",
      short_description: "",
      description: "",
      caller_id: "",
      sla_due: "",
      made_sla: "true",
      close_code: "",
      close_notes: "",
      work_notes: "",
      comments: "",
      reopen_count: "0",
      active: "true"
    }
    const changed = apply(r, (req.body ?? {}) as Record<string, unknown>)
    if (typeof changed === "string") return void fail(res, 400, "Invalid value", changed)
    incidents.set(r["sys_id"]!, r)
    send(r, "insert", changed)
    res
      .status(201)
      .location(`/api/now/table/incident/${r["sys_id"]}`)
      .json({ result: view(r, undefined) })
  })

  core.app.get(record, (req, res) => {
    const r = incidents.get(String(req.params["sys_id"]))
    if (r === undefined)
      return void fail(res, 404, "No Record found", "Record doesn't exist or ACL restricts the record retrieval")
    res.json({ result: view(r, fieldsOf(req)) })
  })

  const update = (req: Request, res: Response) => {
    const r = incidents.get(String(req.params["sys_id"]))
    if (r === undefined)
      return void fail(res, 404, "No Record found", "Record doesn't exist or ACL restricts the record retrieval")
    const copy = { ...r }
    const changed = apply(copy, (req.body ?? {}) as Record<string, unknown>)
    if (typeof changed === "string") return void fail(res, 400, "Invalid value", changed)
    if (changed.length > 0) {
      // [S1]: sys_mod_count goes up with each update; sys_updated_on has second precision.
      copy["sys_mod_count"] = String(Number(copy["sys_mod_count"]) + 1)
      copy["sys_updated_on"] = glideTime(core.now())
      copy["sys_updated_by"] = user
      Object.assign(r, copy)
      send(r, "update", changed)
    }
    if (req.headers["x-no-response-body"] === "true") return void res.status(200).end()
    res.json({ result: view(r, undefined) })
  }
  core.app.patch(record, update)
  core.app.put(record, update)

  core.app.get(table, (req, res) => {
    const limit = Number(q(req, "sysparm_limit") ?? 10000)
    const offset = Number(q(req, "sysparm_offset") ?? 0)
    if (!Number.isInteger(limit) || limit < 1 || !Number.isInteger(offset) || offset < 0)
      return void fail(res, 400, "Invalid value", "sysparm_limit and sysparm_offset must be whole numbers")
    const display = q(req, "sysparm_display_value") ?? "false"
    if (display !== "false")
      return void fail(res, 400, "Not supported by the emulator", "sysparm_display_value other than false")
    const { filter, order } = parseQuery(q(req, "sysparm_query") ?? "")
    const rows = [...incidents.values()].filter(filter).sort(order)
    const page = rows.slice(offset, offset + limit)
    if (q(req, "sysparm_suppress_pagination_header") !== "true") {
      const link = (o: number, rel: string) =>
        `<${selfUrl(req, req.path, { sysparm_query: q(req, "sysparm_query"), sysparm_fields: q(req, "sysparm_fields"), sysparm_limit: limit, sysparm_offset: o })}>;rel="${rel}"`
      const lastOffset = Math.max(0, Math.floor((rows.length - 1) / limit) * limit)
      const links = [link(0, "first")]
      if (offset > 0) links.push(link(Math.max(0, offset - limit), "prev"))
      if (offset + limit < rows.length) links.push(link(offset + limit, "next"))
      links.push(link(lastOffset, "last"))
      res.set("Link", links.join(","))
    }
    if (q(req, "sysparm_no_count") !== "true") res.set("X-Total-Count", String(rows.length))
    // [S1]: v2 answers 200 with an empty list; v1 answers 404 when nothing matches.
    if (page.length === 0 && !req.path.includes("/v2/"))
      return void fail(res, 404, "No Record found", "Records not found")
    const fields = fieldsOf(req)
    res.json({ result: page.map((r) => view(r, fields)) })
  })

  core.app.get(["/api/now/table/sys_journal_field", "/api/now/v2/table/sys_journal_field"], (_req, res) => {
    res.json({ result: journal })
  })
}

export const startServiceNowEmulator = async (options: ServiceNowEmulatorOptions = {}): Promise<ServiceNowEmulator> => {
  const k = serviceNowKit(options)
  incidentRoutes(k)
  const running = await listen(k.core)
  return { ...running, core: k.core, incidents: k.incidents }
}

/**
 * The subset of encoded queries the emulator understands [S1]: `field>=value`, `field>value`, `field<=value`,
 * `field<value`, `field=value`, `field!=value` joined by `^` (AND) or `^OR` (OR with the previous term),
 * `ORDERBYfield`, `ORDERBYDESCfield`. Unknown fields are ignored, as ServiceNow does by default.
 */
export const parseQuery = (
  query: string
): { filter: (r: Incident) => boolean; order: (a: Incident, b: Incident) => number } => {
  const groups: Array<Array<(r: Incident) => boolean>> = []
  const orders: Array<{ field: string; desc: boolean }> = []
  for (const [i, raw] of query.split("^").entries()) {
    if (raw === "") continue
    const part = raw.startsWith("OR") && i > 0 && !raw.startsWith("ORDERBY") ? raw.slice(2) : raw
    const isOr = part !== raw
    if (part.startsWith("ORDERBYDESC")) {
      orders.push({ field: part.slice(11), desc: true })
      continue
    }
    if (part.startsWith("ORDERBY")) {
      orders.push({ field: part.slice(7), desc: false })
      continue
    }
    const m = /^([a-z_][a-z0-9_.]*)(>=|<=|!=|>|<|=)(.*)$/.exec(part)
    if (m === null) continue
    const [, field, op, value] = m as unknown as [string, string, string, string]
    const test = (r: Incident): boolean => {
      const v = r[field]
      if (v === undefined) return true
      switch (op) {
        case ">=":
          return v >= value
        case ">":
          return v > value
        case "<=":
          return v <= value
        case "<":
          return v < value
        case "!=":
          return v !== value
        default:
          return v === value
      }
    }
    if (isOr && groups.length > 0) groups[groups.length - 1]!.push(test)
    else groups.push([test])
  }
  return {
    filter: (r) => groups.every((g) => g.some((t) => t(r))),
    order: (a, b) => {
      for (const o of orders) {
        const x = a[o.field] ?? ""
        const y = b[o.field] ?? ""
        if (x !== y) return (x < y ? -1 : 1) * (o.desc ? -1 : 1)
      }
      return 0
    }
  }
}
