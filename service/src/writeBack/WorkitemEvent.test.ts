/** The workitem event: its decode (every bad property named) and the inbox event it becomes. */
import { defaultCatalog } from "@workbridge/catalog"
import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { decodeWorkitemEvent, toTicketEvent, workitemChangeOf } from "./WorkitemEvent.js"

const event = {
  id: "w-1",
  name: "Printer on fire",
  typeId: "type-1",
  statusId: "st-closed",
  statusCategory: "Closed",
  dateModified: "2026-03-01T10:00:00.123Z",
  modifiedBy: "agent-client",
  operation: "update",
  assigneeId: "user-7",
  changes: [{ op: "update", field: "statusId", oldValue: "st-open", newValue: "st-closed" }],
  customFields: {
    ticket_id_identifier: { dataType: "Identifier", value: "4711" },
    source_system_enum: { dataType: "Enum", value: "zendesk" },
    priority_enum: null
  },
  wrapup: { code: "Fixed", op: "add", userId: null },
  queueId: null,
  sessions: [{ anything: "ignored" }]
}

const decoded = (body: unknown) => Either.getOrThrow(decodeWorkitemEvent(body))

describe("decodeWorkitemEvent", () => {
  it("reads the properties the write-back needs, nulls as absent, and ignores the rest", () => {
    const e = decoded(event)
    expect(e).toMatchObject({ id: "w-1", statusId: "st-closed", wrapup: { code: "Fixed", op: "add" } })
    expect(e.queueId).toBeUndefined()
    expect(e).not.toHaveProperty("sessions")
  })

  it("names every bad property by its path", () => {
    const r = decodeWorkitemEvent({ ...event, id: 7, dateModified: "soon", changes: [{ field: 3 }] })
    const issues = Either.isLeft(r) ? r.left : []
    expect(issues.map((i) => i.field).sort()).toEqual(["changes.0.field", "dateModified", "id"])
    expect(issues.find((i) => i.field === "dateModified")?.problem).toBe("must be an ISO-8601 date-time")
    expect(decodeWorkitemEvent([1])).toEqual(
      Either.left([{ field: "body", problem: "must be a JSON object (the workitem event)" }])
    )
    const missing = decodeWorkitemEvent({ dateModified: event.dateModified })
    expect(Either.isLeft(missing) && missing.left).toEqual([{ field: "id", problem: "is required" }])
  })
})

describe("toTicketEvent", () => {
  it("names the ticket by the workitem's ticket_id and source_system custom fields, in the live genesys lane", () => {
    const r = toTicketEvent(defaultCatalog, decoded(event))
    if (r._tag !== "Event") throw new Error(r.reason)
    expect(r.event).toMatchObject({
      source: "zendesk",
      ticketId: "4711",
      origin: "genesys",
      kind: "closed",
      occurredAt: "2026-03-01T10:00:00.123Z",
      deliveryKey: "genesys:w-1:2026-03-01T10:00:00.123Z:st-closed"
    })
    expect(workitemChangeOf(r.event)).toEqual({
      workitemId: "w-1",
      name: "Printer on fire",
      typeId: "type-1",
      statusId: "st-closed",
      statusChanged: true,
      statusCategory: "Closed",
      dateModified: "2026-03-01T10:00:00.123Z",
      modifiedBy: "agent-client",
      operation: "update",
      assigneeId: "user-7",
      wrapupCode: "Fixed"
    })
    const later = toTicketEvent(defaultCatalog, decoded({ ...event, dateModified: "2026-03-01T10:00:01Z" }))
    expect(later._tag === "Event" && later.event.revision > r.event.revision).toBe(true)
  })

  it("keeps whether the change moved the status when the event lists its changes, and nothing when it does not", () => {
    const changeOf = (body: unknown) => {
      const r = toTicketEvent(defaultCatalog, decoded(body))
      return r._tag === "Event" ? workitemChangeOf(r.event) : undefined
    }
    const assigned = [{ op: "replace", field: "assigneeId", oldValue: "user-1", newValue: "user-7" }]
    expect(changeOf({ ...event, changes: assigned })?.statusChanged).toBe(false)
    expect(changeOf({ ...event, changes: [] })).not.toHaveProperty("statusChanged")
    const { changes: _c, ...unlisted } = event
    expect(changeOf(unlisted)).not.toHaveProperty("statusChanged")
  })

  it("ignores a workitem that is not a Workbridge ticket, and a deletion", () => {
    const { customFields: _c, ...bare } = event
    expect(toTicketEvent(defaultCatalog, decoded(bare))).toMatchObject({
      _tag: "Ignored",
      reason: expect.stringMatching(/ticket_id_identifier and source_system_enum .*not a Workbridge ticket/)
    })
    expect(toTicketEvent(defaultCatalog, decoded({ ...event, operation: "delete" }))._tag).toBe("Ignored")
  })
})
