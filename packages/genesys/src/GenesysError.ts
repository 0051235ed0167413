/** The typed failure of every Genesys call. Messages are computed, never passed in as the only data. */
import { Data } from "effect"
import type { PauseScope } from "./RateBudget.js"

export type GenesysErrorReason =
  | "RateLimited"
  | "Unauthorized"
  | "Forbidden"
  | "NotFound"
  | "BadRequest"
  | "Conflict"
  | "ServerError"
  | "Timeout"
  | "Network"

/** A Genesys call failed; `body` is the Genesys error body when there was one. */
export class GenesysError extends Data.TaggedError("GenesysError")<{
  readonly reason: GenesysErrorReason
  readonly operation: string
  readonly status?: number
  readonly body?: unknown
  /** Seconds from `Retry-After` on a 429 (or, when `heldBack`, until the pause that held the call back ends). */
  readonly retryAfterSeconds?: number
  /** On a 429: what it limited, so what its pause holds back (docs/service.md, "429 scopes"). */
  readonly scope?: PauseScope
  /** Not sent: a pause an earlier 429 set over this call's scope (a create, an update, this workitem) is in force. */
  readonly heldBack?: boolean
  /** A 403 inside the operation's permission-propagation window: retried, not dead-lettered (docs/service.md). */
  readonly propagating?: boolean
  /** The answer did not match the response schema: which fields, and how (`id: is missing`). */
  readonly malformed?: string
}> {
  override get message(): string {
    const text =
      typeof this.body === "object" && this.body !== null && "message" in this.body
        ? String((this.body as { message: unknown }).message)
        : undefined
    const note = this.propagating === true ? " (inside the permission-propagation window: retried)" : ""
    return `Genesys ${this.operation}: ${this.reason}${this.status !== undefined ? ` (HTTP ${this.status})` : ""}${text !== undefined ? `: ${text}` : ""}${note}`
  }

  /**
   * A 429 whose pause holds back only part of the work (a workitem, creates, updates), or a call held back by such a
   * pause: the ticket waits out the pause in the inbox instead of retrying in place, and the rest of the work goes on.
   */
  get scoped(): boolean {
    return (
      this.reason === "RateLimited" &&
      (this.heldBack === true || (this.scope !== undefined && this.scope.kind !== "token"))
    )
  }

  /**
   * The service's own credentials failed: the login itself (any reason), or a 401 that persisted after the one
   * re-login. A credential outage (revoked or rotated secret, an auth hiccup) says nothing about the ticket, so it
   * is transient: the batch waits for the credentials to work again instead of going to the dead letters.
   */
  get credential(): boolean {
    return this.operation === "login" || this.reason === "Unauthorized"
  }

  /** Whether trying the same call again may succeed. */
  get transient(): boolean {
    return (
      this.credential ||
      this.propagating === true ||
      this.reason === "RateLimited" ||
      this.reason === "ServerError" ||
      this.reason === "Timeout" ||
      this.reason === "Network"
    )
  }
}
