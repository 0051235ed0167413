/**
 * Traces: one trace per event from the webhook request through the inbox to the apply and its Genesys calls (the
 * emulator, through the SDK), in-process with an in-memory span exporter and, across a kill -9 restart, from a
 * child process to an OTLP/HTTP receiver started here. Without an OTLP endpoint nothing of the SDK is loaded and
 * no trace context is stored.
 */
import * as fs from "node:fs"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { sign } from "@workbridge/adapters"
import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace-base"
import Database from "better-sqlite3"
import { Effect, Layer, ManagedRuntime } from "effect"
import { afterAll, afterEach, describe, expect, it, vi } from "vitest"
import type { TicketBatch } from "../domain/records.js"
import { type ServiceProcess, spawnService, stopServices } from "../testing/child.js"
import {
  adminApi,
  baseEnv,
  genericBody,
  type Harness,
  revisionPrefix,
  startEmulatorAndProvision,
  startHarness,
  TEST_SECRET
} from "../testing/harness.js"
import { testEvent } from "../testing/events.js"
import type { TicketSyncStatus } from "../sync/TicketStatus.js"
import { SPAN_ATTRIBUTES, spanOfTraceparent, traceparentOf, withApplySpan } from "./Tracing.js"

/** How often the OpenTelemetry SDK module was loaded by this file's services. */
const sdkLoads = vi.hoisted(() => ({ count: 0 }))
vi.mock("./TracingSdk.js", async (importOriginal) => {
  sdkLoads.count++
  return await importOriginal()
})

const harnesses: Array<Harness> = []
const running: Array<ServiceProcess> = []
const dirs: Array<string> = []
afterEach(() => stopServices(running))
afterAll(async () => {
  for (const h of harnesses) await h.close()
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true })
})

const until = async <A>(what: string, f: () => A | undefined, timeoutMs = 20_000): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const a = f()
    if (a !== undefined) return a
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

const parentOf = (s: ReadableSpan): string | undefined => s.parentSpanContext?.spanId

describe("tracing off (no OTLP endpoint)", () => {
  it("loads no OpenTelemetry SDK and stores no trace context with the events", async () => {
    // A coalescing window longer than the test: the event stays in the inbox, where its row can be read.
    const h = await startHarness({ WORKBRIDGE_COALESCE_MS: "60000" })
    harnesses.push(h)
    const res = await h.post(genericBody({ ticketId: "OFF-1", rev: 1 }))
    expect(res.status).toBe(202)
    const db = new Database(path.join(h.dataDir, "workbridge.sqlite"), { readonly: true })
    const rows = db.prepare("SELECT trace_context FROM inbox WHERE ticket_id = ?").all("OFF-1") as Array<{
      trace_context: string | null
    }>
    db.close()
    expect(rows).toEqual([{ trace_context: null }])
    expect(sdkLoads.count).toBe(0)
  })
})

describe("tracing on (in-memory exporter)", () => {
  const exporter = new InMemorySpanExporter()
  let h: Harness

  const traceOf = (ticketId: string, revision: string) =>
    until(`the apply span of ${ticketId}`, () => {
      const spans = exporter.getFinishedSpans()
      const apply = spans.find(
        (s) =>
          s.name === "Engine.apply" &&
          s.attributes[SPAN_ATTRIBUTES.ticketId] === ticketId &&
          s.attributes[SPAN_ATTRIBUTES.revision] === revision
      )
      if (apply === undefined) return undefined
      return { apply, trace: spans.filter((s) => s.spanContext().traceId === apply.spanContext().traceId) }
    })

  it("gives each event one trace: webhook request → Inbox.accept → Engine.apply → Genesys calls through the SDK", async () => {
    h = await startHarness(
      { OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:9", WORKBRIDGE_COALESCE_MS: "0" },
      {},
      undefined,
      { traceExporter: exporter }
    )
    harnesses.push(h)
    expect(sdkLoads.count).toBe(1)
    expect((await h.post(genericBody({ ticketId: "TR-1", rev: 1 }))).status).toBe(202)
    const s = await h.waitFor(
      "TR-1",
      (x) => x.pendingEvents === 0 && (x.appliedRevision ?? "").startsWith(revisionPrefix(1))
    )

    const { apply, trace } = await traceOf("TR-1", s.appliedRevision!)
    const request = trace.find((x) => x.name === "POST /webhooks/:source")!
    const accept = trace.find((x) => x.name === "Inbox.accept")!
    expect(parentOf(request)).toBeUndefined()
    expect(request.attributes).toMatchObject({
      [SPAN_ATTRIBUTES.source]: "generic",
      [SPAN_ATTRIBUTES.ticketId]: "TR-1",
      [SPAN_ATTRIBUTES.revision]: s.appliedRevision,
      [SPAN_ATTRIBUTES.outcome]: "accepted",
      "http.response.status_code": 202
    })
    expect(parentOf(accept)).toBe(request.spanContext().spanId)
    expect(parentOf(apply)).toBe(accept.spanContext().spanId)
    expect(apply.links.map((l) => l.context.spanId)).toEqual([accept.spanContext().spanId])
    expect(apply.attributes).toMatchObject({
      [SPAN_ATTRIBUTES.source]: "generic",
      [SPAN_ATTRIBUTES.ticketId]: "TR-1",
      [SPAN_ATTRIBUTES.revision]: s.appliedRevision,
      [SPAN_ATTRIBUTES.outcome]: "Applied",
      [SPAN_ATTRIBUTES.events]: 1
    })
    const calls = trace.filter((x) => x.name.startsWith("Genesys."))
    expect(calls.map((x) => x.name)).toContain("Genesys.createWorkitem")
    for (const c of calls) expect(parentOf(c)).toBe(apply.spanContext().spanId)
    // The workitem the create made is the one the ticket links to.
    expect((await h.workitemsOf("TR-1")).map((w) => w.id)).toEqual([s.workitemId])
  })

  it("gives the next event of the ticket its own trace, ending in its PATCH", async () => {
    expect((await h.post(genericBody({ ticketId: "TR-1", rev: 2, fields: { subject: "changed" } }))).status).toBe(202)
    const s = await h.waitFor(
      "TR-1",
      (x) => x.pendingEvents === 0 && (x.appliedRevision ?? "").startsWith(revisionPrefix(2))
    )
    const { apply, trace } = await traceOf("TR-1", s.appliedRevision!)
    const accept = trace.find((x) => x.name === "Inbox.accept")!
    expect(parentOf(apply)).toBe(accept.spanContext().spanId)
    expect(trace.filter((x) => x.name === "Genesys.updateWorkitem").map(parentOf)).toEqual([apply.spanContext().spanId])
    expect(trace.some((x) => x.name === "Genesys.createWorkitem")).toBe(false)
  })
})

describe("the apply span of coalesced events", () => {
  const exporter = new InMemorySpanExporter()
  const runtime = ManagedRuntime.make(
    Layer.unwrapEffect(
      Effect.promise(async () =>
        (await import("./TracingSdk.js")).layer(
          { tracesUrl: "http://127.0.0.1:9/v1/traces", headers: {}, serviceName: "test" },
          exporter
        )
      )
    )
  )
  afterAll(() => runtime.dispose())

  /** Accept spans (roots) and the batch of their events, with the traceparents the inbox would hand back. */
  const batchOf = async (withContext: ReadonlyArray<boolean>) => {
    const spans = await runtime.runPromise(
      Effect.forEach(withContext, () =>
        Effect.withSpan(Effect.map(Effect.currentSpan, traceparentOf), "Inbox.accept", { root: true }).pipe(
          Effect.orDie
        )
      )
    )
    const batch: TicketBatch = {
      key: { source: "generic", ticketId: "CO-1" },
      entries: spans.map((traceparent, i) => ({
        id: String(i),
        event: testEvent({ ticketId: "CO-1", rev: i + 1 }),
        acceptedAt: new Date().toISOString(),
        ...(withContext[i] === true ? { traceparent } : {})
      }))
    }
    return { batch, spanIds: spans.map((t) => t.split("-")[2]!), traceIds: spans.map((t) => t.split("-")[1]!) }
  }

  it("is parented on the newest event's context and linked to every event's context", async () => {
    const { batch, spanIds, traceIds } = await batchOf([true, true, true])
    await runtime.runPromise(withApplySpan(batch)(Effect.succeed({ result: { _tag: "Applied" } })))
    const apply = exporter
      .getFinishedSpans()
      .find((s) => s.name === "Engine.apply" && s.attributes[SPAN_ATTRIBUTES.ticketId] === "CO-1")!
    expect(apply.spanContext().traceId).toBe(traceIds[2])
    expect(parentOf(apply)).toBe(spanIds[2])
    expect(apply.links.map((l) => [l.context.traceId, l.context.spanId])).toEqual(
      traceIds.map((t, i) => [t, spanIds[i]])
    )
    expect(apply.attributes).toMatchObject({
      [SPAN_ATTRIBUTES.events]: 3,
      [SPAN_ATTRIBUTES.outcome]: "Applied",
      [SPAN_ATTRIBUTES.revision]: batch.entries[2]!.event.revision
    })
  })

  it("is a root span when the newest event has no stored context (accepted while tracing was off, a replay), still linked to the others", async () => {
    exporter.reset()
    const { batch, spanIds } = await batchOf([true, false])
    await runtime.runPromise(Effect.either(withApplySpan(batch)(Effect.fail("Genesys unavailable"))))
    const apply = exporter.getFinishedSpans().find((s) => s.name === "Engine.apply")!
    expect(parentOf(apply)).toBeUndefined()
    expect(apply.links.map((l) => l.context.spanId)).toEqual([spanIds[0]])
    // The events stay in the inbox: the outcome says so.
    expect(apply.attributes[SPAN_ATTRIBUTES.outcome]).toBe("retry")
  })

  it("reads back only well-formed version-00 traceparents", () => {
    expect(spanOfTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")).toMatchObject({
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      spanId: "00f067aa0ba902b7",
      sampled: true
    })
    expect(spanOfTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")?.sampled).toBe(false)
    for (const bad of [
      "",
      "garbage",
      "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"
    ]) {
      expect(spanOfTraceparent(bad)).toBeUndefined()
    }
  })
})

interface ReceivedSpan {
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId: string
  readonly name: string
  readonly attributes: Readonly<Record<string, unknown>>
  readonly serviceName: unknown
}

type AnyValue = { stringValue?: string; intValue?: number | string; boolValue?: boolean; doubleValue?: number }
const anyValue = (v: AnyValue): unknown =>
  v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : (v.boolValue ?? v.doubleValue))
const attributesOf = (list: ReadonlyArray<{ key: string; value: AnyValue }> | undefined) =>
  Object.fromEntries((list ?? []).map((a) => [a.key, anyValue(a.value)]))

/** A small OTLP/HTTP (JSON) trace receiver. */
const startReceiver = async () => {
  const requests: Array<{ path: string; headers: http.IncomingHttpHeaders }> = []
  const spans: Array<ReceivedSpan> = []
  const server = http.createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => {
      requests.push({ path: req.url ?? "", headers: req.headers })
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
        resourceSpans?: Array<{
          resource?: { attributes?: Array<{ key: string; value: AnyValue }> }
          scopeSpans?: Array<{
            spans?: Array<{
              traceId: string
              spanId: string
              parentSpanId?: string
              name: string
              attributes?: Array<{ key: string; value: AnyValue }>
            }>
          }>
        }>
      }
      for (const rs of body.resourceSpans ?? []) {
        const serviceName = attributesOf(rs.resource?.attributes)["service.name"]
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            spans.push({
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId ?? "",
              name: s.name,
              attributes: attributesOf(s.attributes),
              serviceName
            })
          }
        }
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}")
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    spans,
    close: () => new Promise<void>((r) => server.close(() => r()))
  }
}

describe("traces across a kill -9 restart (child processes, OTLP/HTTP receiver)", () => {
  it("the restarted service continues the event's trace from the context stored in the inbox", async () => {
    const { emulator, provisioned } = await startEmulatorAndProvision()
    const receiver = await startReceiver()
    const secret = "otlp-secret-7f3a9c"
    try {
      const admin = await adminApi(emulator)
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "wb-trace-"))
      dirs.push(dataDir)
      const env = (coalesceMs: string) => ({
        ...baseEnv(emulator, provisioned, dataDir),
        LOG_LEVEL: "info",
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_HEADERS: `authorization=Bearer%20${secret}`,
        OTEL_SERVICE_NAME: "workbridge-crash-test",
        OTEL_BSP_SCHEDULE_DELAY: "50",
        WORKBRIDGE_COALESCE_MS: coalesceMs
      })
      // The first process accepts the event but holds it (a coalescing window longer than the test) until killed.
      const first = spawnService(env("60000"))
      running.push(first)
      const url1 = await first.ready
      const raw = Buffer.from(JSON.stringify(genericBody({ ticketId: "CT-1", rev: 1 })))
      const res = await fetch(`${url1}/webhooks/generic`, {
        method: "POST",
        headers: sign("generic", raw, { secret: TEST_SECRET }, new Date()),
        body: raw
      })
      expect(res.status).toBe(202)
      const accept = await until("the accept span from the first process", () =>
        receiver.spans.find((s) => s.name === "Inbox.accept" && s.attributes[SPAN_ATTRIBUTES.ticketId] === "CT-1")
      )
      first.child.kill("SIGKILL")
      expect((await first.exited).signal).toBe("SIGKILL")
      const request = receiver.spans.find((s) => s.name === "POST /webhooks/:source" && s.traceId === accept.traceId)
      expect(request?.spanId).toBe(accept.parentSpanId)
      expect(receiver.spans.some((s) => s.name === "Engine.apply")).toBe(false)

      const second = spawnService(env("0"))
      running.push(second)
      const url2 = await second.ready
      let applied: TicketSyncStatus | undefined
      const deadline = Date.now() + 30_000
      while (Date.now() < deadline) {
        const r = await fetch(`${url2}/tickets/generic/CT-1`)
        applied = r.status === 200 ? ((await r.json()) as TicketSyncStatus) : undefined
        if (applied?.pendingEvents === 0 && applied.workitemId !== undefined) break
        await new Promise((r) => setTimeout(r, 100))
      }
      expect(applied?.workitemId).toMatch(/.+/)
      const apply = await until("the apply span from the restarted process", () =>
        receiver.spans.find((s) => s.name === "Engine.apply" && s.attributes[SPAN_ATTRIBUTES.ticketId] === "CT-1")
      )
      expect(apply.traceId).toBe(accept.traceId)
      expect(apply.parentSpanId).toBe(accept.spanId)
      expect(apply.attributes[SPAN_ATTRIBUTES.outcome]).toBe("Applied")
      const create = await until("the create span", () =>
        receiver.spans.find((s) => s.name === "Genesys.createWorkitem" && s.traceId === accept.traceId)
      )
      expect(create.parentSpanId).toBe(apply.spanId)
      const found = (await admin.postTaskmanagementWorkitemsQuery({
        filters: [
          { name: "typeId", type: "String", operator: "EQ", values: [provisioned.worktypeId] },
          { name: "customFields.ticket_id_identifier", type: "String", operator: "EQ", values: ["CT-1"] }
        ]
      } as never)) as unknown as { body: { entities?: Array<{ id: string }> } }
      expect((found.body.entities ?? []).map((w) => w.id)).toEqual([applied!.workitemId])

      // Exported as configured: the traces path, the headers, the service name; the header's secret is never logged.
      expect(new Set(receiver.requests.map((r) => r.path))).toEqual(new Set(["/v1/traces"]))
      expect(receiver.requests.every((r) => r.headers["authorization"] === `Bearer ${secret}`)).toBe(true)
      expect(new Set([accept.serviceName, apply.serviceName])).toEqual(new Set(["workbridge-crash-test"]))
      expect(first.output()).toContain("exporting traces")
      expect(first.output() + second.output()).not.toContain(secret)
    } finally {
      await stopServices(running)
      await receiver.close()
      await emulator.close()
    }
  })
})
