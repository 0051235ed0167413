/**
 * The inbox on RabbitMQ, with Redis for what a queue cannot answer (dedupe, depth, per-ticket counts).
 *
 * Topology under a prefix `p`:
 *   `p.p<i>`  P quorum queues, `x-single-active-consumer` (one replica works a partition at a time, so one
 *             ticket at a time), `x-delivery-limit` and `x-dead-letter-exchange: p.dlx` for poison messages
 *   `p.b<i>`  the background lane of partition i (reconciliation, backfill), the same kind of queue, consumed
 *             with a small prefetch; its tickets are handed out only while no live event waits (`p:live` in Redis)
 *   `p.dlx`   fanout exchange → `p.dead` quorum queue (messages that cannot be parsed or kept killing consumers)
 * A ticket's events always go to partition `fnv1a(source, ticketId) mod P`, so they stay in order.
 *
 * Accept: `SET NX` of the delivery key ("pending", short TTL) → publish with publisher confirm → mark the key
 * "done" for 24 h and count the event pending. The webhook's 202 comes only after the broker confirmed.
 * Consume: deliveries are buffered per ticket; `take` hands out one ticket's buffered events (sorted by
 * revision) and holds the ticket; `ack` acknowledges those messages after the apply (manual acks), `release`
 * puts them back in the buffer (never `nack`, which would count towards the delivery limit).
 * Connection loss: the inbox reconnects with capped backoff; meanwhile `checkWritable` fails (readiness false),
 * `accept` fails (the sender retries), buffered deliveries are dropped (the broker redelivers them) and acks
 * of batches taken before the loss are skipped: their messages come back and are seen as superseded.
 */
import { randomUUID } from "node:crypto"
import type { TicketEvent } from "@workbridge/catalog"
import { compareRevision } from "@workbridge/catalog"
import { Context, Effect, Layer } from "effect"
import amqp from "amqplib"
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage } from "amqplib"
import type { Redis } from "ioredis"
import type { AcceptResult, InboxEntry, TicketBatch, TicketKey } from "../Domain.js"
import { ticketKeyString } from "../Domain.js"
import { InboxFull, StoreError } from "../Errors.js"
import { type AcceptOptions, BACKGROUND_LANE, Inbox, type InboxService, type Lane, LIVE_LANE, laneOf } from "../Inbox.js"
import {
  DistributedStartError,
  RedisConnection,
  backoffMs,
  checkPrefix,
  partitionOf,
  redactMessage,
  redactUrl,
  redisOp,
  ticketSegment
} from "./Connections.js"

export interface RabbitInboxOptions {
  /** `amqp://user:password@host:port/vhost`. */
  readonly url: string
  /** Names queues, the dead-letter exchange and Redis keys; every replica of a deployment uses the same one. */
  readonly prefix: string
  /** Partition queues (fixed for a namespace: checked against Redis at start). */
  readonly partitions: number
  /** Accepting beyond this many pending events fails with `InboxFull`. */
  readonly hardLimit: number
  /** Unacknowledged deliveries per partition consumer. */
  readonly prefetch?: number
  /**
   * Unacknowledged deliveries per background partition consumer (default: `prefetch`, at most 50): a backfill's
   * events wait in the broker, not in one replica's memory.
   */
  readonly backgroundPrefetch?: number
  /**
   * A live event accepted longer ago than this (ms; default 5 min) no longer holds back the background lane of
   * the replicas that do not have it (the replica that has it still hands it out first).
   */
  readonly liveWaitHorizonMs?: number
  /** Deliveries of one message before the broker dead-letters it. */
  readonly deliveryLimit?: number
  /** How long `take` waits for a ticket's known pending events still on their way from the broker. */
  readonly settleMs?: number
  /** Most events handed out in one batch. */
  readonly batchLimit?: number
  /** How long a delivery key is remembered (seconds; default 24 h). */
  readonly dedupeTtlSeconds?: number
  /** Connection attempts at start before giving up. */
  readonly connectAttempts?: number
  /** Consume the partitions (false: publish only). */
  readonly consume?: boolean
  /**
   * How long a replica's hold on a ticket lasts without renewal (ms). The hold is a Redis lease taken with each
   * batch and renewed while the batch is worked on, so a replica whose broker connection dropped mid-apply keeps
   * the ticket until it lets go (or dies and the lease expires), and no other replica works it meanwhile.
   */
  readonly leaseMs?: number
  /**
   * How often a replica checks its share of the partitions (ms; 0: never). A replica active on more partitions
   * than `ceil(P / live replicas)` hands the excess to the stand-by replicas by re-subscribing at the back.
   */
  readonly rebalanceMs?: number
  /** Reports connection changes. */
  readonly onConnectionChange?: (connected: boolean, detail: string) => void
}

/** Test and operations hooks of one inbox instance. */
export interface RabbitInboxControl {
  readonly isConnected: () => boolean
  /** Destroy the TCP connection under the client (with a socket error), as a network cut would. */
  readonly cutConnection: () => void
  /** Number of successful (re)connections so far. */
  readonly connections: () => number
  /** Messages delivered to this replica so far. */
  readonly deliveries: () => number
  /** Partitions handed to other replicas by rebalancing so far. */
  readonly handedOver: () => number
}

interface Delivered {
  readonly entry: InboxEntry
  readonly pendingId: string
  readonly partition: number
  /** The lane of the queue it came from. */
  readonly lane: Lane
  readonly msg: ConsumeMessage
  readonly channel: Channel
  readonly generation: number
}

interface Envelope {
  readonly pendingId: string
  readonly acceptedAt: string
  readonly event: TicketEvent
}

/** KEYS: dedupe, pending zset. ARGV: limit, pending ttl. → "ok" | "pending" | "done" | "full:<n>" */
const BEGIN = `
local v = redis.call('GET', KEYS[1])
if v then return v end
local n = redis.call('ZCARD', KEYS[2])
if n >= tonumber(ARGV[1]) then return 'full:' .. n end
redis.call('SET', KEYS[1], 'pending', 'EX', ARGV[2])
return 'ok'
`

/**
 * KEYS: dedupe, pending zset, ticket hash, acked marker, live-waiting zset. ARGV: dedupe ttl, pending id, accepted
 * ms, accepted ISO, "1" for a live event.
 */
const COMMIT = `
redis.call('SET', KEYS[1], 'done', 'EX', ARGV[1])
if redis.call('EXISTS', KEYS[4]) == 0 then
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
  redis.call('HSET', KEYS[3], ARGV[2], ARGV[4])
  if ARGV[5] == '1' then redis.call('ZADD', KEYS[5], ARGV[3], ARGV[2]) end
end
return 1
`

/** KEYS: dedupe. Forget a delivery whose publish failed, so the sender's retry is accepted. */
const ABORT = `
if redis.call('GET', KEYS[1]) == 'pending' then redis.call('DEL', KEYS[1]) end
return 1
`

/** KEYS: lease. ARGV: token. Delete (or with ARGV[2], extend by ARGV[2] ms) the lease only if we own it. */
const LEASE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return redis.call('DEL', KEYS[1])
`

/** KEYS: pending zset, ticket hash, live-waiting zset, then one acked marker per id. ARGV: ids. */
const ACK = `
for i = 1, #ARGV do
  if redis.call('ZREM', KEYS[1], ARGV[i]) == 0 then
    redis.call('SET', KEYS[3 + i], '1', 'EX', 600)
  end
  redis.call('HDEL', KEYS[2], ARGV[i])
  redis.call('ZREM', KEYS[3], ARGV[i])
end
return 1
`

/**
 * How long a delivery key stays "pending" (publish in progress). A replica killed mid-publish leaves it behind;
 * the sender's retries are answered 5xx until it expires, then accepted. Longer than the confirm timeout.
 */
const PENDING_TTL_SECONDS = 20
const CONFIRM_TIMEOUT_MS = 10_000

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

export const queueNames = (prefix: string, partitions: number) => {
  const p = checkPrefix(prefix)
  return {
    partitions: Array.from({ length: partitions }, (_, i) => `${p}.p${i}`),
    /** The background lane's queue of each partition. */
    background: Array.from({ length: partitions }, (_, i) => `${p}.b${i}`),
    deadExchange: `${p}.dlx`,
    deadQueue: `${p}.dead`
  }
}

const byRevision = (a: Delivered, b: Delivered) => compareRevision(a.entry.event.revision, b.entry.event.revision)

const fail = (operation: string, cause: unknown) =>
  new StoreError({ operation, cause: cause instanceof Error ? new Error(redactMessage(cause.message)) : cause })

/** Build the inbox and open its connection (fails with `DistributedStartError` naming the variable). */
export const make = (redis: Redis, options: RabbitInboxOptions) =>
  Effect.gen(function* () {
    const p = checkPrefix(options.prefix)
    if (!Number.isInteger(options.partitions) || options.partitions < 1 || options.partitions > 1024) {
      return yield* new DistributedStartError({ variable: "WORKBRIDGE_PARTITIONS", problem: `must be 1–1024, got ${options.partitions}` })
    }
    const names = queueNames(p, options.partitions)
    const prefetch = options.prefetch ?? 500
    const backgroundPrefetch = options.backgroundPrefetch ?? Math.min(prefetch, 50)
    const liveWaitHorizonMs = options.liveWaitHorizonMs ?? 5 * 60_000
    const deliveryLimit = options.deliveryLimit ?? 20
    const settleMs = options.settleMs ?? 150
    const batchLimit = options.batchLimit ?? 500
    const dedupeTtl = options.dedupeTtlSeconds ?? 24 * 3600
    const consume = options.consume ?? true
    const leaseMs = options.leaseMs ?? 30_000
    const replicaToken = randomUUID()
    const k = {
      pending: `${p}:pending`,
      /** Live events accepted and not taken by any replica (score: accepted ms): they hold back the background lane. */
      live: `${p}:live`,
      ticket: (key: TicketKey) => `${p}:pt:${ticketSegment(key)}`,
      dedupe: (source: string, deliveryKey: string) => `${p}:dedupe:${encodeURIComponent(source)}/${encodeURIComponent(deliveryKey)}`,
      acked: (id: string) => `${p}:acked:${id}`,
      replicas: `${p}:replicas`,
      lease: (key: TicketKey) => `${p}:lease:${ticketSegment(key)}`,
      heartbeat: `${p}:heartbeat`,
      partitions: `${p}:partitions`
    }

    // The partition count is part of the namespace: a different count would send a ticket to two queues.
    const stored = yield* Effect.tryPromise({
      try: async () => {
        await redis.set(k.partitions, String(options.partitions), "NX")
        return redis.get(k.partitions)
      },
      catch: (e) => new DistributedStartError({ variable: "WORKBRIDGE_REDIS_URL", problem: redactMessage(e instanceof Error ? e.message : String(e)) })
    })
    if (stored !== String(options.partitions)) {
      return yield* new DistributedStartError({
        variable: "WORKBRIDGE_PARTITIONS",
        problem: `the namespace "${p}" runs with ${stored} partitions, got ${options.partitions}; drain the queues before changing it`
      })
    }

    let model: ChannelModel | undefined
    let pub: ConfirmChannel | undefined
    let generation = 0
    let connections = 0
    let connected = false
    let closing = false
    const buffers = new Map<string, { key: TicketKey; items: Array<Delivered> }>()
    let delivered = 0
    let handedOver = 0
    /** Partition → when it last delivered to this replica (its single active consumer is here). */
    const lastDelivery = new Map<number, number>()
    const consumerTags = new Map<number, string>()
    let subChannel: Channel | undefined
    let subscribe: ((partition: number) => Promise<void>) | undefined
    const held = new Set<string>()
    /** Tickets this replica holds a lease on (key string → ticket). */
    const leases = new Map<string, TicketKey>()
    /** Tickets another replica holds: not retried before this time. */
    const blocked = new Map<string, number>()
    const inflight = new Map<string, Delivered>()
    let waiters: Array<() => void> = []
    const notify = () => {
      const w = waiters
      waiters = []
      for (const f of w) f()
    }

    const onDown = (gen: number, detail: string) => {
      if (gen !== generation || !connected) return
      connected = false
      generation++
      pub = undefined
      model = undefined
      // Unacknowledged deliveries go back to their queues with the channel; drop our copies.
      buffers.clear()
      lastDelivery.clear()
      consumerTags.clear()
      subChannel = undefined
      subscribe = undefined
      options.onConnectionChange?.(false, detail)
      if (!closing) void reconnect()
    }

    const onMessage = (msg: ConsumeMessage | null, gen: number, channel: Channel, partition: number, lane: Lane) => {
      if (gen !== generation) {
        // A channel this inbox gave up on: hand the message straight back, never leave it unacknowledged.
        if (msg !== null) {
          try {
            channel.nack(msg, false, true)
          } catch {
            /* channel closed: the broker requeues it */
          }
        }
        return
      }
      if (msg === null) {
        // The broker cancelled the consumer (queue deleted): start over.
        void model?.close().catch(() => undefined)
        return
      }
      let env: Envelope
      try {
        env = JSON.parse(msg.content.toString("utf8")) as Envelope
        if (typeof env.pendingId !== "string" || typeof env.event?.source !== "string" || typeof env.event.ticketId !== "string") {
          throw new Error("not an inbox envelope")
        }
      } catch {
        channel.nack(msg, false, false) // → dead-letter exchange
        return
      }
      const key: TicketKey = { source: env.event.source, ticketId: env.event.ticketId }
      const ks = ticketKeyString(key)
      delivered++
      if (lane === LIVE_LANE) lastDelivery.set(partition, Date.now())
      // The accepting span's W3C trace context travels as the message's `traceparent` header (tracing on).
      const traceparent: unknown = msg.properties.headers?.["traceparent"]
      const d: Delivered = {
        entry: {
          id: `${gen}.${msg.fields.deliveryTag}`,
          event: env.event,
          acceptedAt: env.acceptedAt,
          ...(typeof traceparent === "string" ? { traceparent } : {})
        },
        pendingId: env.pendingId,
        partition,
        lane,
        msg,
        channel,
        generation: gen
      }
      const buf = buffers.get(ks)
      if (buf === undefined) buffers.set(ks, { key, items: [d] })
      else buf.items.push(d)
      notify()
    }

    const connectOnce = async (): Promise<void> => {
      const m = await amqp.connect(options.url)
      try {
        const gen = generation
        m.on("error", () => undefined)
        m.on("close", (err?: Error) => onDown(gen, err?.message ?? "connection closed"))
        const ch = await m.createConfirmChannel()
        ch.on("error", () => undefined)
        ch.on("close", () => {
          if (gen === generation && !closing) void m.close().catch(() => undefined)
        })
        await ch.assertExchange(names.deadExchange, "fanout", { durable: true })
        await ch.assertQueue(names.deadQueue, { durable: true, arguments: { "x-queue-type": "quorum" } })
        await ch.bindQueue(names.deadQueue, names.deadExchange, "")
        for (const q of [...names.partitions, ...names.background]) {
          await ch.assertQueue(q, {
            durable: true,
            arguments: {
              "x-queue-type": "quorum",
              "x-single-active-consumer": true,
              "x-dead-letter-exchange": names.deadExchange,
              "x-delivery-limit": deliveryLimit
            }
          })
        }
        if (consume) {
          const sub = await m.createChannel()
          sub.on("error", () => undefined)
          sub.on("close", () => {
            if (gen === generation && !closing) void m.close().catch(() => undefined)
          })
          await sub.prefetch(prefetch)
          const subscribeTo = async (p: number) => {
            const ok = await sub.consume(names.partitions[p]!, (msg) => onMessage(msg, gen, sub, p, LIVE_LANE), { noAck: false })
            consumerTags.set(p, ok.consumerTag)
          }
          // The background queues on a channel of their own, with a smaller prefetch.
          const bg = await m.createChannel()
          bg.on("error", () => undefined)
          bg.on("close", () => {
            if (gen === generation && !closing) void m.close().catch(() => undefined)
          })
          await bg.prefetch(backgroundPrefetch)
          // Start at a random partition so replicas that start together spread the active consumers.
          const start = Math.floor(Math.random() * names.partitions.length)
          for (let i = 0; i < names.partitions.length; i++) {
            const p = (start + i) % names.partitions.length
            await subscribeTo(p)
            await bg.consume(names.background[p]!, (msg) => onMessage(msg, gen, bg, p, BACKGROUND_LANE), { noAck: false })
          }
          subChannel = sub
          subscribe = subscribeTo
        }
        model = m
        pub = ch
        connected = true
        connections++
        options.onConnectionChange?.(true, `connected to ${redactUrl(options.url)}`)
      } catch (e) {
        // Deliveries that arrived on this half-set-up connection must not be mistaken for live ones.
        generation++
        for (const [ks, buf] of buffers) if (!held.has(ks)) buffers.delete(ks)
        await Promise.race([m.close().catch(() => undefined), sleep(2_000)])
        throw e
      }
    }

    const reconnect = async () => {
      for (let attempt = 0; !closing && !connected; attempt++) {
        await sleep(backoffMs(attempt, 200, 5_000))
        if (closing) return
        try {
          await connectOnce()
        } catch (e) {
          options.onConnectionChange?.(false, `reconnect attempt ${attempt + 1} failed: ${redactMessage(e instanceof Error ? e.message : String(e))}`)
        }
      }
    }

    yield* Effect.tryPromise({
      try: async () => {
        const attempts = options.connectAttempts ?? 5
        for (let attempt = 0; ; attempt++) {
          try {
            await connectOnce()
            return
          } catch (e) {
            if (attempt + 1 >= attempts) throw e
            await sleep(backoffMs(attempt, 200, 2_000))
          }
        }
      },
      catch: (e) =>
        new DistributedStartError({
          variable: "WORKBRIDGE_RABBITMQ_URL",
          problem: `cannot set up RabbitMQ at ${redactUrl(options.url)}: ${redactMessage(e instanceof Error ? e.message : String(e))}`
        })
    })

    const publish = (env: Envelope, lane: Lane, traceparent?: string): Promise<void> => {
      const ch = pub
      if (ch === undefined || !connected) return Promise.reject(new Error("RabbitMQ is not connected; reconnecting"))
      const partition = partitionOf(env.event, options.partitions)
      const q = (lane === LIVE_LANE ? names.partitions : names.background)[partition]!
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no publisher confirm within ${CONFIRM_TIMEOUT_MS} ms`)), CONFIRM_TIMEOUT_MS)
        try {
          ch.sendToQueue(
            q,
            Buffer.from(JSON.stringify(env)),
            {
              persistent: true,
              contentType: "application/json",
              messageId: env.pendingId,
              ...(traceparent !== undefined ? { headers: { traceparent } } : {})
            },
            (err: unknown) => {
              clearTimeout(timer)
              if (err) reject(err instanceof Error ? err : new Error(`publish not confirmed: ${String(err)}`))
              else resolve()
            }
          )
        } catch (e) {
          clearTimeout(timer)
          reject(e instanceof Error ? e : new Error(String(e)))
        }
      })
    }

    const commit = async (env: Envelope, lane: Lane): Promise<void> => {
      await redis.eval(
        COMMIT,
        5,
        k.dedupe(env.event.source, env.event.deliveryKey),
        k.pending,
        k.ticket(env.event),
        k.acked(env.pendingId),
        k.live,
        String(dedupeTtl),
        env.pendingId,
        String(Date.parse(env.acceptedAt)),
        env.acceptedAt,
        lane === LIVE_LANE ? "1" : "0"
      )
    }

    const acceptAsync = async (event: TicketEvent, traceparent: string | undefined): Promise<AcceptResult | InboxFull> => {
      const dedupe = k.dedupe(event.source, event.deliveryKey)
      const deadline = Date.now() + 3_000
      for (;;) {
        const r = String(await redis.eval(BEGIN, 2, dedupe, k.pending, String(options.hardLimit), String(PENDING_TTL_SECONDS)))
        if (r === "done") return { _tag: "Duplicate" }
        if (r.startsWith("full:")) return new InboxFull({ depth: Number(r.slice(5)), limit: options.hardLimit })
        if (r === "ok") break
        // Another replica is accepting the same delivery right now: wait for its outcome.
        if (Date.now() > deadline) throw new Error(`delivery "${event.deliveryKey}" is being accepted elsewhere; retry`)
        await sleep(50)
      }
      const env: Envelope = { pendingId: randomUUID(), acceptedAt: new Date().toISOString(), event }
      const lane = laneOf(event)
      try {
        await publish(env, lane, traceparent)
      } catch (e) {
        await redis.eval(ABORT, 1, dedupe).catch(() => undefined)
        throw e
      }
      // Durable in the broker from here on: a failed bookkeeping write must not refuse the event.
      await commit(env, lane).catch(() => undefined)
      return { _tag: "Accepted", id: env.pendingId }
    }

    const accept = (event: TicketEvent, options?: AcceptOptions): Effect.Effect<AcceptResult, StoreError | InboxFull> =>
      Effect.flatMap(
        Effect.tryPromise({ try: () => acceptAsync(event, options?.traceparent), catch: (e) => fail("inbox.accept", e) }),
        (r) => (r instanceof InboxFull ? Effect.fail(r) : Effect.succeed(r))
      )

    const requeue = (event: TicketEvent): Effect.Effect<string, StoreError> =>
      Effect.tryPromise({
        try: async () => {
          const deliveryKey = `${event.deliveryKey}#replay-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
          const env: Envelope = { pendingId: randomUUID(), acceptedAt: new Date().toISOString(), event: { ...event, deliveryKey } }
          // A replay is live work, whatever fed the event first.
          await publish(env, LIVE_LANE)
          await commit(env, LIVE_LANE).catch(() => undefined)
          return env.pendingId
        },
        catch: (e) => fail("inbox.requeue", e)
      })

    /** Wait (bounded) until the buffer holds as many of the ticket's events as Redis counts pending. */
    const settle = async (ks: string, key: TicketKey) => {
      if (settleMs <= 0) return
      const expected = await redis.hlen(k.ticket(key)).catch(() => 0)
      const deadline = Date.now() + settleMs
      while ((buffers.get(ks)?.items.length ?? 0) < expected && Date.now() < deadline && connected) await sleep(10)
    }

    const takeable = (ks: string) => {
      const buf = buffers.get(ks)
      if (buf === undefined || buf.items.length === 0 || held.has(ks)) return undefined
      return (blocked.get(ks) ?? 0) > Date.now() ? undefined : buf
    }

    /** Hold one buffered ticket (its Redis lease too) and hand out its events, or nothing if it cannot be held. */
    const takeTicket = async (ks: string): Promise<TicketBatch | undefined> => {
      const buf = takeable(ks)
      if (buf === undefined) return undefined
      held.add(ks)
      const leased = await redis.set(k.lease(buf.key), replicaToken, "PX", leaseMs, "NX").then(
        (r) => r === "OK",
        () => false
      )
      if (!leased) {
        // Another replica still works this ticket (e.g. its broker connection dropped mid-apply): later.
        held.delete(ks)
        blocked.set(ks, Date.now() + 200)
        return undefined
      }
      blocked.delete(ks)
      leases.set(ks, buf.key)
      try {
        await settle(ks, buf.key)
      } catch {
        /* settling is best effort */
      }
      const current = buffers.get(ks)
      if (current === undefined || current.items.length === 0) {
        await unlease(ks)
        held.delete(ks)
        return undefined
      }
      current.items.sort(byRevision)
      const taken = current.items.splice(0, batchLimit)
      if (current.items.length === 0) buffers.delete(ks)
      for (const d of taken) inflight.set(d.entry.id, d)
      // Taken: these live events no longer hold back anybody's background lane.
      const live = taken.filter((d) => d.lane === LIVE_LANE).map((d) => d.pendingId)
      if (live.length > 0) await redis.zrem(k.live, ...live).catch(() => undefined)
      return { key: current.key, entries: taken.map((d) => d.entry) }
    }

    /** Live events in this replica's buffer (when asked, all of them wait for a ticket that is held or blocked). */
    const bufferedLive = () => {
      let n = 0
      for (const buf of buffers.values()) for (const d of buf.items) if (d.lane === LIVE_LANE) n++
      return n
    }

    /**
     * Whether a live event waits that this replica cannot take: in another replica's buffer or still in a queue
     * (Redis counts the live events accepted and not yet taken). Then the background lane waits. In doubt (Redis
     * unreachable), it waits.
     */
    const liveWaitsElsewhere = async (): Promise<boolean> => {
      // Counted before the question: a live event that arrives meanwhile must not be mistaken for one held here.
      const here = bufferedLive()
      const waiting = await redis.zcount(k.live, String(Date.now() - liveWaitHorizonMs), "+inf").catch(() => Number.POSITIVE_INFINITY)
      return waiting > here
    }

    /** Live tickets first; a ticket with only background events only while no live event waits anywhere. */
    const pollAsync = async (): Promise<TicketBatch | undefined> => {
      const live: Array<string> = []
      const background: Array<string> = []
      for (const [ks, buf] of buffers) {
        if (takeable(ks) !== undefined) (buf.items.some((d) => d.lane === LIVE_LANE) ? live : background).push(ks)
      }
      for (const ks of live) {
        const batch = await takeTicket(ks)
        if (batch !== undefined) return batch
      }
      if (background.length === 0 || (await liveWaitsElsewhere())) return undefined
      for (const ks of background) {
        const batch = await takeTicket(ks)
        if (batch !== undefined) return batch
      }
      return undefined
    }

    /** Events this replica knows of: buffered or being worked on. */
    const known = () => {
      let n = inflight.size
      for (const b of buffers.values()) n += b.items.length
      return n
    }

    /**
     * Poll; when nothing is available but Redis counts more pending events than this replica knows of, give
     * deliveries that are on their way a moment (bounded) to arrive.
     */
    const pollSettled = async (): Promise<TicketBatch | undefined> => {
      const first = await pollAsync()
      if (first !== undefined || settleMs <= 0 || !connected) return first
      const pending = await redis.zcard(k.pending).catch(() => 0)
      if (pending <= known()) return undefined
      const deadline = Date.now() + Math.min(settleMs, 100)
      let seen = known()
      while (Date.now() < deadline && connected) {
        await sleep(10)
        if (known() !== seen) {
          seen = known()
          const batch = await pollAsync()
          if (batch !== undefined) return batch
        }
      }
      return undefined
    }

    const poll: Effect.Effect<TicketBatch | undefined, StoreError> = Effect.tryPromise({ try: pollSettled, catch: (e) => fail("inbox.poll", e) })

    const waitForWork = Effect.async<void>((resume) => {
      const done = () => {
        clearTimeout(timer)
        resume(Effect.void)
      }
      const timer = setTimeout(done, 250)
      waiters.push(done)
      return Effect.sync(() => {
        clearTimeout(timer)
        waiters = waiters.filter((w) => w !== done)
      })
    })

    const take: Effect.Effect<TicketBatch, StoreError> = Effect.gen(function* () {
      for (;;) {
        const batch = yield* poll
        if (batch !== undefined) return batch
        yield* waitForWork
      }
    })

    const unlease = async (ks: string) => {
      const key = leases.get(ks)
      leases.delete(ks)
      if (key !== undefined) await redis.eval(LEASE, 1, k.lease(key), replicaToken).catch(() => undefined)
    }

    const letGo = (batch: TicketBatch) =>
      Effect.promise(async () => {
        const ks = ticketKeyString(batch.key)
        await unlease(ks)
        held.delete(ks)
        notify()
      })

    // Renew the leases of the tickets being worked on.
    const renewer = setInterval(() => {
      for (const key of leases.values()) void redis.eval(LEASE, 1, k.lease(key), replicaToken, String(leaseMs)).catch(() => undefined)
    }, Math.max(100, Math.floor(leaseMs / 3)))
    renewer.unref()

    // Share the partitions: live replicas heartbeat in a sorted set; one active on more than its fair share
    // cancels the excess consumers and subscribes again at the back of the line, so a stand-by takes over.
    // Its buffered (not taken) deliveries of those partitions go back to the queue, in order.
    const rebalanceMs = options.rebalanceMs ?? 3_000
    let lastHandOver = 0
    let rebalancing = false
    const rebalance = async () => {
      if (rebalancing) return
      rebalancing = true
      try {
        await rebalanceOnce()
      } finally {
        rebalancing = false
      }
    }
    const rebalanceOnce = async () => {
      if (!connected || closing || !consume) return
      const now = Date.now()
      await redis.zadd(k.replicas, now, replicaToken)
      const live = Math.max(1, await redis.zcount(k.replicas, String(now - 3 * rebalanceMs), "+inf"))
      const fair = Math.ceil(options.partitions / live)
      const active = [...lastDelivery.entries()].filter(([, t]) => t > now - 4 * rebalanceMs).map(([p]) => p)
      if (active.length <= fair || now - lastHandOver < 3 * rebalanceMs) return
      const sub = subChannel
      const again = subscribe
      if (sub === undefined || again === undefined) return
      lastHandOver = now
      for (const p of active.sort(() => Math.random() - 0.5).slice(0, active.length - fair)) {
        const tag = consumerTags.get(p)
        if (tag === undefined) continue
        await sub.cancel(tag)
        consumerTags.delete(p)
        lastDelivery.delete(p)
        for (const [ks, buf] of buffers) {
          if (held.has(ks)) continue
          // Only the live queue of the partition is handed over; its background consumer stays.
          const keep = buf.items.filter((d) => d.partition !== p || d.lane !== LIVE_LANE)
          const back = buf.items.filter((d) => d.partition === p && d.lane === LIVE_LANE && d.generation === generation)
          for (const d of back) {
            try {
              d.channel.nack(d.msg, false, true)
            } catch {
              /* channel gone: the broker requeues it anyway */
            }
          }
          if (keep.length === 0) buffers.delete(ks)
          else buf.items = keep
        }
        await again(p)
        handedOver++
      }
    }
    const rebalancer =
      rebalanceMs > 0
        ? setInterval(() => {
            void rebalance().catch(() => undefined)
          }, rebalanceMs)
        : undefined
    rebalancer?.unref()

    /** Count updates that failed (Redis unreachable) after the broker ack; retried until they succeed. */
    let leftovers: Array<{ readonly key: TicketKey; readonly ids: ReadonlyArray<string> }> = []
    const uncount = (key: TicketKey, ids: ReadonlyArray<string>) =>
      redis.eval(ACK, 3 + ids.length, k.pending, k.ticket(key), k.live, ...ids.map(k.acked), ...ids)
    const flushLeftovers = async () => {
      const todo = leftovers
      leftovers = []
      for (const group of todo) {
        try {
          await uncount(group.key, group.ids)
        } catch {
          leftovers.push(group)
        }
      }
    }
    const leftoverFlusher = setInterval(() => {
      if (leftovers.length > 0) void flushLeftovers()
    }, 1_000)
    leftoverFlusher.unref()

    const ack = (batch: TicketBatch): Effect.Effect<void, StoreError> =>
      Effect.tryPromise({
        try: async () => {
          const done: Array<string> = []
          for (const e of batch.entries) {
            const d = inflight.get(e.id)
            inflight.delete(e.id)
            // A delivery from before a reconnect cannot be acked (its channel is gone); the broker redelivers it.
            if (d === undefined || d.generation !== generation) continue
            try {
              d.channel.ack(d.msg)
              done.push(d.pendingId)
            } catch {
              /* channel closed meanwhile: redelivered */
            }
          }
          if (done.length === 0) return
          try {
            await uncount(batch.key, done)
          } catch {
            // The events are acknowledged in the broker; only the counts lag until the retry succeeds.
            if (leftovers.length < 100_000) leftovers.push({ key: batch.key, ids: done })
          }
        },
        catch: (e) => fail("inbox.ack", e)
      }).pipe(Effect.ensuring(letGo(batch)))

    const release = (batch: TicketBatch, releaseOptions?: { readonly delayMs?: number }): Effect.Effect<void> =>
      Effect.suspend(() => {
        const ks = ticketKeyString(batch.key)
        const delayMs = releaseOptions?.delayMs ?? 0
        if (delayMs > 0) {
          // Nobody here takes the ticket before then (its messages stay unacknowledged in this replica's buffer).
          blocked.set(ks, Date.now() + delayMs)
          setTimeout(notify, delayMs + 1)
        }
        const back: Array<Delivered> = []
        for (const e of batch.entries) {
          const d = inflight.get(e.id)
          inflight.delete(e.id)
          if (d !== undefined && d.generation === generation) back.push(d)
        }
        if (back.length > 0) {
          const buf = buffers.get(ks)
          if (buf === undefined) buffers.set(ks, { key: batch.key, items: back })
          else buf.items.unshift(...back)
        }
        // Its live events wait again, and hold back the background lane again.
        const live = back.filter((d) => d.lane === LIVE_LANE).flatMap((d) => [Date.parse(d.entry.acceptedAt), d.pendingId])
        const waitAgain = live.length > 0 ? Effect.promise(() => redis.zadd(k.live, ...live).catch(() => undefined)) : Effect.void
        return Effect.zipRight(waitAgain, letGo(batch))
      })

    const service: Omit<InboxService, "checkWritable"> = {
      accept,
      requeue,
      take,
      poll,
      ack,
      release,
      depth: redisOp("inbox.depth", () => redis.zcard(k.pending)),
      pendingFor: (key) =>
        redisOp("inbox.pendingFor", async () => {
          const times = await redis.hvals(k.ticket(key))
          if (times.length === 0) return { count: 0 }
          return { count: times.length, oldestAcceptedAt: times.reduce((a, b) => (b < a ? b : a)) }
        }),
      oldestAgeSeconds: redisOp("inbox.oldest", async () => {
        const r = await redis.zrange(k.pending, "0", "0", "WITHSCORES")
        return r[1] === undefined ? 0 : Math.max(0, (Date.now() - Number(r[1])) / 1000)
      })
    }
    // `connected` changes over time: re-read it on every check.
    const checkWritable = Effect.suspend(() =>
      Effect.zipRight(
        connected ? Effect.void : Effect.fail(fail("inbox.checkWritable", new Error("RabbitMQ connection is down; reconnecting"))),
        redisOp("inbox.checkWritable", () => redis.set(k.heartbeat, new Date().toISOString(), "EX", 3600))
      )
    ).pipe(Effect.asVoid)

    const control: RabbitInboxControl = {
      isConnected: () => connected,
      cutConnection: () => {
        const stream = (model?.connection as unknown as { stream?: { destroy: (e?: Error) => void } } | undefined)?.stream
        stream?.destroy(new Error("connection cut"))
      },
      connections: () => connections,
      deliveries: () => delivered,
      handedOver: () => handedOver
    }

    const close = Effect.promise(async () => {
      closing = true
      clearInterval(renewer)
      if (rebalancer !== undefined) clearInterval(rebalancer)
      clearInterval(leftoverFlusher)
      await flushLeftovers()
      await redis.zrem(k.replicas, replicaToken).catch(() => undefined)
      await Promise.all([...leases.keys()].map(unlease))
      notify()
      const m = model
      connected = false
      model = undefined
      pub = undefined
      // A half-dead connection may never answer the close handshake: do not wait for it forever.
      await Promise.race([m?.close().catch(() => undefined), sleep(2_000)])
    })

    return { service: { ...service, checkWritable }, control, close }
  })

export class RabbitInboxControlTag extends Context.Tag("@workbridge/service/distributed/RabbitInboxControl")<
  RabbitInboxControlTag,
  RabbitInboxControl
>() {}

/** Delete the queues and the dead-letter exchange of a namespace (tests and teardown). */
export const deleteTopology = async (url: string, prefix: string, partitions: number): Promise<void> => {
  const names = queueNames(prefix, partitions)
  const m = await amqp.connect(url)
  try {
    const ch = await m.createChannel()
    for (const q of [...names.partitions, ...names.background, names.deadQueue]) await ch.deleteQueue(q)
    await ch.deleteExchange(names.deadExchange)
    await ch.close()
  } finally {
    await m.close().catch(() => undefined)
  }
}

/** The inbox layer (needs the Redis connection); the connection closes with the layer's scope. */
export const layer = (options: RabbitInboxOptions): Layer.Layer<Inbox, DistributedStartError, RedisConnection> =>
  Layer.scoped(
    Inbox,
    Effect.gen(function* () {
      const redis = yield* RedisConnection
      const built = yield* Effect.acquireRelease(make(redis, options), (b) => b.close)
      return built.service
    })
  )

/** Like `layer`, also handing out the control hooks (tests). */
export const layerWithControl = (
  options: RabbitInboxOptions
): Layer.Layer<Inbox | RabbitInboxControlTag, DistributedStartError, RedisConnection> =>
  Layer.scopedContext(
    Effect.gen(function* () {
      const redis = yield* RedisConnection
      const built = yield* Effect.acquireRelease(make(redis, options), (b) => b.close)
      return Context.make(Inbox, built.service).pipe(Context.add(RabbitInboxControlTag, built.control))
    })
  )

