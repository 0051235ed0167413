/** The webhook request's server span on a tiny app, with a tracer that records the spans it makes. */
import { adapters } from "@workbridge/adapters"
import { Effect, Tracer } from "effect"
import express from "express"
import request from "supertest"
import { describe, expect, it } from "vitest"
import { SPAN_ATTRIBUTES } from "../../observability/Tracing.js"
import { requestSpanOf, webhookRequestSpan } from "./requestSpan.js"

const recordingTracer = () => {
  const native = Effect.runSync(Effect.tracer)
  const spans: Array<Tracer.Span> = []
  const tracer = Tracer.make({
    span: (...args) => {
      const span = native.span(...args)
      spans.push(span)
      return span
    },
    context: native.context
  })
  return { tracer, spans }
}

describe("webhookRequestSpan", () => {
  it("starts a root server span per request, kept in res.locals, ended with the response status", async () => {
    const { tracer, spans } = recordingTracer()
    const app = express()
    app.post("/webhooks/:source", webhookRequestSpan(tracer, { generic: adapters.generic }), (_req, res) => {
      res.status(202).json({ spanOpen: requestSpanOf(res)?.span.status._tag })
    })
    const res = await request(app).post("/webhooks/generic").send({})
    expect(res.body).toEqual({ spanOpen: "Started" })
    expect(spans).toHaveLength(1)
    const span = spans[0]!
    expect(span.name).toBe("POST /webhooks/:source")
    expect(span.kind).toBe("server")
    expect(span.parent._tag).toBe("None")
    expect(span.attributes.get(SPAN_ATTRIBUTES.source)).toBe("generic")
    expect(span.attributes.get("http.response.status_code")).toBe(202)
    expect(span.status._tag).toBe("Ended")
  })

  it("names an unconfigured source `unknown` (a path is not an attribute) and marks a 5xx as failed", async () => {
    const { tracer, spans } = recordingTracer()
    const app = express()
    app.post("/webhooks/:source", webhookRequestSpan(tracer, { generic: adapters.generic }), (_req, res) => {
      res.status(503).end()
    })
    await request(app).post("/webhooks/constructor").send({})
    const span = spans[0]!
    expect(span.attributes.get(SPAN_ATTRIBUTES.source)).toBe("unknown")
    expect(span.attributes.get("http.response.status_code")).toBe(503)
    expect(span.status._tag === "Ended" ? span.status.exit._tag : "open").toBe("Failure")
  })
})
