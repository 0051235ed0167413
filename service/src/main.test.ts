/**
 * `main.ts` as operators run it (a child process): a `WORKBRIDGE_WORKTYPE_NAME` that names no worktype in the org is
 * a configuration error — exit code 2 and a message naming the variable — while a name that exists starts the service.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import type { Emulator } from "@workbridge/genesys-emulator"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { DEFAULT_WORKTYPE_NAME, type Provisioned } from "@workbridge/genesys"
import { type ServiceProcess, spawnService, stopServices } from "./testing/child.js"
import { baseEnv, startEmulatorAndProvision } from "./testing/harness.js"

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
