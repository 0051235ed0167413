import { defaultCatalog } from "@workbridge/catalog"
import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { fixtureCredentials, fixtureRequest, loadFixture } from "./fixtures.js"
import {
  authError,
  decodeError,
  decodeFixture,
  decodeResult,
  request,
  withHeader,
  withoutHeader
} from "./internal/testkit.js"
import { servicenow } from "./ServiceNow.js"

describe("servicenow verify (Basic auth or token header; ServiceNow signs nothing)", () => {
  const f = loadFixture("servicenow-incident-updated")
  const req = fixtureRequest(f)
  const creds = fixtureCredentials(f)

  it("accepts the fixture's Basic auth", () => {
    expect(creds).toEqual({ basicAuth: "svc_sn_outbound:example-password" })
    expect(Either.isRight(servicenow.verify(req, creds))).toBe(true)
  })

  it("refuses wrong credentials, a missing header, no configuration, a non-Basic scheme", () => {
    expect(authError(servicenow.verify(req, { basicAuth: "svc_sn_outbound:wrong" })).reason).toBe("BadCredentials")
    expect(authError(servicenow.verify(withoutHeader(req, "authorization"), creds)).reason).toBe("MissingHeader")
    const none = authError(servicenow.verify(req, { secret: "an HMAC secret is not a ServiceNow credential" }))
    expect(none.reason).toBe("MissingCredentials")
    expect(none.detail).toContain("WEBHOOK_BASIC_AUTH_SERVICENOW")
    expect(authError(servicenow.verify(withHeader(req, "authorization", "Bearer abc"), creds)).reason).toBe(
      "BadCredentials"
    )
  })

  it("accepts a token header, and requires every configured credential", () => {
    const token = { header: "X-Workbridge-Token", value: "t0ken" }
    expect(Either.isRight(servicenow.verify(withHeader(req, "x-workbridge-token", "t0ken"), { token }))).toBe(true)
    expect(authError(servicenow.verify(withHeader(req, "x-workbridge-token", "t0ken!"), { token })).reason).toBe(
      "BadCredentials"
    )
    expect(authError(servicenow.verify(req, { ...creds, token })).reason).toBe("MissingHeader")
  })

  it("keeps the password out of errors", () => {
    const e = authError(servicenow.verify(req, { basicAuth: "svc_sn_outbound:s3cret-value" }))
    expect(JSON.stringify(e) + e.message).not.toContain("s3cret-value")
  })
})

describe("servicenow decode", () => {
  it("decodes the resolved incident with sys_mod_count as the revision", () => {
    expect(decodeFixture(servicenow, "servicenow-incident-resolved")).toEqual({
      source: "servicenow",
      ticketId: "INC0000050",
      revision: "0000000000000008:1:ef43c6d40a0a0b5700c77f9bf387afe3:8",
      occurredAt: "2016-01-22T15:03:11.000Z",
      deliveryKey: "ef43c6d40a0a0b5700c77f9bf387afe3:8",
      kind: "closed",
      fields: {
        ticket_id: "INC0000050",
        source_system: "servicenow",
        external_key: "servicenow:INC0000050",
        subject: "Can't access Exchange server - is it down?",
        status: "solved",
        priority: "urgent",
        category: "incident",
        routing_skill: "hardware",
        created_at: "2015-11-02T18:05:40.000Z",
        updated_at: "2016-01-22T15:03:11.000Z",
        due_at: "2017-07-05T05:58:24.000Z",
        requester: "5b7c200d0a640069006b3845b5d0fa7c"
      }
    })
  })

  it("decodes the insert", () => {
    const e = decodeFixture(servicenow, "servicenow-incident-created")
    expect(e).toMatchObject({
      ticketId: "INC0010002",
      kind: "created",
      revision: "0000000000000000:0:c537bae64f411200adf9f8e18110c76e:0"
    })
    expect(e.fields).toMatchObject({
      status: "new",
      priority: "normal",
      routing_skill: "general_support",
      subject: "Unable to connect to office wifi"
    })
  })

  it("orders the stale update (6) before the update (7) although sys_updated_on is equal", () => {
    const stale = decodeFixture(servicenow, "servicenow-incident-updated-stale")
    const fresh = decodeFixture(servicenow, "servicenow-incident-updated")
    expect(stale.occurredAt).toBe(fresh.occurredAt)
    expect(stale.revision < fresh.revision).toBe(true)
    expect([stale.fields["priority"], fresh.fields["priority"]]).toEqual(["normal", "urgent"])
  })

  it("derives priority from impact x urgency when the record has none", () => {
    const record = { sys_id: "a", number: "INC1", sys_mod_count: "2", impact: "2", urgency: "3", state: "2" }
    const r = decodeResult(servicenow, request({ table: "incident", operation: "update", record }))
    expect(r._tag === "Event" && r.event.fields["priority"]).toBe("low")
  })

  it("ignores deletions; refuses bodies without a record or a sys_mod_count", () => {
    expect(
      decodeResult(servicenow, request({ operation: "delete", record: { sys_id: "a", sys_mod_count: "1" } }))._tag
    ).toBe("Ignored")
    expect(decodeError(servicenow, request({ operation: "update" })).reason).toContain("record")
    const e = decodeError(servicenow, request({ record: { sys_id: "a", number: "INC1" } }))
    expect(e).toMatchObject({ status: 422 })
    expect(e.reason).toContain("sys_mod_count")
  })

  it("applies catalog overrides (custom states)", () => {
    const catalog = { ...defaultCatalog, sourceMappings: { servicenow: { status: { "2": "pending" } } } }
    expect(decodeFixture(servicenow, "servicenow-incident-updated", catalog).fields["status"]).toBe("pending")
  })
})
