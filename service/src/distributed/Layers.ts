/**
 * The one place the service picks the distributed adapters: given the distributed settings, the inbox
 * (RabbitMQ + Redis), the link store (Redis) and the shared rate budget (Redis), all on one Redis client.
 */
import { Layer } from "effect"
import type { Logger } from "pino"
import type { AuditTrail } from "../AuditTrail.js"
import type { Inbox } from "../Inbox.js"
import type { LinkStore } from "../LinkStore.js"
import type { RateBudget } from "@workbridge/genesys"
import type { FeedCursors } from "../Feeds.js"
import { type DistributedStartError, redisLayer } from "./Connections.js"
import * as RabbitInbox from "./RabbitInbox.js"
import * as RedisAuditTrail from "./RedisAuditTrail.js"
import * as RedisCursorStore from "./RedisCursorStore.js"
import * as RedisLinkStore from "./RedisLinkStore.js"
import * as RedisRateBudget from "./RedisRateBudget.js"
import type { DistributedSettings } from "./Settings.js"

export interface DistributedLayerOptions {
  readonly settings: DistributedSettings
  readonly hardLimit: number
  /** How long a take waits for a ticket's events still on their way (the coalescing window). */
  readonly settleMs?: number
  readonly budgetPerMinute: number
  readonly budgetBurst: number
  /** The Genesys OAuth client whose budget the replicas share. */
  readonly clientId: string
  readonly log?: Logger
  /** Days the per-ticket audit trail keeps entries (`WORKBRIDGE_AUDIT_RETENTION_DAYS`); default 7. */
  readonly auditRetentionDays?: number
}

export interface DistributedLayers {
  readonly stores: Layer.Layer<Inbox | LinkStore, DistributedStartError>
  readonly budget: Layer.Layer<RateBudget, DistributedStartError>
  readonly audit: Layer.Layer<AuditTrail, DistributedStartError>
  /** Reconciliation cursors and the per-source pass lock. */
  readonly cursors: Layer.Layer<FeedCursors, DistributedStartError>
}

/** Layers sharing one Redis connection (the same layer value, so Effect builds it once per runtime). */
export const distributedLayers = (options: DistributedLayerOptions): DistributedLayers => {
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
      ? { onConnectionChange: (up: boolean, detail: string) => (up ? log.info({ detail }, "RabbitMQ connected") : log.warn({ detail }, "RabbitMQ connection lost; reconnecting")) }
      : {})
  })
  return {
    stores: Layer.merge(inbox, RedisLinkStore.layer({ prefix: s.namespace })).pipe(Layer.provide(redis)),
    budget: RedisRateBudget.layer({
      prefix: s.namespace,
      clientId: options.clientId,
      perMinute: options.budgetPerMinute,
      burst: options.budgetBurst
    }).pipe(Layer.provide(redis)),
    cursors: RedisCursorStore.layer({ prefix: s.namespace }).pipe(Layer.provide(redis)),
    audit: RedisAuditTrail.layer({
      prefix: s.namespace,
      retentionDays: options.auditRetentionDays ?? 7,
      ...(log !== undefined ? { log } : {})
    }).pipe(Layer.provide(redis))
  }
}
