/** Traces in distributed mode: the accepting span's context rides the RabbitMQ message to the replica that applies it. */
import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace-base"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { genericBody, type Harness, startHarness } from "../testing/harness.js"
import { SPAN_ATTRIBUTES } from "../observability/Tracing.js"
import { RABBITMQ_URL, REDIS_URL, dropNamespaces, freshPrefix } from "./testSupport.js"

describe("tracing with RabbitMQ + Redis", () => {
  const exporter = new InMemorySpanExporter()
  let h: Harness
  beforeAll(async () => {
    h = await startHarness(
      {
        WORKBRIDGE_QUEUE: "rabbitmq",
        WORKBRIDGE_STATE: "redis",
        WORKBRIDGE_RABBITMQ_URL: RABBITMQ_URL,
        WORKBRIDGE_REDIS_URL: REDIS_URL,
        WORKBRIDGE_NAMESPACE: freshPrefix(2),
        WORKBRIDGE_PARTITIONS: "2",
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:9"
      },
      {},
      undefined,
      { traceExporter: exporter }
    )
  })
  afterAll(async () => {
    await h?.close()
    await dropNamespaces()
  })

  it("parents the apply span on the accept span whose context the message header carried", async () => {
    expect((await h.post(genericBody({ ticketId: "DT-1", rev: 1 }))).status).toBe(202)
    await h.waitFor("DT-1", (s) => s.workitemId !== undefined && s.pendingEvents === 0)
    const deadline = Date.now() + 20_000
    let apply: ReadableSpan | undefined
    while (apply === undefined && Date.now() < deadline) {
      apply = exporter
        .getFinishedSpans()
        .find((s) => s.name === "Engine.apply" && s.attributes[SPAN_ATTRIBUTES.ticketId] === "DT-1")
      if (apply === undefined) await new Promise((r) => setTimeout(r, 25))
    }
    const spans = exporter.getFinishedSpans()
    const accept = spans.find((s) => s.name === "Inbox.accept" && s.attributes[SPAN_ATTRIBUTES.ticketId] === "DT-1")!
    expect(apply?.spanContext().traceId).toBe(accept.spanContext().traceId)
    expect(apply?.parentSpanContext?.spanId).toBe(accept.spanContext().spanId)
    expect(apply?.attributes[SPAN_ATTRIBUTES.outcome]).toBe("Applied")
    const create = spans.filter(
      (s) => s.name === "Genesys.createWorkitem" && s.spanContext().traceId === accept.spanContext().traceId
    )
    expect(create.map((s) => s.parentSpanContext?.spanId)).toEqual([apply?.spanContext().spanId])
  })
})
