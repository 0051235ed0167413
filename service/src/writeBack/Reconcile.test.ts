/** The write-back reconciliation's pieces: the workitem read as the event the endpoint takes, and its lane. */
import { defaultCatalog } from "@workbridge/catalog"
import type { Workitem } from "@workbridge/genesys"
import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { BACKGROUND_LANE, LIVE_LANE, laneOf } from "../inbox/Inbox.js"
import { workitemEventBody } from "./Reconcile.js"
import { decodeWorkitemEvent, genesysDeliveryKey, toTicketEvent, workitemChangeOf } from "./WorkitemEvent.js"

/** A workitem as `POST /workitems/query` answers it (references as objects, custom fields as plain values). */
const workitem = {
  id: "wi-1",
  name: "Printer on fire",
  type: { id: "wt-1" },
  status: { id: "st-closed", name: "Closed" },
  statusCategory: "Closed",
  dateModified: "2026-11-30T20:00:00.123Z",
  dateClosed: "2026-11-30T20:00:00.123Z",
  assignee: { id: "agent-7" },
  modifiedBy: { id: "agent-client" },
  queue: { id: "queue-1" },
  customFields: {
    ticket_id_identifier: "4711",
    source_system_enum: "zendesk",
    priority_enum: "urgent",
    labels_tag: ["printer", "fire"],
    nothing_text: null
  }
} as unknown as Workitem

describe("the workitem as a workitem event", () => {
  it("is the event the endpoint would take: same ticket, same delivery key, flat ids, custom fields as {value}", () => {
    const body = workitemEventBody(workitem, false)
    expect(body).toMatchObject({
      id: "wi-1",
      typeId: "wt-1",
      statusId: "st-closed",
      statusCategory: "Closed",
      assigneeId: "agent-7",
      modifiedBy: "agent-client",
      queueId: "queue-1",
      operation: "update",
      customFields: {
        ticket_id_identifier: { value: "4711" },
        source_system_enum: { value: "zendesk" },
        labels_tag: { value: ["printer", "fire"] }
      }
    })
    expect((body["customFields"] as Record<string, unknown>)["nothing_text"]).toBeUndefined()
    const decoded = decodeWorkitemEvent(body)
    if (Either.isLeft(decoded)) throw new Error(JSON.stringify(decoded.left))
    const converted = toTicketEvent(defaultCatalog, decoded.right)
    if (converted._tag !== "Event") throw new Error(converted.reason)
    expect(converted.event).toMatchObject({ source: "zendesk", ticketId: "4711", kind: "closed", origin: "genesys" })
    expect(converted.event.deliveryKey).toBe("genesys:wi-1:2026-11-30T20:00:00.123Z:st-closed")
    expect(converted.event.deliveryKey).toBe(genesysDeliveryKey(decoded.right))
    expect(workitemChangeOf({ ...converted.event, origin: "genesys-reconcile" })).toMatchObject({
      workitemId: "wi-1",
      statusId: "st-closed",
      assigneeId: "agent-7"
    })
  })

  it("carries when the status took its value (dateStatusChanged) into the change", () => {
    const read = { ...workitem, dateStatusChanged: "2026-11-30T19:00:00.5Z" } as unknown as Workitem
    const decoded = decodeWorkitemEvent(workitemEventBody(read, false))
    if (Either.isLeft(decoded)) throw new Error(JSON.stringify(decoded.left))
    const converted = toTicketEvent(defaultCatalog, decoded.right)
    if (converted._tag !== "Event") throw new Error(converted.reason)
    expect(workitemChangeOf(converted.event)).toMatchObject({
      dateModified: "2026-11-30T20:00:00.123Z",
      statusChangedAt: "2026-11-30T19:00:00.500Z"
    })
    expect(workitemChangeOf(converted.event)?.statusChangedAt).toBeDefined()
    const { dateStatusChanged: _d, ...without } = read as unknown as Record<string, unknown>
    const plain = toTicketEvent(
      defaultCatalog,
      Either.getOrThrow(decodeWorkitemEvent(workitemEventBody(without as unknown as Workitem, false)))
    )
    expect(plain._tag === "Event" ? workitemChangeOf(plain.event) : undefined).not.toHaveProperty("statusChangedAt")
  })

  it("leaves out modifiedBy when asked (a workitem Workbridge's client modified last)", () => {
    expect(workitemEventBody(workitem, true)["modifiedBy"]).toBeUndefined()
  })

  it("a pass's find goes to the background lane, a delivered change to the live lane", () => {
    const decoded = decodeWorkitemEvent(workitemEventBody(workitem, false))
    if (Either.isLeft(decoded)) throw new Error("not decoded")
    const converted = toTicketEvent(defaultCatalog, decoded.right)
    if (converted._tag !== "Event") throw new Error(converted.reason)
    expect(laneOf(converted.event)).toBe(LIVE_LANE)
    expect(laneOf({ ...converted.event, origin: "genesys-reconcile" })).toBe(BACKGROUND_LANE)
  })
})
