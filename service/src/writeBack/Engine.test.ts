/**
 * The engine with write-back: real SQLite stores and the SDK against an in-process Genesys emulator; the helpdesk is
 * a recording writer (the helpdesk clients' own tests drive the vendor emulators). A batch holding forward entries
 * and an agent's change applies both, forward first; a rate-limited write puts the batch back without losing it.
 */
import { defaultCatalog } from "@workbridge/catalog"
import type { Emulator } from "@workbridge/genesys-emulator"
import {
  Genesys,
  type GenesysService,
  type Provisioned,
  rateBudgetLayerMemory as layerMemory
} from "@workbridge/genesys"
import {
  HelpdeskError,
  type HelpdeskWriter,
  RateLimited,
  type ReadError,
  type StatusRead,
  type WriteBack,
  type WriteResult
} from "@workbridge/helpdesk-clients"
import { Deferred, Effect, Fiber, Layer, ManagedRuntime } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { layer as genesysLayer } from "../genesys/GenesysLive.js"
import type { Link } from "../domain/records.js"
import { Inbox, type InboxService } from "../inbox/Inbox.js"
import { LinkStore } from "../links/LinkStore.js"
import { Log, makeLogger } from "../observability/Log.js"
import { Metrics, ServiceMetrics } from "../observability/Metrics.js"
import { SqliteStoresLive } from "../store/SqliteStores.js"
import { make as makeEngine } from "../sync/index.js"
import { catalogMapping } from "../sync/Mapping.js"
import { testEvent } from "../testing/events.js"
import { startEmulatorAndProvision } from "../testing/harness.js"
import { makeWriteBudget } from "./Budget.js"
import { MAX_UNSEEN_WAITS } from "./apply.js"
import { decodeWorkitemEvent, toTicketEvent } from "./WorkitemEvent.js"

let emulator: Emulator
let provisioned: Provisioned
beforeAll(async () => {
  ;({ emulator, provisioned } = await startEmulatorAndProvision())
})
afterAll(async () => {
  await emulator?.close()
})

const runtimeFor = () => {
  const base = Layer.mergeAll(
    Layer.succeed(Metrics, new ServiceMetrics()),
    Layer.succeed(Log, makeLogger("silent")),
    layerMemory({ perMinute: 6000, burst: 20 })
  )
  return ManagedRuntime.make(
    Layer.mergeAll(
      SqliteStoresLive(":memory:", { hardLimit: 1000, pollIntervalMs: 10 }),
      base,
      genesysLayer({
        gatewayUrl: emulator.url,
        clientId: emulator.adminClientId,
        clientSecret: emulator.adminClientSecret,
        timeoutMs: 2000,
        maxInFlight: 4,
        retryBaseMs: 10,
        retryMaxMs: 50,
        retryAttempts: 3
      }).pipe(Layer.provide(base))
    )
  )
}

/** Run a test's effect in a runtime of its own (fresh in-memory stores), disposed after it. */
const run = async <A, E>(
  effect: Effect.Effect<A, E, ManagedRuntime.ManagedRuntime.Context<ReturnType<typeof runtimeFor>>>
): Promise<A> => {
  const runtime = runtimeFor()
  try {
    return await runtime.runPromise(effect)
  } finally {
    await runtime.dispose()
  }
}

/** A write as recorded: without the hook run before its status is written. */
const plain = <E>({ beforeStatusWrite: _hook, ...change }: WriteBack<E>): WriteBack => change

/** What a writer does before it writes a status (the ticket read as `open`), as the real ones do. */
const beforeStatus = <E>(change: WriteBack<E>, read: StatusRead = { status: "open" }) =>
  change.status === undefined || change.beforeStatusWrite === undefined ? Effect.void : change.beforeStatusWrite(read)

/** A writer that records each write and fails the first `failures` (none by default) with what `fail` makes. */
const recordingWriter = (
  failures = 0,
  fail: () => HelpdeskError | RateLimited = () => new HelpdeskError({ source: "zendesk", operation: "x", reason: "x" })
) => {
  const writes: Array<{ ticketId: string; change: WriteBack }> = []
  let left = failures
  const writer: HelpdeskWriter = {
    source: "zendesk",
    readStatus: () => Effect.succeed("open"),
    writeBack: <E>(ticketId: string, change: WriteBack<E>): Effect.Effect<WriteResult, ReadError | E> =>
      Effect.suspend((): Effect.Effect<WriteResult, ReadError | E> => {
        if (left-- > 0) return Effect.fail(fail())
        return Effect.map(beforeStatus(change), () => {
          writes.push({ ticketId, change: plain(change) })
          return {
            statusBefore: "open",
            statusWritten: true,
            noteWritten: true,
            assigneeWritten: false,
            calls: 2
          }
        })
      })
  }
  return { writer, writes }
}

const fields = (ticketId: string, extra: Record<string, unknown> = {}) => ({
  ticket_id: ticketId,
  source_system: "zendesk",
  subject: `Ticket ${ticketId}`,
  status: "open",
  ...extra
})

/** The agent's change as the endpoint queues it: the workitem closed by another client. */
const agentEvent = (workitemId: string, ticketId: string, statusId: string, at: string, wrapupCode?: string) => {
  const decoded = decodeWorkitemEvent({
    id: workitemId,
    statusId,
    dateModified: at,
    modifiedBy: "agent-client",
    ...(wrapupCode !== undefined ? { wrapup: { code: wrapupCode } } : {}),
    customFields: {
      ticket_id_identifier: { value: ticketId },
      source_system_enum: { value: "zendesk" }
    }
  })
  if (decoded._tag === "Left") throw new Error(JSON.stringify(decoded.left))
  const r = toTicketEvent(defaultCatalog, decoded.right)
  if (r._tag !== "Event") throw new Error(r.reason)
  return r.event
}

/**
 * `around`: the Genesys calls and the inbox the engine uses, for a test that acts between two of them (an agent's
 * change while a status walk is between two steps, a process that dies before it queues a write-back); every Genesys
 * call still goes through the SDK to the emulator.
 */
const setup = (
  writer: HelpdeskWriter,
  around: {
    readonly genesys?: (g: GenesysService) => GenesysService
    readonly inbox?: (i: InboxService) => InboxService
    /** The write-back's timeout (default: the engine's). */
    readonly timeoutMs?: number
    /** The first retry's delay after a failed write-back (default 10 ms). */
    readonly backoffMs?: number
  } = {}
) =>
  Effect.gen(function* () {
    const genesys = yield* Genesys
    const statuses = yield* genesys.getStatuses(provisioned.worktypeId)
    const inbox = yield* Inbox
    const engine = yield* makeEngine({
      mapping: catalogMapping(defaultCatalog),
      target: { typeId: provisioned.worktypeId, statuses },
      writeBack: {
        catalog: defaultCatalog,
        writers: { zendesk: writer },
        selfIds: [emulator.adminClientId],
        budget: makeWriteBudget({ zendesk: { perMinute: 600 } }),
        backoffMs: around.backoffMs ?? 10,
        ...(around.timeoutMs === undefined ? {} : { timeoutMs: around.timeoutMs })
      }
    }).pipe(
      Effect.provideService(Genesys, around.genesys?.(genesys) ?? genesys),
      Effect.provideService(Inbox, around.inbox?.(inbox) ?? inbox)
    )
    const links = yield* LinkStore
    /** A Zendesk ticket created (revision 1, open) and synced forward: its key and its link. */
    const linked = (ticketId: string) =>
      Effect.gen(function* () {
        const key = { source: "zendesk", ticketId }
        yield* inbox.accept(testEvent({ ...key, rev: 1, occurredAt: "2026-01-01T00:00:00Z", fields: fields(ticketId) }))
        yield* engine.process(yield* inbox.take)
        return { key, link: (yield* links.get(key))! }
      })
    return { engine, genesys, inbox, links, linked }
  })

describe("Engine with write-back", () => {
  it("applies a batch's forward entries, then writes the agent's change back; the link records both", async () => {
    const { writer, writes } = recordingWriter()
    const r = await run(
      Effect.gen(function* () {
        const { engine, genesys, inbox, links, linked } = yield* setup(writer)
        const { key, link } = yield* linked("MIX-1")
        // One batch: a forward change (subject) and the agent's close, both pending.
        yield* inbox.accept(
          testEvent({
            ...key,
            rev: 2,
            occurredAt: "2026-01-01T00:00:01Z",
            fields: fields("MIX-1", { subject: "Printer on fire" })
          })
        )
        yield* inbox.accept(
          agentEvent(link.workitemId, "MIX-1", provisioned.statusIds["Closed"]!, "2026-01-01T00:00:02Z")
        )
        const batch = yield* inbox.take
        const result = yield* engine.process(batch)
        const workitem = yield* genesys.getWorkitem(link.workitemId)
        return {
          batch: batch.entries.length,
          result,
          after: yield* links.get(key),
          workitem,
          depth: yield* inbox.depth
        }
      })
    )
    expect(r.batch).toBe(2)
    expect(r.result, JSON.stringify(r.result)).toMatchObject({ _tag: "Applied" })
    expect(r.workitem.name).toBe("Printer on fire")
    expect(writes).toEqual([
      {
        ticketId: "MIX-1",
        // The guard names the helpdesk change applied just before, in the same batch.
        change: {
          status: "solved",
          note: expect.stringContaining("set to Closed"),
          seenUntil: "2026-01-01T00:00:01Z"
        }
      }
    ])
    expect(r.after?.writeBack).toMatchObject({ status: "solved", value: "closed", outcome: "written" })
    expect(r.after?.appliedValues["status"]).toBe("closed")
    expect(r.after?.occurredAt).toBe("2026-01-01T00:00:01Z")
    expect(r.depth).toBe(0)
  })

  it("knows the echo of a write whose answer was lost: the intent recorded before it stands for it", async () => {
    // The first write lands in the helpdesk but its answer is lost (a transient failure); the retry finds the status
    // already there and writes nothing; then the helpdesk's webhook of that first write arrives.
    const writes: Array<WriteBack> = []
    let calls = 0
    const writer: HelpdeskWriter = {
      source: "zendesk",
      readStatus: () => Effect.succeed("open"),
      writeBack: (_ticketId, change) =>
        Effect.suspend(() => {
          calls++
          if (calls === 1) {
            writes.push(plain(change))
            return Effect.zipRight(
              // The helpdesk answered the read at 00:00:02 by its clock.
              beforeStatus(change, { status: "open", readAt: "2026-01-01T00:00:02.000Z" }),
              Effect.fail(new HelpdeskError({ source: "zendesk", operation: "PUT", reason: "socket hang up" }))
            )
          }
          return Effect.succeed({
            statusBefore: "solved",
            statusWritten: false,
            noteWritten: false,
            assigneeWritten: false,
            calls: 1
          })
        })
    }
    const r = await run(
      Effect.gen(function* () {
        const { engine, genesys, inbox, links, linked } = yield* setup(writer)
        const { key, link } = yield* linked("LOST-1")
        yield* genesys.updateWorkitem(link.workitemId, { statusId: provisioned.statusIds["Closed"]! })
        yield* inbox.accept(
          agentEvent(link.workitemId, "LOST-1", provisioned.statusIds["Closed"]!, "2026-01-01T00:00:02Z")
        )
        const lost = yield* engine.process(yield* inbox.take)
        const intent = (yield* links.get(key))?.statusLog?.written
        const retried = yield* engine.process(yield* inbox.take)
        // The echo of the first write: the ticket solved, a second after the agent's close.
        yield* inbox.accept(
          testEvent({
            ...key,
            rev: 3,
            occurredAt: "2026-01-01T00:00:03Z",
            fields: fields("LOST-1", { status: "solved" })
          })
        )
        const echo = yield* engine.process(yield* inbox.take)
        return {
          lost,
          intent,
          retried,
          echo,
          workitem: yield* genesys.getWorkitem(link.workitemId),
          after: yield* links.get(key)
        }
      })
    )
    expect(writes.map((w) => w.status)).toEqual(["solved"])
    expect(r.lost).toBeUndefined()
    expect(r.intent).toEqual([
      expect.objectContaining({ status: "solved", intent: true, readAt: "2026-01-01T00:00:02.000Z" })
    ])
    expect(r.retried).toMatchObject({ _tag: "WrittenBack", outcome: "unchanged" })
    expect(r.echo).toMatchObject({ _tag: "Applied" })
    // The echo is Workbridge's own write: the agent's close still wins, the workitem stays Closed.
    expect(r.workitem.status?.id).toBe(provisioned.statusIds["Closed"])
    expect(r.after?.statusLog?.written).toEqual([expect.objectContaining({ status: "solved", intent: true })])
  })

  it("puts a rate-limited write-back back in the inbox and writes it on the next take", async () => {
    const { writer, writes } = recordingWriter(
      2,
      () =>
        new RateLimited({
          source: "zendesk",
          operation: "GET /api/v2/tickets/{id}.json",
          status: 429,
          retryAfterMs: 20
        })
    )
    const r = await run(
      Effect.gen(function* () {
        const { engine, inbox, links, linked } = yield* setup(writer)
        const { key, link } = yield* linked("RL-1")
        yield* inbox.accept(
          agentEvent(link.workitemId, "RL-1", provisioned.statusIds["Resolved"]!, "2026-01-01T00:01:00Z")
        )
        const first = yield* engine.process(yield* inbox.take)
        const waiting = yield* links.get(key)
        const second = yield* engine.process(yield* inbox.take)
        const third = yield* engine.process(yield* inbox.take)
        return { first, waiting, second, third, after: yield* links.get(key), depth: yield* inbox.depth }
      })
    )
    expect(r.first).toBeUndefined()
    expect(r.waiting?.writeBack).toMatchObject({
      pending: true,
      attempts: 1,
      lastError: expect.stringMatching(/429/)
    })
    // The read was refused: nothing was written, so no intent of the write stays behind.
    expect(r.waiting?.statusLog?.written).toEqual([])
    expect(r.second).toBeUndefined()
    expect(r.third).toEqual({ _tag: "WrittenBack", outcome: "written", workitemId: r.after?.workitemId })
    expect(writes.map((w) => w.change.status)).toEqual(["solved"])
    expect(r.after?.writeBack).toMatchObject({ status: "solved", outcome: "written" })
    expect(r.after?.writeBack?.pending).toBeUndefined()
    expect(r.depth).toBe(0)
  })
  it("waits for a helpdesk change it has not seen at most MAX_UNSEEN_WAITS times, then writes without the guard", async () => {
    // A helpdesk whose ticket always has a change newer than the one applied (its webhook lost).
    const writes: Array<WriteBack> = []
    const writer: HelpdeskWriter = {
      source: "zendesk",
      readStatus: () => Effect.succeed("open"),
      writeBack: <E>(_ticketId: string, change: WriteBack<E>): Effect.Effect<WriteResult, ReadError | E> =>
        Effect.suspend((): Effect.Effect<WriteResult, ReadError | E> => {
          writes.push(plain(change))
          return change.seenUntil !== undefined
            ? Effect.succeed({
                statusBefore: "open",
                statusWritten: false,
                noteWritten: false,
                assigneeWritten: false,
                calls: 1,
                unseenChange: true as const
              })
            : Effect.as(beforeStatus(change), {
                statusBefore: "open",
                statusWritten: true,
                noteWritten: true,
                assigneeWritten: false,
                calls: 2
              })
        })
    }
    const r = await run(
      Effect.gen(function* () {
        const { engine, inbox, links, linked } = yield* setup(writer)
        const { key, link } = yield* linked("UN-1")
        yield* inbox.accept(
          agentEvent(link.workitemId, "UN-1", provisioned.statusIds["Resolved"]!, "2026-01-01T00:01:00Z")
        )
        const waits = []
        for (let i = 0; i < MAX_UNSEEN_WAITS; i++) {
          waits.push(yield* engine.process(yield* inbox.take))
        }
        const waiting = yield* links.get(key)
        const last = yield* engine.process(yield* inbox.take)
        return { waits, waiting, last, after: yield* links.get(key), depth: yield* inbox.depth }
      })
    )
    expect(r.waits).toEqual(Array(MAX_UNSEEN_WAITS).fill(undefined))
    expect(r.waiting?.writeBack).toMatchObject({
      pending: true,
      unseenWaits: MAX_UNSEEN_WAITS,
      lastError: "the helpdesk has a change the service has not applied yet"
    })
    expect(r.last).toEqual({ _tag: "WrittenBack", outcome: "written", workitemId: r.after?.workitemId })
    expect(writes.map((w) => w.seenUntil)).toEqual([...Array(MAX_UNSEEN_WAITS).fill("2026-01-01T00:00:00Z"), undefined])
    expect(r.after?.writeBack).toMatchObject({ status: "solved", outcome: "written" })
    expect(r.after?.writeBack?.unseenWaits).toBeUndefined()
    expect(r.depth).toBe(0)
  })

  it("judges the status by the status's own change times: a newer change of another field does not stop the write-back, an older status change does not undo the agent's", async () => {
    const { writer, writes } = recordingWriter()
    const r = await run(
      Effect.gen(function* () {
        const { engine, genesys, inbox, links, linked } = yield* setup(writer)
        const { key, link } = yield* linked("BOTH-1")
        // The helpdesk changes the subject (00:00:03) after the agent closed the workitem (00:00:02); the agent's
        // event arrives after that change was applied.
        yield* inbox.accept(
          testEvent({
            ...key,
            rev: 3,
            occurredAt: "2026-01-01T00:00:03Z",
            fields: fields("BOTH-1", { subject: "New subject" })
          })
        )
        yield* engine.process(yield* inbox.take)
        // The agent's close in Genesys (by the test's admin client here; the event names the agent's).
        yield* genesys.updateWorkitem(link.workitemId, { statusId: provisioned.statusIds["Closed"]! })
        yield* inbox.accept(
          agentEvent(link.workitemId, "BOTH-1", provisioned.statusIds["Closed"]!, "2026-01-01T00:00:02Z")
        )
        const writeBack = yield* engine.process(yield* inbox.take)
        // A status change the helpdesk made at 00:00:01, before the agent's close, reaches the service late.
        yield* inbox.accept(
          testEvent({
            ...key,
            rev: 4,
            occurredAt: "2026-01-01T00:00:01Z",
            fields: fields("BOTH-1", { subject: "New subject", status: "pending" })
          })
        )
        const late = yield* engine.process(yield* inbox.take)
        return {
          writeBack,
          late,
          workitem: yield* genesys.getWorkitem(link.workitemId),
          after: yield* links.get(key)
        }
      })
    )
    expect(r.writeBack).toMatchObject({ _tag: "WrittenBack", outcome: "written" })
    expect(writes.map((w) => w.change.status)).toEqual(["solved"])
    expect(r.late).toMatchObject({ _tag: "Applied" })
    expect(r.workitem.status?.id).toBe(provisioned.statusIds["Closed"])
    expect(r.after?.appliedValues["status"]).toBe("closed")
    expect(r.after?.statusChangedAt).toBe("2026-01-01T00:00:00Z")
  })

  it("writes an agent's later change that keeps the status written only when it brings a new wrap-up code", async () => {
    const { writer, writes } = recordingWriter()
    const r = await run(
      Effect.gen(function* () {
        const { engine, inbox, links, linked } = yield* setup(writer)
        const {
          key,
          link: { workitemId }
        } = yield* linked("REP-1")
        const step = (statusName: string, at: string, wrapup?: string) =>
          Effect.gen(function* () {
            yield* inbox.accept(agentEvent(workitemId, "REP-1", provisioned.statusIds[statusName]!, at, wrapup))
            yield* engine.process(yield* inbox.take)
            return (yield* links.get(key))?.writeBack?.outcome
          })
        return [
          yield* step("In Progress", "2026-01-01T00:01:00Z"), // the status the workitem had: no change of the agent's
          yield* step("In Progress", "2026-01-01T00:02:00Z"), // an edit that keeps the status: nothing more
          yield* step("Closed", "2026-01-01T00:03:00Z"),
          yield* step("Closed", "2026-01-01T00:04:00Z", "Fixed"), // the wrap-up code comes later: a note with it
          yield* step("Closed", "2026-01-01T00:05:00Z", "Fixed"),
          yield* step("Open", "2026-01-01T00:06:00Z") // reopened
        ]
      })
    )
    expect(r).toEqual(["repeat", "repeat", "written", "written", "repeat", "written"])
    expect(writes.map((w) => w.change.status)).toEqual(["solved", "solved", "open"])
    expect(writes[1]?.change.note).toContain("Wrap-up: Fixed")
  })

  it("absorbs an echo stamped in whole seconds (older than the agent's change); the link keeps the workitem's status, so the helpdesk's next change keeps the agent's", async () => {
    const { writer, writes } = recordingWriter()
    const r = await run(
      Effect.gen(function* () {
        const { engine, genesys, inbox, links, linked } = yield* setup(writer)
        const { key, link } = yield* linked("SEC-1")
        // The agent closes the workitem at 00:01:00.600; it is written back (`solved`).
        yield* genesys.updateWorkitem(link.workitemId, { statusId: provisioned.statusIds["Closed"]! })
        yield* inbox.accept(
          agentEvent(link.workitemId, "SEC-1", provisioned.statusIds["Closed"]!, "2026-01-01T00:01:00.600Z")
        )
        yield* engine.process(yield* inbox.take)
        // The helpdesk's webhook of that write, stamped 00:01:00 (whole seconds): the echo.
        yield* inbox.accept(
          testEvent({
            ...key,
            rev: 2,
            occurredAt: "2026-01-01T00:01:00Z",
            fields: fields("SEC-1", { status: "solved" })
          })
        )
        const echo = yield* engine.process(yield* inbox.take)
        const absorbed = (yield* links.get(key))?.appliedValues["status"]
        // A minute later the helpdesk renames the ticket; its status is still the one written.
        yield* inbox.accept(
          testEvent({
            ...key,
            rev: 3,
            occurredAt: "2026-01-01T00:02:00Z",
            fields: fields("SEC-1", { status: "solved", subject: "Renamed" })
          })
        )
        yield* engine.process(yield* inbox.take)
        return { echo, absorbed, workitem: yield* genesys.getWorkitem(link.workitemId) }
      })
    )
    expect(writes.map((w) => w.change.status)).toEqual(["solved"])
    expect(r.echo).toMatchObject({ _tag: "Applied", calls: 0 })
    // The applied status stands for the workitem's (Closed), which the echo's `solved` writes back as.
    expect(r.absorbed).toBe("closed")
    expect(r.workitem.name).toBe("Renamed")
    expect(r.workitem.status?.id).toBe(provisioned.statusIds["Closed"])
  })

  it("no longer reports a write-back pending once a newer helpdesk change made the waiting one older", async () => {
    const { writer, writes } = recordingWriter(
      1,
      () =>
        new RateLimited({
          source: "zendesk",
          operation: "GET /api/v2/tickets/{id}.json",
          status: 429,
          retryAfterMs: 20
        })
    )
    const r = await run(
      Effect.gen(function* () {
        const { engine, inbox, links, linked } = yield* setup(writer)
        const { key, link } = yield* linked("OLD-1")
        yield* inbox.accept(
          agentEvent(link.workitemId, "OLD-1", provisioned.statusIds["Resolved"]!, "2026-01-01T00:01:00Z")
        )
        yield* engine.process(yield* inbox.take)
        const waiting = yield* links.get(key)
        // The helpdesk changes after the agent did: the waiting write-back is older and is dropped.
        yield* inbox.accept(
          testEvent({
            ...key,
            rev: 2,
            occurredAt: "2026-01-01T00:02:00Z",
            fields: fields("OLD-1", { status: "pending" })
          })
        )
        const result = yield* engine.process(yield* inbox.take)
        return { waiting, result, after: yield* links.get(key), depth: yield* inbox.depth }
      })
    )
    expect(r.waiting?.writeBack?.pending).toBe(true)
    expect(r.result).toMatchObject({ _tag: "Applied" })
    expect(writes).toEqual([])
    expect(r.after?.writeBack?.pending).toBe(false)
    expect(r.after?.writeBack?.outcome).toBe("older")
    expect(r.depth).toBe(0)
  })
  it("counts an agent's change waiting in the same batch: an older helpdesk status applied forward first does not move the workitem", async () => {
    const { writer, writes } = recordingWriter()
    const r = await run(
      Effect.gen(function* () {
        const { engine, genesys, inbox, linked } = yield* setup(writer)
        const { key, link } = yield* linked("PEND-1")
        yield* genesys.updateWorkitem(link.workitemId, { statusId: provisioned.statusIds["Closed"]! })
        // One batch: the helpdesk's status change of 00:00:01 (its webhook late) and the agent's close of 00:00:02.
        yield* inbox.accept(
          testEvent({
            ...key,
            rev: 2,
            occurredAt: "2026-01-01T00:00:01Z",
            fields: fields("PEND-1", { status: "pending" })
          })
        )
        yield* inbox.accept(
          agentEvent(link.workitemId, "PEND-1", provisioned.statusIds["Closed"]!, "2026-01-01T00:00:02Z")
        )
        const batch = yield* inbox.take
        yield* engine.process(batch)
        return { batch: batch.entries.length, workitem: yield* genesys.getWorkitem(link.workitemId) }
      })
    )
    expect(r.batch).toBe(2)
    expect(r.workitem.status?.id).toBe(provisioned.statusIds["Closed"])
    expect(writes.map((w) => w.change.status)).toEqual(["solved"])
  })

  it("records which of its status moves a walk only passed through: an agent's change between two steps is the agent's", async () => {
    const { writer } = recordingWriter()
    const r = await run(
      Effect.gen(function* () {
        const { engine, genesys, inbox, links, linked } = yield* setup(writer)
        const { key, link } = yield* linked("WALK-1")
        // The agent closes; then a person's on_hold takes the workitem Closed → Open → Waiting.
        yield* genesys.updateWorkitem(link.workitemId, { statusId: provisioned.statusIds["Closed"]! })
        yield* inbox.accept(
          agentEvent(link.workitemId, "WALK-1", provisioned.statusIds["Closed"]!, "2026-01-01T00:00:02Z")
        )
        yield* engine.process(yield* inbox.take)
        const created = (yield* links.get(key))!.statusLog?.moves?.length ?? 0
        yield* inbox.accept(
          testEvent({
            ...key,
            rev: 2,
            occurredAt: "2026-01-01T00:00:03Z",
            fields: fields("WALK-1", { status: "on_hold" })
          })
        )
        yield* engine.process(yield* inbox.take)
        return {
          moves: (yield* links.get(key))!.statusLog?.moves?.slice(created),
          workitem: yield* genesys.getWorkitem(link.workitemId)
        }
      })
    )
    expect(r.workitem.status?.id).toBe(provisioned.statusIds["Waiting"])
    expect(r.moves).toEqual([
      { at: expect.any(String), to: provisioned.statusIds["Open"], via: true },
      { at: expect.any(String), to: provisioned.statusIds["Waiting"] }
    ])
  })

  it("stops a status walk an agent's change cut between two steps: the helpdesk change is applied, the agent's status stays and is written back", async () => {
    // Seeds 42 and 58 of the two-way chaos: a person's reopen walked the workitem Closed → Open → In Progress; the
    // agent closed it while it was at Open, the second step was refused, and the person's change was dead-lettered —
    // its status change never reached the log, the ticket's next change of another field then looked like it, newer
    // than the agent's close, and the close was not written back.
    const { writer, writes } = recordingWriter()
    const r = await run(
      Effect.gen(function* () {
        let agent: { readonly workitemId: string; readonly at?: string } | undefined
        const { engine, genesys, inbox, links, linked } = yield* setup(writer, {
          genesys: (g) => ({
            ...g,
            // The agent closes the workitem as soon as the walk has set Open, before its next step.
            updateWorkitem: (id, body, ...rest) =>
              Effect.tap(g.updateWorkitem(id, body, ...rest), (w) =>
                agent?.workitemId === id && agent.at === undefined && w.status?.id === provisioned.statusIds["Open"]
                  ? Effect.map(g.updateWorkitem(id, { statusId: provisioned.statusIds["Closed"]! }), (closed) => {
                      agent = { workitemId: id, at: String(closed["dateModified"]) }
                    })
                  : Effect.void
              )
          })
        })
        const { key, link } = yield* linked("STEP-1")
        const closed = yield* genesys.updateWorkitem(link.workitemId, { statusId: provisioned.statusIds["Closed"]! })
        yield* inbox.accept(
          agentEvent(link.workitemId, "STEP-1", provisioned.statusIds["Closed"]!, String(closed["dateModified"]))
        )
        yield* engine.process(yield* inbox.take)
        // A person puts the ticket on hold: Closed → Open → Waiting, and the agent closes it in between.
        agent = { workitemId: link.workitemId }
        yield* inbox.accept(
          testEvent({
            ...key,
            rev: 2,
            occurredAt: new Date().toISOString(),
            fields: fields("STEP-1", { status: "on_hold", subject: "On hold" })
          })
        )
        const forward = yield* engine.process(yield* inbox.take)
        const applied = yield* links.get(key)
        const between = yield* genesys.getWorkitem(link.workitemId)
        // The agent's close comes through the trigger.
        yield* inbox.accept(agentEvent(link.workitemId, "STEP-1", provisioned.statusIds["Closed"]!, agent.at!))
        yield* engine.process(yield* inbox.take)
        return {
          forward,
          applied,
          between,
          workitem: yield* genesys.getWorkitem(link.workitemId),
          dead: (yield* links.outcomeCounts).dead
        }
      })
    )
    const revision = testEvent({ source: "zendesk", ticketId: "STEP-1", rev: 2 }).revision
    expect(r.forward, JSON.stringify(r.forward)).toMatchObject({ _tag: "Applied" })
    expect(r.dead).toBe(0)
    expect(r.applied?.appliedRevision).toBe(revision)
    expect(r.applied?.updateIntent).toBeUndefined()
    expect(r.applied?.statusLog?.helpdesk.at(-1)?.value).toBe("on_hold")
    // The link keeps the status the walk set, passed through on its way, not the agent's.
    expect(r.applied?.statusId).toBe(provisioned.statusIds["Open"])
    expect(r.applied?.statusLog?.moves?.at(-1)).toEqual({
      at: expect.any(String),
      to: provisioned.statusIds["Open"],
      via: true
    })
    // The rest of the change is in Genesys, the revision marker with it; the agent's status stays.
    expect(r.between.name).toBe("On hold")
    expect(r.between.customFields?.["source_revision_text"]).toBe(revision)
    expect(r.between.status?.id).toBe(provisioned.statusIds["Closed"])
    expect(r.workitem.status?.id).toBe(provisioned.statusIds["Closed"])
    expect(writes.map((w) => w.change.status)).toEqual(["solved", "solved"])
  })

  it("dead-letters a change whose later walk step is refused while the workitem stayed where the walk left it", async () => {
    const { writer } = recordingWriter()
    try {
      const r = await run(
        Effect.gen(function* () {
          let armed: string | undefined
          const { engine, genesys, inbox, links, linked } = yield* setup(writer, {
            genesys: (g) => ({
              ...g,
              // Genesys refuses the walk's next step, though nobody moved the workitem.
              updateWorkitem: (id, body, ...rest) =>
                Effect.tap(g.updateWorkitem(id, body, ...rest), (w) =>
                  Effect.sync(() => {
                    if (armed !== id || w.status?.id !== provisioned.statusIds["Open"]) return
                    armed = undefined
                    emulator.faults.add({
                      kind: "status",
                      status: 400,
                      method: "PATCH",
                      path: `/api/v2/taskmanagement/workitems/${id}`,
                      count: 1
                    })
                  })
                )
            })
          })
          const { key, link } = yield* linked("STEP-2")
          yield* genesys.updateWorkitem(link.workitemId, { statusId: provisioned.statusIds["Closed"]! })
          armed = link.workitemId
          yield* inbox.accept(
            testEvent({
              ...key,
              rev: 2,
              occurredAt: new Date().toISOString(),
              fields: fields("STEP-2", { status: "on_hold" })
            })
          )
          return {
            forward: yield* engine.process(yield* inbox.take),
            link: yield* links.get(key),
            workitem: yield* genesys.getWorkitem(link.workitemId)
          }
        })
      )
      expect(r.forward).toMatchObject({ _tag: "DeadLettered", reason: "GenesysBadRequest" })
      expect(r.workitem.status?.id).toBe(provisioned.statusIds["Open"])
      expect(r.link?.appliedRevision).toBe(testEvent({ source: "zendesk", ticketId: "STEP-2", rev: 1 }).revision)
    } finally {
      emulator.faults.clear()
    }
  })

  it("queues the rule's write-back again when a late event's batch comes back after the process died before queueing it", async () => {
    // Seed 91 of the two-way chaos (ServiceNow): a person's hold arrived late, after the agent's close and the ticket's
    // next change, and showed the agent's close to be the newer change. The workitem was moved back and the link
    // written; the process was killed before it queued the write-back of the close. After the restart the batch found
    // its event in the log already and was superseded: the close was never written back.
    const { writer, writes } = recordingWriter()
    const r = await run(
      Effect.gen(function* () {
        let killed = false
        const { engine, genesys, inbox, linked } = yield* setup(writer, {
          // The first write-back the rule queues is lost with the process.
          inbox: (i) => ({
            ...i,
            accept: (event, options) => {
              if (killed || !event.deliveryKey.includes(":rule:")) return i.accept(event, options)
              killed = true
              return Effect.succeed({ _tag: "Duplicate" as const })
            }
          })
        })
        const { key, link } = yield* linked("LATE-1")
        const closed = yield* genesys.updateWorkitem(link.workitemId, { statusId: provisioned.statusIds["Closed"]! })
        const at = Date.parse(String(closed["dateModified"]))
        const iso = (offsetMs: number) => new Date(at + offsetMs).toISOString()
        // The agent's close and the ticket's next change (still on hold): the person's hold looks newer.
        yield* inbox.accept(agentEvent(link.workitemId, "LATE-1", provisioned.statusIds["Closed"]!, iso(0)))
        yield* inbox.accept(
          testEvent({
            ...key,
            rev: 3,
            occurredAt: iso(2000),
            fields: fields("LATE-1", { status: "on_hold", subject: "x" })
          })
        )
        yield* engine.process(yield* inbox.take)
        const moved = (yield* genesys.getWorkitem(link.workitemId)).status?.id
        // The hold itself, late: made before the close.
        const hold = (deliveryKey: string) =>
          testEvent({
            ...key,
            rev: 2,
            deliveryKey,
            occurredAt: iso(-2000),
            fields: fields("LATE-1", { status: "on_hold" })
          })
        yield* inbox.accept(hold("first"))
        yield* engine.process(yield* inbox.take)
        const lost = yield* inbox.depth
        // The process restarts; the helpdesk's webhook of the hold comes again.
        yield* inbox.accept(hold("again"))
        yield* engine.process(yield* inbox.take)
        const queued = yield* inbox.poll
        if (queued !== undefined) yield* engine.process(queued)
        return { moved, lost, killed, workitem: yield* genesys.getWorkitem(link.workitemId) }
      })
    )
    expect(r.moved).toBe(provisioned.statusIds["Waiting"])
    expect(r.killed).toBe(true)
    expect(r.lost).toBe(0)
    expect(r.workitem.status?.id).toBe(provisioned.statusIds["Closed"])
    expect(writes.map((w) => w.change.status)).toEqual(["solved"])
  })

  it("abandons a write-back that gets no answer after its timeout and retries it; the intent stays only past the read", async () => {
    // A helpdesk connection that never answers held the ticket (and a worker) for good. Ticket HANG-READ's read never
    // answers; HANG-WRITE's read answers and its write never does.
    const writer: HelpdeskWriter = {
      source: "zendesk",
      readStatus: () => Effect.succeed("open"),
      writeBack: (ticketId, change) =>
        ticketId === "HANG-READ" ? Effect.never : Effect.zipRight(beforeStatus(change), Effect.never)
    }
    const r = await run(
      Effect.gen(function* () {
        // The retry waits a minute: within the test, the inbox hands out the next ticket, not the first one again.
        const { engine, genesys, inbox, links, linked } = yield* setup(writer, { timeoutMs: 100, backoffMs: 60_000 })
        const after = { read: undefined as Link | undefined, write: undefined as Link | undefined }
        for (const ticketId of ["HANG-READ", "HANG-WRITE"] as const) {
          const { key, link } = yield* linked(ticketId)
          const closed = yield* genesys.updateWorkitem(link.workitemId, {
            statusId: provisioned.statusIds["Closed"]!
          })
          yield* inbox.accept(
            agentEvent(link.workitemId, ticketId, provisioned.statusIds["Closed"]!, String(closed["dateModified"]))
          )
          yield* engine.process(yield* inbox.take)
          after[ticketId === "HANG-READ" ? "read" : "write"] = yield* links.get(key)
        }
        return { ...after, depth: yield* inbox.depth }
      })
    )
    for (const link of [r.read, r.write])
      expect(link?.writeBack).toMatchObject({
        pending: true,
        lastError: expect.stringContaining("no answer within 100 ms")
      })
    // Both wait in the inbox for their retry.
    expect(r.depth).toBe(2)
    expect(r.read?.statusLog?.written).toEqual([])
    expect(r.write?.statusLog?.written).toEqual([expect.objectContaining({ status: "solved", intent: true })])
  })

  it("leaves no intent behind a write-back cut short while it read the ticket (a kill -9 before the write)", async () => {
    // Seeds 20 and 25 of the two-way chaos (GitHub): a write-back of a close was killed while it read the issue; the
    // intent it had recorded before the read stayed, and a person's close made much later was taken for its echo.
    // The intent is recorded once the ticket was read and the status is about to be written.
    const r = await run(
      Effect.gen(function* () {
        const reading = yield* Deferred.make<void>()
        const writer: HelpdeskWriter = {
          source: "zendesk",
          readStatus: () => Effect.succeed("open"),
          // The read never answers: the process dies meanwhile.
          writeBack: () => Effect.zipRight(Deferred.succeed(reading, undefined), Effect.never)
        }
        const { engine, inbox, links, linked } = yield* setup(writer)
        const { key, link } = yield* linked("KILL-1")
        yield* inbox.accept(
          agentEvent(link.workitemId, "KILL-1", provisioned.statusIds["Closed"]!, "2026-01-01T00:00:02Z")
        )
        const batch = yield* inbox.take
        const fiber = yield* Effect.fork(engine.process(batch))
        yield* Deferred.await(reading)
        yield* Fiber.interrupt(fiber)
        return (yield* links.get(key))?.statusLog?.written
      })
    )
    expect(r).toEqual([])
  })

  it("records the status its walk read, since when the workitem has had it: a move whose link write was cut off", async () => {
    // Seed 23 of the two-way chaos (zendesk/3): Workbridge walked the workitem to Waiting and was killed before it
    // wrote the link; the retry read the workitem (its update intent open), found it there and sent nothing — and the
    // log never knew of the move, so an agent's older reopen arriving later looked like where the workitem was.
    const { writer } = recordingWriter()
    const r = await run(
      Effect.gen(function* () {
        const { engine, genesys, inbox, links, linked } = yield* setup(writer)
        const { key, link } = yield* linked("READ-1")
        // The lost write: the PATCH landed, the link kept only its intent.
        const moved = yield* genesys.updateWorkitem(link.workitemId, { statusId: provisioned.statusIds["Waiting"]! })
        const held = fields("READ-1", { status: "on_hold" })
        yield* links.compareAndSet(key, link.appliedRevision, {
          ...link,
          updateIntent: { revision: "r-lost", values: [{ ...link.appliedValues, status: "on_hold" }] }
        })
        yield* inbox.accept(testEvent({ ...key, rev: 2, occurredAt: "2026-01-01T00:00:05Z", fields: held }))
        yield* engine.process(yield* inbox.take)
        return { moved, after: yield* links.get(key) }
      })
    )
    expect(r.after?.statusId).toBe(provisioned.statusIds["Waiting"])
    expect(r.after?.statusLog?.moves?.at(-1)).toEqual({
      at: r.moved["dateStatusChanged"],
      to: provisioned.statusIds["Waiting"]
    })
    expect(r.after?.statusLog?.movedTo).toBe(provisioned.statusIds["Waiting"])
  })
})
