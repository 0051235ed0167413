/**
 * The Data Action definitions (contract + config) of the Workbridge actions, in the Genesys export/import format:
 * what the admin UI imports, what `pnpm data-action:export` writes and what `infra/` publishes through the
 * Integrations API (`toPostActionInput`).
 *
 * Request side: the whole input is sent as JSON (`${input.rawRequest}`) to the service's endpoint — except the
 * workitem event's, whose one input is already the JSON text of the event and is sent as it is (`${input.event}`),
 * so the service receives the event itself as the body. Response side:
 * a translation map picks every output by JSONPath, with a default for the optional ones, and the success template
 * rebuilds the flat output object — so a field absent from an answer reaches the flow as its default
 * (`""`, `[]`, `false`, `0`), and `provided` tells which fields were really answered.
 */
import type { Catalog } from "@workbridge/catalog"
import type { ActionContract, FlatObjectSchema, JsonSchemaProperty } from "./contracts.js"
import { normalizeTicketContract, ticketStatusContract, workitemEventContract } from "./contracts.js"

/** Paths of the actions, relative to where the router is mounted. */
export const DATA_ACTION_PATHS = {
  normalizeTicket: "/normalize-ticket",
  ticketStatus: "/ticket-status",
  workitemEvent: "/workitem-event"
} as const

/** Where the service mounts the Data Action router. */
export const DATA_ACTIONS_MOUNT = "/data-actions"

/** How Genesys authenticates to the service (see docs/data-actions.md). */
export type DataActionCredentialType =
  /** A `basicAuth` credential on the integration: Genesys sends `Authorization: Basic …` itself. */
  | "basicAuth"
  /** A `userDefined` credential with a `token` field, sent as `Authorization: Bearer ${credentials.token}`. */
  | "bearerToken"

export interface DataActionDefinitionOptions {
  /** Public base URL of the service, e.g. `https://workbridge.example.com`. */
  readonly baseUrl: string
  /** Genesys-side timeout of each action, 1–15 s; default 10. */
  readonly timeoutSeconds?: number
  /** Default `basicAuth`. */
  readonly credentialType?: DataActionCredentialType
}

/** One action in the Genesys export/import format (docs/genesys-api.md §5.3), plus the config timeout. */
export interface DataActionDefinition {
  readonly name: string
  readonly integrationType: "custom-rest-actions"
  readonly actionType: "custom"
  readonly config: {
    readonly timeoutSeconds: number
    readonly request: {
      readonly requestUrlTemplate: string
      readonly requestType: "POST"
      readonly headers: Readonly<Record<string, string>>
      readonly requestTemplate: string
    }
    readonly response: {
      readonly translationMap: Readonly<Record<string, string>>
      readonly translationMapDefaults: Readonly<Record<string, string>>
      readonly successTemplate: string
    }
  }
  readonly contract: {
    readonly input: { readonly inputSchema: FlatObjectSchema }
    readonly output: { readonly successSchema: FlatObjectSchema }
  }
}

/** Genesys Data Action timeouts must stay within 15 s for flows; the API allows 1–60. */
export const MAX_TIMEOUT_SECONDS = 15
export const DEFAULT_TIMEOUT_SECONDS = 10

export const ACTION_NAMES = {
  normalizeTicket: "Workbridge - Normalize ticket",
  ticketStatus: "Workbridge - Ticket sync status",
  workitemEvent: "Workbridge - Workitem event"
} as const

/**
 * The definitions of the three actions (normalize ticket, ticket sync status, workitem event) for a catalog and a public base URL. Throws an `Error` naming the option when
 * `baseUrl` or `timeoutSeconds` is unusable, or naming the field when the catalog collides with an output name.
 */
export const buildDataActionDefinitions = (
  catalog: Catalog,
  options: DataActionDefinitionOptions
): ReadonlyArray<DataActionDefinition> => {
  const baseUrl = checkBaseUrl(options.baseUrl)
  const timeoutSeconds = options.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > MAX_TIMEOUT_SECONDS) {
    throw new Error(`timeoutSeconds must be a whole number from 1 to ${MAX_TIMEOUT_SECONDS}, got ${timeoutSeconds}`)
  }
  const credentialType = options.credentialType ?? "basicAuth"
  const make = (
    name: string,
    path: string,
    contract: ActionContract,
    requestTemplate = "${input.rawRequest}"
  ): DataActionDefinition => ({
    name,
    integrationType: "custom-rest-actions",
    actionType: "custom",
    config: {
      timeoutSeconds,
      request: {
        requestUrlTemplate: `${baseUrl}${DATA_ACTIONS_MOUNT}${path}`,
        requestType: "POST",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          ...(credentialType === "bearerToken" ? { Authorization: "Bearer ${credentials.token}" } : {})
        },
        requestTemplate
      },
      response: responseConfig(contract.output)
    },
    contract: { input: { inputSchema: contract.input }, output: { successSchema: contract.output } }
  })
  return [
    make(ACTION_NAMES.normalizeTicket, DATA_ACTION_PATHS.normalizeTicket, normalizeTicketContract(catalog)),
    make(ACTION_NAMES.ticketStatus, DATA_ACTION_PATHS.ticketStatus, ticketStatusContract),
    make(ACTION_NAMES.workitemEvent, DATA_ACTION_PATHS.workitemEvent, workitemEventContract, "${input.event}")
  ]
}

/** The default a flow receives for an output the answer left out (a JSON literal, as Genesys expects). */
export const translationDefault = (property: JsonSchemaProperty): string => {
  switch (property.type) {
    case "array":
      return "[]"
    case "boolean":
      return "false"
    case "integer":
    case "number":
      return "0"
    case "string":
      return '""'
  }
}

const responseConfig = (output: FlatObjectSchema): DataActionDefinition["config"]["response"] => {
  const names = Object.keys(output.properties)
  const translationMap: Record<string, string> = {}
  const translationMapDefaults: Record<string, string> = {}
  for (const name of names) {
    translationMap[name] = `$.${name}`
    const property = output.properties[name]
    if (property !== undefined && !(output.required ?? []).includes(name)) {
      translationMapDefaults[name] = translationDefault(property)
    }
  }
  // Translation-map values are substituted as JSON, so each one drops in unquoted.
  const successTemplate = `{${names.map((name) => `"${name}": \${${name}}`).join(", ")}}`
  return { translationMap, translationMapDefaults, successTemplate }
}

const checkBaseUrl = (value: string): string => {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new Error("baseUrl (WORKBRIDGE_PUBLIC_URL) must be an absolute http(s) URL")
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new Error(`baseUrl (WORKBRIDGE_PUBLIC_URL) must use http or https, got "${url.protocol}"`)
  }
  if (url.username !== "" || url.password !== "") {
    throw new Error("baseUrl (WORKBRIDGE_PUBLIC_URL) must not contain credentials; use the integration's credential")
  }
  if (url.search !== "" || url.hash !== "" || /[$#]/.test(value)) {
    throw new Error('baseUrl (WORKBRIDGE_PUBLIC_URL) must not contain a query, a fragment or "$"')
  }
  return url.href.replace(/\/+$/, "")
}

/** The body of `POST /api/v2/integrations/actions[/drafts]` for a definition (the SDK's `PostActionInput`). */
export const toPostActionInput = (
  definition: DataActionDefinition,
  target: { readonly integrationId: string; readonly category: string; readonly secure?: boolean }
) => ({
  name: definition.name,
  category: target.category,
  integrationId: target.integrationId,
  secure: target.secure ?? false,
  config: definition.config,
  contract: definition.contract
})

/** The file name an exported definition is written to, e.g. `workbridge-normalize-ticket.json`. */
export const exportFileName = (definition: DataActionDefinition): string =>
  `${definition.name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")}.json`
