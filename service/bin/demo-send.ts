/**
 * `pnpm demo:send <sample>`: sign a sample webhook the way its helpdesk would and post it to the service.
 *
 *   <sample>  a file of service/samples (`generic-ticket-created`, `generic-ticket-updated`, `generic-ticket-closed`)
 *             or a helpdesk fixture of packages/adapters/fixtures (`zendesk-ticket-created`, `jira-issue-updated`, …)
 *   --url     the service (default $WORKBRIDGE_URL or http://127.0.0.1:$PORT, PORT default 8080)
 *
 * Credentials come from WEBHOOK_SECRET_<SOURCE> / WEBHOOK_BASIC_AUTH_<SOURCE> / WEBHOOK_TOKEN_<SOURCE>, or
 * else the demo credentials the service uses with the bundled emulator; a generic source's signature goes in
 * WEBHOOK_SIGNATURE_HEADER_<SOURCE> when set.
 */
import * as fs from "node:fs"
import { fileURLToPath } from "node:url"
import { sign } from "@workbridge/adapters"
import { loadFixture } from "@workbridge/adapters/fixtures"
import { signatureHeadersFromEnv, webhookCredentialsFromEnv } from "../src/config/Config.js"
import { DEMO_BASIC_AUTH_SOURCES, DEMO_WEBHOOK_BASIC_AUTH, DEMO_WEBHOOK_SECRET } from "../src/demo/credentials.js"

const SAMPLES_DIR = fileURLToPath(new URL("../samples/", import.meta.url))

const usageText = (): string => {
  const samples = fs
    .readdirSync(SAMPLES_DIR)
    .filter((f) => f.endsWith(".json"))
    .map((f) => f.slice(0, -5))
  return (
    "usage: pnpm demo:send <sample> [--url http://127.0.0.1:8080]\n" +
    "  signs a sample webhook as its helpdesk would and posts it to the running service (pnpm start)\n" +
    `samples: ${samples.join(", ")} (or a packages/adapters fixture name, e.g. zendesk-ticket-created)\n` +
    "  --url   the service (default $WORKBRIDGE_URL, else http://127.0.0.1:$PORT with PORT default 8080)\n" +
    "credentials: WEBHOOK_SECRET_<SOURCE> / WEBHOOK_BASIC_AUTH_<SOURCE> / WEBHOOK_TOKEN_<SOURCE>, else the demo ones\n"
  )
}

const usage = (problem: string): never => {
  process.stderr.write(`demo:send: ${problem}\n${usageText()}`)
  process.exit(2)
}

const args = process.argv.slice(2)
if (args.includes("--help") || args.includes("-h")) {
  process.stdout.write(usageText())
  process.exit(0)
}
let url = process.env["WORKBRIDGE_URL"] ?? `http://127.0.0.1:${process.env["PORT"] ?? "8080"}`
const names: Array<string> = []
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--url") url = args[++i] ?? usage("--url needs a value")
  else names.push(args[i]!)
}
const name = names[0] ?? usage("which sample?")

let source: string
let rawBody: Buffer
const samplePath = `${SAMPLES_DIR}${name.replace(/\.json$/, "")}.json`
if (/^[a-z0-9-]+$/.test(name.replace(/\.json$/, "")) && fs.existsSync(samplePath)) {
  const sample = JSON.parse(fs.readFileSync(samplePath, "utf8")) as { source: string; body: unknown }
  source = sample.source
  rawBody = Buffer.from(JSON.stringify(sample.body), "utf8")
} else {
  let fixture: ReturnType<typeof loadFixture> | undefined
  try {
    fixture = loadFixture(name)
  } catch (e) {
    usage(`no sample or fixture named "${name}" (${e instanceof Error ? e.message : String(e)})`)
  }
  source = fixture!.vendor
  rawBody = fixture!.rawBody
}

const configured = webhookCredentialsFromEnv(process.env)[source]
const creds =
  configured ??
  (DEMO_BASIC_AUTH_SOURCES.includes(source) ? { basicAuth: DEMO_WEBHOOK_BASIC_AUTH } : { secret: DEMO_WEBHOOK_SECRET })
const signatureHeader = signatureHeadersFromEnv(process.env)[source]
const headers = sign(
  source,
  rawBody,
  creds,
  new Date(),
  signatureHeader !== undefined ? { signatureHeader } : undefined
)

const target = `${url.replace(/\/+$/, "")}/webhooks/${source}`
try {
  const res = await fetch(target, { method: "POST", headers, body: rawBody })
  const text = await res.text()
  process.stdout.write(`POST ${target} → ${res.status}\n${text}\n`)
  process.exit(res.status >= 200 && res.status < 300 ? 0 : 1)
} catch (e) {
  process.stderr.write(
    `demo:send: cannot reach ${target}: ${e instanceof Error ? e.message : String(e)} (is the service running? pnpm start)\n`
  )
  process.exit(1)
}
