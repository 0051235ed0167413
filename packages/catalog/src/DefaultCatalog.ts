import type { Catalog, FieldDecl, FieldUsage, VocabularyEntry } from "./Field.js"

const none: FieldUsage = { routing: false, sla: false, reporting: false }
const reporting: FieldUsage = { routing: false, sla: false, reporting: true }
const routing: FieldUsage = { routing: true, sla: false, reporting: true }

const v = (value: string, title: string, aliases: ReadonlyArray<string> = [], priority?: number): VocabularyEntry =>
  priority === undefined ? { value, title, aliases } : { value, title, aliases, priority }

/** The fields of a helpdesk ticket, as Workbridge syncs them by default. */
export const defaultFields: ReadonlyArray<FieldDecl> = [
  {
    key: "ticket_id",
    type: "identifier",
    title: "Ticket ID",
    description: "The ticket's id in its helpdesk",
    limits: { minLength: 1, maxLength: 100 },
    usage: reporting,
    custom: true,
    required: true
  },
  {
    key: "source_system",
    type: "enum",
    title: "Source system",
    description: "The helpdesk the ticket lives in",
    vocabulary: [
      v("zendesk", "Zendesk"),
      v("servicenow", "ServiceNow", ["service-now", "snow"]),
      v("jira", "Jira Service Management", ["jsm", "jira service management"]),
      v("freshdesk", "Freshdesk"),
      v("github", "GitHub Issues", ["github issues"]),
      v("generic", "Generic JSON source", ["json"])
    ],
    usage: reporting,
    custom: true,
    required: true
  },
  {
    key: "external_key",
    type: "text",
    title: "External key",
    description: "source:ticket id, also the workitem's externalTag",
    limits: { maxLength: 100 },
    usage: none,
    attribute: "externalTag",
    custom: false,
    required: false
  },
  {
    key: "subject",
    type: "text",
    title: "Subject",
    limits: { maxLength: 100 },
    usage: none,
    attribute: "name",
    custom: true,
    required: true
  },
  {
    key: "description",
    type: "longtext",
    title: "Description",
    limits: { maxLength: 1000 },
    usage: none,
    attribute: "description",
    custom: true,
    required: false
  },
  {
    key: "priority",
    type: "enum",
    title: "Priority",
    vocabulary: [
      v("low", "Low", ["4", "p4", "minor", "trivial", "lowest", "planning"], 1),
      v("normal", "Normal", ["3", "p3", "medium", "moderate", "major"], 2),
      v("high", "High", ["2", "p2", "highest"], 3),
      v("urgent", "Urgent", ["1", "p1", "critical", "blocker", "emergency"], 4)
    ],
    usage: { routing: true, sla: true, reporting: true },
    attribute: "priority",
    custom: true,
    required: false
  },
  {
    key: "category",
    type: "enum",
    title: "Category",
    vocabulary: [
      v("incident", "Incident", ["bug", "issue", "fault"]),
      v("service_request", "Service request", ["request", "service request", "task"]),
      v("problem", "Problem"),
      v("change", "Change", ["change request"]),
      v("question", "Question", ["inquiry", "enquiry", "how-to"])
    ],
    usage: routing,
    custom: true,
    required: false
  },
  {
    key: "status",
    type: "enum",
    title: "Status",
    vocabulary: [
      v("new", "New", ["open_new", "to do", "todo", "backlog"]),
      v("open", "Open", ["in progress", "in_progress", "work in progress", "active", "assigned", "reopened"]),
      v("pending", "Pending", ["waiting", "waiting for customer", "awaiting info", "pending customer"]),
      v("on_hold", "On hold", ["hold", "on-hold", "waiting on third party", "blocked"]),
      v("solved", "Solved", ["resolved", "done", "fixed", "completed"]),
      v("closed", "Closed", ["cancelled", "canceled", "won't do", "wontfix"])
    ],
    usage: { routing: false, sla: true, reporting: true },
    attribute: "statusId",
    // An agent's status change in Genesys is written back to the ticket; the newer change wins (docs/write-back.md).
    direction: "both",
    custom: true,
    required: false
  },
  {
    key: "product_family",
    type: "tag",
    title: "Product family",
    description: "The product lines the ticket concerns (routes, so its values come from a vocabulary)",
    limits: { maxItems: 10, maxLength: 100 },
    vocabulary: [
      v("web", "Web application", ["web app", "website", "portal"]),
      v("mobile", "Mobile app", ["mobile app", "ios", "android"]),
      v("desktop", "Desktop app", ["desktop app", "windows", "macos"]),
      v("api", "API and integrations", ["integrations", "sdk"]),
      v("devices", "Devices", ["device", "printer", "printers"]),
      v("accounts", "Accounts and billing", ["account", "billing", "subscription"])
    ],
    usage: routing,
    custom: true,
    required: false
  },
  {
    key: "created_at",
    type: "datetime",
    title: "Created in helpdesk",
    usage: reporting,
    custom: true,
    required: false
  },
  {
    key: "updated_at",
    type: "datetime",
    title: "Updated in helpdesk",
    usage: reporting,
    custom: true,
    required: false
  },
  {
    key: "due_at",
    type: "datetime",
    title: "Due",
    usage: { routing: false, sla: true, reporting: true },
    attribute: "dateDue",
    custom: false,
    required: false
  },
  {
    key: "sla_breached",
    type: "checkbox",
    title: "SLA breached",
    usage: { routing: true, sla: true, reporting: true },
    custom: true,
    required: false
  },
  {
    key: "requester",
    type: "text",
    title: "Requester",
    limits: { maxLength: 100 },
    usage: none,
    custom: true,
    required: false
  },
  {
    key: "source_revision",
    type: "text",
    title: "Source revision",
    description: "The helpdesk revision this workitem reflects (written by Workbridge)",
    limits: { maxLength: 100 },
    usage: none,
    custom: true,
    required: false
  },
  {
    key: "last_synced",
    type: "datetime",
    title: "Last synced",
    description: "When Workbridge last wrote this workitem",
    usage: none,
    custom: true,
    required: false
  },
  {
    key: "routing_skill",
    type: "enum",
    title: "Routing skill",
    vocabulary: [
      v("general_support", "General support", ["general", "support", "default"]),
      v("billing", "Billing", ["payments", "invoicing"]),
      v("technical", "Technical", ["tech", "technical support", "engineering"]),
      v("hardware", "Hardware", ["devices"]),
      v("software", "Software", ["applications", "apps"])
    ],
    usage: routing,
    attribute: "skillIds",
    custom: true,
    required: false
  }
]

/** The default catalog: a helpdesk ticket, its worktype statuses and how ticket statuses map onto them. */
export const defaultCatalog: Catalog = {
  schemaName: "workbridge_ticket",
  schemaDescription: "Helpdesk ticket fields synced by Workbridge",
  fields: defaultFields,
  statuses: [
    {
      name: "Open",
      category: "Open",
      description: "New or untriaged ticket",
      destinations: ["In Progress", "Waiting", "Resolved", "Closed"]
    },
    {
      name: "In Progress",
      category: "InProgress",
      description: "Being worked",
      destinations: ["Open", "Waiting", "Resolved", "Closed"]
    },
    {
      name: "Waiting",
      category: "Waiting",
      description: "Waiting on the requester or a third party",
      destinations: ["In Progress", "Resolved", "Closed"]
    },
    { name: "Resolved", category: "Closed", description: "Solved in the helpdesk", destinations: ["Closed", "Open"] },
    { name: "Closed", category: "Closed", description: "Closed in the helpdesk", destinations: ["Open"] }
  ],
  statusMapping: {
    new: "Open",
    open: "In Progress",
    pending: "Waiting",
    on_hold: "Waiting",
    solved: "Resolved",
    closed: "Closed"
  }
}
