/**
 * For every vendor: a seeded run of random changes made through the vendor's API; after each one, the ticket read
 * from the API and the adapter's decode of the webhook the emulator sent for that change must agree (ticket id,
 * fields, state revision), and the read must sort just before that webhook.
 */
import {
  type Adapter,
  freshdesk,
  github,
  jira,
  servicenow,
  type SourceCredentials,
  zendesk
} from "@workbridge/adapters"
import { compareRevision, type TicketEvent } from "@workbridge/catalog"
import {
  prng,
  startFreshdeskEmulator,
  startGitHubEmulator,
  startJiraEmulator,
  startServiceNowEmulator,
  startZendeskEmulator,
  type Core,
  type Running
} from "@workbridge/helpdesk-emulators"
import { startWebhookReceiver } from "@workbridge/helpdesk-emulators/testing"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { makeFreshdeskClient } from "./Freshdesk.js"
import { makeGitHubClient } from "./GitHub.js"
import { makeJiraClient } from "./Jira.js"
import type { HelpdeskClient } from "./Read.js"
import { stateRevision } from "./Read.js"
import { makeServiceNowClient } from "./ServiceNow.js"
import { testClock, webhookEvent } from "./testkit.js"
import { makeZendeskClient } from "./Zendesk.js"

const START = Date.UTC(2026, 0, 5, 9, 0, 0)
const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString("base64")}`
const call = async (url: string, method: string, auth: string, body: unknown) => {
  const res = await fetch(url, {
    method,
    headers: { authorization: auth, "content-type": "application/json" },
    body: JSON.stringify(body)
  })
  const text = await res.text()
  if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${text}`)
  return (text === "" ? undefined : JSON.parse(text)) as any
}

interface Vendor {
  readonly name: string
  readonly adapter: Adapter
  readonly creds: SourceCredentials
  readonly start: (clock: () => number, url: string) => Promise<Running & { core: Core }>
  readonly client: (url: string) => HelpdeskClient
  /** Create a ticket; returns its adapter ticket id and the handle the changes use. */
  readonly create: (url: string) => Promise<{ ticketId: string; handle: string }>
  readonly changes: ReadonlyArray<(url: string, handle: string, pick: (n: number) => number) => Promise<unknown>>
}

const ZD = basic("agent@example.com/token", "zendesk-api-token")
const FD = basic("freshdesk-api-key", "X")
const SN = basic("workbridge", "servicenow-password")
const JI = basic("agent@example.com", "jira-api-token")
const GH = "Bearer github-pat"

const vendors: ReadonlyArray<Vendor> = [
  {
    name: "zendesk",
    adapter: zendesk,
    creds: { secret: "s" },
    start: (clock, url) =>
      startZendeskEmulator({ clock, webhook: { url, credentials: { secret: "s" } }, rateLimitPerMinute: 10_000 }),
    client: (url) => makeZendeskClient({ baseUrl: url, email: "agent@example.com", apiToken: "zendesk-api-token" }),
    create: async (url) => {
      const t = (
        await call(`${url}/api/v2/tickets.json`, "POST", ZD, {
          ticket: { subject: "s0", comment: { body: "first" }, type: "question" }
        })
      ).ticket
      return { ticketId: String(t.id), handle: String(t.id) }
    },
    changes: [
      (url, id, pick) =>
        call(`${url}/api/v2/tickets/${id}.json`, "PUT", ZD, {
          ticket: { status: ["open", "pending", "hold", "solved", "open"][pick(5)] }
        }),
      (url, id, pick) =>
        call(`${url}/api/v2/tickets/${id}.json`, "PUT", ZD, {
          ticket: { priority: ["low", "normal", "high", "urgent"][pick(4)], subject: `s${pick(100)}` }
        }),
      (url, id, pick) =>
        call(`${url}/api/v2/tickets/${id}.json`, "PUT", ZD, {
          ticket: { tags: ["a", "b", "c"].slice(0, pick(4)), type: ["problem", "incident", "task"][pick(3)] }
        })
    ]
  },
  {
    name: "github",
    adapter: github,
    creds: { secret: "s" },
    start: (clock, url) =>
      startGitHubEmulator({ clock, webhook: { url, credentials: { secret: "s" } }, rateLimitPerMinute: 10_000 }),
    client: (url) => makeGitHubClient({ baseUrl: url, token: "github-pat", repository: "octo-org/helpdesk" }),
    create: async (url) => {
      const i = await call(`${url}/repos/octo-org/helpdesk/issues`, "POST", GH, {
        title: "t0",
        body: "b",
        labels: ["bug"]
      })
      return { ticketId: `octo-org/helpdesk#${i.number}`, handle: String(i.number) }
    },
    changes: [
      (url, n, pick) =>
        call(
          `${url}/repos/octo-org/helpdesk/issues/${n}`,
          "PATCH",
          GH,
          pick(2) === 0 ? { state: "closed", state_reason: ["completed", "not_planned"][pick(2)] } : { state: "open" }
        ),
      (url, n, pick) =>
        call(`${url}/repos/octo-org/helpdesk/issues/${n}`, "PATCH", GH, {
          labels: [["bug"], ["question", "P1"], ["enhancement", "priority: low"], []][pick(4)]
        }),
      (url, n, pick) =>
        call(`${url}/repos/octo-org/helpdesk/issues/${n}`, "PATCH", GH, {
          title: `t${pick(100)}`,
          body: `b${pick(100)}`
        })
    ]
  },
  {
    name: "freshdesk",
    adapter: freshdesk,
    creds: { basicAuth: "h:p" },
    start: (clock, url) =>
      startFreshdeskEmulator({
        clock,
        webhook: { url, credentials: { basicAuth: "h:p" } },
        rateLimitPerMinute: 10_000
      }),
    client: (url) => makeFreshdeskClient({ baseUrl: url, apiKey: "freshdesk-api-key" }),
    create: async (url) => {
      const t = await call(`${url}/api/v2/tickets`, "POST", FD, {
        email: "c@example.com",
        subject: "s0",
        description: "<p>d</p>",
        status: 2,
        priority: 1,
        type: "Question"
      })
      return { ticketId: String(t.id), handle: String(t.id) }
    },
    changes: [
      (url, id, pick) => call(`${url}/api/v2/tickets/${id}`, "PUT", FD, { status: 2 + pick(4) }),
      (url, id, pick) =>
        call(`${url}/api/v2/tickets/${id}`, "PUT", FD, { priority: 1 + pick(4), subject: `s${pick(100)}` }),
      (url, id, pick) =>
        call(`${url}/api/v2/tickets/${id}`, "PUT", FD, {
          tags: ["x", "y", "z"].slice(0, pick(4)),
          type: ["Incident", "Problem", "Refund"][pick(3)]
        })
    ]
  },
  {
    name: "servicenow",
    adapter: servicenow,
    creds: { basicAuth: "h:p" },
    start: (clock, url) =>
      startServiceNowEmulator({
        clock,
        webhook: { url, credentials: { basicAuth: "h:p" } },
        rateLimitPerMinute: 10_000
      }),
    client: (url) => makeServiceNowClient({ baseUrl: url, user: "workbridge", password: "servicenow-password" }),
    create: async (url) => {
      const r = (
        await call(`${url}/api/now/table/incident`, "POST", SN, { short_description: "s0", category: "software" })
      ).result
      return { ticketId: r.number, handle: r.sys_id }
    },
    changes: [
      (url, id, pick) =>
        call(`${url}/api/now/table/incident/${id}`, "PATCH", SN, { state: ["1", "2", "3", "6", "7", "2"][pick(6)] }),
      (url, id, pick) =>
        call(`${url}/api/now/table/incident/${id}`, "PATCH", SN, {
          impact: String(1 + pick(3)),
          urgency: String(1 + pick(3)),
          short_description: `s${pick(100)}`
        }),
      (url, id, pick) =>
        call(`${url}/api/now/table/incident/${id}`, "PATCH", SN, {
          category: ["hardware", "network", "inquiry"][pick(3)],
          work_notes: `note ${pick(100)}`
        })
    ]
  },
  {
    name: "jira",
    adapter: jira,
    creds: { secret: "s" },
    start: (clock, url) =>
      startJiraEmulator({ clock, webhook: { url, credentials: { secret: "s" } }, rateLimitPerMinute: 10_000 }),
    client: (url) =>
      makeJiraClient({ baseUrl: url, email: "agent@example.com", apiToken: "jira-api-token", jql: "project = SUP" }),
    create: async (url) => {
      const i = await call(`${url}/rest/api/3/issue`, "POST", JI, {
        fields: { project: { key: "SUP" }, summary: "s0", issuetype: { name: "Bug" } }
      })
      return { ticketId: i.id, handle: i.key }
    },
    changes: [
      async (url, key, pick) => {
        const { transitions } = await call(`${url}/rest/api/3/issue/${key}/transitions`, "GET", JI, undefined).catch(
          () => ({ transitions: [] })
        )
        const t = transitions[pick(transitions.length)]
        return t === undefined
          ? undefined
          : call(`${url}/rest/api/3/issue/${key}/transitions`, "POST", JI, { transition: { id: t.id } })
      },
      (url, key, pick) =>
        call(`${url}/rest/api/3/issue/${key}`, "PUT", JI, {
          fields: {
            priority: { name: ["Highest", "High", "Medium", "Low"][pick(4)] },
            labels: ["l1", "l2"].slice(0, pick(3))
          }
        }),
      (url, key, pick) =>
        call(`${url}/rest/api/3/issue/${key}`, "PUT", JI, {
          fields: {
            summary: `s${pick(100)}`,
            description: {
              type: "doc",
              version: 1,
              content: [{ type: "paragraph", content: [{ type: "text", text: `d${pick(100)}` }] }]
            }
          }
        })
    ]
  }
]

const agree = (read: TicketEvent, webhook: TicketEvent) => {
  expect({ ticketId: read.ticketId, fields: read.fields }).toEqual({
    ticketId: webhook.ticketId,
    fields: webhook.fields
  })
  expect(stateRevision(read.revision)).toBe(stateRevision(webhook.revision))
  expect(compareRevision(read.revision, webhook.revision)).toBeLessThanOrEqual(0)
}

describe.each(vendors)("$name: read and webhook agree after every change", (v) => {
  it("over 15 seeded random changes", async () => {
    const clock = testClock(START)
    const random = prng(14)
    const pick = (n: number) => Math.floor(random() * n)
    const hook = await startWebhookReceiver()
    const emu = await v.start(clock.now, hook.url)
    try {
      const client = v.client(emu.url)
      const { ticketId, handle } = await v.create(emu.url)
      for (let step = 0; step < 15; step++) {
        clock.advance(1000 * (1 + pick(3)))
        const before = hook.received.length
        if (step > 0) {
          const change = v.changes[pick(v.changes.length)]!
          await change(emu.url, handle, pick)
        }
        await emu.core.settle()
        if (step > 0 && hook.received.length === before) continue // the change changed nothing: no webhook
        const webhook = webhookEvent(v.adapter, hook.received[hook.received.length - 1]!, v.creds, {
          now: new Date(clock.now())
        })
        const read = await Effect.runPromise(client.readTicket(ticketId))
        agree(read, webhook)
      }
      expect(hook.received.length).toBeGreaterThan(5)
    } finally {
      await emu.close()
      await hook.close()
    }
  })
})
