/**
 * Service configuration, read from the environment and validated at start. Every error names the variable.
 */
import * as path from "node:path"
import { adapters } from "@workbridge/adapters"
import { HELPDESK_SOURCES, type HelpdeskConfigs, HelpdeskConfigError, type HelpdeskSource, helpdeskConfigsFromEnv } from "@workbridge/helpdesk-clients/Config"
import { type StoreSettings, distributedSettingsFromEnv } from "./distributed/Settings.js"

/** A configuration variable has a value the service cannot use. */
export class ConfigError extends Error {
  readonly _tag = "ConfigError"
  constructor(
    readonly variable: string,
    readonly problem: string
  ) {
    super(`${variable}: ${problem}`)
    this.name = "ConfigError"
  }
}

/** Credentials one webhook source accepts (the adapters' `SourceCredentials`). */
export interface WebhookCredentials {
  readonly secret?: string
  readonly basicAuth?: string
  readonly token?: { readonly header: string; readonly value: string }
}

/** Where the Genesys API is. */
export type GenesysTarget =
  | {
      /** A Genesys Cloud org (region) or any gateway speaking its API with configured credentials. */
      readonly _tag: "Remote"
      readonly region?: string
      readonly gatewayUrl?: string
      readonly clientId: string
      readonly clientSecret: string
    }
  | {
      /** No credentials: the service starts the bundled emulator and provisions it from the catalog. */
      readonly _tag: "Embedded"
      readonly emulatorPort: number
      readonly adminId: string
      readonly adminSecret: string
    }

export type CrashPoint = "after-accept" | "before-apply" | "after-create" | "after-update" | "between-status-steps"
export const CRASH_POINTS: ReadonlyArray<CrashPoint> = ["after-accept", "before-apply", "after-create", "after-update", "between-status-steps"]

export interface ServiceConfig {
  readonly port: number
  readonly host: string
  readonly dataDir: string
  readonly genesys: GenesysTarget
  readonly worktypeId?: string
  readonly worktypeName?: string
  /** Workbin of new workitems; default the worktype's default workbin. */
  readonly workbinId?: string
  /** Genesys requests per minute (token bucket refill). */
  readonly budgetPerMinute: number
  /** Token bucket capacity (burst). */
  readonly budgetBurst: number
  /** Genesys calls in flight at once. */
  readonly maxInFlight: number
  /** Tickets worked on in parallel. */
  readonly workers: number
  readonly catalogFile?: string
  readonly skillIds?: Readonly<Record<string, string>>
  /** Per-source webhook credentials, keyed by lower-case source name. */
  readonly webhooks: Readonly<Record<string, WebhookCredentials>>
  readonly inboxSoftLimit: number
  readonly inboxHardLimit: number
  readonly deadLetterAlert: number
  readonly tls?: { readonly certFile: string; readonly keyFile: string }
  readonly logLevel: string
  /** Per-call timeout of Genesys requests. */
  readonly genesysTimeoutMs: number
  /** First retry delay and the cap of the exponential backoff. */
  readonly retryBaseMs: number
  readonly retryMaxMs: number
  /** Retries of one call before the apply is given up for now (the event stays in the inbox). */
  readonly retryAttempts: number
  /** Seconds after an operation's first 403 during which its 403s are retried (permissions propagating); 0 = none. */
  readonly permissionWindowSeconds: number
  /** A 429 pause longer than this raises the long-pause alert. */
  readonly longPauseSeconds: number
  /** Coalescing window: how long a ticket's first pending event waits for later ones. */
  readonly coalesceMs: number
  /** Seconds a webhook sender is told to wait when the inbox is full. */
  readonly inboxRetryAfterSeconds: number
  readonly dataActionAuth: { readonly basicAuth?: string; readonly bearerToken?: string }
  /** Test-only: kill the process with SIGKILL at this point (see docs/service.md). */
  readonly testCrashAt?: CrashPoint
  /** Which stores: the embedded default, or RabbitMQ + Redis (see docs/distributed.md). */
  readonly stores: StoreSettings
  /** Settings of the HTTP edge, handed to `makeApp` as they are. */
  readonly edge: EdgeSettings
  /** `WORKBRIDGE_AUDIT_RETENTION_DAYS`: how long the per-ticket audit trail keeps entries (0: no audit trail). */
  readonly auditRetentionDays: number
  /** Reading the helpdesks' APIs: reconciliation and fetch-on-notify (docs/service.md, "Helpdesk feeds"). */
  readonly feeds: FeedSettings
  /**
   * The demo's helpdesk emulators (embedded Genesys only, `WORKBRIDGE_HELPDESK_EMULATORS` not `false`): their ports,
   * `HELPDESK_EMULATOR_PORT_<SOURCE>`, default 9301–9305 (0 each when `GENESYS_EMULATOR_PORT` is 0). They are started
   * only when no webhook credentials and no helpdesk API are configured.
   */
  readonly helpdeskEmulators?: { readonly ports: Readonly<Record<HelpdeskSource, number>> }
  /** OpenTelemetry trace export (OTLP over HTTP); absent (the default) when no `OTEL_EXPORTER_OTLP_*ENDPOINT` is set. */
  readonly tracing?: TracingConfig
}

/** Where and how traces are exported (docs/service.md, "Tracing"). */
export interface TracingConfig {
  /** The OTLP/HTTP traces URL: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` as given, else `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`. */
  readonly tracesUrl: string
  /** Sent with every export (`OTEL_EXPORTER_OTLP_HEADERS`, then `OTEL_EXPORTER_OTLP_TRACES_HEADERS`); may hold credentials: never logged. */
  readonly headers: Readonly<Record<string, string>>
  /** `OTEL_SERVICE_NAME` (default `workbridge`). */
  readonly serviceName: string
}

/** The helpdesk read clients and what the service does with them. */
export interface FeedSettings {
  /** Read-client configuration per source (`HELPDESK_URL_/USER_/TOKEN_<SOURCE>`). */
  readonly helpdesks: HelpdeskConfigs
  /** Sources with a scheduled reconciliation pass → its interval in ms (`WORKBRIDGE_RECONCILE_INTERVAL_<SOURCE>`). */
  readonly reconcileIntervalMs: Readonly<Record<string, number>>
  /** Sources whose webhooks are notifications: the ticket is read from the API (`WORKBRIDGE_FETCH_ON_NOTIFY_<SOURCE>`). */
  readonly fetchOnNotify: ReadonlyArray<string>
}

/** Default reconciliation interval of a source whose API credentials are set. */
export const DEFAULT_RECONCILE_INTERVAL_MS = 15 * 60_000

/** A duration such as `15m`, `30s`, `1h`, `500ms` or `0` (off), in ms. */
export const parseDuration = (variable: string, raw: string): number => {
  const m = /^(\d{1,9})(ms|s|m|h)?$/.exec(raw.trim())
  if (m === null) throw new ConfigError(variable, `must be a duration such as 15m, 30s, 1h or 0 (off), got "${raw.slice(0, 40)}"`)
  const n = Number(m[1])
  const unit = m[2] ?? (n === 0 ? "ms" : undefined)
  if (unit === undefined) throw new ConfigError(variable, `needs a unit (ms, s, m or h), got "${raw.slice(0, 40)}"`)
  const ms = n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit as "ms" | "s" | "m" | "h"]
  if (ms !== 0 && ms < 1000) throw new ConfigError(variable, "must be at least 1s (or 0 to turn it off)")
  return ms
}

const bool = (env: Env, name: string): boolean | undefined => {
  const raw = str(env, name)?.toLowerCase()
  if (raw === undefined) return undefined
  if (!["true", "false", "1", "0"].includes(raw)) throw new ConfigError(name, `must be true or false, got "${raw.slice(0, 20)}"`)
  return raw === "true" || raw === "1"
}

/** Feed settings from the environment; every error names its variable and never repeats a token or URL. */
export const feedSettingsFromEnv = (env: Env, given?: HelpdeskConfigs): FeedSettings => {
  let helpdesks: HelpdeskConfigs
  try {
    helpdesks = given ?? helpdeskConfigsFromEnv(env)
  } catch (e) {
    if (e instanceof HelpdeskConfigError) throw new ConfigError(e.variable, e.reason)
    throw e
  }
  const reconcileIntervalMs: Record<string, number> = {}
  const fetchOnNotify: Array<string> = []
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue
    for (const prefix of ["WORKBRIDGE_RECONCILE_INTERVAL_", "WORKBRIDGE_FETCH_ON_NOTIFY_"]) {
      if (!name.startsWith(prefix)) continue
      const source = name.slice(prefix.length).toLowerCase()
      if (!(HELPDESK_SOURCES as ReadonlyArray<string>).includes(source)) {
        throw new ConfigError(name, `names no source with a read client; the sources are ${HELPDESK_SOURCES.join(", ")}`)
      }
      if (helpdesks[source as HelpdeskSource] === undefined && str(env, name) !== undefined && str(env, name) !== "0" && str(env, name)?.toLowerCase() !== "false") {
        const s = source.toUpperCase()
        throw new ConfigError(name, `needs the source's API credentials: set HELPDESK_URL_${s} and HELPDESK_TOKEN_${s} (see docs/helpdesks.md)`)
      }
    }
  }
  for (const source of HELPDESK_SOURCES) {
    if (helpdesks[source] === undefined) continue
    const variable = `WORKBRIDGE_RECONCILE_INTERVAL_${source.toUpperCase()}`
    const raw = str(env, variable)
    const ms = raw === undefined ? DEFAULT_RECONCILE_INTERVAL_MS : parseDuration(variable, raw)
    if (ms > 0) reconcileIntervalMs[source] = ms
    // Freshdesk webhooks carry no revision of their own unless the rule's template renders it: read on notice by default.
    if (bool(env, `WORKBRIDGE_FETCH_ON_NOTIFY_${source.toUpperCase()}`) ?? source === "freshdesk") fetchOnNotify.push(source)
  }
  return { helpdesks, reconcileIntervalMs, fetchOnNotify }
}

export interface EdgeSettings {
  /** Replay window of timestamped webhook signatures (Zendesk), `WORKBRIDGE_WEBHOOK_TOLERANCE_SECONDS`. */
  readonly webhookToleranceSeconds: number
  /** Generic source → the header carrying its signature, `WEBHOOK_SIGNATURE_HEADER_<SOURCE>`. */
  readonly signatureHeaders: Readonly<Record<string, string>>
  /** `WORKBRIDGE_ADMIN_TOKEN`: when set, the operations endpoints require `Authorization: Bearer <token>`. */
  readonly adminToken?: string
  /**
   * `WORKBRIDGE_ADMIN_OPEN=true`: expose the operations endpoints without a token on a non-loopback `HOST` (the
   * operator's explicit opt-out; without it they answer 403 there).
   */
  readonly adminOpen?: true
}

export type Env = Readonly<Record<string, string | undefined>>

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"]

const str = (env: Env, name: string): string | undefined => {
  const v = env[name]
  return v === undefined || v.trim() === "" ? undefined : v.trim()
}

const int = (env: Env, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number => {
  const raw = str(env, name)
  if (raw === undefined) return fallback
  if (!/^-?\d+$/.test(raw)) throw new ConfigError(name, `must be an integer, got "${raw}"`)
  const n = Number(raw)
  if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`)
  return n
}

const userPassword = (name: string, value: string): string => {
  const i = value.indexOf(":")
  if (i <= 0 || i === value.length - 1) throw new ConfigError(name, "must have the form user:password")
  return value
}

/** The source-name part of a per-source variable: lower-case letters, digits, `_` and `-`. */
const sourceName = (variable: string, suffix: string): string => {
  const name = suffix.toLowerCase().replace(/_/g, "-")
  if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(name)) {
    throw new ConfigError(variable, "the source name after the prefix must be 1–64 letters, digits or underscores")
  }
  return name
}

/** Per-source webhook credentials from `WEBHOOK_SECRET_<SOURCE>`, `WEBHOOK_BASIC_AUTH_<SOURCE>`, `WEBHOOK_TOKEN_<SOURCE>`. */
export const webhookCredentialsFromEnv = (env: Env): Record<string, WebhookCredentials> => {
  const out: Record<string, { secret?: string; basicAuth?: string; token?: { header: string; value: string } }> = {}
  for (const [name, raw] of Object.entries(env)) {
    const value = raw?.trim()
    if (value === undefined) continue
    let m: RegExpExecArray | null
    if ((m = /^WEBHOOK_BASIC_AUTH_(.+)$/.exec(name))) {
      if (value === "") throw new ConfigError(name, "is empty")
      ;(out[sourceName(name, m[1]!)] ??= {}).basicAuth = userPassword(name, value)
    } else if ((m = /^WEBHOOK_SECRET_(.+)$/.exec(name))) {
      if (value === "") throw new ConfigError(name, "is empty")
      ;(out[sourceName(name, m[1]!)] ??= {}).secret = value
    } else if ((m = /^WEBHOOK_TOKEN_(.+)$/.exec(name))) {
      if (value === "") throw new ConfigError(name, "is empty")
      // `Header-Name:token` or just the token (sent as `Authorization: Bearer <token>`).
      const i = value.indexOf(":")
      const token =
        i > 0 && /^[A-Za-z0-9-]+$/.test(value.slice(0, i))
          ? { header: value.slice(0, i).toLowerCase(), value: value.slice(i + 1) }
          : { header: "authorization", value: `Bearer ${value}` }
      ;(out[sourceName(name, m[1]!)] ??= {}).token = token
    }
  }
  return out
}

/**
 * `WEBHOOK_SIGNATURE_HEADER_<SOURCE>`: the header a generic JSON source sends its signature in (default
 * `x-workbridge-signature`). Only generic sources have one: a built-in vendor's header is fixed by the vendor.
 */
export const signatureHeadersFromEnv = (env: Env): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [name, raw] of Object.entries(env)) {
    const m = /^WEBHOOK_SIGNATURE_HEADER_(.+)$/.exec(name)
    if (m === null || raw === undefined) continue
    const value = raw.trim()
    if (value === "") throw new ConfigError(name, "is empty")
    const source = sourceName(name, m[1]!)
    if (source !== "generic" && Object.prototype.hasOwnProperty.call(adapters, source)) {
      throw new ConfigError(name, `${source} signs with its own fixed header; only generic JSON sources take a signature header`)
    }
    if (!/^[A-Za-z0-9][A-Za-z0-9-]*$/.test(value)) throw new ConfigError(name, `must be an HTTP header name such as X-Acme-Signature, got "${value}"`)
    out[source] = value.toLowerCase()
  }
  return out
}

/** The variable that would configure credentials for a source, for error messages. */
export const secretVariableFor = (source: string, kind: "secret" | "basicAuth" | "token" = "secret"): string => {
  const suffix = source.toUpperCase().replace(/-/g, "_")
  return kind === "secret"
    ? `WEBHOOK_SECRET_${suffix}`
    : kind === "basicAuth"
      ? `WEBHOOK_BASIC_AUTH_${suffix}`
      : `WEBHOOK_TOKEN_${suffix}`
}

const parseGatewayUrl = (name: string, value: string): string => {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new ConfigError(name, `must be a URL such as http://127.0.0.1:9300, got "${value}"`)
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new ConfigError(name, "must use http or https")
  return value.replace(/\/+$/, "")
}

/** An OTLP endpoint variable: an http(s) URL (its value is not echoed back: it may carry credentials). */
const otlpUrl = (name: string, value: string): URL => {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new ConfigError(name, "must be an http(s) URL such as http://127.0.0.1:4318")
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new ConfigError(name, "must use http or https (OTLP over HTTP)")
  return url
}

/**
 * `OTEL_EXPORTER_OTLP_HEADERS`-style lists: `key=value` pairs separated by commas, values percent-encoded (the
 * OpenTelemetry SDK environment specification). Errors name the variable and the entry's position, never a value.
 */
const otlpHeaders = (name: string, value: string): Record<string, string> => {
  const out: Record<string, string> = {}
  value.split(",").forEach((raw, i) => {
    const entry = raw.trim()
    if (entry === "") return
    const eq = entry.indexOf("=")
    const key = eq <= 0 ? "" : entry.slice(0, eq).trim()
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(key)) throw new ConfigError(name, `entry ${i + 1} must have the form key=value with an HTTP header name as key`)
    let v: string
    try {
      v = decodeURIComponent(entry.slice(eq + 1).trim())
    } catch {
      throw new ConfigError(name, `the value of entry ${i + 1} ("${key}") is not valid percent-encoding`)
    }
    if (/[\r\n\0]/.test(v)) throw new ConfigError(name, `the value of entry ${i + 1} ("${key}") must not contain line breaks`)
    out[key.toLowerCase()] = v
  })
  return out
}

/** The trace export settings, or undefined (tracing off) when no OTLP endpoint is set or `OTEL_SDK_DISABLED=true`. */
export const tracingFromEnv = (env: Env): TracingConfig | undefined => {
  const base = str(env, "OTEL_EXPORTER_OTLP_ENDPOINT")
  const traces = str(env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
  if (base === undefined && traces === undefined) return undefined
  const disabled = str(env, "OTEL_SDK_DISABLED")?.toLowerCase()
  if (disabled !== undefined && disabled !== "true" && disabled !== "false") throw new ConfigError("OTEL_SDK_DISABLED", "must be true or false")
  if (disabled === "true") return undefined
  for (const name of ["OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"]) {
    const protocol = str(env, name)
    if (protocol !== undefined && protocol !== "http/json" && protocol !== "http/protobuf") {
      throw new ConfigError(name, `traces are exported over HTTP (OTLP/HTTP with JSON bodies); "${protocol}" is not supported — use http/json, or point the endpoint at the collector's HTTP port (4318)`)
    }
  }
  let tracesUrl: string
  if (traces !== undefined) tracesUrl = otlpUrl("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", traces).href
  else {
    const url = otlpUrl("OTEL_EXPORTER_OTLP_ENDPOINT", base!)
    url.pathname = `${url.pathname.replace(/\/+$/, "")}/v1/traces`
    tracesUrl = url.href
  }
  const headers = {
    ...otlpHeaders("OTEL_EXPORTER_OTLP_HEADERS", str(env, "OTEL_EXPORTER_OTLP_HEADERS") ?? ""),
    ...otlpHeaders("OTEL_EXPORTER_OTLP_TRACES_HEADERS", str(env, "OTEL_EXPORTER_OTLP_TRACES_HEADERS") ?? "")
  }
  return { tracesUrl, headers, serviceName: str(env, "OTEL_SERVICE_NAME") ?? "workbridge" }
}

/** Read and validate the whole configuration. Throws `ConfigError` naming the first bad variable. */
/**
 * Relative paths (`WORKBRIDGE_DATA_DIR`, `WORKBRIDGE_CATALOG_FILE`, `WORKBRIDGE_TLS_CERT`/`_KEY`) resolve against `cwd`,
 * by default the directory `pnpm` was invoked in (`INIT_CWD`: pnpm runs package scripts in the package folder), else
 * the process's working directory — as `pnpm data-action:export` does.
 */
export const loadConfig = (env: Env, cwd: string = str(env, "INIT_CWD") ?? process.cwd()): ServiceConfig => {
  const port = int(env, "PORT", 8080, 0, 65535)
  const host = str(env, "HOST") ?? "127.0.0.1"
  const dataDir = path.resolve(cwd, str(env, "WORKBRIDGE_DATA_DIR") ?? ".data")

  const clientId = str(env, "GENESYS_CLIENT_ID")
  const clientSecret = str(env, "GENESYS_CLIENT_SECRET")
  const region = str(env, "GENESYS_REGION")
  const gatewayRaw = str(env, "GENESYS_GATEWAY_URL")
  let genesys: GenesysTarget
  if (clientId === undefined && clientSecret === undefined) {
    if (region !== undefined) throw new ConfigError("GENESYS_CLIENT_ID", "is required when GENESYS_REGION is set")
    if (gatewayRaw !== undefined) throw new ConfigError("GENESYS_CLIENT_ID", "is required when GENESYS_GATEWAY_URL is set")
    genesys = {
      _tag: "Embedded",
      emulatorPort: int(env, "GENESYS_EMULATOR_PORT", 9300, 0, 65535),
      adminId: str(env, "GENESYS_EMULATOR_ADMIN_ID") ?? "workbridge-admin",
      adminSecret: str(env, "GENESYS_EMULATOR_ADMIN_SECRET") ?? "workbridge-admin-secret"
    }
  } else {
    if (clientId === undefined) throw new ConfigError("GENESYS_CLIENT_ID", "is required when GENESYS_CLIENT_SECRET is set")
    if (clientSecret === undefined) throw new ConfigError("GENESYS_CLIENT_SECRET", "is required when GENESYS_CLIENT_ID is set")
    if (region === undefined && gatewayRaw === undefined) {
      throw new ConfigError("GENESYS_REGION", "set GENESYS_REGION (e.g. mypurecloud.ie) or GENESYS_GATEWAY_URL")
    }
    if (region !== undefined && gatewayRaw !== undefined) {
      throw new ConfigError("GENESYS_GATEWAY_URL", "set either GENESYS_REGION or GENESYS_GATEWAY_URL, not both")
    }
    if (region !== undefined && !/^[a-z0-9.-]+\.[a-z]+$/.test(region)) {
      throw new ConfigError("GENESYS_REGION", `must be a Genesys Cloud domain such as mypurecloud.ie, got "${region}"`)
    }
    genesys = {
      _tag: "Remote",
      clientId,
      clientSecret,
      ...(region !== undefined ? { region } : {}),
      ...(gatewayRaw !== undefined ? { gatewayUrl: parseGatewayUrl("GENESYS_GATEWAY_URL", gatewayRaw) } : {})
    }
  }

  const worktypeId = str(env, "WORKBRIDGE_WORKTYPE_ID")
  const worktypeName = str(env, "WORKBRIDGE_WORKTYPE_NAME")
  if (worktypeId !== undefined && worktypeName !== undefined) {
    throw new ConfigError("WORKBRIDGE_WORKTYPE_NAME", "set either WORKBRIDGE_WORKTYPE_ID or WORKBRIDGE_WORKTYPE_NAME, not both")
  }
  if (genesys._tag === "Remote" && worktypeId === undefined && worktypeName === undefined) {
    throw new ConfigError("WORKBRIDGE_WORKTYPE_ID", "is required with Genesys credentials (or set WORKBRIDGE_WORKTYPE_NAME)")
  }
  const workbinId = str(env, "WORKBRIDGE_WORKBIN_ID")
  if (worktypeName !== undefined && (worktypeName.length < 3 || worktypeName.length > 256)) {
    throw new ConfigError("WORKBRIDGE_WORKTYPE_NAME", "must be 3–256 characters")
  }

  const budgetPerMinute = int(env, "WORKBRIDGE_BUDGET_PER_MINUTE", 300, 1, 1_000_000)
  const budgetBurst = int(env, "WORKBRIDGE_BUDGET_BURST", Math.max(1, Math.min(10, Math.ceil(budgetPerMinute / 60))), 1, 1_000_000)
  const maxInFlight = int(env, "WORKBRIDGE_MAX_IN_FLIGHT", 8, 1, 1000)
  const workers = int(env, "WORKBRIDGE_WORKERS", 8, 1, 1000)

  const catalogFileRaw = str(env, "WORKBRIDGE_CATALOG_FILE")
  const catalogFile = catalogFileRaw === undefined ? undefined : path.resolve(cwd, catalogFileRaw)
  let skillIds: Record<string, string> | undefined
  const skillRaw = str(env, "WORKBRIDGE_SKILL_IDS")
  if (skillRaw !== undefined) {
    let parsed: unknown
    try {
      parsed = JSON.parse(skillRaw)
    } catch {
      throw new ConfigError("WORKBRIDGE_SKILL_IDS", "must be a JSON object mapping routing_skill values to skill ids")
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new ConfigError("WORKBRIDGE_SKILL_IDS", "must be a JSON object mapping routing_skill values to skill ids")
    }
    for (const [k, v] of Object.entries(parsed)) {
      if (typeof v !== "string" || v === "") throw new ConfigError("WORKBRIDGE_SKILL_IDS", `the skill id of "${k}" must be a non-empty string`)
    }
    skillIds = parsed as Record<string, string>
  }

  const inboxSoftLimit = int(env, "WORKBRIDGE_INBOX_SOFT_LIMIT", 5000, 1)
  const inboxHardLimit = int(env, "WORKBRIDGE_INBOX_HARD_LIMIT", Math.max(50_000, inboxSoftLimit), 1)
  if (inboxHardLimit < inboxSoftLimit) {
    throw new ConfigError("WORKBRIDGE_INBOX_HARD_LIMIT", `must be at least WORKBRIDGE_INBOX_SOFT_LIMIT (${inboxSoftLimit})`)
  }
  const deadLetterAlert = int(env, "WORKBRIDGE_DEAD_LETTER_ALERT", 100, 0)

  const certRaw = str(env, "WORKBRIDGE_TLS_CERT")
  const keyRaw = str(env, "WORKBRIDGE_TLS_KEY")
  const certFile = certRaw === undefined ? undefined : path.resolve(cwd, certRaw)
  const keyFile = keyRaw === undefined ? undefined : path.resolve(cwd, keyRaw)
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new ConfigError(certFile === undefined ? "WORKBRIDGE_TLS_CERT" : "WORKBRIDGE_TLS_KEY", "WORKBRIDGE_TLS_CERT and WORKBRIDGE_TLS_KEY go together")
  }

  const logLevel = str(env, "LOG_LEVEL") ?? "info"
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError("LOG_LEVEL", `must be one of ${LOG_LEVELS.join(", ")}`)

  const basicAuth = str(env, "WORKBRIDGE_DATA_ACTION_BASIC_AUTH")
  const bearerToken = str(env, "WORKBRIDGE_DATA_ACTION_TOKEN")

  const crash = str(env, "WORKBRIDGE_TEST_CRASH_AT")
  if (crash !== undefined && !CRASH_POINTS.includes(crash as CrashPoint)) {
    throw new ConfigError("WORKBRIDGE_TEST_CRASH_AT", `must be one of ${CRASH_POINTS.join(", ")}`)
  }
  const stores = distributedSettingsFromEnv(env, (variable, problem) => new ConfigError(variable, problem))

  const adminToken = str(env, "WORKBRIDGE_ADMIN_TOKEN")
  if (adminToken !== undefined && (adminToken.length < 16 || /\s/.test(adminToken))) {
    throw new ConfigError("WORKBRIDGE_ADMIN_TOKEN", "must be at least 16 characters without spaces (e.g. openssl rand -hex 32)")
  }
  const adminOpenRaw = str(env, "WORKBRIDGE_ADMIN_OPEN")?.toLowerCase()
  if (adminOpenRaw !== undefined && !["true", "false", "1", "0"].includes(adminOpenRaw)) {
    throw new ConfigError("WORKBRIDGE_ADMIN_OPEN", "must be true or false")
  }
  const edge: EdgeSettings = {
    webhookToleranceSeconds: int(env, "WORKBRIDGE_WEBHOOK_TOLERANCE_SECONDS", 300, 1, 86_400),
    signatureHeaders: signatureHeadersFromEnv(env),
    ...(adminToken !== undefined ? { adminToken } : {}),
    ...(adminOpenRaw === "true" || adminOpenRaw === "1" ? { adminOpen: true as const } : {})
  }

  const tracing = tracingFromEnv(env)

  const retryBaseMs = int(env, "WORKBRIDGE_RETRY_BASE_MS", 200, 1, 600_000)
  const retryMaxMs = int(env, "WORKBRIDGE_RETRY_MAX_MS", 30_000, 1, 3_600_000)
  if (retryMaxMs < retryBaseMs) throw new ConfigError("WORKBRIDGE_RETRY_MAX_MS", "must be at least WORKBRIDGE_RETRY_BASE_MS")

  return {
    port,
    host,
    dataDir,
    genesys,
    ...(worktypeId !== undefined ? { worktypeId } : {}),
    ...(worktypeName !== undefined ? { worktypeName } : {}),
    ...(workbinId !== undefined ? { workbinId } : {}),
    budgetPerMinute,
    budgetBurst,
    maxInFlight,
    workers,
    ...(catalogFile !== undefined ? { catalogFile } : {}),
    ...(skillIds !== undefined ? { skillIds } : {}),
    webhooks: webhookCredentialsFromEnv(env),
    inboxSoftLimit,
    inboxHardLimit,
    deadLetterAlert,
    ...(certFile !== undefined && keyFile !== undefined ? { tls: { certFile, keyFile } } : {}),
    logLevel,
    genesysTimeoutMs: int(env, "WORKBRIDGE_GENESYS_TIMEOUT_MS", 16_000, 100, 600_000),
    retryBaseMs,
    retryMaxMs,
    retryAttempts: int(env, "WORKBRIDGE_RETRY_ATTEMPTS", 6, 0, 100),
    permissionWindowSeconds: int(env, "WORKBRIDGE_PERMISSION_WINDOW_SECONDS", 300, 0, 86_400),
    longPauseSeconds: int(env, "WORKBRIDGE_LONG_PAUSE_SECONDS", 60, 1, 86_400),
    inboxRetryAfterSeconds: int(env, "WORKBRIDGE_INBOX_RETRY_AFTER", 30, 1, 3600),
    coalesceMs: int(env, "WORKBRIDGE_COALESCE_MS", 200, 0, 60_000),
    dataActionAuth: {
      ...(basicAuth !== undefined ? { basicAuth: userPassword("WORKBRIDGE_DATA_ACTION_BASIC_AUTH", basicAuth) } : {}),
      ...(bearerToken !== undefined ? { bearerToken } : {})
    },
    ...(crash !== undefined ? { testCrashAt: crash as CrashPoint } : {}),
    stores,
    edge,
    auditRetentionDays: int(env, "WORKBRIDGE_AUDIT_RETENTION_DAYS", 7, 0, 3650),
    feeds: feedSettingsFromEnv(env),
    ...(genesys._tag === "Embedded" && bool(env, "WORKBRIDGE_HELPDESK_EMULATORS") !== false
      ? {
          helpdeskEmulators: {
            ports: Object.fromEntries(
              HELPDESK_SOURCES.map((s, i) => [s, int(env, `HELPDESK_EMULATOR_PORT_${s.toUpperCase()}`, genesys.emulatorPort === 0 ? 0 : 9301 + i, 0, 65535)])
            ) as Record<HelpdeskSource, number>
          }
        }
      : {}),
    ...(tracing !== undefined ? { tracing } : {})
  }
}
