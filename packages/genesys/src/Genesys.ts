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
import { Context, Effect, Layer } from "effect"
import { backoff } from "@workbridge/catalog"
import type { GenesysError } from "./GenesysError.js"
import { bulkAddWorkitems, type BulkPacing } from "./internal/bulkAdd.js"
import { type Call, type CallState, call as callWith, longPauses, permissionWaits } from "./internal/call.js"
import { workitemOperations, worktypeOperations } from "./internal/operations.js"
import { makeTokenSession } from "./internal/token.js"
import { type PauseScopeKind, RateBudget } from "./RateBudget.js"
import type { StatusId, WorkitemId, WorktypeId } from "./Responses.js"
import { GenesysTelemetry } from "./Telemetry.js"

export { BULK_ADD_PER_JOB } from "./internal/bulkAdd.js"
export { rateLimitScope, toGenesysError } from "./internal/errors.js"

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
  /** `EQ` when absent; `GT`/`GTE`/`LT`/`LTE` compare (docs/genesys-api.md §2.7). */
  readonly operator?: "EQ" | "NEQ" | "GT" | "GTE" | "LT" | "LTE"
}

/** One page of a workitem query, and the cursor of the next (absent: the last page). */
export interface WorkitemPage {
  readonly entities: ReadonlyArray<Workitem>
  readonly after?: string
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
   * Workitems of the worktype matching up to two more filters (EQ unless they say): every match (paging on), or at most
   * `options.limit` of them (pageSize = the limit, so `{ limit: 1 }` is one small call).
   */
  readonly queryWorkitems: (
    typeId: string,
    filters: ReadonlyArray<QueryFilter>,
    options?: { readonly limit?: number }
  ) => Effect.Effect<ReadonlyArray<Workitem>, GenesysError>
  /**
   * One page of the worktype's workitems matching up to two more filters: one query call (`pageSize` up to 200, the
   * most Genesys allows; default 200), from the cursor `after` of the previous page.
   */
  readonly queryWorkitemsPage: (
    typeId: string,
    filters: ReadonlyArray<QueryFilter>,
    options?: { readonly pageSize?: number; readonly after?: string }
  ) => Effect.Effect<WorkitemPage, GenesysError>
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

/**
 * Exponential backoff (base × 2ⁿ) capped at `maxMs`, then jittered down to 50–100 % of that (so the cap holds and
 * callers that failed together do not retry together), for at most `attempts` retries.
 */
export const retrySchedule = (options: {
  readonly baseMs: number
  readonly maxMs: number
  readonly attempts: number
}) => backoff({ ...options, jitter: { min: 0.5, max: 1 } })

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
    const state: CallState = {
      budget,
      telemetry,
      inFlight: yield* Effect.makeSemaphore(options.maxInFlight),
      token: yield* makeTokenSession(client, options, telemetry),
      schedule: retrySchedule({
        baseMs: options.retryBaseMs,
        maxMs: options.retryMaxMs,
        attempts: options.retryAttempts
      }),
      permissionWindowMs: (options.permissionWindowSeconds ?? 300) * 1000,
      longPauseSeconds: options.longPauseSeconds ?? 60,
      forbiddenSince: new Map(),
      longPauseUntil: new Map()
    }
    const call: Call = (operation, f, retryable, scope) => callWith(state, operation, f, retryable, scope)
    const pacing: BulkPacing = { expectedJobMs: 0 }
    const service: GenesysService = {
      ...worktypeOperations(call, tm),
      ...workitemOperations(call, tm),
      bulkAddWorkitems: (bodies, options) => bulkAddWorkitems(call, tm, pacing, bodies, options),
      invalidateToken: state.token.invalidateToken,
      permissionsChanged: () => state.forbiddenSince.clear(),
      permissionWaits: () => permissionWaits(state),
      longPauses: () => longPauses(state)
    }
    return service
  })

export const layer = (options: GenesysClientOptions): Layer.Layer<Genesys, never, RateBudget | GenesysTelemetry> =>
  Layer.effect(Genesys, make(options))
