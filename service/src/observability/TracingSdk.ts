/**
 * The OpenTelemetry SDK behind `@effect/opentelemetry`: a Node tracer provider whose spans go, in batches, to an
 * OTLP/HTTP exporter (JSON bodies). Loaded only by `loadTracing` (Tracing.ts) when tracing is configured, so a
 * service without `OTEL_EXPORTER_OTLP_ENDPOINT` never loads any of it. The SDK reads its own `OTEL_BSP_*`
 * (batching) and `OTEL_TRACES_SAMPLER*` (sampling) variables.
 */
import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http"
import { BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter } from "@opentelemetry/sdk-trace-base"
import type { Layer } from "effect"
import type { TracingConfig } from "../config/Config.js"

/**
 * The layer that makes the OpenTelemetry tracer Effect's tracer; its release flushes the spans not yet exported.
 * `exporter` (tests) replaces the OTLP exporter and exports each span as it ends.
 */
export const layer = (config: TracingConfig, exporter?: SpanExporter): Layer.Layer<never> =>
  NodeSdk.layer(() => ({
    resource: { serviceName: config.serviceName },
    spanProcessor:
      exporter !== undefined
        ? new SimpleSpanProcessor(exporter)
        : new BatchSpanProcessor(new OTLPTraceExporter({ url: config.tracesUrl, headers: { ...config.headers } })),
    shutdownTimeout: "3 seconds"
  }))
