/** The emulator's HTTP plumbing: reading a body with the size limit, answering JSON with a correlation id. */
import type { IncomingMessage, ServerResponse } from "node:http"
import type { ApiError } from "./errors.js"

export const MAX_BODY_BYTES = 1024 * 1024

export const readBody = (req: IncomingMessage): Promise<Buffer | "too-large"> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    let size = 0
    let tooLarge = false
    req.on("data", (c: Buffer) => {
      size += c.length
      if (size > MAX_BODY_BYTES) tooLarge = true
      else chunks.push(c)
    })
    req.on("end", () => resolve(tooLarge ? "too-large" : Buffer.concat(chunks)))
    req.on("error", reject)
  })

export const send = (
  res: ServerResponse,
  status: number,
  body: unknown,
  correlationId: string,
  headers: Readonly<Record<string, string>> = {}
): void => {
  const h: Record<string, string> = { "inin-correlation-id": correlationId, ...headers }
  if (status === 204 || body === undefined) {
    res.writeHead(status, h)
    res.end()
    return
  }
  const text = JSON.stringify(body)
  res.writeHead(status, { ...h, "Content-Type": "application/json", "Content-Length": String(Buffer.byteLength(text)) })
  res.end(text)
}

export const sendError = (res: ServerResponse, e: ApiError, correlationId: string): void =>
  send(res, e.status, e.body(correlationId), correlationId, e.headers)
