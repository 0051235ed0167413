/**
 * Test support: the helpdesk fixtures shipped in `packages/adapters/fixtures/` (see fixtures/SOURCES.md), as
 * ready-to-send requests. Reads files, so it is not exported from the package index: import
 * `@workbridge/adapters/fixtures`.
 */
import { readdirSync, readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import type { SourceCredentials, WebhookRequest } from "./Adapter.js"

/** The fixtures folder of this package. */
export const FIXTURES_DIR = fileURLToPath(new URL("../fixtures/", import.meta.url))

export interface Fixture {
  /** File name without `.json`, e.g. `zendesk-ticket-created` or `synthetic/jira-issue-resolved`. */
  readonly name: string
  readonly vendor: string
  readonly event: string
  /** Headers as the vendor sends them (original case). */
  readonly headers: Readonly<Record<string, string>>
  readonly body: unknown
  /** The exact bytes the signature covers. */
  readonly rawBody: Buffer
  readonly signing?: { readonly scheme: string; readonly secret: string }
  readonly notes: ReadonlyArray<string>
}

/** Load one fixture by name (`zendesk-ticket-created`, `synthetic/jira-issue-resolved`; `.json` optional). */
export const loadFixture = (name: string): Fixture => {
  const base = name.endsWith(".json") ? name.slice(0, -5) : name
  if (!/^(synthetic\/)?[a-z0-9-]+$/.test(base)) throw new Error(`fixture name "${name}" is not a fixture file name`)
  const raw = JSON.parse(readFileSync(`${FIXTURES_DIR}${base}.json`, "utf8")) as {
    vendor: string
    event: string
    headers: Record<string, string>
    body: unknown
    raw_body: string
    signing?: { scheme: string; secret: string }
    notes?: ReadonlyArray<string>
  }
  return {
    name: base,
    vendor: raw.vendor,
    event: raw.event,
    headers: raw.headers,
    body: raw.body,
    rawBody: Buffer.from(raw.raw_body, "utf8"),
    ...(raw.signing === undefined ? {} : { signing: { scheme: raw.signing.scheme, secret: raw.signing.secret } }),
    notes: raw.notes ?? []
  }
}

/** Names of every vendor fixture (not the signature vectors), optionally with the synthetic ones. */
export const fixtureNames = (options?: { readonly synthetic?: boolean }): ReadonlyArray<string> => {
  const list = (dir: string, prefix: string) =>
    readdirSync(`${FIXTURES_DIR}${dir}`)
      .filter((f) => f.endsWith(".json") && f !== "signature-vectors.json")
      .map((f) => `${prefix}${f.slice(0, -5)}`)
      .sort()
  return options?.synthetic === true ? [...list("", ""), ...list("synthetic", "synthetic/")] : list("", "")
}

/** A fixture as the edge would hand it to an adapter: lower-case header names, raw bytes, a receive time. */
export const fixtureRequest = (fixture: Fixture, receivedAt: Date = new Date(0)): WebhookRequest => ({
  headers: Object.fromEntries(Object.entries(fixture.headers).map(([k, v]) => [k.toLowerCase(), v])),
  rawBody: fixture.rawBody,
  receivedAt
})

/** Credentials matching a fixture's headers (the vendors' published test secrets, or the Basic auth shown). */
export const fixtureCredentials = (fixture: Fixture): SourceCredentials => {
  if (fixture.signing !== undefined) return { secret: fixture.signing.secret }
  const auth = Object.entries(fixture.headers).find(([k]) => k.toLowerCase() === "authorization")?.[1]
  const basic = auth === undefined ? undefined : /^Basic\s+(\S+)$/i.exec(auth)?.[1]
  return basic === undefined ? {} : { basicAuth: Buffer.from(basic, "base64").toString("utf8") }
}

export interface SignatureVector {
  readonly id: string
  readonly vendor: string
  readonly vendor_published: boolean | null
  readonly secret: string | null
  readonly timestamp: string | null
  readonly body: string | null
  readonly expected_signature: string | null
  readonly signed_string?: string
}

/** The HMAC test vectors (fixtures/signature-vectors.json). */
export const loadSignatureVectors = (): ReadonlyArray<SignatureVector> =>
  (
    JSON.parse(readFileSync(`${FIXTURES_DIR}signature-vectors.json`, "utf8")) as {
      vectors: ReadonlyArray<SignatureVector>
    }
  ).vectors

/** Per source, fixtures of one ticket going created → updated → resolved (for end-to-end tests and demos). */
export const SEQUENCES: Readonly<
  Record<"zendesk" | "servicenow" | "jira" | "freshdesk" | "github", readonly [string, string, string]>
> = {
  zendesk: ["zendesk-ticket-created", "zendesk-ticket-updated", "synthetic/zendesk-ticket-solved"],
  servicenow: ["synthetic/servicenow-incident-created", "servicenow-incident-updated", "servicenow-incident-resolved"],
  jira: ["jira-issue-created", "jira-issue-updated", "synthetic/jira-issue-resolved"],
  freshdesk: [
    "synthetic/freshdesk-ticket-created",
    "synthetic/freshdesk-ticket-updated",
    "synthetic/freshdesk-ticket-resolved"
  ],
  github: ["github-issues-opened", "github-issues-edited", "github-issues-closed"]
}
