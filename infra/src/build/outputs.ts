/** Stack outputs → the service's environment (`pulumi stack output --show-secrets --json`). */

/** The stack outputs the program exports. */
export interface StackOutputs {
  readonly region?: string
  readonly gatewayUrl?: string
  readonly worktypeId: string
  readonly worktypeName?: string
  readonly workbinId: string
  readonly schemaId?: string
  readonly clientId: string
  readonly clientSecret: string
  readonly dataActionIds?: Readonly<Record<string, string>>
  readonly dataActionBasicAuth?: string
}

/** Output name → service environment variable. */
export const OUTPUT_TO_ENV = {
  region: "GENESYS_REGION",
  gatewayUrl: "GENESYS_GATEWAY_URL",
  clientId: "GENESYS_CLIENT_ID",
  clientSecret: "GENESYS_CLIENT_SECRET",
  worktypeId: "WORKBRIDGE_WORKTYPE_ID",
  dataActionBasicAuth: "WORKBRIDGE_DATA_ACTION_BASIC_AUTH"
} as const satisfies Partial<Record<keyof StackOutputs, string>>

const REQUIRED = ["worktypeId", "clientId", "clientSecret"] as const

/**
 * The `.env` text for the service from the JSON of `pulumi stack output --show-secrets --json`.
 * Throws naming the missing output, or when secrets were not shown (`[secret]`).
 */
export function outputsToEnv(json: unknown): string {
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw new Error("stack outputs: expected the JSON object of `pulumi stack output --show-secrets --json`")
  }
  const outputs = json as Record<string, unknown>
  for (const key of REQUIRED) {
    const v = outputs[key]
    if (typeof v !== "string" || v === "") throw new Error(`stack outputs: "${key}" is missing`)
  }
  if (outputs["region"] === undefined && outputs["gatewayUrl"] === undefined) {
    throw new Error('stack outputs: "region" is missing')
  }
  const lines: string[] = ["# Written from `pulumi stack output --show-secrets --json`; keep this file private."]
  for (const [output, env] of Object.entries(OUTPUT_TO_ENV)) {
    const v = outputs[output]
    if (v === undefined || v === null || v === "") continue
    if (typeof v !== "string") throw new Error(`stack outputs: "${output}" must be a string`)
    if (v === "[secret]") throw new Error(`stack outputs: "${output}" is hidden; run with --show-secrets`)
    if (/[\r\n]/.test(v)) throw new Error(`stack outputs: "${output}" contains a line break`)
    lines.push(`${env}=${quote(v)}`)
  }
  return `${lines.join("\n")}\n`
}

const quote = (v: string): string => (/^[A-Za-z0-9_./:@-]*$/.test(v) ? v : `'${v.replace(/'/g, "'\\''")}'`)
