/**
 * `POST /webhooks/:source`, the ingest path: [the request's server span, when tracing is on] → the source is known
 * and has credentials → the body is not compressed → the raw body, size-limited (these three in one handler) →
 * authenticity, decoding, the inbox write (202). The handlers are registered on the app itself (no nested router:
 * no extra dispatch per request), the inbox write is a plain Promise when the inbox has one — no Effect runtime
 * entry per webhook — and the answers are written as JSON directly (the headers Express's `res.json` sets here).
 */
import type { Adapter, SourceCredentials } from "@workbridge/adapters"
import { type Catalog, compareRevision, type TicketEvent } from "@workbridge/catalog"
import { Either, type Tracer } from "effect"
import type express from "express"
import type { Logger } from "pino"
import type { CrashPoint } from "../config/Config.js"
import { crashIfAt } from "../sync/index.js"
import type { Feeds } from "../feeds/Feeds.js"
import { acceptPromiseOf, type InboxService } from "../inbox/Inbox.js"
import type { ServiceMetrics } from "../observability/Metrics.js"
import { tracedAccept } from "../observability/Tracing.js"
import { HttpError } from "./httpError.js"
import { sendJson } from "./sendJson.js"
import { encodingRefusal, readRawBody } from "./middleware/body.js"
import { requestSpanOf, webhookRequestSpan } from "./middleware/requestSpan.js"
import { type SourceParams, sourceRefusal } from "./middleware/webhookSource.js"
import type { EdgeRunner } from "./runtime.js"

export interface WebhookRoutesOptions {
  readonly catalog: Catalog
  /** Source name → adapter, signature headers already applied. */
  readonly sources: Readonly<Record<string, Adapter>>
  readonly credentials: Readonly<Record<string, SourceCredentials>>
  readonly inbox: InboxService
  readonly metrics: ServiceMetrics
  readonly log: Logger
  readonly maxBodyBytes: number
  readonly runner: EdgeRunner
  readonly feeds?: Feeds | undefined
  readonly crashAt?: CrashPoint | undefined
  readonly webhookToleranceSeconds?: number | undefined
  readonly tracer?: Tracer.Tracer | undefined
}

/** Request headers with list values joined (`set-cookie`, the one header Node keeps as a list). */
const joinedHeaders = (raw: express.Request["headers"]): Record<string, string | undefined> => {
  const headers: Record<string, string | undefined> = {}
  for (const k in raw) {
    const v = raw[k]
    headers[k] = Array.isArray(v) ? v.join(", ") : v
  }
  return headers
}

/** The source is known and configured, the body is not compressed; then its raw bytes, size-limited, as `req.body`. */
const webhookBody =
  (o: Pick<WebhookRoutesOptions, "sources" | "credentials" | "maxBodyBytes">): express.RequestHandler<SourceParams> =>
  (req, _res, next) => {
    const refusal =
      sourceRefusal(o.sources, o.credentials, req.params.source) ?? encodingRefusal(req.headers["content-encoding"])
    if (refusal !== undefined) {
      next(refusal)
      return
    }
    readRawBody(req, o.maxBodyBytes, (error, body) => {
      if (error !== undefined) {
        next(error)
        return
      }
      if (body !== undefined) req.body = body
      next()
    })
  }

/** The last handler: verify, decode, accept. Everything it needs is resolved once, here, not per request. */
const ingest = (o: WebhookRoutesOptions): express.RequestHandler<SourceParams> => {
  const { sources, credentials, catalog, metrics, log, runner, feeds, tracer } = o
  const verifyOptions = o.webhookToleranceSeconds !== undefined ? { toleranceSeconds: o.webhookToleranceSeconds } : {}
  // The inbox's accept as a plain Promise when it has one (the SQLite inbox, audited or not); a wrapped inbox
  // without one is run through its Effect `accept`.
  const acceptPromise = acceptPromiseOf(o.inbox)
  const acceptEvent = acceptPromise ?? ((event: TicketEvent) => runner.run(o.inbox.accept(event)))
  const crashAfterAccept = o.crashAt === "after-accept"
  return async function ingestWebhook(req, res) {
    const source = req.params.source
    const adapter = sources[source]!
    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)
    // Node's parser already lower-cases header names and joins repeated headers into one string; only
    // `set-cookie` stays a list, and only then is a copy made.
    const headers =
      req.headers["set-cookie"] === undefined
        ? (req.headers as Record<string, string | undefined>)
        : joinedHeaders(req.headers)
    const wreq = { headers, rawBody, receivedAt: new Date() }
    const verified = adapter.verify(wreq, credentials[source] ?? {}, verifyOptions)
    if (Either.isLeft(verified)) throw new HttpError(401, "Unauthorized", verified.left.message)
    const decoded = adapter.decode(wreq, catalog)
    if (Either.isLeft(decoded)) {
      const e = decoded.left
      if (e.status !== 200) throw new HttpError(e.status, /JSON/i.test(e.reason) ? "BadJson" : "BadPayload", e.message)
      log.warn({ source, reason: e.reason }, "webhook payload refused and acknowledged")
      metrics.webhooks.inc({ source, status: "200" })
      sendJson(res, 200, { status: "refused", message: e.message })
      return
    }
    if (decoded.right._tag === "Ignored") {
      metrics.webhooks.inc({ source, status: "200" })
      sendJson(res, 200, { status: "ignored", reason: decoded.right.reason })
      return
    }
    // A fetch-on-notify source: the webhook is a notice; the ticket is read from the API and that state enqueued.
    // (For any other source `notified` answers the event as it is, which the runner settles without a fiber.)
    const own = decoded.right.event
    const event: TicketEvent = feeds === undefined ? own : await runner.run(feeds.notified(own))
    const requestSpan = tracer === undefined ? undefined : requestSpanOf(res)
    const accepted =
      tracer === undefined || requestSpan === undefined
        ? await acceptEvent(event)
        : await runner.run(
            tracedAccept(tracer, requestSpan.span, event, (traceparent) => o.inbox.accept(event, { traceparent }))
          )
    // The read replaced the webhook: the webhook's own state goes in too, after it, when the vendor's update time
    // dates it (Freshdesk's `ticket_updated_at`) older than the read. Superseded by the read, it writes nothing, but
    // it times the change it notifies, which a read made later, after more changes, cannot: the "both" rule's status
    // log keeps it (docs/write-back.md).
    if (event !== own && own.fields["updated_at"] !== undefined && compareRevision(own.revision, event.revision) < 0)
      await acceptEvent(own)
    if (accepted._tag === "Duplicate") {
      metrics.events.inc({ outcome: "duplicate" })
      metrics.webhooks.inc({ source, status: "202" })
      sendJson(res, 202, { status: "duplicate", deliveryKey: event.deliveryKey })
      return
    }
    metrics.events.inc({ outcome: "accepted" })
    if (crashAfterAccept) await runner.run(crashIfAt(o.crashAt, "after-accept"))
    metrics.webhooks.inc({ source, status: "202" })
    sendJson(res, 202, {
      status: "accepted",
      id: accepted.id,
      deliveryKey: event.deliveryKey,
      ticketId: event.ticketId,
      revision: event.revision
    })
  }
}

/** Register `POST /webhooks/:source` on `app`. */
export const mountWebhooks = (app: express.IRouter, o: WebhookRoutesOptions): void => {
  const path = "/webhooks/:source"
  if (o.tracer !== undefined) app.post(path, webhookRequestSpan(o.tracer, o.sources))
  app.post(path, webhookBody(o), ingest(o))
}
