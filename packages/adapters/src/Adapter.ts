/**
 * The contract every helpdesk adapter fulfils: check a webhook's authenticity on its raw bytes, then decode it into
 * Workbridge's canonical `TicketEvent`. Adapters are pure: no I/O, no clock other than `req.receivedAt`/`options.now`.
 */
import type { Catalog, TicketEvent } from "@workbridge/catalog"
import { Data } from "effect"
import type { Either } from "effect"

/** One webhook delivery as the edge received it. */
export interface WebhookRequest {
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | undefined>>
  /** The body bytes exactly as received (signatures cover these bytes). */
  readonly rawBody: Buffer
  /** When the edge received the request. */
  readonly receivedAt: Date
}

/** The credentials configured for one source (see docs/helpdesks.md for the environment variables). */
export interface SourceCredentials {
  /** HMAC signing secret (`WEBHOOK_SECRET_<SOURCE>`). */
  readonly secret?: string
  /** `user:password` expected in an HTTP Basic `Authorization` header (`WEBHOOK_BASIC_AUTH_<SOURCE>`). */
  readonly basicAuth?: string
  /** A header that must carry exactly this value (`WEBHOOK_TOKEN_<SOURCE>` = `Header-Name:value`). */
  readonly token?: { readonly header: string; readonly value: string }
}

export type CredentialKind = "secret" | "basicAuth" | "token"

export type AuthenticityReason =
  | "MissingCredentials"
  | "MissingHeader"
  | "BadSignature"
  | "StaleTimestamp"
  | "BadCredentials"

/** The request is not proven to come from the helpdesk. The edge answers 401 (never 5xx: a retry cannot fix it). */
export class AuthenticityError extends Data.TaggedError("AuthenticityError")<{
  readonly source: string
  readonly reason: AuthenticityReason
  /** Human explanation naming the header or credential; never contains a secret or a signature value. */
  readonly detail: string
}> {
  override get message(): string {
    return `${this.source}: ${this.reason}: ${this.detail}`
  }
}

/** The payload is authentic but cannot be turned into a ticket event. */
export class DecodeError extends Data.TaggedError("DecodeError")<{
  readonly source: string
  /** Human explanation naming the missing or bad field. */
  readonly reason: string
  /**
   * What the edge should answer, chosen for the vendor's retry semantics: 400/422 where the vendor treats them as
   * final, 200 (acknowledge and drop, after logging) where any error status makes the vendor retry pointlessly.
   */
  readonly status: 400 | 422 | 200
}> {
  override get message(): string {
    return `${this.source}: ${this.reason}`
  }
}

/** An event to enqueue, or an authentic delivery Workbridge deliberately does not sync (answer 200). */
export type DecodeResult =
  | { readonly _tag: "Event"; readonly event: TicketEvent }
  | { readonly _tag: "Ignored"; readonly reason: string }

export interface VerifyOptions {
  /** Replay window for timestamped signatures (Zendesk); default 300 s. */
  readonly toleranceSeconds?: number
  /** The clock to check timestamps against; default `req.receivedAt`. */
  readonly now?: Date
}

export interface Adapter {
  /** Source name: the `:source` of `POST /webhooks/:source` and `TicketEvent.source`. */
  readonly name: string
  /** Which credential kinds the source can be configured with (at least one must be set). */
  readonly credentialKinds: ReadonlyArray<CredentialKind>
  /** Check authenticity on the raw bytes, in constant time. Every configured credential must match. */
  verify(req: WebhookRequest, creds: SourceCredentials, options?: VerifyOptions): Either.Either<void, AuthenticityError>
  /** Decode an authentic request into a ticket event in catalog terms. Never throws. */
  decode(req: WebhookRequest, catalog: Catalog): Either.Either<DecodeResult, DecodeError>
}

/** Default replay window of timestamped signatures. */
export const DEFAULT_TOLERANCE_SECONDS = 300
