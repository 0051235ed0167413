/** The sync engine's typed failures. */
import { Data } from "effect"
import type { TicketKey } from "../domain/records.js"
import type { GenesysError } from "../domain/errors.js"

/** Another writer moved the ticket's applied revision under us; the batch goes back to the inbox. */
export class LinkConflict extends Data.TaggedError("LinkConflict")<{ readonly key: TicketKey }> {
  override get message(): string {
    return `the link of ${this.key.source}/${this.key.ticketId} changed during the apply`
  }
}

/** A create failed in a way that leaves unknown whether Genesys made the workitem; retried after a lookup. */
export class AmbiguousCreate extends Data.TaggedError("AmbiguousCreate")<{ readonly cause: GenesysError }> {
  override get message(): string {
    return `create outcome unknown: ${this.cause.message}`
  }
}

/** A PATCH failed in a way that leaves unknown whether Genesys applied it; its update intent stays on the link. */
export class AmbiguousUpdate extends Data.TaggedError("AmbiguousUpdate")<{ readonly cause: GenesysError }> {
  override get message(): string {
    return `update outcome unknown: ${this.cause.message}`
  }
}

/** The linked workitem belongs to another worktype (found on reading it): the ticket is created in this one. */
export class ForeignWorkitem extends Data.TaggedError("ForeignWorkitem")<{ readonly typeId: string }> {}

/** An event that cannot be applied as it stands (dead letter). */
export class Unapplicable extends Data.TaggedError("Unapplicable")<{
  readonly reason: string
  readonly details: ReadonlyArray<string>
}> {}
