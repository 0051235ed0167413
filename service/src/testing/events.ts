/** Test helpers: canonical events built the way adapters build them. */
import { makeRevision, type TicketEvent } from "@workbridge/catalog"

let counter = 0

export const testEvent = (overrides: Partial<TicketEvent> & { readonly rev?: number } = {}): TicketEvent => {
  const { rev, ...rest } = overrides
  const n = rev ?? ++counter
  const source = rest.source ?? "generic"
  const ticketId = rest.ticketId ?? "T-1"
  return {
    source,
    ticketId,
    revision: rest.revision ?? makeRevision(n),
    occurredAt: rest.occurredAt ?? new Date(Date.UTC(2026, 0, 1, 0, 0, n % 60)).toISOString(),
    deliveryKey: rest.deliveryKey ?? `${source}:${ticketId}:${n}`,
    kind: rest.kind ?? "updated",
    fields: rest.fields ?? { ticket_id: ticketId, source_system: source, subject: `Ticket ${ticketId} rev ${n}` }
  }
}
