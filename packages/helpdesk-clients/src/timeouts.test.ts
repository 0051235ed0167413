/**
 * Every client against a helpdesk that accepts the connection and never answers: each call fails unanswered after the
 * configured time (a `HelpdeskError` without a status), and the request it gave up is aborted (the connection closes).
 */
import http from "node:http"
import type { AddressInfo } from "node:net"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeFreshdeskClient } from "./Freshdesk.js"
import { makeGitHubClient } from "./GitHub.js"
import { HelpdeskError } from "./Http.js"
import { makeJiraClient } from "./Jira.js"
import type { HelpdeskClient } from "./Read.js"
import { makeServiceNowClient } from "./ServiceNow.js"
import { makeZendeskClient } from "./Zendesk.js"

/** Requests received and requests whose connection the client closed, by path. */
let received: Array<string> = []
let closed: Array<string> = []
let server: http.Server
let url = ""

beforeAll(async () => {
  server = http.createServer((req) => {
    received.push(req.url ?? "")
    req.socket.once("close", () => closed.push(req.url ?? ""))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

const TIMEOUT_MS = 200

const clients: ReadonlyArray<readonly [string, (url: string) => HelpdeskClient]> = [
  ["zendesk", (u) => makeZendeskClient({ baseUrl: u, email: "a@acme.test", apiToken: "t", timeoutMs: TIMEOUT_MS })],
  [
    "servicenow",
    (u) => makeServiceNowClient({ baseUrl: u, user: "svc", password: "p", table: "incident", timeoutMs: TIMEOUT_MS })
  ],
  ["jira", (u) => makeJiraClient({ baseUrl: u, email: "a@acme.test", apiToken: "t", timeoutMs: TIMEOUT_MS })],
  ["freshdesk", (u) => makeFreshdeskClient({ baseUrl: u, apiKey: "k", timeoutMs: TIMEOUT_MS })],
  [
    "github",
    (u) => makeGitHubClient({ baseUrl: u, token: "t", repository: "octo-org/helpdesk", timeoutMs: TIMEOUT_MS })
  ]
]

const waitFor = async (done: () => boolean) => {
  for (let i = 0; i < 100 && !done(); i++) await new Promise((r) => setTimeout(r, 20))
}

describe("a helpdesk that never answers", () => {
  it.each(clients)(
    "%s: the read fails unanswered after timeoutMs, and its request is aborted",
    async (source, make) => {
      received = []
      closed = []
      const error = await Effect.runPromise(Effect.flip(make(url).readPage({ since: new Date(Date.UTC(2026, 0, 1)) })))
      expect(error).toBeInstanceOf(HelpdeskError)
      const e = error as HelpdeskError
      expect(e.source).toBe(source)
      expect(e.status).toBeUndefined()
      expect(e.message).toMatch(new RegExp(`^${source}: .+: no answer within ${TIMEOUT_MS} ms$`))
      expect(received).toHaveLength(1)
      await waitFor(() => closed.length === 1)
      expect(closed).toEqual(received)
    }
  )
})
