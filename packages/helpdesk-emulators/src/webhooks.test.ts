import { createHmac } from "node:crypto"
import {
  type Adapter,
  freshdesk,
  github,
  jira,
  servicenow,
  type SourceCredentials,
  zendesk
} from "@workbridge/adapters"
import { Either } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import type { Running } from "./internal/core.js"
import type { Core } from "./internal/core.js"
import {
  startFreshdeskEmulator,
  startGitHubEmulator,
  startJiraEmulator,
  startServiceNowEmulator,
  startZendeskEmulator
} from "./index.js"
import { startWebhookReceiver, type WebhookReceiver } from "./testing.js"

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`

interface Case {
  readonly name: string
  readonly adapter: Adapter
  readonly creds: SourceCredentials
  readonly wrong: SourceCredentials
  readonly start: (url: string, creds: SourceCredentials) => Promise<Running & { core: Core }>
  /** Make one change through the vendor's API. */
  readonly change: (emu: Running, n: number) => Promise<number>
}

const call = async (url: string, method: string, auth: string, body: unknown) =>
  (
    await fetch(url, {
      method,
      headers: { authorization: auth, "content-type": "application/json" },
      body: JSON.stringify(body)
    })
  ).status

const cases: ReadonlyArray<Case> = [
  {
    name: "zendesk",
    adapter: zendesk,
    creds: { secret: "zd-secret" },
    wrong: { secret: "another-secret" },
    start: (url, creds) => startZendeskEmulator({ webhook: { url, credentials: creds } }),
    change: (emu, n) =>
      call(`${emu.url}/api/v2/tickets.json`, "POST", basic("agent@example.com/token", "zendesk-api-token"), {
        ticket: { subject: `t${n}`, comment: { body: "b" } }
      })
  },
  {
    name: "github",
    adapter: github,
    creds: { secret: "gh-secret" },
    wrong: { secret: "another-secret" },
    start: (url, creds) => startGitHubEmulator({ webhook: { url, credentials: creds } }),
    change: (emu, n) =>
      call(`${emu.url}/repos/octo-org/helpdesk/issues`, "POST", "Bearer github-pat", { title: `i${n}` })
  },
  {
    name: "freshdesk",
    adapter: freshdesk,
    creds: { basicAuth: "hook:pass" },
    wrong: { basicAuth: "hook:other" },
    start: (url, creds) => startFreshdeskEmulator({ webhook: { url, credentials: creds } }),
    change: (emu, n) =>
      call(`${emu.url}/api/v2/tickets`, "POST", basic("freshdesk-api-key", "X"), {
        email: "a@b.c",
        subject: `t${n}`,
        description: "d",
        status: 2,
        priority: 1
      })
  },
  {
    name: "servicenow",
    adapter: servicenow,
    creds: { token: { header: "x-workbridge-token", value: "sn-token" } },
    wrong: { token: { header: "x-workbridge-token", value: "other" } },
    start: (url, creds) => startServiceNowEmulator({ webhook: { url, credentials: creds } }),
    change: (emu, n) =>
      call(`${emu.url}/api/now/table/incident`, "POST", basic("workbridge", "servicenow-password"), {
        short_description: `i${n}`
      })
  },
  {
    name: "jira",
    adapter: jira,
    creds: { secret: "jira-secret" },
    wrong: { secret: "another-secret" },
    start: (url, creds) => startJiraEmulator({ webhook: { url, credentials: creds } }),
    change: (emu, n) =>
      call(`${emu.url}/rest/api/3/issue`, "POST", basic("agent@example.com", "jira-api-token"), {
        fields: { project: { key: "SUP" }, summary: `i${n}`, issuetype: { name: "Task" } }
      })
  }
]

const running: Array<{ close(): Promise<void> }> = []
afterEach(async () => {
  for (const r of running.splice(0)) await r.close()
})

describe.each(cases)("$name emulator webhooks", (c) => {
  const setup = async () => {
    const hook: WebhookReceiver = await startWebhookReceiver()
    const emu = await c.start(hook.url, c.creds)
    running.push(emu, hook)
    return { hook, emu }
  }

  it("sends a webhook the real adapter accepts and decodes, and refuses with other credentials", async () => {
    const { hook, emu } = await setup()
    expect(await c.change(emu, 1)).toBe(201)
    await emu.core.settle()
    expect(hook.received.length).toBe(1)
    const req = hook.received[0]!
    expect(Either.isRight(c.adapter.verify(req, c.creds))).toBe(true)
    const refused = c.adapter.verify(req, c.wrong)
    expect(Either.isLeft(refused) && refused.left.reason).toMatch(/BadSignature|BadCredentials/)
    const decoded = c.adapter.decode(req, (await import("@workbridge/catalog")).defaultCatalog)
    expect(Either.isRight(decoded) && decoded.right._tag).toBe("Event")
  })

  it("drops the same seeded share of webhooks on every run, and replays them on request", async () => {
    const dropped: Array<Array<string>> = []
    for (const _run of [1, 2]) {
      const { hook, emu } = await setup()
      emu.core.configureWebhooks({ dropShare: 0.5, seed: 7 })
      for (let n = 0; n < 20; n++) await c.change(emu, n)
      await emu.core.settle()
      const lost = emu.core.deliveries.filter((d) => d.state === "dropped")
      dropped.push(lost.map((d) => d.ticketId))
      expect(hook.received.length).toBe(20 - lost.length)
      expect(await emu.core.replay()).toBe(lost.length)
      expect(hook.received.length).toBe(20)
    }
    expect(dropped[0]!.length).toBeGreaterThan(0)
    expect(dropped[0]!.length).toBeLessThan(20)
    expect(dropped[1]).toEqual(dropped[0])
  })

  it("holds webhooks until released through the control API", async () => {
    const { hook, emu } = await setup()
    const control = await fetch(`${emu.url}/__emulator/webhooks`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ hold: true })
    })
    expect(control.status).toBe(200)
    await c.change(emu, 1)
    await c.change(emu, 2)
    await emu.core.settle()
    expect(hook.received.length).toBe(0)
    const list = (await (await fetch(`${emu.url}/__emulator/webhooks`)).json()) as {
      deliveries: Array<{ state: string }>
    }
    expect(list.deliveries.map((d) => d.state)).toEqual(["held", "held"])
    await fetch(`${emu.url}/__emulator/webhooks/replay`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}"
    })
    await emu.core.settle()
    expect(hook.received.length).toBe(2)
  })
})

describe("signatures, computed here from the vendors' documented schemes (not with the adapters' code)", () => {
  it("GitHub: X-Hub-Signature-256 = sha256=hex(HMAC-SHA256(secret, body)); Jira: X-Hub-Signature the same; Zendesk: base64(HMAC-SHA256(secret, timestamp + body))", async () => {
    const secret = "It's a Secret to Everybody" // the GitHub documentation's test secret
    const hook = await startWebhookReceiver()
    running.push(hook)
    for (const c of cases.filter((x) => ["github", "jira", "zendesk"].includes(x.name))) {
      const emu = await c.start(hook.url, { secret })
      running.push(emu)
      await c.change(emu, 1)
      await emu.core.settle()
    }
    const by = (h: string) => hook.received.find((r) => r.headers[h] !== undefined)
    const [gh, ji, zd] = [by("x-github-event"), by("x-atlassian-webhook-identifier"), by("x-zendesk-webhook-id")]
    const hex = (body: Buffer) => createHmac("sha256", secret).update(body).digest("hex")
    expect(gh!.headers["x-hub-signature-256"]).toBe(`sha256=${hex(gh!.rawBody)}`)
    expect(ji!.headers["x-hub-signature"]).toBe(`sha256=${hex(ji!.rawBody)}`)
    const ts = zd!.headers["x-zendesk-webhook-signature-timestamp"]!
    expect(zd!.headers["x-zendesk-webhook-signature"]).toBe(
      createHmac("sha256", secret)
        .update(ts + zd!.rawBody.toString("utf8"))
        .digest("base64")
    )
  })
})

describe("control API", () => {
  it("refuses a bad webhook setting, naming it, and leaves the settings unchanged", async () => {
    const emu = await startGitHubEmulator({})
    running.push(emu)
    const res = await fetch(`${emu.url}/__emulator/webhooks`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ dropShare: 2, hold: true })
    })
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: string }).error).toBe("dropShare must be a number in 0..1")
    const settings = (await (await fetch(`${emu.url}/__emulator/webhooks`)).json()) as {
      settings: { hold: boolean; dropShare: number }
    }
    expect(settings.settings).toEqual({ url: null, dropShare: 0, hold: false, signed: false })
  })

  it("injects a vendor-shaped 429 through the control API", async () => {
    const emu = await startServiceNowEmulator({})
    running.push(emu)
    const added = await fetch(`${emu.url}/__emulator/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ kind: "rateLimit", path: "^/api/now/", count: 1, retryAfterSeconds: 3 })
    })
    expect(added.status).toBe(201)
    const res = await fetch(`${emu.url}/api/now/table/incident`, {
      headers: { authorization: basic("workbridge", "servicenow-password") }
    })
    expect(res.status).toBe(429)
    expect(res.headers.get("retry-after")).toBe("3")
    expect(await res.json()).toEqual({
      error: { message: "Rate limit exceeded", detail: "Rate limit of 10 requests per hour for Table API exceeded" },
      status: "failure"
    })
  })
})

describe("failed deliveries", () => {
  it.each([
    ["jira", 503, 5],
    ["freshdesk", 500, 4],
    ["zendesk", 503, 4],
    ["zendesk", 400, 1],
    ["github", 503, 1],
    ["servicenow", 503, 1]
  ] as const)(
    "%s redelivers a webhook answered %i as the vendor does: %i attempts in all",
    async (name, status, attempts) => {
      const c = cases.find((x) => x.name === name)!
      const refusing = await startWebhookReceiver(status)
      const emu = await c.start(refusing.url, c.creds)
      running.push(emu, refusing)
      emu.core.configureWebhooks({ retryDelayScale: 0.0001 })
      await c.change(emu, 1)
      await emu.core.settle()
      expect(emu.core.deliveries.map((d) => [d.state, d.attempts])).toEqual([["failed", attempts]])
      expect(refusing.received.length).toBe(attempts)
      if (name === "jira") {
        expect(refusing.received.map((r) => r.headers["x-atlassian-webhook-retry"])).toEqual([
          undefined,
          "1",
          "2",
          "3",
          "4"
        ])
        expect(new Set(refusing.received.map((r) => r.headers["x-atlassian-webhook-identifier"])).size).toBe(1)
      }
    }
  )

  it("counts a non-2xx answer as failed and replays it by default", async () => {
    const refusing = await startWebhookReceiver(503)
    const emu = await startGitHubEmulator({ webhook: { url: refusing.url, credentials: { secret: "s" } } })
    running.push(emu, refusing)
    await fetch(`${emu.url}/repos/octo-org/helpdesk/issues`, {
      method: "POST",
      headers: { authorization: "Bearer github-pat", "content-type": "application/json" },
      body: JSON.stringify({ title: "t" })
    })
    await emu.core.settle()
    expect(emu.core.deliveries.map((d) => [d.state, d.status])).toEqual([["failed", 503]])
    expect(await emu.core.replay()).toBe(1)
    expect(emu.core.deliveries.map((d) => d.attempts)).toEqual([2])
    const ids = refusing.received.map((r) => r.headers["x-github-delivery"])
    expect(ids.length).toBe(2)
    expect(ids[1]).toBe(ids[0]) // a redelivery keeps X-GitHub-Delivery
  })
})
