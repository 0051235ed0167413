/** The edge's error mapping: `answerFor` per error kind, and `errorHandler`/`notFound` on a tiny app. */
import { adapters } from "@workbridge/adapters"
import express from "express"
import { pino } from "pino"
import request from "supertest"
import { describe, expect, it } from "vitest"
import { DeadLetterNotFound, InboxFull, StoreError } from "../../domain/errors.js"
import { ServiceMetrics } from "../../observability/Metrics.js"
import { HttpError } from "../httpError.js"
import { answerFor, CLIENT_LOG_LIMIT, errorHandler, notFound } from "./errors.js"

const bodyParserError = (type: string, status: number, message = "refused") =>
  Object.assign(new Error(message), { type, status, statusCode: status })

describe("answerFor", () => {
  it("answers an HttpError with its status, code, message and headers", () => {
    expect(
      answerFor(new HttpError(415, "UnsupportedEncoding", "no gzip", { "accept-encoding": "identity" }), 10, 5)
    ).toEqual({
      status: 415,
      body: { error: "UnsupportedEncoding", message: "no gzip" },
      headers: { "accept-encoding": "identity" }
    })
  })

  it("maps the body parser's refusals to 4xx codes of their own", () => {
    expect(answerFor(bodyParserError("entity.too.large", 413), 1234, 5).body).toEqual({
      error: "PayloadTooLarge",
      message: "the body exceeds 1234 bytes"
    })
    expect(answerFor(bodyParserError("entity.parse.failed", 400), 1, 5)).toMatchObject({
      status: 400,
      body: { error: "BadJson" }
    })
    expect(answerFor(bodyParserError("encoding.unsupported", 415), 1, 5)).toMatchObject({
      status: 415,
      body: { error: "UnsupportedEncoding", message: "the Content-Encoding is not supported" }
    })
    expect(answerFor(bodyParserError("charset.unsupported", 415), 1, 5)).toMatchObject({
      status: 415,
      body: { error: "UnsupportedCharset" }
    })
    expect(answerFor(bodyParserError("request.aborted", 400), 1, 5).body.error).toBe("RequestAborted")
    expect(answerFor(bodyParserError("something.new", 400, "unexpected end of file"), 1, 5).body).toEqual({
      error: "BadRequest",
      message: "the body could not be decoded (corrupt Content-Encoding)"
    })
  })

  it("takes a path Express could not decode for the client's mistake", () => {
    expect(answerFor(new URIError("URI malformed"), 1, 5)).toMatchObject({ status: 400, body: { error: "BadRequest" } })
    expect(answerFor(Object.assign(new Error("Failed to decode param"), { status: 400 }), 1, 5)).toMatchObject({
      status: 400,
      body: { error: "BadRequest" }
    })
  })

  it("answers the store's failures 503 with Retry-After, and says when the disk cannot take the write", () => {
    const full = answerFor(
      new StoreError({ operation: "accept", cause: Object.assign(new Error("disk"), { code: "SQLITE_FULL" }) }),
      1,
      17
    )
    expect(full).toMatchObject({
      status: 503,
      headers: { "retry-after": "17" },
      log: "store",
      body: { error: "StoreUnavailable" }
    })
    expect(full.body.message).toContain("disk full")
    expect(answerFor(new StoreError({ operation: "accept", cause: new Error("x") }), 1, 17).body.message).toBe(
      "the store failed; retry later"
    )
    expect(answerFor(new InboxFull({ depth: 3, limit: 3 }), 1, 17)).toMatchObject({
      status: 503,
      headers: { "retry-after": "17" },
      body: { error: "InboxFull" }
    })
    expect(answerFor(new InboxFull({ depth: 3, limit: 3 }), 1, 17).log).toBeUndefined()
  })

  it("answers an unknown dead letter 404 and anything else 500 without its message", () => {
    expect(answerFor(new DeadLetterNotFound({ id: "d1" }), 1, 5)).toMatchObject({
      status: 404,
      body: { error: "DeadLetterNotFound", message: 'no dead letter with id "d1"' }
    })
    expect(answerFor(new Error("secret detail"), 1, 5)).toEqual({
      status: 500,
      body: { error: "Internal", message: "internal error" },
      headers: {},
      log: "internal"
    })
    expect(answerFor("a string", 1, 5).status).toBe(500)
  })
})

describe("errorHandler and notFound", () => {
  const tinyApp = () => {
    const lines: Array<{ level: number; msg: string; status?: number }> = []
    const log = pino(
      { level: "debug" },
      { write: (s: string) => void lines.push(JSON.parse(s) as { level: number; msg: string }) }
    )
    const metrics = new ServiceMetrics()
    const app = express()
    app.post("/webhooks/:source", () => {
      throw new HttpError(401, "Unauthorized", "bad signature")
    })
    app.get("/boom", () => {
      throw new Error("an unexpected failure")
    })
    app.use(notFound)
    app.use(
      errorHandler({ sources: { generic: adapters.generic }, maxBodyBytes: 10, retryAfterSeconds: 5, metrics, log })
    )
    return { app, lines, metrics }
  }

  it("answers the mapped status and JSON body; unmatched routes are NotFound", async () => {
    const { app } = tinyApp()
    const res = await request(app).get("/nowhere")
    expect(res.status).toBe(404)
    expect(res.body).toEqual({ error: "NotFound", message: "no route GET /nowhere" })
  })

  it("counts webhook answers by configured source only: anything else, and every 404, is `unknown`", async () => {
    const { app, metrics } = tinyApp()
    await request(app).post("/webhooks/generic").send({})
    await request(app).post("/webhooks/nope").send({})
    await request(app).post("/webhooks/constructor").send({})
    await request(app).get("/webhooks/generic")
    const values = (await metrics.webhooks.get()).values.map((v) => ({ ...v.labels, value: v.value }))
    expect(values).toEqual(
      expect.arrayContaining([
        { source: "generic", status: "401", value: 1 },
        { source: "unknown", status: "401", value: 2 },
        { source: "unknown", status: "404", value: 1 }
      ])
    )
    expect(values).toHaveLength(3)
  })

  it("logs an internal error without answering its message, and client refusals at debug at most CLIENT_LOG_LIMIT times", async () => {
    const { app, lines } = tinyApp()
    const boom = await request(app).get("/boom")
    expect(boom.body).toEqual({ error: "Internal", message: "internal error" })
    expect(lines.filter((l) => l.level === 50).map((l) => l.msg)).toEqual(["request failed"])
    for (let i = 0; i < CLIENT_LOG_LIMIT + 5; i++) await request(app).get(`/missing-${i}`)
    expect(lines.filter((l) => l.msg === "request refused")).toHaveLength(CLIENT_LOG_LIMIT)
    expect(lines.filter((l) => l.msg === "request refused").every((l) => l.level === 20)).toBe(true)
  })
})
