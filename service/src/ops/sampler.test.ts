import { describe, expect, it } from "vitest"
import { html, unsafeRaw } from "./html.js"
import { ServiceMetrics } from "../observability/Metrics.js"
import { histogramQuantile, OpsSampler, type Reading, readMetrics } from "./sampler.js"
import { type Overview, overviewLive } from "./views.js"

const BOUNDS = [0.1, 0.5, 1, 5, Number.POSITIVE_INFINITY]
const reading = (calls: number, rateLimited: number, lagCounts: ReadonlyArray<number>): Reading => ({
  calls,
  rateLimited,
  lagBounds: BOUNDS,
  lagCounts
})
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0)

describe("histogramQuantile", () => {
  it("interpolates inside the bucket holding the rank, as Prometheus does", () => {
    // 10 events: 4 ≤ 0.1 s, 4 in (0.1, 0.5], 2 in (0.5, 1].
    expect(histogramQuantile(0.5, BOUNDS, [4, 8, 10, 10, 10])).toBeCloseTo(0.2)
    expect(histogramQuantile(0.95, BOUNDS, [4, 8, 10, 10, 10])).toBeCloseTo(0.875)
  })
  it("answers the largest finite bound for a rank in +Inf, and nothing for no events", () => {
    expect(histogramQuantile(0.95, BOUNDS, [0, 0, 0, 0, 3])).toBe(5)
    expect(histogramQuantile(0.5, BOUNDS, [0, 0, 0, 0, 0])).toBeUndefined()
  })
})

describe("OpsSampler", () => {
  it("turns counter growth into calls and 429s per minute, the current minute last", () => {
    const s = new OpsSampler(async () => reading(0, 0, [0, 0, 0, 0, 0]))
    s.add(reading(100, 0, [0, 0, 0, 0, 0]), T0)
    s.add(reading(130, 2, [0, 0, 0, 0, 0]), T0 + 10_000)
    s.add(reading(150, 2, [0, 0, 0, 0, 0]), T0 + 70_000)
    const minutes = s.callsPerMinute(T0 + 70_000)
    expect(minutes).toHaveLength(60)
    expect(minutes.slice(-2)).toEqual([
      { minute: T0, calls: 30, rateLimited: 2 },
      { minute: T0 + 60_000, calls: 20, rateLimited: 0 }
    ])
  })

  it("computes the sync lag over the last five minutes only", () => {
    const s = new OpsSampler(async () => reading(0, 0, [0, 0, 0, 0, 0]))
    s.add(reading(0, 0, [0, 0, 0, 0, 0]), T0)
    // Ten slow events (1–5 s) six minutes ago, then ten fast ones (≤ 0.1 s).
    s.add(reading(0, 0, [0, 0, 0, 10, 10]), T0 + 10_000)
    s.add(reading(0, 0, [10, 10, 10, 20, 20]), T0 + 370_000)
    const lag = s.lag(T0 + 370_000)
    expect(lag?.count).toBe(10)
    expect(lag?.p95).toBeCloseTo(0.095)
    expect(s.lag(T0 + 370_000 + 300_000)).toBeUndefined()
  })
})

describe("readMetrics", () => {
  it("counts the calls sent to Genesys: not logins, not calls held back by a scoped 429 pause", async () => {
    const metrics = new ServiceMetrics()
    metrics.genesysCalls.inc({ operation: "updateWorkitem", outcome: "ok" }, 3)
    metrics.genesysCalls.inc({ operation: "createWorkitem", outcome: "RateLimited" })
    metrics.genesysCalls.inc({ operation: "login", outcome: "ok" })
    metrics.genesysCalls.inc({ operation: "updateWorkitem", outcome: "HeldBack" }, 5)
    metrics.rateLimited.inc()
    const r = await readMetrics(metrics)
    expect({ calls: r.calls, rateLimited: r.rateLimited }).toEqual({ calls: 4, rateLimited: 1 })
  })
})

describe("overviewLive", () => {
  const base = (extra: Partial<Overview>): Overview => ({
    at: new Date(T0),
    inboxDepth: 0,
    oldestAgeSeconds: 0,
    lag: undefined,
    minutes: [{ minute: T0, calls: 3, rateLimited: 1 }],
    budgetPerMinute: 300,
    budgetTokens: 10,
    pausedUntil: 0,
    pauseScope: "every Genesys call of this process",
    deadLetters: 0,
    readiness: { inbox: "ok", genesys: "ok" },
    figuresScope: "",
    ...extra
  })
  it("shows a long scoped 429 pause (the daily creates limit) instead of saying no pause is in force", () => {
    const page = overviewLive(base({ scopedPauses: [{ scope: "creates", until: T0 + 3_600_000 }] })).value
    expect(page).toContain("workitem creations paused until 13:00:00 UTC")
    expect(page).not.toContain("no pause in force")
  })
  it("says no pause is in force when neither the token nor a scope is paused", () => {
    const page = overviewLive(base({ scopedPauses: [{ scope: "updates", until: T0 - 1 }] })).value
    expect(page).toContain("no pause in force")
    expect(page).not.toContain("paused until")
  })
})

describe("html", () => {
  it("escapes interpolated text and attribute values but not nested html or fixed markup", () => {
    const evil = `"><script>alert('x')</script>&`
    expect(html`<a title="${evil}">${evil}</a>`.value).toBe(
      '<a title="&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;">&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;</a>'
    )
    expect(html`<p>${html`<b>${"<i>"}</b>`}${unsafeRaw("<br>")}${[1, "<", undefined, false]}</p>`.value).toBe(
      "<p><b>&lt;i&gt;</b><br>1&lt;</p>"
    )
  })
})
