/**
 * Tracing on (Tracing.ts): the server span of a webhook request, ended when the response is sent (or the
 * connection closes), kept in `res.locals.requestSpan` for the inbox write to be its child. Off, the app does not
 * mount this at all.
 */
import type { Adapter } from "@workbridge/adapters"
import type { Tracer } from "effect"
import type express from "express"
import { type RequestSpan, startRequestSpan } from "../../observability/Tracing.js"
import { adapterOf, type SourceParams } from "./webhookSource.js"

/** The request's server span, when tracing is on. */
export const requestSpanOf = (res: express.Response): RequestSpan | undefined =>
  res.locals["requestSpan"] as RequestSpan | undefined

export const webhookRequestSpan = (
  tracer: Tracer.Tracer,
  sources: Readonly<Record<string, Adapter>>
): express.RequestHandler<SourceParams> =>
  function webhookRequestSpan(req, res, next) {
    // Like the metric labels: a configured source name, or "unknown" (a path is not an attribute).
    const param = req.params.source
    const span = startRequestSpan(tracer, adapterOf(sources, param) === undefined ? "unknown" : param)
    res.locals["requestSpan"] = span
    res.once("finish", () => span.end(res.statusCode))
    res.once("close", () => span.end(res.statusCode))
    next()
  }
