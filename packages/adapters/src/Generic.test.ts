import { defaultCatalog } from "@workbridge/catalog"
import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { generic, genericSignature, makeGenericAdapter } from "./Generic.js"
import { authError, decodeError, decodeEvent, flipByte, request, withHeader } from "./internal/testkit.js"

const body = {
  ticket_id: "T-1",
  revision: 42,
  occurred_at: "2025-02-01T10:00:00Z",
  event_id: "evt-1",
  kind: "updated",
  fields: { subject: "Printer jammed", status: "In Progress", priority: "P1", not_a_catalog_key: "dropped" }
}

describe("generic verify (HMAC-SHA256 hex of the raw body)", () => {
  const secret = "generic-secret"
  const req = request(body)
  const signed = withHeader(req, "x-workbridge-signature", genericSignature(secret, req.rawBody))

  it("accepts sha256=<hex> and bare hex; refuses a flipped byte, a wrong secret, a missing header", () => {
    expect(Either.isRight(generic.verify(signed, { secret }))).toBe(true)
    const bare = withHeader(
      req,
      "x-workbridge-signature",
      genericSignature(secret, req.rawBody).slice("sha256=".length)
    )
    expect(Either.isRight(generic.verify(bare, { secret }))).toBe(true)
    expect(authError(generic.verify(flipByte(signed), { secret })).reason).toBe("BadSignature")
    expect(authError(generic.verify(signed, { secret: "other" })).reason).toBe("BadSignature")
    expect(authError(generic.verify(req, { secret })).detail).toContain("x-workbridge-signature")
  })

  it("reads the signature from a configured header", () => {
    const acme = makeGenericAdapter({ name: "acme", signatureHeader: "X-Acme-Signature" })
    const r = withHeader(req, "x-acme-signature", genericSignature(secret, req.rawBody))
    expect(Either.isRight(acme.verify(r, { secret }))).toBe(true)
    expect(authError(acme.verify(signed, { secret })).detail).toContain("x-acme-signature")
    expect(authError(acme.verify(signed, {})).detail).toContain("WEBHOOK_SECRET_ACME")
  })
})

describe("generic decode", () => {
  it("decodes the default shape, keeping only catalog keys", () => {
    expect(decodeEvent(generic, request(body))).toEqual({
      source: "generic",
      ticketId: "T-1",
      revision: "0000000000000042:1:evt-1",
      occurredAt: "2025-02-01T10:00:00.000Z",
      deliveryKey: "evt-1",
      kind: "updated",
      fields: {
        ticket_id: "T-1",
        source_system: "generic",
        external_key: "generic:T-1",
        subject: "Printer jammed",
        status: "In Progress",
        priority: "P1"
      }
    })
  })

  it("accepts an ISO revision, hashes the body without event_id, and infers a close from the status", () => {
    const e = decodeEvent(
      generic,
      request({ ticket_id: 7, revision: "2025-02-01T10:00:00.123456Z", fields: { status: "solved" } })
    )
    expect(
      e.revision.startsWith(`${Date.parse("2025-02-01T10:00:00.123Z").toString().padStart(16, "0")}:4560001:sha256:`)
    ).toBe(true)
    expect(e).toMatchObject({ ticketId: "7", kind: "closed", occurredAt: "2025-02-01T10:00:00.123Z" })
  })

  it("follows a mapping of dotted paths; a custom source unknown to the catalog is source_system generic", () => {
    const acme = makeGenericAdapter({
      name: "acme",
      mapping: {
        ticketId: "data.case.number",
        revision: "data.case.version",
        eventId: "meta.id",
        fields: { subject: "data.case.title", status: "data.case.state" }
      }
    })
    const catalog = { ...defaultCatalog, sourceMappings: { acme: { status: { "in-flight": "open" } } } }
    const e = decodeEvent(
      acme,
      request({ meta: { id: "m1" }, data: { case: { number: "C9", version: "3", title: "Hi", state: "In-Flight" } } }),
      catalog
    )
    expect(e).toMatchObject({
      source: "acme",
      ticketId: "C9",
      deliveryKey: "m1",
      fields: { subject: "Hi", status: "open", source_system: "generic", external_key: "acme:C9" }
    })
  })

  it("refuses bad input with the field named", () => {
    expect(decodeError(generic, request({ revision: 1 })).reason).toContain("ticket_id")
    expect(decodeError(generic, request({ ticket_id: "a", revision: -1 })).reason).toContain("revision")
    expect(decodeError(generic, request({ ticket_id: "a", revision: "yesterday" })).reason).toContain("revision")
    expect(decodeError(generic, request({ ticket_id: "a", revision: 1, kind: "deleted" })).reason).toContain("kind")
    expect(decodeError(generic, request({ ticket_id: "a", revision: 1, fields: [1] })).reason).toContain("fields")
    expect(decodeError(generic, request({ ticket_id: "a", revision: 1, occurred_at: "soon" })).reason).toContain(
      "occurred_at"
    )
  })

  it("refuses an invalid source name at construction", () => {
    expect(() => makeGenericAdapter({ name: "Bad Name" })).toThrow(/Bad Name/)
    expect(() => makeGenericAdapter({ name: "acme", signatureHeader: "X Sig" })).toThrow(/signatureHeader/)
    expect(() => makeGenericAdapter({ name: "acme", mapping: { ticketId: "a..b" } })).toThrow(/mapping.ticketId/)
    expect(() => makeGenericAdapter({ name: "acme", mapping: { fields: { subject: "" } } })).toThrow(/mapping.fields/)
  })
})
