/**
 * One client of the shared Redis budget in its own process, as a replica is (for the budget invariant test):
 *   node --import tsx src/testing/budgetClient.ts '<json BudgetClientSpec>'
 * takes tokens for `durationMs` the way `RedisRateBudget.make`'s `acquire` does (wait as told, a little jitter),
 * `loops` takers at once, and prints `admit <Redis ms>` for every token it was given. `skewMs` moves this process'
 * own clock (`Date.now`) by that much, as a replica whose clock is off would be.
 */
import { setTimeout as sleep } from "node:timers/promises"
import { Redis } from "ioredis"
import { sharedBucket } from "../distributed/RedisRateBudget.js"

export interface BudgetClientSpec {
  readonly url: string
  readonly prefix: string
  readonly clientId: string
  readonly perMinute: number
  readonly burst: number
  readonly durationMs: number
  readonly loops: number
  readonly skewMs: number
}

const run = async (spec: BudgetClientSpec): Promise<void> => {
  const real = Date.now.bind(Date)
  Date.now = () => real() + spec.skewMs
  const redis = new Redis(spec.url, { maxRetriesPerRequest: 1 })
  const bucket = sharedBucket(redis, {
    prefix: spec.prefix,
    clientId: spec.clientId,
    perMinute: spec.perMinute,
    burst: spec.burst
  })
  const end = real() + spec.durationMs
  process.stdout.write("ready\n")
  const loop = async () => {
    while (real() < end) {
      const { wait, at } = await bucket.admit()
      if (wait === 0) process.stdout.write(`admit ${at}\n`)
      else await sleep(Math.min(wait, 5_000) + Math.floor(Math.random() * 5))
    }
  }
  await Promise.all(Array.from({ length: spec.loops }, loop))
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
