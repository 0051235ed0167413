/**
 * Traces (docs/service.md, "Tracing"): off unless an OTLP endpoint is configured. This module holds what the
 * edge and the engine need — the W3C `traceparent` of a span, the request and apply spans — and imports nothing
 * of OpenTelemetry: the SDK (TracingSdk.ts) is loaded by `loadTracing` only when tracing is on.
 *
 * One trace per event: the webhook request (a root server span) → `Inbox.accept` (its traceparent is stored with
 * the event: a column of the SQLite inbox, a header of the RabbitMQ message) → `Engine.apply` (parented on the
 * stored context of the batch's newest event, linked to every event's context) → `Genesys.<operation>` per SDK call.
 * (The SDK's types are imported as types only: erased, they load nothing.)
 */
import type { SpanExporter } from "@opentelemetry/sdk-trace-base"
import { Clock, Effect, Exit, type Layer, Tracer } from "effect"
import type { TracingConfig } from "../config/Config.js"
import type { TicketBatch } from "../domain/records.js"

/** Span attribute names. */
export const SPAN_ATTRIBUTES = {
  source: "workbridge.ticket.source",
  ticketId: "workbridge.ticket.id",
  revision: "workbridge.ticket.revision",
  outcome: "workbridge.outcome",
  events: "workbridge.events"
} as const

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/

/** The W3C `traceparent` (version 00) of a span: `00-<trace id>-<span id>-<flags>`. */
export const traceparentOf = (span: Tracer.AnySpan): string =>
  `00-${span.traceId}-${span.spanId}-${span.sampled ? "01" : "00"}`

/** The span a stored `traceparent` names, or undefined when it is absent or not a valid version-00 traceparent. */
export const spanOfTraceparent = (traceparent: string | undefined): Tracer.ExternalSpan | undefined => {
  if (traceparent === undefined) return undefined
  const m = TRACEPARENT.exec(traceparent)
  if (m === null || /^0+$/.test(m[1]!) || /^0+$/.test(m[2]!)) return undefined
  return Tracer.externalSpan({ traceId: m[1]!, spanId: m[2]!, sampled: (parseInt(m[3]!, 16) & 1) === 1 })
}

/** The tracer's layer: the OpenTelemetry SDK exporting to `config.tracesUrl` (or to `exporter`, in tests). */
export const loadTracing = async (config: TracingConfig, exporter?: SpanExporter): Promise<Layer.Layer<never>> => {
  const sdk = await import("./TracingSdk.js")
  return sdk.layer(config, exporter)
}

/** A webhook request's server span, ended with the response's status. */
export interface RequestSpan {
  readonly span: Tracer.Span
  readonly end: (status: number) => void
}

/** Start the server span of a webhook request (a root: a sender's own `traceparent` is not trusted). */
export const startRequestSpan = (tracer: Tracer.Tracer, source: string): RequestSpan => {
  const span = Effect.runSync(
    Effect.makeSpan("POST /webhooks/:source", {
      kind: "server",
      root: true,
      attributes: { "http.request.method": "POST", "http.route": "/webhooks/:source", [SPAN_ATTRIBUTES.source]: source }
    }).pipe(Effect.withTracer(tracer))
  )
  let ended = false
  return {
    span,
    end: (status) => {
      if (ended) return
      ended = true
      span.attribute("http.response.status_code", status)
      span.end(Effect.runSync(Clock.currentTimeNanos), status >= 500 ? Exit.fail(`HTTP ${status}`) : Exit.void)
    }
  }
}

/**
 * Run the inbox write `accept` inside an `Inbox.accept` span, child of the request span; `accept` gets that span's
 * traceparent to store with the event. The outcome (accepted, duplicate) becomes an attribute of both spans.
 */
export const tracedAccept = <A extends { readonly _tag: string }, E>(
  tracer: Tracer.Tracer,
  request: Tracer.Span,
  event: { readonly source: string; readonly ticketId: string; readonly revision: string },
  accept: (traceparent: string) => Effect.Effect<A, E>
): Effect.Effect<A, E> => {
  request.attribute(SPAN_ATTRIBUTES.ticketId, event.ticketId)
  request.attribute(SPAN_ATTRIBUTES.revision, event.revision)
  return Effect.flatMap(Effect.currentSpan, (span) => accept(traceparentOf(span))).pipe(
    Effect.catchTag("NoSuchElementException", () => Effect.die(new Error("no span around the inbox write"))),
    Effect.tap((r) =>
      Effect.sync(() => request.attribute(SPAN_ATTRIBUTES.outcome, r._tag.toLowerCase())).pipe(
        Effect.zipRight(Effect.annotateCurrentSpan(SPAN_ATTRIBUTES.outcome, r._tag.toLowerCase()))
      )
    ),
    Effect.withSpan("Inbox.accept", {
      kind: "producer",
      parent: request,
      attributes: {
        [SPAN_ATTRIBUTES.source]: event.source,
        [SPAN_ATTRIBUTES.ticketId]: event.ticketId,
        [SPAN_ATTRIBUTES.revision]: event.revision
      }
    }),
    Effect.withTracer(tracer)
  ) as Effect.Effect<A, E>
}

/**
 * Run one apply of `batch` inside an `Engine.apply` span. The engine coalesces a ticket's pending events into one
 * apply, so the span belongs to several traces at once: it is parented on the context stored with the newest event
 * (the revision the apply writes: its trace is the one that reaches Genesys) and linked to the context of every
 * event of the batch (the older ones, superseded by it, lead to it through their links). Events stored without a
 * context (accepted while tracing was off, dead-letter replays) make it a root span. The outcome — `Applied`,
 * `Superseded`, `DeadLettered`, or `retry` when the events stay in the inbox — is an attribute.
 */
export const withApplySpan =
  (batch: TicketBatch) =>
  <A extends { readonly result: { readonly _tag: string } }, E, R>(
    apply: Effect.Effect<A, E, R>
  ): Effect.Effect<A, E, R> => {
    const contexts = batch.entries.map((e) => spanOfTraceparent(e.traceparent))
    const newest = batch.entries[batch.entries.length - 1]
    const parent = contexts[contexts.length - 1]
    const links: Array<Tracer.SpanLink> = []
    batch.entries.forEach((e, i) => {
      const span = contexts[i]
      if (span !== undefined)
        links.push({ _tag: "SpanLink", span, attributes: { [SPAN_ATTRIBUTES.revision]: e.event.revision } })
    })
    return apply.pipe(
      Effect.tapBoth({
        onSuccess: (r) => Effect.annotateCurrentSpan(SPAN_ATTRIBUTES.outcome, r.result._tag),
        onFailure: () => Effect.annotateCurrentSpan(SPAN_ATTRIBUTES.outcome, "retry")
      }),
      Effect.withSpan("Engine.apply", {
        kind: "consumer",
        ...(parent !== undefined ? { parent } : { root: true }),
        links,
        attributes: {
          [SPAN_ATTRIBUTES.source]: batch.key.source,
          [SPAN_ATTRIBUTES.ticketId]: batch.key.ticketId,
          ...(newest !== undefined ? { [SPAN_ATTRIBUTES.revision]: newest.event.revision } : {}),
          [SPAN_ATTRIBUTES.events]: batch.entries.length
        }
      })
    )
  }
