/**
 * `pnpm data-action:export [--out DIR] [--base-url URL] [--credential basicAuth|bearerToken] [--timeout SECONDS]`
 *
 * Writes the Workbridge Data Action definitions, in the Genesys export/import format, one JSON file per action,
 * for manual import in Admin > Integrations > Actions > Import. The base URL comes from `--base-url` or
 * `WORKBRIDGE_PUBLIC_URL`; the directory defaults to `data-actions/` in the current directory (where `pnpm` was
 * invoked: pnpm runs package scripts in the package folder and passes the original directory as `INIT_CWD`).
 */
import { exportDataActions, parseExportArgs } from "../src/dataActions/export.js"

const main = async (): Promise<number> => {
  const parsed = parseExportArgs(process.argv.slice(2), process.env)
  if (parsed._tag === "Help") {
    process.stdout.write(parsed.text)
    return 0
  }
  if (parsed._tag === "Invalid") {
    process.stderr.write(`data-action:export: ${parsed.message}\n`)
    return 2
  }
  try {
    const written = await exportDataActions(parsed.options, process.env.INIT_CWD ?? process.cwd())
    for (const file of written) process.stdout.write(`wrote ${file.path} (${file.name})\n`)
    return 0
  } catch (error) {
    process.stderr.write(`data-action:export: ${error instanceof Error ? error.message : String(error)}\n`)
    return 1
  }
}

process.exitCode = await main()
