/**
 * Service configuration, read from the environment and validated at start. Every error names the variable.
 *
 * It is an Effect `Config` (`ServiceConfig.config`, one part per feature: http, genesys, budget, inbox, ops, stores,
 * edge, webhooks, feeds, tracing) that a layer reads from the ambient `ConfigProvider`; `loadConfig(env)` reads it
 * at once from an environment record and throws `ConfigError` naming the first bad variable.
 */
import * as path from "node:path"
import { adapters, sourceVariable } from "@workbridge/adapters"
import {
  HELPDESK_SOURCES,
  type HelpdeskConfigs,
  HelpdeskConfigError,
  type HelpdeskSource,
  helpdeskConfigsFromEnv
} from "@workbridge/helpdesk-clients/Config"
import { assigneeProblem } from "@workbridge/helpdesk-clients/Write"
import { Config, type ConfigError as EffectConfigError, Either } from "effect"
import { type StoreSettings, storeSettingsConfig } from "../distributed/Settings.js"
import {
  type Env,
  about,
  boolean,
  checked,
  fail,
  integer,
  integerOr,
  raw,
  readSync,
  text,
  toBoolean,
  toInteger,
  toIntegerOr,
  withPrefix
} from "./EnvConfig.js"

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
export const CRASH_POINTS: ReadonlyArray<CrashPoint> = [
  "after-accept",
  "before-apply",
  "after-create",
  "after-update",
  "between-status-steps"
]

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
  /**
   * The budget's room for calls in flight (counted on arrival, as Genesys counts): a token not handed to the HTTP
   * client within `handoffMs` of being taken is dropped; `transitMs` is the allowance from there to Genesys.
   */
  readonly budgetInFlight: { readonly handoffMs: number; readonly transitMs: number }
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
  /**
   * Interval in ms of the write-back reconciliation, the query of workitems changed in Genesys that the write-back
   * may not have heard of (`WORKBRIDGE_RECONCILE_INTERVAL_GENESYS`, default
   * {@link DEFAULT_GENESYS_RECONCILE_INTERVAL_MS}; 0: off). It runs only while write-back is on for some source.
   */
  readonly genesysReconcileIntervalMs: number
  /** Sources whose webhooks are notifications: the ticket is read from the API (`WORKBRIDGE_FETCH_ON_NOTIFY_<SOURCE>`). */
  readonly fetchOnNotify: ReadonlyArray<string>
  /**
   * Sources whose tickets follow agents' changes in Genesys (docs/write-back.md) → their write budget in write-backs
   * per minute: every source with API credentials unless `WORKBRIDGE_WRITE_BACK_<SOURCE>=false`; the budget is
   * `WORKBRIDGE_WRITE_BUDGET_<SOURCE>`, default {@link DEFAULT_WRITE_BUDGET_PER_MINUTE}.
   */
  readonly writeBack: Readonly<Record<string, WriteBackSettings>>
  /**
   * `WORKBRIDGE_WORKITEM_URL`: the link to a workitem the write-back's note carries, with `{id}` for the workitem id
   * (e.g. the Genesys Cloud UI's workitem page of the org's region). Unset: the API URL of the workitem when the
   * service talks to a gateway or the bundled emulator, else the note names the workitem id only.
   */
  readonly workitemUrl?: string
}

/** The write-back to one source: its budget and how Genesys users map to the source's agents. */
export interface WriteBackSettings {
  /** Write-backs per minute (`WORKBRIDGE_WRITE_BUDGET_<SOURCE>`). */
  readonly perMinute: number
  /**
   * Genesys user id → the helpdesk agent the ticket is assigned to when that user is the workitem's assignee
   * (`WORKBRIDGE_ASSIGNEE_MAP_<SOURCE>`, a JSON object; docs/write-back.md#the-assignee). Absent: no assignee is written.
   */
  readonly assignees?: Readonly<Record<string, string>>
}

/**
 * `WORKBRIDGE_ASSIGNEE_MAP_<SOURCE>`: a JSON object of Genesys user ids to the source's agents (each checked as the
 * source's client checks an assignee); the problem, naming the bad entry, when it is not.
 */
const toAssigneeMap = (source: string, raw: string): Either.Either<Record<string, string>, string> => {
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    return Either.left('must be a JSON object of Genesys user ids to helpdesk agents, e.g. {"<user id>": "<agent>"}')
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    return Either.left('must be a JSON object of Genesys user ids to helpdesk agents, e.g. {"<user id>": "<agent>"}')
  const out: Record<string, string> = {}
  for (const [user, agent] of Object.entries(parsed as Record<string, unknown>)) {
    const key = user.length > 60 ? `${user.slice(0, 60)}…` : user
    if (user.trim() === "") return Either.left("has an empty Genesys user id")
    const value = typeof agent === "number" && Number.isSafeInteger(agent) ? String(agent) : agent
    if (typeof value !== "string") return Either.left(`maps "${key}" to a ${typeof agent}, not a helpdesk agent id`)
    const problem = assigneeProblem(source, value)
    if (problem !== undefined) return Either.left(`maps "${key}" to an agent ${source} cannot have: ${problem}`)
    out[user] = value
  }
  return Either.right(out)
}

/**
 * Default write budget per source, in write-backs per minute (each is 2–5 API calls: a status read, then the status,
 * the assignee and the note; docs/helpdesks.md#writing-to-the-helpdesk). Kept well under each vendor's limit so that the reads of
 * reconciliation and fetch-on-notify keep their room: Zendesk 700/min (Enterprise; 200 on Team), Freshdesk 200/min on
 * Growth shared by every call, GitHub 5000/h and at most 80 content-creating requests a minute, Jira burst limits
 * only, ServiceNow whatever the instance's per-hour rules say (docs/write-back.md, "The write budget").
 */
export const DEFAULT_WRITE_BUDGET_PER_MINUTE: Readonly<Record<HelpdeskSource, number>> = {
  zendesk: 60,
  servicenow: 60,
  jira: 60,
  freshdesk: 30,
  github: 20
}

/** Default reconciliation interval of a source whose API credentials are set. */
export const DEFAULT_RECONCILE_INTERVAL_MS = 15 * 60_000

/** The variable of the write-back reconciliation's interval (the Genesys side's pass). */
export const GENESYS_RECONCILE_VARIABLE = "WORKBRIDGE_RECONCILE_INTERVAL_GENESYS"

/** Default interval of the write-back reconciliation: one workitem query (a page) every 10 minutes when nothing changed. */
export const DEFAULT_GENESYS_RECONCILE_INTERVAL_MS = 10 * 60_000

/** Check a duration such as `15m`, `30s`, `1h`, `500ms` or `0` (off), in ms: the text of the problem, if any. */
const toDuration = (raw: string): Either.Either<number, string> => {
  const m = /^(\d{1,9})(ms|s|m|h)?$/.exec(raw.trim())
  if (m === null) return Either.left(`must be a duration such as 15m, 30s, 1h or 0 (off), got "${raw.slice(0, 40)}"`)
  const n = Number(m[1])
  const unit = m[2] ?? (n === 0 ? "ms" : undefined)
  if (unit === undefined) return Either.left(`needs a unit (ms, s, m or h), got "${raw.slice(0, 40)}"`)
  const ms = n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit as "ms" | "s" | "m" | "h"]
  if (ms !== 0 && ms < 1000) return Either.left("must be at least 1s (or 0 to turn it off)")
  return Either.right(ms)
}

/** A duration such as `15m`, `30s`, `1h`, `500ms` or `0` (off), in ms. Throws `ConfigError` naming `variable`. */
export const parseDuration = (variable: string, raw: string): number =>
  Either.getOrThrowWith(toDuration(raw), (problem) => new ConfigError(variable, problem))

/** The variables the feed settings are read from. */
const feedVariables = Config.all({
  helpdesk: withPrefix("HELPDESK"),
  reconcile: withPrefix("WORKBRIDGE_RECONCILE_INTERVAL"),
  fetchOnNotify: withPrefix("WORKBRIDGE_FETCH_ON_NOTIFY"),
  writeBack: withPrefix("WORKBRIDGE_WRITE_BACK"),
  writeBudget: withPrefix("WORKBRIDGE_WRITE_BUDGET"),
  assigneeMap: withPrefix("WORKBRIDGE_ASSIGNEE_MAP"),
  workitemUrl: text("WORKBRIDGE_WORKITEM_URL")
})

const feedSettings = (v: Config.Config.Success<typeof feedVariables>, given: HelpdeskConfigs | undefined) =>
  Either.gen(function* () {
    let helpdesks: HelpdeskConfigs
    try {
      helpdesks = given ?? helpdeskConfigsFromEnv(Object.fromEntries(v.helpdesk))
    } catch (e) {
      if (e instanceof HelpdeskConfigError) return yield* fail(e.variable, e.reason)
      throw e
    }
    const set = new Map(
      [...v.reconcile, ...v.fetchOnNotify, ...v.writeBack, ...v.writeBudget, ...v.assigneeMap].map(
        ([name, value]) => [name, value.trim()] as const
      )
    )
    const genesysRaw = set.get(GENESYS_RECONCILE_VARIABLE)
    set.delete(GENESYS_RECONCILE_VARIABLE)
    const genesysReconcileIntervalMs =
      genesysRaw === undefined || genesysRaw === ""
        ? DEFAULT_GENESYS_RECONCILE_INTERVAL_MS
        : yield* about(GENESYS_RECONCILE_VARIABLE, toDuration(genesysRaw))
    for (const [name, value] of set) {
      const source = name
        .replace(/^WORKBRIDGE_(RECONCILE_INTERVAL|FETCH_ON_NOTIFY|WRITE_BACK|WRITE_BUDGET|ASSIGNEE_MAP)_/, "")
        .toLowerCase()
      if (!(HELPDESK_SOURCES as ReadonlyArray<string>).includes(source)) {
        return yield* fail(
          name,
          `names no source with a read client; the sources are ${HELPDESK_SOURCES.join(", ")} (and ${GENESYS_RECONCILE_VARIABLE} sets the write-back reconciliation)`
        )
      }
      if (
        helpdesks[source as HelpdeskSource] === undefined &&
        value !== "" &&
        value !== "0" &&
        value.toLowerCase() !== "false"
      ) {
        const url = sourceVariable("HELPDESK_URL", source)
        const token = sourceVariable("HELPDESK_TOKEN", source)
        return yield* fail(name, `needs the source's API credentials: set ${url} and ${token} (see docs/helpdesks.md)`)
      }
    }
    const reconcileIntervalMs: Record<string, number> = {}
    const fetchOnNotify: Array<string> = []
    const writeBack: Record<string, WriteBackSettings> = {}
    for (const source of HELPDESK_SOURCES) {
      if (helpdesks[source] === undefined) continue
      const interval = sourceVariable("WORKBRIDGE_RECONCILE_INTERVAL", source)
      const raw = set.get(interval)
      const ms =
        raw === undefined || raw === "" ? DEFAULT_RECONCILE_INTERVAL_MS : yield* about(interval, toDuration(raw))
      if (ms > 0) reconcileIntervalMs[source] = ms
      // Freshdesk webhooks carry no revision of their own unless the rule's template renders it: read on notice by default.
      const notify = sourceVariable("WORKBRIDGE_FETCH_ON_NOTIFY", source)
      if ((yield* about(notify, toBoolean(set.get(notify)))) ?? source === "freshdesk") fetchOnNotify.push(source)
      const on = sourceVariable("WORKBRIDGE_WRITE_BACK", source)
      const budget = sourceVariable("WORKBRIDGE_WRITE_BUDGET", source)
      const perMinute = yield* about(
        budget,
        toIntegerOr(set.get(budget) || undefined, DEFAULT_WRITE_BUDGET_PER_MINUTE[source], 1, 100_000)
      )
      const mapVariable = sourceVariable("WORKBRIDGE_ASSIGNEE_MAP", source)
      const mapText = set.get(mapVariable)
      const assignees =
        mapText === undefined || mapText === "" ? undefined : yield* about(mapVariable, toAssigneeMap(source, mapText))
      if ((yield* about(on, toBoolean(set.get(on)))) ?? true)
        writeBack[source] = { perMinute, ...(assignees === undefined ? {} : { assignees }) }
    }
    const workitemUrl = v.workitemUrl
    if (workitemUrl !== undefined && !(/^https?:\/\//.test(workitemUrl) && workitemUrl.includes("{id}"))) {
      return yield* fail("WORKBRIDGE_WORKITEM_URL", "must be an http(s) URL containing {id} (the workitem id)")
    }
    return {
      helpdesks,
      reconcileIntervalMs,
      genesysReconcileIntervalMs,
      fetchOnNotify,
      writeBack,
      ...(workitemUrl !== undefined ? { workitemUrl } : {})
    } satisfies FeedSettings
  })

/**
 * The feed settings (`HELPDESK_*`, `WORKBRIDGE_RECONCILE_INTERVAL_<SOURCE>` and `_GENESYS`,
 * `WORKBRIDGE_FETCH_ON_NOTIFY_<SOURCE>`, `WORKBRIDGE_WRITE_BACK_<SOURCE>`, `WORKBRIDGE_WRITE_BUDGET_<SOURCE>`,
 * `WORKBRIDGE_ASSIGNEE_MAP_<SOURCE>`).
 */
export const feedsConfig: Config.Config<FeedSettings> = Config.mapOrFail(feedVariables, (v) =>
  feedSettings(v, undefined)
)

/** Feed settings from the environment; every error names its variable and never repeats a token or URL. */
export const feedSettingsFromEnv = (env: Env, given?: HelpdeskConfigs): FeedSettings =>
  readSync(
    Config.mapOrFail(feedVariables, (v) => feedSettings(v, given)),
    env,
    (variable, problem) => new ConfigError(variable, problem)
  )

export type { Env } from "./EnvConfig.js"

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

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"]

const toUserPassword = (value: string): Either.Either<string, string> => {
  const i = value.indexOf(":")
  return i <= 0 || i === value.length - 1 ? Either.left("must have the form user:password") : Either.right(value)
}

/** The source-name part of a per-source variable: lower-case letters, digits, `_` and `-`. */
const sourceName = (variable: string, prefix: string): Either.Either<string, EffectConfigError.ConfigError> => {
  const name = variable
    .slice(prefix.length + 1)
    .toLowerCase()
    .replace(/_/g, "-")
  return /^[a-z0-9][a-z0-9-]{0,63}$/.test(name)
    ? Either.right(name)
    : fail(variable, "the source name after the prefix must be 1–64 letters, digits or underscores")
}

/** `Header-Name:token`, or just the token (sent as `Authorization: Bearer <token>`). */
const toToken = (value: string): { header: string; value: string } => {
  const i = value.indexOf(":")
  return i > 0 && /^[A-Za-z0-9-]+$/.test(value.slice(0, i))
    ? { header: value.slice(0, i).toLowerCase(), value: value.slice(i + 1) }
    : { header: "authorization", value: `Bearer ${value}` }
}

/** Per-source webhook credentials from `WEBHOOK_SECRET_<SOURCE>`, `WEBHOOK_BASIC_AUTH_<SOURCE>`, `WEBHOOK_TOKEN_<SOURCE>`. */
export const webhooksConfig: Config.Config<Record<string, WebhookCredentials>> = Config.all({
  basicAuth: withPrefix("WEBHOOK_BASIC_AUTH"),
  secret: withPrefix("WEBHOOK_SECRET"),
  token: withPrefix("WEBHOOK_TOKEN")
}).pipe(
  Config.mapOrFail((v) =>
    Either.gen(function* () {
      const out: Record<string, { secret?: string; basicAuth?: string; token?: { header: string; value: string } }> = {}
      for (const kind of ["basicAuth", "secret", "token"] as const) {
        const prefix = { basicAuth: "WEBHOOK_BASIC_AUTH", secret: "WEBHOOK_SECRET", token: "WEBHOOK_TOKEN" }[kind]
        for (const [name, raw] of v[kind]) {
          const value = raw.trim()
          if (value === "") return yield* fail(name, "is empty")
          const entry = (out[yield* sourceName(name, prefix)] ??= {})
          if (kind === "basicAuth") entry.basicAuth = yield* about(name, toUserPassword(value))
          else if (kind === "secret") entry.secret = value
          else entry.token = toToken(value)
        }
      }
      return out as Record<string, WebhookCredentials>
    })
  )
)

/** Per-source webhook credentials from the environment. Throws `ConfigError` naming the variable. */
export const webhookCredentialsFromEnv = (env: Env): Record<string, WebhookCredentials> =>
  readSync(webhooksConfig, env, (variable, problem) => new ConfigError(variable, problem))

/**
 * `WEBHOOK_SIGNATURE_HEADER_<SOURCE>`: the header a generic JSON source sends its signature in (default
 * `x-workbridge-signature`). Only generic sources have one: a built-in vendor's header is fixed by the vendor.
 */
export const signatureHeadersConfig: Config.Config<Record<string, string>> = Config.mapOrFail(
  withPrefix("WEBHOOK_SIGNATURE_HEADER"),
  (found) =>
    Either.gen(function* () {
      const out: Record<string, string> = {}
      for (const [name, raw] of found) {
        const value = raw.trim()
        if (value === "") return yield* fail(name, "is empty")
        const source = yield* sourceName(name, "WEBHOOK_SIGNATURE_HEADER")
        if (source !== "generic" && Object.hasOwn(adapters, source)) {
          return yield* fail(
            name,
            `${source} signs with its own fixed header; only generic JSON sources take a signature header`
          )
        }
        if (!/^[A-Za-z0-9][A-Za-z0-9-]*$/.test(value))
          return yield* fail(name, `must be an HTTP header name such as X-Acme-Signature, got "${value}"`)
        out[source] = value.toLowerCase()
      }
      return out
    })
)

/** The generic sources' signature headers from the environment. Throws `ConfigError` naming the variable. */
export const signatureHeadersFromEnv = (env: Env): Record<string, string> =>
  readSync(signatureHeadersConfig, env, (variable, problem) => new ConfigError(variable, problem))

/** The variable that would configure credentials for a source, for error messages. */
export const secretVariableFor = (source: string, kind: "secret" | "basicAuth" | "token" = "secret"): string =>
  sourceVariable(
    kind === "secret" ? "WEBHOOK_SECRET" : kind === "basicAuth" ? "WEBHOOK_BASIC_AUTH" : "WEBHOOK_TOKEN",
    source
  )

/** The HTTP edge's settings (`makeApp` takes them as they are). */
export const edgeConfig: Config.Config<EdgeSettings> = Config.all({
  webhookToleranceSeconds: integerOr("WORKBRIDGE_WEBHOOK_TOLERANCE_SECONDS", 300, 1, 86_400),
  signatureHeaders: signatureHeadersConfig,
  adminToken: checked("WORKBRIDGE_ADMIN_TOKEN", (token) =>
    token !== undefined && (token.length < 16 || /\s/.test(token))
      ? Either.left("must be at least 16 characters without spaces (e.g. openssl rand -hex 32)")
      : Either.right(token)
  ),
  adminOpen: boolean("WORKBRIDGE_ADMIN_OPEN", () => "must be true or false")
}).pipe(
  Config.map(({ webhookToleranceSeconds, signatureHeaders, adminToken, adminOpen }) => ({
    webhookToleranceSeconds,
    signatureHeaders,
    ...(adminToken !== undefined ? { adminToken } : {}),
    ...(adminOpen === true ? { adminOpen: true as const } : {})
  }))
)

const toGatewayUrl = (value: string): Either.Either<string, string> => {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return Either.left(`must be a URL such as http://127.0.0.1:9300, got "${value}"`)
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return Either.left("must use http or https")
  return Either.right(value.replace(/\/+$/, ""))
}

/** An OTLP endpoint: an http(s) URL (its value is not echoed back: it may carry credentials). */
const toOtlpUrl = (value: string): Either.Either<URL, string> => {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return Either.left("must be an http(s) URL such as http://127.0.0.1:4318")
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    return Either.left("must use http or https (OTLP over HTTP)")
  return Either.right(url)
}

/**
 * `OTEL_EXPORTER_OTLP_HEADERS`-style lists: `key=value` pairs separated by commas, values percent-encoded (the
 * OpenTelemetry SDK environment specification). Problems name the entry's position, never a value.
 */
const toOtlpHeaders = (value: string): Either.Either<Record<string, string>, string> => {
  const out: Record<string, string> = {}
  const entries = value.split(",")
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!.trim()
    if (entry === "") continue
    const eq = entry.indexOf("=")
    const key = eq <= 0 ? "" : entry.slice(0, eq).trim()
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(key))
      return Either.left(`entry ${i + 1} must have the form key=value with an HTTP header name as key`)
    let v: string
    try {
      v = decodeURIComponent(entry.slice(eq + 1).trim())
    } catch {
      return Either.left(`the value of entry ${i + 1} ("${key}") is not valid percent-encoding`)
    }
    if (/[\r\n\0]/.test(v)) return Either.left(`the value of entry ${i + 1} ("${key}") must not contain line breaks`)
    out[key.toLowerCase()] = v
  }
  return Either.right(out)
}

const tracingVariables = Config.all({
  OTEL_EXPORTER_OTLP_ENDPOINT: text("OTEL_EXPORTER_OTLP_ENDPOINT"),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: text("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
  OTEL_SDK_DISABLED: text("OTEL_SDK_DISABLED"),
  OTEL_EXPORTER_OTLP_PROTOCOL: text("OTEL_EXPORTER_OTLP_PROTOCOL"),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: text("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"),
  OTEL_EXPORTER_OTLP_HEADERS: text("OTEL_EXPORTER_OTLP_HEADERS"),
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: text("OTEL_EXPORTER_OTLP_TRACES_HEADERS"),
  OTEL_SERVICE_NAME: text("OTEL_SERVICE_NAME")
})

/** The trace export settings, or undefined (tracing off) when no OTLP endpoint is set or `OTEL_SDK_DISABLED=true`. */
export const tracingConfig: Config.Config<TracingConfig | undefined> = Config.mapOrFail(tracingVariables, (v) =>
  Either.gen(function* () {
    const base = v.OTEL_EXPORTER_OTLP_ENDPOINT
    const traces = v.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
    if (base === undefined && traces === undefined) return undefined
    const disabled = v.OTEL_SDK_DISABLED?.toLowerCase()
    if (disabled !== undefined && disabled !== "true" && disabled !== "false")
      return yield* fail("OTEL_SDK_DISABLED", "must be true or false")
    if (disabled === "true") return undefined
    for (const name of ["OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] as const) {
      const protocol = v[name]
      if (protocol !== undefined && protocol !== "http/json" && protocol !== "http/protobuf") {
        return yield* fail(
          name,
          `traces are exported over HTTP (OTLP/HTTP with JSON bodies); "${protocol}" is not supported — use http/json, or point the endpoint at the collector's HTTP port (4318)`
        )
      }
    }
    let tracesUrl: string
    if (traces !== undefined) tracesUrl = (yield* about("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", toOtlpUrl(traces))).href
    else {
      const url = yield* about("OTEL_EXPORTER_OTLP_ENDPOINT", toOtlpUrl(base!))
      url.pathname = `${url.pathname.replace(/\/+$/, "")}/v1/traces`
      tracesUrl = url.href
    }
    const headers = {
      ...(yield* about("OTEL_EXPORTER_OTLP_HEADERS", toOtlpHeaders(v.OTEL_EXPORTER_OTLP_HEADERS ?? ""))),
      ...(yield* about("OTEL_EXPORTER_OTLP_TRACES_HEADERS", toOtlpHeaders(v.OTEL_EXPORTER_OTLP_TRACES_HEADERS ?? "")))
    }
    return { tracesUrl, headers, serviceName: v.OTEL_SERVICE_NAME ?? "workbridge" }
  })
)

/** The trace export settings from the environment. Throws `ConfigError` naming the variable. */
export const tracingFromEnv = (env: Env): TracingConfig | undefined =>
  readSync(tracingConfig, env, (variable, problem) => new ConfigError(variable, problem))

const genesysVariables = Config.all({
  clientId: text("GENESYS_CLIENT_ID"),
  clientSecret: text("GENESYS_CLIENT_SECRET"),
  region: text("GENESYS_REGION"),
  gateway: text("GENESYS_GATEWAY_URL"),
  emulatorPort: text("GENESYS_EMULATOR_PORT"),
  adminId: text("GENESYS_EMULATOR_ADMIN_ID"),
  adminSecret: text("GENESYS_EMULATOR_ADMIN_SECRET")
})

/** Where the Genesys API is: a remote org or gateway with credentials, else the embedded emulator. */
const genesysTargetConfig: Config.Config<GenesysTarget> = Config.mapOrFail(genesysVariables, (v) =>
  Either.gen(function* () {
    const { clientId, clientSecret, region, gateway } = v
    if (clientId === undefined && clientSecret === undefined) {
      if (region !== undefined) return yield* fail("GENESYS_CLIENT_ID", "is required when GENESYS_REGION is set")
      if (gateway !== undefined) return yield* fail("GENESYS_CLIENT_ID", "is required when GENESYS_GATEWAY_URL is set")
      return {
        _tag: "Embedded" as const,
        emulatorPort: (yield* about("GENESYS_EMULATOR_PORT", toInteger(v.emulatorPort, 0, 65535))) ?? 9300,
        adminId: v.adminId ?? "workbridge-admin",
        adminSecret: v.adminSecret ?? "workbridge-admin-secret"
      }
    }
    if (clientId === undefined) return yield* fail("GENESYS_CLIENT_ID", "is required when GENESYS_CLIENT_SECRET is set")
    if (clientSecret === undefined)
      return yield* fail("GENESYS_CLIENT_SECRET", "is required when GENESYS_CLIENT_ID is set")
    if (region === undefined && gateway === undefined)
      return yield* fail("GENESYS_REGION", "set GENESYS_REGION (e.g. mypurecloud.ie) or GENESYS_GATEWAY_URL")
    if (region !== undefined && gateway !== undefined)
      return yield* fail("GENESYS_GATEWAY_URL", "set either GENESYS_REGION or GENESYS_GATEWAY_URL, not both")
    if (region !== undefined && !/^[a-z0-9.-]+\.[a-z]+$/.test(region)) {
      return yield* fail("GENESYS_REGION", `must be a Genesys Cloud domain such as mypurecloud.ie, got "${region}"`)
    }
    return {
      _tag: "Remote" as const,
      clientId,
      clientSecret,
      ...(region !== undefined ? { region } : {}),
      ...(gateway !== undefined ? { gatewayUrl: yield* about("GENESYS_GATEWAY_URL", toGatewayUrl(gateway)) } : {})
    }
  })
)

const toSkillIds = (raw: string | undefined): Either.Either<Record<string, string> | undefined, string> => {
  if (raw === undefined) return Either.right(undefined)
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    return Either.left("must be a JSON object mapping routing_skill values to skill ids")
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    return Either.left("must be a JSON object mapping routing_skill values to skill ids")
  for (const [k, v] of Object.entries(parsed)) {
    if (typeof v !== "string" || v === "") return Either.left(`the skill id of "${k}" must be a non-empty string`)
  }
  return Either.right(parsed as Record<string, string>)
}

/** The Genesys side: the target, the worktype, the catalog, the per-call timeout and retries. */
const genesysConfig = (cwd: Config.Config<string>) =>
  Config.all({
    genesys: genesysTargetConfig,
    worktypeId: text("WORKBRIDGE_WORKTYPE_ID"),
    worktypeName: text("WORKBRIDGE_WORKTYPE_NAME"),
    workbinId: text("WORKBRIDGE_WORKBIN_ID"),
    catalogFile: text("WORKBRIDGE_CATALOG_FILE"),
    cwd,
    skillIds: checked("WORKBRIDGE_SKILL_IDS", toSkillIds),
    genesysTimeoutMs: integerOr("WORKBRIDGE_GENESYS_TIMEOUT_MS", 16_000, 100, 600_000),
    retryBaseMs: integerOr("WORKBRIDGE_RETRY_BASE_MS", 200, 1, 600_000),
    retryMaxMs: integerOr("WORKBRIDGE_RETRY_MAX_MS", 30_000, 1, 3_600_000),
    retryAttempts: integerOr("WORKBRIDGE_RETRY_ATTEMPTS", 6, 0, 100),
    permissionWindowSeconds: integerOr("WORKBRIDGE_PERMISSION_WINDOW_SECONDS", 300, 0, 86_400),
    longPauseSeconds: integerOr("WORKBRIDGE_LONG_PAUSE_SECONDS", 60, 1, 86_400)
  }).pipe(
    Config.mapOrFail(({ worktypeId, worktypeName, workbinId, catalogFile, cwd, skillIds, ...rest }) =>
      Either.gen(function* () {
        if (worktypeId !== undefined && worktypeName !== undefined) {
          return yield* fail(
            "WORKBRIDGE_WORKTYPE_NAME",
            "set either WORKBRIDGE_WORKTYPE_ID or WORKBRIDGE_WORKTYPE_NAME, not both"
          )
        }
        if (rest.genesys._tag === "Remote" && worktypeId === undefined && worktypeName === undefined) {
          return yield* fail(
            "WORKBRIDGE_WORKTYPE_ID",
            "is required with Genesys credentials (or set WORKBRIDGE_WORKTYPE_NAME)"
          )
        }
        if (worktypeName !== undefined && (worktypeName.length < 3 || worktypeName.length > 256)) {
          return yield* fail("WORKBRIDGE_WORKTYPE_NAME", "must be 3–256 characters")
        }
        if (rest.retryMaxMs < rest.retryBaseMs)
          return yield* fail("WORKBRIDGE_RETRY_MAX_MS", "must be at least WORKBRIDGE_RETRY_BASE_MS")
        return {
          ...rest,
          ...(worktypeId !== undefined ? { worktypeId } : {}),
          ...(worktypeName !== undefined ? { worktypeName } : {}),
          ...(workbinId !== undefined ? { workbinId } : {}),
          ...(catalogFile !== undefined ? { catalogFile: path.resolve(cwd, catalogFile) } : {}),
          ...(skillIds !== undefined ? { skillIds } : {})
        }
      })
    )
  )

/** The HTTP listener: port, host, TLS files and the log level. */
const httpConfig = (cwd: Config.Config<string>) =>
  Config.all({
    port: integerOr("PORT", 8080, 0, 65535),
    host: Config.map(text("HOST"), (h) => h ?? "127.0.0.1"),
    cert: text("WORKBRIDGE_TLS_CERT"),
    key: text("WORKBRIDGE_TLS_KEY"),
    cwd,
    logLevel: checked("LOG_LEVEL", (level = "info") =>
      LOG_LEVELS.includes(level) ? Either.right(level) : Either.left(`must be one of ${LOG_LEVELS.join(", ")}`)
    )
  }).pipe(
    Config.mapOrFail(({ port, host, cert, key, cwd, logLevel }) => {
      if ((cert === undefined) !== (key === undefined)) {
        return fail(
          cert === undefined ? "WORKBRIDGE_TLS_CERT" : "WORKBRIDGE_TLS_KEY",
          "WORKBRIDGE_TLS_CERT and WORKBRIDGE_TLS_KEY go together"
        )
      }
      const tls =
        cert !== undefined && key !== undefined
          ? { tls: { certFile: path.resolve(cwd, cert), keyFile: path.resolve(cwd, key) } }
          : {}
      return Either.right({ port, host, ...tls, logLevel })
    })
  )

/** The Genesys request budget and the service's parallelism. */
const budgetConfig = Config.all({
  perMinute: integerOr("WORKBRIDGE_BUDGET_PER_MINUTE", 300, 1, 1_000_000),
  burst: integer("WORKBRIDGE_BUDGET_BURST", 1, 1_000_000),
  handoffMs: integerOr("WORKBRIDGE_BUDGET_HANDOFF_MS", 250, 1, 60_000),
  transitMs: integerOr("WORKBRIDGE_BUDGET_TRANSIT_MS", 1750, 0, 60_000),
  maxInFlight: integerOr("WORKBRIDGE_MAX_IN_FLIGHT", 8, 1, 1000),
  workers: integerOr("WORKBRIDGE_WORKERS", 8, 1, 1000)
}).pipe(
  Config.map(({ perMinute, burst, handoffMs, transitMs, maxInFlight, workers }) => ({
    budgetPerMinute: perMinute,
    budgetBurst: burst ?? Math.max(1, Math.min(10, Math.ceil(perMinute / 60))),
    budgetInFlight: { handoffMs, transitMs },
    maxInFlight,
    workers
  }))
)

/** The inbox's limits, the dead-letter alert, the coalescing window and the `Retry-After` of a full inbox. */
const inboxConfig = Config.all({
  soft: integerOr("WORKBRIDGE_INBOX_SOFT_LIMIT", 5000, 1),
  hard: integer("WORKBRIDGE_INBOX_HARD_LIMIT", 1),
  deadLetterAlert: integerOr("WORKBRIDGE_DEAD_LETTER_ALERT", 100, 0),
  inboxRetryAfterSeconds: integerOr("WORKBRIDGE_INBOX_RETRY_AFTER", 30, 1, 3600),
  coalesceMs: integerOr("WORKBRIDGE_COALESCE_MS", 200, 0, 60_000)
}).pipe(
  Config.mapOrFail(({ soft, hard = Math.max(50_000, soft), ...rest }) =>
    hard < soft
      ? fail("WORKBRIDGE_INBOX_HARD_LIMIT", `must be at least WORKBRIDGE_INBOX_SOFT_LIMIT (${soft})`)
      : Either.right({ inboxSoftLimit: soft, inboxHardLimit: hard, ...rest })
  )
)

/** Where state is kept, the Data Action credentials, the audit trail and the test-only crash point. */
const opsConfig = (cwd: Config.Config<string>) =>
  Config.all({
    dataDir: Config.all([cwd, text("WORKBRIDGE_DATA_DIR")]).pipe(
      Config.map(([base, dir]) => path.resolve(base, dir ?? ".data"))
    ),
    basicAuth: checked("WORKBRIDGE_DATA_ACTION_BASIC_AUTH", (v) =>
      v === undefined ? Either.right(undefined) : toUserPassword(v)
    ),
    bearerToken: text("WORKBRIDGE_DATA_ACTION_TOKEN"),
    crash: checked("WORKBRIDGE_TEST_CRASH_AT", (v) =>
      v === undefined || CRASH_POINTS.includes(v as CrashPoint)
        ? Either.right(v as CrashPoint | undefined)
        : Either.left(`must be one of ${CRASH_POINTS.join(", ")}`)
    ),
    auditRetentionDays: integerOr("WORKBRIDGE_AUDIT_RETENTION_DAYS", 7, 0, 3650)
  }).pipe(
    Config.map(({ dataDir, basicAuth, bearerToken, crash, auditRetentionDays }) => ({
      dataDir,
      dataActionAuth: {
        ...(basicAuth !== undefined ? { basicAuth } : {}),
        ...(bearerToken !== undefined ? { bearerToken } : {})
      },
      ...(crash !== undefined ? { testCrashAt: crash } : {}),
      auditRetentionDays
    }))
  )

/** The demo's helpdesk emulators: on (unless `WORKBRIDGE_HELPDESK_EMULATORS=false`) with the embedded Genesys only. */
const helpdeskEmulatorsConfig = (genesys: Config.Config<GenesysTarget>) =>
  Config.all({
    genesys,
    enabled: raw("WORKBRIDGE_HELPDESK_EMULATORS"),
    ports: Config.all(HELPDESK_SOURCES.map((s) => text(sourceVariable("HELPDESK_EMULATOR_PORT", s))))
  }).pipe(
    // Read only with the embedded Genesys: a deployment against a real org never looks at these variables.
    Config.mapOrFail(({ genesys, enabled, ports }) =>
      Either.gen(function* () {
        if (genesys._tag !== "Embedded") return {}
        if ((yield* about("WORKBRIDGE_HELPDESK_EMULATORS", toBoolean(enabled))) === false) return {}
        const out: Partial<Record<HelpdeskSource, number>> = {}
        for (const [i, source] of HELPDESK_SOURCES.entries()) {
          const port = yield* about(sourceVariable("HELPDESK_EMULATOR_PORT", source), toInteger(ports[i], 0, 65535))
          out[source] = port ?? (genesys.emulatorPort === 0 ? 0 : 9301 + i)
        }
        return { helpdeskEmulators: { ports: out as Record<HelpdeskSource, number> } } satisfies Pick<
          ServiceConfig,
          "helpdeskEmulators"
        >
      })
    )
  )

/**
 * The whole configuration as an Effect `Config`, one part per feature. Relative paths (`WORKBRIDGE_DATA_DIR`,
 * `WORKBRIDGE_CATALOG_FILE`, `WORKBRIDGE_TLS_CERT`/`_KEY`) resolve against `cwd`, by default the directory `pnpm`
 * was invoked in (`INIT_CWD`: pnpm runs package scripts in the package folder), else the process's working directory.
 */
const serviceConfig = (cwd?: string): Config.Config<ServiceConfig> => {
  const base = cwd !== undefined ? Config.succeed(cwd) : Config.map(text("INIT_CWD"), (dir) => dir ?? process.cwd())
  return Config.all({
    http: httpConfig(base),
    genesys: genesysConfig(base),
    budget: budgetConfig,
    inbox: inboxConfig,
    ops: opsConfig(base),
    stores: storeSettingsConfig,
    edge: edgeConfig,
    webhooks: webhooksConfig,
    tracing: tracingConfig,
    feeds: feedsConfig,
    emulators: helpdeskEmulatorsConfig(genesysTargetConfig)
  }).pipe(
    Config.map(
      ({ http, genesys, budget, inbox, ops, stores, edge, webhooks, tracing, feeds, emulators }): ServiceConfig => ({
        ...http,
        ...genesys,
        ...budget,
        ...inbox,
        ...ops,
        stores,
        edge,
        webhooks,
        feeds,
        ...emulators,
        ...(tracing !== undefined ? { tracing } : {})
      })
    )
  )
}

/**
 * The configuration as Effect `Config`s: `ServiceConfig.config` is the whole of it (read from the ambient
 * `ConfigProvider`, by default `process.env`); the others are its parts, one per feature.
 */
export const ServiceConfig = {
  config: serviceConfig(),
  /** The whole configuration with relative paths resolved against `cwd`. */
  withBaseDirectory: serviceConfig,
  http: httpConfig(Config.map(text("INIT_CWD"), (dir) => dir ?? process.cwd())),
  genesysTarget: genesysTargetConfig,
  budget: budgetConfig,
  inbox: inboxConfig,
  stores: storeSettingsConfig,
  edge: edgeConfig,
  webhooks: webhooksConfig,
  feeds: feedsConfig,
  tracing: tracingConfig
} as const

/**
 * Read and validate the whole configuration from `env` (`ServiceConfig.config` with a provider over `env`).
 * Throws `ConfigError` naming the first bad variable. Relative paths resolve against `cwd` (see `ServiceConfig`).
 */
export const loadConfig = (env: Env, cwd?: string): ServiceConfig =>
  readSync(serviceConfig(cwd), env, (variable, problem) => new ConfigError(variable, problem))
