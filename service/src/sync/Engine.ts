/**
 * The Engine service: workers take one ticket's batch at a time from the inbox, apply it (apply.ts), record every
 * event's outcome and ack it — or, on a transient failure, release it to wait in the inbox (nothing is lost).
 */
import { Clock, Context, Effect, Layer } from "effect"
import type { Logger } from "pino"
import { AuditTrail, recordOutcomes, recordRetry, withAuditTicket } from "../observability/AuditTrail.js"
import { isCreatePending, type TicketBatch, type TicketKey } from "../domain/records.js"
import type { StoreError } from "../domain/errors.js"
import { Genesys, type GenesysService } from "@workbridge/genesys"
import { Inbox, type InboxService } from "../inbox/Inbox.js"
import { LinkStore, type LinkStoreService } from "../links/LinkStore.js"
import { Log } from "../observability/Log.js"
import { Metrics } from "../observability/Metrics.js"
import type { TicketSyncStatus } from "./TicketStatus.js"
import { withApplySpan } from "../observability/Tracing.js"
import { applyBatch } from "./apply.js"
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
      pendingEvents: pending.count,
      ...(lastError !== undefined ? { lastError } : {}),
      lagSeconds: lagSeconds(yield* Clock.currentTimeMillis, pending.oldestAcceptedAt)
    }
  })

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

    const process = (batch: TicketBatch): Effect.Effect<ApplyResult | undefined> =>
      Effect.gen(function* () {
        const started = yield* Clock.currentTimeMillis
        const newestRevision = batch.entries[batch.entries.length - 1]?.event.revision
        const applying = applyBatch(core, genesys, batch).pipe(withAuditTicket(batch.key, newestRevision))
        const r = yield* Effect.either(options.tracing === true ? withApplySpan(batch)(applying) : applying)
        if (r._tag === "Left") return yield* retryLater(batch, newestRevision, r.left)
        const { result, outcomes } = r.right
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
