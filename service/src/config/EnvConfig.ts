/**
 * The pieces the service's configuration is built from: Effect `Config` readers of environment variables by their
 * full names, a provider over an environment record, and the synchronous run that turns the first problem into an
 * error naming its variable.
 *
 * Variables are read by full name (`Config.string("WORKBRIDGE_BUDGET_PER_MINUTE")`), so the provider's path
 * delimiter is `_` — the default of `ConfigProvider.fromEnv` — and `envProvider(env)` uses the same. A blank value
 * counts as unset. A problem is an `InvalidData` whose path is the variable (`variableOf` reads it back).
 */
import {
  Cause,
  Config,
  ConfigError as EffectConfigError,
  ConfigProvider,
  Effect,
  Either,
  Exit,
  HashMap,
  Option
} from "effect"

export type Env = Readonly<Record<string, string | undefined>>

/** A provider over `env`, read the way `ConfigProvider.fromEnv()` reads `process.env`. */
export const envProvider = (env: Env): ConfigProvider.ConfigProvider =>
  ConfigProvider.fromMap(new Map(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined)), {
    pathDelim: "_"
  })

/** A problem with one variable. */
export const invalid = (variable: string, problem: string): EffectConfigError.ConfigError =>
  EffectConfigError.InvalidData([variable], problem)

/** Fail an `Either.gen` with a problem of `variable`. */
export const fail = (variable: string, problem: string): Either.Either<never, EffectConfigError.ConfigError> =>
  Either.left(invalid(variable, problem))

/** `check(value)` with its problem reported against `variable`, for checks inside a `Config.mapOrFail`. */
export const about = <A>(
  variable: string,
  check: Either.Either<A, string>
): Either.Either<A, EffectConfigError.ConfigError> => Either.mapLeft(check, (problem) => invalid(variable, problem))

/** A variable's value as given (untrimmed, blank included), or undefined when it is not set. */
export const raw = (name: string): Config.Config<string | undefined> =>
  Config.option(Config.string(name)).pipe(Config.map(Option.getOrUndefined))

/** A variable's trimmed value, or undefined when it is unset or blank. */
export const text = (name: string): Config.Config<string | undefined> =>
  Config.map(raw(name), (v) => {
    const t = v?.trim()
    return t === undefined || t === "" ? undefined : t
  })

/**
 * A variable checked by `check` (which sees the trimmed value, undefined when unset or blank); its problems are
 * reported against `name`.
 */
export const checked = <A>(
  name: string,
  check: (value: string | undefined) => Either.Either<A, string>
): Config.Config<A> =>
  Config.mapOrFail(text(name), (v) => Either.mapLeft(check(v), (problem) => invalid(name, problem)))

/** Check an integer in [min, max] (undefined when unset): the text of the problem, if any. */
export const toInteger = (
  v: string | undefined,
  min: number,
  max = Number.MAX_SAFE_INTEGER
): Either.Either<number | undefined, string> => {
  if (v === undefined) return Either.right(undefined)
  if (!/^-?\d+$/.test(v)) return Either.left(`must be an integer, got "${v}"`)
  const n = Number(v)
  return n < min || n > max ? Either.left(`must be between ${min} and ${max}, got ${n}`) : Either.right(n)
}

/** Check an integer in [min, max], `fallback` when unset. */
export const toIntegerOr = (
  v: string | undefined,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER
): Either.Either<number, string> => Either.map(toInteger(v, min, max), (n) => n ?? fallback)

/** Check `true`/`false`/`1`/`0` (any case; blank or undefined: unset). */
export const toBoolean = (
  v: string | undefined,
  problem = (got: string) => `must be true or false, got "${got.slice(0, 20)}"`
): Either.Either<boolean | undefined, string> => {
  const lower = v?.trim().toLowerCase()
  if (lower === undefined || lower === "") return Either.right(undefined)
  return ["true", "false", "1", "0"].includes(lower)
    ? Either.right(lower === "true" || lower === "1")
    : Either.left(problem(lower))
}

/** An integer in [min, max], or undefined when unset. */
export const integer = (name: string, min: number, max = Number.MAX_SAFE_INTEGER): Config.Config<number | undefined> =>
  checked(name, (v) => toInteger(v, min, max))

/** An integer in [min, max], `fallback` when unset. */
export const integerOr = (
  name: string,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER
): Config.Config<number> => Config.map(integer(name, min, max), (n) => n ?? fallback)

/** `true`/`false`/`1`/`0` (any case), or undefined when unset. */
export const boolean = (name: string, problem?: (got: string) => string): Config.Config<boolean | undefined> =>
  checked(name, (v) => toBoolean(v, problem))

/** The variables below `prefix` (segments after it, each found variable's value as given). */
type Found = ReadonlyArray<readonly [ReadonlyArray<string>, string]>

const below: Config.Config<Found> = Config.suspend(() =>
  Config.all([Config.option(Config.string()), Config.hashMap(below)]).pipe(
    Config.map(
      ([here, children]): Found => [
        ...(Option.isSome(here) ? [[[], here.value] as const] : []),
        ...Array.from(HashMap.toEntries(children)).flatMap(([key, found]) =>
          found.map(([rest, value]) => [[key, ...rest], value] as const)
        )
      ]
    )
  )
)

/**
 * Every variable named `<prefix>_<suffix>` (a non-empty suffix), as `[full name, value as given]`, sorted by name:
 * the per-source variables (`WEBHOOK_SECRET_<SOURCE>`, …) whose sources are not known in advance.
 */
export const withPrefix = (prefix: string): Config.Config<ReadonlyArray<readonly [string, string]>> =>
  prefix
    .split("_")
    .reduceRight((config, segment) => Config.nested(config, segment), below)
    .pipe(
      Config.map((found) =>
        found
          .filter(([rest]) => rest.length > 0 && rest.join("_") !== "")
          .map(([rest, value]) => [`${prefix}_${rest.join("_")}`, value] as const)
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      )
    )

/** The variable and problem of the first error of a failed configuration (left to right). */
export const firstProblem = (
  error: EffectConfigError.ConfigError
): { readonly variable: string; readonly problem: string } => {
  switch (error._op) {
    case "And":
    case "Or":
      return firstProblem(error.left)
    case "InvalidData":
    case "MissingData":
    case "SourceUnavailable":
    case "Unsupported":
      return { variable: error.path.join("_"), problem: error.message }
  }
}

/**
 * Read `config` from `env` now. Throws `problem(variable, text)` for the first bad variable — the synchronous entry
 * of callers that are not Effect code (`loadConfig(env)`).
 */
export const readSync = <A>(
  config: Config.Config<A>,
  env: Env,
  problem: (variable: string, text: string) => Error
): A => {
  const exit = Effect.runSyncExit(Effect.withConfigProvider(config, envProvider(env)))
  if (Exit.isSuccess(exit)) return exit.value
  const failure = Cause.failureOption(exit.cause)
  if (Option.isNone(failure)) throw Cause.squash(exit.cause)
  const { variable, problem: text } = firstProblem(failure.value)
  throw problem(variable, text)
}
