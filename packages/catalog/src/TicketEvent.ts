/** The canonical event every helpdesk adapter decodes to; the sync engine never sees vendor shapes. */
export type TicketEventKind = "created" | "updated" | "closed" | "reopened"

export interface TicketEvent {
  /** Source name as configured in the service (`zendesk`, `servicenow`, `jira`, `freshdesk`, `github`, or a generic source's name). */
  readonly source: string
  /** The ticket's id in its source system. */
  readonly ticketId: string
  /** Totally ordered per ticket (see Revision.ts). */
  readonly revision: string
  /** ISO-8601 time the change happened in the source. */
  readonly occurredAt: string
  /** Dedupe key: a re-delivery of the same event carries the same key. */
  readonly deliveryKey: string
  readonly kind: TicketEventKind
  /** The ticket's fields in catalog terms (keys are catalog field keys), not yet normalized. */
  readonly fields: Readonly<Record<string, unknown>>
  /**
   * How the event reached the service: a pushed `webhook` (the default when absent), or a read of the helpdesk's API —
   * `fetch` (a webhook taken as a notification), `reconcile` (a scheduled or manual pass) or `backfill` — or
   * `genesys`: an agent's change to the ticket's workitem in Genesys, to be written back to the helpdesk
   * (docs/write-back.md), delivered by the workitem-event Data Action; or `genesys-reconcile`: the same change found
   * by the write-back reconciliation pass (a query of the workitems modified since its cursor), which goes to the
   * background lane. A `genesys` or `genesys-reconcile` event's `fields` hold the workitem event, not the ticket's
   * fields.
   */
  readonly origin?: EventOrigin
}

/** How an event reached the service (see `TicketEvent.origin`). */
export type EventOrigin = "webhook" | "fetch" | "reconcile" | "backfill" | "genesys" | "genesys-reconcile"

/** Whether an event is an agent's change in Genesys to write back to the helpdesk (delivered, or found by a pass). */
export const isWriteBackOrigin = (origin: EventOrigin | undefined): boolean =>
  origin === "genesys" || origin === "genesys-reconcile"
