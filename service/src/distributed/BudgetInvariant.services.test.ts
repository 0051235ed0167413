/**
 * The shared budget's invariant against a real Redis: whatever replicas ask, whatever their clocks say, and across a
 * replica's kill -9 and restart, the Redis token bucket never admits more than `burst + perMinute × minutes` in any
 * window — so never more than budget + burst in any 60 s. Admissions are timed by Redis (the time each token was
 * taken), so the check does not depend on any replica's clock.
 *
 * And where Genesys counts, on arrival: replicas send one request per token to a server that timestamps what
 * arrives, while an adversary holds each call within the in-flight allowance (up to the hand-off deadline before it
 * is handed on, the rest in transit) so that calls admitted apart arrive together, and holds some past the deadline;
 * no span of arrivals holds more than `burst + perMinute × minutes` either.
 */
import { setTimeout as sleep } from "node:timers/promises"
import { type ChildProcess, spawn } from "node:child_process"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { fileURLToPath } from "node:url"
import { Redis } from "ioredis"
import { afterAll, describe, expect, it } from "vitest"
import { bucketExcess, maxInWindow } from "@workbridge/genesys-emulator"
import type { ArrivalSpec, BudgetClientSpec } from "../testing/budgetClient.js"
import * as RedisRateBudget from "./RedisRateBudget.js"
import { REDIS_URL, dropNamespaces, freshPrefix } from "./testSupport.js"

afterAll(dropNamespaces, 60_000)

const SERVICE_DIR = fileURLToPath(new URL("../../", import.meta.url))

interface Client {
  readonly child: ChildProcess
  readonly ready: Promise<void>
  readonly done: Promise<void>
  readonly admitted: Array<number>
  /** Requests answered and tokens dropped unused (arrival mode). */
  readonly counts: { sent: number; dropped: number }
}

/** A budget client in its own process (`testing/budgetClient.ts`), as a replica is. */
const spawnClient = (spec: BudgetClientSpec): Client => {
  const child = spawn(process.execPath, ["--import", "tsx", "src/testing/budgetClient.ts", JSON.stringify(spec)], {
    cwd: SERVICE_DIR,
    stdio: ["ignore", "pipe", "pipe"]
  })
  const admitted: Array<number> = []
  const counts = { sent: 0, dropped: 0 }
  let buffer = ""
  let err = ""
  let onReady: () => void = () => undefined
  const ready = new Promise<void>((r) => (onReady = r))
  child.stdout!.on("data", (d: Buffer) => {
    buffer += d.toString("utf8")
    const lines = buffer.split("\n")
    buffer = lines.pop() ?? ""
    for (const line of lines) {
      if (line === "ready") onReady()
      if (line === "sent") counts.sent++
      if (line === "dropped") counts.dropped++
      const m = /^admit (\d+)$/.exec(line)
      if (m !== null) admitted.push(Number(m[1]))
    }
  })
  child.stderr!.on("data", (d: Buffer) => (err += d.toString("utf8")))
  const done = new Promise<void>((resolve, reject) =>
    child.once("exit", (code, signal) => {
      if (code === 0 || signal === "SIGKILL") resolve()
      else reject(new Error(`budget client exited with ${code ?? signal}: ${err}`))
    })
  )
  done.catch(() => onReady())
  return { child, ready, done, admitted, counts }
}

/**
 * Replicas whose clocks are 45 s ahead and 60 s behind, and one killed with SIGKILL a third of the way in and started
 * again for the rest; answers once all of them are done.
 */
const replicasWithAKill = async (base: Omit<BudgetClientSpec, "durationMs" | "skewMs">, durationMs: number) => {
  const ahead = spawnClient({ ...base, durationMs, skewMs: 45_000 })
  const behind = spawnClient({ ...base, durationMs, skewMs: -60_000 })
  const killed = spawnClient({ ...base, durationMs, skewMs: 0 })
  await Promise.all([ahead.ready, behind.ready, killed.ready])
  await sleep(durationMs / 3)
  killed.child.kill("SIGKILL")
  await killed.done
  const restarted = spawnClient({ ...base, durationMs: (durationMs * 2) / 3, skewMs: 0 })
  await Promise.all([ahead.done, behind.done, restarted.done])
  return { ahead, behind, killed, restarted }
}

/** A server that timestamps every request as it arrives (the real clock), as Genesys counts its rate limit. */
const arrivalServer = async () => {
  const arrived: Array<number> = []
  const server = createServer((req, res) => {
    arrived.push(performance.timeOrigin + performance.now())
    req.resume()
    res.writeHead(204).end()
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    arrived,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

describe("shared budget invariant", () => {
  it("never admits more than burst + budget × time in any window: replicas with skewed clocks, one killed with kill -9 and restarted", async () => {
    const prefix = freshPrefix()
    const perMinute = 3000
    const burst = 10
    const perMs = perMinute / 60_000
    const durationMs = 6000
    const base = { url: REDIS_URL, prefix, clientId: "budget-invariant", perMinute, burst, loops: 2 }

    // This process is one replica (two takers on one connection), started first so it spends the initial burst.
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 })
    const local: Array<number> = []
    const bucket = RedisRateBudget.sharedBucket(redis, { prefix, clientId: base.clientId, perMinute, burst })
    const end = Date.now() + durationMs + 3000
    const taker = async () => {
      while (Date.now() < end) {
        const { wait, at } = await bucket.admit()
        if (wait === 0) local.push(at)
        else await sleep(Math.min(wait, 5_000) + Math.floor(Math.random() * 5))
      }
    }
    const takers = Promise.all([taker(), taker()])

    const { ahead, behind, killed, restarted } = await replicasWithAKill(base, durationMs)
    await takers
    redis.disconnect()

    const clients = {
      local,
      ahead: ahead.admitted,
      behind: behind.admitted,
      killed: killed.admitted,
      restarted: restarted.admitted
    }
    const times = Object.values(clients)
      .flat()
      .sort((a, b) => a - b)
    const worst = bucketExcess(times, perMs, burst)
    expect(worst.excess, `${worst.count} admissions within ${worst.spanMs} ms`).toBeLessThanOrEqual(1e-9)
    // The same invariant in the budget's own terms: any 60 s window holds at most budget + burst.
    expect(maxInWindow(times, 60_000)).toBeLessThanOrEqual(perMinute + burst)
    // Every replica took part, the restarted one in both lives.
    for (const [name, own] of Object.entries(clients)) expect(own.length, `admissions of ${name}`).toBeGreaterThan(0)
  })

  it("counted on arrival: no span of arrivals holds more than burst + budget × time, calls held within the in-flight allowance — replicas with skewed clocks, one killed with kill -9 and restarted", async () => {
    const prefix = freshPrefix()
    const perMinute = 1200
    const burst = 40
    // δ = 1 s: 20 tokens in flight at 20 a second, half the burst, so the bucket holds 20 and refills at 20 a second.
    const inFlight = { handoffMs: 300, transitMs: 700 }
    const server = await arrivalServer()
    try {
      // Gates every 600 ms: what the replicas were admitted between two arrives at the second together (up to
      // 200 ms held before the hand-off, up to 400 ms in transit; the rest of the allowance is left for the real
      // way there: the Redis answer, timers firing late, the request itself). Bursts after each rest of 1.8 s go out
      // with the next gate; every 9th token stalls past its deadline.
      const arrive: ArrivalSpec = {
        url: server.url,
        gateMs: 600,
        handoffMs: 200,
        transitMs: 400,
        stallEvery: 9,
        stallMs: inFlight.handoffMs + 100,
        cycleMs: 3000,
        activeMs: 1200
      }
      const durationMs = 7500
      const base = { url: REDIS_URL, prefix, clientId: "budget-arrival", perMinute, burst, loops: 20, inFlight, arrive }
      const clients = await replicasWithAKill(base, durationMs)

      const times = [...server.arrived].sort((a, b) => a - b)
      const worst = bucketExcess(times, perMinute / 60_000, burst)
      expect(worst.excess, `${worst.count} arrivals within ${worst.spanMs} ms`).toBeLessThanOrEqual(1e-9)
      expect(maxInWindow(times, 60_000)).toBeLessThanOrEqual(perMinute + burst)
      for (const [name, c] of Object.entries(clients)) expect(c.counts.sent, `calls of ${name}`).toBeGreaterThan(0)
      // The tokens held past their deadline were dropped, never sent.
      const dropped = Object.values(clients).reduce((n, c) => n + c.counts.dropped, 0)
      expect(dropped).toBeGreaterThan(0)
      // Every answered call arrived (the killed replica's last calls may have arrived unanswered).
      expect(times.length).toBeGreaterThanOrEqual(Object.values(clients).reduce((n, c) => n + c.counts.sent, 0))
    } finally {
      await server.close()
    }
  })

  it("never rounds a fraction of a token up to a whole one when it stores the bucket", async () => {
    const prefix = freshPrefix()
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 })
    try {
      const opts = { prefix, clientId: "fraction", perMinute: 60, burst: 5 }
      const bucket = RedisRateBudget.sharedBucket(redis, opts)
      // A bucket just short of one token, last refilled (in Redis time) an hour from now: nothing refills before then.
      const [seconds] = (await redis.time()) as [number, number]
      await redis.hset(
        `${prefix}:budget:fraction`,
        "tokens",
        "0.99999999999999967",
        "last",
        String(Number(seconds) * 1000 + 3_600_000)
      )
      const first = await bucket.admit()
      const second = await bucket.admit()
      expect(first.wait).toBeGreaterThan(0)
      expect(second.wait).toBeGreaterThan(0)
      expect(Number(await redis.hget(`${prefix}:budget:fraction`, "tokens"))).toBeLessThan(1)
    } finally {
      redis.disconnect()
    }
  })
})
