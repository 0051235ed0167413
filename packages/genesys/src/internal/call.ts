/**
 * The call wrapper every Genesys operation goes through (the hot path): a scoped pause in force refuses the call
 * before anything is sent; then the token, the rate budget, a permit of the in-flight semaphore, the SDK call, its
 * outcome told to the telemetry, a pause on 429 (scoped to what it limited), the permission window on 403, one
 * re-login on 401, and retries on the schedule. The shared state is a `CallState` made once by the client.
 */
import { Clock, Effect } from "effect"
import { SERVICE_OPERATIONS, type ServiceOperationName } from "@workbridge/catalog"
import type { LongPause, PermissionWait, retrySchedule } from "../Genesys.js"
import { GenesysError } from "../GenesysError.js"
import { type PauseScope, type PauseScopeKind, type RateBudgetService, withFreshToken } from "../RateBudget.js"
import type { GenesysTelemetryService } from "../Telemetry.js"
import { rateLimitScope, refine, toGenesysError } from "./errors.js"
import type { TokenSession } from "./token.js"

/** What every call shares: made once per client. */
export interface CallState {
  readonly budget: RateBudgetService
  readonly telemetry: GenesysTelemetryService
  /** Bounds the calls in flight. */
  readonly inFlight: Effect.Semaphore
  readonly token: TokenSession
  readonly schedule: ReturnType<typeof retrySchedule>
  readonly permissionWindowMs: number
  readonly longPauseSeconds: number
  /** Operation → epoch ms of its first 403 since start or since it last succeeded. */
  readonly forbiddenSince: Map<string, number>
  /** Scope kind → epoch ms the longest long pause of that kind ends. */
  readonly longPauseUntil: Map<PauseScopeKind, number>
}

/** The pause scopes a call is held back by, and the workitem a 429 on it may have limited. */
export interface CallScope {
  readonly scopes: ReadonlyArray<PauseScope>
  readonly workitemId?: string
}

/** The wrapper bound to a client's `CallState`, as the operations use it. */
export type Call = <A>(
  operation: ServiceOperationName,
  f: () => Promise<unknown>,
  retryable?: (e: GenesysError) => boolean,
  scope?: CallScope
) => Effect.Effect<A, GenesysError>

const transient = (e: GenesysError): boolean => e.transient
const UNSCOPED: CallScope = { scopes: [] }
/** A 429, or a 403 from the API (a failed login's 403 is a credential failure, retried as one). */
const pausesOrWaits = (e: GenesysError): boolean =>
  e.reason === "RateLimited" || (e.reason === "Forbidden" && e.operation !== "login")
/** A 401 from the API (not a failed login, which the retries handle). */
const unauthorized = (e: GenesysError): boolean => e.reason === "Unauthorized" && e.operation !== "login"

const unwrap = (r: unknown): unknown =>
  typeof r === "object" && r !== null && "body" in r && "status" in r ? (r as { body: unknown }).body : r

/** The SDK call itself, told to the telemetry (operation, status, latency: the audit trail of the ticket being applied). */
const send = (telemetry: GenesysTelemetryService, operation: ServiceOperationName, f: () => Promise<unknown>) =>
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
const onRateLimited = (state: CallState, e: GenesysError, workitemId: string | undefined) =>
  Effect.gen(function* () {
    const { telemetry, longPauseUntil } = state
    telemetry.rateLimited()
    const scope = rateLimitScope(e, workitemId)
    const seconds = e.retryAfterSeconds ?? 1
    yield* state.budget.pause(seconds, scope)
    telemetry.paused(scope.kind)
    if (seconds > state.longPauseSeconds) {
      const until = (yield* Clock.currentTimeMillis) + seconds * 1000
      if ((longPauseUntil.get(scope.kind) ?? 0) < Date.now()) telemetry.longPauseBegan(scope.kind)
      longPauseUntil.set(scope.kind, Math.max(longPauseUntil.get(scope.kind) ?? 0, until))
    }
    return refine(e, { scope })
  })

/** A 403: inside the operation's permission-propagation window it is retried; after it, dead-lettered as before. */
const onForbidden = (state: CallState, e: GenesysError): GenesysError => {
  const now = Date.now()
  const since = state.forbiddenSince.get(e.operation) ?? now
  if (!state.forbiddenSince.has(e.operation)) state.forbiddenSince.set(e.operation, now)
  return now - since < state.permissionWindowMs ? refine(e, { propagating: true }) : e
}

/**
 * One attempt: a scoped pause in force over the call refuses it here (nothing is sent), then token, budget,
 * in-flight permit, the SDK call, outcome metrics, a pause on 429, the permission window on 403.
 */
const attempt = <A>(
  state: CallState,
  operation: ServiceOperationName,
  f: () => Promise<unknown>,
  scopes: ReadonlyArray<PauseScope>,
  workitemId: string | undefined
) =>
  Effect.gen(function* () {
    const { budget, telemetry } = state
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
    yield* state.token.ensureToken
    // The budget is drawn inside the permit, so a pause set by a 429 holds every call not yet sent; a token older
    // than its hand-off deadline when the call would be sent is dropped for a new one (the budget's room for calls in
    // flight covers only calls sent on time).
    const result = yield* state.inFlight
      .withPermits(1)(withFreshToken(budget, send(telemetry, operation, f), telemetry.tokenDropped))
      .pipe(
        Effect.tapBoth({
          onFailure: (e) => Effect.sync(() => telemetry.callOutcome(operation, e.reason)),
          onSuccess: () =>
            Effect.sync(() => {
              telemetry.callOutcome(operation, "ok")
              // It works again (permissions arrived, or a role changed since): a later 403 opens a new window.
              state.forbiddenSince.delete(operation)
            })
        }),
        Effect.catchIf(pausesOrWaits, (e) =>
          Effect.flatMap(
            e.reason === "RateLimited" ? onRateLimited(state, e, workitemId) : Effect.sync(() => onForbidden(state, e)),
            Effect.fail
          )
        )
      )
    return unwrap(result) as A
  })

/**
 * Re-login once on 401, then retry transient failures on the schedule — except a scoped 429 or a call held back
 * by one: the ticket waits out that pause in the inbox, and the rest of the work goes on meanwhile.
 */
export const call = <A>(
  state: CallState,
  operation: ServiceOperationName,
  f: () => Promise<unknown>,
  retryable: (e: GenesysError) => boolean = transient,
  scope: CallScope = UNSCOPED
): Effect.Effect<A, GenesysError> => {
  if (!(operation in SERVICE_OPERATIONS))
    return Effect.die(new Error(`operation ${operation} is not a service operation`))
  const once = attempt<A>(state, operation, f, scope.scopes, scope.workitemId).pipe(
    Effect.catchIf(unauthorized, () =>
      Effect.zipRight(state.token.invalidateToken, attempt<A>(state, operation, f, scope.scopes, scope.workitemId))
    )
  )
  return Effect.retry(once, { schedule: state.schedule, while: (e) => retryable(e) && !e.scoped }).pipe(
    Effect.withSpan(`Genesys.${operation}`)
  )
}

/** Operations whose 403s are being retried while permissions propagate. */
export const permissionWaits = (state: CallState): ReadonlyArray<PermissionWait> => {
  const now = Date.now()
  return [...state.forbiddenSince]
    .map(([operation, since]) => ({ operation, since, until: since + state.permissionWindowMs }))
    .filter((w) => w.until > now)
}

/** Long 429 pauses still in force, one per scope kind. */
export const longPauses = (state: CallState): ReadonlyArray<LongPause> => {
  const now = Date.now()
  return [...state.longPauseUntil].filter(([, until]) => until > now).map(([scope, until]) => ({ scope, until }))
}
