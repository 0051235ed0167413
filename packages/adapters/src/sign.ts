/**
 * Produce the headers a helpdesk would send with `rawBody`, so synthetic deliveries (load generators, demos, tests)
 * pass `verify`. Pure: the caller passes the clock.
 */
import { genericSignature } from "./Generic.js"
import { hmac } from "./internal/auth.js"
import type { SourceCredentials } from "./Adapter.js"
import { zendeskSignature } from "./Zendesk.js"

/** Lower-case header names and values for a delivery of `rawBody` from `source`, signed with `creds`. */
export const sign = (
  source: string,
  rawBody: Buffer | string,
  creds: SourceCredentials,
  now: Date,
  options?: { readonly signatureHeader?: string }
): Record<string, string> => {
  const body = typeof rawBody === "string" ? Buffer.from(rawBody, "utf8") : rawBody
  const headers: Record<string, string> = { "content-type": "application/json" }
  if (creds.secret !== undefined && creds.secret !== "") {
    switch (source) {
      case "zendesk": {
        const timestamp = now.toISOString().replace(/\.\d{3}Z$/, "Z")
        headers["x-zendesk-webhook-signature-timestamp"] = timestamp
        headers["x-zendesk-webhook-signature"] = zendeskSignature(creds.secret, timestamp, body)
        break
      }
      case "jira":
        headers["x-hub-signature"] = `sha256=${hmac("sha256", creds.secret, body).toString("hex")}`
        break
      case "github":
        headers["x-hub-signature-256"] = `sha256=${hmac("sha256", creds.secret, body).toString("hex")}`
        break
      case "servicenow":
      case "freshdesk":
        break
      default:
        headers[(options?.signatureHeader ?? "x-workbridge-signature").toLowerCase()] = genericSignature(
          creds.secret,
          body
        )
    }
  }
  if (creds.basicAuth !== undefined && creds.basicAuth !== "") {
    headers["authorization"] = `Basic ${Buffer.from(creds.basicAuth, "utf8").toString("base64")}`
  }
  if (creds.token !== undefined) headers[creds.token.header.toLowerCase()] = creds.token.value
  return headers
}
