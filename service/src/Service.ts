/**
 * Assembly: configuration → layers (SQLite stores, rate budget, Genesys client, engine) → workers, monitor and
 * the HTTP(S) server. `startService` is what `main.ts` runs and what tests start in-process.
 */
import * as fs from "node:fs"
import * as http from "node:http"
import * as https from "node:https"
import type { AddressInfo } from "node:net"
import * as path from "node:path"
import { type Adapter, adapters, makeGenericAdapter, type SourceCredentials } from "@workbridge/adapters"
import { type Catalog, defaultCatalog, parseCatalogFile } from "@workbridge/catalog"
import type { Emulator } from "@workbridge/genesys-emulator"
import type { HelpdeskClient } from "@workbridge/helpdesk-clients"
import type { SpanExporter } from "@opentelemetry/sdk-trace-base"
import { Effect, Either, Fiber, Layer, ManagedRuntime, Schedule } from "effect"
import type { Logger } from "pino"
import type { pino } from "pino"
import { makeApp } from "./App.js"
import { AuditTrail, type AuditTrailService, auditedInbox, noAuditTrail } from "./AuditTrail.js"
import { DEMO_BASIC_AUTH_SOURCES, DEMO_WEBHOOK_BASIC_AUTH, DEMO_WEBHOOK_SECRET } from "./Demo.js"
import { ConfigError, feedSettingsFromEnv, type ServiceConfig, secretVariableFor } from "./Config.js"
import { type DemoHelpdesks, startDemoHelpdesks } from "./DemoHelpdesks.js"
import { type EngineService, make as makeEngine, type SyncTarget, worktypeMarkerKey } from "./Engine.js"
import { FeedCursors, type Feeds, makeClients, makeFeeds, sqliteCursorLayer } from "./Feeds.js"
import { BULK_ADD_PER_JOB, DEFAULT_WORKTYPE_NAME, Genesys, type GenesysService, provision, RateBudget, rateBudgetLayerMemory as rateBudgetLayer } from "@workbridge/genesys"
import { layer as genesysLayer } from "./GenesysLive.js"
import { Inbox, type InboxService } from "./Inbox.js"
import { LinkStore, type LinkStoreService } from "./LinkStore.js"
import { Log, makeLogger } from "./Log.js"
import { catalogMapping } from "./Mapping.js"
import { Metrics, ServiceMetrics } from "./Metrics.js"
import { cachedHealth } from "./Readiness.js"
import * as Sqlite from "./Sqlite.js"
import * as SqliteInbox from "./SqliteInbox.js"
import * as SqliteLinkStore from "./SqliteLinkStore.js"
import * as SqliteAuditTrail from "./SqliteAuditTrail.js"
import { makeDataActionsRouter } from "./dataActions/index.js"
import { distributedLayers } from "./distributed/Layers.js"
import type { DistributedStartError } from "./distributed/Connections.js"
import type { StoreError } from "./Errors.js"
import { makeOpsConsole } from "./ops/router.js"
import { loadTracing } from "./Tracing.js"

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

export { DEMO_WEBHOOK_BASIC_AUTH, DEMO_WEBHOOK_SECRET } from "./Demo.js"

/** The bundled emulator's state file, in the data directory. */
export const EMULATOR_STATE_FILE = "genesys-emulator.json"

/** The catalog: the default one, with the overrides of `WORKBRIDGE_CATALOG_FILE` applied. */
export const loadCatalog = (file: string | undefined): Catalog => {
  if (file === undefined) return defaultCatalog
  let text: string
  try {
    text = fs.readFileSync(file, "utf8")
  } catch (e) {
    throw new ConfigError("WORKBRIDGE_CATALOG_FILE", `cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`)
  }
  const r = parseCatalogFile(text, path.basename(file))
  if (Either.isLeft(r)) throw new ConfigError("WORKBRIDGE_CATALOG_FILE", r.left.message)
  return r.right
}

/** Built-in adapters plus a generic JSON adapter for every other source that has credentials configured. */
export const makeSources = (credentials: Readonly<Record<string, SourceCredentials>>): Record<string, Adapter> => {
  const out: Record<string, Adapter> = { ...adapters }
  for (const name of Object.keys(credentials)) {
    if (Object.prototype.hasOwnProperty.call(out, name)) continue
    try {
      out[name] = makeGenericAdapter({ name })
    } catch (e) {
      throw new ConfigError(secretVariableFor(name), e instanceof Error ? e.message : String(e))
    }
  }
  return out
}

const demoCredentials = (): Record<string, SourceCredentials> => {
  const out: Record<string, SourceCredentials> = {}
  for (const [name, adapter] of Object.entries(adapters)) {
    out[name] = adapter.credentialKinds.includes("secret") && !DEMO_BASIC_AUTH_SOURCES.includes(name)
      ? { secret: DEMO_WEBHOOK_SECRET }
      : { basicAuth: DEMO_WEBHOOK_BASIC_AUTH }
  }
  return out
}

/** HTTPS options of the native TLS listener: the configured PEM files, TLS 1.2 as the minimum. */
export const tlsServerOptions = (files: { readonly certFile: string; readonly keyFile: string }): https.ServerOptions => {
  const read = (variable: string, file: string) => {
    try {
      return fs.readFileSync(file)
    } catch (e) {
      throw new ConfigError(variable, `cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`)
    }
  }
  return { cert: read("WORKBRIDGE_TLS_CERT", files.certFile), key: read("WORKBRIDGE_TLS_KEY", files.keyFile), minVersion: "TLSv1.2" }
}

/**
 * The HTTP server's timeouts, set explicitly (docs/service.md, "Limits"): a client must send its request headers
 * within `headersTimeoutMs` and the whole request within `requestTimeoutMs` (else 408 and the connection is
 * closed; slow senders cannot hold connections open), and an idle keep-alive connection is closed after
 * `keepAliveTimeoutMs`. `checkIntervalMs` is how often the server looks for requests past their timeouts.
 */
export interface HttpTimeouts {
  readonly headersTimeoutMs: number
  readonly requestTimeoutMs: number
  readonly keepAliveTimeoutMs: number
  readonly checkIntervalMs: number
}

export const HTTP_TIMEOUTS: HttpTimeouts = { headersTimeoutMs: 20_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000, checkIntervalMs: 1_000 }

/** The HTTP(S) listener of `app` with the timeouts applied (TLS when `tls` is given). */
export const createListener = (
  app: http.RequestListener,
  tls: https.ServerOptions | undefined,
  timeouts: HttpTimeouts = HTTP_TIMEOUTS
): http.Server => {
  const options: http.ServerOptions = {
    headersTimeout: timeouts.headersTimeoutMs,
    requestTimeout: timeouts.requestTimeoutMs,
    connectionsCheckingInterval: timeouts.checkIntervalMs
  }
  const server = tls !== undefined ? https.createServer({ ...tls, ...options }, app) : http.createServer(options, app)
  server.keepAliveTimeout = timeouts.keepAliveTimeoutMs
  return server
}

/**
 * The data directory exists (created if needed) and takes writes; else a ConfigError naming the path and
 * `WORKBRIDGE_DATA_DIR` (a read-only directory would otherwise surface as "unable to open database file").
 */
export const checkDataDir = (dir: string): void => {
  try {
    fs.mkdirSync(dir, { recursive: true })
    const probe = path.join(dir, `.write-check-${process.pid}`)
    fs.writeFileSync(probe, "")
    fs.rmSync(probe)
  } catch (e) {
    throw new ConfigError(
      "WORKBRIDGE_DATA_DIR",
      `the data directory ${dir} is not writable (${e instanceof Error ? e.message : String(e)}); point WORKBRIDGE_DATA_DIR at a writable directory`
    )
  }
}

const listen = (server: http.Server, port: number, host: string): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen(port, host, () => {
      server.off("error", reject)
      resolve((server.address() as AddressInfo).port)
    })
  })

export const startService = async (config: ServiceConfig, options: StartOptions = {}): Promise<RunningService> => {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`))
  const log: Logger = makeLogger(config.logLevel, options.logDestination)
  const catalog = loadCatalog(config.catalogFile)
  const tlsOptions = config.tls !== undefined ? tlsServerOptions(config.tls) : undefined
  const metrics = new ServiceMetrics()
  const cleanups: Array<() => Promise<void>> = []
  const cleanup = async () => {
    for (const f of cleanups.reverse()) await f().catch(() => undefined)
  }

  try {
    if (config.stores.distributed === undefined) checkDataDir(config.dataDir)
    // Genesys: a configured org/gateway, or the bundled emulator provisioned from the catalog.
    let emulator: Emulator | undefined
    let clientOptions: { gatewayUrl?: string; region?: string; clientId: string; clientSecret: string }
    let worktypeId = config.worktypeId
    let credentials: Readonly<Record<string, SourceCredentials>> = config.webhooks
    let demo = false
    let demoHelpdesks: DemoHelpdesks | undefined
    if (config.genesys._tag === "Embedded") {
      const g = config.genesys
      // Loaded only here: a service that talks to Genesys (or an external gateway) never loads the emulator.
      const { startEmulator } = await import("@workbridge/genesys-emulator")
      // Its organisation is kept next to the service's store, so the workitems (and the links to them) survive a restart.
      const emu = await startEmulator({
        port: g.emulatorPort,
        adminClientId: g.adminId,
        adminClientSecret: g.adminSecret,
        stateFile: path.join(config.dataDir, EMULATOR_STATE_FILE)
      })
      emulator = emu
      cleanups.push(() => emu.close())
      const provisioned = await provision({
        gatewayUrl: emu.url,
        clientId: g.adminId,
        clientSecret: g.adminSecret,
        catalog,
        worktypeName: config.worktypeName ?? DEFAULT_WORKTYPE_NAME
      })
      worktypeId = provisioned.worktypeId
      clientOptions = { gatewayUrl: emu.url, clientId: g.adminId, clientSecret: g.adminSecret }
      log.warn({ emulator: emu.url }, "no Genesys credentials configured: using the bundled LOCAL EMULATOR, not Genesys Cloud")
      if (Object.keys(credentials).length === 0) {
        credentials = demoCredentials()
        demo = true
        // The demo's helpdesks beside the Genesys emulator, unless a helpdesk API is configured (or they are off).
        if (config.helpdeskEmulators !== undefined && Object.keys(config.feeds.helpdesks).length === 0) {
          const started = await startDemoHelpdesks(config.helpdeskEmulators.ports)
          demoHelpdesks = started
          cleanups.push(() => started.close())
        }
      }
    } else {
      const g = config.genesys
      clientOptions = {
        clientId: g.clientId,
        clientSecret: g.clientSecret,
        ...(g.gatewayUrl !== undefined ? { gatewayUrl: g.gatewayUrl } : {}),
        ...(g.region !== undefined ? { region: g.region } : {})
      }
    }

    // Layers: one SQLite file for the inbox and the link store.
    const dbFile = path.join(config.dataDir, "workbridge.sqlite")
    const sqlite = Sqlite.layer(dbFile)
    // Distributed mode (WORKBRIDGE_QUEUE=rabbitmq, WORKBRIDGE_STATE=redis): RabbitMQ/Redis stores and a shared budget.
    const distributed =
      config.stores.distributed === undefined
        ? undefined
        : distributedLayers({
            settings: config.stores.distributed,
            hardLimit: config.inboxHardLimit,
            settleMs: config.coalesceMs,
            budgetPerMinute: config.budgetPerMinute,
            budgetBurst: config.budgetBurst,
            clientId: clientOptions.clientId,
            log,
            auditRetentionDays: config.auditRetentionDays
          })
    const stores =
      distributed?.stores ??
      Layer.mergeAll(SqliteInbox.layer({ hardLimit: config.inboxHardLimit, settleMs: config.coalesceMs }), SqliteLinkStore.layer).pipe(
        Layer.provide(sqlite)
      )
    // The per-ticket audit trail (the console's timeline), beside the link store; off with a retention of 0.
    const auditOn = config.auditRetentionDays > 0
    const auditLayer: Layer.Layer<AuditTrail, StoreError | DistributedStartError> = !auditOn
      ? Layer.succeed(AuditTrail, noAuditTrail)
      : (distributed?.audit ?? SqliteAuditTrail.layer({ retentionDays: config.auditRetentionDays, log }).pipe(Layer.provide(sqlite)))
    const base = Layer.mergeAll(
      Layer.succeed(Metrics, metrics),
      Layer.succeed(Log, log),
      distributed?.budget ?? rateBudgetLayer({ perMinute: config.budgetPerMinute, burst: config.budgetBurst })
    )
    const genesys = genesysLayer({
      ...clientOptions,
      timeoutMs: config.genesysTimeoutMs,
      maxInFlight: config.maxInFlight,
      retryBaseMs: config.retryBaseMs,
      retryMaxMs: config.retryMaxMs,
      retryAttempts: config.retryAttempts,
      permissionWindowSeconds: config.permissionWindowSeconds,
      longPauseSeconds: config.longPauseSeconds
    }).pipe(Layer.provide(Layer.merge(base, auditLayer)))
    const cursorsLayer = distributed?.cursors ?? sqliteCursorLayer.pipe(Layer.provide(sqlite))
    // Tracing: the OpenTelemetry SDK is loaded only when an OTLP endpoint is configured.
    const tracing = config.tracing === undefined ? Layer.empty : await loadTracing(config.tracing, options.traceExporter)
    const runtime = ManagedRuntime.make(Layer.mergeAll(stores, base, genesys, auditLayer, cursorsLayer, tracing))
    cleanups.push(() => runtime.dispose())
    const tracer = config.tracing === undefined ? undefined : await runtime.runPromise(Effect.tracer)
    if (config.tracing !== undefined) {
      const url = new URL(config.tracing.tracesUrl)
      // Where, not how: neither the headers nor any credentials or query of the URL are logged.
      log.info({ endpoint: `${url.origin}${url.pathname}`, serviceName: config.tracing.serviceName }, "exporting traces (OTLP over HTTP)")
    }

    const { inbox: storeInbox, links, client: sdkClient, budget, audit, cursors } = await runtime.runPromise(
      Effect.all({ inbox: Inbox, links: LinkStore, client: Genesys, budget: RateBudget, audit: AuditTrail, cursors: FeedCursors })
    )
    const inbox = auditOn ? auditedInbox(storeInbox, audit) : storeInbox
    const client = options.decorateGenesys?.(sdkClient) ?? sdkClient

    // The worktype and its statuses (the transition graph), resolved once.
    const resolveTarget = Effect.gen(function* () {
      let typeId = worktypeId
      if (typeId === undefined) {
        const found = yield* client.findWorktypeByName(config.worktypeName!)
        if (found === undefined) {
          return yield* Effect.fail(new ConfigError("WORKBRIDGE_WORKTYPE_NAME", `no worktype named "${config.worktypeName}" exists`))
        }
        typeId = found.id
      }
      yield* client.getWorktype(typeId)
      const statuses = yield* client.getStatuses(typeId)
      return {
        typeId,
        statuses,
        ...(config.skillIds !== undefined ? { skillIds: config.skillIds } : {}),
        ...(config.workbinId !== undefined ? { workbinId: config.workbinId } : {})
      } satisfies SyncTarget
    })
    // A missing worktype is a configuration error (exit 2, naming the variable), not retried; Genesys failures are.
    const resolved = await runtime.runPromise(
      resolveTarget.pipe(
        Effect.tapError((e) =>
          e instanceof ConfigError ? Effect.void : Effect.sync(() => log.warn({ error: e.message }, "cannot read the worktype yet; retrying"))
        ),
        Effect.retry({
          schedule: Schedule.exponential(500).pipe(Schedule.intersect(Schedule.recurs(5))),
          while: (e) => !(e instanceof ConfigError)
        }),
        Effect.either
      )
    )
    if (Either.isLeft(resolved)) throw resolved.left
    const target = resolved.right
    for (const s of catalog.statuses) {
      if (!target.statuses.some((x) => x.name === s.name)) {
        log.warn({ status: s.name, worktypeId: target.typeId }, "the worktype lacks a catalog status; tickets mapped to it will be dead-lettered")
      }
    }

    // Links written for another worktype (a fresh emulator, a deployment pointed at a new worktype) are not used.
    const otherWorktype = await runtime.runPromise(links.countOtherWorktype(target.typeId))
    if (otherWorktype > 0) {
      log.warn(
        { count: otherWorktype, worktypeId: target.typeId },
        `${otherWorktype} ticket link(s) point into another worktype: they are not used for updates; each such ticket is created afresh (or adopted by query) in this worktype on its next change`
      )
    }

    const engine = await runtime.runPromise(
      makeEngine({
        mapping: catalogMapping(catalog),
        target,
        ...(config.testCrashAt !== undefined ? { crashAt: config.testCrashAt } : {}),
        failureBackoffMs: Math.min(config.retryMaxMs, 5000),
        ambiguousCreateBackoffMs: config.genesysTimeoutMs + 1000,
        ...(tracer !== undefined ? { tracing: true } : {})
      }).pipe(Effect.provideService(Genesys, client))
    )
    const workers = runtime.runFork(engine.run(config.workers))
    cleanups.push(() => runtime.runPromise(Fiber.interrupt(workers)).then(() => undefined))

    // The helpdesk API feeds: a reconciliation fiber per source with an interval (a pass at start, then one per
    // interval; in distributed mode the Redis lock lets one replica run a source's pass at a time), and
    // fetch-on-notify on the webhook route.
    const mapping = catalogMapping(catalog)
    const feedSettings =
      demoHelpdesks === undefined
        ? config.feeds
        : feedSettingsFromEnv({ WORKBRIDGE_FETCH_ON_NOTIFY_FRESHDESK: "true" }, demoHelpdesks.configs)
    const feeds = makeFeeds({
      clients: options.helpdeskClients ?? makeClients(feedSettings.helpdesks),
      inbox,
      links,
      cursors,
      metrics,
      log,
      fetchOnNotify: feedSettings.fetchOnNotify,
      normalize: mapping.normalize,
      bulkCreate: {
        typeId: target.typeId,
        perJob: BULK_ADD_PER_JOB,
        // As the engine decides on a link miss: a store that knows the worktype from empty (its marker), or an
        // empty worktype (the marker is written), trusts "no link" to mean "no workitem".
        ready: Effect.gen(function* () {
          const marker = worktypeMarkerKey(target.typeId)
          if ((yield* links.get(marker)) !== undefined) return true
          const any = yield* Effect.orElseSucceed(client.queryWorkitems(target.typeId, [], { limit: 1 }), () => [{}])
          if (any.length > 0) return false
          yield* links.compareAndSet(marker, undefined, { workitemId: target.typeId, appliedRevision: "marker", appliedValues: {}, appliedAt: new Date().toISOString() })
          return true
        }),
        prepare: (event) => {
          const normalized = mapping.normalize(event.fields)
          if (normalized._tag === "Invalid") return normalized.issues.join("; ")
          const values: Record<string, unknown> = { ...normalized.values }
          if (catalog.fields.some((f) => f.key === "source_revision")) values["source_revision"] = event.revision
          if (catalog.fields.some((f) => f.key === "last_synced")) values["last_synced"] = new Date().toISOString()
          try {
            const ctx = { typeId: target.typeId, statusIds: Object.fromEntries(target.statuses.map((s) => [s.name, s.id])), ...(target.skillIds !== undefined ? { skillIds: target.skillIds } : {}) }
            const body = mapping.create(values, ctx)
            return { values, body: target.workbinId !== undefined ? { ...body, workbinId: target.workbinId } : body }
          } catch (e) {
            return e instanceof Error ? e.message : String(e)
          }
        },
        bulkAdd: (bodies) => client.bulkAddWorkitems(bodies)
      }
    })
    for (const [source, everyMs] of Object.entries(feedSettings.reconcileIntervalMs)) {
      const pass = feeds.reconcile(source).pipe(
        Effect.catchAll((e) =>
          Effect.sync(() =>
            e._tag === "PassBusy"
              ? log.debug({ source }, "reconciliation pass skipped: another runner holds it")
              : log.warn({ source, error: e.message }, "reconciliation pass failed; the cursor stays where it was")
          )
        ),
        Effect.catchAllDefect((d) => Effect.sync(() => log.error({ source, defect: d instanceof Error ? d.message : String(d) }, "reconciliation pass failed")))
      )
      const fiber = runtime.runFork(Effect.repeat(pass, Schedule.spaced(everyMs)))
      cleanups.push(() => runtime.runPromise(Fiber.interrupt(fiber)).then(() => undefined))
      log.info({ source, intervalSeconds: everyMs / 1000 }, "reconciliation scheduled")
    }

    // Gauges and alerts.
    let softAlert = false
    let deadAlert = false
    const longPauseAlerts = new Set<string>()
    const refreshGauges = Effect.gen(function* () {
      const depth = yield* inbox.depth
      const dead = yield* links.deadLetterCount
      metrics.inboxDepth.set(depth)
      metrics.deadLetters.set(dead)
      metrics.inboxOldestAge.set(yield* inbox.oldestAgeSeconds)
      metrics.budgetTokens.set(yield* budget.tokens)
      yield* feeds.refreshGauges
      const over = depth >= config.inboxSoftLimit
      metrics.inboxSoftLimitExceeded.set(over ? 1 : 0)
      if (over && !softAlert) {
        metrics.alerts.inc({ alert: "inbox_soft_limit" })
        log.warn({ depth, softLimit: config.inboxSoftLimit, hardLimit: config.inboxHardLimit }, "ALERT: the inbox is above its soft watermark")
      }
      softAlert = over
      const deadOver = dead > config.deadLetterAlert
      metrics.deadLetterAlert.set(deadOver ? 1 : 0)
      if (deadOver && !deadAlert) {
        metrics.alerts.inc({ alert: "dead_letters" })
        log.warn({ deadLetters: dead, threshold: config.deadLetterAlert }, "ALERT: the dead letters exceed their threshold")
      }
      deadAlert = deadOver
      // 429 pauses over the alert threshold, and 403s retried while permissions propagate.
      const long = client.longPauses()
      metrics.longPause.reset()
      for (const p of long) {
        metrics.longPause.set({ scope: p.scope }, 1)
        if (!longPauseAlerts.has(p.scope)) {
          log.warn({ scope: p.scope, until: new Date(p.until).toISOString(), threshold: config.longPauseSeconds }, "ALERT: a 429 paused this scope for longer than the threshold; other work goes on")
        }
      }
      longPauseAlerts.clear()
      for (const p of long) longPauseAlerts.add(p.scope)
      metrics.permissionWait.reset()
      for (const w of client.permissionWaits()) metrics.permissionWait.set({ operation: w.operation }, 1)
    }).pipe(Effect.catchAll((e) => Effect.sync(() => log.error({ error: e.message }, "metrics refresh failed"))))
    const monitor = runtime.runFork(Effect.repeat(refreshGauges, Schedule.spaced(1000)))
    cleanups.push(() => runtime.runPromise(Fiber.interrupt(monitor)).then(() => undefined))

    // Readiness answers from its own cached view of Genesys health (Readiness.ts): never queued behind the workers.
    // No retries: while Genesys or the service's credentials fail, the service is not ready (and the engine keeps
    // the events in the inbox until they work again).
    const genesysReady = cachedHealth(() =>
      runtime.runPromise(Effect.either(client.checkWorktype(target.typeId))).then((r) => {
        if (Either.isLeft(r)) throw new Error(r.left.message)
      })
    )

    const ticketStatus = (source: string, ticketId: string) =>
      runtime.runPromise(engine.ticketStatus({ source, ticketId })).then((s) =>
        s.workitemId === undefined && s.pendingEvents === 0 && s.lastError === undefined ? undefined : s
      )

    const dataActionsRouter = () => {
      try {
        return makeDataActionsRouter({
          catalog,
          auth: config.dataActionAuth,
          ticketStatus,
          onError: (error, context) =>
            log.error({ action: context.action, error: error instanceof Error ? error.message : String(error) }, "data action failed")
        })
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e)
        throw new ConfigError(/WORKBRIDGE_DATA_ACTION_\w+/.exec(message)?.[0] ?? "WORKBRIDGE_DATA_ACTION_TOKEN", message)
      }
    }

    const sources = makeSources(credentials)
    const ops = makeOpsConsole({
      inbox,
      links,
      engine,
      ...(auditOn ? { audit: audit satisfies AuditTrailService } : {}),
      metrics,
      budget,
      budgetPerMinute: config.budgetPerMinute,
      genesysReady,
      permissionsChanged: client.permissionsChanged,
      longPauses: client.longPauses,
      sources: [...new Set([...Object.keys(sources), ...Object.keys(config.edge.signatureHeaders)])].sort(),
      ...(config.edge.adminToken !== undefined ? { adminToken: config.edge.adminToken } : {}),
      secure: tlsOptions !== undefined,
      pauseScope: distributed !== undefined ? "every replica sharing this Genesys OAuth client (the Redis budget)" : "every Genesys call of this process",
      figuresScope: distributed !== undefined ? "Calls, 429s and sync lag are this replica's, since it started." : "Calls, 429s and sync lag since this process started.",
      log
    })
    cleanups.push(async () => ops.close())
    const app = makeApp({
      catalog,
      sources,
      credentials,
      inbox,
      links,
      engine,
      metrics,
      log,
      genesysReady,
      permissionWaits: client.permissionWaits,
      permissionsChanged: client.permissionsChanged,
      refreshGauges: () => runtime.runPromise(refreshGauges),
      inboxRetryAfterSeconds: config.inboxRetryAfterSeconds,
      ...config.edge,
      host: config.host,
      feeds,
      dataActions: dataActionsRouter(),
      ops: ops.router,
      ...(tracer !== undefined ? { tracer } : {}),
      ...(config.testCrashAt !== undefined ? { crashAt: config.testCrashAt } : {})
    })

    const server = createListener(app, tlsOptions)
    const port = await listen(server, config.port, config.host)
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve())
          server.closeAllConnections()
        })
    )
    const scheme = config.tls !== undefined ? "https" : "http"
    const hostForUrl = config.host.includes(":") ? `[${config.host}]` : config.host
    const url = `${scheme}://${hostForUrl}:${port}`
    // Which code runs: the production build (`pnpm build`, JavaScript) or the TypeScript sources (`pnpm start`, tsx).
    const code = import.meta.url.endsWith(".ts") ? "sources" : "compiled"
    log.info({ url, worktypeId: target.typeId, dataDir: config.dataDir, budgetPerMinute: config.budgetPerMinute, code }, "workbridge started")
    print(`workbridge listening on ${url}`)
    print(`Operator console: ${url}/ops${config.edge.adminToken !== undefined ? " (log in with WORKBRIDGE_ADMIN_TOKEN)" : ""}`)
    if (emulator !== undefined) {
      print(`Genesys: the bundled LOCAL EMULATOR at ${emulator.url} (not Genesys Cloud); admin client ${config.genesys._tag === "Embedded" ? config.genesys.adminId : ""}`)
      if (demo) {
        print(`Demo webhook credentials (no WEBHOOK_* variables set): HMAC secret "${DEMO_WEBHOOK_SECRET}" for zendesk, jira, github and generic; Basic "${DEMO_WEBHOOK_BASIC_AUTH}" for servicenow and freshdesk.`)
        print(`Send a signed sample webhook:  pnpm demo:send generic-ticket-created   (then: curl ${url}/tickets/generic/DEMO-1)`)
        if (demoHelpdesks !== undefined) {
          demoHelpdesks.point(url, credentials)
          for (const line of demoHelpdesks.instructions(url)) print(line)
        }
      }
    }

    let closed = false
    return {
      url,
      port,
      ...(emulator !== undefined ? { emulator } : {}),
      target,
      inbox,
      links,
      engine,
      genesys: client,
      metrics,
      feeds,
      close: async () => {
        if (closed) return
        closed = true
        await cleanup()
      }
    }
  } catch (e) {
    await cleanup()
    throw e
  }
}
