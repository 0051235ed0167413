/**
 * The HTTP edge (Express 5), assembled: the admin gate, the route modules — webhooks (webhooks.ts), health,
 * readiness and metrics (health.ts), the admin endpoints (admin.ts), the Data Actions and the operator console
 * (built by their own folders and mounted here) — then `notFound` and the one error handler that maps typed
 * errors to statuses and JSON bodies (middleware/errors.ts). `makeApp` never listens.
 *
 * Handlers run their effects on the application's runtime through one `EdgeRunner` (runtime.ts).
 */
import { type Adapter, makeGenericAdapter, type SourceCredentials } from "@workbridge/adapters"
import type { Catalog } from "@workbridge/catalog"
import type { Tracer } from "effect"
import express from "express"
import type { Logger } from "pino"
import { DATA_ACTIONS_MOUNT } from "@workbridge/data-actions"
import type { CrashPoint } from "../config/Config.js"
import type { DataActions } from "../dataActions/router.js"
import type { EngineService } from "../sync/index.js"
import type { Feeds } from "../feeds/Feeds.js"
import type { InboxService } from "../inbox/Inbox.js"
import type { LinkStoreService } from "../links/LinkStore.js"
import type { ServiceMetrics } from "../observability/Metrics.js"
import type { PermissionWait } from "./Readiness.js"
import { mountAdmin } from "./admin.js"
import { mountHealth } from "./health.js"
import { adminGate } from "./middleware/adminAuth.js"
import { MAX_WEBHOOK_BYTES } from "./middleware/body.js"
import { errorHandler, notFound } from "./middleware/errors.js"
import { type EdgeRuntime, makeEdgeRunner } from "./runtime.js"
import { mountWebhooks } from "./webhooks.js"

export interface AppDeps {
  readonly catalog: Catalog
  /** Source name → adapter (built-ins and configured generic sources). */
  readonly sources: Readonly<Record<string, Adapter>>
  /** Source name → configured credentials. */
  readonly credentials: Readonly<Record<string, SourceCredentials>>
  readonly inbox: InboxService
  readonly links: LinkStoreService
  readonly engine: EngineService
  readonly metrics: ServiceMetrics
  readonly log: Logger
  /** Readiness beyond the inbox: Genesys reachable and authenticated. Rejects with the reason. */
  readonly genesysReady: () => Promise<void>
  /** Refresh gauges before /metrics renders. */
  readonly refreshGauges: () => Promise<void>
  /** Operations whose 403s are retried while permissions propagate; `/readyz` lists them (they do not fail it). */
  readonly permissionWaits?: () => ReadonlyArray<PermissionWait>
  /** Replaying a `GenesysForbidden` dead letter says the role was changed: a new permission-propagation window. */
  readonly permissionsChanged?: () => void
  readonly inboxRetryAfterSeconds: number
  readonly maxBodyBytes?: number
  readonly dataActions?: DataActions
  readonly crashAt?: CrashPoint
  /** Replay window of timestamped signatures (Zendesk), passed to `verify`; default the adapter's (300 s). */
  readonly webhookToleranceSeconds?: number
  /** Generic source → its signature header (`WEBHOOK_SIGNATURE_HEADER_<SOURCE>`): the source gets a generic adapter reading it. */
  readonly signatureHeaders?: Readonly<Record<string, string>>
  /**
   * `WORKBRIDGE_ADMIN_TOKEN`: when set, `/metrics`, `/tickets/*` and `/dead-letters*` require
   * `Authorization: Bearer <token>`; when unset they are open on a loopback `host` (with a warning) and refused
   * with 403 on any other host unless `adminOpen` is set.
   */
  readonly adminToken?: string
  /** The operator console (mounted at /ops; it checks the admin token itself). */
  readonly ops?: express.Router
  /** `WORKBRIDGE_ADMIN_OPEN=true`: the operator's explicit opt-out, exposing the admin endpoints without a token. */
  readonly adminOpen?: boolean
  /** The address the listener binds (`HOST`); undefined is taken as loopback. */
  readonly host?: string
  /** The helpdesk API feeds: fetch-on-notify for the webhook route, `POST /reconcile/:source` for a pass by hand. */
  readonly feeds?: Feeds
  /** Longest wait of `/readyz` for each of its checks (default 2000 ms): past it, the check reports not ready. */
  readonly readyTimeoutMs?: number
  /**
   * The tracer when tracing is on (Tracing.ts): each webhook request gets a server span and the inbox write an
   * `Inbox.accept` span whose context is stored with the event. Without it the webhook path creates no span.
   */
  readonly tracer?: Tracer.Tracer
}

/** The sources with `signatureHeaders` applied: each named source becomes a generic adapter reading that header. */
export const withSignatureHeaders = (
  sources: Readonly<Record<string, Adapter>>,
  signatureHeaders: Readonly<Record<string, string>>
): Record<string, Adapter> => {
  const out: Record<string, Adapter> = { ...sources }
  for (const [name, signatureHeader] of Object.entries(signatureHeaders))
    out[name] = makeGenericAdapter({ name, signatureHeader })
  return out
}

/**
 * The edge's Express app. `runtime` is what the handlers run their effects on: the service's `ManagedRuntime`
 * (or any `Runtime` whose context the ports' effects need nothing from); default Effect's default runtime.
 */
export const makeApp = (deps: AppDeps, runtime?: EdgeRuntime): express.Express => {
  const app = express()
  app.disable("x-powered-by")
  app.set("etag", false)
  const runner = makeEdgeRunner(runtime)
  const maxBodyBytes = deps.maxBodyBytes ?? MAX_WEBHOOK_BYTES
  const sources = withSignatureHeaders(deps.sources, deps.signatureHeaders ?? {})

  // The ingest path first: a webhook is matched by the first layers of the app. (Its path is none of the gate's.)
  mountWebhooks(app, { ...deps, sources, runner, maxBodyBytes })
  const gate = adminGate({ adminToken: deps.adminToken, adminOpen: deps.adminOpen, host: deps.host, log: deps.log })
  if (gate !== undefined) app.use([...gate.paths], gate.middleware)
  mountHealth(app, { ...deps, runner, readyTimeoutMs: deps.readyTimeoutMs ?? 2000 })
  mountAdmin(app, { ...deps, runner })
  if (deps.dataActions !== undefined) deps.dataActions.mountOn(app, DATA_ACTIONS_MOUNT)
  if (deps.ops !== undefined) app.use("/ops", deps.ops)

  app.use(notFound)
  app.use(
    errorHandler({
      sources,
      maxBodyBytes,
      retryAfterSeconds: deps.inboxRetryAfterSeconds,
      metrics: deps.metrics,
      log: deps.log
    })
  )
  return app
}
