import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { fixtureCredentials, fixtureRequest, loadFixture } from "./fixtures.js"
import { freshdesk } from "./Freshdesk.js"
import {
  authError,
  decodeError,
  decodeFixture,
  decodeResult,
  request,
  withHeader,
  withoutHeader
} from "./internal/testkit.js"

const receivedAt = new Date("2025-03-01T12:00:00.000Z")

describe("freshdesk verify (Basic auth or token header; Freshdesk signs nothing)", () => {
  const f = loadFixture("freshdesk-ticket-created")
  const req = fixtureRequest(f)
  const creds = fixtureCredentials(f)

  it("accepts the configured Basic auth and refuses anything else", () => {
    expect(creds).toEqual({ basicAuth: "example-api-key:X" })
    expect(Either.isRight(freshdesk.verify(req, creds))).toBe(true)
    expect(authError(freshdesk.verify(req, { basicAuth: "example-api-key:Y" })).reason).toBe("BadCredentials")
    expect(authError(freshdesk.verify(withoutHeader(req, "authorization"), creds)).reason).toBe("MissingHeader")
    expect(authError(freshdesk.verify(req, {})).reason).toBe("MissingCredentials")
    const token = { header: "X-Freshdesk-Token", value: "abc" }
    expect(
      Either.isRight(
        freshdesk.verify(withHeader(withoutHeader(req, "authorization"), "x-freshdesk-token", "abc"), { token })
      )
    ).toBe(true)
  })
})

describe("freshdesk decode", () => {
  it("decodes the created rule body (labels mapped; revision from the receive time when the body has no updated_at)", () => {
    const e = decodeFixture(freshdesk, "freshdesk-ticket-created", undefined, receivedAt)
    const hash = e.deliveryKey
    expect(hash).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(e).toEqual({
      source: "freshdesk",
      ticketId: "20",
      revision: `${receivedAt.getTime().toString().padStart(16, "0")}:0:${hash}`,
      occurredAt: receivedAt.toISOString(),
      deliveryKey: hash,
      kind: "created",
      fields: {
        ticket_id: "20",
        source_system: "freshdesk",
        external_key: "freshdesk:20",
        subject: "Printer on 3rd floor is jammed",
        description: "<div>Details about the issue...</div>",
        status: "open",
        priority: "low",
        category: "incident",
        requester: "requester-bob@example.com"
      }
    })
  })

  it("decodes the update and the resolve", () => {
    const updated = decodeFixture(freshdesk, "freshdesk-ticket-updated", undefined, receivedAt)
    expect(updated).toMatchObject({ kind: "updated", fields: { status: "open", priority: "normal" } })
    const resolved = decodeFixture(freshdesk, "freshdesk-ticket-resolved", undefined, receivedAt)
    expect(resolved).toMatchObject({ kind: "closed", fields: { status: "solved", priority: "normal" } })
  })

  it("uses ticket_updated_at as the revision when the template carries it", () => {
    const events = ["created", "updated", "resolved"].map((s) =>
      decodeFixture(freshdesk, `synthetic/freshdesk-ticket-${s}`, undefined, receivedAt)
    )
    expect(events.map((e) => e.occurredAt)).toEqual([
      "2015-08-24T11:56:51.000Z",
      "2015-08-24T11:59:05.000Z",
      "2015-08-24T12:20:40.000Z"
    ])
    expect([...events.map((e) => e.revision)].sort()).toEqual(events.map((e) => e.revision))
  })

  it("maps numeric codes and custom statuses; a status leaving Resolved is a reopen", () => {
    const body = {
      freshdesk_webhook: {
        ticket_id: "7",
        triggered_event: "{status:{from:4,to:6}}",
        ticket_status: "Waiting on Customer",
        ticket_priority: "4"
      }
    }
    const r = decodeResult(freshdesk, request(body))
    expect(r._tag === "Event" && [r.event.kind, r.event.fields["status"], r.event.fields["priority"]]).toEqual([
      "reopened",
      "pending",
      "urgent"
    ])
  })

  it("acknowledges (200) bodies it cannot use, because Freshdesk retries every failure against the API limit", () => {
    const e = decodeError(freshdesk, request({ freshdesk_webhook: { ticket_subject: "no id" } }))
    expect(e).toMatchObject({ status: 200 })
    expect(e.reason).toContain("ticket_id")
    expect(decodeError(freshdesk, request("<xml/>")).status).toBe(200)
  })

  it("does not decode the API ticket view (it is not a webhook body)", () => {
    expect(decodeError(freshdesk, fixtureRequest(loadFixture("freshdesk-api-ticket-view"))).reason).toContain(
      "ticket_id"
    )
  })
})
