/**
 * What `pnpm data-action:export` does, as functions the script calls and the tests drive: parse the arguments,
 * then write one export/import JSON file per action.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises"
import { basename, resolve } from "node:path"
import type { Catalog } from "@workbridge/catalog"
import { defaultCatalog, parseCatalogFile } from "@workbridge/catalog"
import { Either } from "effect"
import type { DataActionCredentialType } from "@workbridge/data-actions"
import { buildDataActionDefinitions, exportFileName } from "@workbridge/data-actions"

export interface ExportOptions {
  /** Target directory, relative to the working directory or absolute. */
  readonly out: string
  readonly baseUrl: string
  readonly credentialType: DataActionCredentialType
  readonly timeoutSeconds?: number
  /** The deployment's catalog override file (as `WORKBRIDGE_CATALOG_FILE`); the default catalog when absent. */
  readonly catalogFile?: string
}

export const DEFAULT_EXPORT_DIR = "data-actions"

export const EXPORT_USAGE = `Usage: pnpm data-action:export [--out DIR] [--base-url URL] [--catalog FILE] [--credential basicAuth|bearerToken] [--timeout SECONDS]

Writes the Workbridge Data Action definitions (Genesys export/import format) to DIR (default ${DEFAULT_EXPORT_DIR}/).
  --out DIR           target directory (created if missing)
  --base-url URL      the service's public URL; default: WORKBRIDGE_PUBLIC_URL
  --catalog FILE      the deployment's catalog overrides (.json/.yaml); default: WORKBRIDGE_CATALOG_FILE, else the default catalog
  --credential TYPE   basicAuth (default) or bearerToken (a userDefined credential with a "token" field)
  --timeout SECONDS   Genesys-side timeout of each action, 1-15 (default 10)
`

export type ParsedArgs =
  | { readonly _tag: "Options"; readonly options: ExportOptions }
  | { readonly _tag: "Help"; readonly text: string }
  | { readonly _tag: "Invalid"; readonly message: string }

/** Parse `--flag value` / `--flag=value` arguments; errors name the flag or variable. */
export const parseExportArgs = (
  argv: ReadonlyArray<string>,
  env: Readonly<Record<string, string | undefined>>
): ParsedArgs => {
  const values = new Map<string, string>()
  const known = ["--out", "--base-url", "--catalog", "--credential", "--timeout"]
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? ""
    if (arg === "--help" || arg === "-h") return { _tag: "Help", text: EXPORT_USAGE }
    const eq = arg.indexOf("=")
    const flag = eq === -1 ? arg : arg.slice(0, eq)
    if (!known.includes(flag)) return { _tag: "Invalid", message: `unknown argument "${arg}"\n${EXPORT_USAGE}` }
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1)
    if (value === undefined || value === "" || (eq === -1 && value.startsWith("--"))) {
      return { _tag: "Invalid", message: `${flag} needs a value` }
    }
    values.set(flag, value)
  }
  const baseUrl = values.get("--base-url") ?? env.WORKBRIDGE_PUBLIC_URL
  if (baseUrl === undefined || baseUrl.trim() === "") {
    return {
      _tag: "Invalid",
      message: "the service's public URL is needed: pass --base-url or set WORKBRIDGE_PUBLIC_URL"
    }
  }
  const credential = values.get("--credential") ?? "basicAuth"
  if (credential !== "basicAuth" && credential !== "bearerToken") {
    return { _tag: "Invalid", message: `--credential must be basicAuth or bearerToken, got "${credential}"` }
  }
  const timeout = values.get("--timeout")
  const timeoutSeconds = timeout === undefined ? undefined : Number(timeout)
  if (timeoutSeconds !== undefined && !Number.isFinite(timeoutSeconds)) {
    return { _tag: "Invalid", message: `--timeout must be a number of seconds, got "${timeout}"` }
  }
  const catalogFile = values.get("--catalog") ?? (env.WORKBRIDGE_CATALOG_FILE?.trim() || undefined)
  return {
    _tag: "Options",
    options: {
      out: values.get("--out") ?? DEFAULT_EXPORT_DIR,
      baseUrl: baseUrl.trim(),
      credentialType: credential,
      ...(timeoutSeconds === undefined ? {} : { timeoutSeconds }),
      ...(catalogFile === undefined ? {} : { catalogFile })
    }
  }
}

export interface WrittenFile {
  readonly path: string
  readonly name: string
}

/** The catalog of an override file, or the default catalog; errors name `--catalog`/`WORKBRIDGE_CATALOG_FILE`. */
export const loadExportCatalog = async (file: string | undefined, cwd: string): Promise<Catalog> => {
  if (file === undefined) return defaultCatalog
  let text: string
  try {
    text = await readFile(resolve(cwd, file), "utf8")
  } catch (error) {
    const reason = error instanceof Error && "code" in error ? String(error.code) : "unreadable"
    throw new Error(`--catalog / WORKBRIDGE_CATALOG_FILE: cannot read ${file} (${reason})`)
  }
  const parsed = parseCatalogFile(text, basename(file))
  if (Either.isLeft(parsed)) throw new Error(`--catalog / WORKBRIDGE_CATALOG_FILE: ${parsed.left.message}`)
  return parsed.right
}

/**
 * Load the catalog and build the definitions (so nothing is written when an option or the catalog is bad), then
 * write them, pretty-printed, to `options.out` resolved against `cwd`.
 */
export const exportDataActions = async (options: ExportOptions, cwd: string): Promise<ReadonlyArray<WrittenFile>> => {
  const catalog = await loadExportCatalog(options.catalogFile, cwd)
  const definitions = buildDataActionDefinitions(catalog, {
    baseUrl: options.baseUrl,
    credentialType: options.credentialType,
    ...(options.timeoutSeconds === undefined ? {} : { timeoutSeconds: options.timeoutSeconds })
  })
  const dir = resolve(cwd, options.out)
  await mkdir(dir, { recursive: true })
  const written: Array<WrittenFile> = []
  for (const definition of definitions) {
    const path = resolve(dir, exportFileName(definition))
    await writeFile(path, `${JSON.stringify(definition, null, 2)}\n`, "utf8")
    written.push({ path, name: definition.name })
  }
  return written
}
