/**
 * The command line shared by `pnpm backfill` and `pnpm reconcile`: `--source`, `--since`, `--dry-run`, `--url`,
 * `--json` (and `--limit` where the command takes it), the service's URL from `--url`, `$WORKBRIDGE_URL` or
 * `http://127.0.0.1:$PORT`, and `WORKBRIDGE_ADMIN_TOKEN` as a bearer token. Parsed with Node's `util.parseArgs`.
 */
import { parseArgs } from "node:util"

export interface FeedCommand {
  /** The service's base URL, without a trailing slash. */
  readonly url: string
  readonly source: string
  readonly since?: string
  readonly limit?: string
  readonly dryRun: boolean
  readonly json: boolean
  /** `authorization: Bearer <WORKBRIDGE_ADMIN_TOKEN>` when that is set, else nothing. */
  readonly headers: Readonly<Record<string, string>>
}

/** A command line that cannot be used; the message names the flag. */
export class UsageError extends Error {}

/** Parses `argv` (without the node and script paths); `help` when `--help` or `-h` was asked for. */
export const parseFeedCommand = (
  argv: ReadonlyArray<string>,
  env: Readonly<Record<string, string | undefined>>,
  options: { readonly limit: boolean }
): FeedCommand | "help" => {
  let values: Record<string, string | boolean | undefined>
  try {
    values = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        source: { type: "string" },
        since: { type: "string" },
        url: { type: "string" },
        "dry-run": { type: "boolean" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
        ...(options.limit ? { limit: { type: "string" as const } } : {})
      }
    }).values
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e))
  }
  if (values["help"] === true) return "help"
  const source = values["source"] as string | undefined
  const since = values["since"] as string | undefined
  const limit = values["limit"] as string | undefined
  if (source === undefined || !/^[a-z0-9-]{1,64}$/.test(source))
    throw new UsageError("--source <name> is required (a source name such as zendesk)")
  if (since !== undefined && (!/^\d{4}-\d{2}-\d{2}/.test(since) || Number.isNaN(Date.parse(since)))) {
    throw new UsageError(`--since must be an ISO-8601 date, got ${JSON.stringify(since)}`)
  }
  if (limit !== undefined && !/^[1-9]\d{0,8}$/.test(limit))
    throw new UsageError(`--limit must be a positive whole number, got ${JSON.stringify(limit)}`)
  const url = (
    (values["url"] as string | undefined) ??
    env["WORKBRIDGE_URL"] ??
    `http://127.0.0.1:${env["PORT"] ?? "8080"}`
  ).replace(/\/+$/, "")
  const adminToken = env["WORKBRIDGE_ADMIN_TOKEN"]?.trim()
  return {
    url,
    source,
    ...(since !== undefined ? { since } : {}),
    ...(limit !== undefined ? { limit } : {}),
    dryRun: values["dry-run"] === true,
    json: values["json"] === true,
    headers: adminToken !== undefined && adminToken !== "" ? { authorization: `Bearer ${adminToken}` } : {}
  }
}

/** Runs `parseFeedCommand` for a CLI: `--help` prints the usage and exits 0; a usage error exits 2 naming the flag. */
export const feedCommandOrExit = (name: string, usage: string, options: { readonly limit: boolean }): FeedCommand => {
  try {
    const parsed = parseFeedCommand(process.argv.slice(2), process.env, options)
    if (parsed === "help") {
      process.stdout.write(usage)
      process.exit(0)
    }
    return parsed
  } catch (e) {
    process.stderr.write(`${name}: ${e instanceof Error ? e.message : String(e)}\n${usage}`)
    process.exit(2)
  }
}
