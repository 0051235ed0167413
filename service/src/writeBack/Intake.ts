/**
 * The intake of workitem events (the workitem-event Data Action, docs/write-back.md): decode, name the ticket,
 * ignore what will never be written back, and accept the rest durably into the inbox as a `genesys` event (live
 * lane, deduplicated on `genesys:<workitemId>:<dateModified>:<statusId>`).
 */
import { type Catalog, GENESYS_LIMITS } from "@workbridge/catalog"
import { Effect, Either } from "effect"
import type { InboxFull, StoreError } from "../domain/errors.js"
import type { InboxService } from "../inbox/Inbox.js"
import type { ServiceMetrics } from "../observability/Metrics.js"
import { type EventIssue, decodeWorkitemEvent, toTicketEvent } from "./WorkitemEvent.js"

export type IntakeAnswer =
  /** The body is not a workitem event: every bad property. */
  | { readonly _tag: "Invalid"; readonly issues: ReadonlyArray<EventIssue> }
  /** A workitem event that will not be written back, and why. */
  | { readonly _tag: "Ignored"; readonly reason: string }
  /** Durably in the inbox (`duplicate`: it already was). */
  | { readonly _tag: "Accepted"; readonly duplicate: boolean }

export interface IntakeOptions {
  readonly catalog: Catalog
  readonly inbox: InboxService
  readonly metrics: ServiceMetrics
  /** The sources with write-back on. */
  readonly sources: ReadonlyArray<string>
  /** Workbridge's own Genesys OAuth client id(s). */
  readonly selfIds: ReadonlyArray<string>
}

export type Intake = (body: unknown) => Effect.Effect<IntakeAnswer, StoreError | InboxFull>

export const makeIntake =
  (o: IntakeOptions): Intake =>
  (body) =>
    Effect.gen(function* () {
      const decoded = decodeWorkitemEvent(body)
      if (Either.isLeft(decoded)) return { _tag: "Invalid", issues: decoded.left } as const
      const e = decoded.right
      const ignored = (source: string, outcome: string, reason: string): IntakeAnswer => {
        o.metrics.writeBacks.inc({ source, outcome })
        return { _tag: "Ignored", reason }
      }
      const converted = toTicketEvent(o.catalog, e)
      if (converted._tag === "Ignored") return ignored("unknown", "not_a_ticket", converted.reason)
      const { event } = converted
      if (e.modifiedBy !== undefined && o.selfIds.includes(e.modifiedBy)) {
        return ignored(event.source, "own_change", "the change was made by Workbridge itself")
      }
      if (!o.sources.includes(event.source)) {
        return ignored(event.source, "disabled", `write-back is off for source "${event.source}"`)
      }
      if (event.ticketId.length > GENESYS_LIMITS.identifier.maxLength) {
        return ignored(event.source, "not_a_ticket", "the ticket_id custom field is longer than a ticket id can be")
      }
      const r = yield* o.inbox.accept(event)
      o.metrics.events.inc({ outcome: r._tag === "Accepted" ? "accepted" : "duplicate" })
      return { _tag: "Accepted", duplicate: r._tag === "Duplicate" } as const
    })
