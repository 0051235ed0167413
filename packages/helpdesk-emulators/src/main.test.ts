import { describe, expect, it } from "vitest"
import { emulatorOptionsFromEnv } from "./main.js"

describe("emulatorOptionsFromEnv", () => {
  it("points each emulator at <base>/<source> with the service's webhook credentials for that source", () => {
    const o = emulatorOptionsFromEnv({
      HELPDESK_EMULATOR_WEBHOOK_BASE: "http://127.0.0.1:9999/webhooks/",
      WEBHOOK_SECRET_ZENDESK: "zd",
      WEBHOOK_TOKEN_SERVICENOW: "X-Workbridge-Token:tok",
      HELPDESK_EMULATOR_PORT_GITHUB: "0",
      HELPDESK_EMULATOR_DROP_WEBHOOKS: "0.1"
    })
    expect(o.zendesk).toEqual({
      port: 9301,
      webhook: { url: "http://127.0.0.1:9999/webhooks/zendesk", credentials: { secret: "zd" }, dropShare: 0.1 }
    })
    expect(o.servicenow.webhook?.credentials).toEqual({ token: { header: "X-Workbridge-Token", value: "tok" } })
    expect(o.github.port).toBe(0)
  })

  it("names a bad variable", () => {
    expect(() => emulatorOptionsFromEnv({ HELPDESK_EMULATOR_PORT_JIRA: "70000" })).toThrow(
      "HELPDESK_EMULATOR_PORT_JIRA must be a port number 0..65535"
    )
    expect(() => emulatorOptionsFromEnv({ HELPDESK_EMULATOR_WEBHOOK_BASE: "nowhere" })).toThrow(
      /^HELPDESK_EMULATOR_WEBHOOK_BASE must be/
    )
  })
})
