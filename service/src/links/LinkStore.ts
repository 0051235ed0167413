/**
 * The link store port: ticket → workitem links with the applied revision (compare-and-set), the outcome of
 * every accepted event, and the dead letters.
 */
import { Context, type Effect } from "effect"
import type { DeadLetter, Link, NewDeadLetter, Outcome, OutcomeKind, TicketKey } from "../domain/records.js"
import type { DeadLetterNotFound, StoreError } from "../domain/errors.js"

export interface LinkStoreService {
  readonly get: (key: TicketKey) => Effect.Effect<Link | undefined, StoreError>
  /**
   * Write the link only if the stored applied revision still equals `expected` (`undefined`: no link yet).
   * Answers false, writing nothing, when someone else moved it.
   */
  readonly compareAndSet: (
    key: TicketKey,
    expected: string | undefined,
    link: Link
  ) => Effect.Effect<boolean, StoreError>
  /** How many links record a worktype other than `typeId` (links without one are not counted). */
  readonly countOtherWorktype: (typeId: string) => Effect.Effect<number, StoreError>
  /** Remember what became of events; the first outcome recorded for a delivery key wins. */
  readonly recordOutcomes: (key: TicketKey, outcomes: ReadonlyArray<Outcome>) => Effect.Effect<void, StoreError>
  readonly outcomeCounts: Effect.Effect<Readonly<Record<OutcomeKind, number>>, StoreError>
  readonly addDeadLetter: (letter: NewDeadLetter) => Effect.Effect<DeadLetter, StoreError>
  readonly listDeadLetters: (options?: {
    readonly limit?: number
  }) => Effect.Effect<ReadonlyArray<DeadLetter>, StoreError>
  readonly getDeadLetter: (id: string) => Effect.Effect<DeadLetter, StoreError | DeadLetterNotFound>
  readonly removeDeadLetter: (id: string) => Effect.Effect<void, StoreError | DeadLetterNotFound>
  readonly deadLetterCount: Effect.Effect<number, StoreError>
  /** The ticket's last error: its newest dead letter's reason, unless a later apply succeeded. */
  readonly lastError: (key: TicketKey) => Effect.Effect<string | undefined, StoreError>
  /** Clear the ticket's last error (after a successful apply). */
  readonly clearError: (key: TicketKey) => Effect.Effect<void, StoreError>
}

export class LinkStore extends Context.Tag("@workbridge/service/LinkStore")<LinkStore, LinkStoreService>() {}
