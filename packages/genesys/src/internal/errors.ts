/**
 * What a failed SDK call means: the `GenesysError` for an SDK rejection (its `reason` from the status, its
 * `Retry-After`), what a 429 limited, and an error refined with what the call wrapper learnt about it.
 */
import { GenesysError, type GenesysErrorReason } from "../GenesysError.js"
import { type PauseScope, TOKEN_SCOPE } from "../RateBudget.js"

const reasonFor = (status: number): GenesysErrorReason =>
  status === 400 || status === 413 || status === 422
    ? "BadRequest"
    : status === 401
      ? "Unauthorized"
      : status === 403
        ? "Forbidden"
        : status === 404
          ? "NotFound"
          : status === 408
            ? "Timeout"
            : status === 409
              ? "Conflict"
              : status === 429
                ? "RateLimited"
                : status >= 500
                  ? "ServerError"
                  : "BadRequest"

const retryAfterSeconds = (headers: unknown): number | undefined => {
  if (typeof headers !== "object" || headers === null) return undefined
  const raw = (headers as Record<string, unknown>)["retry-after"]
  if (raw === undefined || raw === null) return undefined
  const text = String(raw).trim()
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text)
  const date = Date.parse(text)
  return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000)
}

/** Map an SDK rejection (extended response, axios error, or anything) to a `GenesysError`. */
export const toGenesysError = (operation: string, e: unknown): GenesysError => {
  const o = (typeof e === "object" && e !== null ? e : {}) as Record<string, unknown>
  // Extended response: { status, headers, body, error }
  if (typeof o["status"] === "number" && ("body" in o || "headers" in o)) {
    const status = o["status"]
    const ra = retryAfterSeconds(o["headers"])
    return new GenesysError({
      reason: reasonFor(status),
      operation,
      status,
      body: o["body"],
      ...(ra !== undefined ? { retryAfterSeconds: ra } : {})
    })
  }
  // Raw axios error (login, or no response)
  const response = o["response"] as { status?: unknown; data?: unknown; headers?: unknown } | undefined
  if (response !== undefined && typeof response.status === "number") {
    const ra = retryAfterSeconds(response.headers)
    return new GenesysError({
      reason: reasonFor(response.status),
      operation,
      status: response.status,
      body: response.data,
      ...(ra !== undefined ? { retryAfterSeconds: ra } : {})
    })
  }
  const code = typeof o["code"] === "string" ? o["code"] : ""
  const message = typeof o["message"] === "string" ? o["message"] : String(e)
  if (code === "ECONNABORTED" || code === "ETIMEDOUT" || code === "ERR_CANCELED" || /timeout/i.test(message)) {
    return new GenesysError({ reason: "Timeout", operation, body: { message } })
  }
  return new GenesysError({
    reason: "Network",
    operation,
    body: { message: code !== "" ? `${code}: ${message}` : message }
  })
}

/** The longest `Retry-After` the per-token and per-workitem limits give: both reset within a minute. */
const MINUTE_LIMIT_SECONDS = 60

const limitKeyOf = (body: unknown): string | undefined => {
  const limit = typeof body === "object" && body !== null ? (body as { limit?: unknown }).limit : undefined
  const key = typeof limit === "object" && limit !== null ? (limit as { key?: unknown }).key : undefined
  return typeof key === "string" ? key : undefined
}

/**
 * What a 429 limited (docs/genesys-api.md §6.4): the body's `limit.key` or message where they tell (the emulator's
 * documented bodies), else the operation and `Retry-After` — longer than a minute on a create or an update can only be
 * the daily create or update limit. Anything else is the token's: every caller waits, the safe reading.
 */
export const rateLimitScope = (e: GenesysError, workitemId?: string): PauseScope => {
  const create = e.operation === "createWorkitem"
  const update = e.operation === "updateWorkitem"
  const workitem: PauseScope = update && workitemId !== undefined ? { kind: "workitem", workitemId } : TOKEN_SCOPE
  switch (limitKeyOf(e.body)) {
    case "workitem.updates.per.minute":
      return workitem
    case "workitem.creates.per.day":
      return { kind: "creates" }
    case "workitem.updates.per.day":
      return { kind: "updates" }
    case "client.credentials.token.rate.per.minute":
      return TOKEN_SCOPE
  }
  const message =
    typeof e.body === "object" && e.body !== null ? String((e.body as { message?: unknown }).message ?? "") : ""
  if (/daily limit/i.test(message) && (create || update)) return { kind: create ? "creates" : "updates" }
  if (/updated \d+ times in the last minute/i.test(message)) return workitem
  if ((e.retryAfterSeconds ?? 0) > MINUTE_LIMIT_SECONDS && (create || update))
    return { kind: create ? "creates" : "updates" }
  return TOKEN_SCOPE
}

/** The same error with more said about it. */
export const refine = (
  e: GenesysError,
  extra: { readonly scope?: PauseScope; readonly propagating?: boolean }
): GenesysError =>
  new GenesysError({
    reason: e.reason,
    operation: e.operation,
    ...(e.status !== undefined ? { status: e.status } : {}),
    ...(e.body !== undefined ? { body: e.body } : {}),
    ...(e.retryAfterSeconds !== undefined ? { retryAfterSeconds: e.retryAfterSeconds } : {}),
    ...extra
  })
