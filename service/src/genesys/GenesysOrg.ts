/**
 * Which Genesys organisation the service talks to: a configured org (or gateway), or — without credentials — the
 * bundled emulator, started beside the service and provisioned from the catalog, with the demo's webhook
 * credentials when no `WEBHOOK_*` variable is set.
 */
import type { SourceCredentials } from "@workbridge/adapters"
import type { Catalog } from "@workbridge/catalog"
import type { Emulator } from "@workbridge/genesys-emulator"
import { Context, Effect, Layer } from "effect"
import * as path from "node:path"
import type { AuditTrail } from "../observability/AuditTrail.js"
import type { ServiceConfig } from "../config/Config.js"
import { DEFAULT_WORKTYPE_NAME, Genesys, type GenesysService, provision, type RateBudget } from "@workbridge/genesys"
import { layer as genesysLayer } from "./GenesysLive.js"
import { Log } from "../observability/Log.js"
import type { Metrics } from "../observability/Metrics.js"
import { demoCredentials } from "../config/Sources.js"

/** The bundled emulator's state file, in the data directory. */
export const EMULATOR_STATE_FILE = "genesys-emulator.json"

export interface GenesysClientCredentials {
  readonly gatewayUrl?: string
  readonly region?: string
  readonly clientId: string
  readonly clientSecret: string
}

export interface GenesysOrgService {
  readonly clientOptions: GenesysClientCredentials
  /** The worktype: configured, provisioned in the bundled emulator, or undefined (looked up by name). */
  readonly worktypeId?: string
  /** The webhook credentials per source (the demo's when the bundled emulator runs without any configured). */
  readonly credentials: Readonly<Record<string, SourceCredentials>>
  /** The demo: the bundled emulator with the demo's webhook credentials. */
  readonly demo: boolean
  /** The bundled emulator, when the service started one. */
  readonly emulator?: Emulator
}

export class GenesysOrg extends Context.Tag("@workbridge/service/GenesysOrg")<GenesysOrg, GenesysOrgService>() {}

/** The bundled emulator, closed with the scope; its organisation is kept next to the service's store. */
const bundledEmulator = (config: ServiceConfig, g: Extract<ServiceConfig["genesys"], { _tag: "Embedded" }>) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      // Loaded only here: a service that talks to Genesys (or an external gateway) never loads the emulator.
      const { startEmulator } = await import("@workbridge/genesys-emulator")
      // Kept next to the service's store, so the workitems (and the links to them) survive a restart.
      return startEmulator({
        port: g.emulatorPort,
        adminClientId: g.adminId,
        adminClientSecret: g.adminSecret,
        stateFile: path.join(config.dataDir, EMULATOR_STATE_FILE)
      })
    }),
    (emu) => Effect.promise(() => emu.close()).pipe(Effect.catchAllCause(() => Effect.void))
  )

export const GenesysOrgLive = (config: ServiceConfig, catalog: Catalog): Layer.Layer<GenesysOrg, never, Log> =>
  Layer.scoped(
    GenesysOrg,
    Effect.gen(function* () {
      const g = config.genesys
      if (g._tag !== "Embedded") {
        return {
          clientOptions: {
            clientId: g.clientId,
            clientSecret: g.clientSecret,
            ...(g.gatewayUrl !== undefined ? { gatewayUrl: g.gatewayUrl } : {}),
            ...(g.region !== undefined ? { region: g.region } : {})
          },
          ...(config.worktypeId !== undefined ? { worktypeId: config.worktypeId } : {}),
          credentials: config.webhooks,
          demo: false
        } satisfies GenesysOrgService
      }
      const log = yield* Log
      const emulator = yield* bundledEmulator(config, g)
      const provisioned = yield* Effect.promise(() =>
        provision({
          gatewayUrl: emulator.url,
          clientId: g.adminId,
          clientSecret: g.adminSecret,
          catalog,
          worktypeName: config.worktypeName ?? DEFAULT_WORKTYPE_NAME
        })
      )
      log.warn(
        { emulator: emulator.url },
        "no Genesys credentials configured: using the bundled LOCAL EMULATOR, not Genesys Cloud"
      )
      const demo = Object.keys(config.webhooks).length === 0
      return {
        clientOptions: { gatewayUrl: emulator.url, clientId: g.adminId, clientSecret: g.adminSecret },
        worktypeId: provisioned.worktypeId,
        credentials: demo ? demoCredentials() : config.webhooks,
        demo,
        emulator
      } satisfies GenesysOrgService
    })
  )

/**
 * The Genesys client of the service (official SDK) on the org's credentials, sharing the rate budget and
 * recording its calls in the audit trail; `decorate` (test-only) wraps it.
 */
export const GenesysLive = (
  config: ServiceConfig,
  decorate?: (genesys: GenesysService) => GenesysService
): Layer.Layer<Genesys, never, GenesysOrg | RateBudget | Metrics | AuditTrail> =>
  Layer.unwrapEffect(
    Effect.map(GenesysOrg, (org) => {
      const client = genesysLayer({
        ...org.clientOptions,
        timeoutMs: config.genesysTimeoutMs,
        maxInFlight: config.maxInFlight,
        retryBaseMs: config.retryBaseMs,
        retryMaxMs: config.retryMaxMs,
        retryAttempts: config.retryAttempts,
        permissionWindowSeconds: config.permissionWindowSeconds,
        longPauseSeconds: config.longPauseSeconds
      })
      return decorate === undefined
        ? client
        : Layer.effect(Genesys, Effect.map(Genesys, decorate)).pipe(Layer.provide(client))
    })
  )
