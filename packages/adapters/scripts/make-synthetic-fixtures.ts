/**
 * Regenerates fixtures/synthetic/*.json from the vendor fixtures (see fixtures/SOURCES.md): the deliveries the vendor
 * corpus lacks for a full created → updated → resolved sequence per source. Run: `npx tsx scripts/make-synthetic-fixtures.ts`.
 */
import { readFileSync, writeFileSync } from "node:fs"
import { FIXTURES_DIR, loadFixture } from "../src/fixtures.js"
import { sign } from "../src/sign.js"

type Obj = Record<string, any>

const write = (
  name: string,
  derivedFrom: string,
  event: string,
  body: Obj,
  headers: Obj,
  notes: ReadonlyArray<string>,
  signing?: Obj,
  template?: Obj
) => {
  const raw = JSON.stringify(body)
  const out = {
    vendor: loadFixture(derivedFrom).vendor,
    event,
    derived_from: `${derivedFrom}.json`,
    headers,
    body,
    raw_body: raw,
    ...(signing === undefined ? {} : { signing }),
    ...(template === undefined ? {} : { template }),
    provenance: {
      filled_in: ["written by Workbridge from the fixture named in derived_from; see fixtures/SOURCES.md"]
    },
    notes
  }
  writeFileSync(`${FIXTURES_DIR}synthetic/${name}.json`, `${JSON.stringify(out, null, 2)}\n`)
}

const raw = (name: string): Obj => JSON.parse(readFileSync(`${FIXTURES_DIR}${name}.json`, "utf8"))

// Zendesk: ticket 5158 solved, as a ticket.status_changed event.
{
  const base = raw("zendesk-ticket-created")
  const body = {
    ...base.body,
    type: "zen:event-type:ticket.status_changed",
    id: "5d3c1f0e-8a7b-4c6d-9e2f-1a0b9c8d7e6f",
    time: "2025-01-08T16:02:44.118204511Z",
    detail: { ...base.body.detail, status: "SOLVED", updated_at: "2025-01-08T16:02:44Z" },
    event: { current: "SOLVED", previous: "PENDING" }
  }
  const signed = sign(
    "zendesk",
    JSON.stringify(body),
    { secret: base.signing.secret },
    new Date("2025-01-08T16:02:45Z")
  )
  const headers = {
    ...base.headers,
    "X-Zendesk-Webhook-Invocation-Id": "8350205601",
    "X-Zendesk-Webhook-Signature": signed["x-zendesk-webhook-signature"],
    "X-Zendesk-Webhook-Signature-Timestamp": signed["x-zendesk-webhook-signature-timestamp"]
  }
  write(
    "zendesk-ticket-solved",
    "zendesk-ticket-created",
    "zen:event-type:ticket.status_changed",
    body,
    headers,
    [
      "Ticket 5158 moved Pending -> Solved; envelope of the vendor ticket.created example with the status_changed type and event {current, previous}."
    ],
    base.signing
  )
}

// ServiceNow: INC0000050 as first inserted (sys_mod_count 0), so the sequence insert -> update (7) -> resolve (8) is one record.
{
  const base = raw("servicenow-incident-updated")
  const r = base.body.record
  const record = {
    ...r,
    sys_updated_on: r.sys_created_on,
    sys_updated_by: r.sys_created_by,
    sys_mod_count: "0",
    assigned_to: "",
    impact: "2",
    urgency: "2",
    priority: "3",
    state: "1",
    incident_state: "1"
  }
  const body = { table: "incident", operation: "insert", record }
  write(
    "servicenow-incident-created",
    "servicenow-incident-updated",
    "incident.insert (after-insert business rule -> RESTMessageV2)",
    body,
    base.headers,
    ["INC0000050 at insert time (sys_mod_count 0, state New, priority 3 from impact 2 x urgency 2)."]
  )
}

// Jira: issue 99291 resolved (status category done, resolution set).
{
  const created = raw("jira-issue-created")
  const issue = created.body.issue
  const body = {
    timestamp: 1606481012345,
    webhookEvent: "jira:issue_updated",
    issue_event_type_name: "issue_generic",
    user: created.body.user,
    issue: {
      ...issue,
      fields: {
        ...issue.fields,
        summary: "I feel the need for speed",
        issuetype: { ...issue.fields.issuetype, id: "2", name: "New Feature" },
        status: {
          ...issue.fields.status,
          name: "Done",
          id: "10002",
          statusCategory: {
            self: "https://your-domain.atlassian.net/rest/api/2/statuscategory/3",
            id: 3,
            key: "done",
            colorName: "green",
            name: "Done"
          }
        },
        resolution: {
          self: "https://your-domain.atlassian.net/rest/api/2/resolution/10000",
          id: "10000",
          name: "Done"
        },
        resolutiondate: "2020-11-27T06:43:32.345-0600",
        updated: "2020-11-27T06:43:32.345-0600"
      }
    },
    changelog: {
      id: "10125",
      items: [
        { field: "resolution", fieldtype: "jira", from: null, fromString: null, to: "10000", toString: "Done" },
        { field: "status", fieldtype: "jira", from: "10000", fromString: "To Do", to: "10002", toString: "Done" }
      ]
    }
  }
  const signed = sign("jira", JSON.stringify(body), { secret: created.signing.secret }, new Date(0))
  const headers = {
    ...created.headers,
    "X-Atlassian-Webhook-Identifier": "0b7e4f2a-93c1-4d5e-8f60-7a1b2c3d4e5f",
    "X-Hub-Signature": signed["x-hub-signature"]
  }
  write(
    "jira-issue-resolved",
    "jira-issue-created",
    "jira:issue_updated",
    body,
    headers,
    [
      "Issue 99291 transitioned To Do -> Done with resolution Done; changelog.id as a string, as real Cloud deliveries send it."
    ],
    created.signing
  )
}

// Freshdesk: the vendor bodies plus the revision times the documented template adds (ticket_created_at, ticket_updated_at).
{
  const times = {
    created: "2015-08-24T11:56:51Z",
    updated: "2015-08-24T11:59:05Z",
    resolved: "2015-08-24T12:20:40Z"
  } as const
  for (const step of ["created", "updated", "resolved"] as const) {
    const base = raw(`freshdesk-ticket-${step}`)
    const body = {
      freshdesk_webhook: {
        ...base.body.freshdesk_webhook,
        ticket_created_at: times.created,
        ticket_updated_at: times[step]
      }
    }
    const template = {
      freshdesk_webhook: {
        ...base.template.freshdesk_webhook,
        ticket_created_at: "{{ticket.created_at}}",
        ticket_updated_at: "{{ticket.updated_at}}"
      }
    }
    write(
      `freshdesk-ticket-${step}`,
      `freshdesk-ticket-${step}`,
      base.event,
      body,
      base.headers,
      [
        "The vendor body plus ticket_created_at / ticket_updated_at, so the revision is the ticket's own time and not the receive time."
      ],
      undefined,
      template
    )
  }
}
