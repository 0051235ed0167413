import { createServer, type IncomingMessage, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { afterEach, describe, expect, it } from "vitest"
import { type SendResult, sendDeliveries } from "./send.js"
import { generateStorm } from "./storm.js"

interface Seen {
  readonly path: string
  readonly headers: IncomingMessage["headers"]
  readonly body: string
}

const servers: Array<Server> = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))))
})

/** A stand-in service: records each request and answers with `answer(n)` (n counts from 1). */
const serve = async (
  answer: (n: number) => { status: number; headers?: Record<string, string>; body?: string }
): Promise<{ url: string; seen: Array<Seen> }> => {
  const seen: Array<Seen> = []
  const server = createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => {
      seen.push({ path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") })
      const a = answer(seen.length)
      res.writeHead(a.status, a.headers ?? {})
      res.end(a.body ?? "")
    })
  })
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen }
}

/** The sender's attempt counts: every attempt, the helpdesk's retries after a wait, the ones passed on at once. */
const counts = (r: SendResult) => ({ attempts: r.attempts, retries: r.retries, nextUpstream: r.nextUpstream })

/** A port nobody listens on (a service that is down). */
const closedUrl = async (): Promise<string> => {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r))
  const port = (s.address() as AddressInfo).port
  await new Promise((r) => s.close(r))
  return `http://127.0.0.1:${port}`
}

describe("sendDeliveries", () => {
  const storm = generateStorm({ tickets: 2, events: 4, seed: 3, duplicateShare: 0 })

  it("posts each delivery's body, signed, and retries a 503 and a refused connection on the next URL until a 202", async () => {
    const d = storm.deliveries[0]!
    const service = await serve((n) =>
      n === 1 ? { status: 503, headers: { "retry-after": "1" } } : { status: 202, body: '{"status":"accepted"}' }
    )
    const r = await sendDeliveries({
      urls: [service.url, await closedUrl()],
      storm,
      deliveries: [d],
      retryDelayMs: 1,
      maxRetryAfterMs: 1
    })
    expect(r.accepted).toEqual([d])
    expect(r.refused).toEqual([])
    expect(r.failed).toEqual([])
    // service (503, retried after a wait), the closed URL (refused: passed on at once), service (202)
    expect(counts(r)).toEqual({
      attempts: 3,
      retries: 1,
      nextUpstream: 1
    })
    expect(service.seen).toHaveLength(2)
    for (const s of service.seen) {
      expect(s.path).toBe(d.path)
      expect(s.body).toBe(d.body)
      expect(s.headers["content-type"]).toMatch(/json/)
      expect(Number(s.headers["content-length"])).toBe(Buffer.byteLength(d.body))
    }
    // Signed as its vendor signs, at send time: the vendor's signature header is there.
    const signatureHeaders = Object.keys(service.seen[0]!.headers).filter((h) => /signature|token|hmac/i.test(h))
    expect(signatureHeaders.length).toBeGreaterThan(0)
  })

  it("passes a refused connection to the next URL at once, as a load balancer does, and waits only when every URL refused", async () => {
    const service = await serve(() => ({ status: 202, body: '{"status":"accepted"}' }))
    const down = await closedUrl()
    const started = Date.now()
    const passed = await sendDeliveries({
      urls: [down, service.url],
      storm,
      deliveries: storm.deliveries.slice(0, 2),
      concurrency: 1,
      retryDelayMs: 60_000
    })
    // Each delivery's turn falls on the URL that is down first; each is sent on to the next without the 60 s wait.
    expect(passed.accepted).toHaveLength(2)
    expect(counts(passed)).toEqual({
      attempts: 4,
      retries: 0,
      nextUpstream: 2
    })
    expect(Date.now() - started).toBeLessThan(60_000)
    expect(service.seen.map((x) => x.body)).toEqual(storm.deliveries.slice(0, 2).map((d) => d.body))

    const allDown = await sendDeliveries({
      urls: [down, await closedUrl()],
      storm,
      deliveries: storm.deliveries.slice(0, 1),
      maxAttempts: 4,
      retryDelayMs: 1
    })
    // refused, passed on, refused by every URL: a helpdesk's retry after a wait; the same again; then given up
    expect(allDown.failed).toHaveLength(1)
    expect(counts(allDown)).toEqual({
      attempts: 4,
      retries: 2,
      nextUpstream: 2
    })
  })

  it("counts a final 4xx as refused, with the status and the body, and does not retry it", async () => {
    const service = await serve(() => ({ status: 400, body: "bad payload: fields.status" }))
    const r = await sendDeliveries({ urls: [service.url], storm, deliveries: storm.deliveries.slice(0, 2) })
    expect(r.accepted).toEqual([])
    expect(r.refused.map((x) => [x.status, x.body])).toEqual([
      [400, "bad payload: fields.status"],
      [400, "bad payload: fields.status"]
    ])
    expect(service.seen).toHaveLength(2)
    expect(r.retries).toBe(0)
  })

  it("gives a delivery up after maxAttempts when the service never answers 202", async () => {
    const service = await serve(() => ({ status: 500 }))
    const r = await sendDeliveries({
      urls: [service.url],
      storm,
      deliveries: storm.deliveries.slice(0, 1),
      maxAttempts: 3,
      retryDelayMs: 1
    })
    expect(r.failed).toHaveLength(1)
    expect(service.seen).toHaveLength(3)
  })

  it("stops when its signal is aborted: requests in flight end, and what was not answered counts as failed", async () => {
    // A service that reads the request and never answers.
    const hung = await serve(() => ({ status: 0 }))
    const server = servers[servers.length - 1]!
    server.removeAllListeners("request")
    server.on("request", (req: IncomingMessage) => req.resume())
    const abort = new AbortController()
    setTimeout(() => abort.abort(), 100)
    const r = await sendDeliveries({
      urls: [hung.url],
      storm,
      deliveries: storm.deliveries.slice(0, 3),
      concurrency: 2,
      retryDelayMs: 1,
      signal: abort.signal
    })
    expect(r.accepted).toEqual([])
    expect(r.failed).toHaveLength(2)
    expect(r.attempts).toBe(2)
  })
})
