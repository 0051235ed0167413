/**
 * The webhook body as sent: signatures cover the bytes on the wire, so a compressed body would have to be inflated
 * before it could be checked — no Content-Encoding but `identity` is accepted (415, `Accept-Encoding: identity`;
 * none of the supported helpdesks compresses its webhooks) — and the raw bytes are read up to a limit (larger:
 * `entity.too.large`, answered 413 by the error mapping).
 *
 * The body is read straight from the request stream: body-parser's raw parser did the same, through content-type
 * matching, charset and decompression machinery the webhook route never uses, at several times the cost per
 * request. Its errors are kept: the same `type` and `status` (`entity.too.large` 413, `request.aborted` and
 * `request.size.invalid` 400), so the error mapping answers them as before.
 */
import type { IncomingMessage } from "node:http"
import type express from "express"
import { HttpError } from "../httpError.js"

export const MAX_WEBHOOK_BYTES = 500 * 1024

/** The refusal of a `Content-Encoding` header other than identity (or none), or undefined when it is acceptable. */
export const encodingRefusal = (header: string | undefined): HttpError | undefined => {
  if (header === undefined) return undefined
  const encoding = header.trim().toLowerCase()
  if (encoding === "" || encoding === "identity") return undefined
  return new HttpError(
    415,
    "UnsupportedEncoding",
    `webhook bodies are verified on the bytes as sent and must not be compressed; Content-Encoding ${JSON.stringify(encoding.slice(0, 40))} is not accepted`,
    { "accept-encoding": "identity" }
  )
}

export const identityEncodingOnly: express.RequestHandler = function identityEncodingOnly(req, _res, next) {
  next(encodingRefusal(req.headers["content-encoding"]))
}

/** A body-reading error as body-parser (raw-body) makes it: `status`, `type`, exposed to the client. */
const bodyError = (status: 400 | 413, type: string, message: string, details: Record<string, unknown> = {}): Error =>
  Object.assign(new Error(message), { status, statusCode: status, expose: true, type, ...details })

/** Read and drop the rest of the request, then `then` (so the refusal is answered to a client that finished sending). */
const dumpThen = (req: IncomingMessage, then: () => void): void => {
  if (req.complete || req.destroyed) {
    then()
    return
  }
  let called = false
  const once = () => {
    if (called) return
    called = true
    then()
  }
  req.once("end", once)
  req.once("close", once)
  req.resume()
}

/**
 * Read the body's bytes, at most `limit`: `done` gets the body, or undefined for a request without one (neither
 * Content-Length nor Transfer-Encoding, as body-parser), or the error.
 */
export const readRawBody = (
  req: IncomingMessage,
  limit: number,
  done: (error: Error | undefined, body: Buffer | undefined) => void
): void => {
  const lengthHeader = req.headers["content-length"]
  const length = lengthHeader === undefined ? Number.NaN : Number(lengthHeader)
  if (req.headers["transfer-encoding"] === undefined && Number.isNaN(length)) {
    done(undefined, undefined)
    return
  }
  if (length > limit) {
    const error = bodyError(413, "entity.too.large", "request entity too large", { expected: length, length, limit })
    dumpThen(req, () => done(error, undefined))
    return
  }
  const chunks: Array<Buffer> = []
  let received = 0
  let finished = false
  const finish = (error: Error | undefined, body: Buffer | undefined): void => {
    if (finished) return
    finished = true
    req.off("data", onData)
    req.off("end", onEnd)
    req.off("close", onClose)
    req.off("error", onError)
    if (error === undefined) done(undefined, body)
    else dumpThen(req, () => done(error, undefined))
  }
  const onData = (chunk: Buffer): void => {
    received += chunk.length
    if (received > limit)
      finish(bodyError(413, "entity.too.large", "request entity too large", { received, limit }), undefined)
    else chunks.push(chunk)
  }
  const onEnd = (): void => {
    if (!Number.isNaN(length) && received !== length)
      finish(
        bodyError(400, "request.size.invalid", "request size did not match content length", {
          expected: length,
          length,
          received
        }),
        undefined
      )
    else finish(undefined, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received))
  }
  const aborted = (): Error => bodyError(400, "request.aborted", "request aborted", { received })
  const onClose = (): void => {
    if (!req.complete) finish(aborted(), undefined)
  }
  // Node reports a client gone mid-body as an `aborted` error (ECONNRESET) before the close.
  const onError = (error: Error): void =>
    finish(!req.complete && (error as NodeJS.ErrnoException).code === "ECONNRESET" ? aborted() : error, undefined)
  req.on("data", onData)
  req.on("end", onEnd)
  req.on("close", onClose)
  req.on("error", onError)
}

/** The body as a Buffer (any content type), at most `limit` bytes, never inflated, as `req.body`. */
export const rawBody = (limit: number): express.RequestHandler =>
  function rawBody(req, _res, next) {
    readRawBody(req, limit, (error, body) => {
      if (error !== undefined) {
        next(error)
        return
      }
      if (body !== undefined) req.body = body
      next()
    })
  }
