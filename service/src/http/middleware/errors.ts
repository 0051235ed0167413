/**
 * The edge's error mapping: `notFound` for unmatched routes and the one error handler at the end, which maps typed
 * errors to a status, headers and the JSON body `{ error, message }`, logs client refusals at debug (rate-limited:
 * unauthenticated requests must not be able to fill the logs) and counts webhook answers by configured source.
 */
import type { Adapter } from "@workbridge/adapters"
import type express from "express"
import type { Logger } from "pino"
import { storeCannotWrite } from "../../domain/errors.js"
import type { ServiceMetrics } from "../../observability/Metrics.js"
import { HttpError } from "../httpError.js"
import { adapterOf } from "./webhookSource.js"

/** Errors of Express and body-parser that are the client's fault: their own 4xx status and our error code. */
const CLIENT_ERROR_CODES: Readonly<Record<string, string>> = {
  "encoding.unsupported": "UnsupportedEncoding",
  "charset.unsupported": "UnsupportedCharset",
  "request.aborted": "RequestAborted",
  "request.size.invalid": "BadRequest",
  "stream.encoding.set": "BadRequest",
  "entity.parse.failed": "BadJson",
  "entity.verify.failed": "BadRequest"
}

/** The refusals of clients (4xx) are logged at debug, at most this many per window; the rest are counted. */
export const CLIENT_LOG_LIMIT = 20
const CLIENT_LOG_WINDOW_MS = 60_000

export const notFound: express.RequestHandler = function notFound(req, _res, next) {
  next(new HttpError(404, "NotFound", `no route ${req.method} ${req.path}`))
}

/** How an error is answered. `log` says it is ours (logged at error), not the client's. */
export interface ErrorAnswer {
  readonly status: number
  readonly body: { readonly error: string; readonly message: string }
  readonly headers: Readonly<Record<string, string>>
  readonly log?: "store" | "internal"
}

const field = (err: unknown, name: string): unknown =>
  typeof err === "object" && err !== null && name in err ? (err as Record<string, unknown>)[name] : undefined

/** The answer to `err`; `maxBodyBytes` is named by a 413, `retryAfterSeconds` sent with a 503. */
export const answerFor = (err: unknown, maxBodyBytes: number, retryAfterSeconds: number): ErrorAnswer => {
  if (err instanceof HttpError)
    return { status: err.status, body: { error: err.code, message: err.message }, headers: err.headers }
  const tagField = field(err, "_tag")
  const typeField = field(err, "type")
  const statusField = field(err, "status")
  const tag = tagField === undefined ? undefined : String(tagField)
  const type = typeField === undefined ? undefined : String(typeField)
  const errStatus = statusField === undefined ? undefined : Number(statusField)
  if (type === "entity.too.large")
    return {
      status: 413,
      body: { error: "PayloadTooLarge", message: `the body exceeds ${maxBodyBytes} bytes` },
      headers: {}
    }
  if (err instanceof URIError || (errStatus === 400 && type === undefined && tag === undefined)) {
    // Express could not decode the path (`%ff`): the client's mistake, not ours.
    return {
      status: 400,
      body: { error: "BadRequest", message: "the request URL is not valid (malformed percent-encoding)" },
      headers: {}
    }
  }
  if (type !== undefined && errStatus !== undefined && errStatus >= 400 && errStatus < 500) {
    const code = CLIENT_ERROR_CODES[type] ?? "BadRequest"
    const message =
      code === "UnsupportedEncoding"
        ? "the Content-Encoding is not supported"
        : errStatus === 400 && /encod|incorrect header|unexpected end/i.test(String((err as Error).message))
          ? "the body could not be decoded (corrupt Content-Encoding)"
          : `the request was refused (${type})`
    return { status: errStatus, body: { error: code, message }, headers: {} }
  }
  const retryAfter = { "retry-after": String(retryAfterSeconds) }
  switch (tag) {
    case "StoreError":
      // The store could not take the write (disk full, I/O error): the sender should retry, so 503 + Retry-After
      // (Zendesk and GitHub do not retry a 500).
      return {
        status: 503,
        body: {
          error: "StoreUnavailable",
          message: storeCannotWrite(err)
            ? "the store cannot write right now (disk full or I/O error); retry later"
            : "the store failed; retry later"
        },
        headers: retryAfter,
        log: "store"
      }
    case "InboxFull":
      return { status: 503, body: { error: "InboxFull", message: (err as Error).message }, headers: retryAfter }
    case "DeadLetterNotFound":
      return { status: 404, body: { error: "DeadLetterNotFound", message: (err as Error).message }, headers: {} }
    default:
      return { status: 500, body: { error: "Internal", message: "internal error" }, headers: {}, log: "internal" }
  }
}

/** Debug-logs a client refusal, at most {@link CLIENT_LOG_LIMIT} per minute (then how many were not logged). */
export const clientErrorLog = (log: Logger): ((status: number, code: string, req: express.Request) => void) => {
  let windowStart = 0
  let logged = 0
  let suppressed = 0
  return (status, code, req) => {
    const now = Date.now()
    if (now - windowStart >= CLIENT_LOG_WINDOW_MS) {
      if (suppressed > 0) log.debug({ suppressed }, "client errors not logged in the last window")
      windowStart = now
      logged = 0
      suppressed = 0
    }
    if (logged >= CLIENT_LOG_LIMIT) {
      suppressed++
      return
    }
    logged++
    log.debug(
      {
        status,
        error: code,
        method: req.method,
        path: req.path.length > 100 ? `${req.path.slice(0, 100)}…` : req.path
      },
      "request refused"
    )
  }
}

export interface ErrorHandlerOptions {
  readonly sources: Readonly<Record<string, Adapter>>
  readonly maxBodyBytes: number
  readonly retryAfterSeconds: number
  readonly metrics: ServiceMetrics
  readonly log: Logger
}

export const errorHandler = (options: ErrorHandlerOptions): express.ErrorRequestHandler => {
  const { sources, metrics, log } = options
  const logClientError = clientErrorLog(log)
  return function edgeErrors(
    err: unknown,
    req: express.Request,
    res: express.Response,
    _next: express.NextFunction
  ): void {
    const answer = answerFor(err, options.maxBodyBytes, options.retryAfterSeconds)
    if (answer.log === "store")
      log.error({ error: (err as Error).message, path: req.path.slice(0, 100) }, "store failed; answered 503")
    else if (answer.log === "internal") {
      log.error(
        {
          err: err instanceof Error ? { message: err.message, stack: err.stack } : String(err),
          path: req.path.slice(0, 100)
        },
        "request failed"
      )
    }
    if (answer.status < 500) logClientError(answer.status, answer.body.error, req)
    // Metric labels only ever take configured source names (or "unknown"): a path is not a label.
    if (req.path.startsWith("/webhooks/")) {
      const rawSource = req.path.split("/")[2] ?? ""
      if (rawSource !== "") {
        const source = answer.status === 404 || adapterOf(sources, rawSource) === undefined ? "unknown" : rawSource
        metrics.webhooks.inc({ source, status: String(answer.status) })
      }
    }
    res.status(answer.status).set(answer.headers).json(answer.body)
  }
}
