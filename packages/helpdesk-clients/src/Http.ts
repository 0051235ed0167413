/**
 * What the read clients share: their errors, the rate-limit retry (a 429's `Retry-After` honoured through an Effect
 * `Schedule`), the JSON call over `@effect/platform`'s `HttpClient`, and the opaque cursors.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { Data, Duration, Effect, Schedule } from "effect"

/** A read failed: the vendor refused it (status), it could not be decoded, or the network failed. Never holds a credential. */
export class HelpdeskError extends Data.TaggedError("HelpdeskError")<{
  readonly source: string
  /** What was being done, e.g. `GET /api/v2/tickets/{id}`. */
  readonly operation: string
  readonly status?: number
  readonly reason: string
  /** The request was not sent: what was asked cannot be sent to the vendor (a bad id or value). Never worth retrying. */
  readonly invalid?: true
}> {
  override get message(): string {
    return `${this.source}: ${this.operation}: ${this.status === undefined ? "" : `${this.status} `}${this.reason}`
  }
}

/** The vendor answered "too many requests" and said (or implied) how long to wait. */
export class RateLimited extends Data.TaggedError("RateLimited")<{
  readonly source: string
  readonly operation: string
  readonly status: number
  /** How long the vendor asked to wait. */
  readonly retryAfterMs: number
}> {
  override get message(): string {
    return `${this.source}: ${this.operation}: rate limited (${this.status}), retry after ${this.retryAfterMs} ms`
  }
}

export type ReadError = HelpdeskError | RateLimited

export interface RetryPolicy {
  /** Retries of one call after rate-limit answers; default 5. */
  readonly maxRetries?: number
  /** A longer `Retry-After` is cut to this; default 120 s. */
  readonly maxDelayMs?: number
  /** Wait when a rate-limit answer names no time; default 60 s (GitHub's documented fallback). */
  readonly fallbackDelayMs?: number
  /** Called before each wait (metrics, logs, tests). */
  readonly onRateLimited?: (error: RateLimited, delayMs: number) => void
}

/**
 * The schedule of rate-limit retries: each wait is the failed call's `Retry-After` (capped), at most `maxRetries` times.
 * Its input is the call's error; only `RateLimited` errors are retried (see `retryRateLimited`).
 */
export const rateLimitSchedule = <E>(policy: RetryPolicy = {}): Schedule.Schedule<unknown, E> => {
  const max = policy.maxDelayMs ?? 120_000
  return Schedule.identity<E>().pipe(
    Schedule.addDelay((e) => Duration.millis(e instanceof RateLimited ? Math.min(e.retryAfterMs, max) : 0)),
    Schedule.tapInput((e) =>
      Effect.sync(() =>
        e instanceof RateLimited ? policy.onRateLimited?.(e, Math.min(e.retryAfterMs, max)) : undefined
      )
    ),
    Schedule.intersect(Schedule.recurs(policy.maxRetries ?? 5))
  )
}

/** Retry an effect after each `RateLimited` failure as the schedule says; other failures pass through at once. */
export const retryRateLimited =
  (policy: RetryPolicy = {}) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.retry(effect, { schedule: rateLimitSchedule<E>(policy), while: (e) => e instanceof RateLimited })

/** The wait a rate-limit answer asks for: `Retry-After` in seconds or as an HTTP date, else `resetMs`, else the fallback. */
export const retryAfterMs = (
  headers: Readonly<Record<string, string | undefined>>,
  nowMs: number,
  fallbackMs: number,
  resetMs?: number
): number => {
  const raw = headers["retry-after"]?.trim()
  if (raw !== undefined && raw !== "") {
    if (/^\d+$/.test(raw)) return Number(raw) * 1000
    const at = Date.parse(raw)
    if (!Number.isNaN(at)) return Math.max(0, at - nowMs)
  }
  if (resetMs !== undefined && Number.isFinite(resetMs)) return Math.max(0, resetMs - nowMs)
  return fallbackMs
}

/** How long one attempt of a helpdesk call (its request and the answer's body) may take unless configured (30 s). */
export const DEFAULT_CALL_TIMEOUT_MS = 30_000

/** What every client's calls share: the rate-limit retries and the time one attempt may take. */
export interface CallSettings {
  readonly retry?: RetryPolicy
  /**
   * How long one attempt (the request and the answer's body) may take before it fails as unanswered: a
   * `HelpdeskError` without a status, "no answer within … ms" (a write may have landed; worth a retry). Default
   * {@link DEFAULT_CALL_TIMEOUT_MS}.
   */
  readonly timeoutMs?: number
}

/** A client's settings as `callJson` options (spread into each call's options). */
export const callSettings = (config: CallSettings): { readonly policy?: RetryPolicy; readonly timeoutMs?: number } => ({
  ...(config.retry === undefined ? {} : { policy: config.retry }),
  ...(config.timeoutMs === undefined ? {} : { timeoutMs: config.timeoutMs })
})

/**
 * Fail an attempt that has no answer within `timeoutMs` as unanswered. The attempt is interrupted, which aborts its
 * request; a connection that never answers cannot hold a backfill, a reconciliation pass or a write-back.
 * `operation` may be a function, asked when the time is up (what the attempt was doing by then).
 */
export const answeredWithin =
  (source: string, operation: string | (() => string), timeoutMs: number = DEFAULT_CALL_TIMEOUT_MS) =>
  <A, E, R>(attempt: Effect.Effect<A, E, R>): Effect.Effect<A, E | HelpdeskError, R> =>
    Effect.timeoutFail(attempt, {
      duration: Duration.millis(timeoutMs),
      onTimeout: () =>
        new HelpdeskError({
          source,
          operation: typeof operation === "function" ? operation() : operation,
          reason: `no answer within ${timeoutMs} ms`
        })
    })

export interface JsonResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: unknown
}

export interface CallOptions {
  readonly source: string
  readonly operation: string
  readonly policy?: RetryPolicy
  /** How long one attempt may take (see {@link CallSettings}); default {@link DEFAULT_CALL_TIMEOUT_MS}. */
  readonly timeoutMs?: number
  /** Which answers are rate limits, and the reset time they name; default: 429. */
  readonly isRateLimited?: (status: number, headers: Readonly<Record<string, string>>) => boolean
  readonly resetMs?: (headers: Readonly<Record<string, string>>) => number | undefined
  /** Statuses answered as a value instead of an error (e.g. 404 for "not found"). */
  readonly accept?: ReadonlyArray<number>
}

/** One JSON call, retried on rate limits, each attempt bounded in time. Errors name the operation and status, never the request's credentials. */
export const callJson = (
  request: HttpClientRequest.HttpClientRequest,
  options: CallOptions
): Effect.Effect<JsonResponse, ReadError, HttpClient.HttpClient> => {
  const { source, operation } = options
  const once = Effect.gen(function* () {
    const response = yield* HttpClient.execute(request).pipe(
      Effect.mapError((e) => new HelpdeskError({ source, operation, reason: `request failed: ${e.reason}` }))
    )
    const headers = response.headers as Readonly<Record<string, string>>
    const rateLimited = options.isRateLimited?.(response.status, headers) ?? response.status === 429
    if (rateLimited) {
      const now = yield* Effect.clockWith((c) => c.currentTimeMillis)
      const wait = retryAfterMs(headers, now, options.policy?.fallbackDelayMs ?? 60_000, options.resetMs?.(headers))
      return yield* Effect.fail(new RateLimited({ source, operation, status: response.status, retryAfterMs: wait }))
    }
    const text = yield* response.text.pipe(
      Effect.mapError(
        (e) =>
          new HelpdeskError({
            source,
            operation,
            status: response.status,
            reason: `reading the body failed: ${e.reason}`
          })
      )
    )
    if (response.status >= 400 && !(options.accept ?? []).includes(response.status)) {
      return yield* Effect.fail(
        new HelpdeskError({ source, operation, status: response.status, reason: snippet(text) })
      )
    }
    if (text === "") return { status: response.status, headers, body: undefined }
    try {
      return { status: response.status, headers, body: JSON.parse(text) as unknown }
    } catch {
      return yield* Effect.fail(
        new HelpdeskError({
          source,
          operation,
          status: response.status,
          reason: `the body is not JSON: ${snippet(text)}`
        })
      )
    }
  })
  return retryRateLimited(options.policy)(answeredWithin(source, operation, options.timeoutMs)(once))
}

const snippet = (text: string): string => {
  const t = text.replace(/\s+/g, " ").trim()
  return t.length > 200 ? `${t.slice(0, 200)}…` : t
}

/** The `rel="next"` URL of a `Link` header, if any. */
export const nextLink = (link: string | undefined): string | undefined =>
  /<([^<>]+)>\s*;\s*rel="next"/.exec(link ?? "")?.[1]

/** Opaque resumable cursors: base64url JSON tagged with the source, so one source's cursor is refused by another. */
export const encodeCursor = (source: string, state: Record<string, unknown>): string =>
  Buffer.from(JSON.stringify({ s: source, ...state }), "utf8").toString("base64url")

export const decodeCursor = (source: string, cursor: string): Effect.Effect<Record<string, unknown>, HelpdeskError> =>
  Effect.try({
    try: () => {
      const v = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown
      if (typeof v !== "object" || v === null || (v as { s?: unknown }).s !== source)
        throw new Error("not this source's cursor")
      return v as Record<string, unknown>
    },
    catch: () =>
      new HelpdeskError({
        source,
        operation: "cursor",
        reason: "the cursor is not one this client produced for this source"
      })
  })
