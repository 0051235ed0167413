/**
 * What the Genesys client tells about its calls: outcome counts, 429s and the pauses they set, long-pause alerts,
 * budget tokens dropped unused (their call not handed on within the hand-off deadline), and each request sent with its
 * status and latency (an audit trail records it against the ticket being applied). The service binds it to its
 * Prometheus metrics and audit trail; `noTelemetry` discards everything.
 */
import { Context, Effect, Layer } from "effect"
import type { PauseScopeKind } from "./RateBudget.js"

/** One request sent and its answer (or failure): `outcome` is `ok` or the failure's reason. */
export interface CallRecord {
  readonly operation: string
  readonly outcome: string
  readonly latencyMs: number
  readonly status?: number
  readonly body?: unknown
}

export interface GenesysTelemetryService {
  /** One attempt's outcome: `ok`, a `GenesysErrorReason`, or `HeldBack` (refused unsent under a scoped pause). */
  readonly callOutcome: (operation: string, outcome: string) => void
  /** A 429 answered. */
  readonly rateLimited: () => void
  /** A pause a 429 set, by the kind of scope it holds back. */
  readonly paused: (scope: PauseScopeKind) => void
  /** A pause longer than `longPauseSeconds` began while none of its kind was in force. */
  readonly longPauseBegan: (scope: PauseScopeKind) => void
  /** A budget token dropped unused: its call was not handed to the HTTP client within the hand-off deadline. */
  readonly tokenDropped: () => void
  /** One request sent, with its answer. */
  readonly sent: (record: CallRecord) => Effect.Effect<void>
}

export class GenesysTelemetry extends Context.Tag("@workbridge/genesys/GenesysTelemetry")<
  GenesysTelemetry,
  GenesysTelemetryService
>() {}

export const noTelemetry: GenesysTelemetryService = {
  callOutcome: () => undefined,
  rateLimited: () => undefined,
  paused: () => undefined,
  longPauseBegan: () => undefined,
  tokenDropped: () => undefined,
  sent: () => Effect.void
}

export const layerNoTelemetry: Layer.Layer<GenesysTelemetry> = Layer.succeed(GenesysTelemetry, noTelemetry)
