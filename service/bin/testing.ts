/** Tests of the bin scripts: run one the way its pnpm script does (tsx), from service/, as a child process. */
import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"

export const SERVICE_DIR = fileURLToPath(new URL("../", import.meta.url))

/** Run `script` with `args` and only PATH, HOME and `env` in its environment. */
export const runBin = (
  script: string,
  args: ReadonlyArray<string>,
  env: Readonly<Record<string, string>> = {}
): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", script, ...args],
      { cwd: SERVICE_DIR, env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", ...env } },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1
        resolve({ code, stdout, stderr })
      }
    )
  })
