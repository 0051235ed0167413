import type { AddressInfo } from "node:net"
import { defaultCatalog, toWorkitemCreate } from "@workbridge/catalog"
import { type Emulator, startEmulator } from "@workbridge/genesys-emulator"
import { provisionForService } from "@workbridge/infra"
import express from "express"
import type { Server } from "node:http"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { checkInvariants } from "./checker.js"
import { openSession, sdkCall, statusIds } from "./genesys.js"
import { generateStorm, ticketKey, type TicketTruth } from "./storm.js"

// The checker against a real emulator (through the SDK) and a stand-in status API: it must see a duplicate workitem,
// a workitem left at an older revision and events still pending — the failures the chaos suite exists to catch.
describe("checkInvariants against the emulator", () => {
  let emulator: Emulator
  let server: Server
  let serviceUrl: string
  let worktypeId: string
  const storm = generateStorm({
    tickets: 3,
    events: 9,
    vendors: ["generic"],
    duplicateShare: 0,
    outOfOrderShare: 0,
    staleShare: 0,
    seed: 5,
    baseTime: 1_700_000_000_000
  })
  const [good, duplicated, stale] = [...storm.truth.values()] as [TicketTruth, TicketTruth, TicketTruth]
  const statuses = new Map<string, { workitemId?: string; appliedRevision?: string; pendingEvents: number }>()

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, rateLimitPerMinute: 100_000 })
    const admin = {
      gatewayUrl: emulator.url,
      clientId: emulator.adminClientId,
      clientSecret: emulator.adminClientSecret
    }
    const provisioned = await provisionForService(admin, { namePrefix: "Checker" })
    worktypeId = provisioned.worktypeId
    const s = await openSession(admin)
    const ctx = { typeId: worktypeId, statusIds: await statusIds(s, worktypeId) }
    const create = async (_t: TicketTruth, values: TicketTruth["values"], revision: string) => {
      const body = toWorkitemCreate(
        defaultCatalog,
        { values: { ...values, source_revision: revision }, truncated: [], unmapped: [] },
        ctx
      )
      return (await sdkCall<{ id: string }>("create", () => s.tm.postTaskmanagementWorkitems(body as never))).id
    }
    const goodId = await create(good, good.values, good.revision)
    const dupId = await create(duplicated, duplicated.values, duplicated.revision)
    await create(duplicated, duplicated.values, duplicated.revision)
    const older = storm.deliveries.find(
      (d) => d.ticket === ticketKey(stale.source, stale.ticketId) && d.event.revision !== stale.revision
    )!
    const staleId = await create(stale, { ...stale.values, subject: "An older subject" }, older.event.revision)
    statuses.set(ticketKey(good.source, good.ticketId), {
      workitemId: goodId,
      appliedRevision: good.revision,
      pendingEvents: 0
    })
    statuses.set(ticketKey(duplicated.source, duplicated.ticketId), {
      workitemId: dupId,
      appliedRevision: duplicated.revision,
      pendingEvents: 0
    })
    statuses.set(ticketKey(stale.source, stale.ticketId), {
      workitemId: staleId,
      appliedRevision: older.event.revision,
      pendingEvents: 1
    })

    const app = express()
    app.get("/tickets/:source/:id", (req, res) => {
      const st = statuses.get(ticketKey(req.params["source"]!, req.params["id"]!))
      if (st === undefined) res.status(404).json({ error: "UnknownTicket" })
      else res.json({ source: req.params["source"], ticketId: req.params["id"], ...st })
    })
    app.get("/dead-letters", (_req, res) => {
      res.json({ deadLetters: [], total: 0 })
    })
    server = await new Promise<Server>((resolve) => {
      const srv = app.listen(0, "127.0.0.1", () => resolve(srv))
    })
    serviceUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  }, 120_000)

  afterAll(async () => {
    await new Promise<void>((r) => (server === undefined ? r() : server.close(() => r())))
    await emulator?.close()
  })

  it("reports the duplicate, the stale workitem and the pending events, and nothing about the good ticket", async () => {
    const report = await checkInvariants({
      genesys: { gatewayUrl: emulator.url, clientId: emulator.adminClientId, clientSecret: emulator.adminClientSecret },
      worktypeId,
      serviceUrls: [serviceUrl],
      truth: storm.truth,
      acceptedDeliveries: storm.deliveries
    })
    expect(report.ok).toBe(false)
    expect(report.workitems).toBe(4)
    const about = (t: TicketTruth) => report.violations.filter((v) => v.ticket === ticketKey(t.source, t.ticketId))
    expect(about(good)).toEqual([])
    expect(about(duplicated).map((v) => v.invariant)).toEqual(["one-workitem"])
    expect(about(duplicated)[0]!.detail).toMatch(/^2 workitems/)
    const staleFindings = about(stale)
    expect(staleFindings.map((v) => v.invariant)).toEqual(expect.arrayContaining(["newest-revision", "nothing-lost"]))
    expect(staleFindings.map((v) => v.detail).join("\n")).toMatch(/subject|name/)
    expect(staleFindings.map((v) => v.detail).join("\n")).toMatch(/1 accepted events still pending/)
  })
})
