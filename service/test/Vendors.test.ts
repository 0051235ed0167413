/**
 * End to end, per helpdesk: each vendor's created → updated → resolved deliveries (the adapters' fixtures, raw bytes
 * and headers as the vendor sends them) go through the service's webhook edge into the emulator, and the result is
 * read back through the official SDK: one workitem per ticket, at the final delivery's normalized values.
 *
 * Expected values are never typed in: they are computed from the fixtures with the adapter's `decode`, the catalog's
 * `normalizeTicket` and `toWorkitemCreate` (the same derivation the service uses), so a fixture or mapping change
 * moves the expectation with it.
 *
 * Two runs, each on its own emulator and service:
 * - in order: each delivery is posted and applied before the next one, then every delivery is posted again
 *   (redelivery → `duplicate`, the workitem is untouched);
 * - out of order: the final delivery first, then the older ones (stale → superseded, never written), then every
 *   delivery again.
 */
import * as fs from "node:fs"
import { type Adapter, adapterFor, sign, type SourceCredentials, type WebhookRequest } from "@workbridge/adapters"
import { fixtureCredentials, fixtureRequest, loadFixture, SEQUENCES } from "@workbridge/adapters/fixtures"
import {
  customFieldKey,
  defaultCatalog,
  type NormalizedValue,
  normalizeTicket,
  type TicketEvent,
  toWorkitemCreate
} from "@workbridge/catalog"
import { call, login, type SdkSession } from "@workbridge/genesys-emulator/testing"
import { Effect, Either } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { secretVariableFor } from "../src/config/Config.js"
import { type Harness, startHarness, TEST_SECRET } from "../src/testing/harness.js"
import type { TicketSyncStatus } from "../src/sync/TicketStatus.js"

type Source = keyof typeof SEQUENCES | "generic"

interface Delivery {
  /** Fixture (or sample) name, for messages. */
  readonly name: string
  readonly raw: Buffer
  /** The headers to send, computed at send time (Zendesk signs a timestamp, see `zendeskHeaders`). */
  readonly headers: () => Record<string, string>
  /** What the adapter makes of the delivery: the expectation's source. */
  readonly event: TicketEvent
}

interface VendorCase {
  readonly source: Source
  readonly deliveries: readonly [Delivery, Delivery, Delivery]
  readonly credentials: SourceCredentials
}

const decodeEvent = (adapter: Adapter, req: WebhookRequest, name: string): TicketEvent => {
  const decoded = adapter.decode(req, defaultCatalog)
  if (Either.isLeft(decoded))
    throw new Error(`${name}: the ${adapter.name} adapter refuses it: ${decoded.left.message}`)
  if (decoded.right._tag !== "Event")
    throw new Error(`${name}: the ${adapter.name} adapter ignores it: ${decoded.right.reason}`)
  return decoded.right.event
}

const ZENDESK_SIGNATURE_HEADERS = ["x-zendesk-webhook-signature", "x-zendesk-webhook-signature-timestamp"]

/**
 * The service checks a Zendesk signature's timestamp against the time it receives the delivery (default tolerance,
 * no option to widen it or to pass another clock), so the fixtures' 2025 timestamps are refused as stale (asserted
 * below). Zendesk deliveries therefore keep every fixture header and raw body byte, and only the signature and its
 * timestamp are recomputed with `sign()` and the fixture's test secret at the time of sending.
 */
const zendeskHeaders =
  (fixtureHeaders: Readonly<Record<string, string>>, raw: Buffer, creds: SourceCredentials) =>
  (): Record<string, string> => {
    const kept = Object.entries(fixtureHeaders).filter(([k]) => !ZENDESK_SIGNATURE_HEADERS.includes(k.toLowerCase()))
    const signed = sign("zendesk", raw, creds, new Date())
    return { ...Object.fromEntries(kept), ...Object.fromEntries(ZENDESK_SIGNATURE_HEADERS.map((k) => [k, signed[k]!])) }
  }

const vendorCase = (source: keyof typeof SEQUENCES): VendorCase => {
  const adapter = adapterFor(source)
  if (adapter === undefined) throw new Error(`no adapter named ${source}`)
  const fixtures = SEQUENCES[source].map((name) => loadFixture(name))
  const credentials = fixtureCredentials(fixtures[0]!)
  for (const f of fixtures) {
    if (JSON.stringify(fixtureCredentials(f)) !== JSON.stringify(credentials)) {
      throw new Error(`${f.name}: its credentials differ from those of ${fixtures[0]!.name}; one source has one set`)
    }
  }
  const deliveries = fixtures.map(
    (f): Delivery => ({
      name: f.name,
      raw: f.rawBody,
      headers: source === "zendesk" ? zendeskHeaders(f.headers, f.rawBody, credentials) : () => ({ ...f.headers }),
      event: decodeEvent(adapter, fixtureRequest(f), f.name)
    })
  )
  return { source, deliveries: deliveries as unknown as VendorCase["deliveries"], credentials }
}

/** The generic source's sequence: the samples `pnpm demo:send` posts, signed with the harness's generic secret. */
const genericCase = (): VendorCase => {
  const adapter = adapterFor("generic")!
  const credentials = { secret: TEST_SECRET }
  const deliveries = ["generic-ticket-created", "generic-ticket-updated", "generic-ticket-closed"].map(
    (name): Delivery => {
      const sample = JSON.parse(fs.readFileSync(new URL(`../samples/${name}.json`, import.meta.url), "utf8")) as {
        body: unknown
      }
      const raw = Buffer.from(JSON.stringify(sample.body), "utf8")
      const headers = () => sign("generic", raw, credentials, new Date())
      return {
        name,
        raw,
        headers,
        event: decodeEvent(adapter, { headers: headers(), rawBody: raw, receivedAt: new Date() }, name)
      }
    }
  )
  return { source: "generic", deliveries: deliveries as unknown as VendorCase["deliveries"], credentials }
}

const CASES: ReadonlyArray<VendorCase> = [
  vendorCase("zendesk"),
  vendorCase("servicenow"),
  vendorCase("jira"),
  vendorCase("freshdesk"),
  vendorCase("github"),
  genericCase()
]

/** Every vendor's fixture credentials as the service's env-style variables. */
const credentialEnv = (): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const c of CASES) {
    if (c.credentials.secret !== undefined) env[secretVariableFor(c.source, "secret")] = c.credentials.secret
    if (c.credentials.basicAuth !== undefined) env[secretVariableFor(c.source, "basicAuth")] = c.credentials.basicAuth
  }
  return env
}

const post = (h: Harness, c: VendorCase, d: Delivery) =>
  h.post(undefined, { source: c.source, raw: d.raw, headers: d.headers() })

/** Poll `GET /tickets/:source/:id` until the ticket has nothing pending and sits at `revision`. */
const drainedAt = async (
  h: Harness,
  c: VendorCase,
  revision: string,
  timeoutMs = 20_000
): Promise<TicketSyncStatus> => {
  const ticketId = c.deliveries[0].event.ticketId
  const deadline = Date.now() + timeoutMs
  let last: TicketSyncStatus | undefined
  while (Date.now() < deadline) {
    last = await h.status(ticketId, c.source)
    if (last !== undefined && last.pendingEvents === 0 && last.appliedRevision === revision) return last
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(
    `${c.source} ticket ${ticketId} did not drain at revision ${revision}; last status: ${JSON.stringify(last)}`
  )
}

interface Run {
  readonly h: Harness
  readonly sdk: SdkSession
}

const startRun = async (): Promise<Run> => {
  const h = await startHarness(credentialEnv())
  const sdk = await login(h.emulator.url, h.emulator.adminClientId, h.emulator.adminClientSecret)
  return { h, sdk }
}

/** The ticket's workitems, through the SDK: query by worktype and ticket identifier. */
const workitemsOf = async (run: Run, ticketId: string): Promise<ReadonlyArray<Record<string, unknown>>> => {
  const res = await call<{ entities?: Array<Record<string, unknown>> }>(
    run.sdk.tm.postTaskmanagementWorkitemsQuery({
      filters: [
        { name: "typeId", type: "String", operator: "EQ", values: [run.h.provisioned.worktypeId] },
        {
          name: `customFields.${customFieldKey({ key: "ticket_id", type: "identifier" })}`,
          type: "String",
          operator: "EQ",
          values: [ticketId]
        }
      ],
      pageSize: 200
    } as never)
  )
  expect(res.status, JSON.stringify(res.body)).toBe(200)
  return res.body.entities ?? []
}

const getWorkitem = async (run: Run, id: string): Promise<Record<string, unknown>> => {
  const res = await call<Record<string, unknown>>(run.sdk.tm.getTaskmanagementWorkitem(id))
  expect(res.status, JSON.stringify(res.body)).toBe(200)
  return res.body
}

const outcomeCounts = (run: Run) => Effect.runPromise(run.h.service.links.outcomeCounts)

const statusNameOf = (run: Run, id: unknown): string | undefined =>
  Object.entries(run.h.provisioned.statusIds).find(([, v]) => v === id)?.[0]

const idOf = (ref: unknown): unknown =>
  typeof ref === "object" && ref !== null ? (ref as { id?: unknown }).id : undefined

/** Datetimes compared as instants (the emulator may render them with or without milliseconds). */
const DATETIME_KEYS = new Set(defaultCatalog.fields.filter((f) => f.type === "datetime").map((f) => customFieldKey(f)))
const sameValue = (key: string, actual: unknown, expected: unknown): boolean =>
  DATETIME_KEYS.has(key) && typeof actual === "string" && typeof expected === "string"
    ? Date.parse(actual) === Date.parse(expected)
    : JSON.stringify(actual) === JSON.stringify(expected)

/**
 * What the workitem must hold after `event`: the adapter's fields normalized by the catalog, with the event's
 * revision, derived into a `WorkitemCreate` body against the provisioned worktype.
 */
const expectedWorkitem = (run: Run, event: TicketEvent) => {
  const normalized = normalizeTicket(defaultCatalog, event.fields)
  if (Either.isLeft(normalized))
    throw new Error(`${event.source} ${event.ticketId}: fixture does not normalize: ${normalized.left.message}`)
  const values: Record<string, NormalizedValue> = { ...normalized.right.values, source_revision: event.revision }
  const status = values["status"]
  const statusName = typeof status === "string" ? defaultCatalog.statusMapping[status] : undefined
  const body = toWorkitemCreate(
    defaultCatalog,
    { ...normalized.right, values },
    { typeId: run.h.provisioned.worktypeId, statusIds: run.h.provisioned.statusIds }
  )
  return { values, statusName, body }
}

/** The final-state assertions, all through the SDK and the status endpoint. */
const assertFinal = async (run: Run, c: VendorCase): Promise<Record<string, unknown>> => {
  const final = c.deliveries[2].event
  const ticketId = final.ticketId
  const status = await drainedAt(run.h, c, final.revision)
  expect(status.lastError).toBeUndefined()

  const items = await workitemsOf(run, ticketId)
  expect(items.map((w) => w["id"])).toEqual([status.workitemId])
  const w = await getWorkitem(run, status.workitemId!)
  const expected = expectedWorkitem(run, final)

  // the status: the resolved/closed status name the catalog maps the final ticket status to
  expect(expected.statusName).toBeDefined()
  expect(defaultCatalog.statuses.find((s) => s.name === expected.statusName)?.category).toBe("Closed")
  expect(statusNameOf(run, idOf(w["status"]) ?? w["statusId"])).toBe(expected.statusName)
  expect(expected.body.statusId).toBe(run.h.provisioned.statusIds[expected.statusName!])

  // workitem attributes: name from the subject, priority, description, due date
  expect(w["name"]).toBe(expected.body.name)
  expect(expected.body.name).toContain(String(expected.values["subject"]))
  expect(idOf(w["type"]) ?? w["typeId"]).toBe(run.h.provisioned.worktypeId)
  if (expected.body.priority !== undefined) expect(w["priority"]).toBe(expected.body.priority)
  if (expected.body.description !== undefined) expect(w["description"]).toBe(expected.body.description)
  if (expected.body.dateDue !== undefined)
    expect(Date.parse(String(w["dateDue"]))).toBe(Date.parse(expected.body.dateDue))

  // custom fields: exactly the final ticket's values (plus the time of the last write)
  const custom = (w["customFields"] ?? {}) as Record<string, unknown>
  const present = Object.fromEntries(Object.entries(custom).filter(([, v]) => v !== null && v !== undefined))
  const lastSynced = customFieldKey({ key: "last_synced", type: "datetime" })
  expect(
    Object.keys(present)
      .filter((k) => k !== lastSynced)
      .sort()
  ).toEqual(Object.keys(expected.body.customFields ?? {}).sort())
  for (const [key, value] of Object.entries(expected.body.customFields ?? {})) {
    expect(
      sameValue(key, present[key], value),
      `${key}: got ${JSON.stringify(present[key])}, want ${JSON.stringify(value)}`
    ).toBe(true)
  }
  expect(present[customFieldKey({ key: "source_revision", type: "text" })]).toBe(final.revision)
  expect(present[customFieldKey({ key: "source_system", type: "enum" })]).toBe(c.source)

  // the status endpoint shows the same workitem and the applied revision
  expect(status.workitemId).toBe(w["id"])
  expect(status.appliedRevision).toBe(final.revision)
  expect(status.source).toBe(c.source)
  expect(status.ticketId).toBe(ticketId)

  // nothing of this ticket went to the dead letters
  const dead = (await (await fetch(`${run.h.service.url}/dead-letters`)).json()) as {
    deadLetters: Array<{ source: string; ticketId: string }>
  }
  expect(dead.deadLetters.filter((d) => d.source === c.source && d.ticketId === ticketId)).toEqual([])
  return w
}

describe("each helpdesk's fixtures, end to end through the service and the emulator", () => {
  it("has a three-step sequence per vendor that ends closed, one ticket per sequence, in revision order", () => {
    expect(CASES.map((c) => c.source)).toEqual(["zendesk", "servicenow", "jira", "freshdesk", "github", "generic"])
    for (const c of CASES) {
      const [created, updated, resolved] = c.deliveries.map((d) => d.event)
      expect(created!.kind, c.source).toBe("created")
      expect(resolved!.kind, c.source).toBe("closed")
      expect(new Set([created!.ticketId, updated!.ticketId, resolved!.ticketId]).size, c.source).toBe(1)
      expect(created!.revision < updated!.revision && updated!.revision < resolved!.revision, c.source).toBe(true)
    }
  })

  describe("in order, each delivery applied before the next, then every delivery redelivered", () => {
    let run: Run
    beforeAll(async () => {
      run = await startRun()
    })
    afterAll(async () => {
      await run?.h.close()
    })

    it("refuses a Zendesk fixture sent with its original (past) signature timestamp", async () => {
      const c = CASES.find((x) => x.source === "zendesk")!
      const f = loadFixture(SEQUENCES.zendesk[0])
      const res = await run.h.post(undefined, { source: "zendesk", raw: f.rawBody, headers: { ...f.headers } })
      expect(res.status).toBe(401)
      expect(String(res.json["message"])).toMatch(/timestamp/i)
      expect(await run.h.status(c.deliveries[0].event.ticketId, "zendesk")).toBeUndefined()
    })

    for (const c of CASES) {
      it(`${c.source}: created → updated → resolved yields one workitem at the final state`, async () => {
        const ticketId = c.deliveries[0].event.ticketId
        let workitemId: string | undefined
        let statusName: string | undefined
        for (const d of c.deliveries) {
          const res = await post(run.h, c, d)
          expect(res.status, `${d.name}: ${JSON.stringify(res.json)}`).toBe(202)
          expect(res.json).toMatchObject({
            status: "accepted",
            ticketId,
            revision: d.event.revision,
            deliveryKey: d.event.deliveryKey
          })
          const s = await drainedAt(run.h, c, d.event.revision)
          workitemId ??= s.workitemId
          expect(s.workitemId).toBe(workitemId)
          // each step's status, or the previous one when the delivery carries none
          statusName = expectedWorkitem(run, d.event).statusName ?? statusName
          expect(statusName, `${d.name}: no status so far`).toBeDefined()
          expect(statusNameOf(run, idOf((await getWorkitem(run, s.workitemId!))["status"])), d.name).toBe(statusName)
        }
        const before = await assertFinal(run, c)

        for (const d of c.deliveries) {
          const again = await post(run.h, c, d)
          expect(again.status, `${d.name} redelivered: ${JSON.stringify(again.json)}`).toBe(202)
          expect(again.json).toMatchObject({ status: "duplicate", deliveryKey: d.event.deliveryKey })
        }
        const after = await assertFinal(run, c)
        expect(after).toEqual(before)
      })
    }
  })

  describe("out of order: the resolved delivery first, then the older ones, then every delivery redelivered", () => {
    let run: Run
    beforeAll(async () => {
      run = await startRun()
    })
    afterAll(async () => {
      await run?.h.close()
    })

    for (const c of CASES) {
      it(`${c.source}: stale deliveries never overwrite the resolved workitem`, async () => {
        const [created, updated, resolved] = c.deliveries
        const first = await post(run.h, c, resolved)
        expect(first.status, JSON.stringify(first.json)).toBe(202)
        expect(first.json["status"]).toBe("accepted")
        await drainedAt(run.h, c, resolved.event.revision)
        const atFinal = await assertFinal(run, c)
        const countsBefore = await outcomeCounts(run)

        for (const d of [updated, created]) {
          const res = await post(run.h, c, d)
          expect(res.status, `${d.name}: ${JSON.stringify(res.json)}`).toBe(202)
          expect(res.json["status"]).toBe("accepted")
        }
        for (const d of [created, resolved, updated]) {
          const again = await post(run.h, c, d)
          expect(again.status, `${d.name} redelivered: ${JSON.stringify(again.json)}`).toBe(202)
          expect(again.json["status"]).toBe("duplicate")
        }
        const after = await assertFinal(run, c)
        // not written at all: a PATCH would at least have moved the last-synced time
        expect(after).toEqual(atFinal)
        // and not lost: both stale events are recorded as superseded
        const countsAfter = await outcomeCounts(run)
        expect(countsAfter.superseded - countsBefore.superseded).toBe(2)
        expect(countsAfter.applied).toBe(countsBefore.applied)
        expect(countsAfter.dead).toBe(countsBefore.dead)
      })
    }
  })
})

describe("a Jira delivery without X-Atlassian-Webhook-Identifier (as `pnpm demo:send jira-issue-created` posts it)", () => {
  let run: Run
  beforeAll(async () => {
    run = await startRun()
  })
  afterAll(async () => {
    await run?.h.close()
  })

  it("is applied, not dead-lettered: its revision (keyed by the body hash) fits source_revision", async () => {
    const c = CASES.find((x) => x.source === "jira")!
    const f = loadFixture("jira-issue-created")
    const res = await run.h.post(undefined, {
      source: "jira",
      raw: f.rawBody,
      headers: sign("jira", f.rawBody, c.credentials, new Date())
    })
    expect(res.status, JSON.stringify(res.json)).toBe(202)
    expect(String(res.json["deliveryKey"])).toMatch(/^sha256:[0-9a-f]{64}$/)
    const revision = String(res.json["revision"])
    expect(revision.length).toBeLessThanOrEqual(100)
    const s = await drainedAt(run.h, c, revision)
    expect(s.lastError).toBeUndefined()
    const w = await getWorkitem(run, s.workitemId!)
    expect(
      (w["customFields"] as Record<string, unknown>)[customFieldKey({ key: "source_revision", type: "text" })]
    ).toBe(revision)
    const dead = (await (await fetch(`${run.h.service.url}/dead-letters`)).json()) as { total: number }
    expect(dead.total).toBe(0)
  })
})
