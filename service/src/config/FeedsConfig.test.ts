/** Feed settings from the environment: defaults, durations, and errors that name the variable without its secret. */
import { describe, expect, it } from "vitest"
import {
  ConfigError,
  DEFAULT_GENESYS_RECONCILE_INTERVAL_MS,
  DEFAULT_RECONCILE_INTERVAL_MS,
  DEFAULT_WRITE_BUDGET_PER_MINUTE,
  feedSettingsFromEnv
} from "./Config.js"

const freshdesk = { HELPDESK_URL_FRESHDESK: "https://acme.freshdesk.com", HELPDESK_TOKEN_FRESHDESK: "fd-secret-key" }
const github = { HELPDESK_TOKEN_GITHUB: "ghp_secret", HELPDESK_REPO_GITHUB: "octo/helpdesk" }

const error = (env: Record<string, string>): ConfigError => {
  try {
    feedSettingsFromEnv(env)
  } catch (e) {
    if (e instanceof ConfigError) return e
    throw e
  }
  throw new Error("no ConfigError")
}

describe("feed settings", () => {
  it("reconciles every source with API credentials every 15 minutes, and fetches on notify for Freshdesk only, by default", () => {
    const s = feedSettingsFromEnv({ ...freshdesk, ...github })
    expect(s.reconcileIntervalMs).toEqual({
      freshdesk: DEFAULT_RECONCILE_INTERVAL_MS,
      github: DEFAULT_RECONCILE_INTERVAL_MS
    })
    expect(s.fetchOnNotify).toEqual(["freshdesk"])
    expect(feedSettingsFromEnv({})).toEqual({
      helpdesks: {},
      reconcileIntervalMs: {},
      genesysReconcileIntervalMs: DEFAULT_GENESYS_RECONCILE_INTERVAL_MS,
      fetchOnNotify: [],
      writeBack: {}
    })
  })

  it("writes back to every source with API credentials within its default budget, unless turned off", () => {
    expect(feedSettingsFromEnv({ ...freshdesk, ...github }).writeBack).toEqual({
      freshdesk: { perMinute: DEFAULT_WRITE_BUDGET_PER_MINUTE.freshdesk },
      github: { perMinute: DEFAULT_WRITE_BUDGET_PER_MINUTE.github }
    })
    const s = feedSettingsFromEnv({
      ...freshdesk,
      ...github,
      WORKBRIDGE_WRITE_BACK_FRESHDESK: "false",
      WORKBRIDGE_WRITE_BUDGET_GITHUB: "5",
      WORKBRIDGE_WORKITEM_URL: "https://apps.mypurecloud.com/workitems/{id}"
    })
    expect(s.writeBack).toEqual({ github: { perMinute: 5 } })
    expect(s.workitemUrl).toBe("https://apps.mypurecloud.com/workitems/{id}")
    expect(error({ ...github, WORKBRIDGE_WRITE_BUDGET_GITHUB: "0" }).variable).toBe("WORKBRIDGE_WRITE_BUDGET_GITHUB")
    expect(error({ ...github, WORKBRIDGE_WRITE_BACK_GITHUB: "sometimes" }).variable).toBe(
      "WORKBRIDGE_WRITE_BACK_GITHUB"
    )
    expect(error({ WORKBRIDGE_WRITE_BACK_ZENDESK: "true" }).message).toMatch(/HELPDESK_URL_ZENDESK/)
    expect(error({ ...github, WORKBRIDGE_WORKITEM_URL: "https://example.com/w" }).variable).toBe(
      "WORKBRIDGE_WORKITEM_URL"
    )
  })

  it("reads a source's assignee map (Genesys user id → agent), naming the variable and the entry when it is bad", () => {
    const s = feedSettingsFromEnv({
      ...freshdesk,
      ...github,
      WORKBRIDGE_ASSIGNEE_MAP_FRESHDESK: '{"2f8c1a52-0c1b-4c7e-9a57-52d7c3a8e901": 153000435734}',
      WORKBRIDGE_ASSIGNEE_MAP_GITHUB: '{"2f8c1a52-0c1b-4c7e-9a57-52d7c3a8e901": "ada-lovelace"}'
    })
    expect(s.writeBack).toEqual({
      freshdesk: {
        perMinute: DEFAULT_WRITE_BUDGET_PER_MINUTE.freshdesk,
        assignees: { "2f8c1a52-0c1b-4c7e-9a57-52d7c3a8e901": "153000435734" }
      },
      github: {
        perMinute: DEFAULT_WRITE_BUDGET_PER_MINUTE.github,
        assignees: { "2f8c1a52-0c1b-4c7e-9a57-52d7c3a8e901": "ada-lovelace" }
      }
    })
    const notJson = error({ ...github, WORKBRIDGE_ASSIGNEE_MAP_GITHUB: "{ada: 1" })
    expect(notJson.variable).toBe("WORKBRIDGE_ASSIGNEE_MAP_GITHUB")
    expect(notJson.message).toMatch(/JSON object of Genesys user ids to helpdesk agents/)
    expect(error({ ...github, WORKBRIDGE_ASSIGNEE_MAP_GITHUB: '["ada"]' }).variable).toBe(
      "WORKBRIDGE_ASSIGNEE_MAP_GITHUB"
    )
    const badAgent = error({ ...freshdesk, WORKBRIDGE_ASSIGNEE_MAP_FRESHDESK: '{"u-1": "ada@example.com"}' })
    expect(badAgent.variable).toBe("WORKBRIDGE_ASSIGNEE_MAP_FRESHDESK")
    expect(badAgent.message).toMatch(/maps "u-1" .*agent id \(a number\), not "ada@example.com"/)
    expect(error({ ...github, WORKBRIDGE_ASSIGNEE_MAP_GITHUB: '{"u-1": true}' }).message).toMatch(
      /maps "u-1" to a boolean/
    )
    expect(error({ WORKBRIDGE_ASSIGNEE_MAP_ZENDESK: '{"u-1": 1}' }).message).toMatch(/HELPDESK_URL_ZENDESK/)
    // Off for the source: the map is read (and checked) but nothing is written back.
    expect(
      feedSettingsFromEnv({ ...github, WORKBRIDGE_WRITE_BACK_GITHUB: "false", WORKBRIDGE_ASSIGNEE_MAP_GITHUB: "{}" })
        .writeBack
    ).toEqual({})
  })

  it("takes intervals with units, 0 turns a source's pass off, and the fetch-on-notify switch both ways", () => {
    const s = feedSettingsFromEnv({
      ...freshdesk,
      ...github,
      WORKBRIDGE_RECONCILE_INTERVAL_FRESHDESK: "0",
      WORKBRIDGE_RECONCILE_INTERVAL_GITHUB: "90s",
      WORKBRIDGE_FETCH_ON_NOTIFY_FRESHDESK: "false",
      WORKBRIDGE_FETCH_ON_NOTIFY_GITHUB: "true"
    })
    expect(s.reconcileIntervalMs).toEqual({ github: 90_000 })
    expect(s.fetchOnNotify).toEqual(["github"])
    expect(feedSettingsFromEnv({ ...github, WORKBRIDGE_RECONCILE_INTERVAL_GITHUB: "2h" }).reconcileIntervalMs).toEqual({
      github: 7_200_000
    })
  })

  it("sets the write-back reconciliation's interval with WORKBRIDGE_RECONCILE_INTERVAL_GENESYS (0: off)", () => {
    const s = feedSettingsFromEnv({ ...github, WORKBRIDGE_RECONCILE_INTERVAL_GENESYS: "5m" })
    expect(s.genesysReconcileIntervalMs).toBe(300_000)
    expect(s.reconcileIntervalMs).toEqual({ github: DEFAULT_RECONCILE_INTERVAL_MS })
    expect(feedSettingsFromEnv({ WORKBRIDGE_RECONCILE_INTERVAL_GENESYS: "0" }).genesysReconcileIntervalMs).toBe(0)
    expect(error({ WORKBRIDGE_RECONCILE_INTERVAL_GENESYS: "often" }).variable).toBe(
      "WORKBRIDGE_RECONCILE_INTERVAL_GENESYS"
    )
    expect(error({ WORKBRIDGE_RECONCILE_INTERVAL_GENSYS: "5m" }).message).toMatch(
      /WORKBRIDGE_RECONCILE_INTERVAL_GENESYS/
    )
  })

  it("names the variable of a bad value, and never repeats a token", () => {
    expect(error({ ...github, WORKBRIDGE_RECONCILE_INTERVAL_GITHUB: "often" }).variable).toBe(
      "WORKBRIDGE_RECONCILE_INTERVAL_GITHUB"
    )
    expect(error({ ...github, WORKBRIDGE_RECONCILE_INTERVAL_GITHUB: "15" }).message).toMatch(/needs a unit/)
    expect(error({ ...github, WORKBRIDGE_FETCH_ON_NOTIFY_GITHUB: "maybe" }).variable).toBe(
      "WORKBRIDGE_FETCH_ON_NOTIFY_GITHUB"
    )
    expect(error({ WORKBRIDGE_RECONCILE_INTERVAL_ZENDESK: "15m" }).message).toMatch(/HELPDESK_URL_ZENDESK/)
    expect(error({ WORKBRIDGE_RECONCILE_INTERVAL_FRESHDSK: "15m" }).variable).toBe(
      "WORKBRIDGE_RECONCILE_INTERVAL_FRESHDSK"
    )
    const missing = error({ HELPDESK_TOKEN_FRESHDESK: "fd-secret-key" })
    expect(missing.variable).toBe("HELPDESK_URL_FRESHDESK")
    expect(missing.message).not.toContain("fd-secret-key")
  })
})
