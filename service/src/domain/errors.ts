/** Typed failures of the sync engine. Messages are computed, never passed in as the only data. */
import { Data } from "effect"

export { GenesysError, type GenesysErrorReason } from "@workbridge/genesys"

/** The durable store (SQLite, Redis, …) failed. */
export class StoreError extends Data.TaggedError("StoreError")<{
  readonly operation: string
  readonly cause: unknown
}> {
  override get message(): string {
    return `store ${this.operation} failed: ${this.cause instanceof Error ? this.cause.message : String(this.cause)}`
  }
}

/**
 * Whether a store failure means the store cannot write at all right now (disk full, I/O error, read-only file),
 * as opposed to a bad entry: the edge answers 503 + Retry-After, readiness fails and the workers pause.
 */
export const storeCannotWrite = (error: unknown): boolean => {
  const cause = error instanceof StoreError ? error.cause : error
  const code =
    typeof cause === "object" && cause !== null && "code" in cause ? String((cause as { code: unknown }).code) : ""
  return /^SQLITE_(FULL|IOERR|READONLY|CANTOPEN)/.test(code) || code === "ENOSPC" || code === "EROFS"
}

/** The inbox holds as many events as it may; the sender should retry later. */
export class InboxFull extends Data.TaggedError("InboxFull")<{ readonly depth: number; readonly limit: number }> {
  override get message(): string {
    return `the inbox holds ${this.depth} events (limit ${this.limit}); retry later`
  }
}

/** A dead letter id that does not exist. */
export class DeadLetterNotFound extends Data.TaggedError("DeadLetterNotFound")<{ readonly id: string }> {
  override get message(): string {
    return `no dead letter with id "${this.id}"`
  }
}
