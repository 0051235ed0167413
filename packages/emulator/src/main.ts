/**
 * `pnpm emulator`: runs the emulator on GENESYS_EMULATOR_PORT (default 9300) with the admin client from
 * GENESYS_EMULATOR_ADMIN_ID / GENESYS_EMULATOR_ADMIN_SECRET. The defaults are for local use only.
 */
import { type EmulatorOptions, startEmulator } from "./Emulator.js"
import { checkFaultRule } from "./internal/faults.js"

const ENV_INTS = {
  GENESYS_EMULATOR_PORT: "port",
  GENESYS_EMULATOR_TOKEN_TTL_SECONDS: "tokenTtlSeconds",
  GENESYS_EMULATOR_RATE_LIMIT: "rateLimitPerMinute",
  GENESYS_EMULATOR_WORKITEM_UPDATES_PER_MINUTE: "workitemUpdatesPerMinute",
  GENESYS_EMULATOR_DAILY_WORKITEM_CREATES: "dailyWorkitemCreates",
  GENESYS_EMULATOR_DAILY_WORKITEM_UPDATES: "dailyWorkitemUpdates",
  GENESYS_EMULATOR_PERMISSION_DELAY_SECONDS: "permissionDelaySeconds",
  GENESYS_EMULATOR_SEED: "seed"
} as const

/** Reads the emulator's options from the environment; throws an Error naming a bad variable. */
export const optionsFromEnv = (env: Readonly<Record<string, string | undefined>>): EmulatorOptions => {
  const o: EmulatorOptions = { port: 9300, quiet: true }
  for (const [name, key] of Object.entries(ENV_INTS)) {
    const raw = env[name]
    if (raw === undefined || raw === "") continue
    if (!/^\d+$/.test(raw.trim())) throw new Error(`${name} must be a whole number (got "${raw}")`)
    const n = Number(raw.trim())
    const min = key === "port" || key === "seed" || key === "permissionDelaySeconds" ? 0 : 1
    const max =
      key === "port"
        ? 65_535
        : key === "seed"
          ? 2 ** 32 - 1
          : key === "permissionDelaySeconds"
            ? 86_400
            : Number.MAX_SAFE_INTEGER
    if (n < min || n > max) throw new Error(`${name} must be in ${min}..${max} (got ${n})`)
    o[key] = n
  }
  for (const [name, key] of [
    ["GENESYS_EMULATOR_HOST", "host"],
    ["GENESYS_EMULATOR_ADMIN_ID", "adminClientId"],
    ["GENESYS_EMULATOR_ADMIN_SECRET", "adminClientSecret"],
    ["GENESYS_EMULATOR_STATE_FILE", "stateFile"]
  ] as const) {
    const raw = env[name]
    if (raw === undefined) continue
    if (raw.trim() === "") throw new Error(`${name} must not be empty`)
    o[key] = raw
  }
  const faults = env["GENESYS_EMULATOR_FAULTS"]
  if (faults !== undefined && faults.trim() !== "") {
    let parsed: unknown
    try {
      parsed = JSON.parse(faults)
    } catch {
      throw new Error("GENESYS_EMULATOR_FAULTS must be a JSON array of fault rules")
    }
    if (!Array.isArray(parsed)) throw new Error("GENESYS_EMULATOR_FAULTS must be a JSON array of fault rules")
    o.faults = parsed.map((rule: unknown, i) => {
      try {
        const r = checkFaultRule(rule)
        return typeof r.path === "string" ? { ...r, path: new RegExp(r.path) } : r
      } catch (e) {
        throw new Error(`GENESYS_EMULATOR_FAULTS[${i}]: ${e instanceof Error ? e.message : String(e)}`)
      }
    })
  }
  const log = env["GENESYS_EMULATOR_LOG_REQUESTS"]
  if (log !== undefined && log !== "") {
    if (!["true", "false", "1", "0"].includes(log))
      throw new Error(`GENESYS_EMULATOR_LOG_REQUESTS must be true or false (got "${log}")`)
    o.quiet = !(log === "true" || log === "1")
  }
  return o
}

const main = async (): Promise<void> => {
  let options: EmulatorOptions
  try {
    options = optionsFromEnv(process.env)
  } catch (e) {
    process.stderr.write(`genesys-emulator: ${e instanceof Error ? e.message : String(e)}\n`)
    process.exit(2)
  }
  const emu = await startEmulator(options)
  process.stdout.write(
    [
      `Genesys Cloud emulator listening on ${emu.url}`,
      `  admin OAuth client: ${emu.adminClientId} (secret from GENESYS_EMULATOR_ADMIN_SECRET; local default documented in the README)`,
      `  point the SDK at it: client.setGateway({ host: "${new URL(emu.url).hostname}", protocol: "http", port: ${emu.port} })`,
      `  control API: ${emu.url}/__emulator/stats`,
      ""
    ].join("\n")
  )
  const stop = (): void => {
    void emu.close().then(() => process.exit(0))
  }
  process.on("SIGINT", stop)
  process.on("SIGTERM", stop)
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) void main()
