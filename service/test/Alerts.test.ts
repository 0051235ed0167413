/** Backpressure alerts and the Data Action mount, on a service whose workers wait (a long coalescing window). */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { genericBody, type Harness, metricValue, startHarness } from "../src/testing/harness.js"

let h: Harness
beforeAll(async () => {
  h = await startHarness({
    WORKBRIDGE_COALESCE_MS: "1500",
    WORKBRIDGE_INBOX_SOFT_LIMIT: "2",
    WORKBRIDGE_INBOX_HARD_LIMIT: "100",
    WORKBRIDGE_DEAD_LETTER_ALERT: "0",
    WORKBRIDGE_DATA_ACTION_TOKEN: "data-action-token-0123"
  })
})
afterAll(async () => {
  await h?.close()
})

describe("alerts", () => {
  it("raises the soft-watermark alert while the inbox is deep, and the dead-letter alert above its threshold", async () => {
    for (const t of ["AL-1", "AL-2", "AL-3"])
      expect((await h.post(genericBody({ ticketId: t, rev: 1 }))).status).toBe(202)
    const deep = await (await fetch(`${h.service.url}/metrics`)).text()
    expect(metricValue(deep, "workbridge_inbox_depth")).toBe(3)
    expect(metricValue(deep, "workbridge_inbox_soft_limit_exceeded")).toBe(1)
    expect(metricValue(deep, 'workbridge_alerts_total{alert="inbox_soft_limit"}')).toBe(1)

    await h.post(genericBody({ ticketId: "AL-BAD", rev: 1, fields: { subject: null, due_at: "not a date" } }))
    await h.waitFor("AL-BAD", (s) => s.lastError !== undefined)
    for (const t of ["AL-1", "AL-2", "AL-3"]) await h.waitFor(t, (s) => s.pendingEvents === 0)
    const after = await (await fetch(`${h.service.url}/metrics`)).text()
    expect(metricValue(after, "workbridge_inbox_depth")).toBe(0)
    expect(metricValue(after, "workbridge_inbox_soft_limit_exceeded")).toBe(0)
    expect(metricValue(after, "workbridge_dead_letters")).toBe(1)
    expect(metricValue(after, "workbridge_dead_letters_alert")).toBe(1)
    expect(metricValue(after, 'workbridge_alerts_total{alert="dead_letters"}')).toBe(1)
  })

  it("mounts the Data Action router with the configured credentials and the ticket status", async () => {
    await h.waitFor("AL-1", (s) => s.workitemId !== undefined)
    const call = (auth?: string) =>
      fetch(`${h.service.url}/data-actions/ticket-status`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(auth !== undefined ? { authorization: auth } : {}) },
        body: JSON.stringify({ source: "generic", ticketId: "AL-1" })
      })
    expect((await call()).status).toBe(401)
    const ok = await call("Bearer data-action-token-0123")
    expect(ok.status).toBe(200)
    const body = (await ok.json()) as { found: boolean; linked: boolean }
    expect(body.found).toBe(true)
    expect(body.linked).toBe(true)
  })
})
