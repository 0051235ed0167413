/**
 * Test support shared by the client tests: decode a webhook an emulator sent with the real adapter (after checking
 * its authenticity), and compare it with a read of the same state.
 */
import type { Adapter, SourceCredentials, VerifyOptions, WebhookRequest } from "@workbridge/adapters"
import { defaultCatalog, type TicketEvent } from "@workbridge/catalog"
import { Either } from "effect"

/** Verify (must be accepted) and decode (must be an event) one received webhook. */
export const webhookEvent = (
  adapter: Adapter,
  req: WebhookRequest,
  creds: SourceCredentials,
  options?: VerifyOptions
): TicketEvent => {
  const verified = adapter.verify(req, creds, options)
  if (Either.isLeft(verified)) throw new Error(`the adapter refused the emulator's webhook: ${verified.left.message}`)
  const decoded = adapter.decode(req, defaultCatalog)
  if (Either.isLeft(decoded))
    throw new Error(`the adapter could not decode the emulator's webhook: ${decoded.left.message}`)
  if (decoded.right._tag !== "Event")
    throw new Error(`the adapter ignored the emulator's webhook: ${decoded.right.reason}`)
  return decoded.right.event
}

/** The parts of an event a webhook and a read of the same ticket state must share. */
export const comparable = (e: TicketEvent) => ({ source: e.source, ticketId: e.ticketId, fields: e.fields })

/** A controllable clock for emulators. */
export const testClock = (start: number) => {
  let now = start
  return { now: () => now, advance: (ms: number) => void (now += ms), set: (ms: number) => void (now = ms) }
}
