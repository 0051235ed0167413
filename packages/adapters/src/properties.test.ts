/**
 * Property tests: whatever JSON (or non-JSON) arrives, decode and verify never throw; decode either yields a well-formed
 * event, an Ignored with a reason, or a DecodeError with a reason and an edge status.
 */
import { defaultCatalog } from "@workbridge/catalog"
import { Either } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import type { Adapter, WebhookRequest } from "./Adapter.js"
import { adapters } from "./adapters.js"
import { fixtureNames, loadFixture } from "./fixtures.js"

const RUNS = 10_000
const KINDS = new Set(["created", "updated", "closed", "reopened"])
const CATALOG_KEYS = new Set(defaultCatalog.fields.map((f) => f.key))

type Path = ReadonlyArray<string | number>

const pathsOf = (value: unknown, prefix: Path = [], out: Array<Path> = []): Array<Path> => {
  out.push(prefix)
  if (Array.isArray(value)) value.forEach((v, i) => pathsOf(v, [...prefix, i], out))
  else if (typeof value === "object" && value !== null)
    for (const [k, v] of Object.entries(value)) pathsOf(v, [...prefix, k], out)
  return out
}

const setAt = (root: unknown, path: Path, value: unknown): unknown => {
  if (path.length === 0) return value
  const [head, ...rest] = path
  const container: any = Array.isArray(root) ? [...root] : typeof root === "object" && root !== null ? { ...root } : {}
  container[head as any] = setAt(container[head as any], rest, value)
  return container
}

/** Vendor bodies with up to five positions replaced by arbitrary JSON, arbitrary JSON, and arbitrary text. */
const bodies = (vendor: string): fc.Arbitrary<string> => {
  const seeds = fixtureNames({ synthetic: true })
    .map((n) => loadFixture(n))
    .filter((f) => f.vendor === vendor)
    .map((f) => f.body)
  const generic = [
    {
      ticket_id: "1",
      revision: 3,
      occurred_at: "2025-01-01T00:00:00Z",
      event_id: "e",
      kind: "updated",
      fields: { subject: "s", status: "open" }
    }
  ]
  const pool: ReadonlyArray<unknown> = seeds.length > 0 ? seeds : generic
  const mutated = fc
    .constantFrom(...pool)
    .chain((seed) =>
      fc
        .array(fc.tuple(fc.constantFrom(...pathsOf(seed)), fc.jsonValue({ maxDepth: 2 })), { maxLength: 5 })
        .map((edits) => JSON.stringify(edits.reduce<unknown>((acc, [path, value]) => setAt(acc, path, value), seed)))
    )
  return fc.oneof(
    { arbitrary: mutated, weight: 6 },
    { arbitrary: fc.json(), weight: 3 },
    { arbitrary: fc.string(), weight: 1 }
  )
}

const headers = fc.dictionary(
  fc.constantFrom(
    "x-github-event",
    "x-zendesk-webhook-invocation-id",
    "x-atlassian-webhook-identifier",
    "x-github-delivery",
    "authorization",
    "x-hub-signature"
  ),
  fc.oneof(fc.constant("issues"), fc.string({ maxLength: 40 }))
)

const checkDecode = (adapter: Adapter, req: WebhookRequest): void => {
  const result = adapter.decode(req, defaultCatalog)
  if (Either.isLeft(result)) {
    expect(result.left._tag).toBe("DecodeError")
    expect(result.left.reason.length).toBeGreaterThan(0)
    expect([200, 400, 422]).toContain(result.left.status)
    return
  }
  const decoded = result.right
  if (decoded._tag === "Ignored") {
    expect(decoded.reason.length).toBeGreaterThan(0)
    return
  }
  const e = decoded.event
  expect(e.source).toBe(adapter.name)
  expect(e.ticketId.length).toBeGreaterThan(0)
  expect(e.revision).toMatch(/^\d{16}(:|$)/)
  expect(KINDS.has(e.kind)).toBe(true)
  expect(new Date(e.occurredAt).toISOString()).toBe(e.occurredAt)
  expect(e.deliveryKey.length).toBeGreaterThan(0)
  for (const key of Object.keys(e.fields)) expect(CATALOG_KEYS.has(key)).toBe(true)
  expect(e.fields["external_key"]).toBe(`${adapter.name}:${e.ticketId}`)
}

/** Runs in chunks, yielding to the event loop in between so the test worker stays responsive. */
const CHUNK = 1_000

describe.each(Object.values(adapters))("$name under arbitrary input", (adapter) => {
  it(`decodes or refuses ${RUNS} arbitrary bodies without throwing`, { timeout: 180_000 }, async () => {
    const property = fc.property(bodies(adapter.name), headers, (body, hs) => {
      checkDecode(adapter, {
        headers: hs,
        rawBody: Buffer.from(body, "utf8"),
        receivedAt: new Date("2025-01-01T00:00:00Z")
      })
    })
    const seed = Date.now() ^ adapter.name.length
    for (let done = 0; done < RUNS; done += CHUNK) {
      fc.assert(property, { numRuns: CHUNK, seed: seed + done })
      await new Promise((resolve) => setImmediate(resolve))
    }
  })

  it("verify never throws and refuses unsigned arbitrary requests", () => {
    fc.assert(
      fc.property(fc.string(), headers, (body, hs) => {
        const req = { headers: hs, rawBody: Buffer.from(body, "utf8"), receivedAt: new Date() }
        const result = adapter.verify(req, {
          secret: "s3cret",
          basicAuth: "u:p",
          token: { header: "x-token", value: "t" }
        })
        expect(Either.isLeft(result)).toBe(true)
      }),
      { numRuns: 1_000 }
    )
  })
})
