/**
 * Vendor-shaped webhook bodies for synthetic ticket histories: one builder per helpdesk, each producing the body
 * (and the vendor's own non-signature headers) its adapter in `@workbridge/adapters` decodes. The shapes follow the
 * adapters' documented payloads (see packages/adapters/src/*.ts and their fixtures).
 */
import type { SourceCredentials } from "@workbridge/adapters"

/** The state of a synthetic ticket at one revision, in neutral terms the builders translate per vendor. */
export interface TicketState {
  /** Vendor-native ticket number (the builders derive the vendor's ticket id from it). */
  readonly number: number
  /** 1-based event sequence within the ticket: the revision counter. */
  readonly seq: number
  /** Epoch ms of this change (strictly increasing per ticket). */
  readonly at: number
  /** Epoch ms the ticket was created. */
  readonly createdAt: number
  readonly action: "created" | "updated" | "closed" | "reopened"
  readonly subject: string
  readonly description: string
  /** Neutral status: new, open, pending, hold, solved, closed. */
  readonly status: NeutralStatus
  /** Neutral priority: low, normal, high, urgent. */
  readonly priority: NeutralPriority
  /** Neutral category: incident, question, problem, task. */
  readonly category: NeutralCategory
  /** Product family tags (catalog vocabulary values). */
  readonly tags: ReadonlyArray<string>
  readonly requester: string
}

export type NeutralStatus = "new" | "open" | "pending" | "hold" | "solved" | "closed"
export type NeutralPriority = "low" | "normal" | "high" | "urgent"
export type NeutralCategory = "incident" | "question" | "problem" | "task"

export const STATUSES: ReadonlyArray<NeutralStatus> = ["new", "open", "pending", "hold", "solved", "closed"]
export const PRIORITIES: ReadonlyArray<NeutralPriority> = ["low", "normal", "high", "urgent"]
export const CATEGORIES: ReadonlyArray<NeutralCategory> = ["incident", "question", "problem", "task"]
export const TAGS: ReadonlyArray<string> = ["web", "mobile", "desktop", "api", "devices", "accounts"]

/** One delivery's body and the vendor headers that are not signatures (those come from `sign`). */
export interface VendorPayload {
  readonly ticketId: string
  readonly body: string
  readonly headers: Readonly<Record<string, string>>
}

export interface VendorBuilder {
  /** The adapter's source name (`POST /webhooks/:source`). */
  readonly source: string
  /** The credentials the storm signs with; the service must be configured with the same. */
  readonly credentials: (secret: string) => SourceCredentials
  /** The environment variable the service reads those credentials from, and its value. */
  readonly env: (secret: string) => Readonly<Record<string, string>>
  readonly build: (t: TicketState, prefix: string) => VendorPayload
}

const iso = (ms: number): string => new Date(ms).toISOString()
/** ServiceNow's `YYYY-MM-DD HH:MM:SS` (UTC, no zone). */
const snowTime = (ms: number): string => iso(ms).slice(0, 19).replace("T", " ")
const json = (value: unknown): string => JSON.stringify(value)

const zendesk: VendorBuilder = {
  source: "zendesk",
  credentials: (secret) => ({ secret }),
  env: (secret) => ({ WEBHOOK_SECRET_ZENDESK: secret }),
  build: (t, prefix) => {
    const id = `${prefix}${t.number}`
    const status = { new: "new", open: "open", pending: "pending", hold: "hold", solved: "solved", closed: "closed" }[
      t.status
    ]
    const body = {
      ticket: {
        id,
        event_id: `zd-${id}-${t.seq}`,
        action: t.action,
        title: t.subject,
        description: t.description,
        status,
        priority: t.priority,
        type: t.category,
        tags: t.tags,
        created_at: iso(t.createdAt),
        updated_at: iso(t.at),
        requester_email: t.requester
      }
    }
    return { ticketId: id, body: json(body), headers: {} }
  }
}

const github: VendorBuilder = {
  source: "github",
  credentials: (secret) => ({ secret }),
  env: (secret) => ({ WEBHOOK_SECRET_GITHUB: secret }),
  build: (t, prefix) => {
    const repo = `acme/${prefix.replace(/[^a-z0-9-]/gi, "") || "repo"}`
    const closed = t.status === "solved" || t.status === "closed"
    const action =
      t.action === "created"
        ? "opened"
        : t.action === "closed"
          ? "closed"
          : t.action === "reopened"
            ? "reopened"
            : "edited"
    const priorityLabel = { low: "P4", normal: "P3", high: "P2", urgent: "P1" }[t.priority]
    const categoryLabel = { incident: "bug", question: "question", problem: "bug", task: "enhancement" }[t.category]
    const body = {
      action,
      issue: {
        number: t.number,
        title: t.subject,
        body: t.description,
        state: closed ? "closed" : "open",
        ...(closed ? { state_reason: t.status === "solved" ? "completed" : "not_planned" } : {}),
        labels: [priorityLabel, categoryLabel, ...t.tags].map((name) => ({ name })),
        created_at: iso(t.createdAt),
        updated_at: iso(t.at),
        user: { login: t.requester.replace(/@.*$/, "") }
      },
      repository: { full_name: repo }
    }
    return {
      ticketId: `${repo}#${t.number}`,
      body: json(body),
      headers: { "x-github-event": "issues", "x-github-delivery": `gh-${prefix}${t.number}-${t.seq}` }
    }
  }
}

const jira: VendorBuilder = {
  source: "jira",
  credentials: (secret) => ({ secret }),
  env: (secret) => ({ WEBHOOK_SECRET_JIRA: secret }),
  build: (t, prefix) => {
    const id = `${prefix}${t.number}`
    const category = {
      new: "new",
      open: "indeterminate",
      pending: "indeterminate",
      hold: "indeterminate",
      solved: "done",
      closed: "done"
    }[t.status]
    const priority = { low: "Low", normal: "Medium", high: "High", urgent: "Highest" }[t.priority]
    const issueType = { incident: "Bug", question: "Task", problem: "Bug", task: "Task" }[t.category]
    const body = {
      webhookEvent: t.action === "created" ? "jira:issue_created" : "jira:issue_updated",
      timestamp: t.at,
      issue: {
        id,
        key: `HELP-${t.number}`,
        fields: {
          summary: t.subject,
          description: t.description,
          status: { name: category, statusCategory: { key: category } },
          priority: { name: priority },
          issuetype: { name: issueType },
          labels: t.tags,
          created: iso(t.createdAt),
          updated: iso(t.at),
          reporter: { displayName: t.requester }
        }
      },
      changelog: { id: String(t.seq), items: [] }
    }
    return { ticketId: id, body: json(body), headers: { "x-atlassian-webhook-identifier": `jira-${id}-${t.seq}` } }
  }
}

const servicenow: VendorBuilder = {
  source: "servicenow",
  credentials: (secret) => ({ basicAuth: `workbridge:${secret}` }),
  env: (secret) => ({ WEBHOOK_BASIC_AUTH_SERVICENOW: `workbridge:${secret}` }),
  build: (t, prefix) => {
    const number = `INC${prefix.toUpperCase()}${String(t.number).padStart(7, "0")}`
    const state = { new: "1", open: "2", pending: "3", hold: "3", solved: "6", closed: "7" }[t.status]
    const priority = { urgent: "1", high: "2", normal: "3", low: "4" }[t.priority]
    const body = {
      table: "incident",
      operation: t.action === "created" ? "insert" : "update",
      record: {
        sys_id: `sys${prefix}${t.number}`,
        number,
        sys_mod_count: String(t.seq - 1),
        short_description: t.subject,
        description: t.description,
        state,
        priority,
        category: "software",
        sys_created_on: snowTime(t.createdAt),
        sys_updated_on: snowTime(t.at),
        caller_id: { value: t.requester }
      },
      changed_fields: t.action === "reopened" ? ["state", "reopen_count"] : ["state"]
    }
    return { ticketId: number, body: json(body), headers: {} }
  }
}

const generic: VendorBuilder = {
  source: "generic",
  credentials: (secret) => ({ secret }),
  env: (secret) => ({ WEBHOOK_SECRET_GENERIC: secret }),
  build: (t, prefix) => {
    const id = `${prefix}${t.number}`
    const status = {
      new: "new",
      open: "open",
      pending: "pending",
      hold: "on_hold",
      solved: "solved",
      closed: "closed"
    }[t.status]
    const category = { incident: "incident", question: "question", problem: "problem", task: "service_request" }[
      t.category
    ]
    const body = {
      ticket_id: id,
      revision: t.seq,
      occurred_at: iso(t.at),
      event_id: `gen-${id}-${t.seq}`,
      kind: t.action,
      fields: {
        subject: t.subject,
        description: t.description,
        status,
        priority: t.priority,
        category,
        product_family: t.tags,
        created_at: iso(t.createdAt),
        updated_at: iso(t.at),
        requester: t.requester
      }
    }
    return { ticketId: id, body: json(body), headers: {} }
  }
}

/** The vendors a storm can mix, by source name. */
export const VENDORS: Readonly<Record<string, VendorBuilder>> = { zendesk, github, jira, servicenow, generic }

export const VENDOR_NAMES: ReadonlyArray<string> = Object.keys(VENDORS)
