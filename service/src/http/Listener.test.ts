import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { Socket } from "node:net"
import express from "express"
import { afterEach, describe, expect, it } from "vitest"
import { createListener, HTTP_TIMEOUTS, messageClassesOf } from "./Listener.js"

describe("messageClassesOf", () => {
  it("makes an Express app's requests and responses with the app's own prototypes, as working Node objects", () => {
    const app = express()
    const { IncomingMessage, ServerResponse } = messageClassesOf(app)
    expect(IncomingMessage).toBeDefined()
    expect(ServerResponse).toBeDefined()
    const req = new IncomingMessage!(new Socket())
    expect(Object.getPrototypeOf(req)).toBe(app.request)
    expect(req).toBeInstanceOf(http.IncomingMessage)
    expect(req.headers).toEqual({})
    const res = new ServerResponse!(req)
    expect(Object.getPrototypeOf(res)).toBe(app.response)
    expect(res).toBeInstanceOf(http.ServerResponse)
    expect(res.statusCode).toBe(200)
  })

  it("leaves any other request listener with Node's own classes", () => {
    expect(messageClassesOf((_req, res) => res.end())).toEqual({})
  })
})

describe("createListener", () => {
  let server: http.Server | undefined
  afterEach(async () => {
    await new Promise((r) => (server === undefined ? r(undefined) : server.close(r)))
    server = undefined
  })

  it("serves an Express app whose requests are born with its prototypes, with the timeouts applied", async () => {
    const app = express()
    app.post("/echo", express.json(), (req, res) => {
      res.status(202).json({ echo: req.body, sameApp: req.app === app, locals: typeof res.locals })
    })
    server = createListener(app, undefined)
    const born: Array<unknown> = []
    // Runs before Express takes the request (and sets its prototype): what Node made.
    server.prependListener("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
      born.push(Object.getPrototypeOf(req) === app.request, Object.getPrototypeOf(res) === app.response)
    })
    expect(server.headersTimeout).toBe(HTTP_TIMEOUTS.headersTimeoutMs)
    expect(server.requestTimeout).toBe(HTTP_TIMEOUTS.requestTimeoutMs)
    expect(server.keepAliveTimeout).toBe(HTTP_TIMEOUTS.keepAliveTimeoutMs)
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r))
    const port = (server.address() as AddressInfo).port
    const answer = await fetch(`http://127.0.0.1:${port}/echo`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ a: 1 })
    })
    expect(answer.status).toBe(202)
    expect(await answer.json()).toEqual({ echo: { a: 1 }, sameApp: true, locals: "object" })
    expect(born).toEqual([true, true])
  })
})
