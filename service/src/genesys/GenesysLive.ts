/**
 * The Genesys client as the service runs it: the package's client (`@workbridge/genesys`) with its telemetry bound to
 * the service's Prometheus metrics and, when one is configured, its audit trail (each call recorded against the
 * ticket being applied).
 */
import {
  type Genesys,
  type GenesysClientOptions,
  GenesysTelemetry,
  type GenesysTelemetryService,
  genesysLayer,
  type RateBudget
} from "@workbridge/genesys"
import { Effect, Layer } from "effect"
import { AuditTrail, recordCall } from "../observability/AuditTrail.js"
import { Metrics } from "../observability/Metrics.js"

/**
 * Outcome counts, 429s, pauses, long-pause alerts and dropped budget tokens to the metrics; each request sent to the
 * audit trail.
 */
export const telemetryLayer: Layer.Layer<GenesysTelemetry, never, Metrics> = Layer.effect(
  GenesysTelemetry,
  Effect.gen(function* () {
    const metrics = yield* Metrics
    const audit = yield* Effect.serviceOption(AuditTrail)
    const telemetry: GenesysTelemetryService = {
      callOutcome: (operation, outcome) => metrics.genesysCalls.inc({ operation, outcome }),
      rateLimited: () => metrics.rateLimited.inc(),
      paused: (scope) => metrics.pauses.inc({ scope }),
      longPauseBegan: () => metrics.alerts.inc({ alert: "long_pause" }),
      tokenDropped: () => metrics.budgetTokensDropped.inc(),
      sent: (record) => recordCall(audit, record)
    }
    return telemetry
  })
)

/** The Genesys client over the rate budget, reporting to the service's metrics and audit trail. */
export const layer = (options: GenesysClientOptions): Layer.Layer<Genesys, never, RateBudget | Metrics> =>
  genesysLayer(options).pipe(Layer.provide(telemetryLayer))
