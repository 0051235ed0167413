/** The webhook body middleware on a tiny app: only identity encoding, the raw bytes as sent, a size limit. */
import { gzipSync } from "node:zlib"
import express from "express"
import request from "supertest"
import { describe, expect, it } from "vitest"
import { HttpError } from "../httpError.js"
import { identityEncodingOnly, rawBody } from "./body.js"

const LIMIT = 64

const tinyApp = () => {
  const app = express()
  app.post("/hook", identityEncodingOnly, rawBody(LIMIT), (req, res) => {
    res.json({ isBuffer: Buffer.isBuffer(req.body), hex: Buffer.isBuffer(req.body) ? req.body.toString("hex") : null })
  })
  app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    if (err instanceof HttpError)
      res.status(err.status).set(err.headers).json({ error: err.code, message: err.message })
    else res.status(599).json({ type: (err as { type?: string }).type })
  })
  return app
}

describe("identityEncodingOnly", () => {
  const app = tinyApp()

  it("refuses a compressed body with 415 and Accept-Encoding: identity, naming the encoding", async () => {
    for (const encoding of ["gzip", "GZIP", "deflate", "br", "identity, gzip"]) {
      const res = await request(app).post("/hook").set("content-encoding", encoding).send(gzipSync("{}"))
      expect(res.status, encoding).toBe(415)
      expect(res.body.error).toBe("UnsupportedEncoding")
      expect(res.body.message).toContain(JSON.stringify(encoding.toLowerCase()))
      expect(res.headers["accept-encoding"]).toBe("identity")
    }
  })

  it("passes no Content-Encoding, an empty one and identity (any case, padded)", async () => {
    for (const encoding of [undefined, "", "identity", " Identity "]) {
      const req = request(app).post("/hook").set("content-type", "application/json")
      const res = await (encoding === undefined ? req : req.set("content-encoding", encoding)).send('{"a":1}')
      expect(res.status, String(encoding)).toBe(200)
    }
  })
})

describe("rawBody", () => {
  const app = tinyApp()

  it("hands over the bytes as sent, whatever the content type", async () => {
    const bytes = Buffer.from([0x7b, 0x22, 0xc3, 0xa9, 0x22, 0x7d, 0x00, 0xff])
    for (const type of ["application/json", "text/plain; charset=latin1", "application/octet-stream"]) {
      // Sent as is: no serialization of the Buffer by the client for a JSON content type.
      const res = await request(app)
        .post("/hook")
        .set("content-type", type)
        .serialize((b: Buffer) => b as unknown as string)
        .send(bytes)
      expect(res.body, type).toEqual({ isBuffer: true, hex: bytes.toString("hex") })
    }
  })

  it("refuses a body over the limit with body-parser's entity.too.large (answered 413 by the error mapping)", async () => {
    const res = await request(app)
      .post("/hook")
      .set("content-type", "application/json")
      .send("x".repeat(LIMIT + 1))
    expect(res.body).toEqual({ type: "entity.too.large" })
    const atLimit = await request(app).post("/hook").set("content-type", "application/json").send("x".repeat(LIMIT))
    expect(atLimit.status).toBe(200)
  })
})
