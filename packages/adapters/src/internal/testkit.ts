/** Helpers for this package's tests. */
import type { Catalog, TicketEvent } from "@workbridge/catalog"
import { defaultCatalog } from "@workbridge/catalog"
import { Either } from "effect"
import type { Adapter, AuthenticityError, DecodeError, DecodeResult, WebhookRequest } from "../Adapter.js"
import { fixtureRequest, loadFixture } from "../fixtures.js"

export const request = (
  body: string | object,
  headers: Record<string, string> = {},
  receivedAt = new Date("2025-01-01T00:00:00Z")
): WebhookRequest => ({
  headers,
  rawBody: Buffer.from(typeof body === "string" ? body : JSON.stringify(body), "utf8"),
  receivedAt
})

export const decodeResult = (
  adapter: Adapter,
  req: WebhookRequest,
  catalog: Catalog = defaultCatalog
): DecodeResult => {
  const result = adapter.decode(req, catalog)
  if (Either.isLeft(result)) throw new Error(`expected a decode result, got ${result.left.message}`)
  return result.right
}

export const decodeEvent = (adapter: Adapter, req: WebhookRequest, catalog: Catalog = defaultCatalog): TicketEvent => {
  const result = decodeResult(adapter, req, catalog)
  if (result._tag !== "Event") throw new Error(`expected an event, got Ignored: ${result.reason}`)
  return result.event
}

export const decodeFixture = (
  adapter: Adapter,
  name: string,
  catalog: Catalog = defaultCatalog,
  receivedAt?: Date
): TicketEvent => decodeEvent(adapter, fixtureRequest(loadFixture(name), receivedAt), catalog)

export const decodeError = (adapter: Adapter, req: WebhookRequest, catalog: Catalog = defaultCatalog): DecodeError => {
  const result = adapter.decode(req, catalog)
  if (Either.isRight(result)) throw new Error(`expected a DecodeError, got ${JSON.stringify(result.right)}`)
  return result.left
}

export const authError = (result: Either.Either<void, AuthenticityError>): AuthenticityError => {
  if (Either.isRight(result)) throw new Error("expected an AuthenticityError, the request verified")
  return result.left
}

/** Copy of a request with one byte of the body changed. */
export const flipByte = (req: WebhookRequest, index = 10): WebhookRequest => {
  const body = Buffer.from(req.rawBody)
  body[index] = (body[index] ?? 0) ^ 0x01
  return { ...req, rawBody: body }
}

export const withoutHeader = (req: WebhookRequest, name: string): WebhookRequest => {
  const headers = { ...req.headers }
  delete headers[name]
  return { ...req, headers }
}

export const withHeader = (req: WebhookRequest, name: string, value: string): WebhookRequest => ({
  ...req,
  headers: { ...req.headers, [name]: value }
})
