/** The console in distributed mode (RabbitMQ inbox, Redis links and audit trail): a ticket's timeline comes from Redis. */
import request from "supertest"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { RABBITMQ_URL, REDIS_URL, dropNamespaces, freshPrefix } from "../distributed/testSupport.js"
import { genericBody, type Harness, startHarness } from "../testing/harness.js"

describe("console with RabbitMQ + Redis", () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness({
      WORKBRIDGE_QUEUE: "rabbitmq",
      WORKBRIDGE_STATE: "redis",
      WORKBRIDGE_RABBITMQ_URL: RABBITMQ_URL,
      WORKBRIDGE_REDIS_URL: REDIS_URL,
      WORKBRIDGE_NAMESPACE: freshPrefix(2),
      WORKBRIDGE_PARTITIONS: "2"
    })
  })
  afterAll(async () => {
    await h?.close()
    await dropNamespaces()
  })

  it("shows deliveries, the Genesys calls and the outcome of a ticket from the Redis audit trail", async () => {
    await h.post(genericBody({ ticketId: "R-1", rev: 1 }))
    const status = await h.waitFor("R-1", (s) => s.workitemId !== undefined && s.pendingEvents === 0)
    await h.post(genericBody({ ticketId: "R-1", rev: 1 }))
    const page = await request(h.service.url).get("/ops/ticket?source=generic&id=R-1")
    expect(page.text).toContain(`<code data-testid="workitem-id">${status.workitemId}</code>`)
    const kinds = [...page.text.matchAll(/class="kind kind-(\w+)"/g)].map((m) => m[1])
    expect(kinds.filter((k) => k !== "call")).toEqual(["received", "applied", "duplicate"])
    expect(page.text).toMatch(/<code>createWorkitem<\/code> → HTTP 200/)
    const overview = await request(h.service.url).get("/ops")
    expect(overview.text).toContain("every replica sharing this Genesys OAuth client")
  })
})
