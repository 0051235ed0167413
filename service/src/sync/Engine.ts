/**
 * The Engine service: workers take one ticket's batch at a time from the inbox, apply it (apply.ts), record every
 * event's outcome and ack it — or, on a transient failure, release it to wait in the inbox (nothing is lost).
 */
import { Clock, Context, Effect, Layer } from "effect"
import type { Logger } from "pino"
import { AuditTrail, recordOutcomes, recordRetry, withAuditTicket } from "../observability/AuditTrail.js"
import { compareRevision, isWriteBackOrigin, makeRevision, type TicketEvent } from "@workbridge/catalog"
import {
  type InboxEntry,
  isCreatePending,
  type Link,
  type Outcome,
  type TicketBatch,
  type TicketKey
} from "../domain/records.js"
import { makeWriteBudget } from "../writeBack/Budget.js"
import { type WriteBackDeps, type WriteBackResult, writeBackEntries } from "../writeBack/apply.js"
import type { StoreError } from "../domain/errors.js"
import { Genesys, type GenesysService } from "@workbridge/genesys"
import { Inbox, type InboxService } from "../inbox/Inbox.js"
import { LinkStore, type LinkStoreService } from "../links/LinkStore.js"
import { Log } from "../observability/Log.js"
import { Metrics } from "../observability/Metrics.js"
import type { TicketSyncStatus } from "./TicketStatus.js"
import { withApplySpan } from "../observability/Tracing.js"
import { applyBatch, convergeStatus } from "./apply.js"
import { type WorkitemChange, workitemChangeOf } from "../writeBack/WorkitemEvent.js"
import {
  type ApplyResult,
  type EngineOptions,
  engineFields,
  makeStatusBook,
  missPolicyOnce,
  type SyncCore
} from "./core.js"
import { lagSeconds, retryDelayMs } from "./plan.js"

export interface EngineService {
  /** Apply one batch and ack it; on a transient failure release it (nothing is lost). */
  readonly process: (batch: TicketBatch) => Effect.Effect<ApplyResult | undefined>
  /** Run `workers` loops taking batches from the inbox until interrupted. */
  readonly run: (workers: number) => Effect.Effect<never>
  readonly ticketStatus: (key: TicketKey) => Effect.Effect<TicketSyncStatus, StoreError>
}

export class Engine extends Context.Tag("@workbridge/service/Engine")<Engine, EngineService>() {}

/** What a ticket's sync looks like now: its link, its pending events, its last error. */
const ticketStatusOf = (
  inbox: InboxService,
  links: LinkStoreService,
  key: TicketKey
): Effect.Effect<TicketSyncStatus, StoreError> =>
  Effect.gen(function* () {
    const stored = yield* links.get(key)
    const link = stored !== undefined && isCreatePending(stored) ? undefined : stored
    const pending = yield* inbox.pendingFor(key)
    const lastError = yield* links.lastError(key)
    return {
      source: key.source,
      ticketId: key.ticketId,
      ...(link !== undefined
        ? {
            workitemId: link.workitemId,
            appliedRevision: link.appliedRevision,
            lastAppliedAt: link.appliedAt,
            arrivedBy: link.origin ?? "webhook"
          }
        : {}),
      ...(link?.writeBack !== undefined
        ? {
            writeBack: {
              ...(link.writeBack.status !== undefined ? { status: link.writeBack.status } : {}),
              ...(link.writeBack.assignee !== undefined ? { assignee: link.writeBack.assignee } : {}),
              ...(link.writeBack.lastWrittenAt !== undefined ? { lastWrittenAt: link.writeBack.lastWrittenAt } : {}),
              ...(link.writeBack.outcome !== undefined ? { outcome: link.writeBack.outcome } : {}),
              ...(link.writeBack.lastError !== undefined ? { lastError: link.writeBack.lastError } : {}),
              pending: link.writeBack.pending === true
            }
          }
        : {}),
      pendingEvents: pending.count,
      ...(lastError !== undefined ? { lastError } : {}),
      lagSeconds: lagSeconds(yield* Clock.currentTimeMillis, pending.oldestAcceptedAt)
    }
  })

/** The latest `occurredAt` of some entries (the agents' changes: their workitem's `dateModified`). */
/** The agents' changes among a batch's write-back entries (not Workbridge's own), oldest first. */
const agentChanges = (entries: ReadonlyArray<InboxEntry>, selfIds: ReadonlyArray<string>) =>
  entries.flatMap((e) => {
    const c = workitemChangeOf(e.event)
    return c === undefined || (c.modifiedBy !== undefined && selfIds.includes(c.modifiedBy)) ? [] : [c]
  })

/**
 * The event that has the write-back step run for a ticket when the "both" rule wants its helpdesk status written
 * after a forward change (a late helpdesk event moved the decision): the newest agent's status change again, under a
 * delivery key of its own per helpdesk event, so that it is durable in the inbox like any write-back.
 */
export const ruleWriteBackEvent = (key: TicketKey, link: Link | undefined): TicketEvent | undefined => {
  const change = link?.statusLog?.agent?.change as WorkitemChange | undefined
  const seen = link?.statusLog?.helpdesk
  if (change === undefined || seen === undefined || seen.length === 0) return undefined
  const ms = Date.parse(change.dateModified)
  return {
    source: key.source,
    ticketId: key.ticketId,
    revision: makeRevision(Math.max(0, ms), "genesys"),
    occurredAt: change.dateModified,
    deliveryKey: `genesys:${change.workitemId}:${change.dateModified}:${change.statusId ?? ""}:rule:${seen[seen.length - 1]!.revision}`,
    kind: "updated",
    fields: { workitem: change },
    origin: "genesys"
  }
}

export const make = (options: EngineOptions) =>
  Effect.gen(function* () {
    const inbox = yield* Inbox
    const links = yield* LinkStore
    const genesys: GenesysService = yield* Genesys
    const metrics = yield* Metrics
    const log: Logger = yield* Log
    const audit = yield* Effect.serviceOption(AuditTrail)
    const core: SyncCore = {
      options,
      mapping: options.mapping,
      target: options.target,
      links,
      log,
      fields: engineFields(options.mapping),
      statuses: makeStatusBook(options.target, log),
      missPolicy: yield* missPolicyOnce(options.target, links, genesys, log)
    }

    /** A failed apply: the ticket waits (its events stay in the inbox); the worker goes on with other tickets. */
    const retryLater = (
      batch: TicketBatch,
      newestRevision: string | undefined,
      e: Effect.Effect.Error<ReturnType<typeof applyBatch>>
    ) =>
      Effect.gen(function* () {
        yield* recordRetry(audit, batch.key, newestRevision, e.message)
        log.warn(
          {
            source: batch.key.source,
            ticketId: batch.key.ticketId,
            error: e.message,
            reason: "reason" in e ? e.reason : e._tag
          },
          "apply failed; the events stay in the inbox"
        )
        yield* inbox.release(batch, { delayMs: retryDelayMs(e, options) }).pipe(Effect.ignore)
        return undefined
      })

    const writeBackDeps: WriteBackDeps = {
      options: options.writeBack ?? {
        catalog: options.mapping.catalog,
        writers: {},
        selfIds: [],
        budget: makeWriteBudget({})
      },
      links,
      log,
      statuses: () => core.statuses.list()
    }

    /** Record the outcomes of events that were dealt with (applied, superseded, dead) and count them. */
    const settle = (key: TicketKey, outcomes: ReadonlyArray<Outcome>, result: Parameters<typeof recordOutcomes>[3]) =>
      Effect.gen(function* () {
        yield* links.recordOutcomes(key, outcomes).pipe(Effect.ignore)
        yield* recordOutcomes(audit, key, outcomes, result)
        for (const o of outcomes) metrics.events.inc({ outcome: o.outcome })
      })

    /**
     * A batch with agents' changes in Genesys (`genesys` entries): the forward entries are applied first (as
     * `processForward` does), then the write-back step (writeBack/apply.ts) handles the agents' changes. A
     * write-back that must wait (a transient failure, the write budget) puts the whole batch back with its delay:
     * the forward entries' outcomes are recorded already, and when the batch comes back they are superseded.
     */
    const processWithWriteBack = (
      batch: TicketBatch,
      back: ReadonlyArray<InboxEntry>,
      forward: ReadonlyArray<InboxEntry>
    ): Effect.Effect<ApplyResult | undefined> =>
      Effect.gen(function* () {
        const key = batch.key
        const newestRevision = batch.entries[batch.entries.length - 1]?.event.revision
        let forwardResult: ApplyResult | undefined
        if (forward.length > 0) {
          const r = yield* Effect.either(
            // The agents' changes waiting with these entries count for the "both" rule before they are written back.
            applyBatch(
              core,
              genesys,
              { key, entries: forward },
              agentChanges(back, writeBackDeps.options.selfIds)
            ).pipe(withAuditTicket(key, newestRevision))
          )
          if (r._tag === "Left") return yield* retryLater(batch, newestRevision, r.left)
          forwardResult = r.right.result
          yield* settle(key, r.right.outcomes, r.right.result)
        }
        const sorted = [...back].sort((a, b) => compareRevision(a.event.revision, b.event.revision))
        const wb = yield* Effect.either(writeBackEntries(writeBackDeps, key, sorted))
        // A store failure waits like a transient helpdesk failure.
        const handled: WriteBackResult =
          wb._tag === "Left"
            ? { _tag: "Retry", delayMs: options.failureBackoffMs ?? 1000, reason: wb.left.message }
            : wb.right
        if (handled._tag === "Retry") {
          const { delayMs, reason } = handled
          metrics.writeBacks.inc({ source: key.source, outcome: "retry" })
          yield* recordRetry(audit, key, newestRevision, `write-back: ${reason}`)
          yield* inbox.release(batch, { delayMs }).pipe(Effect.ignore)
          return forwardResult
        }
        const done = handled
        if (done.restore === true) {
          // The workitem is not at the "both" rule's winner's status (moved without knowing of the newer change).
          const restored = yield* Effect.either(convergeStatus(core, genesys, key))
          if (restored._tag === "Left") return yield* retryLater(batch, newestRevision, restored.left)
        }
        if (done.dead !== undefined) {
          const event = sorted[sorted.length - 1]!.event
          yield* links
            .addDeadLetter({
              source: key.source,
              ticketId: key.ticketId,
              revision: event.revision,
              reason: done.dead.reason,
              details: done.dead.details,
              event
            })
            .pipe(Effect.ignore)
          log.warn(
            { source: key.source, ticketId: key.ticketId, reason: done.dead.reason, details: done.dead.details },
            "write-back dead-lettered"
          )
        }
        metrics.writeBacks.inc({ source: key.source, outcome: done.outcome })
        const result: ApplyResult = {
          _tag: "WrittenBack",
          outcome: done.outcome,
          ...(done.workitemId !== undefined ? { workitemId: done.workitemId } : {})
        }
        yield* settle(
          key,
          done.outcomes,
          done.dead !== undefined ? { _tag: "DeadLettered", reason: done.dead.reason } : result
        )
        yield* inbox
          .ack(batch)
          .pipe(
            Effect.catchAll((e) =>
              Effect.sync(() => log.error({ error: e.message }, "inbox ack failed; the batch will be seen again"))
            )
          )
        return forwardResult ?? result
      }).pipe(Effect.onInterrupt(() => inbox.release(batch).pipe(Effect.ignore)))

    const process = (batch: TicketBatch): Effect.Effect<ApplyResult | undefined> => {
      const back = batch.entries.filter((e) => isWriteBackOrigin(e.event.origin))
      if (back.length === 0) return processForward(batch)
      return processWithWriteBack(
        batch,
        back,
        batch.entries.filter((e) => !isWriteBackOrigin(e.event.origin))
      )
    }

    const processForward = (batch: TicketBatch): Effect.Effect<ApplyResult | undefined> =>
      Effect.gen(function* () {
        const started = yield* Clock.currentTimeMillis
        const newestRevision = batch.entries[batch.entries.length - 1]?.event.revision
        const applying = applyBatch(core, genesys, batch).pipe(withAuditTicket(batch.key, newestRevision))
        const r = yield* Effect.either(options.tracing === true ? withApplySpan(batch)(applying) : applying)
        if (r._tag === "Left") return yield* retryLater(batch, newestRevision, r.left)
        const { result, outcomes } = r.right
        if ("writeBack" in r.right && r.right.writeBack === true) {
          // The "both" rule wants the helpdesk's status written: the write-back step runs for the ticket (before the
          // ack, so that a crash here sees the batch again).
          const event = ruleWriteBackEvent(
            batch.key,
            yield* links.get(batch.key).pipe(Effect.orElseSucceed(() => undefined))
          )
          if (event !== undefined) yield* inbox.accept(event).pipe(Effect.ignore)
        }
        yield* links.recordOutcomes(batch.key, outcomes).pipe(Effect.ignore)
        yield* recordOutcomes(audit, batch.key, outcomes, result)
        yield* inbox
          .ack(batch)
          .pipe(
            Effect.catchAll((e) =>
              Effect.sync(() => log.error({ error: e.message }, "inbox ack failed; the batch will be seen again"))
            )
          )
        const now = yield* Clock.currentTimeMillis
        metrics.applyDuration.observe((now - started) / 1000)
        for (const o of outcomes) metrics.events.inc({ outcome: o.outcome })
        for (const e of batch.entries) metrics.syncLag.observe(Math.max(0, now - Date.parse(e.acceptedAt)) / 1000)
        if (result._tag === "Applied") {
          log.info(
            {
              source: batch.key.source,
              ticketId: batch.key.ticketId,
              workitemId: result.workitemId,
              revision: result.revision,
              events: batch.entries.length,
              calls: result.calls
            },
            "ticket applied"
          )
        } else if (result._tag === "Superseded") {
          log.debug(
            { source: batch.key.source, ticketId: batch.key.ticketId, events: batch.entries.length },
            "events superseded"
          )
        }
        return result
      }).pipe(Effect.onInterrupt(() => inbox.release(batch).pipe(Effect.ignore)))

    /** A defect (a bug) while applying one batch must not end the worker: the ticket waits and is retried. */
    const guarded = (batch: TicketBatch) =>
      process(batch).pipe(
        Effect.catchAllDefect((defect) =>
          Effect.gen(function* () {
            log.error(
              {
                source: batch.key.source,
                ticketId: batch.key.ticketId,
                defect: defect instanceof Error ? defect.message : String(defect)
              },
              "unexpected failure while applying; the events stay in the inbox"
            )
            yield* inbox.release(batch, { delayMs: options.failureBackoffMs ?? 1000 }).pipe(Effect.ignore)
            return undefined
          })
        )
      )

    const worker = Effect.forever(
      Effect.flatMap(inbox.take, guarded).pipe(
        Effect.catchAll((e) =>
          Effect.zipRight(
            Effect.sync(() => log.error({ error: e.message }, "inbox take failed")),
            Effect.sleep(1000)
          )
        )
      )
    )

    const service: EngineService = {
      process,
      run: (workers) =>
        Effect.forEach(
          Array.from({ length: workers }, () => worker),
          (w) => w,
          { concurrency: "unbounded", discard: true }
        ).pipe(Effect.zipRight(Effect.never)),
      ticketStatus: (key) => ticketStatusOf(inbox, links, key)
    }
    return service
  })

export const layer = (
  options: EngineOptions
): Layer.Layer<Engine, never, Inbox | LinkStore | Genesys | Metrics | Log> => Layer.effect(Engine, make(options))
