/** A small command-line flag parser for the chaos and bench scripts: `--name value` or `--name=value`, and `--help`. */

export interface FlagSpec {
  readonly name: string
  readonly description: string
  readonly default: number | string | boolean
  /** For numbers: the smallest allowed value (default 0). */
  readonly min?: number
  /** For numbers: the largest allowed value. */
  readonly max?: number
}

export type Flags = Record<string, number | string | boolean>

/** Thrown for a bad command line; the message names the flag. */
export class FlagError extends Error {}

/** Usage text listing every flag with its default. */
export const usage = (command: string, summary: string, specs: ReadonlyArray<FlagSpec>): string =>
  [
    `Usage: ${command} [flags]`,
    "",
    summary,
    "",
    ...specs.map((s) => `  --${s.name.padEnd(16)} ${s.description} (default ${String(s.default)})`),
    `  --${"help".padEnd(16)} print this help`
  ].join("\n")

/** Parse argv (without node and the script); returns undefined when --help was asked. */
export const parseFlags = (argv: ReadonlyArray<string>, specs: ReadonlyArray<FlagSpec>): Flags | undefined => {
  const out: Flags = Object.fromEntries(specs.map((s) => [s.name, s.default]))
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === "--help" || arg === "-h") return undefined
    if (arg === "--") continue
    if (!arg.startsWith("--")) throw new FlagError(`unexpected argument "${arg}" (flags look like --tickets 100)`)
    const eq = arg.indexOf("=")
    const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq)
    const spec = specs.find((s) => s.name === name)
    if (spec === undefined) throw new FlagError(`unknown flag --${name} (see --help)`)
    let raw: string | undefined
    if (typeof spec.default === "boolean" && eq < 0 && (argv[i + 1] === undefined || argv[i + 1]!.startsWith("--")))
      raw = "true"
    else raw = eq < 0 ? argv[++i] : arg.slice(eq + 1)
    if (raw === undefined) throw new FlagError(`--${name} needs a value`)
    if (typeof spec.default === "number") {
      const n = Number(raw)
      if (raw.trim() === "" || !Number.isFinite(n)) throw new FlagError(`--${name} must be a number (got "${raw}")`)
      if (n < (spec.min ?? 0) || (spec.max !== undefined && n > spec.max)) {
        throw new FlagError(`--${name} must be between ${spec.min ?? 0} and ${spec.max ?? "∞"} (got ${n})`)
      }
      out[name] = n
    } else if (typeof spec.default === "boolean") {
      if (raw !== "true" && raw !== "false") throw new FlagError(`--${name} must be true or false (got "${raw}")`)
      out[name] = raw === "true"
    } else out[name] = raw
  }
  return out
}
