/**
 * Genesys faults, injected in the emulator: 429 bursts, 5xx, timeouts, an expired token, a credential outage, a
 * deleted workitem, a 400, 403 and 404.
 */
import { Effect } from "effect"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { genericBody, type Harness, metricValue, revisionPrefix, startHarness } from "../src/testing/harness.js"

let h: Harness
beforeAll(async () => {
  // One call in flight, so "no request after a 429 before Retry-After" is exact (none already on the wire).
  // No permission-propagation window: a 403 is dead-lettered at once, as after the window (PermissionWindow.test.ts).
  h = await startHarness({
    WORKBRIDGE_COALESCE_MS: "0",
    WORKBRIDGE_MAX_IN_FLIGHT: "1",
    WORKBRIDGE_PERMISSION_WINDOW_SECONDS: "0"
  })
})
afterEach(() => {
  h.emulator.faults.clear()
})
afterAll(async () => {
  await h?.close()
})

const atRev = (rev: number) => (s: { appliedRevision?: string; pendingEvents: number }) =>
  s.pendingEvents === 0 && (s.appliedRevision ?? "").startsWith(revisionPrefix(rev))
const WORKITEMS = "/api/v2/taskmanagement/workitems"
const deadLetters = () => Effect.runPromise(h.service.links.listDeadLetters())
/** Calls of `operation` the service gave up waiting for (its `Timeout` outcome), from its metrics. */
const timeoutsOf = async (operation: string): Promise<number> => {
  const text = await (await fetch(`${h.service.url}/metrics`)).text()
  return metricValue(text, `workbridge_genesys_calls_total{operation="${operation}",outcome="Timeout"}`) ?? 0
}

describe("faults", () => {
  it("honours Retry-After on a 429 burst for every caller: nothing reaches Genesys before the pause ends", async () => {
    h.emulator.clearRequests()
    h.emulator.faults.add({ kind: "rateLimit", path: WORKITEMS, method: "POST", retryAfterSeconds: 1, count: 3 })
    const tickets = ["RL-1", "RL-2", "RL-3", "RL-4"]
    for (const t of tickets) await h.post(genericBody({ ticketId: t, rev: 1 }))
    for (const t of tickets) await h.waitFor(t, atRev(1))
    const log = h.emulator.requests().filter((r) => r.path.startsWith("/api/"))
    const limited = log.filter((r) => r.status === 429)
    expect(limited.length).toBe(3)
    // After each 429, the next API request (from any caller) comes no earlier than Retry-After.
    for (const r of limited) {
      const t429 = Date.parse(r.at)
      const next = log.find((x) => Date.parse(x.at) > t429 && x.status !== 429)
      if (next !== undefined) expect(Date.parse(next.at) - t429).toBeGreaterThanOrEqual(900)
    }
    for (const t of tickets) expect(await h.workitemsOf(t)).toHaveLength(1)
    expect(await h.service.metrics.rateLimited.get().then((m) => m.values[0]?.value)).toBeGreaterThanOrEqual(3)
  })

  it("retries 5xx with backoff and applies the event once", async () => {
    h.emulator.faults.add({ kind: "status", status: 503, path: WORKITEMS, count: 3 })
    await h.post(genericBody({ ticketId: "5XX-1", rev: 1 }))
    await h.waitFor("5XX-1", atRev(1))
    expect(await h.workitemsOf("5XX-1")).toHaveLength(1)
    expect((await deadLetters()).filter((d) => d.ticketId === "5XX-1")).toHaveLength(0)
  })

  it("retries a timed-out call (no duplicate even when the timed-out POST went through)", async () => {
    h.emulator.faults.add({ kind: "hang", path: WORKITEMS, method: "POST", count: 1 })
    await h.post(genericBody({ ticketId: "TO-1", rev: 1 }))
    await h.waitFor("TO-1", atRev(1), 30_000)
    expect(await h.workitemsOf("TO-1")).toHaveLength(1)
  })

  it("never repeats a create whose outcome is unknown: after a timed-out POST the ticket waits, looks its workitem up, then creates once", async () => {
    // The emulator delays the POST by 2.5 s; the client gives up after 1.5 s.
    h.emulator.clearRequests()
    h.emulator.faults.add({ kind: "latency", latencyMs: 2500, path: /\/workitems$/, method: "POST", count: 1 })
    await h.post(genericBody({ ticketId: "LATE-1", rev: 1 }))
    await h.waitFor("LATE-1", atRev(1), 30_000)
    expect(await h.workitemsOf("LATE-1")).toHaveLength(1)
    const log = h.emulator.requests().filter((r) => r.path.startsWith("/api/v2/taskmanagement/workitems"))
    const created = log.findIndex((r) => r.method === "POST" && /\/workitems$/.test(r.path) && r.status === 200)
    expect(log.filter((r) => r.method === "POST" && /\/workitems$/.test(r.path) && r.status === 200)).toHaveLength(1)
    // The successful create came right after a fresh lookup.
    expect(log[created - 1]?.path).toMatch(/\/workitems\/query$/)
  })

  it("logs in again when the token expires mid-run", async () => {
    await h.post(genericBody({ ticketId: "TOK-1", rev: 1 }))
    await h.waitFor("TOK-1", atRev(1))
    h.emulator.expireAllTokens()
    h.emulator.clearRequests()
    await h.post(genericBody({ ticketId: "TOK-1", rev: 2, fields: { subject: "after expiry" } }))
    await h.waitFor("TOK-1", atRev(2))
    const log = h.emulator.requests()
    expect(log.some((r) => r.status === 401)).toBe(true)
    expect(log.some((r) => r.path === "/oauth/token" && r.status === 200)).toBe(true)
    const [w] = await h.workitemsOf("TOK-1")
    expect(w?.name).toBe("after expiry")
  })

  it("renews a short-lived token before it expires (no 401 on the way)", async () => {
    h.emulator.configure({ tokenTtlSeconds: 3 })
    try {
      await Effect.runPromise(h.service.genesys.invalidateToken)
      h.emulator.clearRequests()
      for (let rev = 1; rev <= 4; rev++) {
        await h.post(genericBody({ ticketId: "RENEW-1", rev, fields: { subject: `renewal ${rev}` } }))
        await h.waitFor("RENEW-1", atRev(rev))
        await new Promise((r) => setTimeout(r, 1200))
      }
      const log = h.emulator.requests()
      expect(log.filter((r) => r.status === 401)).toHaveLength(0)
      expect(log.filter((r) => r.path === "/oauth/token").length).toBeGreaterThanOrEqual(2)
    } finally {
      h.emulator.configure({ tokenTtlSeconds: 86_399 })
    }
  })

  it("rides out a credential outage: no dead letter, /readyz fails meanwhile, the event is applied once login works again", async () => {
    await h.post(genericBody({ ticketId: "CRED-1", rev: 1 }))
    await h.waitFor("CRED-1", atRev(1))
    // Every token is revoked and the token endpoint refuses the service's client until the rule is removed.
    h.emulator.clearRequests()
    h.emulator.faults.add({ kind: "status", status: 401, path: "/oauth/token" })
    h.emulator.expireAllTokens()
    await h.post(genericBody({ ticketId: "CRED-1", rev: 2, fields: { subject: "after the outage" } }))
    await h.post(genericBody({ ticketId: "CRED-2", rev: 1 }))

    const readyz = async () => {
      const res = await fetch(`${h.service.url}/readyz`)
      return { status: res.status, body: (await res.json()) as { checks: Record<string, string> } }
    }
    const during = await readyz()
    expect(during.status).toBe(503)
    expect(during.body.checks["genesys"]).toContain("Unauthorized")

    // One exhausted call makes 1 + retries failed logins; wait for several calls' worth, so the engine has given up on
    // these tickets more than once — or for a dead letter, which must not happen.
    const perCall = Number(h.env["WORKBRIDGE_RETRY_ATTEMPTS"]) + 1
    const refusedLogins = () =>
      h.emulator.requests().filter((r) => r.path === "/oauth/token" && r.status === 401).length
    const cred = async () => (await deadLetters()).filter((d) => d.ticketId.startsWith("CRED-"))
    const deadline = Date.now() + 30_000
    while (refusedLogins() < 4 * perCall && (await cred()).length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50))
    }
    expect(await cred()).toEqual([])
    expect(refusedLogins()).toBeGreaterThanOrEqual(4 * perCall)
    expect((await h.status("CRED-1"))?.pendingEvents).toBe(1)
    expect((await h.status("CRED-2"))?.pendingEvents).toBe(1)
    // Nothing was created: a create sent with the revoked token before the service learned of it (a race with the
    // readiness check above, which finds out first on a quiet machine) is refused with 401, like every later one.
    expect(
      h.emulator.requests().filter((r) => r.method === "POST" && r.path === WORKITEMS && r.status !== 401)
    ).toEqual([])

    h.emulator.faults.clear()
    await h.waitFor("CRED-1", atRev(2), 30_000)
    await h.waitFor("CRED-2", atRev(1), 30_000)
    expect(await cred()).toEqual([])
    const [w1] = await h.workitemsOf("CRED-1")
    expect(w1?.name).toBe("after the outage")
    expect(await h.workitemsOf("CRED-2")).toHaveLength(1)
    const statusAfter = await (async () => {
      for (;;) {
        const r = await readyz()
        if (r.status === 200) return r.status
        await new Promise((res) => setTimeout(res, 200))
      }
    })()
    expect(statusAfter).toBe(200)
  })

  it("recreates and relinks a workitem deleted in Genesys", async () => {
    await h.post(genericBody({ ticketId: "DEL-1", rev: 1 }))
    const first = await h.waitFor("DEL-1", atRev(1))
    await h.admin.deleteTaskmanagementWorkitem(first.workitemId!)
    await h.post(genericBody({ ticketId: "DEL-1", rev: 2, fields: { subject: "back again" } }))
    const second = await h.waitFor("DEL-1", atRev(2))
    expect(second.workitemId).not.toBe(first.workitemId)
    const items = await h.workitemsOf("DEL-1")
    expect(items.map((w) => w.id)).toEqual([second.workitemId])
    expect(items[0]?.name).toBe("back again")
  })

  it("does not retry a 400: the event goes to the dead letters with the Genesys error, and replays once fixed", async () => {
    h.emulator.faults.add({ kind: "status", status: 400, path: /\/workitems$/, method: "POST", count: 1 })
    h.emulator.clearRequests()
    await h.post(genericBody({ ticketId: "BAD-1", rev: 1 }))
    const s = await h.waitFor("BAD-1", (x) => x.pendingEvents === 0 && x.lastError !== undefined)
    expect(s.lastError).toContain("GenesysBadRequest")
    expect(h.emulator.requests().filter((r) => r.method === "POST" && r.path === WORKITEMS)).toHaveLength(1)
    const letter = (await deadLetters()).find((d) => d.ticketId === "BAD-1")!
    expect(letter.reason).toBe("GenesysBadRequest")
    expect(letter.details.join(" ")).toContain("400")

    const replay = await fetch(`${h.service.url}/dead-letters/${letter.id}/replay`, { method: "POST" })
    expect(replay.status).toBe(202)
    const done = await h.waitFor("BAD-1", atRev(1))
    expect(done.lastError).toBeUndefined()
    expect(await h.workitemsOf("BAD-1")).toHaveLength(1)
    expect((await deadLetters()).find((d) => d.id === letter.id)).toBeUndefined()
  })
})

describe("403 and 404 from Genesys", () => {
  it.each([
    [403, "create", "GenesysForbidden", /\/workitems$/],
    [404, "create", "GenesysNotFound", /\/workitems$/],
    [403, "query", "GenesysForbidden", /\/workitems\/query$/],
    [404, "query", "GenesysNotFound", /\/workitems\/query$/]
  ])(
    "does not retry a %i on %s: the event goes to the dead letters as %s with the Genesys error",
    async (status, route, reason, path) => {
      const ticketId = `F${status}-${route}`
      // A new ticket is POSTed without a lookup; the lookup happens when a create may have been interrupted, so a
      // 503 on the create (its outcome unknown) comes first.
      if (route === "query")
        h.emulator.faults.add({ kind: "status", status: 503, path: /\/workitems$/, method: "POST", count: 1 })
      h.emulator.faults.add({ kind: "status", status, path, method: "POST" })
      h.emulator.clearRequests()
      const operation = route === "create" ? "createWorkitem" : "queryWorkitems"
      const timeoutsBefore = await timeoutsOf(operation)
      await h.post(genericBody({ ticketId, rev: 1 }))
      const s = await h.waitFor(ticketId, (x) => x.pendingEvents === 0 && x.lastError !== undefined, 30_000)
      expect(s.workitemId).toBeUndefined()
      expect(s.lastError).toContain(reason)
      const letter = (await deadLetters()).find((d) => d.ticketId === ticketId)!
      expect(letter.reason).toBe(reason)
      expect(letter.details.join(" ")).toContain(`HTTP ${status}`)
      expect(letter.details.join(" ")).toContain("Genesys error body")
      // Exactly one call on the faulted route answered to the service, and nothing after it. A call whose answer
      // came after the client's timeout (1.5 s: an event loop held up that long on a loaded test machine) is one
      // whose outcome the service never saw: that one is asked again, as it must be.
      const unseen = (await timeoutsOf(operation)) - timeoutsBefore
      const calls = h.emulator.requests().filter((r) => r.path.startsWith("/api/"))
      expect(calls.filter((r) => r.status === status)).toHaveLength(1 + unseen)
      expect(calls.filter((r) => r.method === "POST" && path.test(r.path))).toHaveLength(1 + unseen)
      // The interrupted create is not repeated before the lookup answers.
      if (route === "query")
        expect(calls.filter((r) => r.method === "POST" && r.path === WORKITEMS).map((r) => r.status)).toEqual([503])
      h.emulator.faults.clear()
      expect(await h.workitemsOf(ticketId)).toHaveLength(0)
    }
  )
})

describe("status transitions", () => {
  let r: Harness
  beforeAll(async () => {
    // A one-way worktype: Closed may only go to Resolved, Resolved only to Closed.
    r = await startHarness({ WORKBRIDGE_COALESCE_MS: "0" }, {}, async (_emu, p, admin) => {
      await admin.patchTaskmanagementWorktypeStatus(p.worktypeId, p.statusIds["Closed"]!, {
        destinationStatusIds: [p.statusIds["Resolved"]!]
      } as never)
      await admin.patchTaskmanagementWorktypeStatus(p.worktypeId, p.statusIds["Resolved"]!, {
        destinationStatusIds: [p.statusIds["Closed"]!]
      } as never)
    })
  })
  afterAll(async () => {
    await r?.close()
  })

  it("walks the shortest allowed path, one PATCH per step", async () => {
    await r.post(genericBody({ ticketId: "ST-1", rev: 1, fields: { status: "pending" } }))
    const s = await r.waitFor("ST-1", atRev(1))
    r.emulator.clearRequests()
    // Waiting → Open is not allowed directly in the default graph? It is not: Waiting → In Progress → Open.
    await r.post(genericBody({ ticketId: "ST-1", rev: 2, fields: { status: "new" } }))
    await r.waitFor("ST-1", atRev(2))
    const patches = r.emulator.requests().filter((x) => x.method === "PATCH" && x.path.endsWith(s.workitemId!))
    expect(patches).toHaveLength(2)
    const w = await r.getWorkitem(s.workitemId!)
    expect(w.status?.id).toBe(r.provisioned.statusIds["Open"])
  })

  it("dead-letters a status change with no allowed path, without a blind PATCH", async () => {
    await r.post(genericBody({ ticketId: "ST-2", rev: 1, fields: { status: "closed" } }))
    const s = await r.waitFor("ST-2", atRev(1))
    r.emulator.clearRequests()
    await r.post(genericBody({ ticketId: "ST-2", rev: 2, fields: { status: "open" } }))
    const after = await r.waitFor("ST-2", (x) => x.pendingEvents === 0 && x.lastError !== undefined)
    expect(after.lastError).toContain("NoTransition")
    expect(r.emulator.requests().filter((x) => x.method === "PATCH")).toHaveLength(0)
    const w = await r.getWorkitem(s.workitemId!)
    expect(w.status?.id).toBe(r.provisioned.statusIds["Closed"])
  })
})
