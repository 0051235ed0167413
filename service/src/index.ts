export {
  loadConfig,
  ConfigError,
  ServiceConfig,
  webhookCredentialsFromEnv,
  secretVariableFor
} from "./config/Config.js"
export type { WebhookCredentials, GenesysTarget, CrashPoint, Env } from "./config/Config.js"
export { ServiceLive, startService, loadCatalog, makeSources } from "./Service.js"
export type { RunningService, StartOptions } from "./Service.js"
export { makeApp, HttpError, MAX_WEBHOOK_BYTES } from "./http/index.js"
export { createListener, HTTP_TIMEOUTS } from "./http/Listener.js"
export type { AppDeps } from "./http/index.js"
export * from "./domain/records.js"
export * from "./domain/errors.js"
export { Inbox } from "./inbox/Inbox.js"
export type { InboxService } from "./inbox/Inbox.js"
export { LinkStore } from "./links/LinkStore.js"
export type { LinkStoreService } from "./links/LinkStore.js"
// The Genesys client, its rate budget and the provisioner live in @workbridge/genesys; this is the client bound to
// the service's metrics and audit trail.
export { layer as genesysLayer, telemetryLayer as genesysTelemetryLayer } from "./genesys/GenesysLive.js"
export { Engine, LinkConflict } from "./sync/index.js"
export type { EngineService, EngineOptions, SyncTarget, ApplyResult } from "./sync/index.js"
export { catalogMapping } from "./sync/Mapping.js"
export type { WorkitemMapping, MappingContext } from "./sync/Mapping.js"
export { Metrics, ServiceMetrics } from "./observability/Metrics.js"
export { Log, makeLogger } from "./observability/Log.js"
export { shortestStatusPath } from "./sync/statusWalk.js"
export type { TicketSyncStatus } from "./sync/TicketStatus.js"
export * as Sqlite from "./store/Sqlite.js"
export * as SqliteInbox from "./inbox/SqliteInbox.js"
export * as SqliteLinkStore from "./links/SqliteLinkStore.js"
