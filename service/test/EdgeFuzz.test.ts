/**
 * A bounded fuzz run of the HTTP edge: malformed paths, hostile headers, content encodings, deep nesting and
 * sizes around the limits, signed and unsigned, in thousands of requests over a real listener. Every answer is
 * 2xx or 4xx (a 503 only for the inbox's own backpressure, which this inbox is too large to reach), the metric
 * series stay within the configured sources and a `unknown` bucket, and the heap grows by less than 64 MB.
 */
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as v8 from "node:v8"
import * as vm from "node:vm"
import { gzipSync } from "node:zlib"
import { adapters, sign } from "@workbridge/adapters"
import { defaultCatalog } from "@workbridge/catalog"
import { Effect, ManagedRuntime } from "effect"
import fc from "fast-check"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeApp } from "../src/http/index.js"
import type { EngineService } from "../src/sync/index.js"
import { Inbox, type InboxService } from "../src/inbox/Inbox.js"
import { LinkStore, type LinkStoreService } from "../src/links/LinkStore.js"
import { makeLogger } from "../src/observability/Log.js"
import { ServiceMetrics } from "../src/observability/Metrics.js"
import { createListener } from "../src/Service.js"
import { makeDataActions } from "../src/dataActions/index.js"
import { SqliteStoresLive } from "../src/store/SqliteStores.js"

const SECRET = "fuzz-secret"
const TOKEN = "wb-token-0123456789abcdef"
/** Property runs; each sends a batch of up to 12 requests at once (about 2,000-2,600 requests in all). */
const RUNS = 220
/** The stated bound on heap growth over the whole run (after a full GC at both ends). */
const HEAP_GROWTH_BOUND = 64 * 1024 * 1024

v8.setFlagsFromString("--expose-gc")
const gc = vm.runInNewContext("gc") as () => void

let runtime: ManagedRuntime.ManagedRuntime<Inbox | LinkStore, unknown>
let inbox: InboxService
let links: LinkStoreService
let server: http.Server
let port = 0
const metrics = new ServiceMetrics()
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 })

beforeAll(async () => {
  runtime = ManagedRuntime.make(SqliteStoresLive(":memory:", { hardLimit: 1_000_000 }))
  ;({ inbox, links } = await runtime.runPromise(Effect.all({ inbox: Inbox, links: LinkStore })))
  const engine: EngineService = {
    process: () => Effect.die("not used"),
    run: () => Effect.never,
    ticketStatus: (key) =>
      Effect.map(inbox.pendingFor(key), (p) => ({ source: key.source, ticketId: key.ticketId, pendingEvents: p.count }))
  }
  const app = makeApp({
    catalog: defaultCatalog,
    sources: { ...adapters },
    credentials: { generic: { secret: SECRET }, zendesk: { secret: SECRET }, jira: { secret: SECRET } },
    inbox,
    links,
    engine,
    metrics,
    log: makeLogger("silent"),
    genesysReady: async () => undefined,
    refreshGauges: async () => undefined,
    inboxRetryAfterSeconds: 5,
    dataActions: makeDataActions({
      catalog: defaultCatalog,
      auth: { bearerToken: TOKEN },
      ticketStatus: async () => undefined
    })
  })
  server = createListener(app, undefined)
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r))
  port = (server.address() as AddressInfo).port
})
afterAll(async () => {
  agent.destroy()
  await new Promise<void>((r) => server.close(() => r()))
  await runtime.dispose()
})

interface Req {
  readonly method: string
  readonly path: string
  readonly headers: Record<string, string>
  readonly body: Buffer
}

const send = (req: Req): Promise<number> =>
  new Promise((resolve, reject) => {
    const r = http.request(
      {
        host: "127.0.0.1",
        port,
        method: req.method,
        path: req.path,
        headers: { ...req.headers, "content-length": String(req.body.length) },
        agent
      },
      (res) => {
        res.resume()
        res.on("end", () => resolve(res.statusCode ?? 0))
      }
    )
    r.on("error", reject)
    r.end(req.body)
  })

// --- generators -------------------------------------------------------------------------------------------------
const printable = fc.string({ unit: fc.constantFrom(..."abcXYZ019-_.~!$&'()*+,;=:@%/?#[]".split("")), maxLength: 40 })
const pctByte = fc.integer({ min: 0, max: 255 }).map((b) => `%${b.toString(16).padStart(2, "0")}`)
const segment = fc.oneof(
  fc.constantFrom(
    "generic",
    "zendesk",
    "jira",
    "github",
    "servicenow",
    "freshdesk",
    "nosuch",
    "",
    "..",
    "%ff",
    "%",
    "%zz",
    "%c0%af"
  ),
  printable,
  fc.array(pctByte, { maxLength: 20 }).map((a) => a.join("")),
  fc.integer({ min: 1, max: 8000 }).map((n) => "a".repeat(n))
)
const path = fc.oneof(
  segment.map((s) => `/webhooks/${s}`),
  fc.tuple(segment, segment).map(([a, b]) => `/webhooks/${a}/${b}`),
  segment.map((s) => `/data-actions/${s}`),
  fc.constantFrom(
    "/data-actions/normalize-ticket",
    "/data-actions/ticket-status",
    "/healthz",
    "/readyz",
    "/metrics",
    "/dead-letters",
    "/nope"
  ),
  fc.tuple(segment, segment).map(([a, b]) => `/tickets/${a}/${b}`),
  segment.map((s) => `/${s}`)
)
const nested = fc
  .integer({ min: 1, max: 20_000 })
  .map((d) => `{"ticket_id":"N","revision":1,"fields":{"subject":${"[".repeat(d)}${"]".repeat(d)}}}`)
const jsonish = fc.oneof(
  fc.json({ maxDepth: 6 }),
  nested,
  fc
    .oneof(fc.integer({ min: 0, max: 4096 }), fc.constantFrom(500 * 1024 - 100, 500 * 1024 + 1, 600 * 1024))
    .map((n) => JSON.stringify({ ticket_id: "S", revision: 1, fields: { description: "x".repeat(n) } })),
  fc
    .record({
      ticket_id: fc.oneof(fc.string({ maxLength: 300 }), fc.integer()),
      revision: fc.oneof(
        fc.integer({ min: -5, max: Number.MAX_SAFE_INTEGER }),
        fc.string({ maxLength: 40 }),
        fc.constant("2025-01-01T00:00:00Z")
      ),
      event_id: fc.option(fc.string({ maxLength: 400 }), { nil: undefined }),
      fields: fc.dictionary(
        fc.constantFrom("subject", "status", "priority", "tags", "due_at", "ticket_id", "x"),
        fc.jsonValue({ maxDepth: 3 })
      )
    })
    .map((o) => JSON.stringify(o))
)
const rawBody = fc.oneof(
  jsonish.map((s) => Buffer.from(s)),
  fc.uint8Array({ maxLength: 2048 }).map((a) => Buffer.from(a))
)
const headerValue = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 200
})
const encoding = fc.option(fc.constantFrom("gzip", "deflate", "br", "identity", "x-bogus", "gzip, gzip", ""), {
  nil: undefined
})

const hostile: fc.Arbitrary<Req> = fc
  .record({
    method: fc.constantFrom("POST", "POST", "POST", "GET", "PUT", "DELETE"),
    path,
    body: rawBody,
    contentType: fc.option(
      fc.constantFrom(
        "application/json",
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/json; charset=latin1",
        "application/json; charset=utf-7"
      ),
      { nil: undefined }
    ),
    encoding,
    compress: fc.boolean(),
    sign: fc.constantFrom("none", "generic", "garbage"),
    extra: fc.dictionary(
      fc.constantFrom(
        "x-workbridge-signature",
        "x-zendesk-webhook-signature",
        "x-zendesk-webhook-signature-timestamp",
        "x-hub-signature",
        "authorization",
        "x-atlassian-webhook-identifier",
        "x-zendesk-webhook-invocation-id"
      ),
      headerValue,
      { maxKeys: 3 }
    )
  })
  .map((r): Req => {
    const headers: Record<string, string> = { ...r.extra }
    if (r.contentType !== undefined) headers["content-type"] = r.contentType
    let body = r.body
    if (r.sign === "generic") Object.assign(headers, sign("generic", body, { secret: SECRET }, new Date()))
    if (r.sign === "garbage") headers["x-workbridge-signature"] = "sha256=00"
    if (r.path.startsWith("/data-actions")) headers["authorization"] = `Bearer ${TOKEN}`
    if (r.encoding !== undefined) {
      headers["content-encoding"] = r.encoding
      if (r.compress && r.encoding === "gzip") body = gzipSync(body)
    }
    const summary = `${r.method} ${r.path.slice(0, 120)} ${JSON.stringify(headers).slice(0, 300)} body ${body.length} bytes: ${body.subarray(0, 80).toString("latin1")}`
    return { method: r.method, path: r.path, headers, body, [fc.toStringMethod]: () => summary } as Req
  })

/** Well-formed, signed generic deliveries with hostile values (ids and keys around their limits, odd fields). */
const signedGeneric: fc.Arbitrary<Req> = fc
  .record({
    ticketId: fc.oneof(fc.stringMatching(/^[A-Za-z0-9-]{1,20}$/), fc.string({ minLength: 90, maxLength: 120 })),
    rev: fc.integer({ min: 0, max: 2 ** 40 }),
    eventId: fc.option(fc.string({ minLength: 1, maxLength: 300 }), { nil: undefined }),
    fields: fc.dictionary(
      fc.constantFrom("subject", "status", "priority", "tags", "due_at", "requester", "nope"),
      fc.jsonValue({ maxDepth: 3 }),
      { maxKeys: 5 }
    )
  })
  .map((t): Req => {
    const body = Buffer.from(
      JSON.stringify({ ticket_id: t.ticketId, revision: t.rev, event_id: t.eventId, fields: t.fields })
    )
    const headers = { "content-type": "application/json", ...sign("generic", body, { secret: SECRET }, new Date()) }
    const summary = `signed generic ${body.subarray(0, 200).toString("utf8")}`
    return { method: "POST", path: "/webhooks/generic", headers, body, [fc.toStringMethod]: () => summary } as Req
  })

const request: fc.Arbitrary<Req> = fc.oneof({ arbitrary: hostile, weight: 4 }, { arbitrary: signedGeneric, weight: 1 })

describe("edge fuzz", () => {
  it("thousands of hostile requests: only 2xx/4xx, bounded metric series, bounded heap", {
    timeout: 120_000
  }, async () => {
    gc()
    const heapBefore = process.memoryUsage().heapUsed
    const statuses = new Map<number, number>()
    await fc.assert(
      fc.asyncProperty(fc.array(request, { minLength: 8, maxLength: 12 }), async (reqs) => {
        const answers = await Promise.all(reqs.map(send))
        for (const status of answers) statuses.set(status, (statuses.get(status) ?? 0) + 1)
        return answers.every((status) => status >= 200 && status < 500)
      }),
      { numRuns: RUNS, seed: 20_2026, endOnFailure: true }
    )
    gc()
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore
    const series = (await metrics.registry.getMetricsAsJSON()).flatMap((m) =>
      m.values.map((v) => ({ name: m.name, labels: v.labels }))
    )
    const sources = new Set(
      series.filter((s) => s.name === "workbridge_webhooks_total").map((s) => String(s.labels["source"]))
    )
    for (const s of sources)
      expect(["generic", "zendesk", "jira", "github", "servicenow", "freshdesk", "unknown"]).toContain(s)
    // every label value comes from a closed set: the series cannot grow with the input
    expect(series.length).toBeLessThan(200)
    expect(heapGrowth).toBeLessThan(HEAP_GROWTH_BOUND)
    // the run did reach past the refusals
    expect(statuses.get(202) ?? 0).toBeGreaterThan(0)
    expect([...statuses.keys()].every((s) => s < 500)).toBe(true)
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(2000)
  })
})
