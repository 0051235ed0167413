import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const script = fileURLToPath(new URL("./outputs-to-env.ts", import.meta.url))

const run = (stdin: string): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ["--import", "tsx", script],
      { timeout: 60_000 },
      (err, stdout, stderr) => {
        resolve({ code: err === null ? 0 : ((err as { code?: number }).code ?? 1), stdout, stderr })
      }
    )
    child.stdin?.end(stdin)
  })

describe("bin/outputs-to-env", () => {
  it("turns `pulumi stack output --show-secrets --json` into the service's .env", async () => {
    const outputs = { region: "mypurecloud.ie", worktypeId: "wt", workbinId: "wb", clientId: "c", clientSecret: "s" }
    const res = await run(JSON.stringify(outputs))
    expect(res.code).toBe(0)
    expect(res.stdout).toContain("GENESYS_CLIENT_SECRET=s\n")
    expect(res.stdout).toContain("WORKBRIDGE_WORKTYPE_ID=wt\n")
  }, 70_000)

  it("fails with a clear message on hidden secrets", async () => {
    const res = await run(
      JSON.stringify({ region: "r.example", worktypeId: "wt", clientId: "c", clientSecret: "[secret]" })
    )
    expect(res.code).not.toBe(0)
    expect(res.stderr).toContain('"clientSecret" is hidden; run with --show-secrets')
    expect(res.stdout).toBe("")
  }, 70_000)
})
