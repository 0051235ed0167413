/**
 * The demo's helpdesks: `pnpm start` without any credentials starts the five helpdesk emulators beside the bundled
 * Genesys emulator, points their webhooks at the service with the demo's webhook credentials, and gives the service
 * their APIs (reconciliation, and fetch-on-notify for Freshdesk), so a ticket changed "in Zendesk" flows to a
 * workitem. Local test doubles only, never the vendors.
 */
import type { SourceCredentials } from "@workbridge/adapters"
import type { HelpdeskConfigs, HelpdeskSource } from "@workbridge/helpdesk-clients"
import type { Core, Running } from "@workbridge/helpdesk-emulators"
import { Context, Effect, Layer, Option } from "effect"
import type { ServiceConfig } from "../config/Config.js"
import { GenesysOrg } from "../genesys/GenesysOrg.js"

export interface DemoHelpdesks {
  /** Base URL of each emulator. */
  readonly urls: Readonly<Record<HelpdeskSource, string>>
  /** The read-client configuration of the emulators (their default demo credentials). */
  readonly configs: HelpdeskConfigs
  /** Send every emulator's webhooks to `<serviceUrl>/webhooks/<source>` with the service's credentials of that source. */
  point(serviceUrl: string, credentials: Readonly<Record<string, SourceCredentials>>): void
  /** How to create and change a ticket in each, and see it in the service. */
  instructions(serviceUrl: string): ReadonlyArray<string>
  close(): Promise<void>
}

const b64 = (u: string, p: string) => Buffer.from(`${u}:${p}`).toString("base64")

export const startDemoHelpdesks = async (ports: Readonly<Record<HelpdeskSource, number>>): Promise<DemoHelpdesks> => {
  // Loaded only here: a deployment with credentials never loads the emulators.
  const e = await import("@workbridge/helpdesk-emulators")
  const started: Array<Running & { core: Core }> = []
  try {
    const zendesk = await e.startZendeskEmulator({ port: ports.zendesk })
    started.push(zendesk)
    const servicenow = await e.startServiceNowEmulator({ port: ports.servicenow })
    started.push(servicenow)
    const jira = await e.startJiraEmulator({ port: ports.jira })
    started.push(jira)
    const freshdesk = await e.startFreshdeskEmulator({ port: ports.freshdesk })
    started.push(freshdesk)
    const github = await e.startGitHubEmulator({ port: ports.github })
    started.push(github)
    const bySource: Record<HelpdeskSource, Running & { core: Core }> = { zendesk, servicenow, jira, freshdesk, github }
    const urls = Object.fromEntries(Object.entries(bySource).map(([s, r]) => [s, r.url])) as Record<
      HelpdeskSource,
      string
    >
    return {
      urls,
      configs: {
        zendesk: { baseUrl: zendesk.url, email: "agent@example.com", apiToken: "zendesk-api-token" },
        servicenow: { baseUrl: servicenow.url, user: "workbridge", password: "servicenow-password", table: "incident" },
        jira: { baseUrl: jira.url, email: "agent@example.com", apiToken: "jira-api-token" },
        freshdesk: { baseUrl: freshdesk.url, apiKey: "freshdesk-api-key" },
        github: { baseUrl: github.url, token: "github-pat", repository: "octo-org/helpdesk" }
      },
      point: (serviceUrl, credentials) => {
        for (const [source, r] of Object.entries(bySource)) {
          const c = credentials[source]
          r.core.configureWebhooks({
            url: `${serviceUrl}/webhooks/${source}`,
            ...(c !== undefined ? { credentials: c } : {})
          })
        }
      },
      instructions: (serviceUrl) => [
        "Helpdesk emulators (local test doubles, not the vendors), sending their webhooks to this service:",
        `  zendesk    ${zendesk.url}   create: curl -X POST ${zendesk.url}/api/v2/tickets.json -H 'Authorization: Basic ${b64("agent@example.com/token", "zendesk-api-token")}' -H 'Content-Type: application/json' -d '{"ticket":{"subject":"Printer on fire","comment":{"body":"Help"}}}'`,
        `             change: curl -X PUT ${zendesk.url}/api/v2/tickets/1.json -H 'Authorization: Basic ${b64("agent@example.com/token", "zendesk-api-token")}' -H 'Content-Type: application/json' -d '{"ticket":{"status":"solved"}}'   then: curl ${serviceUrl}/tickets/zendesk/1`,
        `  servicenow ${servicenow.url}   create: curl -X POST ${servicenow.url}/api/now/table/incident -u workbridge:servicenow-password -H 'Content-Type: application/json' -d '{"short_description":"VPN down"}'`,
        `             change: curl -X PATCH ${servicenow.url}/api/now/table/incident/<sys_id> -u workbridge:servicenow-password -H 'Content-Type: application/json' -d '{"state":"6"}'   then: curl ${serviceUrl}/tickets/servicenow/<number>`,
        `  jira       ${jira.url}   create: curl -X POST ${jira.url}/rest/api/3/issue -u agent@example.com:jira-api-token -H 'Content-Type: application/json' -d '{"fields":{"project":{"key":"SUP"},"summary":"Laptop broken","issuetype":{"name":"Task"}}}'`,
        `             change: curl -X PUT ${jira.url}/rest/api/3/issue/SUP-1 -u agent@example.com:jira-api-token -H 'Content-Type: application/json' -d '{"fields":{"summary":"Laptop replaced"}}'   then: curl ${serviceUrl}/tickets/jira/<issue id>`,
        `  freshdesk  ${freshdesk.url}   create: curl -X POST ${freshdesk.url}/api/v2/tickets -u freshdesk-api-key:X -H 'Content-Type: application/json' -d '{"email":"a@example.com","subject":"Refund","description":"<p>Hi</p>","status":2,"priority":1}'`,
        `             change: curl -X PUT ${freshdesk.url}/api/v2/tickets/1 -u freshdesk-api-key:X -H 'Content-Type: application/json' -d '{"status":4}'   then: curl ${serviceUrl}/tickets/freshdesk/1`,
        `  github     ${github.url}   create: curl -X POST ${github.url}/repos/octo-org/helpdesk/issues -H 'Authorization: Bearer github-pat' -H 'Content-Type: application/json' -d '{"title":"Crash on start"}'`,
        `             change: curl -X PATCH ${github.url}/repos/octo-org/helpdesk/issues/1 -H 'Authorization: Bearer github-pat' -H 'Content-Type: application/json' -d '{"state":"closed"}'   then: curl ${serviceUrl}/tickets/github/octo-org%2Fhelpdesk%231`,
        `  One reconciliation pass by hand: pnpm reconcile --source zendesk   (the emulators' control API: packages/helpdesk-emulators/README.md)`
      ],
      close: async () => {
        for (const r of started) await r.close().catch(() => undefined)
      }
    }
  } catch (err) {
    for (const r of started) await r.close().catch(() => undefined)
    throw err
  }
}

/** The demo's helpdesks of this service, when it runs them. */
export class DemoHelpdesksOption extends Context.Tag("@workbridge/service/DemoHelpdesks")<
  DemoHelpdesksOption,
  Option.Option<DemoHelpdesks>
>() {}

/**
 * The demo's helpdesks beside the bundled Genesys emulator (closed with the scope): only in the demo, unless a
 * helpdesk API is configured (or they are off).
 */
export const DemoHelpdesksLive = (config: ServiceConfig): Layer.Layer<DemoHelpdesksOption, never, GenesysOrg> =>
  Layer.scoped(
    DemoHelpdesksOption,
    Effect.gen(function* () {
      const org = yield* GenesysOrg
      const emulators = config.helpdeskEmulators
      if (!org.demo || emulators === undefined || Object.keys(config.feeds.helpdesks).length > 0) return Option.none()
      const started = yield* Effect.acquireRelease(
        Effect.promise(() => startDemoHelpdesks(emulators.ports)),
        (d) => Effect.promise(() => d.close()).pipe(Effect.catchAllCause(() => Effect.void))
      )
      return Option.some(started)
    })
  )
