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
 * Accept: claim the delivery key ("pending:<replica>", short TTL) → publish with publisher confirm → mark the key
 * "done" for 24 h and count the event pending. The webhook's 202 comes only after the broker confirmed. Accepts are
 * batched: those made within one event-loop turn share one claim script, one round of publisher confirms and one
 * commit script (see `accepting`). A claim lasts 3 s unless its replica renews it (it does while the event is being
 * published), so a replica killed mid-accept holds up the sender's retry of that delivery at another replica for
 * 3 s at most.
 * Consume: deliveries are buffered per ticket; `take` hands out one ticket's buffered events (sorted by
 * revision) and holds the ticket; `ack` acknowledges those messages after the apply (manual acks), `release`
 * puts them back in the buffer (never `nack`, which would count towards the delivery limit).
 * Connection loss: the inbox reconnects with capped backoff; meanwhile `checkWritable` fails (readiness false),
 * `accept` fails (the sender retries), buffered deliveries are dropped (the broker redelivers them) and acks
 * of batches taken before the loss are skipped: their messages come back and are seen as superseded.
 */
import { randomUUID } from "node:crypto"
import { Socket } from "node:net"
import type { TicketEvent } from "@workbridge/catalog"
import { compareRevision } from "@workbridge/catalog"
import { Context, Duration, Effect, Exit, type Fiber, Layer, Queue, Schedule, Scope } from "effect"
import amqp from "amqplib"
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage } from "amqplib"
import type { Redis } from "ioredis"
import type { AcceptResult, InboxEntry, TicketBatch, TicketKey } from "../domain/records.js"
import { ticketKeyString } from "../domain/records.js"
import { InboxFull, StoreError } from "../domain/errors.js"
import {
  type AcceptOptions,
  BACKGROUND_LANE,
  Inbox,
  type InboxService,
  type Lane,
  LIVE_LANE,
  laneOf,
  registerAcceptPromise
} from "../inbox/Inbox.js"
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
import { DEFAULT_PREFETCH } from "./Settings.js"
import { luaScript } from "./lua.js"

export interface RabbitInboxOptions {
  /** `amqp://user:password@host:port/vhost`. */
  readonly url: string
  /** Names queues, the dead-letter exchange and Redis keys; every replica of a deployment uses the same one. */
  readonly prefix: string
  /** Partition queues (fixed for a namespace: checked against Redis at start). */
  readonly partitions: number
  /** Accepting beyond this many pending events fails with `InboxFull`. */
  readonly hardLimit: number
  /** Unacknowledged deliveries per partition consumer (default `DEFAULT_PREFETCH`): the window a take sees. */
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
  /** Accept batches so far (each one claim script in Redis for all its delivery keys). */
  readonly acceptBatches: () => number
  /** Rounds of publishes so far (each waited for with one round of publisher confirms). */
  readonly publishRounds: () => number
  /** The inbox's background fibers still running (reconnect, lease renewal, rebalancing, count retries): 0 once closed. */
  readonly runningLoops: () => number
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

/**
 * Claim a batch's delivery keys. KEYS: pending zset, then one dedupe key per entry. ARGV: limit, claim ttl (ms),
 * the replica's token. → one verdict per entry: "ok" (claimed: the key holds "pending:<token>") | "pending…"
 * (being accepted elsewhere) | "done" | "full:<n>". The claims of the batch count towards the limit as they are
 * made, so one batch cannot overshoot it.
 */
const BEGIN = `
local n = redis.call('ZCARD', KEYS[1])
local limit = tonumber(ARGV[1])
local out = {}
for i = 2, #KEYS do
  local v = redis.call('GET', KEYS[i])
  if v then
    out[i - 1] = v
  elseif n >= limit then
    out[i - 1] = 'full:' .. n
  else
    redis.call('SET', KEYS[i], 'pending:' .. ARGV[3], 'PX', ARGV[2])
    n = n + 1
    out[i - 1] = 'ok'
  end
end
return out
`

/**
 * Mark a batch's published events done and count them pending. KEYS: pending zset, live-waiting zset, then per
 * entry: dedupe, ticket hash, acked marker. ARGV: dedupe ttl, then per entry: pending id, accepted ms, accepted
 * ISO, "1" for a live event.
 */
const COMMIT = `
for i = 0, (#KEYS - 2) / 3 - 1 do
  local k = 3 + 3 * i
  local a = 2 + 4 * i
  redis.call('SET', KEYS[k], 'done', 'EX', ARGV[1])
  if redis.call('EXISTS', KEYS[k + 2]) == 0 then
    redis.call('ZADD', KEYS[1], ARGV[a + 1], ARGV[a])
    redis.call('HSET', KEYS[k + 1], ARGV[a], ARGV[a + 2])
    if ARGV[a + 3] == '1' then redis.call('ZADD', KEYS[2], ARGV[a + 1], ARGV[a]) end
  end
end
return 1
`

/**
 * KEYS: dedupe keys. ARGV: the replica's token. Forget this replica's claims of deliveries whose publish failed, so
 * the senders' retries are accepted (a claim that expired meanwhile and was made again elsewhere is not touched).
 */
const ABORT = `
for i = 1, #KEYS do
  if redis.call('GET', KEYS[i]) == 'pending:' .. ARGV[1] then redis.call('DEL', KEYS[i]) end
end
return 1
`

/** KEYS: dedupe keys. ARGV: the replica's token, claim ttl (ms). Extend this replica's claims still in flight. */
const RENEW = `
for i = 1, #KEYS do
  if redis.call('GET', KEYS[i]) == 'pending:' .. ARGV[1] then redis.call('PEXPIRE', KEYS[i], ARGV[2]) end
end
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
 * How long a claim on a delivery key ("pending:<token>", publish in progress) lasts without renewal (ms). The
 * replica renews its claims in flight every `CLAIM_RENEW_MS`, so a publish waiting for its confirm up to
 * `CONFIRM_TIMEOUT_MS` keeps its claim; a replica killed mid-accept stops renewing, and its claims expire within
 * this time — within the `CLAIM_WAIT_MS` another replica waits for them, so the sender's retry is accepted at once.
 */
const CLAIM_TTL_MS = 3_000
const CLAIM_RENEW_MS = 1_000
const CONFIRM_TIMEOUT_MS = 10_000
/** Most accepts in one batch (one claim script, one round of publisher confirms, one commit script). */
const ACCEPT_BATCH_LIMIT = 256
/**
 * How long an accept waits for another replica's claim on its delivery key, polling every `CLAIM_POLL_MS`: longer
 * than a claim lasts without renewal, so a claim left by a replica that was killed mid-accept expires within it.
 */
const CLAIM_WAIT_MS = 4_000
const CLAIM_POLL_MS = 50

const beginScript = luaScript(BEGIN)
const commitScript = luaScript(COMMIT)
const abortScript = luaScript(ABORT)
const renewScript = luaScript(RENEW)
const leaseScript = luaScript(LEASE)
const ackScript = luaScript(ACK)

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

/** One inbox instance as its scope hands it out: the port's service and the test and operations hooks. */
export interface RabbitInbox {
  readonly service: InboxService
  readonly control: RabbitInboxControl
}

interface Buffered {
  readonly key: TicketKey
  items: Array<Delivered>
}

/** The options with their defaults, the queue names and the Redis keys of one inbox instance. */
const settingsOf = (options: RabbitInboxOptions) => {
  const p = checkPrefix(options.prefix)
  const prefetch = options.prefetch ?? DEFAULT_PREFETCH
  return {
    options,
    p,
    names: queueNames(p, options.partitions),
    prefetch,
    backgroundPrefetch: options.backgroundPrefetch ?? Math.min(prefetch, 50),
    liveWaitHorizonMs: options.liveWaitHorizonMs ?? 5 * 60_000,
    deliveryLimit: options.deliveryLimit ?? 20,
    settleMs: options.settleMs ?? 150,
    batchLimit: options.batchLimit ?? 500,
    dedupeTtl: options.dedupeTtlSeconds ?? 24 * 3600,
    consume: options.consume ?? true,
    leaseMs: options.leaseMs ?? 30_000,
    rebalanceMs: options.rebalanceMs ?? 3_000,
    replicaToken: randomUUID(),
    k: {
      pending: `${p}:pending`,
      /** Live events accepted and not taken by any replica (score: accepted ms): they hold back the background lane. */
      live: `${p}:live`,
      ticket: (key: TicketKey) => `${p}:pt:${ticketSegment(key)}`,
      dedupe: (source: string, deliveryKey: string) =>
        `${p}:dedupe:${encodeURIComponent(source)}/${encodeURIComponent(deliveryKey)}`,
      acked: (id: string) => `${p}:acked:${id}`,
      replicas: `${p}:replicas`,
      lease: (key: TicketKey) => `${p}:lease:${ticketSegment(key)}`,
      heartbeat: `${p}:heartbeat`,
      partitions: `${p}:partitions`
    }
  }
}
type Settings = ReturnType<typeof settingsOf>

/** The mutable state of one inbox instance, shared by its parts (connection, accepting, taking, loops). */
class State {
  model: ChannelModel | undefined
  pub: ConfirmChannel | undefined
  generation = 0
  connections = 0
  connected = false
  closing = false
  readonly buffers = new Map<string, Buffered>()
  delivered = 0
  handedOver = 0
  /** Delivery keys this replica has claimed and is publishing (renewed until counted or dropped). */
  readonly claims = new Set<string>()
  /** Accept batches claimed in Redis, and rounds of publishes waited for together (both: since start). */
  acceptBatches = 0
  publishRounds = 0
  /** Partition → when its live queue last delivered to this replica (its single active consumer is here). */
  readonly lastDelivery = new Map<number, number>()
  readonly consumerTags = new Map<number, string>()
  subChannel: Channel | undefined
  subscribe: ((partition: number) => Promise<void>) | undefined
  readonly held = new Set<string>()
  /** Tickets this replica holds a lease on (key string → ticket). */
  readonly leases = new Map<string, TicketKey>()
  /** Tickets another replica holds, or released with a delay: not taken before this time. */
  readonly blocked = new Map<string, number>()
  readonly inflight = new Map<string, Delivered>()
  /** The fibers of the inbox's loops (they end with its scope). */
  readonly loops: Array<Fiber.RuntimeFiber<unknown>> = []
  /** Count updates that failed (Redis unreachable) after the broker ack; retried until they succeed. */
  leftovers: Array<{ readonly key: TicketKey; readonly ids: ReadonlyArray<string> }> = []
  private waiters: Array<() => void> = []
  constructor(
    /** Wakes the reconnect loop. */
    readonly down: Queue.Queue<void>
  ) {}
  notify(): void {
    const w = this.waiters
    this.waiters = []
    for (const f of w) f()
  }
  waitForWork(done: () => void): () => void {
    this.waiters.push(done)
    return () => {
      this.waiters = this.waiters.filter((w) => w !== done)
    }
  }
}

interface Parts {
  readonly redis: Redis
  readonly s: Settings
  readonly st: State
}

const startError = (variable: string, e: unknown) =>
  new DistributedStartError({ variable, problem: redactMessage(e instanceof Error ? e.message : String(e)) })

/** The partition count is part of the namespace: a different count would send a ticket to two queues. */
const checkPartitions = (redis: Redis, s: Settings): Effect.Effect<void, DistributedStartError> =>
  Effect.gen(function* () {
    const partitions = s.options.partitions
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > 1024) {
      return yield* new DistributedStartError({
        variable: "WORKBRIDGE_PARTITIONS",
        problem: `must be 1–1024, got ${partitions}`
      })
    }
    const stored = yield* Effect.tryPromise({
      try: async () => {
        await redis.set(s.k.partitions, String(partitions), "NX")
        return redis.get(s.k.partitions)
      },
      catch: (e) => startError("WORKBRIDGE_REDIS_URL", e)
    })
    if (stored !== String(partitions)) {
      return yield* new DistributedStartError({
        variable: "WORKBRIDGE_PARTITIONS",
        problem: `the namespace "${s.p}" runs with ${stored} partitions, got ${partitions}; drain the queues before changing it`
      })
    }
  })

/** A delivery from one of this replica's consumers: parsed into the ticket's buffer, or dead-lettered. */
const onMessage = (
  { st }: Parts,
  msg: ConsumeMessage | null,
  gen: number,
  channel: Channel,
  partition: number,
  lane: Lane
): void => {
  if (gen !== st.generation) {
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
    void st.model?.close().catch(() => undefined)
    return
  }
  let env: Envelope
  try {
    env = JSON.parse(msg.content.toString("utf8")) as Envelope
    if (
      typeof env.pendingId !== "string" ||
      typeof env.event?.source !== "string" ||
      typeof env.event.ticketId !== "string"
    ) {
      throw new Error("not an inbox envelope")
    }
  } catch {
    channel.nack(msg, false, false) // → dead-letter exchange
    return
  }
  const key: TicketKey = { source: env.event.source, ticketId: env.event.ticketId }
  const ks = ticketKeyString(key)
  st.delivered++
  if (lane === LIVE_LANE) st.lastDelivery.set(partition, Date.now())
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
  const buf = st.buffers.get(ks)
  if (buf === undefined) st.buffers.set(ks, { key, items: [d] })
  else buf.items.push(d)
  st.notify()
}

/** The connection is gone: drop what it delivered (the broker requeues it) and wake the reconnect loop. */
const onDown = ({ s, st }: Parts, gen: number, detail: string): void => {
  if (gen !== st.generation || !st.connected) return
  st.connected = false
  st.generation++
  st.pub = undefined
  st.model = undefined
  // Unacknowledged deliveries go back to their queues with the channel; drop our copies.
  st.buffers.clear()
  st.lastDelivery.clear()
  st.consumerTags.clear()
  st.subChannel = undefined
  st.subscribe = undefined
  s.options.onConnectionChange?.(false, detail)
  if (!st.closing) Queue.unsafeOffer(st.down, undefined)
}

/** A channel whose close takes the connection down with it (so the whole connection is set up again). */
const openChannel = async (parts: Parts, m: ChannelModel, gen: number, prefetch: number): Promise<Channel> => {
  const ch = await m.createChannel()
  ch.on("error", () => undefined)
  ch.on("close", () => {
    if (gen === parts.st.generation && !parts.st.closing) void m.close().catch(() => undefined)
  })
  await ch.prefetch(prefetch)
  return ch
}

/** Subscribe to every partition's live and background queue, starting at a random partition. */
const subscribeAll = async (parts: Parts, m: ChannelModel, gen: number): Promise<void> => {
  const { s, st } = parts
  const sub = await openChannel(parts, m, gen, s.prefetch)
  const subscribeTo = async (p: number) => {
    const ok = await sub.consume(s.names.partitions[p]!, (msg) => onMessage(parts, msg, gen, sub, p, LIVE_LANE), {
      noAck: false
    })
    st.consumerTags.set(p, ok.consumerTag)
  }
  // The background queues on a channel of their own, with a smaller prefetch.
  const bg = await openChannel(parts, m, gen, s.backgroundPrefetch)
  // Start at a random partition so replicas that start together spread the active consumers.
  const count = s.names.partitions.length
  const start = Math.floor(Math.random() * count)
  for (let i = 0; i < count; i++) {
    const p = (start + i) % count
    await subscribeTo(p)
    await bg.consume(s.names.background[p]!, (msg) => onMessage(parts, msg, gen, bg, p, BACKGROUND_LANE), {
      noAck: false
    })
  }
  st.subChannel = sub
  st.subscribe = subscribeTo
}

/**
 * amqplib writes each frame it has queued (a publish is three: method, header, body; an ack one) with its own
 * `write` on the socket, each a system call. Corked for the duration of one of its write rounds and uncorked on the
 * next tick, the socket sends the round's frames in one `writev`. Reaches into amqplib's connection (`stream`,
 * `muxer`); on a version without them it leaves the writes as they are.
 */
export const coalesceFrameWrites = (m: ChannelModel): void => {
  const c = (m as unknown as { connection?: { stream?: unknown; muxer?: { _readIncoming?: unknown } } }).connection
  const out = c?.stream
  const mux = c?.muxer
  if (!(out instanceof Socket) || mux === undefined || typeof mux._readIncoming !== "function") return
  const round = (mux._readIncoming as () => void).bind(mux)
  mux._readIncoming = () => {
    out.cork()
    try {
      round()
    } finally {
      process.nextTick(() => out.uncork())
    }
  }
}

/** Connect once: declare the topology, open the publisher confirm channel, subscribe (unless publish-only). */
const connectOnce = async (parts: Parts): Promise<void> => {
  const { s, st } = parts
  const m = await amqp.connect(s.options.url)
  coalesceFrameWrites(m)
  try {
    const gen = st.generation
    m.on("error", () => undefined)
    m.on("close", (err?: Error) => onDown(parts, gen, err?.message ?? "connection closed"))
    const ch = await m.createConfirmChannel()
    ch.on("error", () => undefined)
    ch.on("close", () => {
      if (gen === st.generation && !st.closing) void m.close().catch(() => undefined)
    })
    await ch.assertExchange(s.names.deadExchange, "fanout", { durable: true })
    await ch.assertQueue(s.names.deadQueue, { durable: true, arguments: { "x-queue-type": "quorum" } })
    await ch.bindQueue(s.names.deadQueue, s.names.deadExchange, "")
    for (const q of [...s.names.partitions, ...s.names.background]) {
      await ch.assertQueue(q, {
        durable: true,
        arguments: {
          "x-queue-type": "quorum",
          "x-single-active-consumer": true,
          "x-dead-letter-exchange": s.names.deadExchange,
          "x-delivery-limit": s.deliveryLimit
        }
      })
    }
    if (s.consume) await subscribeAll(parts, m, gen)
    // The inbox closed while this connection was being set up (its reconnect loop was interrupted): let it go.
    if (st.closing) throw new Error("the inbox is closing")
    st.model = m
    st.pub = ch
    st.connected = true
    st.connections++
    s.options.onConnectionChange?.(true, `connected to ${redactUrl(s.options.url)}`)
  } catch (e) {
    // Deliveries that arrived on this half-set-up connection must not be mistaken for live ones.
    st.generation++
    for (const [ks] of st.buffers) if (!st.held.has(ks)) st.buffers.delete(ks)
    await Promise.race([m.close().catch(() => undefined), sleep(2_000)])
    throw e
  }
}

/** Connect at start, a few attempts with backoff; fails naming `WORKBRIDGE_RABBITMQ_URL` (no password). */
const connectAtStart = (parts: Parts): Effect.Effect<void, DistributedStartError> =>
  Effect.tryPromise({
    try: async () => {
      const attempts = parts.s.options.connectAttempts ?? 5
      for (let attempt = 0; ; attempt++) {
        try {
          await connectOnce(parts)
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
        problem: `cannot set up RabbitMQ at ${redactUrl(parts.s.options.url)}: ${redactMessage(e instanceof Error ? e.message : String(e))}`
      })
  })

/** Waits for the connection to go down, then reconnects with capped, jittered backoff (200 ms → 5 s); forever. */
const reconnectLoop = (parts: Parts): Effect.Effect<never> => {
  const { s, st } = parts
  const attempt = (n: number): Effect.Effect<void> =>
    Effect.suspend(() =>
      st.connected || st.closing
        ? Effect.void
        : Effect.sleep(Duration.millis(backoffMs(n, 200, 5_000))).pipe(
            Effect.zipRight(Effect.tryPromise(() => connectOnce(parts))),
            Effect.catchAll((e) =>
              Effect.suspend(() => {
                if (st.closing) return Effect.void
                const why = redactMessage(e.error instanceof Error ? e.error.message : String(e.error))
                s.options.onConnectionChange?.(false, `reconnect attempt ${n + 1} failed: ${why}`)
                return attempt(n + 1)
              })
            )
          )
    )
  return Queue.take(st.down).pipe(Effect.zipRight(attempt(0)), Effect.forever)
}

/** One accept waiting for its batch. */
interface AcceptWaiter {
  readonly event: TicketEvent
  readonly traceparent: string | undefined
  /** Until when it waits for another replica's claim on its delivery key. */
  readonly claimDeadline: number
  readonly done: (result: AcceptResult | InboxFull | Error) => void
}

/** One publish of a batch: its envelope, lane and trace context. */
interface Outgoing {
  readonly env: Envelope
  readonly lane: Lane
  readonly traceparent?: string | undefined
}

/**
 * Accepting: dedupe in Redis, publish with publisher confirms to the event's lane, then count it pending — in
 * batches. The accepts made within one event-loop turn form one batch (at most `ACCEPT_BATCH_LIMIT`), as the SQLite
 * inbox's group commit does: one claim script in Redis for all its delivery keys, its publishes sent together and
 * waited for together (one round of publisher confirms), and one commit script. Each caller is answered with its own
 * outcome (accepted, duplicate, inbox full, or the failure), an accepted event only once the broker confirmed it and
 * it is counted. Under load more requests are read per turn, so the batches grow with the load. Batches do not wait
 * for one another: a batch never holds back the next one's claim.
 */
const accepting = ({ redis, s, st }: Parts) => {
  const { k } = s

  /** Publish the batch's events; resolves with one error (or undefined: confirmed) per event, never rejects. */
  const publishAll = (items: ReadonlyArray<Outgoing>): Promise<Array<Error | undefined>> => {
    const ch = st.pub
    if (ch === undefined || !st.connected) {
      const down = new Error("RabbitMQ is not connected; reconnecting")
      return Promise.resolve(items.map(() => down))
    }
    st.publishRounds++
    return new Promise((resolve) => {
      const results: Array<Error | undefined | null> = items.map(() => null)
      let left = items.length
      const settle = (i: number, error: Error | undefined) => {
        if (results[i] !== null) return
        results[i] = error
        if (--left === 0) {
          clearTimeout(timer)
          resolve(results as Array<Error | undefined>)
        }
      }
      const timer = setTimeout(() => {
        const late = new Error(`no publisher confirm within ${CONFIRM_TIMEOUT_MS} ms`)
        items.forEach((_, i) => settle(i, late))
      }, CONFIRM_TIMEOUT_MS)
      items.forEach(({ env, lane, traceparent }, i) => {
        const partition = partitionOf(env.event, s.options.partitions)
        const q = (lane === LIVE_LANE ? s.names.partitions : s.names.background)[partition]!
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
            (err: unknown) =>
              settle(
                i,
                err ? (err instanceof Error ? err : new Error(`publish not confirmed: ${String(err)}`)) : undefined
              )
          )
        } catch (e) {
          settle(i, e instanceof Error ? e : new Error(String(e)))
        }
      })
    })
  }

  /** Mark the published events done and count them pending (one script for the batch). */
  const commitAll = (items: ReadonlyArray<Outgoing>): Promise<unknown> => {
    const keys: Array<string> = [k.pending, k.live]
    const args: Array<string> = [String(s.dedupeTtl)]
    for (const { env, lane } of items) {
      keys.push(k.dedupe(env.event.source, env.event.deliveryKey), k.ticket(env.event), k.acked(env.pendingId))
      args.push(env.pendingId, String(Date.parse(env.acceptedAt)), env.acceptedAt, lane === LIVE_LANE ? "1" : "0")
    }
    return commitScript(redis, keys, args)
  }

  const envelope = (event: TicketEvent): Envelope => ({
    pendingId: randomUUID(),
    acceptedAt: new Date().toISOString(),
    event
  })

  let queued: Array<AcceptWaiter> = []
  let scheduled = false

  const enqueue = (w: AcceptWaiter): void => {
    queued.push(w)
    if (!scheduled) {
      scheduled = true
      setImmediate(startBatches)
    }
  }

  /** The accepts made since the last turn, in batches of at most `ACCEPT_BATCH_LIMIT`. */
  const startBatches = (): void => {
    scheduled = false
    const all = queued
    queued = []
    for (let i = 0; i < all.length; i += ACCEPT_BATCH_LIMIT) void runBatch(all.slice(i, i + ACCEPT_BATCH_LIMIT))
  }

  const runBatch = async (batch: ReadonlyArray<AcceptWaiter>): Promise<void> => {
    if (st.pub === undefined || !st.connected) {
      // Nothing claimed: the senders retry once the connection is back.
      const down = new Error("RabbitMQ is not connected; reconnecting")
      for (const w of batch) w.done(down)
      return
    }
    st.acceptBatches++
    let verdicts: Array<string>
    const keys = [k.pending, ...batch.map((w) => k.dedupe(w.event.source, w.event.deliveryKey))]
    try {
      const r = await beginScript(redis, keys, [s.options.hardLimit, CLAIM_TTL_MS, s.replicaToken])
      verdicts = (r as Array<unknown>).map(String)
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e))
      for (const w of batch) w.done(error)
      return
    }
    const claims: Array<{ readonly w: AcceptWaiter; readonly out: Outgoing; readonly key: string }> = []
    batch.forEach((w, i) => {
      const r = verdicts[i] ?? ""
      if (r === "ok")
        claims.push({
          w,
          out: { env: envelope(w.event), lane: laneOf(w.event), traceparent: w.traceparent },
          key: keys[i + 1]!
        })
      else if (r === "done") w.done({ _tag: "Duplicate" })
      else if (r.startsWith("full:")) w.done(new InboxFull({ depth: Number(r.slice(5)), limit: s.options.hardLimit }))
      else if (Date.now() > w.claimDeadline)
        w.done(new Error(`delivery "${w.event.deliveryKey}" is being accepted elsewhere; retry`))
      // Another replica (or an earlier accept of this batch) is accepting the same delivery: wait for its outcome.
      else setTimeout(() => enqueue(w), CLAIM_POLL_MS)
    })
    if (claims.length === 0) return
    // Renewed while in flight (`renewClaims`), until the events are counted or the claims dropped.
    for (const c of claims) st.claims.add(c.key)
    try {
      await publishAndCommit(claims)
    } finally {
      for (const c of claims) st.claims.delete(c.key)
    }
  }

  const publishAndCommit = async (
    claims: ReadonlyArray<{ readonly w: AcceptWaiter; readonly out: Outgoing; readonly key: string }>
  ): Promise<void> => {
    const errors = await publishAll(claims.map((c) => c.out))
    const published = claims.filter((_, i) => errors[i] === undefined)
    const failed = claims.filter((_, i) => errors[i] !== undefined)
    if (failed.length > 0) {
      // Not in the broker: drop the claims, so the senders' retries are accepted.
      await abortScript(
        redis,
        failed.map((c) => c.key),
        [s.replicaToken]
      ).catch(() => undefined)
      claims.forEach(({ w }, i) => {
        const error = errors[i]
        if (error !== undefined) w.done(error)
      })
    }
    if (published.length === 0) return
    // Durable in the broker from here on: a failed bookkeeping write must not refuse the events.
    await commitAll(published.map((c) => c.out)).catch(() => undefined)
    for (const { w, out } of published) w.done({ _tag: "Accepted", id: out.env.pendingId })
  }

  const acceptPromise = (event: TicketEvent, options?: AcceptOptions): Promise<AcceptResult> =>
    new Promise((resolve, reject) =>
      enqueue({
        event,
        traceparent: options?.traceparent,
        claimDeadline: Date.now() + CLAIM_WAIT_MS,
        done: (r) =>
          r instanceof InboxFull ? reject(r) : r instanceof Error ? reject(fail("inbox.accept", r)) : resolve(r)
      })
    )

  const accept = (event: TicketEvent, options?: AcceptOptions): Effect.Effect<AcceptResult, StoreError | InboxFull> =>
    Effect.async<AcceptResult, StoreError | InboxFull>((resume) => {
      enqueue({
        event,
        traceparent: options?.traceparent,
        claimDeadline: Date.now() + CLAIM_WAIT_MS,
        done: (r) =>
          resume(
            r instanceof InboxFull
              ? Effect.fail(r)
              : r instanceof Error
                ? Effect.fail(fail("inbox.accept", r))
                : Effect.succeed(r)
          )
      })
    })

  const requeue = (event: TicketEvent): Effect.Effect<string, StoreError> =>
    Effect.tryPromise({
      try: async () => {
        const deliveryKey = `${event.deliveryKey}#replay-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
        // A replay is live work, whatever fed the event first.
        const out: Outgoing = { env: envelope({ ...event, deliveryKey }), lane: LIVE_LANE }
        const [error] = await publishAll([out])
        if (error !== undefined) throw error
        await commitAll([out]).catch(() => undefined)
        return out.env.pendingId
      },
      catch: (e) => fail("inbox.requeue", e)
    })

  /** Extend this replica's claims still in flight (the claim renewal loop). */
  const renewClaims = Effect.promise(() =>
    st.claims.size === 0
      ? Promise.resolve()
      : renewScript(redis, [...st.claims], [s.replicaToken, CLAIM_TTL_MS]).then(
          () => undefined,
          () => undefined
        )
  )

  return { accept, acceptPromise, requeue, renewClaims }
}

/** Holding tickets: the in-process hold plus a Redis lease, so no other replica works a ticket held here. */
const leasing = ({ redis, s, st }: Parts) => {
  const unlease = async (ks: string) => {
    const key = st.leases.get(ks)
    st.leases.delete(ks)
    if (key !== undefined) await leaseScript(redis, [s.k.lease(key)], [s.replicaToken]).catch(() => undefined)
  }
  const lease = (key: TicketKey) =>
    redis.set(s.k.lease(key), s.replicaToken, "PX", s.leaseMs, "NX").then(
      (r) => r === "OK",
      () => false
    )
  /** Extend the leases of the tickets being worked on (the lease loop). */
  const renewAll = Effect.sync(() => {
    for (const key of st.leases.values())
      void leaseScript(redis, [s.k.lease(key)], [s.replicaToken, s.leaseMs]).catch(() => undefined)
  })
  const letGo = (batch: TicketBatch) =>
    Effect.promise(async () => {
      const ks = ticketKeyString(batch.key)
      await unlease(ks)
      st.held.delete(ks)
      st.notify()
    })
  return { unlease, lease, renewAll, letGo }
}

/** Taking: live tickets first; a ticket with only background events only while no live event waits anywhere. */
const taking = (parts: Parts, leases: ReturnType<typeof leasing>) => {
  const { redis, s, st } = parts
  const { k } = s

  /** Wait (bounded) until the buffer holds as many of the ticket's events as Redis counts pending. */
  const settle = async (ks: string, key: TicketKey) => {
    if (s.settleMs <= 0) return
    const expected = await redis.hlen(k.ticket(key)).catch(() => 0)
    const deadline = Date.now() + s.settleMs
    while ((st.buffers.get(ks)?.items.length ?? 0) < expected && Date.now() < deadline && st.connected) await sleep(10)
  }

  const takeable = (ks: string) => {
    const buf = st.buffers.get(ks)
    if (buf === undefined || buf.items.length === 0 || st.held.has(ks)) return undefined
    return (st.blocked.get(ks) ?? 0) > Date.now() ? undefined : buf
  }

  /** Hold one buffered ticket (its Redis lease too) and hand out its events, or nothing if it cannot be held. */
  const takeTicket = async (ks: string): Promise<TicketBatch | undefined> => {
    const buf = takeable(ks)
    if (buf === undefined) return undefined
    st.held.add(ks)
    if (!(await leases.lease(buf.key))) {
      // Another replica still works this ticket (e.g. its broker connection dropped mid-apply): later.
      st.held.delete(ks)
      st.blocked.set(ks, Date.now() + 200)
      return undefined
    }
    st.blocked.delete(ks)
    st.leases.set(ks, buf.key)
    await settle(ks, buf.key).catch(() => undefined) // settling is best effort
    const current = st.buffers.get(ks)
    if (current === undefined || current.items.length === 0) {
      await leases.unlease(ks)
      st.held.delete(ks)
      return undefined
    }
    current.items.sort(byRevision)
    const taken = current.items.splice(0, s.batchLimit)
    if (current.items.length === 0) st.buffers.delete(ks)
    for (const d of taken) st.inflight.set(d.entry.id, d)
    // Taken: these live events no longer hold back anybody's background lane.
    const live = taken.filter((d) => d.lane === LIVE_LANE).map((d) => d.pendingId)
    if (live.length > 0) await redis.zrem(k.live, ...live).catch(() => undefined)
    return { key: current.key, entries: taken.map((d) => d.entry) }
  }

  /** Live events in this replica's buffer (when asked, all of them wait for a ticket that is held or blocked). */
  const bufferedLive = () => {
    let n = 0
    for (const buf of st.buffers.values()) for (const d of buf.items) if (d.lane === LIVE_LANE) n++
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
    const waiting = await redis
      .zcount(k.live, String(Date.now() - s.liveWaitHorizonMs), "+inf")
      .catch(() => Number.POSITIVE_INFINITY)
    return waiting > here
  }

  const pollAsync = async (): Promise<TicketBatch | undefined> => {
    const live: Array<string> = []
    const background: Array<string> = []
    for (const [ks, buf] of st.buffers) {
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
    let n = st.inflight.size
    for (const b of st.buffers.values()) n += b.items.length
    return n
  }

  /**
   * Poll; when nothing is available but Redis counts more pending events than this replica knows of, give
   * deliveries that are on their way a moment (bounded) to arrive.
   */
  const pollSettled = async (): Promise<TicketBatch | undefined> => {
    const first = await pollAsync()
    if (first !== undefined || s.settleMs <= 0 || !st.connected) return first
    const pending = await redis.zcard(k.pending).catch(() => 0)
    if (pending <= known()) return undefined
    const deadline = Date.now() + Math.min(s.settleMs, 100)
    let seen = known()
    while (Date.now() < deadline && st.connected) {
      await sleep(10)
      if (known() !== seen) {
        seen = known()
        const batch = await pollAsync()
        if (batch !== undefined) return batch
      }
    }
    return undefined
  }

  const poll: Effect.Effect<TicketBatch | undefined, StoreError> = Effect.tryPromise({
    try: pollSettled,
    catch: (e) => fail("inbox.poll", e)
  })

  const waitForWork = Effect.async<void>((resume) => {
    const done = () => {
      clearTimeout(timer)
      resume(Effect.void)
    }
    const timer = setTimeout(done, 250)
    const forget = st.waitForWork(done)
    return Effect.sync(() => {
      clearTimeout(timer)
      forget()
    })
  })

  const take: Effect.Effect<TicketBatch, StoreError> = Effect.gen(function* () {
    for (;;) {
      const batch = yield* poll
      if (batch !== undefined) return batch
      yield* waitForWork
    }
  })

  return { poll, take }
}

/** Done with a batch: acknowledge it in the broker, uncount it in Redis; or put it back into the buffer. */
const finishing = ({ redis, s, st }: Parts, leases: ReturnType<typeof leasing>) => {
  const { k } = s
  const uncount = (key: TicketKey, ids: ReadonlyArray<string>) =>
    ackScript(redis, [k.pending, k.ticket(key), k.live, ...ids.map(k.acked)], ids)
  const flushLeftovers = Effect.promise(async () => {
    const todo = st.leftovers
    st.leftovers = []
    for (const group of todo) {
      try {
        await uncount(group.key, group.ids)
      } catch {
        st.leftovers.push(group)
      }
    }
  })

  // Uncounted in Redis first, then acknowledged in the broker. A replica killed between the two leaves messages
  // the broker delivers again: applied again, they are superseded, and uncounting them again changes nothing. The
  // other order would leave events counted pending for good (the inbox never drains) when the kill falls between
  // the broker's ack and the count; which of the two writes leaves the process first is not up to the code that
  // issues them (amqplib and the Redis client each send on a later turn).
  const ack = (batch: TicketBatch): Effect.Effect<void, StoreError> =>
    Effect.tryPromise({
      try: async () => {
        const mine: Array<Delivered> = []
        for (const e of batch.entries) {
          const d = st.inflight.get(e.id)
          st.inflight.delete(e.id)
          // A delivery from before a reconnect cannot be acked (its channel is gone); the broker redelivers it.
          if (d !== undefined && d.generation === st.generation) mine.push(d)
        }
        if (mine.length === 0) return
        const ids = mine.map((d) => d.pendingId)
        try {
          await uncount(batch.key, ids)
        } catch {
          // Acknowledged in the broker below all the same; only the counts lag until the retry succeeds.
          if (st.leftovers.length < 100_000) st.leftovers.push({ key: batch.key, ids })
        }
        for (const d of mine) {
          // A delivery whose channel went down meanwhile is redelivered (and superseded when applied again).
          if (d.generation !== st.generation) continue
          try {
            d.channel.ack(d.msg)
          } catch {
            /* channel closed meanwhile: redelivered */
          }
        }
      },
      catch: (e) => fail("inbox.ack", e)
    }).pipe(Effect.ensuring(leases.letGo(batch)))

  const release = (batch: TicketBatch, releaseOptions?: { readonly delayMs?: number }): Effect.Effect<void> =>
    Effect.suspend(() => {
      const ks = ticketKeyString(batch.key)
      const delayMs = releaseOptions?.delayMs ?? 0
      if (delayMs > 0) {
        // Nobody here takes the ticket before then (its messages stay unacknowledged in this replica's buffer).
        st.blocked.set(ks, Date.now() + delayMs)
        setTimeout(() => st.notify(), delayMs + 1)
      }
      const back: Array<Delivered> = []
      for (const e of batch.entries) {
        const d = st.inflight.get(e.id)
        st.inflight.delete(e.id)
        if (d !== undefined && d.generation === st.generation) back.push(d)
      }
      if (back.length > 0) {
        const buf = st.buffers.get(ks)
        if (buf === undefined) st.buffers.set(ks, { key: batch.key, items: back })
        else buf.items.unshift(...back)
      }
      // Its live events wait again, and hold back the background lane again.
      const live = back
        .filter((d) => d.lane === LIVE_LANE)
        .flatMap((d) => [Date.parse(d.entry.acceptedAt), d.pendingId])
      const waitAgain =
        live.length > 0 ? Effect.promise(() => redis.zadd(k.live, ...live).catch(() => undefined)) : Effect.void
      return Effect.zipRight(waitAgain, leases.letGo(batch))
    })

  return { ack, release, flushLeftovers }
}

/**
 * One round of sharing the partitions: live replicas heartbeat in a sorted set; one active on more live queues
 * than its fair share cancels the excess consumers and subscribes again at the back of the line, so a stand-by
 * takes over. Its buffered (not taken) deliveries of those queues go back to the queue, in order. The background
 * queues stay where they are.
 */
const rebalanceOnce = (parts: Parts, lastHandOver: { at: number }) =>
  Effect.promise(async () => {
    const { redis, s, st } = parts
    if (!st.connected || st.closing || !s.consume) return
    const now = Date.now()
    await redis.zadd(s.k.replicas, now, s.replicaToken)
    const live = Math.max(1, await redis.zcount(s.k.replicas, String(now - 3 * s.rebalanceMs), "+inf"))
    const fair = Math.ceil(s.options.partitions / live)
    const active = [...st.lastDelivery.entries()].filter(([, t]) => t > now - 4 * s.rebalanceMs).map(([p]) => p)
    if (active.length <= fair || now - lastHandOver.at < 3 * s.rebalanceMs) return
    const sub = st.subChannel
    const again = st.subscribe
    if (sub === undefined || again === undefined) return
    lastHandOver.at = now
    for (const p of active.sort(() => Math.random() - 0.5).slice(0, active.length - fair)) {
      const tag = st.consumerTags.get(p)
      if (tag === undefined) continue
      await sub.cancel(tag)
      st.consumerTags.delete(p)
      st.lastDelivery.delete(p)
      for (const [ks, buf] of st.buffers) {
        if (st.held.has(ks)) continue
        const keep = buf.items.filter((d) => d.partition !== p || d.lane !== LIVE_LANE)
        const back = buf.items.filter(
          (d) => d.partition === p && d.lane === LIVE_LANE && d.generation === st.generation
        )
        for (const d of back) {
          try {
            d.channel.nack(d.msg, false, true)
          } catch {
            /* channel gone: the broker requeues it anyway */
          }
        }
        if (keep.length === 0) st.buffers.delete(ks)
        else buf.items = keep
      }
      await again(p)
      st.handedOver++
    }
  }).pipe(Effect.catchAllDefect(() => Effect.void))

/** Let everything go: uncount what was acked, leave the replicas' set, drop the leases, close the connection. */
const shutdown = (parts: Parts, flushLeftovers: Effect.Effect<void>, leases: ReturnType<typeof leasing>) =>
  Effect.zipRight(
    flushLeftovers,
    Effect.promise(async () => {
      const { redis, s, st } = parts
      st.closing = true
      await redis.zrem(s.k.replicas, s.replicaToken).catch(() => undefined)
      await Promise.all([...st.leases.keys()].map(leases.unlease))
      st.notify()
      const m = st.model
      st.connected = false
      st.model = undefined
      st.pub = undefined
      // A half-dead connection may never answer the close handshake: do not wait for it forever.
      await Promise.race([m?.close().catch(() => undefined), sleep(2_000)])
    })
  )

/**
 * Run `loop` in a fiber of the current scope, interruptible even when the inbox is built inside an uninterruptible
 * region (an `acquireRelease`'s acquire), so that closing the scope ends it.
 */
const forkLoop = (loop: Effect.Effect<unknown>) => Effect.forkScoped(Effect.interruptible(loop))

/** Run `effect` every `ms` in a fiber of the current scope (ends when the scope closes). */
const every = (ms: number, effect: Effect.Effect<void>) =>
  forkLoop(Effect.repeat(Effect.delay(effect, Duration.millis(ms)), Schedule.forever))

/**
 * The inbox on its own scope: connects (fails with `DistributedStartError` naming the variable), then runs its
 * reconnect loop, lease renewal, partition sharing and count retries as fibers of the scope. Closing the scope
 * (or interrupting its owner) stops them and closes the connection.
 */
export const scopedWith = (
  redis: Redis,
  options: RabbitInboxOptions
): Effect.Effect<RabbitInbox, DistributedStartError, Scope.Scope> =>
  Effect.gen(function* () {
    const s = settingsOf(options)
    yield* checkPartitions(redis, s)
    const st = new State(yield* Queue.sliding<void>(1))
    const parts: Parts = { redis, s, st }
    const leases = leasing(parts)
    const { accept, acceptPromise, requeue, renewClaims } = accepting(parts)
    const { poll, take } = taking(parts, leases)
    const { ack, release, flushLeftovers } = finishing(parts, leases)

    // Started first, so closing the scope stops the loops below before it closes the connection.
    yield* Effect.acquireRelease(connectAtStart(parts), () => shutdown(parts, flushLeftovers, leases))
    st.loops.push(yield* forkLoop(reconnectLoop(parts)))
    st.loops.push(yield* every(Math.max(100, Math.floor(s.leaseMs / 3)), leases.renewAll))
    st.loops.push(yield* every(CLAIM_RENEW_MS, renewClaims))
    if (s.rebalanceMs > 0) {
      const lastHandOver = { at: 0 }
      st.loops.push(yield* every(s.rebalanceMs, rebalanceOnce(parts, lastHandOver)))
    }
    st.loops.push(
      yield* every(
        1_000,
        Effect.suspend(() => (st.leftovers.length > 0 ? flushLeftovers : Effect.void))
      )
    )

    const service: InboxService = registerAcceptPromise(
      {
        accept,
        requeue,
        take,
        poll,
        ack,
        release,
        depth: redisOp("inbox.depth", () => redis.zcard(s.k.pending)),
        pendingFor: (key) =>
          redisOp("inbox.pendingFor", async () => {
            const times = await redis.hvals(s.k.ticket(key))
            if (times.length === 0) return { count: 0 }
            // ISO instants: the earliest is the smallest string (Math.min would turn them into NaN).
            // biome-ignore lint/complexity/useMathMinMax: strings, not numbers
            return { count: times.length, oldestAcceptedAt: times.reduce((a, b) => (b < a ? b : a)) }
          }),
        oldestAgeSeconds: redisOp("inbox.oldest", async () => {
          const r = await redis.zrange(s.k.pending, "0", "0", "WITHSCORES")
          return r[1] === undefined ? 0 : Math.max(0, (Date.now() - Number(r[1])) / 1000)
        }),
        // `connected` changes over time: re-read it on every check.
        checkWritable: Effect.suspend(() =>
          Effect.zipRight(
            st.connected
              ? Effect.void
              : Effect.fail(fail("inbox.checkWritable", new Error("RabbitMQ connection is down; reconnecting"))),
            redisOp("inbox.checkWritable", () => redis.set(s.k.heartbeat, new Date().toISOString(), "EX", 3600))
          )
        ).pipe(Effect.asVoid)
      },
      acceptPromise
    )
    const control: RabbitInboxControl = {
      isConnected: () => st.connected,
      cutConnection: () => {
        const stream = (st.model?.connection as unknown as { stream?: { destroy: (e?: Error) => void } } | undefined)
          ?.stream
        stream?.destroy(new Error("connection cut"))
      },
      connections: () => st.connections,
      deliveries: () => st.delivered,
      handedOver: () => st.handedOver,
      acceptBatches: () => st.acceptBatches,
      publishRounds: () => st.publishRounds,
      runningLoops: () => st.loops.filter((f) => f.unsafePoll() === null).length
    }
    return { service, control }
  })

/** The inbox on the current scope, on the service's Redis connection: what a Layer (or a test's scope) builds. */
export const scoped = (
  options: RabbitInboxOptions
): Effect.Effect<RabbitInbox, DistributedStartError, RedisConnection | Scope.Scope> =>
  Effect.flatMap(RedisConnection, (redis) => scopedWith(redis, options))

/**
 * Build the inbox on a scope of its own and hand back `close` (closes that scope). Prefer `scoped`/`layer`,
 * which tie the inbox to the caller's scope.
 */
export const make = (redis: Redis, options: RabbitInboxOptions) =>
  Effect.gen(function* () {
    const scope = yield* Scope.make()
    const built = yield* scopedWith(redis, options).pipe(
      Scope.extend(scope),
      Effect.onError((cause) => Scope.close(scope, Exit.failCause(cause)))
    )
    return { ...built, close: Scope.close(scope, Exit.void) }
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

/** The inbox layer (needs the Redis connection); the connection and the inbox's fibers end with the layer's scope. */
export const layer = (options: RabbitInboxOptions): Layer.Layer<Inbox, DistributedStartError, RedisConnection> =>
  Layer.scoped(
    Inbox,
    Effect.map(scoped(options), (built) => built.service)
  )

/** Like `layer`, also handing out the control hooks (tests). */
export const layerWithControl = (
  options: RabbitInboxOptions
): Layer.Layer<Inbox | RabbitInboxControlTag, DistributedStartError, RedisConnection> =>
  Layer.scopedContext(
    Effect.map(scoped(options), (built) =>
      Context.make(Inbox, built.service).pipe(Context.add(RabbitInboxControlTag, built.control))
    )
  )
