import { createServer, request, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { defaultCatalog } from "@workbridge/catalog"
import { type Emulator, startEmulator } from "@workbridge/genesys-emulator"
import { Effect, Either, Layer } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Genesys, layer as genesysLayer } from "./Genesys.js"
import { GenesysError } from "./GenesysError.js"
import { type Provisioned, provision } from "./Provision.js"
import { layerMemory } from "./RateBudget.js"
import { decodeResponse, StatusListing, WorkitemId, WorkitemResponse } from "./Responses.js"
import { layerNoTelemetry } from "./Telemetry.js"

const decode = <A, I>(schema: Parameters<typeof decodeResponse<A, I>>[0], raw: unknown) =>
  Effect.runSync(Effect.either(decodeResponse(schema, "op")(raw)))

describe("decodeResponse", () => {
  it("keeps the fields it does not read and accepts absent or null optional ones", () => {
    const r = decode(WorkitemResponse, {
      id: "w1",
      status: null,
      externalTag: "T-1",
      dateModified: "2026-01-01T00:00:00Z"
    })
    expect(r).toEqual(Either.right({ id: "w1", externalTag: "T-1", dateModified: "2026-01-01T00:00:00Z" }))
  })

  it("fails with a GenesysError naming the operation and the missing field", () => {
    const r = decode(WorkitemResponse, { name: "no id" })
    expect(Either.isLeft(r)).toBe(true)
    const e = Either.getLeft(r).pipe((o) => (o._tag === "Some" ? o.value : undefined)) as GenesysError
    expect(e).toBeInstanceOf(GenesysError)
    expect([e.reason, e.operation, e.malformed]).toEqual(["ServerError", "op", "id: is missing"])
    expect(e.message).toBe("Genesys op: ServerError: malformed response: id: is missing")
  })

  it("names the path of a bad nested field, and refuses an empty id", () => {
    const r = decode(StatusListing, {
      entities: [
        { id: "s1", name: "Open", destinationStatuses: "s2" },
        { id: "", name: "Closed" }
      ]
    })
    const e = Either.getLeft(r).pipe((o) => (o._tag === "Some" ? o.value : undefined)) as GenesysError
    expect(e.malformed).toMatch(
      /^entities\.0\.destinationStatuses: Expected ReadonlyArray<.*>, actual "s2"; entities\.1\.id: must be a non-empty string$/
    )
  })

  it("brands the ids it decodes", () => {
    const r = decode(WorkitemResponse, { id: "w1" })
    const id: WorkitemId | undefined = Either.isRight(r) ? r.right.id : undefined
    expect(id).toBe(WorkitemId.make("w1"))
  })
})

/** A gateway in front of the emulator that answers `malformed[path]` instead of the emulator for those GETs. */
const startGateway = (upstream: string, malformed: Map<string, unknown>) =>
  new Promise<Server>((resolve) => {
    const target = new URL(upstream)
    const server = createServer((req, res) => {
      const path = (req.url ?? "").split("?")[0] ?? ""
      if (req.method === "GET" && malformed.has(path)) {
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(malformed.get(path)))
        return
      }
      const forward = request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers)
          answer.pipe(res)
        }
      )
      req.pipe(forward)
    })
    server.listen(0, "127.0.0.1", () => resolve(server))
  })

describe("the client decodes what Genesys answers", () => {
  let emulator: Emulator
  let gateway: Server
  let provisioned: Provisioned
  const malformed = new Map<string, unknown>()

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 })
    provisioned = await provision({
      gatewayUrl: emulator.url,
      clientId: emulator.adminClientId,
      clientSecret: emulator.adminClientSecret,
      catalog: defaultCatalog
    })
    gateway = await startGateway(emulator.url, malformed)
  })
  afterAll(async () => {
    await new Promise((r) => gateway?.close(r))
    await emulator?.close()
  })

  const run = <A>(f: (g: Genesys["Type"]) => Effect.Effect<A, GenesysError>) => {
    const url = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`
    const client = genesysLayer({
      gatewayUrl: url,
      clientId: emulator.adminClientId,
      clientSecret: emulator.adminClientSecret,
      timeoutMs: 2000,
      maxInFlight: 2,
      retryBaseMs: 10,
      retryMaxMs: 20,
      retryAttempts: 1
    }).pipe(Layer.provide(Layer.mergeAll(layerMemory({ perMinute: 6000, burst: 20 }), layerNoTelemetry)))
    return Effect.runPromise(Effect.either(Effect.flatMap(Genesys, f)).pipe(Effect.provide(client)))
  }

  it("reads the statuses of a well-formed answer, with their destinations", async () => {
    const r = await run((g) => g.getStatuses(provisioned.worktypeId))
    const statuses = Either.getOrThrow(r)
    expect(statuses.map((s) => s.name).sort()).toEqual(Object.keys(provisioned.statusIds).sort())
    expect(
      statuses.every((s) => s.destinationStatusIds.every((d) => Object.values(provisioned.statusIds).includes(d)))
    ).toBe(true)
  })

  it("fails getWorkitem on an answer without an id, naming the field", async () => {
    malformed.set("/api/v2/taskmanagement/workitems/w-broken", { name: "Ticket", status: { id: "s1" } })
    const r = await run((g) => g.getWorkitem("w-broken"))
    const e = Either.getLeft(r).pipe((o) => (o._tag === "Some" ? o.value : undefined))
    expect(e).toBeInstanceOf(GenesysError)
    expect([e?.operation, e?.reason, e?.malformed]).toEqual(["getWorkitem", "ServerError", "id: is missing"])
  })

  it("fails getStatuses when a status's destinations are not a list, naming the entry", async () => {
    const path = `/api/v2/taskmanagement/worktypes/${provisioned.worktypeId}/statuses`
    malformed.set(path, { entities: [{ id: "s1", name: "Open", destinationStatuses: { id: "s2" } }] })
    try {
      const r = await run((g) => g.getStatuses(provisioned.worktypeId))
      const e = Either.getLeft(r).pipe((o) => (o._tag === "Some" ? o.value : undefined))
      expect(e?.malformed).toMatch(/^entities\.0\.destinationStatuses: Expected ReadonlyArray/)
    } finally {
      malformed.delete(path)
    }
  })
})
