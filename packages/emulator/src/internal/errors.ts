/**
 * The Genesys Cloud error envelope (`ErrorBody`, docs/genesys-api.md §6.3) and the one exception every handler throws.
 */

export interface ErrorDetail {
  readonly errorCode?: string
  readonly fieldName?: string
  readonly entityId?: string
  readonly entityName?: string
}

export interface ErrorBody {
  message: string
  code: string
  status: number
  contextId: string
  details: ReadonlyArray<ErrorDetail>
  errors: ReadonlyArray<ErrorBody>
  entityId?: string
  entityName?: string
  limit?: { key: string; namespace: string; value: number }
}

/** A failure answered with the Genesys error body; `headers` adds e.g. `Retry-After`. */
export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly details: ReadonlyArray<ErrorDetail>
  readonly headers: Readonly<Record<string, string>>
  readonly limit: ErrorBody["limit"]

  constructor(
    status: number,
    code: string,
    message: string,
    extra: {
      details?: ReadonlyArray<ErrorDetail>
      headers?: Record<string, string>
      limit?: ErrorBody["limit"]
    } = {}
  ) {
    super(message)
    this.name = "ApiError"
    this.status = status
    this.code = code
    this.details = extra.details ?? []
    this.headers = extra.headers ?? {}
    this.limit = extra.limit
  }

  body(contextId: string): ErrorBody {
    const body: ErrorBody = {
      message: this.message,
      code: this.code,
      status: this.status,
      contextId,
      details: this.details,
      errors: []
    }
    if (this.limit !== undefined) body.limit = this.limit
    return body
  }
}

/** 400 `bad.request` naming the offending field. */
export const badRequest = (message: string, fieldName?: string): ApiError =>
  new ApiError(
    400,
    "bad.request",
    message,
    fieldName === undefined ? {} : { details: [{ errorCode: "invalid.value", fieldName }] }
  )

export const notFound = (what: string, id: string): ApiError =>
  new ApiError(404, "not.found", `${what} ${id} was not found`, {
    details: [{ errorCode: "not.found", entityId: id, entityName: what }]
  })

export const conflict = (message: string): ApiError => new ApiError(409, "conflict", message)

/** Default message per status for injected faults. */
export const codeForStatus = (status: number): string => {
  switch (status) {
    case 400:
      return "bad.request"
    case 401:
      return "bad.credentials"
    case 403:
      return "missing.permissions"
    case 404:
      return "not.found"
    case 408:
      return "request.timeout"
    case 409:
      return "conflict"
    case 413:
      return "request.entity.too.large"
    case 429:
      return "too.many.requests"
    case 502:
      return "bad.gateway"
    case 503:
      return "service.unavailable"
    case 504:
      return "gateway.timeout"
    default:
      return status >= 500 ? "internal.server.error" : "error"
  }
}

/**
 * The platform's per-token 429 in its normalized form (developer.genesys.cloud forum "Normalized Platform API 429
 * responses", docs/genesys-api.md §6.4): code `too.many.requests.retry.after`, no `details`, `errors` or `limit`.
 */
export const platformRateLimit = (retryAfterSeconds: number): ApiError =>
  new ApiError(
    429,
    "too.many.requests.retry.after",
    `Rate limit exceeded the maximum. Retry the request in [${retryAfterSeconds}] seconds`,
    {
      headers: { "Retry-After": String(retryAfterSeconds) }
    }
  )
