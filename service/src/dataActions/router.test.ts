import type { Catalog } from "@workbridge/catalog"
import { defaultCatalog } from "@workbridge/catalog"
import { Ajv } from "ajv"
import express from "express"
import request from "supertest"
import { describe, expect, it } from "vitest"
import type { TicketSyncStatus } from "../sync/TicketStatus.js"
import { normalizeTicketContract, ticketStatusContract, workitemEventContract } from "@workbridge/data-actions"
import type { FlatObjectSchema } from "@workbridge/data-actions"
import { makeDataActionsRouter } from "./router.js"
import type { DataActionsRouterOptions, WorkitemEventAnswer } from "./router.js"
import { makeDataActionApp } from "./standalone.js"

const USER = "genesys-integration"
const PASSWORD = "correct horse battery staple"
const TOKEN = "wb-token-0123456789abcdef"

/** The published contract, closed: an answer must not carry anything the contract does not declare. */
const strict = (schema: FlatObjectSchema) =>
  new Ajv({ allErrors: true }).compile({ ...schema, additionalProperties: false })

const statuses = new Map<string, TicketSyncStatus>([
  [
    "zendesk/42",
    {
      source: "zendesk",
      ticketId: "42",
      workitemId: "5b0c6a3e-0000-4000-8000-000000000042",
      appliedRevision: "0000000000000003",
      pendingEvents: 1,
      lastAppliedAt: "2026-03-01T10:00:00.000Z",
      lagSeconds: 2.5
    }
  ],
  ["jira/SUP-9", { source: "jira", ticketId: "SUP-9", pendingEvents: 0, lastError: "subject: is required" }]
])

const options = (overrides: Partial<DataActionsRouterOptions> = {}): DataActionsRouterOptions => ({
  catalog: defaultCatalog,
  auth: { basicAuth: `${USER}:${PASSWORD}`, bearerToken: TOKEN },
  ticketStatus: async (source, ticketId) => statuses.get(`${source}/${ticketId}`),
  ...overrides
})

const app = makeDataActionApp(options())
const normalizeOutput = strict(normalizeTicketContract(defaultCatalog).output)
const statusOutput = strict(ticketStatusContract.output)

const normalize = (body: unknown) =>
  request(app)
    .post("/data-actions/normalize-ticket")
    .auth(USER, PASSWORD)
    .type("application/json")
    .send(JSON.stringify(body))

describe("POST /data-actions/normalize-ticket", () => {
  it("normalizes raw attributes into contract-shaped outputs", async () => {
    const res = await normalize({
      ticket_id: "ZD-1001",
      source_system: "Service-Now",
      subject: "  Printer on fire  ",
      priority: "P1",
      category: "bug",
      status: "Waiting for customer",
      product_family: ["printers", "Printer", "iOS"],
      created_at: "2026-03-01T09:15:00+01:00",
      sla_breached: "yes",
      routing_skill: "tech"
    }).expect(200)
    expect(normalizeOutput(res.body), JSON.stringify(normalizeOutput.errors)).toBe(true)
    expect(res.body).toMatchObject({
      ticket_id: "ZD-1001",
      source_system: "servicenow",
      subject: "Printer on fire",
      priority: "urgent",
      category: "incident",
      status: "pending",
      created_at: "2026-03-01T08:15:00.000Z",
      sla_breached: true,
      routing_skill: "technical",
      product_family: ["devices", "mobile"],
      workitem_priority: 4,
      workitem_status: "Waiting",
      unmapped: [],
      has_unmapped: false,
      truncated: [],
      has_truncated: false,
      priority_unmapped: false
    })
    expect(res.body.provided).toEqual(expect.arrayContaining(["ticket_id", "priority", "sla_breached"]))
    expect(res.body.provided).not.toContain("description")
    expect(res.body).not.toHaveProperty("description")
  })

  it("answers unknown vocabulary with the unmapped markers, not an error", async () => {
    const res = await normalize({ priority: "P9", category: "incident", routing_skill: "nope" }).expect(200)
    expect(normalizeOutput(res.body), JSON.stringify(normalizeOutput.errors)).toBe(true)
    expect(res.body).toMatchObject({
      category: "incident",
      unmapped: ["priority=P9", "routing_skill=nope"],
      has_unmapped: true,
      priority_unmapped: true,
      category_unmapped: false
    })
    expect(res.body).not.toHaveProperty("priority")
    expect(res.body).not.toHaveProperty("workitem_priority")
  })

  it("applies the deployment's source mappings when the source is given", async () => {
    const catalog: Catalog = {
      ...defaultCatalog,
      sourceMappings: {
        servicenow: {
          status: { "6": "solved", "7": "closed" },
          priority: { "1 - Critical": "urgent" },
          product_family: { "Mail Server": "api" }
        }
      }
    }
    const mapped = makeDataActionApp(options({ catalog }))
    const send = (body: unknown) =>
      request(mapped)
        .post("/data-actions/normalize-ticket")
        .auth(USER, PASSWORD)
        .type("json")
        .send(JSON.stringify(body))
    const withSource = await send({
      source: "servicenow",
      status: "6",
      priority: "1 - critical",
      product_family: ["mail server", "web"]
    }).expect(200)
    expect(withSource.body).toMatchObject({
      status: "solved",
      priority: "urgent",
      product_family: ["api", "web"],
      has_unmapped: false
    })
    const numeric = await send({ source: "servicenow", status: 7 }).expect(200)
    expect(numeric.body.status).toBe("closed")
    const otherSource = await send({ source: "zendesk", status: "6" }).expect(200)
    expect(otherSource.body).toMatchObject({ unmapped: ["status=6"], status_unmapped: true })
    const noSource = await send({ status: "6" }).expect(200)
    expect(noSource.body.unmapped).toEqual(["status=6"])
    const bad = await send({ source: { name: "servicenow" } }).expect(400)
    expect(bad.body.issues).toEqual([{ field: "source", problem: "must be a source name, got an object" }])
  })

  it("echoes an unmapped value cut to 100 characters", async () => {
    const res = await normalize({ category: "z".repeat(5000) }).expect(200)
    expect(normalizeOutput(res.body)).toBe(true)
    const [entry] = res.body.unmapped as Array<string>
    expect(entry).toBe(`category=${"z".repeat(89)}[TRUNCATED]`)
  })

  it("answers truncated text with the truncation markers", async () => {
    const res = await normalize({ subject: "x".repeat(500), description: "y".repeat(999) }).expect(200)
    expect(normalizeOutput(res.body)).toBe(true)
    expect(res.body.subject).toHaveLength(100)
    expect(res.body.subject.endsWith("[TRUNCATED]")).toBe(true)
    expect(res.body.truncated).toEqual(["subject"])
    expect(res.body.has_truncated).toBe(true)
  })

  it("answers an empty input with the markers only", async () => {
    const res = await normalize({ subject: "", priority: null }).expect(200)
    expect(normalizeOutput(res.body)).toBe(true)
    expect(res.body.provided).toEqual([])
  })

  it.each([
    [{ created_at: "not a date" }, "created_at"],
    [{ sla_breached: "perhaps" }, "sla_breached"],
    [{ subject: { nested: true } }, "subject"],
    [{ subject: ["a", "b"] }, "subject"],
    [{ product_family: [{ a: 1 }] }, "product_family"],
    [{ ticket_id: "x".repeat(101) }, "ticket_id"],
    [{ no_such_field: "1" }, "no_such_field"]
  ])("refuses %j with 400 naming the input", async (body, field) => {
    const res = await normalize(body).expect(400)
    expect(res.body.error).toBe("malformed_input")
    expect(res.body.message).toContain(field)
    expect(res.body.issues).toEqual([expect.objectContaining({ field })])
  })

  it("names every bad input at once", async () => {
    const res = await normalize({ created_at: "never", sla_breached: "perhaps" }).expect(400)
    expect(res.body.issues.map((issue: { field: string }) => issue.field).sort()).toEqual([
      "created_at",
      "sla_breached"
    ])
  })

  it.each([["[1,2]"], ['"text"'], ["42"], ["null"]])("refuses the non-object body %s with 400", async (body) => {
    const res = await request(app)
      .post("/data-actions/normalize-ticket")
      .auth(USER, PASSWORD)
      .type("application/json")
      .send(body)
      .expect(400)
    expect(res.body.error).toBe("malformed_input")
    expect(res.body.message).toMatch(/body/)
  })

  it("refuses invalid JSON with 400", async () => {
    const res = await request(app)
      .post("/data-actions/normalize-ticket")
      .auth(USER, PASSWORD)
      .type("application/json")
      .send('{"subject": ')
      .expect(400)
    expect(res.body).toMatchObject({
      error: "malformed_input",
      issues: [{ field: "body", problem: "is not valid JSON" }]
    })
  })

  it("refuses a missing body with 400 and a non-JSON body with 415", async () => {
    const empty = await request(app).post("/data-actions/normalize-ticket").auth(USER, PASSWORD).expect(400)
    expect(empty.body.issues).toEqual([{ field: "body", problem: "is required (a JSON object)" }])
    const text = await request(app)
      .post("/data-actions/normalize-ticket")
      .auth(USER, PASSWORD)
      .type("text/plain")
      .send("subject=x")
      .expect(415)
    expect(text.body.error).toBe("unsupported_media_type")
  })

  it("refuses a body over the limit with 413, and accepts one just under it", async () => {
    const small = makeDataActionApp(options({ maxBodyBytes: 1024 }))
    const fits = JSON.stringify({ description: "a".repeat(1024 - 20) })
    expect(Buffer.byteLength(fits)).toBeLessThanOrEqual(1024)
    await request(small).post("/data-actions/normalize-ticket").auth(USER, PASSWORD).type("json").send(fits).expect(200)
    const tooBig = JSON.stringify({ description: "a".repeat(1024) })
    const res = await request(small)
      .post("/data-actions/normalize-ticket")
      .auth(USER, PASSWORD)
      .type("json")
      .send(tooBig)
      .expect(413)
    expect(res.body).toEqual({ error: "payload_too_large", message: "request body is larger than 1024 bytes" })
  })

  it("refuses the default-limit overflow (64 KiB) with 413", async () => {
    const res = await normalize({ description: "a".repeat(64 * 1024) }).expect(413)
    expect(res.body.error).toBe("payload_too_large")
  })

  it("answers 405 to other methods and 404 to other paths, as JSON", async () => {
    const get = await request(app).get("/data-actions/normalize-ticket").auth(USER, PASSWORD).expect(405)
    expect(get.headers.allow).toBe("POST")
    const other = await request(app)
      .post("/data-actions/other")
      .auth(USER, PASSWORD)
      .type("json")
      .send("{}")
      .expect(404)
    expect(other.body.error).toBe("not_found")
    await request(app).post("/data-actions/other").auth(USER, PASSWORD).expect(404)
  })
})

describe("authentication", () => {
  it.each([
    ["without credentials", undefined],
    ["with a wrong password", `Basic ${Buffer.from(`${USER}:wrong`).toString("base64")}`],
    ["with a wrong token", "Bearer wb-token-wrong-wrong-wrong"]
  ])("refuses a call %s with 401 before reading the body", async (_, header) => {
    for (const path of ["/data-actions/normalize-ticket", "/data-actions/ticket-status", "/data-actions/unknown"]) {
      const call = request(app).post(path).type("json")
      if (header !== undefined) call.set("Authorization", header)
      const res = await call.send("{ not even json").expect(401)
      expect(res.body.error).toBe("unauthorized")
      expect(JSON.stringify(res.body)).not.toContain(PASSWORD)
    }
  })

  it("refuses an oversized body from an unauthenticated caller with 401, not 413", async () => {
    const res = await request(app)
      .post("/data-actions/normalize-ticket")
      .type("json")
      .send(JSON.stringify({ description: "a".repeat(200 * 1024) }))
    expect(res.status).toBe(401)
  })

  it("refuses an unauthenticated caller with 401 before the media type (not 415) and on any method (not 405)", async () => {
    const text = await request(app).post("/data-actions/normalize-ticket").type("text").send("hello")
    expect(text.status).toBe(401)
    const get = await request(app).get("/data-actions/normalize-ticket")
    expect(get.status).toBe(401)
    expect(get.headers["www-authenticate"]).toContain("Basic")
    // Authenticated, the same calls get what they are.
    await request(app).post("/data-actions/normalize-ticket").auth(USER, PASSWORD).type("text").send("x").expect(415)
    await request(app).get("/data-actions/normalize-ticket").auth(USER, PASSWORD).expect(405)
  })

  it("accepts the bearer token, and answers JSON as Express's res.json would", async () => {
    const res = await request(app)
      .post("/data-actions/normalize-ticket")
      .set("Authorization", `Bearer ${TOKEN}`)
      .send({})
      .expect(200)
    expect(res.headers["content-type"]).toBe("application/json; charset=utf-8")
    expect(Number(res.headers["content-length"])).toBe(Buffer.byteLength(JSON.stringify(res.body)))
  })
})

describe("POST /data-actions/ticket-status", () => {
  const status = (body: unknown, target = app) =>
    request(target).post("/data-actions/ticket-status").auth(USER, PASSWORD).type("json").send(JSON.stringify(body))

  it("answers the link store's status, flat", async () => {
    const res = await status({ source: "zendesk", ticketId: "42" }).expect(200)
    expect(statusOutput(res.body), JSON.stringify(statusOutput.errors)).toBe(true)
    expect(res.body).toEqual({
      found: true,
      linked: true,
      source: "zendesk",
      ticketId: "42",
      workitemId: "5b0c6a3e-0000-4000-8000-000000000042",
      appliedRevision: "0000000000000003",
      pendingEvents: 1,
      hasError: false,
      lastAppliedAt: "2026-03-01T10:00:00.000Z",
      lagSeconds: 2.5
    })
  })

  it("flags a ticket whose newest change failed", async () => {
    const res = await status({ source: "jira", ticketId: "SUP-9" }).expect(200)
    expect(statusOutput(res.body)).toBe(true)
    expect(res.body).toMatchObject({ found: true, linked: false, hasError: true, lastError: "subject: is required" })
  })

  it("answers found: false for an unknown ticket", async () => {
    const res = await status({ source: "zendesk", ticketId: "404" }).expect(200)
    expect(statusOutput(res.body)).toBe(true)
    expect(res.body).toEqual({
      found: false,
      linked: false,
      source: "zendesk",
      ticketId: "404",
      pendingEvents: 0,
      hasError: false
    })
  })

  it.each([
    [{}, ["source", "ticketId"]],
    [{ source: "zendesk" }, ["ticketId"]],
    [{ source: 7, ticketId: "1" }, ["source"]],
    [{ source: "zendesk", ticketId: "  " }, ["ticketId"]],
    [{ source: "zendesk", ticketId: "1", extra: true }, ["extra"]],
    [{ source: "x".repeat(101), ticketId: "1" }, ["source"]]
  ])("refuses %j with 400 naming %j", async (body, fields) => {
    const res = await status(body).expect(400)
    expect(res.body.error).toBe("malformed_input")
    expect(res.body.issues.map((issue: { field: string }) => issue.field)).toEqual(fields)
  })

  it("answers 503 when the status store fails, without its message, and reports the error", async () => {
    const errors: Array<unknown> = []
    const failing = makeDataActionApp(
      options({
        ticketStatus: async () => {
          throw new Error("redis://:supersecret@redis down")
        },
        onError: (error) => errors.push(error)
      })
    )
    const res = await status({ source: "zendesk", ticketId: "42" }, failing).expect(503)
    expect(res.body.error).toBe("status_unavailable")
    expect(JSON.stringify(res.body)).not.toContain("supersecret")
    expect(errors).toHaveLength(1)
  })

  it("answers 504 when the status store does not answer in time", async () => {
    const hanging = makeDataActionApp(
      options({ ticketStatus: () => new Promise(() => undefined), statusTimeoutMs: 20 })
    )
    const res = await status({ source: "zendesk", ticketId: "42" }, hanging).expect(504)
    expect(res.body.error).toBe("status_timeout")
  })
})

describe("mounted on the app or as one router", () => {
  it("answer every call alike: actions, their error answers, authentication, 405 and 404", async () => {
    const flat = makeDataActionApp(
      options({ maxBodyBytes: 256, workitemEvent: async () => ({ _tag: "Ignored", reason: "not ours" }) })
    )
    const nested = express()
    nested.use(
      "/data-actions",
      makeDataActionsRouter(
        options({ maxBodyBytes: 256, workitemEvent: async () => ({ _tag: "Ignored", reason: "not ours" }) })
      )
    )
    const calls: ReadonlyArray<(a: express.Express) => request.Test> = [
      (a) => request(a).post("/data-actions/normalize-ticket").auth(USER, PASSWORD).send({ priority: "high" }),
      (a) =>
        request(a)
          .post("/data-actions/normalize-ticket")
          .auth(USER, PASSWORD)
          .type("application/json")
          .send("{not json"),
      (a) =>
        request(a)
          .post("/data-actions/normalize-ticket")
          .auth(USER, PASSWORD)
          .send({ subject: "x".repeat(300) }),
      (a) => request(a).post("/data-actions/normalize-ticket").auth(USER, PASSWORD).type("text/plain").send("hi"),
      (a) => request(a).post("/data-actions/normalize-ticket").send({ priority: "high" }),
      (a) =>
        request(a).post("/data-actions/ticket-status").auth(USER, PASSWORD).send({ source: "zendesk", ticketId: "42" }),
      (a) => request(a).post("/data-actions/ticket-status").auth(USER, PASSWORD).send({ source: 7 }),
      (a) => request(a).post("/data-actions/workitem-event").auth(USER, PASSWORD).send({ any: "event" }),
      (a) => request(a).get("/data-actions/normalize-ticket").auth(USER, PASSWORD),
      (a) => request(a).get("/data-actions/normalize-ticket"),
      (a) => request(a).post("/data-actions/nothing-here").auth(USER, PASSWORD).send({}),
      (a) => request(a).post("/data-actions/nothing-here").send({})
    ]
    const statusesSeen = new Set<number>()
    for (const call of calls) {
      const [f, n] = [await call(flat), await call(nested)]
      expect({ status: f.status, body: f.body, allow: f.headers["allow"] }).toEqual({
        status: n.status,
        body: n.body,
        allow: n.headers["allow"]
      })
      statusesSeen.add(f.status)
    }
    // The calls reach every kind of answer.
    expect([...statusesSeen].sort((a, b) => a - b)).toEqual([200, 400, 401, 404, 405, 413, 415])
  })
})

describe("makeDataActionsRouter", () => {
  it("mounts in any Express app beside other routes", async () => {
    const host = express()
    host.get("/bare", (_req, res) => {
      res.json({ ok: true })
    })
    host.use("/data-actions", makeDataActionsRouter(options()))
    await request(host).get("/bare").expect(200, { ok: true })
    await request(host)
      .post("/data-actions/normalize-ticket")
      .auth(USER, PASSWORD)
      .send({ priority: "high" })
      .expect(200)
  })

  it("refuses a catalog whose field collides with an output, naming the field", () => {
    const catalog: Catalog = {
      ...defaultCatalog,
      fields: [...defaultCatalog.fields, { ...defaultCatalog.fields[0]!, key: "provided", type: "text" }]
    }
    expect(() => makeDataActionsRouter(options({ catalog }))).toThrow(/catalog field "provided"/)
  })

  it.each([
    [{ maxBodyBytes: 0 }, /maxBodyBytes/],
    [{ statusTimeoutMs: -1 }, /statusTimeoutMs/],
    [{ auth: { basicAuth: "no-colon" } }, /WORKBRIDGE_DATA_ACTION_BASIC_AUTH/]
  ])("refuses bad options %j", (overrides, message) => {
    expect(() => makeDataActionsRouter(options(overrides))).toThrow(message)
  })
})

describe("POST /data-actions/workitem-event", () => {
  const outputOf = strict(workitemEventContract.output)
  const received: Array<unknown> = []
  const answers: Record<string, WorkitemEventAnswer | Error> = {
    "w-ok": { _tag: "Accepted", duplicate: false },
    "w-dup": { _tag: "Accepted", duplicate: true },
    "w-ignored": { _tag: "Ignored", reason: "the change was made by Workbridge itself" },
    "w-bad": { _tag: "Invalid", issues: [{ field: "dateModified", problem: "must be an ISO-8601 date-time" }] },
    "w-full": Object.assign(new Error("the inbox holds 10 events (limit 10); retry later"), { _tag: "InboxFull" })
  }
  const eventApp = makeDataActionApp(
    options({
      retryAfterSeconds: 7,
      workitemEvent: async (body) => {
        received.push(body)
        const answer = answers[(body as { id: string }).id]!
        if (answer instanceof Error) throw answer
        return answer
      }
    })
  )
  const post = (body: object) =>
    request(eventApp).post("/data-actions/workitem-event").auth(USER, PASSWORD).type("application/json").send(body)

  it("hands the body, the event itself, to the intake and answers 202 in the contract's shape", async () => {
    const res = await post({ id: "w-ok", dateModified: "2026-03-01T10:00:00Z" })
    expect(res.status).toBe(202)
    expect(res.body).toEqual({ accepted: true, ignored: "" })
    expect(outputOf(res.body)).toBe(true)
    expect(received.at(-1)).toEqual({ id: "w-ok", dateModified: "2026-03-01T10:00:00Z" })
    expect((await post({ id: "w-dup" })).body).toMatchObject({ accepted: true, duplicate: true })
  })

  it("answers 200 with the reason for an ignored event, 400 naming the bad field, 503 with Retry-After when full", async () => {
    const ignored = await post({ id: "w-ignored" })
    expect(ignored.status).toBe(200)
    expect(ignored.body).toEqual({ accepted: false, ignored: "the change was made by Workbridge itself" })
    expect(outputOf(ignored.body)).toBe(true)
    const bad = await post({ id: "w-bad" })
    expect(bad.status).toBe(400)
    expect(bad.body.message).toBe("malformed input: dateModified: must be an ISO-8601 date-time")
    const full = await post({ id: "w-full" })
    expect(full.status).toBe(503)
    expect(full.headers["retry-after"]).toBe("7")
  })

  it("is authenticated like the other actions, and needs a JSON body", async () => {
    const before = received.length
    const anonymous = await request(eventApp).post("/data-actions/workitem-event").send({ id: "w-ok" })
    expect(anonymous.status).toBe(401)
    const bearer = await request(eventApp)
      .post("/data-actions/workitem-event")
      .set("authorization", `Bearer ${TOKEN}`)
      .send({ id: "w-ok" })
    expect(bearer.status).toBe(202)
    const text = await request(eventApp)
      .post("/data-actions/workitem-event")
      .auth(USER, PASSWORD)
      .type("text/plain")
      .send("id=w-ok")
    expect(text.status).toBe(415)
    expect(received.length).toBe(before + 1)
  })

  it("is not there when the service gives no intake", async () => {
    expect((await request(app).post("/data-actions/workitem-event").auth(USER, PASSWORD).send({})).status).toBe(404)
  })
})
