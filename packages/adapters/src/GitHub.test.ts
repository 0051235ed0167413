import { defaultCatalog } from "@workbridge/catalog"
import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { fixtureCredentials, fixtureRequest, loadFixture, loadSignatureVectors } from "./fixtures.js"
import { github } from "./GitHub.js"
import {
  authError,
  decodeError,
  decodeFixture,
  decodeResult,
  flipByte,
  request,
  withHeader,
  withoutHeader
} from "./internal/testkit.js"

describe("github verify (X-Hub-Signature-256)", () => {
  it("verifies the vendor-published vector", () => {
    const v = loadSignatureVectors().find((x) => x.id === "github-doc-example")
    expect(v?.vendor_published).toBe(true)
    const req = request(v?.body ?? "", { "x-hub-signature-256": v?.expected_signature ?? "" })
    expect(Either.isRight(github.verify(req, { secret: v?.secret ?? "" }))).toBe(true)
  })

  const f = loadFixture("github-issues-opened")
  const req = fixtureRequest(f)
  const creds = fixtureCredentials(f)

  it("refuses a flipped byte, a wrong secret, the legacy sha1 header alone, an upper-case tampered value", () => {
    expect(Either.isRight(github.verify(req, creds))).toBe(true)
    expect(authError(github.verify(flipByte(req, 500), creds)).reason).toBe("BadSignature")
    expect(authError(github.verify(req, { secret: "It's a Secret to Everybody!" })).reason).toBe("BadSignature")
    const legacyOnly = withoutHeader(req, "x-hub-signature-256")
    expect(legacyOnly.headers["x-hub-signature"]).toMatch(/^sha1=/)
    expect(authError(github.verify(legacyOnly, creds)).reason).toBe("MissingHeader")
    expect(authError(github.verify(withHeader(req, "x-hub-signature-256", "sha256=zz"), creds)).reason).toBe(
      "BadSignature"
    )
  })
})

describe("github decode", () => {
  it("decodes issues.closed", () => {
    expect(decodeFixture(github, "github-issues-closed")).toEqual({
      source: "github",
      ticketId: "Codertocat/Hello-World#1",
      revision: "0001557933903000:1:6b1d2e30-7722-11e9-9f1e-1b2c3d4e5f60",
      occurredAt: "2019-05-15T15:25:03.000Z",
      deliveryKey: "6b1d2e30-7722-11e9-9f1e-1b2c3d4e5f60",
      kind: "closed",
      fields: {
        ticket_id: "Codertocat/Hello-World#1",
        source_system: "github",
        external_key: "github:Codertocat/Hello-World#1",
        subject: "Spelling error in the README file",
        description: "It looks like you accidently spelled 'commit' with two 't's.",
        status: "solved",
        category: "incident",
        product_family: ["bug"],
        created_at: "2019-05-15T15:20:18Z",
        updated_at: "2019-05-15T15:25:03Z",
        requester: "Codertocat"
      }
    })
  })

  it("orders opened before edited at the same updated_at (a creation ranks first), then closed, then reopened", () => {
    const names = ["github-issues-opened", "github-issues-edited", "github-issues-closed", "github-issues-reopened"]
    const events = names.map((n) => decodeFixture(github, n))
    expect(events.map((e) => e.kind)).toEqual(["created", "updated", "closed", "reopened"])
    expect(events[0]?.occurredAt).toBe(events[1]?.occurredAt)
    expect([...events.map((e) => e.revision)].sort()).toEqual(events.map((e) => e.revision))
    expect(events[3]?.fields["status"]).toBe("open")
  })

  it("maps priority labels and not_planned closes", () => {
    const body = {
      action: "closed",
      repository: { full_name: "o/r" },
      issue: {
        number: 5,
        state: "closed",
        state_reason: "not_planned",
        updated_at: "2024-01-01T00:00:00Z",
        labels: [{ name: "priority: high" }, { name: "question" }]
      }
    }
    const r = decodeResult(github, request(body, { "x-github-event": "issues" }))
    expect(r._tag === "Event" && r.event.fields).toMatchObject({
      status: "closed",
      priority: "high",
      category: "question"
    })
    const catalog = { ...defaultCatalog, sourceMappings: { github: { priority: { "sev-1": "urgent" } } } }
    const sev = decodeResult(
      github,
      request({ ...body, issue: { ...body.issue, labels: [{ name: "sev-1" }] } }),
      catalog
    )
    expect(sev._tag === "Event" && sev.event.fields["priority"]).toBe("urgent")
  })

  it("ignores pings, other events and deletions; refuses an issue without a number", () => {
    expect(
      decodeResult(github, request({ zen: "Keep it logically awesome." }, { "x-github-event": "ping" }))._tag
    ).toBe("Ignored")
    expect(decodeResult(github, request({ action: "deleted", issue: {} }, { "x-github-event": "issues" }))._tag).toBe(
      "Ignored"
    )
    const e = decodeError(
      github,
      request(
        { action: "opened", repository: { full_name: "o/r" }, issue: { updated_at: "2024-01-01T00:00:00Z" } },
        { "x-github-event": "issues" }
      )
    )
    expect(e).toMatchObject({ status: 422 })
    expect(e.reason).toContain("issue.number")
  })
})

describe("github decode with hostile names", () => {
  it("treats inherited property names as unknown values, not as table entries", () => {
    const body = {
      action: "constructor",
      repository: { full_name: "o/r" },
      issue: { number: 1, updated_at: "2024-01-01T00:00:00Z" }
    }
    expect(decodeResult(github, request(body))._tag).toBe("Ignored")
    const r = decodeResult(github, request({ ...body, action: "edited", issue: { ...body.issue, state: "toString" } }))
    expect(r._tag === "Event" && r.event.fields["status"]).toBe("toString")
  })
})
