/** `requireJson` on a tiny app: the handler is reached only with a JSON body. */
import express from "express"
import request from "supertest"
import { describe, expect, it } from "vitest"
import { requireJson, requireJsonThen } from "./requireJson.js"

const app = express()
app.post("/action", requireJson, (req, res) => {
  res.json({ reached: req.headers["content-type"] })
})
app.post("/parsed", requireJsonThen(express.json({ type: () => true })), (req, res) => {
  res.json({ parsed: req.body })
})

describe("requireJson", () => {
  it("passes JSON media types, parameters and +json suffixes included", async () => {
    for (const type of ["application/json", "application/json; charset=utf-8", "application/vnd.genesys+json"]) {
      const res = await request(app).post("/action").set("content-type", type).send("{}")
      expect(res.status, type).toBe(200)
      expect(res.body).toEqual({ reached: type })
    }
  })

  it("refuses a call without a body with 400 naming the body", async () => {
    const res = await request(app).post("/action").set("content-type", "application/json")
    expect(res.status).toBe(400)
    expect(res.body).toEqual({
      error: "malformed_input",
      message: "malformed input: body: is required (a JSON object)",
      issues: [{ field: "body", problem: "is required (a JSON object)" }]
    })
  })

  it("gives the same verdict for a media type seen before, also after many distinct ones", async () => {
    const json = Array.from({ length: 40 }, (_, i) => `application/vnd.v${i}+json`)
    const other = Array.from({ length: 40 }, (_, i) => `text/v${i}`)
    for (const round of [1, 2]) {
      for (const [type, status] of [...json.map((t) => [t, 200] as const), ...other.map((t) => [t, 415] as const)]) {
        const res = await request(app).post("/action").set("content-type", type).send("{}")
        expect(res.status, `round ${round}: ${type}`).toBe(status)
      }
    }
  })

  it("refuses a body that is not JSON with 415", async () => {
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "application/jsonx"]) {
      const res = await request(app).post("/action").set("content-type", type).send("a=1")
      expect(res.status, type).toBe(415)
      expect(res.body.error).toBe("unsupported_media_type")
    }
  })

  it("runs the parser after the check when combined with it", async () => {
    await request(app)
      .post("/parsed")
      .set("content-type", "application/json")
      .send('{"a":1}')
      .expect(200, { parsed: { a: 1 } })
    const refused = await request(app).post("/parsed").set("content-type", "text/plain").send('{"a":1}')
    expect(refused.status).toBe(415)
    const empty = await request(app).post("/parsed").set("content-type", "application/json")
    expect(empty.status).toBe(400)
  })
})
