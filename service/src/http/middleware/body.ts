/**
 * The webhook body as sent: signatures cover the bytes on the wire, so a compressed body would have to be inflated
 * before it could be checked — no Content-Encoding but `identity` is accepted (415, `Accept-Encoding: identity`;
 * none of the supported helpdesks compresses its webhooks) — and the raw bytes are read up to a limit (larger:
 * body-parser's `entity.too.large`, answered 413 by the error mapping).
 */
import express from "express"
import { HttpError } from "../httpError.js"

export const MAX_WEBHOOK_BYTES = 500 * 1024

export const identityEncodingOnly: express.RequestHandler = function identityEncodingOnly(req, _res, next) {
  const header = req.headers["content-encoding"]
  if (header === undefined) {
    next()
    return
  }
  const encoding = header.trim().toLowerCase()
  if (encoding !== "" && encoding !== "identity") {
    next(
      new HttpError(
        415,
        "UnsupportedEncoding",
        `webhook bodies are verified on the bytes as sent and must not be compressed; Content-Encoding ${JSON.stringify(encoding.slice(0, 40))} is not accepted`,
        { "accept-encoding": "identity" }
      )
    )
    return
  }
  next()
}

/** The body as a Buffer (any content type), at most `limit` bytes, never inflated. */
export const rawBody = (limit: number): express.RequestHandler =>
  express.raw({ type: () => true, limit, inflate: false })
