/**
 * The service's state: the inbox, the link store, the audit trail, the feed cursors and the rate budget — SQLite
 * (one file in the data directory) and an in-process budget by default, RabbitMQ + Redis in distributed mode
 * (`WORKBRIDGE_QUEUE=rabbitmq`, `WORKBRIDGE_STATE=redis`). Every accept and requeue of the inbox is recorded in
 * the audit trail while it is on.
 */
import { Context, Effect, Layer } from "effect"
import { AuditTrail, auditedInbox, noAuditTrail } from "../observability/AuditTrail.js"
import type { ServiceConfig } from "../config/Config.js"
import { databaseFile } from "./DataDir.js"
import type { StoreError } from "../domain/errors.js"
import { type FeedCursors, sqliteCursorLayer } from "../feeds/Feeds.js"
import { GenesysOrg } from "../genesys/GenesysOrg.js"
import { Inbox } from "../inbox/Inbox.js"
import type { LinkStore } from "../links/LinkStore.js"
import { Log } from "../observability/Log.js"
import { type RateBudget, rateBudgetLayerMemory as rateBudgetLayer } from "@workbridge/genesys"
import * as SqliteAuditTrail from "../observability/SqliteAuditTrail.js"
import { SqliteStoresLive } from "./SqliteStores.js"
import type { DistributedStartError } from "../distributed/Connections.js"
import { type WriteBuckets, memoryBucketsLayer } from "../writeBack/Budget.js"

export type StoreServices = Inbox | LinkStore | AuditTrail | FeedCursors | RateBudget | WriteBuckets

type Stores = Layer.Layer<StoreServices, StoreError | DistributedStartError>

/** One SQLite file for the inbox, the link store, the audit trail and the cursors; the budget in process. */
const embedded = (config: ServiceConfig, log: Log["Type"]): Stores => {
  const audit =
    config.auditRetentionDays > 0
      ? SqliteAuditTrail.layer({ retentionDays: config.auditRetentionDays, log })
      : Layer.succeed(AuditTrail, noAuditTrail)
  return Layer.mergeAll(
    audit,
    sqliteCursorLayer,
    rateBudgetLayer({
      perMinute: config.budgetPerMinute,
      burst: config.budgetBurst,
      inFlight: config.budgetInFlight
    }),
    memoryBucketsLayer
  ).pipe(
    Layer.provideMerge(
      SqliteStoresLive(databaseFile(config.dataDir), { hardLimit: config.inboxHardLimit, settleMs: config.coalesceMs })
    )
  )
}

/**
 * RabbitMQ + Redis stores and the budget shared by the replicas of one Genesys OAuth client. Loaded only here: an
 * embedded deployment never loads the RabbitMQ and Redis clients (docs/benchmarks.md figure 5).
 */
const distributed = (config: ServiceConfig, log: Log["Type"], clientId: string): Stores =>
  Layer.unwrapEffect(
    Effect.map(
      Effect.promise(() => import("../distributed/Layers.js")),
      ({ DistributedStoresLive }) =>
        DistributedStoresLive({
          settings: config.stores.distributed!,
          hardLimit: config.inboxHardLimit,
          settleMs: config.coalesceMs,
          budgetPerMinute: config.budgetPerMinute,
          budgetBurst: config.budgetBurst,
          budgetInFlight: config.budgetInFlight,
          clientId,
          log,
          auditRetentionDays: config.auditRetentionDays
        })
    )
  )

export const StoresLive = (
  config: ServiceConfig
): Layer.Layer<StoreServices, StoreError | DistributedStartError, GenesysOrg | Log> =>
  Layer.unwrapEffect(
    Effect.gen(function* () {
      const log = yield* Log
      const org = yield* GenesysOrg
      const stores =
        config.stores.distributed === undefined
          ? embedded(config, log)
          : distributed(config, log, org.clientOptions.clientId)
      if (config.auditRetentionDays <= 0) return stores
      // The audit trail (the console's timeline) records what the inbox accepts and requeues.
      return Layer.effectContext(
        Effect.map(Effect.context<StoreServices>(), (ctx) =>
          Context.add(ctx, Inbox, auditedInbox(Context.get(ctx, Inbox), Context.get(ctx, AuditTrail)))
        )
      ).pipe(Layer.provide(stores))
    })
  )
