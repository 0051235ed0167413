/**
 * The one place the service picks the distributed adapters: given the distributed settings, the inbox
 * (RabbitMQ + Redis), the link store, the shared rate budget, the cursors and the audit trail (Redis), all on one
 * Redis client.
 */
import { Layer } from "effect"
import type { Logger } from "pino"
import { AuditTrail, noAuditTrail } from "../observability/AuditTrail.js"
import type { Inbox } from "../inbox/Inbox.js"
import type { LinkStore } from "../links/LinkStore.js"
import type { InFlightAllowance, RateBudget } from "@workbridge/genesys"
import type { FeedCursors } from "../feeds/Feeds.js"
import { type DistributedStartError, redisLayer } from "./Connections.js"
import * as RabbitInbox from "./RabbitInbox.js"
import * as RedisAuditTrail from "./RedisAuditTrail.js"
import * as RedisCursorStore from "./RedisCursorStore.js"
import * as RedisLinkStore from "./RedisLinkStore.js"
import * as RedisRateBudget from "./RedisRateBudget.js"
import * as RedisWriteBuckets from "./RedisWriteBuckets.js"
import type { WriteBuckets } from "../writeBack/Budget.js"
import type { DistributedSettings } from "./Settings.js"

export interface DistributedLayerOptions {
  readonly settings: DistributedSettings
  readonly hardLimit: number
  /** How long a take waits for a ticket's events still on their way (the coalescing window). */
  readonly settleMs?: number
  readonly budgetPerMinute: number
  readonly budgetBurst: number
  /** The budget's room for calls in flight (`TokenBucketOptions.inFlight`); absent: admissions only. */
  readonly budgetInFlight?: InFlightAllowance
  /** The Genesys OAuth client whose budget the replicas share. */
  readonly clientId: string
  readonly log?: Logger
  /** Days the per-ticket audit trail keeps entries (`WORKBRIDGE_AUDIT_RETENTION_DAYS`; 0: no audit trail); default 7. */
  readonly auditRetentionDays?: number
}

export type DistributedServices = Inbox | LinkStore | RateBudget | AuditTrail | FeedCursors | WriteBuckets

/**
 * The inbox, the link store, the shared rate budget, the write-back budget's buckets, the reconciliation cursors (and the per-source pass lock)
 * and the audit trail (the no-op one with a retention of 0 days), on one Redis connection: one layer value, so
 * Effect opens the connection once; it closes with the layer's scope.
 */
export const DistributedStoresLive = (
  options: DistributedLayerOptions
): Layer.Layer<DistributedServices, DistributedStartError> => {
  const s = options.settings
  const redis = redisLayer({ url: s.redisUrl, connectionName: `workbridge:${s.namespace}` })
  const log = options.log
  const inbox = RabbitInbox.layer({
    url: s.rabbitmqUrl,
    prefix: s.namespace,
    partitions: s.partitions,
    hardLimit: options.hardLimit,
    prefetch: s.prefetch,
    leaseMs: s.leaseMs,
    ...(options.settleMs !== undefined ? { settleMs: options.settleMs } : {}),
    ...(log !== undefined
      ? {
          onConnectionChange: (up: boolean, detail: string) =>
            up
              ? log.info({ detail }, "RabbitMQ connected")
              : log.warn({ detail }, "RabbitMQ connection lost; reconnecting")
        }
      : {})
  })
  const retentionDays = options.auditRetentionDays ?? 7
  const audit =
    retentionDays > 0
      ? RedisAuditTrail.layer({ prefix: s.namespace, retentionDays, ...(log !== undefined ? { log } : {}) })
      : Layer.succeed(AuditTrail, noAuditTrail)
  return Layer.mergeAll(
    inbox,
    RedisLinkStore.layer({ prefix: s.namespace }),
    RedisRateBudget.layer({
      prefix: s.namespace,
      clientId: options.clientId,
      perMinute: options.budgetPerMinute,
      burst: options.budgetBurst,
      ...(options.budgetInFlight !== undefined ? { inFlight: options.budgetInFlight } : {})
    }),
    RedisCursorStore.layer({ prefix: s.namespace }),
    RedisWriteBuckets.layer({ prefix: s.namespace }),
    audit
  ).pipe(Layer.provide(redis))
}
