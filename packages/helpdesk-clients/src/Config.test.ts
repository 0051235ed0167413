import { describe, expect, it } from "vitest"
import { HelpdeskConfigError, helpdeskConfigsFromEnv } from "./Config.js"

const error = (env: Record<string, string>): HelpdeskConfigError => {
  try {
    helpdeskConfigsFromEnv(env)
  } catch (e) {
    if (e instanceof HelpdeskConfigError) return e
    throw e
  }
  throw new Error("no error")
}

describe("helpdeskConfigsFromEnv", () => {
  it("builds the configuration of every source whose variables are set, and none for the others", () => {
    const configs = helpdeskConfigsFromEnv({
      HELPDESK_URL_ZENDESK: "https://acme.zendesk.com/",
      HELPDESK_USER_ZENDESK: "agent@acme.com",
      HELPDESK_TOKEN_ZENDESK: "zd-token",
      HELPDESK_TOKEN_GITHUB: "ghp_secret",
      HELPDESK_REPO_GITHUB: "acme/support",
      HELPDESK_URL_JIRA: "https://acme.atlassian.net",
      HELPDESK_USER_JIRA: "bot@acme.com",
      HELPDESK_TOKEN_JIRA: "jira-token",
      HELPDESK_JQL_JIRA: "project = SUP"
    })
    expect(configs).toEqual({
      zendesk: { baseUrl: "https://acme.zendesk.com", email: "agent@acme.com", apiToken: "zd-token" },
      github: { token: "ghp_secret", repository: "acme/support" },
      jira: {
        baseUrl: "https://acme.atlassian.net",
        email: "bot@acme.com",
        apiToken: "jira-token",
        jql: "project = SUP"
      }
    })
  })

  it("gives HELPDESK_TIMEOUT_MS to every configured source, and names it when it is not a time it takes", () => {
    const configs = helpdeskConfigsFromEnv({
      HELPDESK_TIMEOUT_MS: "5000",
      HELPDESK_URL_FRESHDESK: "https://acme.freshdesk.com",
      HELPDESK_TOKEN_FRESHDESK: "fd-key",
      HELPDESK_TOKEN_GITHUB: "ghp_secret",
      HELPDESK_REPO_GITHUB: "acme/support"
    })
    expect(configs).toEqual({
      freshdesk: { baseUrl: "https://acme.freshdesk.com", apiKey: "fd-key", timeoutMs: 5000 },
      github: { token: "ghp_secret", repository: "acme/support", timeoutMs: 5000 }
    })
    for (const raw of ["0", "600001", "30s", "1.5", "-1"]) {
      const e = error({ HELPDESK_TIMEOUT_MS: raw, HELPDESK_TOKEN_GITHUB: "ghp_secret", HELPDESK_REPO_GITHUB: "a/b" })
      expect(e.variable).toBe("HELPDESK_TIMEOUT_MS")
      expect(e.message).toBe(
        `HELPDESK_TIMEOUT_MS must be a whole number of milliseconds from 1 to 600000, got "${raw}"`
      )
    }
  })

  it("names the missing variable when a source is half configured", () => {
    const e = error({ HELPDESK_URL_SERVICENOW: "https://acme.service-now.com", HELPDESK_USER_SERVICENOW: "svc" })
    expect(e.variable).toBe("HELPDESK_TOKEN_SERVICENOW")
    expect(e.message).toBe("HELPDESK_TOKEN_SERVICENOW is required when any HELPDESK_*_SERVICENOW variable is set")
  })

  it("refuses a URL carrying credentials without repeating it", () => {
    const e = error({
      HELPDESK_URL_FRESHDESK: "https://key123:X@acme.freshdesk.com",
      HELPDESK_TOKEN_FRESHDESK: "fd-key"
    })
    expect(e.variable).toBe("HELPDESK_URL_FRESHDESK")
    expect(e.message).not.toContain("key123")
  })

  it("refuses a bad GitHub repository and an empty token, naming the variable and never the token", () => {
    expect(error({ HELPDESK_TOKEN_GITHUB: "ghp_secret", HELPDESK_REPO_GITHUB: "just-a-name" }).variable).toBe(
      "HELPDESK_REPO_GITHUB"
    )
    const empty = error({
      HELPDESK_URL_ZENDESK: "https://acme.zendesk.com",
      HELPDESK_USER_ZENDESK: "a@b.c",
      HELPDESK_TOKEN_ZENDESK: "  "
    })
    expect(empty.message).toBe("HELPDESK_TOKEN_ZENDESK is set but empty")
    expect(
      error({ HELPDESK_TOKEN_GITHUB: "ghp_secret", HELPDESK_REPO_GITHUB: "a/b", HELPDESK_URL_GITHUB: "not a url" })
        .message
    ).not.toContain("ghp_secret")
  })
})
