/** The write-back's pure rules: what status a workitem status writes, the note, the echo test and the budget. */
import { applyOverrides, defaultCatalog } from "@workbridge/catalog"
import { Effect, Either, TestClock, TestContext } from "effect"
import { describe, expect, it } from "vitest"
import type { Link } from "../domain/records.js"
import { makeWriteBudget } from "./Budget.js"
import { writeBackTarget } from "@workbridge/catalog"
import { HelpdeskError, RateLimited } from "@workbridge/helpdesk-clients"
import {
  WRITE_BACK_TIMEOUT_MS,
  callTimeLongerThanAWriteBack,
  classifyWriteFailure,
  isWriteBackEcho,
  writeBackNote
} from "./apply.js"

const link = (status: string, written?: string): Link => ({
  workitemId: "w-1",
  appliedRevision: "r1",
  appliedValues: { subject: "Printer", status, source_revision: "r1", last_synced: "2026-01-01T00:00:00Z" },
  appliedAt: "2026-01-01T00:00:00Z",
  ...(written !== undefined ? { writeBack: { status: written } } : {})
})

describe("writeBackTarget", () => {
  it("names the vocabulary value and the vendor's status a Genesys status writes", () => {
    expect(writeBackTarget(defaultCatalog, "zendesk", "Closed")).toEqual({
      key: "status",
      value: "closed",
      status: "solved"
    })
    expect(writeBackTarget(defaultCatalog, "servicenow", "Resolved")).toEqual({
      key: "status",
      value: "solved",
      status: "6"
    })
    // A reopened workitem (Open, the catalog's `new`): the ticket is open again.
    expect(writeBackTarget(defaultCatalog, "zendesk", "Open")).toEqual({ key: "status", value: "new", status: "open" })
    expect(writeBackTarget(defaultCatalog, "jira", "Open")).toEqual({
      key: "status",
      value: "new",
      status: "category:new"
    })
    expect(writeBackTarget(defaultCatalog, "zendesk", "Waiting")).toBeUndefined()
    const oneWay = Either.getOrThrow(applyOverrides(defaultCatalog, { directions: { status: "toGenesys" } }, "x.yaml"))
    expect(writeBackTarget(oneWay, "zendesk", "Closed")).toBeUndefined()
  })
})

describe("isWriteBackEcho", () => {
  const values = (status: string, subject = "Printer") => ({
    subject,
    status,
    source_revision: "r2",
    last_synced: "2026-01-02T00:00:00Z"
  })

  it("is the helpdesk's webhook of what was written: the same values but for the status written and bookkeeping", () => {
    // Written `solved` for a Closed workitem: the link's applied status moved to `closed`.
    expect(isWriteBackEcho(defaultCatalog, "zendesk", link("closed", "solved"), values("solved"))).toBe(true)
    expect(isWriteBackEcho(defaultCatalog, "zendesk", link("closed", "solved"), values("closed"))).toBe(true)
  })

  it("absorbs the echo of a reopen: written `open` for an Open workitem, the helpdesk reads it back as `open`", () => {
    // The link's applied status moved to `new` (the catalog value of Open); Zendesk's webhook says `open`.
    expect(isWriteBackEcho(defaultCatalog, "zendesk", link("new", "open"), values("open"))).toBe(true)
    expect(isWriteBackEcho(defaultCatalog, "github", link("new", "open"), values("open"))).toBe(true)
    expect(isWriteBackEcho(defaultCatalog, "servicenow", link("new", "2"), values("open"))).toBe(true)
    // A helpdesk agent solving the ticket again is a change, not an echo.
    expect(isWriteBackEcho(defaultCatalog, "zendesk", link("new", "open"), values("solved"))).toBe(false)
  })

  it("is not an echo when another field changed, the status differs, or nothing was written back", () => {
    expect(isWriteBackEcho(defaultCatalog, "zendesk", link("closed", "solved"), values("solved", "Fire"))).toBe(false)
    expect(isWriteBackEcho(defaultCatalog, "zendesk", link("closed", "solved"), values("open"))).toBe(false)
    expect(isWriteBackEcho(defaultCatalog, "zendesk", link("closed"), values("closed"))).toBe(false)
  })

  it("is not an echo once another helpdesk status was applied after the write-back", () => {
    // Written `solved`; then a human reopened the ticket (applied: open); the ticket back at `solved` is that human's
    // change, not the echo: it must reach Genesys.
    expect(isWriteBackEcho(defaultCatalog, "zendesk", link("open", "solved"), values("solved"))).toBe(false)
    expect(isWriteBackEcho(defaultCatalog, "zendesk", link("open", "solved"), values("open"))).toBe(false)
    // An absorbed echo leaves the helpdesk's own value applied (`solved` for a Closed workitem): still the window.
    expect(isWriteBackEcho(defaultCatalog, "zendesk", link("solved", "solved"), values("solved"))).toBe(true)
  })

  it("after an assignee written alone, absorbs only the bookkeeping change (no catalog field sees the assignee)", () => {
    const assigned: Link = { ...link("open"), writeBack: { assignee: "235323" } }
    expect(isWriteBackEcho(defaultCatalog, "zendesk", assigned, values("open"))).toBe(true)
    // A status the agent did not write (solved writes back to nothing here) is a real change, not an echo.
    expect(isWriteBackEcho(defaultCatalog, "zendesk", assigned, values("solved"))).toBe(false)
    expect(isWriteBackEcho(defaultCatalog, "zendesk", assigned, values("open", "Fire"))).toBe(false)
  })
})

describe("writeBackNote", () => {
  it("names the agent, the status, the wrap-up and the workitem", () => {
    const note = writeBackNote(
      { workitemId: "w-1", name: "Printer", dateModified: "x", assigneeId: "user-7", wrapupCode: "Fixed" },
      "Closed",
      "https://example.com/w-1"
    )
    expect(note).toBe(
      'Genesys Cloud: workitem "Printer" set to Closed.\nAgent: user-7\nWrap-up: Fixed\nWorkitem: https://example.com/w-1'
    )
    expect(writeBackNote({ workitemId: "w-2", dateModified: "x" }, undefined, undefined)).toBe(
      "Genesys Cloud: workitem changed.\nWorkitem: w-2"
    )
  })
})

describe("makeWriteBudget", () => {
  it("gives a burst, then one token per 60/perMinute seconds per source, and says how long to wait", async () => {
    const waits = await Effect.runPromise(
      Effect.gen(function* () {
        const budget = makeWriteBudget({ zendesk: { perMinute: 60, burst: 2 } })
        const at = (ms: number) => TestClock.setTime(ms).pipe(Effect.zipRight(budget.take("zendesk")))
        return [
          yield* at(0),
          yield* at(0),
          yield* at(0),
          yield* at(500),
          yield* at(1000),
          // Another source has its own bucket; a source without a budget is not limited.
          yield* makeWriteBudget({ jira: { perMinute: 6 } }).take("jira"),
          yield* budget.take("github")
        ]
      }).pipe(Effect.provide(TestContext.TestContext))
    )
    expect(waits).toEqual([0, 0, 1000, 500, 0, 0, 0])
  })
})

describe("classifyWriteFailure", () => {
  const failed = (operation: string, status?: number, invalid?: true) =>
    classifyWriteFailure(
      new HelpdeskError({
        source: "zendesk",
        operation,
        reason: "x",
        ...(status === undefined ? {} : { status }),
        ...(invalid === undefined ? {} : { invalid })
      })
    )
  it("retries what may succeed later, and knows which of those may have written the status", () => {
    expect(
      classifyWriteFailure(new RateLimited({ source: "zendesk", operation: "PUT x", status: 429, retryAfterMs: 1000 }))
    ).toEqual({ retry: true, mayHaveWritten: false })
    // No answer, or a server error, to the write: it may have landed.
    expect(failed("PUT /api/v2/tickets/{id}")).toEqual({ retry: true, mayHaveWritten: true })
    expect(failed("PUT /api/v2/tickets/{id}", 503)).toEqual({ retry: true, mayHaveWritten: true })
    // The same to the read that goes first: nothing was written.
    expect(failed("GET /api/v2/tickets/{id}")).toEqual({ retry: true, mayHaveWritten: false })
    expect(failed("GET /api/v2/tickets/{id}", 502)).toEqual({ retry: true, mayHaveWritten: false })
    expect(failed("PUT /api/v2/tickets/{id}", 409)).toEqual({ retry: true, mayHaveWritten: false })
    expect(failed("PUT /api/v2/tickets/{id}", 408)).toEqual({ retry: true, mayHaveWritten: false })
  })
  it("takes a refusal, or a request that could not be sent, as final and unwritten", () => {
    expect(failed("PUT /api/v2/tickets/{id}", 422)).toEqual({ retry: false, mayHaveWritten: false })
    expect(failed("PUT /api/v2/tickets/{id}", 404)).toEqual({ retry: false, mayHaveWritten: false })
    expect(failed("write-back assignee", undefined, true)).toEqual({ retry: false, mayHaveWritten: false })
  })
})

describe("callTimeLongerThanAWriteBack", () => {
  it("names the write-back sources whose per-call time is longer than a whole write-back may take", () => {
    const helpdesks = {
      zendesk: { timeoutMs: WRITE_BACK_TIMEOUT_MS + 1 },
      jira: { timeoutMs: WRITE_BACK_TIMEOUT_MS },
      github: {},
      freshdesk: { timeoutMs: 60_000 }
    }
    // freshdesk is configured with a long time but writes nothing back; jira's equals the bound; github has the default.
    expect(callTimeLongerThanAWriteBack(helpdesks, ["zendesk", "jira", "github", "servicenow"])).toEqual([
      { source: "zendesk", timeoutMs: WRITE_BACK_TIMEOUT_MS + 1 }
    ])
    expect(callTimeLongerThanAWriteBack(helpdesks, [])).toEqual([])
  })
})
