import { describe, expect, it } from "vitest"
import { sourceEnvSuffix, sourceVariable } from "./envNames.js"

describe("per-source variable names", () => {
  it("upper-cases the built-in sources' names", () => {
    expect(sourceVariable("WEBHOOK_SECRET", "zendesk")).toBe("WEBHOOK_SECRET_ZENDESK")
    expect(sourceVariable("HELPDESK_URL", "servicenow")).toBe("HELPDESK_URL_SERVICENOW")
    expect(sourceVariable("WORKBRIDGE_RECONCILE_INTERVAL", "github")).toBe("WORKBRIDGE_RECONCILE_INTERVAL_GITHUB")
  })

  it("writes every character other than a letter or digit as an underscore", () => {
    expect(sourceVariable("WEBHOOK_TOKEN", "my-source")).toBe("WEBHOOK_TOKEN_MY_SOURCE")
    expect(sourceEnvSuffix("acme.support")).toBe("ACME_SUPPORT")
    expect(sourceEnvSuffix("a b/c:d")).toBe("A_B_C_D")
    expect(sourceEnvSuffix("crm2-eu_west")).toBe("CRM2_EU_WEST")
    expect(sourceEnvSuffix("café")).toBe("CAF_")
  })
})
