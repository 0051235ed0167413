/**
 * The connection every dynamic provider opens to Genesys Cloud, through the official SDK.
 *
 * Provider methods are serialized by Pulumi and run in a separate process, so nothing here may capture a module
 * binding: the SDK is loaded with `require` inside the functions (see `loadSdk`), and only `import type` is used.
 * The resolved path of the SDK is captured as a plain string so that the provider process finds the SDK even when
 * it is not resolvable from its working directory.
 */
import { createRequire } from "node:module"
import type * as EffectModule from "effect"
import type platformClient from "purecloud-platform-client-v2"

/** Where the providers connect: a Genesys region (or a gateway URL, for the emulator) and the provisioning client. */
export interface SdkTarget {
  /** Region host, e.g. `mypurecloud.ie`, or a `PureCloudRegionHosts` key such as `eu_west_1`. */
  readonly region?: string
  /** `http(s)://host:port` of a gateway (the bundled emulator); takes precedence over `region`. */
  readonly gatewayUrl?: string
  readonly clientId: string
  readonly clientSecret: string
}

export type Sdk = typeof platformClient

/** The API classes a provider uses, bound to one logged-in client. */
export interface Session {
  readonly taskManagement: InstanceType<Sdk["TaskManagementApi"]>
  readonly authorization: InstanceType<Sdk["AuthorizationApi"]>
  readonly oauth: InstanceType<Sdk["OAuthApi"]>
  readonly integrations: InstanceType<Sdk["IntegrationsApi"]>
  readonly architect: InstanceType<Sdk["ArchitectApi"]>
  readonly processAutomation: InstanceType<Sdk["ProcessAutomationApi"]>
}

/** A failed Genesys call: the operation, the HTTP status and Genesys's message (never headers or bodies sent). */
export interface GenesysCallError extends Error {
  readonly status: number | undefined
  readonly code: string | undefined
  readonly operation: string
  /** Genesys's message, for telling transient answers apart. */
  readonly genesysMessage?: string
  /** The `Retry-After` of a 429, in seconds. */
  readonly retryAfterSeconds?: number
}

const SDK_ENTRY: string = createRequire(import.meta.url).resolve("purecloud-platform-client-v2")
const EFFECT_ENTRY: string = createRequire(import.meta.url).resolve("effect")

/** `require` in the provider process, where neither Pulumi nor the SDK may be resolvable from the working directory. */
function requireFrom(entry: string): (id: string) => unknown {
  return typeof require === "function"
    ? require
    : (process as unknown as { getBuiltinModule(id: string): typeof import("node:module") })
        .getBuiltinModule("node:module")
        .createRequire(entry)
}

/** Load the SDK without capturing a module binding (see the header). */
export function loadSdk(): Sdk {
  const req = requireFrom(SDK_ENTRY)
  try {
    return req("purecloud-platform-client-v2") as Sdk
  } catch {
    return req(SDK_ENTRY) as Sdk
  }
}

/** Load `effect` the same way (its `Effect` and `Schedule` drive the retries). */
export function loadEffect(): typeof EffectModule {
  const req = requireFrom(EFFECT_ENTRY)
  try {
    return req("effect") as typeof EffectModule
  } catch {
    return req(EFFECT_ENTRY) as typeof EffectModule
  }
}

/**
 * Transient Genesys answers an operation may retry, beyond the 429 every call retries (docs/genesys-api.md,
 * "Transient answers"; the conditions are CX as Code's):
 * - `statusConcurrency`: a worktype status create/update answered 400 "Database transaction was cancelled" or 409
 *   (statuses changed concurrently; terraform-provider-genesyscloud `task_management_worktype_status`)
 * - `versionConflict`: 409, 408, or 400 "does not match the current version" (`util.IsVersionMismatch`); retry the
 *   whole read-current-version-then-write step, never the write alone.
 */
export type TransientKind = "statusConcurrency" | "versionConflict"

/** Whether `err` is a transient answer of one of `kinds`, or a 429. */
export function isTransient(err: unknown, kinds: ReadonlyArray<TransientKind>): boolean {
  const e = (err ?? {}) as Partial<GenesysCallError>
  const message = e.genesysMessage ?? ""
  if (e.status === 429) return true
  if (
    kinds.includes("statusConcurrency") &&
    (e.status === 409 || (e.status === 400 && message.includes("Database transaction was cancelled")))
  )
    return true
  return (
    kinds.includes("versionConflict") &&
    (e.status === 409 ||
      e.status === 408 ||
      (e.status === 400 && message.includes("does not match the current version")))
  )
}

/** How the retries are spaced and how many there are (the defaults suit a real org; tests may shorten them). */
export interface RetryTiming {
  /** First backoff; it doubles each retry up to `capMs`. Default 250. */
  readonly baseMs?: number
  /** Longest backoff. Default 5000. */
  readonly capMs?: number
  /** Retries after the first attempt. Default 10 (CX as Code's `RetryWhen` also stops after 10). */
  readonly maxRetries?: number
}

/**
 * The retry policy as an Effect `Schedule` over the failures: exponential backoff (capped) while the failure is
 * transient for `kinds`, at most `maxRetries` times, each wait at least the failure's `Retry-After`.
 */
export function transientRetrySchedule(kinds: ReadonlyArray<TransientKind>, timing: RetryTiming = {}) {
  const { Duration, Schedule } = loadEffect()
  const base = timing.baseMs ?? 250
  const cap = timing.capMs ?? 5000
  const backoff = Schedule.exponential(Duration.millis(base), 2).pipe(
    Schedule.either(Schedule.spaced(Duration.millis(cap)))
  )
  return backoff.pipe(
    Schedule.intersect(Schedule.recurs(timing.maxRetries ?? 10)),
    Schedule.intersect(Schedule.identity<unknown>()),
    Schedule.whileInput((err: unknown) => isTransient(err, kinds)),
    Schedule.modifyDelay(([, err], delay) => {
      const after = (err as Partial<GenesysCallError> | undefined)?.retryAfterSeconds
      return after === undefined ? delay : Duration.max(delay, Duration.seconds(after))
    })
  )
}

/** Run `step` (one or more calls), again on a transient failure of `kinds` or a 429, as `transientRetrySchedule` says. */
export async function retrying<T>(
  kinds: ReadonlyArray<TransientKind>,
  step: () => Promise<T>,
  timing?: RetryTiming
): Promise<T> {
  const { Cause, Effect, Exit } = loadEffect()
  const exit = await Effect.runPromiseExit(
    Effect.tryPromise({ try: step, catch: (err) => err }).pipe(
      Effect.retry(transientRetrySchedule(kinds, timing ?? retryTimingFromEnv()))
    )
  )
  if (Exit.isSuccess(exit)) return exit.value
  // The caller gets the last failure itself (a GenesysCallError), not Effect's wrapper.
  throw Cause.squash(exit.cause)
}

/** `WORKBRIDGE_PROVISION_RETRY_BASE_MS` shortens the backoff (tests); the defaults otherwise. */
function retryTimingFromEnv(): RetryTiming {
  const raw = process.env["WORKBRIDGE_PROVISION_RETRY_BASE_MS"]
  const base = raw === undefined ? Number.NaN : Number(raw)
  return Number.isInteger(base) && base >= 0 ? { baseMs: base, capMs: Math.max(base, 1) * 20 } : {}
}

/** Check a target and name the bad field; secrets are never echoed. */
export function checkTarget(target: SdkTarget | undefined): SdkTarget {
  if (target === undefined || target === null || typeof target !== "object") {
    throw new Error("connection: missing (expected { region | gatewayUrl, clientId, clientSecret })")
  }
  if (typeof target.clientId !== "string" || target.clientId.trim() === "") {
    throw new Error("connection.clientId: missing or empty")
  }
  if (typeof target.clientSecret !== "string" || target.clientSecret === "") {
    throw new Error("connection.clientSecret: missing or empty")
  }
  const hasGateway = typeof target.gatewayUrl === "string" && target.gatewayUrl !== ""
  const hasRegion = typeof target.region === "string" && target.region !== ""
  if (!hasGateway && !hasRegion) throw new Error("connection: set region or gatewayUrl")
  if (hasGateway) {
    let url: URL
    try {
      url = new URL(target.gatewayUrl as string)
    } catch {
      throw new Error(`connection.gatewayUrl: not a URL: ${JSON.stringify(target.gatewayUrl)}`)
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new Error(`connection.gatewayUrl: protocol must be http or https, got ${url.protocol}`)
    }
  }
  return target
}

/** Log in with client credentials and return the API classes bound to that client. */
export async function connect(target: SdkTarget): Promise<Session> {
  checkTarget(target)
  const sdk = loadSdk()
  const client = new sdk.ApiClientClass()
  client.config.live_reload_config = false
  if (target.gatewayUrl) {
    const url = new URL(target.gatewayUrl)
    const protocol = url.protocol.replace(":", "")
    const port = url.port === "" ? (protocol === "https" ? 443 : 80) : Number(url.port)
    client.setGateway({ host: url.hostname, protocol, port } as Parameters<typeof client.setGateway>[0])
  } else {
    const hosts = sdk.PureCloudRegionHosts as Record<string, string>
    client.setEnvironment(hosts[target.region as string] ?? (target.region as string))
  }
  client.setReturnExtendedResponses(true)
  try {
    await client.loginClientCredentialsGrant(target.clientId, target.clientSecret)
  } catch (cause) {
    const c = cause as { response?: { status?: number; data?: { error?: string } }; code?: string }
    const status = c.response?.status
    const detail =
      status === undefined ? (c.code ?? "network error") : `HTTP ${status} ${c.response?.data?.error ?? ""}`
    const err = new Error(`login with connection.clientId failed: ${detail.trim()}`) as Error & Record<string, unknown>
    err["status"] = status
    err["operation"] = "login"
    throw err
  }
  return {
    taskManagement: new sdk.TaskManagementApi(client),
    authorization: new sdk.AuthorizationApi(client),
    oauth: new sdk.OAuthApi(client),
    integrations: new sdk.IntegrationsApi(client),
    architect: new sdk.ArchitectApi(client),
    processAutomation: new sdk.ProcessAutomationApi(client)
  }
}

/**
 * Run one SDK call and return its body. With extended responses a success resolves to `{status, body}` and a
 * failure rejects with `{status, headers, body}`; the failure becomes a `GenesysCallError` naming `operation`.
 * A 429 is retried after its `Retry-After`, and so are the transient answers of `retry` (see `TransientKind`).
 */
export async function call<T>(
  operation: string,
  run: () => Promise<unknown>,
  retry: ReadonlyArray<TransientKind> = []
): Promise<T> {
  return retrying(retry, () => callOnce<T>(operation, run))
}

async function callOnce<T>(operation: string, run: () => Promise<unknown>): Promise<T> {
  let res: unknown
  try {
    res = await run()
  } catch (cause) {
    const c = (cause ?? {}) as {
      status?: number
      headers?: Record<string, unknown>
      body?: { message?: string; code?: string }
      code?: string
      message?: string
    }
    const status = typeof c.status === "number" ? c.status : undefined
    const message = c.body?.message ?? (status === undefined ? (c.code ?? c.message ?? "network error") : "")
    const parts = [status === undefined ? undefined : `HTTP ${status}`, c.body?.code, message].filter(
      (p): p is string => typeof p === "string" && p !== ""
    )
    const err = new Error(`${operation} failed: ${parts.join(" ")}`) as Error & Record<string, unknown>
    err["status"] = status
    err["code"] = c.body?.code
    err["operation"] = operation
    if (typeof c.body?.message === "string") err["genesysMessage"] = c.body.message
    const retryAfter = Number(c.headers?.["retry-after"])
    if (status === 429 && Number.isFinite(retryAfter) && retryAfter >= 0) err["retryAfterSeconds"] = retryAfter
    throw err
  }
  if (res !== null && typeof res === "object" && "body" in res && "status" in res) {
    return (res as { body: T }).body
  }
  return res as T
}

/** Whether an error is a Genesys 404. */
export function isNotFound(err: unknown): boolean {
  return (err as { status?: unknown } | null)?.status === 404
}

/** Run a delete, treating "already gone" as success. */
export async function deleteIgnoringMissing(
  operation: string,
  run: () => Promise<unknown>,
  retry: ReadonlyArray<TransientKind> = []
): Promise<void> {
  try {
    await call(operation, run, retry)
  } catch (err) {
    if (!isNotFound(err)) throw err
  }
}

/** JSON with object keys sorted, so that two equal values compare equal whatever their key order. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => stableJson(v)).join(",")}]`
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(",")}}`
  }
  return JSON.stringify(value ?? null)
}

/**
 * The part of a server copy that the program sets: down to `depth` levels of objects, keys the desired value does
 * not have are dropped; below that the server's value is kept whole. A key the server lacks stays missing, so it
 * still shows as a change. With `stableJson` (key order ignored) this is CX as Code's comparison: only the
 * attributes a resource manages, each JSON-equivalently (e.g. a schema's `properties`, an action's
 * `contract_input`, `config_request.headers`).
 */
export function projectOnto(actual: unknown, desired: unknown, depth: number): unknown {
  const isRecord = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === "object" && !Array.isArray(v)
  if (depth <= 0 || !isRecord(actual) || !isRecord(desired)) return actual
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(desired))
    if (key in actual) out[key] = projectOnto(actual[key], desired[key], depth - 1)
  return out
}

/**
 * The named keys whose values differ between two property bags (missing and undefined count as null).
 * `connection` is always compared: a rotated provisioning secret is an in-place update, so that the state (which
 * `read` and `delete` use) holds the working credentials.
 */
export function changedKeys(olds: object, news: object, keys: ReadonlyArray<string>): string[] {
  const o = olds as Record<string, unknown>
  const n = news as Record<string, unknown>
  return [...keys, "connection"].filter((k) => stableJson(o[k]) !== stableJson(n[k]))
}

/** A diff result in the shape Pulumi expects. */
export function diffResult(
  changed: ReadonlyArray<string>,
  replaceKeys: ReadonlyArray<string>,
  deleteBeforeReplace = false
) {
  const replaces = changed.filter((k) => replaceKeys.includes(k))
  return {
    changes: changed.length > 0,
    replaces,
    deleteBeforeReplace: replaces.length > 0 && deleteBeforeReplace,
    stables: []
  }
}
