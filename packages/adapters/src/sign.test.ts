import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { adapterFor, adapters } from "./adapters.js"
import type { SourceCredentials } from "./Adapter.js"
import { fixtureCredentials, loadFixture } from "./fixtures.js"
import { request } from "./internal/testkit.js"
import { sign } from "./sign.js"

const now = new Date("2025-05-05T05:05:05.555Z")
const credentials: Record<string, SourceCredentials> = {
  zendesk: { secret: "zd-secret" },
  jira: { secret: "jira-secret" },
  github: { secret: "gh-secret" },
  generic: { secret: "generic-secret" },
  servicenow: { basicAuth: "sn:pw" },
  freshdesk: { token: { header: "X-Fd-Token", value: "tok" } }
}

describe("sign", () => {
  it.each(Object.keys(adapters))("produces headers %s verifies, and that fail with another secret", (source) => {
    const adapter = adapterFor(source)
    if (adapter === undefined) throw new Error(source)
    const creds = credentials[source] ?? {}
    const body = '{"ticket_id":"1","revision":1}'
    const req = request(body, sign(source, body, creds, now), now)
    expect(Either.isRight(adapter.verify(req, creds))).toBe(true)
    const other: SourceCredentials =
      creds.secret !== undefined
        ? { secret: "other" }
        : creds.basicAuth !== undefined
          ? { basicAuth: "sn:other" }
          : { token: { header: "X-Fd-Token", value: "other" } }
    expect(Either.isLeft(adapter.verify(req, other))).toBe(true)
  })

  it("reproduces the fixtures' own signatures", () => {
    const zd = loadFixture("zendesk-ticket-created")
    const ts = new Date(zd.headers["X-Zendesk-Webhook-Signature-Timestamp"] ?? "")
    expect(sign("zendesk", zd.rawBody, fixtureCredentials(zd), ts)["x-zendesk-webhook-signature"]).toBe(
      zd.headers["X-Zendesk-Webhook-Signature"]
    )
    const gh = loadFixture("github-issues-closed")
    expect(sign("github", gh.rawBody, fixtureCredentials(gh), now)["x-hub-signature-256"]).toBe(
      gh.headers["X-Hub-Signature-256"]
    )
    const sn = loadFixture("servicenow-incident-created")
    expect(sign("servicenow", sn.rawBody, fixtureCredentials(sn), now)["authorization"]).toBe(
      sn.headers["Authorization"]
    )
  })

  it("knows only its own sources by name", () => {
    expect(adapterFor("constructor")).toBeUndefined()
    expect(adapterFor("zendesk")?.name).toBe("zendesk")
  })
})
