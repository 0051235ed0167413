/** The admin gate on a tiny app: a guarded route, an open one, and an error handler that renders HttpError. */
import express from "express"
import { pino } from "pino"
import request from "supertest"
import { describe, expect, it } from "vitest"
import type { HttpError } from "../httpError.js"
import { ADMIN_PATHS, adminGate, type AdminGateOptions, bearerMatches, isLoopbackHost } from "./adminAuth.js"

const TOKEN = "admin-token-0123456789"

const capture = () => {
  const lines: Array<{ level: number; msg: string }> = []
  const log = pino(
    { level: "debug" },
    { write: (s: string) => void lines.push(JSON.parse(s) as { level: number; msg: string }) }
  )
  return { log, lines }
}

const tinyApp = (options: Omit<AdminGateOptions, "log">) => {
  const { log, lines } = capture()
  const gate = adminGate({ ...options, log })
  const app = express()
  if (gate !== undefined) app.use([...gate.paths], gate.middleware)
  for (const path of [...ADMIN_PATHS, "/ops", "/healthz"])
    app.get(path, (_req, res) => void res.json({ reached: path }))
  app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const e = err as HttpError
    res.status(e.status).set(e.headers).json({ error: e.code, message: e.message })
  })
  return { app, lines, gate }
}

describe("adminGate with WORKBRIDGE_ADMIN_TOKEN set", () => {
  const { app, lines } = tinyApp({ adminToken: TOKEN, host: "0.0.0.0" })

  it("answers 401 with a Bearer challenge without the token or with a wrong one, on every admin path", async () => {
    for (const path of ADMIN_PATHS) {
      for (const authorization of [undefined, "Bearer wrong-token", `Basic ${TOKEN}`, `Bearer ${TOKEN} extra`]) {
        const req = request(app).get(path)
        const res = await (authorization === undefined ? req : req.set("authorization", authorization))
        expect(res.status, `${path} with ${authorization ?? "no header"}`).toBe(401)
        expect(res.body.error).toBe("Unauthorized")
        expect(res.headers["www-authenticate"]).toBe('Bearer realm="workbridge"')
      }
    }
  })

  it("lets the right token through (any case of the scheme) and leaves other paths open", async () => {
    expect((await request(app).get("/dead-letters").set("authorization", `bearer ${TOKEN}`)).body).toEqual({
      reached: "/dead-letters"
    })
    expect((await request(app).get("/metrics").set("authorization", `Bearer ${TOKEN}  `)).status).toBe(200)
    expect((await request(app).get("/healthz")).status).toBe(200)
    // The console checks the token itself (its login page must be reachable).
    expect((await request(app).get("/ops")).status).toBe(200)
  })

  it("logs no warning", () => {
    expect(lines.filter((l) => l.level >= 40)).toEqual([])
  })
})

describe("adminGate without a token", () => {
  it("on a loopback HOST: no gate, and a warning naming the variable", async () => {
    const { app, lines, gate } = tinyApp({ host: "127.0.0.1" })
    expect(gate).toBeUndefined()
    expect((await request(app).get("/dead-letters")).status).toBe(200)
    expect(lines.map((l) => l.msg)).toEqual([expect.stringContaining("WORKBRIDGE_ADMIN_TOKEN is not set")])
  })

  it("on any other HOST: 403 naming the missing variable, the console included", async () => {
    const { app, lines } = tinyApp({ host: "0.0.0.0" })
    for (const path of [...ADMIN_PATHS, "/ops"]) {
      const res = await request(app).get(path)
      expect(res.status, path).toBe(403)
      expect(res.body.error).toBe("AdminDisabled")
      expect(res.headers["x-workbridge-missing-variable"]).toBe("WORKBRIDGE_ADMIN_TOKEN")
    }
    expect((await request(app).get("/healthz")).status).toBe(200)
    expect(lines.map((l) => l.msg)).toEqual([expect.stringContaining("WORKBRIDGE_ADMIN_OPEN=true")])
  })

  it("on any other HOST with WORKBRIDGE_ADMIN_OPEN=true: open", async () => {
    const { app, gate } = tinyApp({ host: "10.0.0.5", adminOpen: true })
    expect(gate).toBeUndefined()
    expect((await request(app).get("/tickets")).status).toBe(200)
  })
})

describe("bearerMatches and isLoopbackHost", () => {
  it("match only the exact token after a Bearer scheme", () => {
    expect(bearerMatches(`Bearer ${TOKEN}`, TOKEN)).toBe(true)
    expect(bearerMatches(`BEARER ${TOKEN}`, TOKEN)).toBe(true)
    expect(bearerMatches(`Bearer ${TOKEN}x`, TOKEN)).toBe(false)
    expect(bearerMatches(TOKEN, TOKEN)).toBe(false)
    expect(bearerMatches(undefined, TOKEN)).toBe(false)
    expect(bearerMatches("Bearer ", "")).toBe(false)
  })

  it("takes only this machine's addresses (and no HOST) as loopback", () => {
    expect([undefined, "localhost", "::1", "127.0.0.1", "127.1.2.3", "::ffff:127.0.0.1"].map(isLoopbackHost)).toEqual([
      true,
      true,
      true,
      true,
      true,
      true
    ])
    expect(["0.0.0.0", "::", "10.0.0.1", "127.0.0.1.example.com", "example.com"].map(isLoopbackHost)).toEqual([
      false,
      false,
      false,
      false,
      false
    ])
  })
})
