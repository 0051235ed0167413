import type { ServerResponse } from "node:http"

/**
 * A JSON answer written directly, with the headers Express's `res.status(status).json(body)` sends when ETags are off
 * (as on the service's app): `Content-Type: application/json; charset=utf-8` and `Content-Length`. For the hot
 * paths (webhook ingest, the normalize-ticket Data Action), without `res.json`'s per-answer work (content-type and
 * charset lookups, the freshness check of a conditional GET).
 */
export const sendJson = (res: ServerResponse, status: number, body: object): void => {
  const text = JSON.stringify(body)
  res.statusCode = status
  res.setHeader("Content-Type", "application/json; charset=utf-8")
  res.setHeader("Content-Length", Buffer.byteLength(text))
  res.end(text)
}
