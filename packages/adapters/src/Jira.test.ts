import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { fixtureCredentials, fixtureRequest, loadFixture, loadSignatureVectors } from "./fixtures.js"
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
import { jira } from "./Jira.js"

describe("jira verify (X-Hub-Signature: sha256=<hex>)", () => {
  it("verifies the vendor-published vector", () => {
    const v = loadSignatureVectors().find((x) => x.id === "jira-doc-example")
    expect(v?.vendor_published).toBe(true)
    const req = request(v?.body ?? "", { "x-hub-signature": v?.expected_signature ?? "" })
    expect(Either.isRight(jira.verify(req, { secret: v?.secret ?? "" }))).toBe(true)
    // GitHub's look-alike payload has a comma: it must not verify against Jira's value.
    expect(
      authError(jira.verify({ ...req, rawBody: Buffer.from("Hello, World!") }, { secret: v?.secret ?? "" })).reason
    ).toBe("BadSignature")
  })

  const f = loadFixture("jira-issue-updated")
  const req = fixtureRequest(f)
  const creds = fixtureCredentials(f)

  it("verifies the fixtures and refuses a flipped byte, a wrong secret, a missing header, another method", () => {
    expect(Either.isRight(jira.verify(req, creds))).toBe(true)
    expect(authError(jira.verify(flipByte(req), creds)).reason).toBe("BadSignature")
    expect(authError(jira.verify(req, { secret: "wrong" })).reason).toBe("BadSignature")
    expect(authError(jira.verify(withoutHeader(req, "x-hub-signature"), creds)).reason).toBe("MissingHeader")
    const sha1 = authError(jira.verify(withHeader(req, "x-hub-signature", "sha1=0123abcd"), creds))
    expect(sha1.detail).toContain("sha256")
    expect(authError(jira.verify(req, {})).detail).toContain("WEBHOOK_SECRET_JIRA")
  })
})

describe("jira decode", () => {
  it("decodes issue_created", () => {
    expect(decodeFixture(jira, "jira-issue-created")).toEqual({
      source: "jira",
      ticketId: "99291",
      revision: "0001606480300112:00000000000000000:5e1d0c3a-77b2-4a09-8f41-c2a9d6e0b318",
      occurredAt: "2020-11-27T12:31:40.112Z",
      deliveryKey: "5e1d0c3a-77b2-4a09-8f41-c2a9d6e0b318",
      kind: "created",
      fields: {
        ticket_id: "99291",
        source_system: "jira",
        external_key: "jira:99291",
        subject: "What is going on here?????",
        description: "Make the issue nav load 10x faster",
        status: "new",
        priority: "low",
        category: "change",
        product_family: ["UI", "dialogue", "move"],
        created_at: "2009-12-16T23:46:10.612-0600",
        updated_at: "2009-12-16T23:46:10.612-0600",
        requester: "Bryan Rollins [Atlassian]"
      }
    })
  })

  it("decodes the vendor's issue_updated example (no status, numeric changelog id)", () => {
    expect(decodeFixture(jira, "jira-issue-updated")).toEqual({
      source: "jira",
      ticketId: "99291",
      revision: "0001606480436302:00000000000101241:c6f9e2d4-1b7a-4e55-9a3e-0d8b2f41a7c1",
      occurredAt: "2020-11-27T12:33:56.302Z",
      deliveryKey: "c6f9e2d4-1b7a-4e55-9a3e-0d8b2f41a7c1",
      kind: "updated",
      fields: {
        ticket_id: "99291",
        source_system: "jira",
        external_key: "jira:99291",
        subject: "I feel the need for speed",
        description: "Make the issue nav load 10x faster",
        priority: "low",
        product_family: ["UI", "dialogue", "move"],
        created_at: "2009-12-16T23:46:10.612-0600"
      }
    })
  })

  it("orders created < updated < resolved; done is a close; clearing the resolution is a reopen", () => {
    const events = ["jira-issue-created", "jira-issue-updated", "synthetic/jira-issue-resolved"].map((n) =>
      decodeFixture(jira, n)
    )
    expect(events.map((e) => e.kind)).toEqual(["created", "updated", "closed"])
    expect([...events.map((e) => e.revision)].sort()).toEqual(events.map((e) => e.revision))
    const body = {
      timestamp: 1606481012999,
      webhookEvent: "jira:issue_updated",
      issue: { id: "99291", fields: { status: { statusCategory: { key: "indeterminate" } } } },
      changelog: { id: "10126", items: [{ field: "resolution", fromString: "Done", toString: null }] }
    }
    const r = decodeResult(jira, request(body))
    expect(r._tag === "Event" && [r.event.kind, r.event.fields["status"]]).toEqual(["reopened", "open"])
  })

  it("uses changelog.id to order two changes in the same millisecond", () => {
    const body = (id: string, key: string) =>
      request(
        { timestamp: 1606481012999, webhookEvent: "jira:issue_updated", issue: { id: "1" }, changelog: { id } },
        { "x-atlassian-webhook-identifier": key }
      )
    const a = decodeResult(jira, body("10200", "ffff"))
    const b = decodeResult(jira, body("10201", "0000"))
    if (a._tag !== "Event" || b._tag !== "Event") throw new Error("expected events")
    expect(a.event.revision < b.event.revision).toBe(true)
  })

  it("ignores deletions and other events; refuses a body without issue.id (final 4xx: Jira does not retry 422)", () => {
    expect(decodeResult(jira, request({ webhookEvent: "jira:issue_deleted", issue: { id: "1" } }))._tag).toBe("Ignored")
    expect(decodeResult(jira, request({ webhookEvent: "comment_created" }))._tag).toBe("Ignored")
    const e = decodeError(jira, request({ webhookEvent: "jira:issue_updated", timestamp: 1, issue: { key: "A-1" } }))
    expect(e).toMatchObject({ status: 422 })
    expect(e.reason).toContain("issue.id")
    expect(decodeError(jira, request("[1,2]")).status).toBe(400)
  })
})
