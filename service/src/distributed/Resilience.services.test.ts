/**
 * The distributed adapters under connection cuts, poison messages and a shared budget, against a real RabbitMQ
 * and Redis. Two "replicas" (two inboxes, two link stores, two Redis clients) share one namespace; a small
 * engine stand-in applies batches the way the sync engine does (link → find-or-create → write → compare-and-set
 * → ack, release on failure) to a recorded remote.
 */
import { compareRevision, makeRevision } from "@workbridge/catalog"
import { Clock, Context, Effect, Exit, Fiber, Layer, type Scope } from "effect"
import type { Redis } from "ioredis"
import amqp from "amqplib"
import { afterAll, describe, expect, it } from "vitest"
import type { TicketKey } from "../domain/records.js"
import { Inbox, type InboxService } from "../inbox/Inbox.js"
import { LinkStore, type LinkStoreService } from "../links/LinkStore.js"
import { RateBudget } from "@workbridge/genesys"
import { testEvent } from "../testing/events.js"
import { RedisConnection, redisLayer } from "./Connections.js"
import * as RabbitInbox from "./RabbitInbox.js"
import * as RedisLinkStore from "./RedisLinkStore.js"
import * as RedisRateBudget from "./RedisRateBudget.js"
import { RABBITMQ_URL, REDIS_URL, dropNamespaces, freshPrefix } from "./testSupport.js"

afterAll(dropNamespaces, 60_000)

interface Replica {
  readonly inbox: InboxService
  readonly links: LinkStoreService
  readonly control: RabbitInbox.RabbitInboxControl
  readonly redis: Redis
}

const replica = (prefix: string, partitions: number, extra: Partial<RabbitInbox.RabbitInboxOptions> = {}) =>
  Effect.gen(function* () {
    const layer = Layer.merge(
      RabbitInbox.layerWithControl({
        url: RABBITMQ_URL,
        prefix,
        partitions,
        hardLimit: 100_000,
        leaseMs: 3_000,
        ...extra
      }),
      RedisLinkStore.layer({ prefix })
    ).pipe(Layer.provideMerge(redisLayer({ url: REDIS_URL })))
    const ctx = yield* Layer.build(layer)
    return {
      inbox: Context.get(ctx, Inbox),
      links: Context.get(ctx, LinkStore),
      control: Context.get(ctx, RabbitInbox.RabbitInboxControlTag),
      redis: Context.get(ctx, RedisConnection)
    } satisfies Replica
  })

/** The recorded remote: creations and revision writes per ticket. */
class Remote {
  readonly tickets = new Map<string, { creates: number; writes: Array<string> }>()
  find(key: TicketKey) {
    return this.tickets.get(`${key.source}/${key.ticketId}`)
  }
  create(key: TicketKey) {
    const t = { creates: 1, writes: [] as Array<string> }
    this.tickets.set(`${key.source}/${key.ticketId}`, t)
    return t
  }
}

/** One worker of the engine stand-in: what the sync engine does with a batch, minus the field mapping. */
const worker = (r: Replica, remote: Remote) =>
  Effect.forever(
    Effect.gen(function* () {
      const batch = yield* r.inbox.take
      const attempt = Effect.gen(function* () {
        const newest = batch.entries[batch.entries.length - 1]!.event
        const link = yield* r.links.get(batch.key)
        if (link !== undefined && compareRevision(newest.revision, link.appliedRevision) <= 0) return true
        // Find the remote item (the engine queries Genesys by ticket id), else create it.
        const item = remote.find(batch.key) ?? remote.create(batch.key)
        item.writes.push(newest.revision)
        return yield* r.links.compareAndSet(batch.key, link?.appliedRevision, {
          workitemId: `w-${batch.key.ticketId}`,
          appliedRevision: newest.revision,
          appliedValues: {},
          appliedAt: new Date().toISOString()
        })
      })
      const ok = yield* Effect.either(attempt)
      if (ok._tag === "Right" && ok.right) yield* r.inbox.ack(batch)
      else {
        yield* r.inbox.release(batch)
        yield* Effect.sleep(50)
      }
    }).pipe(Effect.catchAll(() => Effect.sleep(50)))
  )

/** A webhook sender: retries on any failure (5xx) until the inbox answers, alternating replicas. */
const send = (replicas: ReadonlyArray<Replica>, event: ReturnType<typeof testEvent>, start: number) =>
  Effect.gen(function* () {
    for (let i = start; ; i++) {
      const r = yield* Effect.either(replicas[i % replicas.length]!.inbox.accept(event))
      if (r._tag === "Right") return r.right
      yield* Effect.sleep(100)
    }
  })

const waitUntil = (label: string, check: Effect.Effect<boolean>, timeoutMs = 60_000) =>
  Effect.gen(function* () {
    const deadline = Date.now() + timeoutMs
    while (!(yield* check)) {
      if (Date.now() > deadline) return yield* Effect.die(new Error(`timed out waiting for: ${label}`))
      yield* Effect.sleep(50)
    }
  })

const runScoped = <A, E>(f: Effect.Effect<A, E, Scope.Scope>) => Effect.runPromise(Effect.scoped(f))

describe("connection cuts", () => {
  it("a cut RabbitMQ connection: readiness false and accepts refused meanwhile, then reconnects and takes events again", async () => {
    const prefix = freshPrefix(2)
    const r = await runScoped(
      Effect.gen(function* () {
        const a = yield* replica(prefix, 2)
        yield* a.inbox.checkWritable
        a.control.cutConnection()
        yield* waitUntil(
          "disconnected",
          Effect.sync(() => !a.control.isConnected()),
          5_000
        )
        const ready = yield* Effect.either(a.inbox.checkWritable)
        const accept = yield* Effect.either(a.inbox.accept(testEvent({ ticketId: "cut", rev: 1 })))
        yield* waitUntil(
          "reconnected",
          Effect.sync(() => a.control.isConnected()),
          20_000
        )
        const readyAgain = yield* Effect.either(a.inbox.checkWritable)
        const again = yield* a.inbox.accept(testEvent({ ticketId: "cut", rev: 1 }))
        const batch = yield* Effect.timeout(a.inbox.take, 10_000)
        yield* a.inbox.ack(batch)
        return {
          ready,
          accept,
          readyAgain,
          again,
          batch,
          connections: a.control.connections(),
          depth: yield* a.inbox.depth
        }
      })
    )
    expect(r.ready._tag).toBe("Left")
    expect(r.ready._tag === "Left" ? r.ready.left.message : "").toMatch(/RabbitMQ connection is down/)
    expect(r.accept._tag).toBe("Left")
    expect(r.readyAgain._tag).toBe("Right")
    expect(r.again._tag).toBe("Accepted")
    expect(r.batch.entries.map((e) => e.event.ticketId)).toEqual(["cut"])
    expect(r.connections).toBe(2)
    expect(r.depth).toBe(0)
  })

  it("two replicas, RabbitMQ and Redis connections cut mid-run: no event lost, one item per ticket, revisions only move forward", async () => {
    const prefix = freshPrefix(4)
    const tickets = 24
    const revisions = 5
    const remote = new Remote()
    const r = await runScoped(
      Effect.gen(function* () {
        const a = yield* replica(prefix, 4)
        const b = yield* replica(prefix, 4)
        const replicas = [a, b]
        const workers = yield* Effect.forkScoped(
          Effect.all(
            [a, a, a, b, b, b].map((x) => worker(x, remote)),
            { concurrency: "unbounded" }
          )
        )
        // Every event once, some twice (re-deliveries), revisions of a ticket partly out of order.
        const events = []
        for (let rev = 1; rev <= revisions; rev++) {
          for (let t = 0; t < tickets; t++) {
            const e = testEvent({ source: "generic", ticketId: `C-${t}`, rev, deliveryKey: `generic:C-${t}:${rev}` })
            events.push(e)
            if ((t + rev) % 4 === 0) events.push({ ...e })
          }
        }
        for (let i = 0; i + 1 < events.length; i += 7) [events[i], events[i + 1]] = [events[i + 1]!, events[i]!]
        const results = []
        for (let i = 0; i < events.length; i++) {
          if (i === Math.floor(events.length / 3)) a.control.cutConnection()
          if (i === Math.floor((2 * events.length) / 3))
            (b.redis as unknown as { stream: { destroy: () => void } }).stream.destroy()
          results.push(yield* send(replicas, events[i]!, i))
          if (i % 10 === 0) yield* Effect.sleep(20)
        }
        const done = Effect.gen(function* () {
          for (let t = 0; t < tickets; t++) {
            const link = yield* a.links.get({ source: "generic", ticketId: `C-${t}` })
            if (link?.appliedRevision !== makeRevision(revisions)) return false
          }
          return (yield* a.inbox.depth) === 0
        }).pipe(Effect.catchAll(() => Effect.succeed(false)))
        yield* waitUntil("every ticket at its newest revision and the inbox empty", done)
        yield* Fiber.interrupt(workers)
        return { results, aConnections: a.control.connections(), bRedis: b.redis.status }
      })
    )
    expect(r.results.filter((x) => x._tag === "Accepted").length).toBe(tickets * revisions)
    expect(r.aConnections).toBeGreaterThanOrEqual(2)
    expect(r.bRedis).toBe("ready")
    expect(remote.tickets.size).toBe(tickets)
    for (const [, t] of remote.tickets) {
      expect(t.creates).toBe(1)
      // Never an older revision written after a newer one.
      expect(t.writes).toEqual([...t.writes].sort(compareRevision))
      expect(t.writes[t.writes.length - 1]).toBe(makeRevision(revisions))
    }
  })
})

describe("sharing the partitions", () => {
  it("a replica active on every partition hands the excess to a stand-by; the work stays correct", async () => {
    const prefix = freshPrefix(4)
    const remote = new Remote()
    const tickets = 24
    const r = await runScoped(
      Effect.gen(function* () {
        const a = yield* replica(prefix, 4, { rebalanceMs: 200 })
        // B subscribes after A: without rebalancing, A would stay the active consumer of every partition.
        const b = yield* replica(prefix, 4, { rebalanceMs: 200 })
        const workers = yield* Effect.forkScoped(
          Effect.all(
            [a, a, b, b].map((x) => worker(x, remote)),
            { concurrency: "unbounded" }
          )
        )
        for (let rev = 1; rev <= 6; rev++) {
          for (let t = 0; t < tickets; t++) {
            yield* send([a, b], testEvent({ ticketId: `S-${t}`, rev, deliveryKey: `generic:S-${t}:${rev}` }), t)
          }
          yield* Effect.sleep(400)
        }
        const done = Effect.gen(function* () {
          for (let t = 0; t < tickets; t++) {
            const link = yield* a.links.get({ source: "generic", ticketId: `S-${t}` })
            if (link?.appliedRevision !== makeRevision(6)) return false
          }
          return (yield* a.inbox.depth) === 0
        }).pipe(Effect.catchAll(() => Effect.succeed(false)))
        yield* waitUntil("every ticket at its newest revision", done)
        yield* Fiber.interrupt(workers)
        return {
          a: a.control.deliveries(),
          b: b.control.deliveries(),
          handed: a.control.handedOver() + b.control.handedOver()
        }
      })
    )
    expect(r.handed).toBeGreaterThanOrEqual(1)
    expect(r.a).toBeGreaterThan(0)
    expect(r.b).toBeGreaterThan(0)
    for (const [, t] of remote.tickets) {
      expect(t.creates).toBe(1)
      expect(t.writes).toEqual([...t.writes].sort(compareRevision))
      expect(t.writes[t.writes.length - 1]).toBe(makeRevision(6))
    }
  })
})

describe("poison messages", () => {
  it("a message that is not an inbox event goes to the dead-letter queue, and the partition keeps flowing", async () => {
    const prefix = freshPrefix(1)
    const r = await runScoped(
      Effect.gen(function* () {
        const a = yield* replica(prefix, 1)
        const names = RabbitInbox.queueNames(prefix, 1)
        yield* Effect.promise(async () => {
          const m = await amqp.connect(RABBITMQ_URL)
          const ch = await m.createConfirmChannel()
          ch.sendToQueue(names.partitions[0]!, Buffer.from("{not json"), { persistent: true })
          await ch.waitForConfirms()
          await m.close()
        })
        yield* a.inbox.accept(testEvent({ ticketId: "after-poison", rev: 1 }))
        const batch = yield* Effect.timeout(a.inbox.take, 10_000)
        yield* a.inbox.ack(batch)
        const dead = yield* Effect.promise(async () => {
          const m = await amqp.connect(RABBITMQ_URL)
          const ch = await m.createChannel()
          let got: false | amqp.GetMessage = false
          for (let i = 0; i < 50 && got === false; i++) {
            got = await ch.get(names.deadQueue, { noAck: true })
            if (got === false) await new Promise((res) => setTimeout(res, 50))
          }
          await m.close()
          return got === false ? undefined : got.content.toString("utf8")
        })
        return { ticket: batch.key.ticketId, dead }
      })
    )
    expect(r.ticket).toBe("after-poison")
    expect(r.dead).toBe("{not json")
  })
})

describe("shared rate budget", () => {
  const withRedis = <A>(f: (redis: Redis) => Promise<A>) =>
    runScoped(
      Effect.flatMap(Layer.build(redisLayer({ url: REDIS_URL })), (ctx) =>
        Effect.promise(() => f(Context.get(ctx, RedisConnection)))
      )
    )

  it("two replicas draw from one bucket: together they get the burst, then both must wait", async () => {
    const prefix = freshPrefix()
    const waits = await withRedis(async (redis) => {
      const opts = { prefix, clientId: "client-1", perMinute: 60, burst: 5 }
      const a = RedisRateBudget.sharedBucket(redis, opts)
      const b = RedisRateBudget.sharedBucket(redis, opts)
      const other = RedisRateBudget.sharedBucket(redis, { ...opts, clientId: "client-2" })
      const out: Array<number> = []
      for (let i = 0; i < 6; i++) out.push(await (i % 2 === 0 ? a : b).take())
      out.push(await b.take(), await other.take())
      return out
    })
    expect(waits.slice(0, 5)).toEqual([0, 0, 0, 0, 0])
    expect(waits[5]).toBeGreaterThan(0)
    expect(waits[5]).toBeLessThanOrEqual(1000)
    expect(waits[6]).toBeGreaterThan(0)
    expect(waits[7]).toBe(0) // another client id has its own bucket
  })

  it("a 429's pause on one replica holds every replica; a shorter pause does not shorten it", async () => {
    const prefix = freshPrefix()
    const r = await withRedis(async (redis) => {
      const opts = { prefix, clientId: "client-1", perMinute: 600, burst: 10 }
      const a = RedisRateBudget.make(redis, opts)
      const b = RedisRateBudget.make(redis, opts)
      const before = Date.now()
      await Effect.runPromise(a.pause(30))
      await Effect.runPromise(a.pause(1))
      const until = await Effect.runPromise(b.pausedUntil)
      const blocked = await Effect.runPromise(
        Effect.exit(Effect.timeoutFail(b.acquire, { duration: 300, onTimeout: () => "still paused" }))
      )
      const tokens = await Effect.runPromise(b.tokens)
      return { before, until, blocked, tokens }
    })
    expect(r.until).toBeGreaterThanOrEqual(r.before + 29_000)
    expect(Exit.isFailure(r.blocked)).toBe(true)
    expect(r.tokens).toBeGreaterThan(9)
  })

  it("a scoped pause on one replica holds that scope on every replica and leaves token admission and other scopes running", async () => {
    const prefix = freshPrefix()
    const r = await withRedis(async (redis) => {
      const opts = { prefix, clientId: "client-1", perMinute: 600, burst: 10 }
      const a = RedisRateBudget.make(redis, opts)
      const b = RedisRateBudget.make(redis, opts)
      const before = Date.now()
      await Effect.runPromise(a.pause(3600, { kind: "creates" }))
      await Effect.runPromise(a.pause(30, { kind: "workitem", workitemId: "w-1" }))
      await Effect.runPromise(a.pause(5, { kind: "workitem", workitemId: "w-1" }))
      const creates = await Effect.runPromise(b.pausedUntilFor([{ kind: "creates" }]))
      const hot = await Effect.runPromise(
        b.pausedUntilFor([{ kind: "updates" }, { kind: "workitem", workitemId: "w-1" }])
      )
      const cold = await Effect.runPromise(
        b.pausedUntilFor([{ kind: "updates" }, { kind: "workitem", workitemId: "w-2" }])
      )
      const token = await Effect.runPromise(b.pausedUntil)
      const admitted = await Effect.runPromise(
        Effect.exit(Effect.timeoutFail(b.acquire, { duration: 300, onTimeout: () => "paused" }))
      )
      return { before, creates, hot, cold, token, admitted }
    })
    expect(r.creates).toBeGreaterThanOrEqual(r.before + 3_599_000)
    expect(r.hot).toBeGreaterThanOrEqual(r.before + 29_000)
    expect(r.hot).toBeLessThan(r.before + 60_000)
    expect(r.cold).toBe(0)
    expect(r.token).toBe(0)
    expect(Exit.isSuccess(r.admitted)).toBe(true)
  })

  it("a scoped pause holds on a replica whose clock is 10 minutes ahead of Redis's (it is read as time left, not as an instant)", async () => {
    const prefix = freshPrefix()
    const AHEAD_MS = 10 * 60_000
    const base = Clock.make()
    const ahead: Clock.Clock = Object.assign(Object.create(base) as Clock.Clock, {
      unsafeCurrentTimeMillis: () => base.unsafeCurrentTimeMillis() + AHEAD_MS,
      currentTimeMillis: Effect.sync(() => base.unsafeCurrentTimeMillis() + AHEAD_MS)
    })
    const r = await withRedis(async (redis) => {
      const opts = { prefix, clientId: "client-1", perMinute: 600, burst: 10 }
      await Effect.runPromise(RedisRateBudget.make(redis, opts).pause(30, { kind: "creates" }))
      // Another replica (nothing set locally), its clock ahead: what the Genesys client compares with its own clock.
      const b = RedisRateBudget.make(redis, opts)
      return await Effect.runPromise(
        Effect.withClock(ahead)(
          Effect.all({ until: b.pausedUntilFor([{ kind: "creates" }]), now: Clock.currentTimeMillis })
        )
      )
    })
    expect(r.until - r.now).toBeGreaterThan(25_000)
    expect(r.until - r.now).toBeLessThanOrEqual(30_000)
  })

  it("the budget layer is the RateBudget port", async () => {
    const prefix = freshPrefix()
    const took = await Effect.runPromise(
      Effect.scoped(
        Effect.provide(
          Effect.gen(function* () {
            const budget = yield* RateBudget
            yield* budget.acquire
            yield* budget.acquire
            return yield* budget.tokens
          }),
          RedisRateBudget.layer({ prefix, clientId: "c", perMinute: 60, burst: 3 }).pipe(
            Layer.provide(redisLayer({ url: REDIS_URL }))
          )
        )
      )
    )
    expect(took).toBeGreaterThanOrEqual(1)
    expect(took).toBeLessThan(1.5)
  })
})
