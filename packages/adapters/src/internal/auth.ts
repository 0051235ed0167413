/** Constant-time credential checks shared by the adapters. */
import { createHash, createHmac } from "node:crypto"
import { Either } from "effect"
import { constantTimeEqual } from "../compare.js"
import { sourceVariable } from "../envNames.js"
import type { AuthenticityReason, CredentialKind, SourceCredentials, WebhookRequest } from "../Adapter.js"
import { AuthenticityError } from "../Adapter.js"

export type AuthResult = Either.Either<void, AuthenticityError>

export const ok: AuthResult = Either.void

export const refuse = (source: string, reason: AuthenticityReason, detail: string): AuthResult =>
  Either.left(new AuthenticityError({ source, reason, detail }))

export const hmac = (
  algorithm: "sha256" | "sha1",
  secret: string,
  ...parts: ReadonlyArray<Buffer | string>
): Buffer => {
  const mac = createHmac(algorithm, Buffer.from(secret, "utf8"))
  for (const part of parts) mac.update(part)
  return mac.digest()
}

const HEX = /^[0-9a-fA-F]+$/

/** Decode a hex signature; undefined when it is not hex. */
export const fromHex = (text: string): Buffer | undefined =>
  text.length > 0 && text.length % 2 === 0 && HEX.test(text) ? Buffer.from(text, "hex") : undefined

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/

export const fromBase64 = (text: string): Buffer | undefined =>
  text.length > 0 && text.length % 4 === 0 && BASE64.test(text) ? Buffer.from(text, "base64") : undefined

/** A header's trimmed value; undefined when absent or blank. */
export const header = (req: WebhookRequest, name: string): string | undefined => {
  const value = req.headers[name.toLowerCase()]?.trim()
  return value === undefined || value === "" ? undefined : value
}

/** Check an HTTP Basic `Authorization` header against `user:password`. */
export const checkBasicAuth = (source: string, req: WebhookRequest, expected: string): AuthResult => {
  const value = header(req, "authorization")
  if (value === undefined) return refuse(source, "MissingHeader", "the Authorization header is missing")
  const match = /^basic\s+(\S+)$/i.exec(value)
  if (match === null) return refuse(source, "BadCredentials", "the Authorization header is not HTTP Basic")
  const given = Buffer.from(match[1] ?? "", "base64")
  return constantTimeEqual(given, Buffer.from(expected, "utf8"))
    ? ok
    : refuse(source, "BadCredentials", "the Authorization header does not carry the configured user and password")
}

/** Check that a configured header carries the configured token. */
export const checkToken = (
  source: string,
  req: WebhookRequest,
  token: { readonly header: string; readonly value: string }
): AuthResult => {
  const value = header(req, token.header)
  if (value === undefined) return refuse(source, "MissingHeader", `the ${token.header.toLowerCase()} header is missing`)
  return constantTimeEqual(Buffer.from(value, "utf8"), Buffer.from(token.value, "utf8"))
    ? ok
    : refuse(source, "BadCredentials", `the ${token.header.toLowerCase()} header does not carry the configured token`)
}

/**
 * Run every configured check. `signature` is the source's own signature check, used when a secret is configured.
 * At least one credential the source supports must be configured, or the request is refused.
 */
export const verifyAll = (
  source: string,
  kinds: ReadonlyArray<CredentialKind>,
  req: WebhookRequest,
  creds: SourceCredentials,
  signature?: (secret: string) => AuthResult
): AuthResult => {
  const usable =
    (kinds.includes("secret") && signature !== undefined && nonEmpty(creds.secret)) ||
    (kinds.includes("basicAuth") && nonEmpty(creds.basicAuth)) ||
    (kinds.includes("token") &&
      creds.token !== undefined &&
      nonEmpty(creds.token.header) &&
      nonEmpty(creds.token.value))
  if (!usable) {
    return refuse(
      source,
      "MissingCredentials",
      `no credentials are configured for source "${source}" (${describeKinds(source, kinds)})`
    )
  }
  if (signature !== undefined && nonEmpty(creds.secret)) {
    const result = signature(creds.secret)
    if (Either.isLeft(result)) return result
  }
  if (nonEmpty(creds.basicAuth)) {
    const result = checkBasicAuth(source, req, creds.basicAuth)
    if (Either.isLeft(result)) return result
  }
  if (creds.token !== undefined && nonEmpty(creds.token.header) && nonEmpty(creds.token.value)) {
    const result = checkToken(source, req, creds.token)
    if (Either.isLeft(result)) return result
  }
  return ok
}

const nonEmpty = (value: string | undefined): value is string => value !== undefined && value !== ""

/** "set WEBHOOK_SECRET_ZENDESK" — the variables that configure a source. */
export const describeKinds = (source: string, kinds: ReadonlyArray<CredentialKind>): string =>
  "set " +
  kinds
    .map((kind) =>
      kind === "secret"
        ? sourceVariable("WEBHOOK_SECRET", source)
        : kind === "basicAuth"
          ? sourceVariable("WEBHOOK_BASIC_AUTH", source)
          : sourceVariable("WEBHOOK_TOKEN", source)
    )
    .join(" or ")

/** sha256 hex of the raw body: the dedupe key of sources that send no event id. */
export const bodyHash = (rawBody: Buffer): string => `sha256:${createHash("sha256").update(rawBody).digest("hex")}`
