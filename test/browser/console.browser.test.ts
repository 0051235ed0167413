/**
 * The operator console in a real browser (headless Chromium) against a running service and the emulator:
 * log in, watch the overview change while a storm arrives, open a ticket's timeline, replay a dead letter and
 * see it applied. Screenshots go to test/browser/results/ (git-ignored).
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { genericBody, type Harness, startHarness } from "@workbridge/service/testing"
import { type Browser, chromium, type Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const TOKEN = "browser-test-admin-token-0123456789"
const RESULTS = fileURLToPath(new URL("./results/", import.meta.url))
const SAMPLES = fileURLToPath(new URL("../../service/samples/", import.meta.url))
const WORKITEMS = /\/api\/v2\/taskmanagement\/workitems$/
const CHROMIUM = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium"

const sample = (name: string): Record<string, unknown> =>
  (JSON.parse(fs.readFileSync(path.join(SAMPLES, `${name}.json`), "utf8")) as { body: Record<string, unknown> }).body

/** Poll `read` until `ok` holds (the page updates itself; nothing here reloads it unless `read` does). */
const until = async <A>(
  what: string,
  read: () => Promise<A>,
  ok: (a: A) => boolean,
  timeoutMs = 30_000
): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  let last: A | undefined
  while (Date.now() < deadline) {
    last = await read()
    if (ok(last)) return last
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`${what}: not reached within ${timeoutMs} ms; last: ${JSON.stringify(last)}`)
}

const number = async (page: Page, testId: string): Promise<number> =>
  Number((await page.getByTestId(testId).innerText()).split("\n")[0]!.trim())

describe("operator console in Chromium", () => {
  let h: Harness
  let browser: Browser
  let page: Page
  const shot = (name: string) => page.screenshot({ path: path.join(RESULTS, `${name}.png`), fullPage: true })

  beforeAll(async () => {
    fs.mkdirSync(RESULTS, { recursive: true })
    if (!fs.existsSync(CHROMIUM))
      throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`)
    // A budget of 600 calls a minute (10 a second) makes the storm queue up long enough to watch.
    h = await startHarness({
      WORKBRIDGE_ADMIN_TOKEN: TOKEN,
      WORKBRIDGE_BUDGET_PER_MINUTE: "600",
      WORKBRIDGE_BUDGET_BURST: "5"
    })
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-dev-shm-usage"]
    })
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  })
  afterAll(async () => {
    await browser?.close()
    await h?.close()
  })

  it("logs in with the admin token", async () => {
    await page.goto(`${h.service.url}/ops`)
    expect(new URL(page.url()).pathname).toBe("/ops/login")
    await page.getByLabel("Admin token").fill("wrong-token-wrong-token")
    await page.getByRole("button", { name: "Log in" }).click()
    await expect(page.getByRole("alert").innerText()).resolves.toContain("not the admin token")
    await page.getByLabel("Admin token").fill(TOKEN)
    await page.keyboard.press("Enter")
    await page.waitForURL(`${h.service.url}/ops`)
    await expect(page.getByRole("heading", { level: 1 }).innerText()).resolves.toBe("Overview")
    await shot("01-overview-idle")
  })

  it("shows the overview change as a storm arrives", async () => {
    expect(await number(page, "inbox-depth")).toBe(0)
    // Genesys answers two creates with 429 during the storm.
    h.emulator.faults.add({ kind: "rateLimit", path: WORKITEMS, method: "POST", retryAfterSeconds: 1, count: 2 })
    const posts: Array<Promise<unknown>> = []
    for (let rev = 1; rev <= 2; rev++)
      for (let t = 0; t < 60; t++) posts.push(h.post(genericBody({ ticketId: `STORM-${t}`, rev })))
    await Promise.all(posts)
    // The live figures update without a reload.
    const depth = await until(
      "inbox depth rises",
      () => number(page, "inbox-depth"),
      (n) => n > 0
    )
    expect(depth).toBeGreaterThan(0)
    await shot("02-overview-storm")
    await until(
      "inbox drains",
      () => number(page, "inbox-depth"),
      (n) => n === 0,
      60_000
    )
    const desc = await page.locator("#budget-desc").textContent()
    const calls = Number(/^(\d+) calls/.exec(desc ?? "")?.[1] ?? "0")
    expect(calls).toBeGreaterThanOrEqual(60)
    expect(desc).toMatch(/; [1-9]\d* answered 429/)
    await shot("03-overview-after-storm")
  })

  it("opens a ticket's timeline", async () => {
    await h.post(sample("generic-ticket-created"))
    await until(
      "demo applied",
      () => statusOf(h, "DEMO-1"),
      (s) => s?.workitemId !== undefined && s.pendingEvents === 0
    )
    await h.post(sample("generic-ticket-updated"))
    await until(
      "demo update applied",
      () => statusOf(h, "DEMO-1"),
      (s) => s?.pendingEvents === 0 && s.appliedRevision?.startsWith("0000000000000002") === true
    )
    // The same delivery again (a helpdesk retry): deduplicated.
    await h.post(sample("generic-ticket-updated"))
    await page.getByRole("link", { name: "Ticket" }).click()
    await page.getByLabel("Source").selectOption("generic")
    await page.getByLabel("Ticket id").fill("DEMO-1")
    await page.getByRole("button", { name: "Show timeline" }).click()
    await expect(page.getByRole("heading", { level: 1 }).innerText()).resolves.toBe("Ticket generic/DEMO-1")
    const workitem = await page.getByTestId("workitem-id").innerText()
    expect(workitem).toBe((await statusOf(h, "DEMO-1"))?.workitemId)
    const kinds = await page.locator("[data-testid=timeline] .kind").allInnerTexts()
    expect(kinds.filter((k) => k !== "Genesys call")).toEqual([
      "received",
      "applied",
      "received",
      "applied",
      "duplicate"
    ])
    expect(kinds).toContain("Genesys call")
    await shot("04-ticket-timeline")
  })

  it("replays a dead letter and sees it applied", async () => {
    h.emulator.faults.add({ kind: "status", status: 400, path: WORKITEMS, method: "POST", count: 1 })
    await h.post(genericBody({ ticketId: "DEAD-1", rev: 1 }))
    await until(
      "dead letter",
      () => statusOf(h, "DEAD-1"),
      (s) => s?.lastError !== undefined
    )
    await page.getByRole("link", { name: "Dead letters" }).click()
    await page.getByLabel("Reason").selectOption("GenesysBadRequest")
    await page.getByRole("button", { name: "Filter" }).click()
    const row = page.locator("tr", { hasText: "generic/DEAD-1" })
    await row.getByRole("checkbox").check()
    await shot("05-dead-letters")
    await page.getByRole("button", { name: "Replay selected…" }).click()
    await expect(page.getByRole("heading", { level: 1 }).innerText()).resolves.toBe("Replay 1 dead letter?")
    await page.getByRole("button", { name: "Confirm: replay 1" }).click()
    await expect(page.getByRole("status").innerText()).resolves.toBe("1 dead letter replayed.")
    await page.goto(`${h.service.url}/ops/ticket?source=generic&id=DEAD-1`)
    await until(
      "replayed event applied",
      async () => {
        await page.reload()
        return page.locator("[data-testid=timeline] .kind").allInnerTexts()
      },
      (kinds) => kinds.includes("applied")
    )
    const kinds = (await page.locator("[data-testid=timeline] .kind").allInnerTexts()).filter(
      (k) => k !== "Genesys call"
    )
    expect(kinds).toEqual(["received", "dead letter", "requeued", "applied"])
    await expect(page.getByTestId("workitem-id").innerText()).resolves.toMatch(/^[0-9a-f-]{36}$/)
    await shot("06-dead-letter-replayed")
  })
})

const statusOf = async (h: Harness, ticketId: string) => {
  const r = await fetch(`${h.service.url}/tickets/generic/${ticketId}`, {
    headers: { authorization: `Bearer ${TOKEN}` }
  })
  return r.status === 200
    ? ((await r.json()) as { workitemId?: string; appliedRevision?: string; pendingEvents: number; lastError?: string })
    : undefined
}
