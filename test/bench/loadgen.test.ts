import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { performance } from "node:perf_hooks"
import { afterEach, describe, expect, it } from "vitest"
import { type LoadResult, percentile, runLoad } from "./loadgen.js"

describe("percentile", () => {
  it("is the nearest rank of an ascending list, and 0 of an empty one", () => {
    const sorted = Float64Array.from({ length: 100 }, (_, i) => i + 1)
    expect(percentile(sorted, 50)).toBe(50)
    expect(percentile(sorted, 99)).toBe(99)
    expect(percentile(sorted, 100)).toBe(100)
    expect(percentile([3, 7], 50)).toBe(3)
    expect(percentile([], 99)).toBe(0)
  })
})

describe("paced load", () => {
  let server: Server | undefined
  afterEach(async () => {
    await new Promise((r) => server?.close(r) ?? r(undefined))
    server = undefined
  })

  /** A server that records when each request arrived (ms from the first) and answers `status`. */
  const listen = async (status = 202) => {
    const arrivals: Array<number> = []
    const bodies: Array<string> = []
    server = createServer((req, res) => {
      arrivals.push(performance.now())
      let body = ""
      req.on("data", (d: Buffer) => (body += d.toString()))
      req.on("end", () => {
        bodies.push(body)
        res.statusCode = status
        res.end("{}")
      })
    })
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r))
    return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, arrivals, bodies }
  }

  it("sends rate × duration requests spread evenly over each second, not in a burst at its start", async () => {
    const srv = await listen()
    const result: LoadResult = await runLoad({
      url: srv.url,
      path: "/p",
      connections: 10,
      durationSeconds: 2,
      overallRate: 200,
      paced: true,
      body: { json: { a: 1 } }
    })
    expect(result.total).toBe(400)
    expect(result.non2xx + result.errors + result.timeouts).toBe(0)
    expect(srv.bodies.every((b) => b === '{"a":1}')).toBe(true)
    // Each quarter of each second gets about a quarter of that second's requests; a per-second burst (autocannon's
    // rate limit) would put nearly all of them in the first quarter.
    const first = srv.arrivals[0]!
    const quarters = [0, 0, 0, 0]
    for (const t of srv.arrivals) quarters[Math.floor(((t - first) % 1000) / 250)]!++
    for (const q of quarters) {
      expect(q).toBeGreaterThan(400 * 0.1)
      expect(q).toBeLessThan(400 * 0.4)
    }
    expect(result.latencyMs.p50).toBeGreaterThan(0)
    expect(result.latencyMs.p99).toBeGreaterThanOrEqual(result.latencyMs.p50)
    expect(result.sendLagMs).toBeDefined()
  })

  it("sends the warm-up's requests at the same pace and measures only the requests after it", async () => {
    const srv = await listen()
    const result = await runLoad({
      url: srv.url,
      path: "/p",
      connections: 4,
      durationSeconds: 1,
      warmupSeconds: 1,
      overallRate: 100,
      paced: true,
      body: { json: {} }
    })
    expect(srv.arrivals).toHaveLength(200)
    expect(result.total).toBe(100)
    // The measured second is the second one: its requests arrived a second or more after the first.
    expect(srv.arrivals[100]! - srv.arrivals[0]!).toBeGreaterThan(900)
    expect(result.durationSeconds).toBeLessThan(1.9)
  })

  it("counts answers that are not 2xx, and signs distinct generic-source events", async () => {
    const srv = await listen(503)
    const result = await runLoad({
      url: srv.url,
      path: "/w",
      connections: 2,
      durationSeconds: 1,
      overallRate: 20,
      paced: true,
      body: "generic-webhook",
      secret: "s"
    })
    expect(result.non2xx).toBe(20)
    expect(new Set(srv.bodies.map((b) => (JSON.parse(b) as { ticket_id: string }).ticket_id)).size).toBe(20)
  })

  it("refuses a paced run without a rate, and any host but the loopback", async () => {
    await expect(
      runLoad({
        url: "http://127.0.0.1:1",
        path: "/",
        connections: 1,
        durationSeconds: 1,
        paced: true,
        body: { json: 1 }
      })
    ).rejects.toThrow(/paced run needs overallRate/)
    await expect(
      runLoad({ url: "http://example.com", path: "/", connections: 1, durationSeconds: 1, body: { json: 1 } })
    ).rejects.toThrow(/must be on 127.0.0.1/)
  })
})
