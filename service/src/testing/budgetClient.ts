/**
 * One client of the shared Redis budget in its own process, as a replica is (for the budget invariant tests):
 *   node --import tsx src/testing/budgetClient.ts '<json BudgetClientSpec>'
 * `loops` takers at once for `durationMs`. `skewMs` moves this process' own clock (`Date.now`) by that much, as a
 * replica whose clock is off would be.
 *
 * Without `arrive`: takes tokens the way `RedisRateBudget.make`'s `acquire` does (wait as told, a little jitter) and
 * prints `admit <Redis ms>` for every token it was given.
 *
 * With `arrive`: takes tokens through `RedisRateBudget.make` and sends one request to `arrive.url` per token the way
 * the Genesys client does (`withFreshToken`), with an adversary choosing each call's way there (see `ArrivalSpec`).
 * Prints `sent` for every request answered and `dropped` for every token dropped unused.
 */
import { setTimeout as sleep } from "node:timers/promises"
import { Effect } from "effect"
import { type InFlightAllowance, type RateBudgetService, withFreshToken } from "@workbridge/genesys"
import { Redis } from "ioredis"
import { type RedisRateBudgetOptions, make, sharedBucket } from "../distributed/RedisRateBudget.js"

/**
 * The adversary of the arrival test, on the real clock (not the skewed `Date.now`) so every process keeps the same
 * gates: a call admitted less than `gateMs` before a gate (a multiple of `gateMs` since the epoch) is held until it,
 * up to `handoffMs` before its hand-off and the rest in transit (at most `transitMs`), so what every replica was
 * admitted between two gates arrives at the second at once; every `stallEvery`-th token is held `stallMs` before its
 * hand-off (a stalled process; past the budget's deadline). The takers work during the first `activeMs` of every `cycleMs` and rest the rest, so
 * the bucket refills and its bursts go out with the next gate.
 */
export interface ArrivalSpec {
  readonly url: string
  readonly gateMs: number
  readonly handoffMs: number
  readonly transitMs: number
  readonly stallEvery: number
  readonly stallMs: number
  readonly cycleMs: number
  readonly activeMs: number
}

export interface BudgetClientSpec {
  readonly url: string
  readonly prefix: string
  readonly clientId: string
  readonly perMinute: number
  readonly burst: number
  readonly durationMs: number
  readonly loops: number
  readonly skewMs: number
  /** The budget's in-flight allowance (absent: the bucket counted on admission only). */
  readonly inFlight?: InFlightAllowance
  readonly arrive?: ArrivalSpec
}

/** Epoch ms of the real clock, whatever `Date.now` says. */
const realNow = () => performance.timeOrigin + performance.now()

/** The shared bucket's options a client spec names (both modes use the same bucket). */
const bucketOptions = (spec: BudgetClientSpec): RedisRateBudgetOptions => ({
  prefix: spec.prefix,
  clientId: spec.clientId,
  perMinute: spec.perMinute,
  burst: spec.burst,
  ...(spec.inFlight !== undefined ? { inFlight: spec.inFlight } : {})
})

const admissions = async (spec: BudgetClientSpec, redis: Redis, end: number) => {
  const bucket = sharedBucket(redis, bucketOptions(spec))
  const loop = async () => {
    while (realNow() < end) {
      const { wait, at } = await bucket.admit()
      if (wait === 0) process.stdout.write(`admit ${at}\n`)
      else await sleep(Math.min(wait, 5_000) + Math.floor(Math.random() * 5))
    }
  }
  await Promise.all(Array.from({ length: spec.loops }, loop))
}

const arrivals = async (spec: BudgetClientSpec, arrive: ArrivalSpec, redis: Redis, end: number) => {
  const budget = make(redis, bucketOptions(spec))
  let taken = 0
  const loop = async () => {
    while (realNow() < end) {
      const phase = realNow() % arrive.cycleMs
      if (phase >= arrive.activeMs) {
        await sleep(arrive.cycleMs - phase)
        continue
      }
      let transit = 0
      const held: RateBudgetService = {
        ...budget,
        acquire: Effect.tap(budget.acquire, () =>
          Effect.promise(async () => {
            const at = realNow()
            taken++
            if (taken % arrive.stallEvery === 0) {
              transit = 0
              await sleep(arrive.stallMs)
              return
            }
            const delay = arrive.gateMs - (at % arrive.gateMs)
            const hold = Math.min(delay, arrive.handoffMs)
            transit = Math.min(delay - hold, arrive.transitMs)
            if (hold > 0) await sleep(hold)
          })
        )
      }
      const send = Effect.promise(async () => {
        if (transit > 0) await sleep(transit)
        const answer = await fetch(arrive.url, { method: "POST" })
        await answer.arrayBuffer()
        process.stdout.write("sent\n")
      })
      await Effect.runPromise(withFreshToken(held, send, () => process.stdout.write("dropped\n")))
    }
  }
  await Promise.all(Array.from({ length: spec.loops }, loop))
}

const run = async (spec: BudgetClientSpec): Promise<void> => {
  const real = Date.now.bind(Date)
  Date.now = () => real() + spec.skewMs
  const redis = new Redis(spec.url, { maxRetriesPerRequest: 1 })
  const end = realNow() + spec.durationMs
  process.stdout.write("ready\n")
  if (spec.arrive !== undefined) await arrivals(spec, spec.arrive, redis, end)
  else await admissions(spec, redis, end)
  redis.disconnect()
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  run(JSON.parse(process.argv[2] ?? "{}") as BudgetClientSpec).then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`budget client: ${e instanceof Error ? e.message : String(e)}\n`)
      process.exit(1)
    }
  )
}
