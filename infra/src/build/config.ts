/**
 * The stack configuration (namespace `workbridge`), read through a getter so it can be checked without Pulumi.
 * Each error names the config key.
 */
import type { SdkTarget } from "../providers/sdk.js"

export interface StackConfig {
  /** Genesys region host, e.g. `mypurecloud.ie`. */
  readonly region?: string
  /** Gateway URL of the bundled emulator (instead of a region). */
  readonly gatewayUrl?: string
  /** The provisioning OAuth client (needs the admin permissions listed in docs/provisioning.md). */
  readonly clientId: string
  readonly clientSecret: string
  /** Public base URL of the service; the Data Actions call `<serviceBaseUrl>/data-actions/...`. */
  readonly serviceBaseUrl: string
  readonly namePrefix: string
  /** Catalog override file (JSON), relative to the project directory. */
  readonly catalogFile?: string
  /** `user:password` Genesys sends to the Data Action endpoints. */
  readonly dataActionBasicAuth: string
  /** Ids of objects that already exist in the org, to adopt instead of create (`workbridge:adopt`). */
  readonly adopt?: AdoptIds
  /** Provision the write-back chain (`workbridge:writeBack`, default false): workflow and trigger. */
  readonly writeBack?: boolean
}

/** Existing Genesys objects to adopt (Pulumi's `import` resource option), by id. */
export interface AdoptIds {
  readonly workbin?: string
  readonly schema?: string
  readonly worktype?: string
  /** Status name → id. */
  readonly statuses?: Readonly<Record<string, string>>
  readonly role?: string
  readonly credential?: string
  readonly integration?: string
  /** Data Action name → id. */
  readonly actions?: Readonly<Record<string, string>>
}

const ADOPT_IDS = ["workbin", "schema", "worktype", "role", "credential", "integration"] as const
const ADOPT_MAPS = ["statuses", "actions"] as const

/** Parse `workbridge:adopt` (a JSON object); errors name the bad key. */
export function parseAdopt(text: string): AdoptIds {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new Error("workbridge:adopt: not valid JSON")
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new Error('workbridge:adopt: must be a JSON object such as {"worktype": "<id>"}')
  }
  const known: ReadonlyArray<string> = [...ADOPT_IDS, ...ADOPT_MAPS]
  for (const [key, v] of Object.entries(value)) {
    if (!known.includes(key)) throw new Error(`workbridge:adopt.${key}: unknown; use one of ${known.join(", ")}`)
    if ((ADOPT_IDS as ReadonlyArray<string>).includes(key)) {
      if (typeof v !== "string" || v === "") throw new Error(`workbridge:adopt.${key}: must be a non-empty id`)
    } else {
      if (v === null || typeof v !== "object" || Array.isArray(v))
        throw new Error(`workbridge:adopt.${key}: must map names to ids`)
      for (const [name, id] of Object.entries(v)) {
        if (typeof id !== "string" || id === "")
          throw new Error(`workbridge:adopt.${key}.${name}: must be a non-empty id`)
      }
    }
  }
  return value as AdoptIds
}

/** Every `workbridge:*` key the program reads (documented in Pulumi.yaml and docs/provisioning.md). */
export const CONFIG_KEYS = [
  "region",
  "gatewayUrl",
  "clientId",
  "clientSecret",
  "serviceBaseUrl",
  "namePrefix",
  "catalogFile",
  "dataActionBasicAuth",
  "adopt",
  "writeBack"
] as const

/** The keys whose values are secrets. */
export const SECRET_CONFIG_KEYS = ["clientSecret", "dataActionBasicAuth"] as const

/** A config source: returns the raw value of `workbridge:<key>` or undefined. */
export type ConfigGetter = (key: string) => string | undefined

const REGION = /^[a-z0-9-]+(\.[a-z0-9-]+)+$|^[a-z]{2}_[a-z]+_\d$/

/** Read and check the stack config. */
export function readStackConfig(get: ConfigGetter): StackConfig {
  const opt = (key: string): string | undefined => {
    const v = get(key)
    return v === undefined || v.trim() === "" ? undefined : v.trim()
  }
  const req = (key: string, hint: string): string => {
    const v = opt(key)
    if (v === undefined) throw new Error(`workbridge:${key}: required (${hint})`)
    return v
  }
  const region = opt("region")
  const gatewayUrl = opt("gatewayUrl")
  if (region === undefined && gatewayUrl === undefined) {
    throw new Error("workbridge:region: required, e.g. `pulumi config set workbridge:region mypurecloud.ie`")
  }
  if (region !== undefined && gatewayUrl !== undefined) {
    throw new Error("workbridge:gatewayUrl: set either workbridge:region or workbridge:gatewayUrl, not both")
  }
  if (region !== undefined && !REGION.test(region)) {
    throw new Error(`workbridge:region: a Genesys Cloud domain such as mypurecloud.ie, got ${JSON.stringify(region)}`)
  }
  if (gatewayUrl !== undefined) checkUrl("gatewayUrl", gatewayUrl)
  const clientId = req("clientId", "the provisioning OAuth client's id")
  const clientSecret = req("clientSecret", "`pulumi config set --secret workbridge:clientSecret ...`")
  const serviceBaseUrl = req("serviceBaseUrl", "the service's public https URL")
  checkUrl("serviceBaseUrl", serviceBaseUrl)
  const dataActionBasicAuth = req(
    "dataActionBasicAuth",
    "`pulumi config set --secret workbridge:dataActionBasicAuth user:password`"
  )
  const colon = dataActionBasicAuth.indexOf(":")
  if (colon <= 0 || colon === dataActionBasicAuth.length - 1) {
    throw new Error("workbridge:dataActionBasicAuth: expected user:password (value not shown)")
  }
  const catalogFile = opt("catalogFile")
  const adoptText = opt("adopt")
  const adopt = adoptText === undefined ? undefined : parseAdopt(adoptText)
  const writeBackText = opt("writeBack")
  if (writeBackText !== undefined && writeBackText !== "true" && writeBackText !== "false") {
    throw new Error(`workbridge:writeBack: true or false, got ${JSON.stringify(writeBackText)}`)
  }
  return {
    ...(region === undefined ? {} : { region }),
    ...(gatewayUrl === undefined ? {} : { gatewayUrl }),
    clientId,
    clientSecret,
    serviceBaseUrl: serviceBaseUrl.replace(/\/+$/, ""),
    namePrefix: opt("namePrefix") ?? "Workbridge",
    ...(catalogFile === undefined ? {} : { catalogFile }),
    dataActionBasicAuth,
    ...(adopt === undefined ? {} : { adopt }),
    ...(writeBackText === "true" ? { writeBack: true } : {})
  }
}

function checkUrl(key: string, value: string): void {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new Error(`workbridge:${key}: not a URL: ${JSON.stringify(value)}`)
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error(`workbridge:${key}: must be an http(s) URL, got ${url.protocol}`)
  }
}

/** The SDK target every provider connects with. */
export function connectionOf(config: StackConfig): SdkTarget {
  return {
    ...(config.region === undefined ? {} : { region: config.region }),
    ...(config.gatewayUrl === undefined ? {} : { gatewayUrl: config.gatewayUrl }),
    clientId: config.clientId,
    clientSecret: config.clientSecret
  }
}

/** Split `user:password` (checked by `readStackConfig`). */
export function splitBasicAuth(value: string): { userName: string; password: string } {
  const i = value.indexOf(":")
  return { userName: value.slice(0, i), password: value.slice(i + 1) }
}
