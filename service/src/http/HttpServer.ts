/**
 * The HTTP edge as a layer: the Express app (webhooks, tickets, Data Actions, operator console) on the service's
 * layers, listening until the scope closes, and the start-up lines. The app's callbacks run their effects on
 * this layer's runtime (the edge's runtime adapter).
 */
import type * as https from "node:https"
import type { Catalog } from "@workbridge/catalog"
import { Context, Effect, Either, Layer, Option, Runtime } from "effect"
import { makeApp } from "./index.js"
import { AuditTrail } from "../observability/AuditTrail.js"
import { ConfigError, type ServiceConfig } from "../config/Config.js"
import { makeDataActions } from "../dataActions/index.js"
import { DEMO_DATA_ACTION_BASIC_AUTH, DEMO_WEBHOOK_BASIC_AUTH, DEMO_WEBHOOK_SECRET } from "../demo/credentials.js"
import { DemoHelpdesksOption } from "../demo/helpdesks.js"
import { demoWriteBackInstructions, provisionDemoWriteBack } from "../demo/writeBack.js"
import { Engine } from "../sync/index.js"
import { Gauges } from "../observability/Gauges.js"
import { DEFAULT_WORKTYPE_NAME, Genesys, RateBudget } from "@workbridge/genesys"
import { GenesysOrg } from "../genesys/GenesysOrg.js"
import { Inbox } from "../inbox/Inbox.js"
import { LinkStore } from "../links/LinkStore.js"
import { createListener, serve, serviceUrl } from "./Listener.js"
import { Log } from "../observability/Log.js"
import { Metrics } from "../observability/Metrics.js"
import { makeOpsConsole } from "../ops/router.js"
import { cachedHealth } from "./Readiness.js"
import { HelpdeskFeeds } from "../feeds/Reconciliation.js"
import { HelpdeskClients } from "../feeds/HelpdeskClients.js"
import { makeIntake } from "../writeBack/Intake.js"
import { makeSources } from "../config/Sources.js"
import { Target } from "../sync/Workers.js"

/** Where the service answers. */
export interface ListeningService {
  readonly url: string
  readonly port: number
}

export class Listening extends Context.Tag("@workbridge/service/Listening")<Listening, ListeningService>() {}

export interface HttpSettings {
  readonly config: ServiceConfig
  readonly catalog: Catalog
  /** The native TLS listener's options, when TLS is configured. */
  readonly tls: https.ServerOptions | undefined
  /** Prints the human-readable start-up lines. */
  readonly print: (line: string) => void
}

type EdgeServices =
  | GenesysOrg
  | DemoHelpdesksOption
  | Inbox
  | LinkStore
  | Engine
  | Metrics
  | Log
  | Genesys
  | Target
  | HelpdeskFeeds
  | Gauges
  | RateBudget
  | AuditTrail
  | HelpdeskClients

/** The Data Action routes; a bad `WORKBRIDGE_DATA_ACTION_*` setting is a configuration error naming it. */
const dataActionsRouter = (
  config: ServiceConfig,
  catalog: Catalog,
  runtime: Runtime.Runtime<EdgeServices>,
  auth: ServiceConfig["dataActionAuth"]
) =>
  Effect.gen(function* () {
    const engine = yield* Engine
    const log = yield* Log
    const ticketStatus = (source: string, ticketId: string) =>
      Runtime.runPromise(runtime)(engine.ticketStatus({ source, ticketId })).then((s) =>
        s.workitemId === undefined && s.pendingEvents === 0 && s.lastError === undefined ? undefined : s
      )
    const org = yield* GenesysOrg
    const intake = makeIntake({
      catalog,
      inbox: yield* Inbox,
      metrics: yield* Metrics,
      sources: Object.keys((yield* HelpdeskClients).writers),
      selfIds: [org.clientOptions.clientId]
    })
    // A failure rejects with the typed error itself (InboxFull, StoreError), which the router answers 503.
    const workitemEvent = (body: unknown) =>
      Runtime.runPromise(runtime)(Effect.either(intake(body))).then((r) => {
        if (Either.isLeft(r)) throw r.left
        return r.right
      })
    return yield* Effect.try({
      try: () =>
        makeDataActions({
          catalog,
          auth,
          ticketStatus,
          workitemEvent,
          retryAfterSeconds: config.inboxRetryAfterSeconds,
          onError: (error, context) =>
            log.error(
              { action: context.action, error: error instanceof Error ? error.message : String(error) },
              "data action failed"
            )
        }),
      catch: (e) => {
        const message = e instanceof Error ? e.message : String(e)
        return new ConfigError(
          /WORKBRIDGE_DATA_ACTION_\w+/.exec(message)?.[0] ?? "WORKBRIDGE_DATA_ACTION_TOKEN",
          message
        )
      }
    })
  })

/** The operator console, its metric sampler stopped when the scope closes. */
const opsConsole = (
  config: ServiceConfig,
  secure: boolean,
  sources: ReadonlyArray<string>,
  genesysReady: () => Promise<void>,
  runtime: Runtime.Runtime<EdgeServices>
) =>
  Effect.gen(function* () {
    const client = yield* Genesys
    const audit = yield* AuditTrail
    const distributed = config.stores.distributed !== undefined
    const deps = {
      inbox: yield* Inbox,
      links: yield* LinkStore,
      engine: yield* Engine,
      ...(config.auditRetentionDays > 0 ? { audit } : {}),
      metrics: yield* Metrics,
      budget: yield* RateBudget,
      budgetPerMinute: config.budgetPerMinute,
      genesysReady,
      permissionsChanged: client.permissionsChanged,
      longPauses: client.longPauses,
      sources,
      ...(config.edge.adminToken !== undefined ? { adminToken: config.edge.adminToken } : {}),
      secure,
      pauseScope: distributed
        ? "every replica sharing this Genesys OAuth client (the Redis budget)"
        : "every Genesys call of this process",
      figuresScope: distributed
        ? "Calls, 429s and sync lag are this replica's, since it started."
        : "Calls, 429s and sync lag since this process started.",
      log: yield* Log
    }
    return yield* Effect.acquireRelease(
      Effect.sync(() => makeOpsConsole(deps, runtime)),
      (ops) => Effect.sync(() => ops.close())
    )
  })

/**
 * The Data Action credential: the configured one; with the bundled emulator and none configured, the demo's (which
 * the emulator's integration is provisioned with).
 */
const dataActionAuthOf = (config: ServiceConfig, org: GenesysOrg["Type"]): ServiceConfig["dataActionAuth"] =>
  org.emulator !== undefined &&
  config.dataActionAuth.basicAuth === undefined &&
  config.dataActionAuth.bearerToken === undefined
    ? { basicAuth: DEMO_DATA_ACTION_BASIC_AUTH }
    : config.dataActionAuth

/** How long the demo's write-back provisioning may take before the service starts without it. */
const DEMO_WRITE_BACK_TIMEOUT = "60 seconds"

/**
 * With the bundled emulator: provision the write-back chain pointing at the service's own URL (`url`, known once it
 * listens) and return how to act as an agent. A failure is logged and the service runs on without write-back.
 */
const demoWriteBack = (config: ServiceConfig, catalog: Catalog, org: GenesysOrg["Type"], url: string) =>
  Effect.gen(function* () {
    const g = config.genesys
    const emulator = org.emulator
    if (emulator === undefined || g._tag !== "Embedded") return [] as ReadonlyArray<string>
    const log = yield* Log
    const auth = dataActionAuthOf(config, org).basicAuth
    if (auth === undefined) {
      log.warn({}, "write-back chain not provisioned: the Data Actions take a bearer token, the emulator sends Basic")
      return []
    }
    const result = yield* Effect.either(
      Effect.tryPromise(() =>
        provisionDemoWriteBack({
          gatewayUrl: emulator.url,
          adminId: g.adminId,
          adminSecret: g.adminSecret,
          catalog,
          worktypeName: config.worktypeName ?? DEFAULT_WORKTYPE_NAME,
          serviceUrl: url,
          basicAuth: auth
        })
      ).pipe(Effect.timeout(DEMO_WRITE_BACK_TIMEOUT))
    )
    if (Either.isLeft(result)) {
      const cause = "cause" in result.left ? result.left.cause : result.left
      log.warn(
        { error: cause instanceof Error ? cause.message : String(cause) },
        "write-back chain not provisioned in the bundled emulator"
      )
      return []
    }
    if (result.right._tag === "Skipped") {
      log.info({ reason: result.right.reason }, "write-back chain not provisioned in the bundled emulator")
      return []
    }
    return demoWriteBackInstructions(emulator.url, url, result.right)
  })

/** What the service prints once it listens (the listening line first: supervisors and tests wait for it). */
const startupLines = (config: ServiceConfig, url: string, org: GenesysOrg["Type"]): Array<string> => {
  const lines = [
    `workbridge listening on ${url}`,
    `Operator console: ${url}/ops${config.edge.adminToken !== undefined ? " (log in with WORKBRIDGE_ADMIN_TOKEN)" : ""}`
  ]
  if (org.emulator === undefined) return lines
  lines.push(
    `Genesys: the bundled LOCAL EMULATOR at ${org.emulator.url} (not Genesys Cloud); admin client ${config.genesys._tag === "Embedded" ? config.genesys.adminId : ""}`
  )
  if (org.demo) {
    lines.push(
      `Demo webhook credentials (no WEBHOOK_* variables set): HMAC secret "${DEMO_WEBHOOK_SECRET}" for zendesk, jira, github and generic; Basic "${DEMO_WEBHOOK_BASIC_AUTH}" for servicenow and freshdesk.`,
      `Send a signed sample webhook:  pnpm demo:send generic-ticket-created   (then: curl ${url}/tickets/generic/DEMO-1)`
    )
  }
  return lines
}

export const HttpServerLive = (settings: HttpSettings): Layer.Layer<Listening, ConfigError, EdgeServices> =>
  Layer.scoped(
    Listening,
    Effect.gen(function* () {
      const { config, catalog, tls } = settings
      const runtime = yield* Effect.runtime<EdgeServices>()
      const run = Runtime.runPromise(runtime)
      const org = yield* GenesysOrg
      const client = yield* Genesys
      const target = yield* Target
      const gauges = yield* Gauges
      const log = yield* Log
      // Readiness answers from its own cached view of Genesys health (Readiness.ts): never queued behind the
      // workers. No retries: while Genesys or the service's credentials fail, the service is not ready (and the
      // engine keeps the events in the inbox until they work again).
      const genesysReady = cachedHealth(() =>
        run(Effect.either(client.checkWorktype(target.typeId))).then((r) => {
          if (Either.isLeft(r)) throw new Error(r.left.message)
        })
      )
      const sources = yield* Effect.try({ try: () => makeSources(org.credentials), catch: (e) => e as ConfigError })
      const dataActions = yield* dataActionsRouter(config, catalog, runtime, dataActionAuthOf(config, org))
      const sourceNames = [...new Set([...Object.keys(sources), ...Object.keys(config.edge.signatureHeaders)])].sort()
      const ops = yield* opsConsole(config, tls !== undefined, sourceNames, genesysReady, runtime)
      const tracer = config.tracing === undefined ? undefined : yield* Effect.tracer
      const app = makeApp(
        {
          catalog,
          sources,
          credentials: org.credentials,
          inbox: yield* Inbox,
          links: yield* LinkStore,
          engine: yield* Engine,
          metrics: yield* Metrics,
          log,
          genesysReady,
          permissionWaits: client.permissionWaits,
          permissionsChanged: client.permissionsChanged,
          refreshGauges: () => run(gauges.refresh),
          inboxRetryAfterSeconds: config.inboxRetryAfterSeconds,
          ...config.edge,
          host: config.host,
          feeds: yield* HelpdeskFeeds,
          dataActions,
          ops: ops.router,
          ...(tracer !== undefined ? { tracer } : {}),
          ...(config.testCrashAt !== undefined ? { crashAt: config.testCrashAt } : {})
        },
        runtime
      )
      const port = yield* serve(createListener(app, tls), config.port, config.host)
      const url = serviceUrl(config.host, port, tls !== undefined)
      // Which code runs: the production build (`pnpm build`, JavaScript) or the TypeScript sources (`pnpm start`, tsx).
      const code = import.meta.url.endsWith(".ts") ? "sources" : "compiled"
      log.info(
        { url, worktypeId: target.typeId, dataDir: config.dataDir, budgetPerMinute: config.budgetPerMinute, code },
        "workbridge started"
      )
      for (const line of startupLines(config, url, org)) settings.print(line)
      const demoHelpdesks = yield* DemoHelpdesksOption
      if (org.demo && Option.isSome(demoHelpdesks)) {
        demoHelpdesks.value.point(url, org.credentials)
        for (const line of demoHelpdesks.value.instructions(url)) settings.print(line)
      }
      for (const line of yield* demoWriteBack(config, catalog, org, url)) settings.print(line)
      return { url, port }
    })
  )
