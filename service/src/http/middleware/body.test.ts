/** The webhook body middleware on a tiny app: only identity encoding, the raw bytes as sent, a size limit. */
import { once } from "node:events"
import { type AddressInfo, connect } from "node:net"
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

describe("rawBody, on the wire", () => {
  // A raw HTTP/1.1 request on a socket: chunked bodies, and a client that goes away in the middle of its body.
  const withServer = async (
    run: (port: number, errors: Array<string | undefined>) => Promise<void>
  ): Promise<Array<string | undefined>> => {
    const errors: Array<string | undefined> = []
    const app = express()
    app.post("/hook", rawBody(LIMIT), (req, res) => {
      res.json({ hex: Buffer.isBuffer(req.body) ? req.body.toString("hex") : null })
    })
    app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      errors.push((err as { type?: string }).type)
      res.status((err as { status?: number }).status ?? 500).json({ type: (err as { type?: string }).type })
    })
    const server = app.listen(0, "127.0.0.1")
    await once(server, "listening")
    try {
      await run((server.address() as AddressInfo).port, errors)
    } finally {
      server.close()
    }
    return errors
  }
  const exchange = (port: number, request: string, hangUp = false): Promise<string> =>
    new Promise((resolve, reject) => {
      const socket = connect(port, "127.0.0.1", () => {
        socket.write(request)
        if (hangUp) setTimeout(() => socket.destroy(), 50)
      })
      let answer = ""
      socket.on("data", (d: Buffer) => {
        answer += d.toString("latin1")
        if (/\r\n\r\n[\s\S]*\}$/.test(answer)) socket.end()
      })
      socket.on("close", () => resolve(answer))
      socket.on("error", reject)
    })
  const chunked = (parts: ReadonlyArray<string>) =>
    `POST /hook HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${parts
      .map((p) => `${Buffer.byteLength(p).toString(16)}\r\n${p}\r\n`)
      .join("")}0\r\n\r\n`

  it("joins a chunked body's chunks and refuses one that grows past the limit with entity.too.large", async () => {
    await withServer(async (port) => {
      const ok = await exchange(port, chunked(["ab", "cd", "ef"]))
      expect(ok).toMatch(/^HTTP\/1\.1 200/)
      expect(ok).toContain(JSON.stringify({ hex: Buffer.from("abcdef").toString("hex") }))
      const big = await exchange(port, chunked(["x".repeat(LIMIT / 2), "x".repeat(LIMIT / 2), "x"]))
      expect(big).toMatch(/^HTTP\/1\.1 413/)
      expect(big).toContain("entity.too.large")
    })
  })

  it("leaves a request without a body without one, and reports a client gone mid-body as request.aborted", async () => {
    const errors = await withServer(async (port) => {
      const none = await exchange(port, "POST /hook HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
      expect(none).toContain(JSON.stringify({ hex: null }))
      await exchange(port, "POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\n\r\n0123456789", true)
      await new Promise((r) => setTimeout(r, 100))
    })
    expect(errors).toEqual(["request.aborted"])
  })
})
