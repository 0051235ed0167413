/** `requireConfiguredSource` on a tiny app: unknown sources 404, sources without credentials 401 naming the variable. */
import { adapters, makeGenericAdapter } from "@workbridge/adapters"
import express from "express"
import request from "supertest"
import { describe, expect, it } from "vitest"
import type { HttpError } from "../httpError.js"
import { adapterOf, requireConfiguredSource } from "./webhookSource.js"

const sources = {
  generic: adapters.generic,
  servicenow: adapters.servicenow,
  acme: makeGenericAdapter({ name: "acme" }),
  "my-desk": makeGenericAdapter({ name: "my-desk" })
}

const tinyApp = (credentials: Parameters<typeof requireConfiguredSource>[1]) => {
  const app = express()
  app.post("/webhooks/:source", requireConfiguredSource(sources, credentials), (req, res) => {
    res.json({ passed: req.params.source })
  })
  app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const e = err as HttpError
    res.status(e.status).set(e.headers).json({ error: e.code, message: e.message })
  })
  return { app }
}

describe("requireConfiguredSource", () => {
  it("passes a known source with a credential of one of its kinds", async () => {
    const { app } = tinyApp({
      generic: { secret: "s" },
      servicenow: { basicAuth: "u:p" },
      acme: { token: { header: "x-token", value: "t" } }
    })
    for (const source of ["generic", "servicenow"]) {
      const res = await request(app).post(`/webhooks/${source}`).send({})
      expect(res.status, source).toBe(200)
      expect(res.body).toEqual({ passed: source })
    }
  })

  it("answers 404 for an unknown source, listing the known ones (names of Object.prototype included)", async () => {
    const { app } = tinyApp({ generic: { secret: "s" } })
    for (const source of ["nope", "constructor", "__proto__", "hasOwnProperty"]) {
      const res = await request(app).post(`/webhooks/${source}`).send({})
      expect(res.status, source).toBe(404)
      expect(res.body.error).toBe("UnknownSource")
      expect(res.body.message).toContain("known sources: generic, servicenow, acme, my-desk")
    }
  })

  it("answers 401 naming the variable to set when the source has no credential (an empty one counts as none)", async () => {
    const { app } = tinyApp({ generic: { secret: "" }, servicenow: { secret: "not its kind" } })
    const generic = await request(app).post("/webhooks/generic").send({})
    expect(generic.status).toBe(401)
    expect(generic.body.error).toBe("SourceNotConfigured")
    expect(generic.headers["x-workbridge-missing-variable"]).toBe("WEBHOOK_SECRET_GENERIC")
    const servicenow = await request(app).post("/webhooks/servicenow").send({})
    expect(servicenow.status).toBe(401)
    expect(servicenow.body.message).toContain("WEBHOOK_BASIC_AUTH_SERVICENOW")
    const dashed = await request(app).post("/webhooks/my-desk").send({})
    expect(dashed.headers["x-workbridge-missing-variable"]).toBe("WEBHOOK_SECRET_MY_DESK")
  })

  it("adapterOf never answers an inherited property", () => {
    expect(adapterOf(sources, "acme")?.name).toBe("acme")
    expect(adapterOf(sources, "toString")).toBeUndefined()
  })
})
