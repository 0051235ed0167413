/**
 * Connections of the distributed mode: one Redis client per replica (dedupe, links, rate budget) with
 * reconnect and backoff, URL redaction for messages, key naming and the partition hash.
 */
import { backoffDelayMs } from "@workbridge/catalog"
import { Context, Data, Effect, Layer } from "effect"
import { Redis } from "ioredis"
import type { TicketKey } from "../domain/records.js"
import { StoreError } from "../domain/errors.js"

/** A distributed engine could not be reached or set up at start. The message names the variable. */
export class DistributedStartError extends Data.TaggedError("DistributedStartError")<{
  readonly variable: string
  readonly problem: string
}> {
  override get message(): string {
    return `${this.variable}: ${this.problem}`
  }
}

/** The URL with any password replaced, safe for logs and errors. */
export const redactUrl = (raw: string): string => {
  try {
    const u = new URL(raw)
    if (u.password !== "") u.password = "***"
    return u.toString()
  } catch {
    return "(unparseable URL)"
  }
}

/** An error message with any `scheme://user:password@` credentials blanked. */
export const redactMessage = (text: string): string => text.replace(/(\w+:\/\/[^:/@\s]*:)[^@\s]*@/g, "$1***@")

/** The delay before reconnect `attempt` (0 = the first): the shared capped exponential `backoff`, ±20 % jitter. */
export const backoffMs = (attempt: number, baseMs = 100, maxMs = 5_000): number =>
  backoffDelayMs({ baseMs, maxMs, jitter: { min: 0.8, max: 1.2 } }, attempt)

/** FNV-1a (32 bit) of the ticket key, onto `partitions` queues: a ticket always lands on the same partition. */
export const partitionOf = (key: TicketKey, partitions: number): number => {
  let h = 0x811c9dc5
  const s = `${key.source}\u0000${key.ticketId}`
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h % partitions
}

/** The key segment of a ticket (URI-encoded parts, so separators never collide). */
export const ticketSegment = (key: TicketKey): string =>
  `${encodeURIComponent(key.source)}/${encodeURIComponent(key.ticketId)}`

/** Prefixes name queues, exchanges and keys: letters, digits, `-`, `_`, `.`. */
export const checkPrefix = (prefix: string): string => {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(prefix)) {
    throw new RangeError(`prefix must be 1–64 letters, digits, "-", "_" or ".", got "${prefix}"`)
  }
  return prefix
}

/** Run a Redis command as an Effect; failures become `StoreError` naming the operation. */
export const redisOp = <A>(operation: string, f: () => Promise<A>): Effect.Effect<A, StoreError> =>
  Effect.tryPromise({
    try: f,
    catch: (cause) =>
      new StoreError({ operation, cause: cause instanceof Error ? new Error(redactMessage(cause.message)) : cause })
  })

/** The replica's Redis client. */
export class RedisConnection extends Context.Tag("@workbridge/service/distributed/RedisConnection")<
  RedisConnection,
  Redis
>() {}

export interface RedisConnectionOptions {
  readonly url: string
  /** How long the first connection may take before start fails. */
  readonly connectTimeoutMs?: number
  /** `CLIENT SETNAME` of the connection (shows which deployment a Redis client belongs to). */
  readonly connectionName?: string
}

/**
 * Open the client: commands fail fast while disconnected (no offline queue, so callers see a `StoreError` and
 * nothing is half-applied), and the client reconnects with capped backoff by itself.
 */
export const openRedis = (options: RedisConnectionOptions): Effect.Effect<Redis, DistributedStartError> =>
  Effect.tryPromise({
    try: async () => {
      const redis = new Redis(options.url, {
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        connectTimeout: options.connectTimeoutMs ?? 5_000,
        // Commands issued in the same event-loop turn (the accepts' and the workers' scripts, the budget's asks) go
        // out in one socket write instead of one each.
        enableAutoPipelining: true,
        retryStrategy: (times) => backoffMs(times - 1, 100, 3_000),
        ...(options.connectionName !== undefined ? { connectionName: options.connectionName } : {})
      })
      redis.on("error", () => {
        // Reported through failing commands and readiness; the client reconnects by itself.
      })
      try {
        await redis.connect()
        await redis.ping()
      } catch (e) {
        redis.disconnect()
        throw e
      }
      return redis
    },
    catch: (e) =>
      new DistributedStartError({
        variable: "WORKBRIDGE_REDIS_URL",
        problem: `cannot reach Redis at ${redactUrl(options.url)}: ${redactMessage(e instanceof Error ? e.message : String(e))}`
      })
  })

export const redisLayer = (options: RedisConnectionOptions): Layer.Layer<RedisConnection, DistributedStartError> =>
  Layer.scoped(
    RedisConnection,
    Effect.acquireRelease(openRedis(options), (redis) =>
      Effect.promise(() =>
        redis.quit().then(
          () => undefined,
          () => redis.disconnect()
        )
      )
    )
  )
