/**
 * Turn the stack outputs into the service's `.env`:
 *   pulumi stack output --show-secrets --json | pnpm --filter @workbridge/infra outputs-to-env > .env
 * or `tsx infra/bin/outputs-to-env.ts outputs.json > .env`.
 */
import { readFileSync } from "node:fs"
import { outputsToEnv } from "../src/build/outputs.js"

const main = (): void => {
  const file = process.argv[2]
  const text = readFileSync(file === undefined || file === "-" ? 0 : file, "utf8")
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new Error("stack outputs: not JSON; pipe `pulumi stack output --show-secrets --json`")
  }
  process.stdout.write(outputsToEnv(json))
}

try {
  main()
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`)
  process.exitCode = 1
}
