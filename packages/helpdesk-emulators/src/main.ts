/**
 * `pnpm helpdesk-emulators`: the five helpdesk emulators on ports 9301–9305, each sending its webhooks to
 * `${HELPDESK_EMULATOR_WEBHOOK_BASE}/<source>` (default http://127.0.0.1:8080/webhooks) signed or authenticated with the
 * same `WEBHOOK_SECRET_<SOURCE>` / `WEBHOOK_BASIC_AUTH_<SOURCE>` / `WEBHOOK_TOKEN_<SOURCE>` the service verifies.
 * Prints how to change a ticket in each. The defaults are for local use only.
 */
import { type SourceCredentials, sourceVariable } from "@workbridge/adapters"
import type { CoreOptions, Running } from "./internal/core.js"
import { startFreshdeskEmulator } from "./Freshdesk.js"
import { startGitHubEmulator } from "./GitHub.js"
import { startJiraEmulator } from "./Jira.js"
import { startServiceNowEmulator } from "./ServiceNow.js"
import { startZendeskEmulator } from "./Zendesk.js"

type Env = Readonly<Record<string, string | undefined>>

const SOURCES = ["zendesk", "servicenow", "jira", "freshdesk", "github"] as const
type Source = (typeof SOURCES)[number]

/** Ports, webhook target and credentials from the environment; throws an Error naming a bad variable. */
export const emulatorOptionsFromEnv = (env: Env): Record<Source, CoreOptions> => {
  const baseRaw = env["HELPDESK_EMULATOR_WEBHOOK_BASE"] ?? "http://127.0.0.1:8080/webhooks"
  try {
    new URL(baseRaw)
  } catch {
    throw new Error("HELPDESK_EMULATOR_WEBHOOK_BASE must be an absolute URL such as http://127.0.0.1:8080/webhooks")
  }
  const base = baseRaw.replace(/\/+$/, "")
  const dropRaw = env["HELPDESK_EMULATOR_DROP_WEBHOOKS"]
  const dropShare = dropRaw === undefined || dropRaw === "" ? 0 : Number(dropRaw)
  if (!(dropShare >= 0 && dropShare <= 1)) throw new Error("HELPDESK_EMULATOR_DROP_WEBHOOKS must be a number in 0..1")
  const out = {} as Record<Source, CoreOptions>
  SOURCES.forEach((source, i) => {
    const portName = sourceVariable("HELPDESK_EMULATOR_PORT", source)
    const portRaw = env[portName]
    const port = portRaw === undefined || portRaw === "" ? 9301 + i : Number(portRaw)
    if (!Number.isInteger(port) || port < 0 || port > 65_535)
      throw new Error(`${portName} must be a port number 0..65535`)
    const credentials: { secret?: string; basicAuth?: string; token?: { header: string; value: string } } = {}
    const secret = env[sourceVariable("WEBHOOK_SECRET", source)]
    const basic = env[sourceVariable("WEBHOOK_BASIC_AUTH", source)]
    const token = env[sourceVariable("WEBHOOK_TOKEN", source)]
    if (secret) credentials.secret = secret
    if (basic) credentials.basicAuth = basic
    if (token) {
      const c = token.indexOf(":")
      credentials.token =
        c > 0
          ? { header: token.slice(0, c), value: token.slice(c + 1) }
          : { header: "authorization", value: `Bearer ${token}` }
    }
    out[source] = {
      port,
      webhook: { url: `${base}/${source}`, credentials: credentials as SourceCredentials, dropShare }
    }
  })
  return out
}

const main = async () => {
  let options: Record<Source, CoreOptions>
  try {
    options = emulatorOptionsFromEnv(process.env)
  } catch (e) {
    console.error((e as Error).message)
    process.exit(2)
  }
  const started: Array<Running> = []
  const zd = await startZendeskEmulator(options.zendesk)
  const sn = await startServiceNowEmulator(options.servicenow)
  const ji = await startJiraEmulator(options.jira)
  const fd = await startFreshdeskEmulator(options.freshdesk)
  const gh = await startGitHubEmulator(options.github)
  started.push(zd, sn, ji, fd, gh)
  const b = (u: string, p: string) => Buffer.from(`${u}:${p}`).toString("base64")
  console.log(`Helpdesk emulators (local test doubles, not the vendors) — webhooks go to ${options.zendesk.webhook?.url?.replace(/\/zendesk$/, "")}/<source>
  zendesk    ${zd.url}  curl -X POST ${zd.url}/api/v2/tickets.json -H 'Authorization: Basic ${b("agent@example.com/token", "zendesk-api-token")}' -H 'Content-Type: application/json' -d '{"ticket":{"subject":"Printer on fire","comment":{"body":"Help"}}}'
  servicenow ${sn.url}  curl -X POST ${sn.url}/api/now/table/incident -u workbridge:servicenow-password -H 'Content-Type: application/json' -d '{"short_description":"VPN down"}'
  jira       ${ji.url}  curl -X POST ${ji.url}/rest/api/3/issue -u agent@example.com:jira-api-token -H 'Content-Type: application/json' -d '{"fields":{"project":{"key":"SUP"},"summary":"Laptop broken","issuetype":{"name":"Task"}}}'
  freshdesk  ${fd.url}  curl -X POST ${fd.url}/api/v2/tickets -u freshdesk-api-key:X -H 'Content-Type: application/json' -d '{"email":"a@example.com","subject":"Refund","description":"<p>Hi</p>","status":2,"priority":1}'
  github     ${gh.url}  curl -X POST ${gh.url}/repos/octo-org/helpdesk/issues -H 'Authorization: Bearer github-pat' -H 'Content-Type: application/json' -d '{"title":"Crash on start"}'
Control API per emulator: GET|PUT /__emulator/webhooks, POST /__emulator/webhooks/replay, POST|DELETE /__emulator/faults (see packages/helpdesk-emulators/README.md).`)
  const stop = async () => {
    for (const s of started) await s.close()
    process.exit(0)
  }
  process.on("SIGINT", stop)
  process.on("SIGTERM", stop)
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, "/"))) void main()
