/**
 * The service as one layer: configuration → Genesys org (or the bundled emulator) and the demo's helpdesks →
 * stores and rate budget → Genesys client → target, engine and workers → feeds and reconciliation → gauges →
 * the HTTP(S) server. Every resource is scoped: closing the layer's scope (interruption, in `main.ts`) stops the
 * server, the fibers and the stores, in the reverse of the order they started. `startService` builds the same
 * layer for tests that want a promise and a `close()`.
 *
 * Where each part lives (docs/architecture.md):
 * - the webhook route, `POST /webhooks/:source`: `http/webhooks.ts` (served by `HttpServerLive`, the app in `http/app.ts`);
 * - the apply step, one ticket's batch → Genesys: `sync/apply.ts` `applyBatch` (run by `WorkersLive`, `sync/Engine.ts`);
 * - the rate budget every Genesys call draws from: `RateBudget` in `@workbridge/genesys` (chosen by `StoresLive`,
 *   `store/Stores.ts`; the Redis one is `distributed/RedisRateBudget.ts`).
 */
import type { SpanExporter } from "@opentelemetry/sdk-trace-base"
import type { Emulator } from "@workbridge/genesys-emulator"
import type { HelpdeskClient } from "@workbridge/helpdesk-clients"
import { Cause, Context, Effect, Exit, Layer, Scope } from "effect"
import type { pino } from "pino"
import { ConfigError, type ServiceConfig } from "./config/Config.js"
import { checkDataDir } from "./store/DataDir.js"
import { DemoHelpdesksLive } from "./demo/helpdesks.js"
import { Engine, type EngineService, type SyncTarget } from "./sync/index.js"
import type { GenesysError, StoreError } from "./domain/errors.js"
import type { Feeds } from "./feeds/Feeds.js"
import { GaugesLive } from "./observability/Gauges.js"
import { Genesys, type GenesysService } from "@workbridge/genesys"
import { GenesysLive, GenesysOrg, GenesysOrgLive } from "./genesys/GenesysOrg.js"
import { HttpServerLive, Listening } from "./http/HttpServer.js"
import { Inbox, type InboxService } from "./inbox/Inbox.js"
import { LinkStore, type LinkStoreService } from "./links/LinkStore.js"
import { tlsServerOptions } from "./http/Listener.js"
import { Log, makeLogger } from "./observability/Log.js"
import { Metrics, ServiceMetrics } from "./observability/Metrics.js"
import { HelpdeskClientsLive } from "./feeds/HelpdeskClients.js"
import { FeedsLive, HelpdeskFeeds, ReconciliationLive } from "./feeds/Reconciliation.js"
import { loadCatalog } from "./config/Sources.js"
import { StoresLive } from "./store/Stores.js"
import { loadTracing } from "./observability/Tracing.js"
import { EngineLive, Target, TargetLive, WorkersLive } from "./sync/Workers.js"
import type { DistributedStartError } from "./distributed/Connections.js"

export interface RunningService {
  readonly url: string
  readonly port: number
  /** The bundled emulator, when the service started one. */
  readonly emulator?: Emulator
  readonly target: SyncTarget
  readonly inbox: InboxService
  readonly links: LinkStoreService
  readonly engine: EngineService
  readonly genesys: GenesysService
  readonly metrics: ServiceMetrics
  /** The helpdesk API feeds (reconciliation passes, fetch-on-notify). */
  readonly feeds: Feeds
  /** Stop taking webhooks and work, close the stores (and the bundled emulator). */
  close(): Promise<void>
}

export interface StartOptions {
  /** Where logs go (default stdout). */
  readonly logDestination?: pino.DestinationStream
  /** Called with the human-readable lines printed at start (default: stdout). */
  readonly print?: (line: string) => void
  /**
   * Test-only: wrap the Genesys client the service uses (e.g. to record the bodies it sends). The wrapper must
   * pass every call through to the real client.
   */
  readonly decorateGenesys?: (genesys: GenesysService) => GenesysService
  /** Test-only: the helpdesk read clients to use instead of those `HELPDESK_*` configures. */
  readonly helpdeskClients?: Partial<Record<string, HelpdeskClient>>
  /**
   * Test-only: with tracing configured, export the spans to this OpenTelemetry `SpanExporter` (each as it ends)
   * instead of to the OTLP endpoint.
   */
  readonly traceExporter?: SpanExporter
}

export { DEMO_WEBHOOK_BASIC_AUTH, DEMO_WEBHOOK_SECRET } from "./demo/credentials.js"
export { checkDataDir } from "./store/DataDir.js"
export { EMULATOR_STATE_FILE } from "./genesys/GenesysOrg.js"
export { createListener, HTTP_TIMEOUTS, type HttpTimeouts, tlsServerOptions } from "./http/Listener.js"
export { loadCatalog, makeSources } from "./config/Sources.js"

/** What the service's layer hands out: everything `RunningService` shows. */
export type ServiceServices =
  | Listening
  | GenesysOrg
  | Target
  | Inbox
  | LinkStore
  | Engine
  | Genesys
  | Metrics
  | HelpdeskFeeds

export type ServiceStartError = ConfigError | GenesysError | StoreError | DistributedStartError

/** A configuration problem found before anything starts fails with the ConfigError; anything else is a defect. */
const checked = <A>(f: () => A): Effect.Effect<A, ConfigError> =>
  Effect.suspend(() => {
    try {
      return Effect.succeed(f())
    } catch (e) {
      return e instanceof ConfigError ? Effect.fail(e) : Effect.die(e)
    }
  })

/** Tracing: the OpenTelemetry SDK, loaded only when an OTLP endpoint is configured. */
const TracingLive = (config: ServiceConfig, options: StartOptions): Layer.Layer<never> => {
  const tracing = config.tracing
  if (tracing === undefined) return Layer.empty
  return Layer.unwrapEffect(Effect.promise(() => loadTracing(tracing, options.traceExporter)))
}

/** The service of `config`, running while the layer's scope is open. */
export const ServiceLive = (
  config: ServiceConfig,
  options: StartOptions = {}
): Layer.Layer<ServiceServices, ServiceStartError> =>
  Layer.unwrapEffect(
    Effect.gen(function* () {
      const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`))
      const log = makeLogger(config.logLevel, options.logDestination)
      const catalog = yield* checked(() => loadCatalog(config.catalogFile))
      const tls = config.tls !== undefined ? yield* checked(() => tlsServerOptions(config.tls!)) : undefined
      if (config.stores.distributed === undefined) yield* checked(() => checkDataDir(config.dataDir))
      if (config.tracing !== undefined) {
        const url = new URL(config.tracing.tracesUrl)
        // Where, not how: neither the headers nor any credentials or query of the URL are logged.
        log.info(
          { endpoint: `${url.origin}${url.pathname}`, serviceName: config.tracing.serviceName },
          "exporting traces (OTLP over HTTP)"
        )
      }
      const base = Layer.mergeAll(Layer.succeed(Log, log), Layer.succeed(Metrics, new ServiceMetrics()))
      return HttpServerLive({ config, catalog, tls, print }).pipe(
        Layer.provideMerge(GaugesLive(config)),
        Layer.provideMerge(ReconciliationLive),
        Layer.provideMerge(FeedsLive(catalog)),
        Layer.provideMerge(WorkersLive(config.workers)),
        Layer.provideMerge(EngineLive(config, catalog)),
        Layer.provideMerge(HelpdeskClientsLive(config, options.helpdeskClients)),
        Layer.provideMerge(TargetLive(config, catalog)),
        Layer.provideMerge(GenesysLive(config, options.decorateGenesys)),
        Layer.provideMerge(StoresLive(config)),
        Layer.provideMerge(DemoHelpdesksLive(config)),
        Layer.provideMerge(GenesysOrgLive(config, catalog)),
        Layer.provideMerge(base),
        Layer.provide(TracingLive(config, options))
      )
    })
  )

/**
 * The service started in this process (tests, embedding): `ServiceLive` built in its own scope; `close()` closes
 * that scope. A start that fails closes what had started and rejects with the error (a ConfigError names the
 * variable).
 */
export const startService = async (config: ServiceConfig, options: StartOptions = {}): Promise<RunningService> => {
  const scope = Effect.runSync(Scope.make())
  const built = await Effect.runPromiseExit(Layer.buildWithScope(ServiceLive(config, options), scope))
  if (Exit.isFailure(built)) {
    await Effect.runPromise(Scope.close(scope, built))
    throw Cause.squash(built.cause)
  }
  const ctx = built.value
  const listening = Context.get(ctx, Listening)
  const emulator = Context.get(ctx, GenesysOrg).emulator
  let closing: Promise<void> | undefined
  return {
    url: listening.url,
    port: listening.port,
    ...(emulator !== undefined ? { emulator } : {}),
    target: Context.get(ctx, Target),
    inbox: Context.get(ctx, Inbox),
    links: Context.get(ctx, LinkStore),
    engine: Context.get(ctx, Engine),
    genesys: Context.get(ctx, Genesys),
    metrics: Context.get(ctx, Metrics),
    feeds: Context.get(ctx, HelpdeskFeeds),
    close: () => (closing ??= Effect.runPromise(Scope.close(scope, Exit.void)))
  }
}
