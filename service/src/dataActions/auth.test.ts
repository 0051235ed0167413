import express from "express"
import request from "supertest"
import { describe, expect, it } from "vitest"
import type { DataActionAuth } from "./auth.js"
import { ACCEPTED_HEADERS_KEPT, requireDataActionAuth } from "./auth.js"

const USER = "genesys"
const PASSWORD = "s3cret-pa:ss"
const TOKEN = "tok_0123456789abcdef"

const appWith = (auth: DataActionAuth) => {
  const app = express()
  app.post("/x", requireDataActionAuth(auth), (_req, res) => {
    res.json({ ok: true })
  })
  return app
}

const basic = (user: string, password: string): string =>
  `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`

describe("requireDataActionAuth", () => {
  const both = appWith({ basicAuth: `${USER}:${PASSWORD}`, bearerToken: TOKEN })

  it("lets the integration's Basic credentials through", async () => {
    await request(both).post("/x").set("Authorization", basic(USER, PASSWORD)).expect(200, { ok: true })
    await request(both).post("/x").auth(USER, PASSWORD).expect(200)
  })

  it("lets the bearer token through, whatever the scheme's case", async () => {
    await request(both).post("/x").set("Authorization", `Bearer ${TOKEN}`).expect(200)
    await request(both).post("/x").set("Authorization", `bearer ${TOKEN}`).expect(200)
  })

  it.each([
    ["no header", undefined],
    ["a wrong password", basic(USER, "nope")],
    ["a wrong user", basic("other", PASSWORD)],
    ["a wrong token", `Bearer ${TOKEN}x`],
    ["an unknown scheme", `Digest ${TOKEN}`],
    ["a scheme without credentials", "Basic"],
    ["the token sent as Basic", `Basic ${TOKEN}`],
    ["garbage in base64", `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}!!`]
  ])("refuses %s with 401 and a JSON reason", async (_, header) => {
    const call = request(both).post("/x")
    if (header !== undefined) call.set("Authorization", header)
    const res = await call.expect(401)
    expect(res.body.error).toBe("unauthorized")
    expect(typeof res.body.message).toBe("string")
    expect(res.headers["www-authenticate"]).toMatch(/^Basic realm="workbridge-data-actions".*Bearer/)
    expect(JSON.stringify(res.body)).not.toContain(PASSWORD)
    expect(JSON.stringify(res.body)).not.toContain(TOKEN)
  })

  it("takes the Basic credential with or without base64 padding, and a non-ASCII password by its UTF-8 bytes", async () => {
    const padded = Buffer.from(`${USER}:${PASSWORD}`).toString("base64")
    expect(padded.endsWith("=")).toBe(true)
    await request(both)
      .post("/x")
      .set("Authorization", `Basic ${padded.replace(/=+$/, "")}`)
      .expect(200)
    const app = appWith({ basicAuth: "agent:pässwört" })
    await request(app)
      .post("/x")
      .set("Authorization", `Basic ${Buffer.from("agent:pässwört", "utf8").toString("base64")}`)
      .expect(200)
    await request(app)
      .post("/x")
      .set("Authorization", `Basic ${Buffer.from("agent:pässwört", "latin1").toString("base64")}`)
      .expect(401)
  })

  it("refuses another base64 spelling of the same bytes (non-zero trailing bits, base64url)", async () => {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    const padded = Buffer.from(`${USER}:${PASSWORD}`).toString("base64")
    const last = padded.length - 2
    const variant = `${padded.slice(0, last)}${alphabet[alphabet.indexOf(padded[last]!) + 1]}=`
    expect(Buffer.from(variant, "base64").toString()).toBe(`${USER}:${PASSWORD}`)
    await request(both).post("/x").set("Authorization", `Basic ${variant}`).expect(401)
    const withUrlAlphabet = appWith({ basicAuth: "u:?>?>" })
    const standard = Buffer.from("u:?>?>").toString("base64")
    expect(standard).toMatch(/[+/]/)
    await request(withUrlAlphabet).post("/x").set("Authorization", `Basic ${standard}`).expect(200)
    await request(withUrlAlphabet)
      .post("/x")
      .set("Authorization", `Basic ${Buffer.from("u:?>?>").toString("base64url")}`)
      .expect(401)
  })

  it("keeps accepting a credential it has seen, refuses the others every time, past the remembered count", async () => {
    const app = appWith({ basicAuth: `${USER}:${PASSWORD}` })
    const encoded = Buffer.from(`${USER}:${PASSWORD}`).toString("base64")
    // Distinct spellings of the same credential (the scheme's case, padding, trailing spaces), more than are kept.
    const spellings = ["Basic", "basic", "BASIC", "bASIC", "BaSiC", "bAsIc"].flatMap((scheme) =>
      [encoded, encoded.replace(/=+$/, ""), `${encoded}  `].map((credentials) => `${scheme} ${credentials}`)
    )
    expect(new Set(spellings).size).toBeGreaterThan(ACCEPTED_HEADERS_KEPT)
    for (const round of [1, 2]) {
      for (const header of spellings) {
        await request(app).post("/x").set("Authorization", header).expect(200, { ok: true })
        const wrong = `${header.slice(0, -3)}${header.endsWith("A") ? "B" : "A"}  `
        const res = await request(app).post("/x").set("Authorization", wrong)
        expect(res.status, `round ${round}: ${wrong}`).toBe(401)
      }
    }
  })

  it("refuses a bearer token when only Basic auth is configured", async () => {
    const app = appWith({ basicAuth: `${USER}:${PASSWORD}` })
    const res = await request(app).post("/x").set("Authorization", `Bearer ${PASSWORD}`).expect(401)
    expect(res.headers["www-authenticate"]).not.toMatch(/Bearer/)
    await request(app).post("/x").auth(USER, PASSWORD).expect(200)
  })

  it("refuses everything, saying what to set, when no credential is configured", async () => {
    const res = await request(appWith({})).post("/x").auth(USER, PASSWORD).expect(401)
    expect(res.body.message).toMatch(/WORKBRIDGE_DATA_ACTION_BASIC_AUTH or WORKBRIDGE_DATA_ACTION_TOKEN/)
  })

  it.each([["nocolon-zq7"], [":hunter2-zq7"], ["operator-zq7:"]])(
    "refuses a malformed basicAuth %s, naming the variable only",
    (value) => {
      expect(() => requireDataActionAuth({ basicAuth: value })).toThrow(/WORKBRIDGE_DATA_ACTION_BASIC_AUTH/)
      try {
        requireDataActionAuth({ basicAuth: value })
      } catch (error) {
        expect(String(error)).not.toContain(value)
      }
    }
  )

  it("refuses a short or spaced bearer token, naming the variable only", () => {
    for (const value of ["short", "has a space in the token"]) {
      let message = ""
      try {
        requireDataActionAuth({ bearerToken: value })
      } catch (error) {
        message = error instanceof Error ? error.message : String(error)
      }
      expect(message).toMatch(/^WORKBRIDGE_DATA_ACTION_TOKEN/)
      expect(message).not.toContain(value)
    }
  })
})
