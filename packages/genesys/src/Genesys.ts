/**
 * The Genesys client: one service over the official SDK. Every call draws from the rate budget, runs under a
 * semaphore bounding calls in flight, carries a cached token (renewed before expiry, re-login once on 401),
 * honours `Retry-After` on 429 through the budget's pauses — scoped to what the 429 limited: the token (every caller
 * waits), the org's creates or updates, or one workitem (docs/service.md, "429 scopes") — retries a 403 while a
 * permission change may still be propagating, and retries transient failures (credential failures included: a
 * failed login, a 401 after the re-login) with a capped, jittered exponential schedule. Errors are `GenesysError`
 * with a `reason`.
 */
import platformClient from "purecloud-platform-client-v2"
import { Clock, Context, Duration, Effect, Layer, Schedule } from "effect"
import { backoff, GENESYS_LIMITS, SERVICE_OPERATIONS, type ServiceOperationName } from "@workbridge/catalog"
import { GenesysError, type GenesysErrorReason } from "./GenesysError.js"
import { type PauseScope, type PauseScopeKind, RateBudget, TOKEN_SCOPE } from "./RateBudget.js"
import {
  BulkJobCreated,
  BulkJobResults,
  BulkJobState,
  decodeResponse,
  type StatusId,
  StatusListing,
  WorkitemQueryPage,
  WorkitemResponse,
  type WorkitemId,
  type WorktypeId,
  WorktypeListing,
  WorktypeResponse
} from "./Responses.js"
import { GenesysTelemetry } from "./Telemetry.js"

/** A workitem as Genesys returns it, decoded (`WorkitemResponse`): the fields Workbridge reads, and the others as they came. */
export interface Workitem {
  readonly id: WorkitemId
  readonly name?: string
  readonly status?: { readonly id: StatusId; readonly name?: string }
  readonly type?: { readonly id: WorktypeId }
  readonly customFields?: Readonly<Record<string, unknown>>
  readonly [key: string]: unknown
}

/** A worktype status and the statuses it may move to (empty: any). */
export interface WorktypeStatus {
  readonly id: StatusId
  readonly name: string
  readonly category?: string
  readonly destinationStatusIds: ReadonlyArray<StatusId>
}

export interface WorktypeInfo {
  readonly id: WorktypeId
  readonly name: string
  readonly defaultWorkbinId?: string
  readonly defaultStatusId?: StatusId
}

export interface QueryFilter {
  readonly name: string
  readonly value: string
}

/** One entity's outcome in a bulk add job: the workitem created, or why it was not (docs/genesys-api.md §2.12). */
export type BulkAddItemResult =
  | { readonly ok: true; readonly workitemId: WorkitemId }
  | { readonly ok: false; readonly code?: string; readonly message: string }

/**
 * How `bulkAddWorkitems` waits for a job: the first status read after the job's expected duration, then ×2 up to
 * `maxPollMs`. The expected duration starts at `firstPollMs`; once a job needed more than one status read, it is the
 * time that job took to be seen finished, so the next jobs normally need exactly one status read.
 */
export interface BulkAddOptions {
  /** The first wait before any job was seen taking longer. Default 1000 ms. */
  readonly firstPollMs?: number
  /** Default 15 000 ms. */
  readonly maxPollMs?: number
  /** Give up waiting for one job after this long (a `Timeout` GenesysError). Default 600 000 ms. */
  readonly jobTimeoutMs?: number
}

/** Workitems per bulk add job (developer.genesys.cloud "Bulk Operations": 1 to 50). */
export const BULK_ADD_PER_JOB = GENESYS_LIMITS.bulkAddEntitiesPerJob

/** An operation answering 403 inside its permission-propagation window (its 403s are retried, not dead-lettered). */
export interface PermissionWait {
  readonly operation: string
  /** Epoch ms of its first 403 since start or since it last succeeded. */
  readonly since: number
  /** Epoch ms the window ends; later 403s are dead-lettered. */
  readonly until: number
}

/** A 429 pause longer than the alert threshold, still in force. */
export interface LongPause {
  readonly scope: PauseScopeKind
  /** Epoch ms it ends. */
  readonly until: number
}

export interface GenesysService {
  readonly getWorktype: (worktypeId: string) => Effect.Effect<WorktypeInfo, GenesysError>
  /** One read of the worktype without retries (readiness): fails at once while Genesys or the credentials fail. */
  readonly checkWorktype: (worktypeId: string) => Effect.Effect<void, GenesysError>
  readonly findWorktypeByName: (name: string) => Effect.Effect<WorktypeInfo | undefined, GenesysError>
  readonly getStatuses: (worktypeId: string) => Effect.Effect<ReadonlyArray<WorktypeStatus>, GenesysError>
  /**
   * Workitems of the worktype matching up to two more EQ filters: every match (paging on), or at most
   * `options.limit` of them (pageSize = the limit, so `{ limit: 1 }` is one small call).
   */
  readonly queryWorkitems: (
    typeId: string,
    filters: ReadonlyArray<QueryFilter>,
    options?: { readonly limit?: number }
  ) => Effect.Effect<ReadonlyArray<Workitem>, GenesysError>
  readonly getWorkitem: (workitemId: string) => Effect.Effect<Workitem, GenesysError>
  /** Retries only 429s: any other transient failure leaves the outcome unknown (see the engine). */
  readonly createWorkitem: (body: Readonly<Record<string, unknown>>) => Effect.Effect<Workitem, GenesysError>
  readonly updateWorkitem: (
    workitemId: string,
    body: Readonly<Record<string, unknown>>
  ) => Effect.Effect<Workitem, GenesysError>
  /**
   * Creates the workitems through bulk add jobs of up to 50 (one job after another): per job, create it, queue it,
   * read its status with backoff until it has finished, read its results — each a Genesys call drawn from the
   * budget. Answers one result per body, in order. A job that cannot be created or started, ends neither
   * `Succeeded` nor `Failed`, or does not finish within `jobTimeoutMs` fails the whole call with a `GenesysError`
   * (workitems of jobs already finished exist, and a job that timed out may still create its own later: the caller
   * finds them by their ticket id before trying again).
   */
  readonly bulkAddWorkitems: (
    bodies: ReadonlyArray<Readonly<Record<string, unknown>>>,
    options?: BulkAddOptions
  ) => Effect.Effect<ReadonlyArray<BulkAddItemResult>, GenesysError>
  /** Forget the cached token (the next call logs in again). */
  readonly invalidateToken: Effect.Effect<void>
  /** Operations whose 403s are being retried while permissions propagate (empty: none). */
  readonly permissionWaits: () => ReadonlyArray<PermissionWait>
  /** A role was changed (an operator replayed a `GenesysForbidden` dead letter): the next 403 opens a new window. */
  readonly permissionsChanged: () => void
  /** 429 pauses longer than `longPauseSeconds` still in force, one per scope kind. */
  readonly longPauses: () => ReadonlyArray<LongPause>
}

export class Genesys extends Context.Tag("@workbridge/genesys/Genesys")<Genesys, GenesysService>() {}

export interface GenesysClientOptions {
  readonly clientId: string
  readonly clientSecret: string
  /** A Genesys Cloud region domain (`mypurecloud.ie`) … */
  readonly region?: string
  /** … or a gateway URL (`http://127.0.0.1:9300`, e.g. the bundled emulator). */
  readonly gatewayUrl?: string
  readonly timeoutMs: number
  readonly maxInFlight: number
  readonly retryBaseMs: number
  readonly retryMaxMs: number
  readonly retryAttempts: number
  /** Renew the token this long before it expires (default: 5 min or a tenth of its life, whichever is less). */
  readonly renewBeforeMs?: number
  /**
   * How long after an operation's first 403 (since start, or since it last succeeded: a role change) its 403s are
   * retried as a permission change still propagating; 0 = dead-letter at once. Default 300 s.
   */
  readonly permissionWindowSeconds?: number
  /** A 429 pause longer than this raises the long-pause alert. Default 60 s. */
  readonly longPauseSeconds?: number
}

// == helpers

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
const refine = (
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

/**
 * Exponential backoff (base × 2ⁿ) capped at `maxMs`, then jittered down to 50–100 % of that (so the cap holds and
 * callers that failed together do not retry together), for at most `attempts` retries.
 */
export const retrySchedule = (options: {
  readonly baseMs: number
  readonly maxMs: number
  readonly attempts: number
}) => backoff({ ...options, jitter: { min: 0.5, max: 1 } })

const unwrap = (r: unknown): unknown =>
  typeof r === "object" && r !== null && "body" in r && "status" in r ? (r as { body: unknown }).body : r

/** Build an SDK client pointed at a region or a gateway, with extended responses. */
export const makeSdkClient = (options: {
  readonly region?: string
  readonly gatewayUrl?: string
  readonly timeoutMs?: number
}) => {
  const client = new platformClient.ApiClientClass()
  client.config.live_reload_config = false
  if (options.gatewayUrl !== undefined) {
    const url = new URL(options.gatewayUrl)
    const protocol = url.protocol.replace(":", "")
    const port = url.port !== "" ? Number(url.port) : protocol === "https" ? 443 : 80
    client.setGateway({ host: url.hostname, protocol, port } as Parameters<typeof client.setGateway>[0])
  } else if (options.region !== undefined) {
    client.setEnvironment(options.region)
  }
  client.setReturnExtendedResponses(true)
  if (options.timeoutMs !== undefined)
    (client.getHttpClient() as unknown as { setTimeout(ms: number): void }).setTimeout(options.timeoutMs)
  return client
}

export const make = (options: GenesysClientOptions) =>
  Effect.gen(function* () {
    const budget = yield* RateBudget
    const telemetry = yield* GenesysTelemetry
    const client = makeSdkClient(options)
    const tm = new platformClient.TaskManagementApi(client)
    const inFlight = yield* Effect.makeSemaphore(options.maxInFlight)
    const permissionWindowMs = (options.permissionWindowSeconds ?? 300) * 1000
    const longPauseSeconds = options.longPauseSeconds ?? 60
    /** Operation → epoch ms of its first 403 since start or since it last succeeded. */
    const forbiddenSince = new Map<string, number>()
    /** Scope kind → epoch ms the longest long pause of that kind ends. */
    const longPauseUntil = new Map<PauseScopeKind, number>()
    /** How long a bulk add job took to be seen finished, once one needed more than one status read (0: none yet). */
    let expectedBulkJobMs = 0
    const loginLock = yield* Effect.makeSemaphore(1)
    let token: { readonly expiresAt: number; readonly renewAt: number } | undefined

    const login = loginLock.withPermits(1)(
      Effect.suspend(() => {
        if (token !== undefined && Date.now() < token.renewAt) return Effect.void
        return Effect.tryPromise({
          try: () => client.loginClientCredentialsGrant(options.clientId, options.clientSecret),
          catch: (e) => toGenesysError("login", e)
        }).pipe(
          Effect.tap((auth) =>
            Effect.sync(() => {
              const now = Date.now()
              const expiresAt = typeof auth.tokenExpiryTime === "number" ? auth.tokenExpiryTime : now + 3600_000
              const life = Math.max(0, expiresAt - now)
              const early = options.renewBeforeMs ?? Math.min(300_000, life / 10)
              token = { expiresAt, renewAt: expiresAt - early }
            })
          ),
          Effect.tapBoth({
            onFailure: (e) => Effect.sync(() => telemetry.callOutcome("login", e.reason)),
            onSuccess: () => Effect.sync(() => telemetry.callOutcome("login", "ok"))
          }),
          Effect.asVoid
        )
      })
    )

    const ensureToken = Effect.suspend(() => (token !== undefined && Date.now() < token.renewAt ? Effect.void : login))
    const invalidateToken = Effect.sync(() => {
      token = undefined
    })

    /** The SDK call itself, told to the telemetry (operation, status, latency: the audit trail of the ticket being applied). */
    const send = (operation: ServiceOperationName, f: () => Promise<unknown>) =>
      Effect.suspend(() => {
        const started = performance.now()
        const latencyMs = () => performance.now() - started
        return Effect.tryPromise({ try: f, catch: (e) => toGenesysError(operation, e) }).pipe(
          Effect.tapBoth({
            onFailure: (e) =>
              telemetry.sent({
                operation,
                outcome: e.reason,
                latencyMs: latencyMs(),
                ...(e.status !== undefined ? { status: e.status } : {}),
                body: e.body
              }),
            onSuccess: (r) => {
              const status =
                typeof r === "object" && r !== null && typeof (r as { status?: unknown }).status === "number"
                  ? (r as { status: number }).status
                  : undefined
              return telemetry.sent({
                operation,
                outcome: "ok",
                latencyMs: latencyMs(),
                ...(status !== undefined ? { status } : {})
              })
            }
          })
        )
      })

    /** A 429: pause what it limited (one workitem, creates, updates, or the token) and say so on the error. */
    const onRateLimited = (e: GenesysError, workitemId: string | undefined) =>
      Effect.gen(function* () {
        telemetry.rateLimited()
        const scope = rateLimitScope(e, workitemId)
        const seconds = e.retryAfterSeconds ?? 1
        yield* budget.pause(seconds, scope)
        telemetry.paused(scope.kind)
        if (seconds > longPauseSeconds) {
          const until = (yield* Clock.currentTimeMillis) + seconds * 1000
          if ((longPauseUntil.get(scope.kind) ?? 0) < Date.now()) telemetry.longPauseBegan(scope.kind)
          longPauseUntil.set(scope.kind, Math.max(longPauseUntil.get(scope.kind) ?? 0, until))
        }
        return refine(e, { scope })
      })

    /** A 403: inside the operation's permission-propagation window it is retried; after it, dead-lettered as before. */
    const onForbidden = (e: GenesysError): GenesysError => {
      const now = Date.now()
      const since = forbiddenSince.get(e.operation) ?? now
      if (!forbiddenSince.has(e.operation)) forbiddenSince.set(e.operation, now)
      return now - since < permissionWindowMs ? refine(e, { propagating: true }) : e
    }

    /**
     * One attempt: a scoped pause in force over the call refuses it here (nothing is sent), then token, budget,
     * in-flight permit, the SDK call, outcome metrics, a pause on 429, the permission window on 403.
     */
    const attempt = <A>(
      operation: ServiceOperationName,
      f: () => Promise<unknown>,
      scopes: ReadonlyArray<PauseScope>,
      workitemId: string | undefined
    ) =>
      Effect.gen(function* () {
        if (scopes.length > 0) {
          const until = yield* budget.pausedUntilFor(scopes)
          const now = yield* Clock.currentTimeMillis
          if (until > now) {
            telemetry.callOutcome(operation, "HeldBack")
            return yield* Effect.fail(
              new GenesysError({
                reason: "RateLimited",
                operation,
                heldBack: true,
                retryAfterSeconds: (until - now) / 1000,
                body: {
                  message: `held back until ${new Date(until).toISOString()} by an earlier 429 over this call's scope`
                }
              })
            )
          }
        }
        yield* ensureToken
        // The budget is drawn inside the permit, so a pause set by a 429 holds every call not yet sent.
        const result = yield* inFlight
          .withPermits(1)(Effect.zipRight(budget.acquire, send(operation, f)))
          .pipe(
            Effect.tapBoth({
              onFailure: (e) => Effect.sync(() => telemetry.callOutcome(operation, e.reason)),
              onSuccess: () =>
                Effect.sync(() => {
                  telemetry.callOutcome(operation, "ok")
                  // It works again (permissions arrived, or a role changed since): a later 403 opens a new window.
                  forbiddenSince.delete(operation)
                })
            }),
            Effect.catchIf(
              (e) => e.reason === "RateLimited" || (e.reason === "Forbidden" && e.operation !== "login"),
              (e) =>
                Effect.flatMap(
                  e.reason === "RateLimited" ? onRateLimited(e, workitemId) : Effect.sync(() => onForbidden(e)),
                  Effect.fail
                )
            )
          )
        return unwrap(result) as A
      })

    const schedule = retrySchedule({
      baseMs: options.retryBaseMs,
      maxMs: options.retryMaxMs,
      attempts: options.retryAttempts
    })

    /**
     * Re-login once on 401, then retry transient failures on the schedule — except a scoped 429 or a call held back
     * by one: the ticket waits out that pause in the inbox, and the rest of the work goes on meanwhile.
     */
    const call = <A>(
      operation: ServiceOperationName,
      f: () => Promise<unknown>,
      retryable: (e: GenesysError) => boolean = (e) => e.transient,
      scope: { readonly scopes: ReadonlyArray<PauseScope>; readonly workitemId?: string } = { scopes: [] }
    ): Effect.Effect<A, GenesysError> => {
      if (!(operation in SERVICE_OPERATIONS))
        return Effect.die(new Error(`operation ${operation} is not a service operation`))
      const once = attempt<A>(operation, f, scope.scopes, scope.workitemId).pipe(
        Effect.catchIf(
          // A 401 from the API (not a failed login, which the retries handle): log in again once.
          (e) => e.reason === "Unauthorized" && e.operation !== "login",
          () => Effect.zipRight(invalidateToken, attempt<A>(operation, f, scope.scopes, scope.workitemId))
        )
      )
      return Effect.retry(once, { schedule, while: (e) => retryable(e) && !e.scoped }).pipe(
        Effect.withSpan(`Genesys.${operation}`)
      )
    }

    const service: GenesysService = {
      getWorktype: (id) =>
        call<unknown>("getWorktype", () => tm.getTaskmanagementWorktype(id)).pipe(
          Effect.flatMap(decodeResponse(WorktypeResponse, "getWorktype")),
          Effect.map((w): WorktypeInfo => {
            const defaultWorkbinId = w.defaultWorkbin?.id
            const defaultStatusId = w.defaultStatus?.id
            return {
              id: w.id,
              name: w.name ?? "",
              ...(defaultWorkbinId !== undefined ? { defaultWorkbinId } : {}),
              ...(defaultStatusId !== undefined ? { defaultStatusId } : {})
            }
          })
        ),
      checkWorktype: (id) =>
        call(
          "getWorktype",
          () => tm.getTaskmanagementWorktype(id),
          () => false
        ).pipe(Effect.asVoid),
      findWorktypeByName: (name) =>
        call<unknown>("queryWorktypes", () =>
          tm.postTaskmanagementWorktypesQuery({
            filters: [{ name: "name", type: "String", operator: "EQ", values: [name] }],
            pageSize: 25
          } as unknown as Parameters<typeof tm.postTaskmanagementWorktypesQuery>[0])
        ).pipe(
          Effect.flatMap(decodeResponse(WorktypeListing, "queryWorktypes")),
          Effect.map((r) => {
            const w = (r.entities ?? []).find((x) => x.name === name)
            return w === undefined ? undefined : { id: w.id, name: w.name }
          })
        ),
      getStatuses: (worktypeId) =>
        call<unknown>("getWorktypeStatuses", () => tm.getTaskmanagementWorktypeStatuses(worktypeId)).pipe(
          Effect.flatMap(decodeResponse(StatusListing, "getWorktypeStatuses")),
          Effect.map((r) =>
            (r.entities ?? []).map(
              (s): WorktypeStatus => ({
                id: s.id,
                name: s.name,
                ...(s.category !== undefined ? { category: s.category } : {}),
                destinationStatusIds: (s.destinationStatuses ?? []).map((d) => d.id)
              })
            )
          )
        ),
      queryWorkitems: (typeId, filters, options) =>
        Effect.gen(function* () {
          const limit = options?.limit
          const out: Array<Workitem> = []
          let after: string | undefined
          for (let page = 0; page < 50; page++) {
            const body = {
              filters: [
                { name: "typeId", type: "String", operator: "EQ", values: [typeId] },
                ...filters.map((f) => ({ name: f.name, type: "String", operator: "EQ", values: [f.value] }))
              ],
              pageSize: limit === undefined ? 200 : Math.max(1, Math.min(200, limit - out.length)),
              ...(after !== undefined ? { after } : {})
            }
            const r = yield* call<unknown>("queryWorkitems", () =>
              tm.postTaskmanagementWorkitemsQuery(
                body as unknown as Parameters<typeof tm.postTaskmanagementWorkitemsQuery>[0]
              )
            ).pipe(Effect.flatMap(decodeResponse(WorkitemQueryPage, "queryWorkitems")))
            out.push(...(r.entities ?? []))
            if (limit !== undefined && out.length >= limit) return out.slice(0, limit)
            if (r.after === undefined || r.after === "") break
            after = r.after
          }
          return out
        }),
      getWorkitem: (id) =>
        call<unknown>("getWorkitem", () => tm.getTaskmanagementWorkitem(id)).pipe(
          Effect.flatMap(decodeResponse(WorkitemResponse, "getWorkitem"))
        ),
      // A create whose outcome is unknown (timeout, network error, 5xx) is not repeated blindly: the engine
      // looks the workitem up before trying again. A 429 or a credential failure (a failed login, a 401) was
      // refused outright, so it is retried here.
      createWorkitem: (body) =>
        call<unknown>(
          "createWorkitem",
          () => tm.postTaskmanagementWorkitems(body as unknown as Parameters<typeof tm.postTaskmanagementWorkitems>[0]),
          (e) => e.reason === "RateLimited" || e.credential || e.propagating === true,
          { scopes: [{ kind: "creates" }] }
        ).pipe(Effect.flatMap(decodeResponse(WorkitemResponse, "createWorkitem"))),
      updateWorkitem: (id, body) =>
        call<unknown>(
          "updateWorkitem",
          () =>
            tm.patchTaskmanagementWorkitem(id, body as unknown as Parameters<typeof tm.patchTaskmanagementWorkitem>[1]),
          (e) => e.transient,
          { scopes: [{ kind: "updates" }, { kind: "workitem", workitemId: id }], workitemId: id }
        ).pipe(Effect.flatMap(decodeResponse(WorkitemResponse, "updateWorkitem"))),
      bulkAddWorkitems: (bodies, options) =>
        Effect.gen(function* () {
          const firstPollMs = options?.firstPollMs ?? 1000
          const maxPollMs = options?.maxPollMs ?? 15_000
          const jobTimeoutMs = options?.jobTimeoutMs ?? 600_000
          const out: Array<BulkAddItemResult> = []
          for (let start = 0; start < bodies.length; start += BULK_ADD_PER_JOB) {
            const chunk = bodies.slice(start, start + BULK_ADD_PER_JOB)
            // A new job is Idle and creates nothing until queued, so creating it again after an unknown outcome is safe.
            // Held back while creates are paused, like the queueing: a job created then could not be queued and would
            // be left Idle.
            const job = yield* call<unknown>(
              "createBulkAddJob",
              () =>
                tm.postTaskmanagementWorkitemsBulkAddJobs({ entities: chunk } as unknown as Parameters<
                  typeof tm.postTaskmanagementWorkitemsBulkAddJobs
                >[0]),
              (e) => e.transient,
              { scopes: [{ kind: "creates" }] }
            ).pipe(Effect.flatMap(decodeResponse(BulkJobCreated, "createBulkAddJob")))
            const readJob = call<unknown>("getBulkAddJob", () => tm.getTaskmanagementWorkitemsBulkAddJob(job.id)).pipe(
              Effect.flatMap(decodeResponse(BulkJobState, "getBulkAddJob"))
            )
            // Queueing creates the workitems: held back while creates are paused. Queueing twice is refused (400: only
            // an Idle job can be queued), so after a retried PATCH a 400 is read as "already queued" when the job
            // is no longer Idle.
            yield* call(
              "queueBulkAddJob",
              () => tm.patchTaskmanagementWorkitemsBulkAddJob(job.id, { state: "Queued" }),
              (e) => e.transient,
              {
                scopes: [{ kind: "creates" }]
              }
            ).pipe(
              Effect.catchIf(
                (e) => e.reason === "BadRequest",
                (e) =>
                  Effect.flatMap(readJob, (j) =>
                    j.state === "Idle" || j.state === "Cancelled" ? Effect.fail(e) : Effect.void
                  )
              )
            )
            // One status read after the job's expected duration, then doubling waits (capped) until it has finished.
            const started = yield* Clock.currentTimeMillis
            const first = Math.min(Math.max(firstPollMs, expectedBulkJobMs), maxPollMs)
            const final = (j: { state?: string }) =>
              j.state === "Succeeded" || j.state === "Failed" || j.state === "Cancelled"
            const polls = backoff({ baseMs: first * 2, maxMs: maxPollMs, jitter: false }).pipe(
              Schedule.upTo(Duration.millis(Math.max(0, jobTimeoutMs - first)))
            )
            let reads = 0
            let last: { state?: string } = {}
            const read = Effect.tap(readJob, (j) =>
              Effect.sync(() => {
                last = j
                reads++
              })
            )
            yield* Effect.sleep(Duration.millis(first)).pipe(
              Effect.zipRight(Effect.repeat(read, { schedule: polls, until: final }))
            )
            const state = last.state
            if (!final(last))
              return yield* Effect.fail(
                new GenesysError({
                  reason: "Timeout",
                  operation: "getBulkAddJob",
                  body: { message: `bulk add job ${job.id} still ${String(state)} after ${jobTimeoutMs} ms` }
                })
              )
            // A job that needed more than one read took longer than expected: the next ones wait that long first.
            if (reads > 1) expectedBulkJobMs = (yield* Clock.currentTimeMillis) - started
            if (state === "Cancelled")
              return yield* Effect.fail(
                new GenesysError({
                  reason: "Conflict",
                  operation: "getBulkAddJob",
                  body: { message: `bulk add job ${job.id} was cancelled` }
                })
              )
            const r = yield* call<unknown>("getBulkAddJobResults", () =>
              tm.getTaskmanagementWorkitemsBulkAddJobResults(job.id)
            ).pipe(Effect.flatMap(decodeResponse(BulkJobResults, "getBulkAddJobResults")))
            const results = r.results ?? []
            if (results.length !== chunk.length)
              return yield* Effect.fail(
                new GenesysError({
                  reason: "ServerError",
                  operation: "getBulkAddJobResults",
                  body: {
                    message: `bulk add job ${job.id} (${String(state)}) has ${results.length} results for ${chunk.length} workitems`
                  }
                })
              )
            for (const x of results)
              out.push(
                x.entity?.id !== undefined
                  ? { ok: true, workitemId: x.entity.id }
                  : {
                      ok: false,
                      ...(x.error?.code !== undefined ? { code: x.error.code } : {}),
                      message: x.error?.message ?? "no workitem and no error in the job's results"
                    }
              )
          }
          return out
        }),
      invalidateToken,
      permissionsChanged: () => forbiddenSince.clear(),
      permissionWaits: () => {
        const now = Date.now()
        return [...forbiddenSince]
          .map(([operation, since]) => ({ operation, since, until: since + permissionWindowMs }))
          .filter((w) => w.until > now)
      },
      longPauses: () => {
        const now = Date.now()
        return [...longPauseUntil].filter(([, until]) => until > now).map(([scope, until]) => ({ scope, until }))
      }
    }
    return service
  })

export const layer = (options: GenesysClientOptions): Layer.Layer<Genesys, never, RateBudget | GenesysTelemetry> =>
  Layer.effect(Genesys, make(options))
