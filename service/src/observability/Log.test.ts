import { Writable } from "node:stream"
import { describe, expect, it } from "vitest"
import { loadConfig } from "../config/Config.js"
import { makeLogger } from "./Log.js"

describe("logger", () => {
  it("redacts secrets, tokens, credentials and authorization headers", () => {
    const lines: Array<string> = []
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString("utf8"))
        cb()
      }
    })
    const log = makeLogger("info", sink)
    const config = loadConfig({
      GENESYS_CLIENT_ID: "client",
      GENESYS_CLIENT_SECRET: "super-secret-1",
      GENESYS_REGION: "mypurecloud.ie",
      WORKBRIDGE_WORKTYPE_ID: "wt",
      WEBHOOK_SECRET_ZENDESK: "super-secret-2",
      WEBHOOK_BASIC_AUTH_SERVICENOW: "user:super-secret-3",
      WORKBRIDGE_DATA_ACTION_TOKEN: "super-secret-4"
    })
    log.info({ config }, "configuration")
    log.info(
      { headers: { authorization: "Bearer super-secret-5" }, token: "super-secret-6", accessToken: "super-secret-7" },
      "request"
    )
    const text = lines.join("")
    expect(text).toContain("[REDACTED]")
    for (let i = 1; i <= 7; i++) expect(text).not.toContain(`super-secret-${i}`)
    expect(text).toContain("mypurecloud.ie")
  })
})
