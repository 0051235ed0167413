/**
 * `main.ts` as operators run it (a child process): a `WORKBRIDGE_WORKTYPE_NAME` that names no worktype in the org is
 * a configuration error — exit code 2 and a message naming the variable — while a name that exists starts the service;
 * any other failure to start exits 1, and a SIGTERM during start-up stops what had started and exits 0.
 */
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import type { Emulator } from "@workbridge/genesys-emulator"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { DEFAULT_WORKTYPE_NAME, type Provisioned } from "@workbridge/genesys"
import { type ServiceProcess, spawnService, stopServices } from "../src/testing/child.js"
import { baseEnv, startEmulatorAndProvision } from "../src/testing/harness.js"

let emulator: Emulator
let provisioned: Provisioned
const dirs: Array<string> = []
const running: Array<ServiceProcess> = []

beforeAll(async () => {
  ;({ emulator, provisioned } = await startEmulatorAndProvision())
})
afterEach(() => stopServices(running))
afterAll(async () => {
  await emulator?.close()
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true })
})

/** The harness environment with the worktype given by name instead of id. */
const envNaming = (worktypeName: string): Record<string, string> => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "wb-main-"))
  dirs.push(dataDir)
  const { WORKBRIDGE_WORKTYPE_ID: _id, ...env } = baseEnv(emulator, provisioned, dataDir)
  return { ...env, WORKBRIDGE_WORKTYPE_NAME: worktypeName }
}

const spawn = (env: Record<string, string>) => {
  const p = spawnService(env)
  running.push(p)
  return p
}

describe("main: WORKBRIDGE_WORKTYPE_NAME", () => {
  it("exits with code 2 and a configuration error naming the variable when no worktype has that name", async () => {
    const p = spawn(envNaming("No such worktype"))
    const { code } = await p.exited
    expect(code).toBe(2)
    expect(p.output()).toContain("workbridge: configuration error: WORKBRIDGE_WORKTYPE_NAME")
    expect(p.output()).toContain(`no worktype named "No such worktype"`)
    expect(p.output()).not.toContain("failed to start")
  })

  it("starts on a worktype that exists under that name", async () => {
    const p = spawn(envNaming(DEFAULT_WORKTYPE_NAME))
    const url = await p.ready
    const res = await fetch(`${url}/readyz`)
    expect(res.status).toBe(200)
  })
})

const freshDataDir = () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "wb-main-"))
  dirs.push(dataDir)
  return dataDir
}

describe("main: failed start and shutdown", () => {
  it("exits with code 1 and says why when the port is taken (a failed start, not a configuration error)", async () => {
    const taken = net.createServer()
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve))
    try {
      const port = (taken.address() as net.AddressInfo).port
      const p = spawn({ ...baseEnv(emulator, provisioned, freshDataDir()), PORT: String(port), HOST: "127.0.0.1" })
      const { code } = await p.exited
      expect(code).toBe(1)
      expect(p.output()).toContain("workbridge: failed to start:")
      expect(p.output()).toContain("EADDRINUSE")
      expect(p.output()).not.toContain("workbridge listening on")
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()))
    }
  })

  it("stops cleanly on a SIGTERM during start-up (the bundled emulator already started) and exits 0", async () => {
    const p = spawn({ PORT: "0", GENESYS_EMULATOR_PORT: "0", WORKBRIDGE_DATA_DIR: freshDataDir() })
    for (let i = 0; i < 1200 && !p.output().includes("using the bundled LOCAL EMULATOR"); i++)
      await new Promise((r) => setTimeout(r, 25))
    expect(p.output()).toContain("using the bundled LOCAL EMULATOR")
    p.child.kill("SIGTERM")
    const { code } = await p.exited
    expect(code).toBe(0)
    expect(p.output()).toContain("workbridge: SIGTERM received, shutting down")
  })
})
