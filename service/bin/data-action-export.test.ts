import { execFile } from "node:child_process"
import { mkdtemp, readdir } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { describe, expect, it } from "vitest"

const run = promisify(execFile)
/** The child's environment: no INIT_CWD inherited from a surrounding `pnpm test`, so paths resolve against `cwd`. */
const childEnv = (vars: Record<string, string>): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, ...vars }
  delete env.INIT_CWD
  delete env.WORKBRIDGE_PUBLIC_URL
  delete env.WORKBRIDGE_CATALOG_FILE
  return { ...env, ...vars }
}
const script = fileURLToPath(new URL("./data-action-export.ts", import.meta.url))
const tsx = fileURLToPath(new URL("../../node_modules/.bin/tsx", import.meta.url))

describe("bin/data-action-export", () => {
  it("writes the definitions to --out and prints what it wrote", async () => {
    const cwd = await mkdtemp(join(tmpdir(), "wb-export-bin-"))
    const { stdout } = await run(tsx, [script, "--out", "defs"], {
      cwd,
      env: childEnv({ WORKBRIDGE_PUBLIC_URL: "https://wb.example.com" })
    })
    expect(stdout).toMatch(/^wrote .*defs\/workbridge-normalize-ticket\.json \(Workbridge - Normalize ticket\)$/m)
    expect(stdout).toMatch(/^wrote .*defs\/workbridge-ticket-sync-status\.json/m)
    expect(stdout).toMatch(/^wrote .*defs\/workbridge-workitem-event\.json \(Workbridge - Workitem event\)$/m)
    expect((await readdir(join(cwd, "defs"))).length).toBe(3)
  })

  it("exits 2 with a message naming the variable when no base URL is given", async () => {
    const cwd = await mkdtemp(join(tmpdir(), "wb-export-bin-"))
    await expect(run(tsx, [script], { cwd, env: childEnv({}) })).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining("WORKBRIDGE_PUBLIC_URL")
    })
  })
})
