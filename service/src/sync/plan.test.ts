/** The sync engine's pure planning on its own: no Genesys, no store, no clock. */
import { makeRevision, type TicketEvent } from "@workbridge/catalog"
import { describe, expect, it } from "vitest"
import { createPendingLink, type InboxEntry, type Link } from "../domain/records.js"
import { GenesysError } from "../domain/errors.js"
import { StatusId, type WorktypeStatus } from "@workbridge/genesys"
import { AmbiguousUpdate, LinkConflict } from "./errors.js"
import {
  appliedLink,
  classifyGenesysFailure,
  isSuperseded,
  lagSeconds,
  mergePatches,
  newestOutcomes,
  nextUpdateIntent,
  outcomeUnknown,
  planBodies,
  retryDelayMs,
  splitPatch,
  supersededOutcomes,
  viewLink
} from "./plan.js"

const s = (id: string, ...destinationStatusIds: Array<string>): WorktypeStatus => ({
  id: StatusId.make(id),
  name: `name-${id}`,
  destinationStatusIds: destinationStatusIds.map((d) => StatusId.make(d))
})
// open → progress → resolved ⇄ closed: no way back to open (an empty destination list would allow any).
const chain = [s("open", "progress"), s("progress", "resolved"), s("resolved", "closed"), s("closed", "resolved")]

const link = (over: Partial<Link> = {}): Link => ({
  workitemId: "w1",
  appliedRevision: "r2",
  appliedValues: { subject: "a" },
  appliedAt: "2026-01-01T00:00:00.000Z",
  typeId: "t1",
  ...over
})

const entry = (revision: string, deliveryKey = `d-${revision}`): InboxEntry => ({
  id: deliveryKey,
  acceptedAt: "2026-01-01T00:00:00.000Z",
  event: {
    source: "generic",
    ticketId: "1",
    revision,
    occurredAt: "2026-01-01T00:00:00.000Z",
    deliveryKey,
    kind: "updated",
    fields: {}
  } satisfies TicketEvent
})

const genesysError = (
  reason: GenesysError["reason"],
  extra: Partial<ConstructorParameters<typeof GenesysError>[0]> = {}
) => new GenesysError({ reason, operation: "updateWorkitem", ...extra })

describe("splitPatch", () => {
  it("takes the status and the revision marker out of the field changes", () => {
    const plan = splitPatch(
      { name: "n", statusId: "resolved", customFields: { rev_text: "r9", subject_text: "s" } },
      "rev_text"
    )
    expect(plan).toEqual({
      patch: { name: "n", customFields: { subject_text: "s" } },
      wantedStatus: "resolved",
      marker: { rev_text: "r9" }
    })
  })

  it("drops the custom fields when the marker was the only one, and has no marker or status when none changed", () => {
    expect(splitPatch({ customFields: { rev_text: "r9" } }, "rev_text")).toEqual({
      patch: {},
      marker: { rev_text: "r9" }
    })
    expect(splitPatch({ name: "n" }, "rev_text")).toEqual({ patch: { name: "n" } })
    expect(splitPatch({ customFields: { rev_text: "r9" } }, undefined)).toEqual({
      patch: { customFields: { rev_text: "r9" } }
    })
  })
})

describe("planBodies", () => {
  it("walks the status graph one PATCH per step: the fields with the first step, the marker with the last", () => {
    const planned = planBodies(
      { patch: { name: "n" }, wantedStatus: "closed", marker: { rev_text: "r9" } },
      chain,
      "open"
    )
    expect(planned).toEqual({
      _tag: "Bodies",
      bodies: [
        { name: "n", statusId: "progress" },
        { statusId: "resolved" },
        { statusId: "closed", customFields: { rev_text: "r9" } }
      ]
    })
  })

  it("sets the wanted status in one step from a status that is not the worktype's, and sends the marker alone when nothing else changed", () => {
    expect(planBodies({ patch: {}, wantedStatus: "closed" }, chain, "gone")).toEqual({
      _tag: "Bodies",
      bodies: [{ statusId: "closed" }]
    })
    expect(planBodies({ patch: {}, wantedStatus: "closed" }, chain, undefined)).toEqual({
      _tag: "Bodies",
      bodies: [{ statusId: "closed" }]
    })
    expect(planBodies({ patch: {}, marker: { rev_text: "r9" } }, chain, "open")).toEqual({
      _tag: "Bodies",
      bodies: [{ customFields: { rev_text: "r9" } }]
    })
    expect(planBodies({ patch: {} }, chain, "open")).toEqual({ _tag: "Bodies", bodies: [] })
  })

  it("merges the marker into the last body's custom fields", () => {
    const planned = planBodies(
      { patch: { customFields: { subject_text: "s" } }, marker: { rev_text: "r9" } },
      chain,
      "open"
    )
    expect(planned).toEqual({ _tag: "Bodies", bodies: [{ customFields: { subject_text: "s", rev_text: "r9" } }] })
  })

  it("names both statuses when the worktype allows no path", () => {
    expect(planBodies({ patch: {}, wantedStatus: "open" }, chain, "closed")).toEqual({
      _tag: "NoTransition",
      detail: 'the worktype allows no path from status "name-closed" to "name-open"'
    })
  })
})

describe("mergePatches and nextUpdateIntent", () => {
  it("merges custom fields key by key, later bodies winning", () => {
    expect(
      mergePatches([{ name: "a", customFields: { x: 1, y: 1 } }, undefined, { customFields: { y: 2 }, statusId: "s" }])
    ).toEqual({
      name: "a",
      customFields: { x: 1, y: 2 },
      statusId: "s"
    })
  })

  it("lists the new values once: values alike but for last_synced are not added again", () => {
    const before = [{ subject: "a", last_synced: "t1" }]
    expect(nextUpdateIntent(before, { subject: "a", last_synced: "t2" }, "r3")).toEqual({
      revision: "r3",
      values: before
    })
    expect(nextUpdateIntent(before, { subject: "b", last_synced: "t2" }, "r3")).toEqual({
      revision: "r3",
      values: [...before, { subject: "b", last_synced: "t2" }]
    })
    expect(nextUpdateIntent([], { subject: "b" }, "r3")).toEqual({ revision: "r3", values: [{ subject: "b" }] })
  })
})

describe("viewLink", () => {
  it("works from a link of this worktype, or one from before links recorded their worktype", () => {
    expect(viewLink(link(), "t1")).toEqual({ pending: false, link: link(), expected: "r2" })
    const typeless: Link = {
      workitemId: "w1",
      appliedRevision: "r2",
      appliedValues: {},
      appliedAt: "2026-01-01T00:00:00.000Z"
    }
    expect(viewLink(typeless, "t1")).toEqual({ pending: false, link: typeless, expected: "r2" })
  })

  it("treats a create intent and a link into another worktype as no link, expecting the stored revision", () => {
    const intent = createPendingLink("2026-01-01T00:00:00.000Z")
    expect(viewLink(intent, "t1")).toEqual({ pending: true, link: undefined, expected: intent.appliedRevision })
    expect(viewLink(link({ typeId: "t0" }), "t1")).toEqual({ pending: false, link: undefined, expected: "r2" })
    expect(viewLink(undefined, "t1")).toEqual({ pending: false, link: undefined, expected: undefined })
  })
})

describe("outcomes", () => {
  const r1 = makeRevision(1, "a")
  const r2 = makeRevision(2, "a")

  it("supersedes a revision not newer than the applied one", () => {
    expect(isSuperseded(r1, r2)).toBe(true)
    expect(isSuperseded(r2, r2)).toBe(true)
    expect(isSuperseded(r2, r1)).toBe(false)
    expect(isSuperseded(r1, undefined)).toBe(false)
  })

  it("gives the newest event the outcome and supersedes the others", () => {
    const entries = [entry(r1), entry(r2)]
    expect(newestOutcomes(entries, "applied")).toEqual([
      { deliveryKey: `d-${r1}`, revision: r1, outcome: "superseded" },
      { deliveryKey: `d-${r2}`, revision: r2, outcome: "applied" }
    ])
    expect(newestOutcomes(entries, "dead").map((o) => o.outcome)).toEqual(["superseded", "dead"])
    expect(supersededOutcomes(entries).map((o) => o.outcome)).toEqual(["superseded", "superseded"])
  })
})

describe("failures", () => {
  it("knows which transient failures leave the outcome unknown", () => {
    expect(outcomeUnknown(genesysError("Timeout"))).toBe(true)
    expect(outcomeUnknown(genesysError("ServerError"))).toBe(true)
    expect(outcomeUnknown(genesysError("RateLimited"))).toBe(false)
    expect(outcomeUnknown(genesysError("Forbidden", { propagating: true }))).toBe(false)
    expect(outcomeUnknown(genesysError("Unauthorized"))).toBe(false)
    expect(outcomeUnknown(genesysError("BadRequest"))).toBe(false)
  })

  it("retries transient Genesys failures and dead-letters the others with the error body", () => {
    expect(classifyGenesysFailure(genesysError("Network"))).toEqual({ _tag: "Retry" })
    const dead = classifyGenesysFailure(genesysError("BadRequest", { status: 400, body: { message: "no" } }))
    expect(dead).toEqual({
      _tag: "Dead",
      reason: "GenesysBadRequest",
      details: ["Genesys updateWorkitem: BadRequest (HTTP 400): no", 'Genesys error body: {"message":"no"}']
    })
  })

  it("waits at least the request timeout after an unknown outcome, a scoped 429's pause, else the failure backoff", () => {
    const options = { failureBackoffMs: 500, ambiguousCreateBackoffMs: 3000 }
    expect(retryDelayMs(new AmbiguousUpdate({ cause: genesysError("Timeout") }), options)).toBe(3000)
    expect(retryDelayMs(new AmbiguousUpdate({ cause: genesysError("Timeout") }), { failureBackoffMs: 500 })).toBe(500)
    const scoped = genesysError("RateLimited", { retryAfterSeconds: 2.5, scope: { kind: "creates" } })
    expect(retryDelayMs(scoped, options)).toBe(2500)
    expect(retryDelayMs(genesysError("RateLimited", { retryAfterSeconds: 2.5 }), options)).toBe(500)
    expect(retryDelayMs(new LinkConflict({ key: { source: "generic", ticketId: "1" } }), {})).toBe(1000)
  })
})

describe("the link after a write and the lag", () => {
  it("records the status only when known and the origin only when not a webhook", () => {
    const base = {
      workitemId: "w",
      revision: "r",
      values: { a: 1 },
      appliedAt: "2026-01-01T00:00:00.000Z",
      typeId: "t"
    }
    expect(appliedLink({ ...base, statusId: undefined, origin: "webhook" })).toEqual({
      workitemId: "w",
      appliedRevision: "r",
      appliedValues: { a: 1 },
      appliedAt: "2026-01-01T00:00:00.000Z",
      typeId: "t"
    })
    expect(appliedLink({ ...base, statusId: "s", origin: "backfill" })).toMatchObject({
      statusId: "s",
      origin: "backfill"
    })
  })

  it("measures the lag from the oldest pending event, never below zero", () => {
    const at = "2026-01-01T00:00:00.000Z"
    expect(lagSeconds(Date.parse(at) + 1500, at)).toBe(1.5)
    expect(lagSeconds(Date.parse(at) - 1500, at)).toBe(0)
    expect(lagSeconds(Date.parse(at), undefined)).toBe(0)
  })
})
