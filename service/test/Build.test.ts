/**
 * The production build (`pnpm build`, `service/build.ts`): the compiled service starts under plain `node` — no
 * TypeScript loader — and syncs a webhook to a workitem through the Genesys SDK.
 */
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { sign } from "@workbridge/adapters"
import type { Emulator } from "@workbridge/genesys-emulator"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { buildService } from "../build.js"
import type { Provisioned } from "@workbridge/genesys"
import { type ServiceProcess, spawnService, stopServices } from "../src/testing/child.js"
import { baseEnv, genericBody, startEmulatorAndProvision, TEST_SECRET } from "../src/testing/harness.js"
import type { TicketSyncStatus } from "../src/sync/TicketStatus.js"

const SERVICE_DIR = fileURLToPath(new URL("../", import.meta.url))
// Inside service/ (so Node finds its node_modules), apart from `dist/` (a developer's own build is left alone).
const OUT_DIR = path.join(SERVICE_DIR, `.dist-test-${randomBytes(4).toString("hex")}`)

let emulator: Emulator
let provisioned: Provisioned
const running: Array<ServiceProcess> = []
const dirs: Array<string> = [OUT_DIR]

beforeAll(async () => {
  await buildService(OUT_DIR)
  ;({ emulator, provisioned } = await startEmulatorAndProvision())
})
afterEach(() => stopServices(running))
afterAll(async () => {
  await emulator?.close()
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true })
})

describe("production build", () => {
  it("compiles to JavaScript that imports no TypeScript, compiles effect in once and loads the other dependencies from node_modules", () => {
    const files = fs.readdirSync(OUT_DIR, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".js"))
    expect(files).toContain("main.js")
    const code = files.map((f) => fs.readFileSync(path.join(OUT_DIR, f), "utf8")).join("\n")
    expect(code).not.toMatch(/from\s+"[^"]+\.ts"/)
    expect(code).not.toMatch(/from\s+"tsx/)
    expect(code).not.toMatch(/from\s+"@workbridge\//)
    // effect and @effect/* are compiled in, tree-shaken, and nothing imports effect from node_modules: one copy.
    expect(code).not.toMatch(/from\s+"(effect|@effect\/[^"]+)(\/[^"]*)?"/)
    expect(code.match(/^\/\/ \S*node_modules\/effect\/dist\/esm\/internal\/fiberRuntime\.js$/gm)).toHaveLength(1)
    expect(code).not.toMatch(/node_modules\/effect\/dist\/esm\/(Arbitrary|FastCheck)\.js$/m)
    // The Genesys SDK is loaded by Node from node_modules (once), not copied into the output.
    expect(code).toMatch(/from\s+"purecloud-platform-client-v2"/)
    expect(code).not.toContain("function ApiClient(")
  })

  it("starts under plain node and syncs a webhook to a workitem", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "wb-build-"))
    dirs.push(dataDir)
    const p = spawnService({ ...baseEnv(emulator, provisioned, dataDir), LOG_LEVEL: "info" }, [
      path.join(OUT_DIR, "main.js")
    ])
    running.push(p)
    const url = await p.ready
    expect(p.child.spawnargs.some((a) => a.includes("tsx"))).toBe(false)
    const raw = Buffer.from(JSON.stringify(genericBody({ ticketId: "BUILD-1", rev: 1 })))
    const res = await fetch(`${url}/webhooks/generic`, {
      method: "POST",
      headers: sign("generic", raw, { secret: TEST_SECRET }, new Date()),
      body: raw
    })
    expect(res.status).toBe(202)
    let s: TicketSyncStatus | undefined
    for (let i = 0; i < 400 && s?.workitemId === undefined; i++) {
      await new Promise((r) => setTimeout(r, 50))
      const r = await fetch(`${url}/tickets/generic/BUILD-1`)
      s = r.status === 200 ? ((await r.json()) as TicketSyncStatus) : undefined
    }
    expect(s?.workitemId).toEqual(expect.any(String))
    expect(emulator.state.workitems.get(s!.workitemId!)?.name).toBe("Ticket BUILD-1 at revision 1")
    // The start-up log line (written by the logger, after the listening line at the latest) says which code runs.
    expect(p.output()).toMatch(/"code":"compiled"[^\n]*"msg":"workbridge started"/)
  })
})
