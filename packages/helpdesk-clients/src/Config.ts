/**
 * Read-client configuration from environment variables named per source, in the style of `WEBHOOK_SECRET_<SOURCE>`:
 *
 * | variable | zendesk | servicenow | jira | freshdesk | github |
 * |---|---|---|---|---|---|
 * | `HELPDESK_URL_<SOURCE>` | `https://{sub}.zendesk.com` | `https://{inst}.service-now.com` | `https://{site}.atlassian.net` | `https://{domain}.freshdesk.com` | optional, default `https://api.github.com` |
 * | `HELPDESK_USER_<SOURCE>` | agent e-mail | user name | account e-mail | — | — |
 * | `HELPDESK_TOKEN_<SOURCE>` | API token | password | API token | API key | personal access / installation token |
 * | other | | `HELPDESK_TABLE_SERVICENOW` (default `incident`) | `HELPDESK_JQL_JIRA` (a restriction such as `project = SUP`) | | `HELPDESK_REPO_GITHUB` (`owner/repo`) |
 *
 * `HELPDESK_TIMEOUT_MS` (all sources; default 30000, 1 to 600000): how long one call to a helpdesk (the request and
 * the answer's body) may take before it fails as unanswered and is retried or reported.
 *
 * A source is configured when any of its variables is set; then every required one must be. Errors name the variable
 * and never contain a value of a `HELPDESK_TOKEN_*` variable (nor of any URL, which could embed credentials).
 */
import { sourceEnvSuffix, sourceVariable } from "@workbridge/adapters"
import type { FreshdeskConfig } from "./Freshdesk.js"
import type { GitHubConfig } from "./GitHub.js"
import type { JiraConfig } from "./Jira.js"
import type { ServiceNowConfig } from "./ServiceNow.js"
import type { ZendeskConfig } from "./Zendesk.js"

export class HelpdeskConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly reason: string
  ) {
    super(`${variable} ${reason}`)
    this.name = "HelpdeskConfigError"
  }
}

export interface HelpdeskConfigs {
  readonly zendesk?: ZendeskConfig
  readonly servicenow?: ServiceNowConfig
  readonly jira?: JiraConfig
  readonly freshdesk?: FreshdeskConfig
  readonly github?: GitHubConfig
}

export type HelpdeskSource = keyof HelpdeskConfigs
export const HELPDESK_SOURCES: ReadonlyArray<HelpdeskSource> = ["zendesk", "servicenow", "jira", "freshdesk", "github"]

type Env = Readonly<Record<string, string | undefined>>

const value = (env: Env, name: string): string | undefined => {
  const v = env[name]
  if (v === undefined) return undefined
  if (v.trim() === "") throw new HelpdeskConfigError(name, "is set but empty")
  return v.trim()
}

const required = (env: Env, name: string, why: string): string => {
  const v = value(env, name)
  if (v === undefined) throw new HelpdeskConfigError(name, `is required ${why}`)
  return v
}

const baseUrl = (name: string, raw: string): string => {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new HelpdeskConfigError(name, "must be an absolute URL such as https://example.zendesk.com")
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new HelpdeskConfigError(name, "must be an http(s) URL")
  if (url.username !== "" || url.password !== "")
    throw new HelpdeskConfigError(name, "must not contain credentials (use HELPDESK_USER_*/HELPDESK_TOKEN_*)")
  if (url.search !== "" || url.hash !== "") throw new HelpdeskConfigError(name, "must not have a query or fragment")
  return url.toString().replace(/\/+$/, "")
}

const names = (source: string) => ({
  url: sourceVariable("HELPDESK_URL", source),
  user: sourceVariable("HELPDESK_USER", source),
  token: sourceVariable("HELPDESK_TOKEN", source)
})

const extra: Readonly<Record<HelpdeskSource, ReadonlyArray<string>>> = {
  zendesk: [],
  servicenow: ["HELPDESK_TABLE_SERVICENOW"],
  jira: ["HELPDESK_JQL_JIRA"],
  freshdesk: [],
  github: ["HELPDESK_REPO_GITHUB"]
}

/** `HELPDESK_TIMEOUT_MS`: a whole number of milliseconds from 1 to 600000, or undefined when unset. */
const callTimeout = (env: Env): number | undefined => {
  const raw = value(env, "HELPDESK_TIMEOUT_MS")
  if (raw === undefined) return undefined
  const ms = /^\d+$/.test(raw) ? Number(raw) : Number.NaN
  if (!(ms >= 1 && ms <= 600_000))
    throw new HelpdeskConfigError(
      "HELPDESK_TIMEOUT_MS",
      `must be a whole number of milliseconds from 1 to 600000, got "${raw}"`
    )
  return ms
}

/** The read-client configuration of every source that has any `HELPDESK_*_<SOURCE>` variable set. Throws `HelpdeskConfigError`. */
export const helpdeskConfigsFromEnv = (env: Env): HelpdeskConfigs => {
  const out: { -readonly [K in HelpdeskSource]?: HelpdeskConfigs[K] } = {}
  const timeoutMs = callTimeout(env)
  const timeout = timeoutMs === undefined ? {} : { timeoutMs }
  for (const source of HELPDESK_SOURCES) {
    const n = names(source)
    const used = [n.url, n.user, n.token, ...extra[source]].some((v) => env[v] !== undefined)
    if (!used) continue
    const why = `when any HELPDESK_*_${sourceEnvSuffix(source)} variable is set`
    switch (source) {
      case "zendesk":
        out.zendesk = {
          baseUrl: baseUrl(n.url, required(env, n.url, why)),
          email: required(env, n.user, why),
          apiToken: required(env, n.token, why),
          ...timeout
        }
        break
      case "servicenow": {
        const table = value(env, "HELPDESK_TABLE_SERVICENOW") ?? "incident"
        if (!/^[a-z][a-z0-9_]{0,79}$/.test(table))
          throw new HelpdeskConfigError("HELPDESK_TABLE_SERVICENOW", "must be a table name such as incident")
        out.servicenow = {
          baseUrl: baseUrl(n.url, required(env, n.url, why)),
          user: required(env, n.user, why),
          password: required(env, n.token, why),
          table,
          ...timeout
        }
        break
      }
      case "jira": {
        const jql = value(env, "HELPDESK_JQL_JIRA")
        out.jira = {
          baseUrl: baseUrl(n.url, required(env, n.url, why)),
          email: required(env, n.user, why),
          apiToken: required(env, n.token, why),
          ...(jql === undefined ? {} : { jql }),
          ...timeout
        }
        break
      }
      case "freshdesk":
        if (env[n.user] !== undefined)
          throw new HelpdeskConfigError(
            n.user,
            "is not used: Freshdesk authenticates with the API key in HELPDESK_TOKEN_FRESHDESK alone"
          )
        out.freshdesk = {
          baseUrl: baseUrl(n.url, required(env, n.url, why)),
          apiKey: required(env, n.token, why),
          ...timeout
        }
        break
      case "github": {
        if (env[n.user] !== undefined)
          throw new HelpdeskConfigError(
            n.user,
            "is not used: GitHub authenticates with the token in HELPDESK_TOKEN_GITHUB alone"
          )
        const repository = required(env, "HELPDESK_REPO_GITHUB", why)
        if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repository))
          throw new HelpdeskConfigError("HELPDESK_REPO_GITHUB", `must be owner/repo, got "${repository}"`)
        const url = value(env, n.url)
        out.github = {
          ...(url === undefined ? {} : { baseUrl: baseUrl(n.url, url) }),
          token: required(env, n.token, why),
          repository,
          ...timeout
        }
        break
      }
    }
  }
  return out
}
