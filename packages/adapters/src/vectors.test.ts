/** Every signature vector shipped in fixtures/signature-vectors.json, checked against the adapter of its vendor. */
import { Either } from "effect"
import { describe, expect, it } from "vitest"
import type { WebhookRequest } from "./Adapter.js"
import { adapterFor } from "./adapters.js"
import { loadSignatureVectors } from "./fixtures.js"
import { flipByte, withoutHeader } from "./internal/testkit.js"

const vectors = loadSignatureVectors()

/** What each vector must do under Workbridge's implementation, and why. */
const expected = (v: (typeof vectors)[number]): "verifies" | "refused" | "unsigned-source" => {
  if (v.vendor === "servicenow" || v.vendor === "freshdesk") return "unsigned-source"
  if (v.vendor === "zendesk") return v.signed_string === "timestamp + body" ? "verifies" : "refused" // current scheme only
  if (v.id === "github-doc-example-sha1-legacy") return "refused" // the legacy sha1 header is not accepted
  return "verifies"
}

const signatureHeader: Record<string, string> = {
  zendesk: "x-zendesk-webhook-signature",
  jira: "x-hub-signature",
  github: "x-hub-signature-256"
}

const requestOf = (v: (typeof vectors)[number]): WebhookRequest => {
  const headers: Record<string, string> = {}
  const legacy = v.id === "github-doc-example-sha1-legacy"
  headers[legacy ? "x-hub-signature" : (signatureHeader[v.vendor] ?? "x-signature")] = v.expected_signature ?? ""
  if (v.timestamp !== null) headers["x-zendesk-webhook-signature-timestamp"] = v.timestamp
  return {
    headers,
    rawBody: Buffer.from(v.body ?? "", "utf8"),
    receivedAt: v.timestamp === null ? new Date() : new Date(v.timestamp)
  }
}

describe("signature vectors", () => {
  it("covers every vendor-published vector", () => {
    expect(vectors.filter((v) => v.vendor_published === true).map((v) => v.id)).toEqual([
      "zendesk-doc-example-legacy",
      "jira-doc-example",
      "github-doc-example"
    ])
  })

  it.each(vectors.map((v) => [v.id, v] as const))("%s", (_id, v) => {
    const adapter = adapterFor(v.vendor)
    if (adapter === undefined) throw new Error(v.vendor)
    const outcome = expected(v)
    if (outcome === "unsigned-source") {
      expect(adapter.credentialKinds).not.toContain("secret")
      return
    }
    const creds = { secret: v.secret ?? "" }
    const req = requestOf(v)
    const result = adapter.verify(req, creds)
    if (outcome === "refused") {
      expect(Either.isLeft(result)).toBe(true)
      return
    }
    expect(Either.isRight(result)).toBe(true)
    expect(Either.isLeft(adapter.verify(flipByte(req, 0), creds))).toBe(true)
    expect(Either.isLeft(adapter.verify(req, { secret: `${creds.secret}x` }))).toBe(true)
    expect(Either.isLeft(adapter.verify(withoutHeader(req, signatureHeader[v.vendor] ?? ""), creds))).toBe(true)
    if (v.timestamp !== null) {
      const stale = adapter.verify({ ...req, receivedAt: new Date(Date.parse(v.timestamp) + 301_000) }, creds)
      expect(Either.isLeft(stale) && stale.left.reason).toBe("StaleTimestamp")
    }
  })
})
