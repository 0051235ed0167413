import { defaultCatalog } from "@workbridge/catalog"
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
import { zendesk, zendeskSignature } from "./Zendesk.js"

const vector = (id: string) => {
  const v = loadSignatureVectors().find((x) => x.id === id)
  if (v === undefined || v.secret === null || v.body === null || v.timestamp === null || v.expected_signature === null)
    throw new Error(id)
  return { secret: v.secret, body: v.body, timestamp: v.timestamp, signature: v.expected_signature }
}

const vectorRequest = (v: ReturnType<typeof vector>) =>
  request(
    v.body,
    { "x-zendesk-webhook-signature": v.signature, "x-zendesk-webhook-signature-timestamp": v.timestamp },
    new Date(v.timestamp)
  )

describe("zendesk verify", () => {
  it("implements timestamp + body: the current-order vector verifies, the legacy body + timestamp vector is refused", () => {
    const current = vector("zendesk-doc-example-legacy-inputs-current-order")
    const legacy = vector("zendesk-doc-example-legacy")
    expect(current.body).toBe(legacy.body)
    expect(zendeskSignature(current.secret, current.timestamp, Buffer.from(current.body))).toBe(current.signature)
    expect(Either.isRight(zendesk.verify(vectorRequest(current), { secret: current.secret }))).toBe(true)
    expect(authError(zendesk.verify(vectorRequest(legacy), { secret: legacy.secret })).reason).toBe("BadSignature")
  })

  it("verifies the static test secret vector and both fixtures", () => {
    const v = vector("zendesk-static-test-secret-hello")
    expect(Either.isRight(zendesk.verify(vectorRequest(v), { secret: v.secret }))).toBe(true)
    for (const name of ["zendesk-ticket-created", "zendesk-ticket-updated", "synthetic/zendesk-ticket-solved"]) {
      const f = loadFixture(name)
      const at = new Date(f.headers["X-Zendesk-Webhook-Signature-Timestamp"] ?? "")
      expect(Either.isRight(zendesk.verify(fixtureRequest(f, at), fixtureCredentials(f))), name).toBe(true)
    }
  })

  const f = loadFixture("zendesk-ticket-created")
  const signedAt = new Date("2025-01-08T10:12:08Z")
  const req = fixtureRequest(f, signedAt)
  const creds = fixtureCredentials(f)

  it("refuses a flipped byte, a wrong secret, missing headers, missing credentials", () => {
    expect(authError(zendesk.verify(flipByte(req), creds)).reason).toBe("BadSignature")
    expect(authError(zendesk.verify(req, { secret: "not-the-secret" })).reason).toBe("BadSignature")
    const noSig = authError(zendesk.verify(withoutHeader(req, "x-zendesk-webhook-signature"), creds))
    expect(noSig.reason).toBe("MissingHeader")
    expect(noSig.detail).toContain("x-zendesk-webhook-signature")
    expect(authError(zendesk.verify(withoutHeader(req, "x-zendesk-webhook-signature-timestamp"), creds)).reason).toBe(
      "MissingHeader"
    )
    const none = authError(zendesk.verify(req, {}))
    expect(none.reason).toBe("MissingCredentials")
    expect(none.detail).toContain("WEBHOOK_SECRET_ZENDESK")
  })

  it("refuses a signature whose timestamp was changed, and a non-base64 signature", () => {
    expect(
      authError(zendesk.verify(withHeader(req, "x-zendesk-webhook-signature-timestamp", "2025-01-08T10:12:09Z"), creds))
        .reason
    ).toBe("BadSignature")
    expect(authError(zendesk.verify(withHeader(req, "x-zendesk-webhook-signature", "%%%"), creds)).reason).toBe(
      "BadSignature"
    )
  })

  it("refuses a stale (or future) timestamp outside the tolerance, default 5 minutes, configurable", () => {
    const later = (seconds: number) => new Date(signedAt.getTime() + seconds * 1000)
    expect(Either.isRight(zendesk.verify(req, creds, { now: later(299) }))).toBe(true)
    expect(authError(zendesk.verify(req, creds, { now: later(301) })).reason).toBe("StaleTimestamp")
    expect(authError(zendesk.verify(req, creds, { now: later(-301) })).reason).toBe("StaleTimestamp")
    expect(Either.isRight(zendesk.verify(req, creds, { now: later(301), toleranceSeconds: 600 }))).toBe(true)
    expect(authError(zendesk.verify({ ...req, receivedAt: later(3600) }, creds)).reason).toBe("StaleTimestamp")
  })

  it("never puts the secret or the signature in an error", () => {
    const e = authError(zendesk.verify(flipByte(req), creds))
    const text = `${e.message} ${e.detail} ${JSON.stringify(e)}`
    expect(text).not.toContain(creds.secret)
    expect(text).not.toContain(f.headers["X-Zendesk-Webhook-Signature"])
  })

  it("checks Basic auth configured on top of the signature", () => {
    const both = { ...creds, basicAuth: "zd:pw" }
    expect(authError(zendesk.verify(req, both)).reason).toBe("MissingHeader")
    const withAuth = withHeader(req, "authorization", `Basic ${Buffer.from("zd:pw").toString("base64")}`)
    expect(Either.isRight(zendesk.verify(withAuth, both))).toBe(true)
  })
})

describe("zendesk decode", () => {
  it("decodes the ticket.created event", () => {
    expect(decodeFixture(zendesk, "zendesk-ticket-created")).toEqual({
      source: "zendesk",
      ticketId: "5158",
      revision: "1736331127672717:0300:cbe4028c-7239-495d-b020-f22348516046",
      occurredAt: "2025-01-08T10:12:07.672Z",
      deliveryKey: "cbe4028c-7239-495d-b020-f22348516046",
      kind: "created",
      fields: {
        ticket_id: "5158",
        source_system: "zendesk",
        external_key: "zendesk:5158",
        subject: "Cannot login to mobile app",
        description: "Customer is experiencing login issues with the mobile app",
        status: "open",
        priority: "high",
        category: "problem",
        product_family: ["mobile", "login"],
        created_at: "2025-01-08T10:12:07Z",
        updated_at: "2025-01-08T10:12:07Z",
        requester: "8447388090494"
      }
    })
  })

  it("decodes the trigger body, deduping and breaking ties on the body hash", () => {
    expect(decodeFixture(zendesk, "zendesk-ticket-updated")).toEqual({
      source: "zendesk",
      ticketId: "5158",
      // µs of updated_at : ns digits + kind rank : the body-hash key
      revision: "1736346660000000:0001:sha256:8d95971eb48b30981b0f658900e7c28f2a94c81f71c4d3197a894f7b05795c5b",
      occurredAt: "2025-01-08T14:31:00.000Z",
      deliveryKey: "sha256:8d95971eb48b30981b0f658900e7c28f2a94c81f71c4d3197a894f7b05795c5b",
      kind: "updated",
      fields: {
        ticket_id: "5158",
        source_system: "zendesk",
        external_key: "zendesk:5158",
        subject: "Cannot login to mobile app",
        status: "pending",
        priority: "high",
        category: "problem",
        created_at: "2025-01-08T10:12Z",
        updated_at: "2025-01-08T14:31Z",
        requester: "customer@example.com"
      }
    })
  })

  it("orders created < trigger update < solved, and a solved status is a close", () => {
    const events = ["zendesk-ticket-created", "zendesk-ticket-updated", "synthetic/zendesk-ticket-solved"].map((n) =>
      decodeFixture(zendesk, n)
    )
    expect(events.map((e) => e.kind)).toEqual(["created", "updated", "closed"])
    expect([...events.map((e) => e.revision)].sort()).toEqual(events.map((e) => e.revision))
    expect(events[2]?.fields["status"]).toBe("solved")
  })

  it("keeps nanoseconds: two events in the same microsecond order by their last digits", () => {
    const body = (time: string, id: string) =>
      request({
        type: "zen:event-type:ticket.priority_changed",
        id,
        time,
        subject: "zen:ticket:9",
        detail: { id: "9", status: "OPEN" }
      })
    const first = decodeResult(zendesk, body("2025-01-08T10:12:07.672717031Z", "z"))
    const second = decodeResult(zendesk, body("2025-01-08T10:12:07.672717032Z", "a"))
    if (first._tag !== "Event" || second._tag !== "Event") throw new Error("expected events")
    expect(first.event.revision < second.event.revision).toBe(true)
  })

  it("detects a reopen from the status_changed event", () => {
    const r = decodeResult(
      zendesk,
      request({
        type: "zen:event-type:ticket.status_changed",
        id: "e1",
        time: "2025-01-09T00:00:00Z",
        subject: "zen:ticket:9",
        detail: { id: "9", status: "OPEN" },
        event: { previous: "SOLVED", current: "OPEN" }
      })
    )
    expect(r._tag === "Event" && r.event.kind).toBe("reopened")
  })

  it("ignores non-ticket events and deletions, refuses bodies without a ticket id", () => {
    expect(
      decodeResult(zendesk, request({ type: "zen:event-type:user.created", id: "x", time: "2025-01-01T00:00:00Z" }))
        ._tag
    ).toBe("Ignored")
    expect(
      decodeResult(
        zendesk,
        request({ type: "zen:event-type:ticket.soft_deleted", id: "x", time: "2025-01-01T00:00:00Z" })
      )._tag
    ).toBe("Ignored")
    const e = decodeError(
      zendesk,
      request({ type: "zen:event-type:ticket.created", id: "x", time: "2025-01-01T00:00:00Z", detail: {} })
    )
    expect(e.status).toBe(422)
    expect(e.reason).toContain("detail.id")
    expect(decodeError(zendesk, request("not json")).status).toBe(400)
    expect(decodeError(zendesk, request({ ticket: { title: "x" } })).reason).toContain("ticket.id")
  })

  it("lets the deployment's catalog override a vocabulary mapping", () => {
    const catalog = {
      ...defaultCatalog,
      sourceMappings: { zendesk: { status: { pending: "on_hold" }, priority: { HIGH: "urgent" } } }
    }
    const updated = decodeFixture(zendesk, "zendesk-ticket-updated", catalog)
    expect(updated.fields["status"]).toBe("on_hold")
    expect(decodeFixture(zendesk, "zendesk-ticket-created", catalog).fields["priority"]).toBe("urgent")
  })
})

describe("zendesk replays", () => {
  // The invocation id header is not covered by the signature: an attacker replaying a captured delivery inside the
  // tolerance window can change it freely, so it must decide neither dedupe nor order.
  for (const name of ["zendesk-ticket-updated", "zendesk-ticket-created"]) {
    it(`${name}: a replay with another invocation id is the same delivery at the same revision`, () => {
      const original = fixtureRequest(loadFixture(name))
      const replay = withHeader(original, "x-zendesk-webhook-invocation-id", "99999999999")
      const a = decodeResult(zendesk, original)
      const b = decodeResult(zendesk, replay)
      expect(b).toEqual(a)
    })
  }

  it("trigger mode: the revision is a function of the signed body alone (a re-signed retry gets the same one)", () => {
    const req = fixtureRequest(loadFixture("zendesk-ticket-updated"))
    const first = decodeResult(
      zendesk,
      withHeader(
        withHeader(req, "x-zendesk-webhook-invocation-id", "9"),
        "x-zendesk-webhook-signature-timestamp",
        "2025-01-08T14:31:05Z"
      )
    )
    const retry = decodeResult(
      zendesk,
      withHeader(
        withHeader(req, "x-zendesk-webhook-invocation-id", "10"),
        "x-zendesk-webhook-signature-timestamp",
        "2025-01-08T14:35:50Z"
      )
    )
    expect(retry).toEqual(first)
  })
})
