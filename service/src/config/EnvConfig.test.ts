import { Config, ConfigError, Effect, Exit } from "effect"
import { describe, expect, it } from "vitest"
import { envProvider, integerOr, readSync, text, withPrefix } from "./EnvConfig.js"

const read = <A>(config: Config.Config<A>, env: Record<string, string>) =>
  Effect.runSyncExit(Effect.withConfigProvider(config, envProvider(env)))

describe("environment Config readers", () => {
  it("finds every variable below a prefix by its full name, whatever the suffix's underscores", () => {
    const env = {
      WEBHOOK_SECRET_ZENDESK: "a",
      WEBHOOK_SECRET_MY_OWN_SOURCE: " b ",
      WEBHOOK_SECRET: "no suffix",
      WEBHOOK_TOKEN_X: "c",
      PATH: "/bin"
    }
    expect(read(withPrefix("WEBHOOK_SECRET"), env)).toEqual(
      Exit.succeed([
        ["WEBHOOK_SECRET_MY_OWN_SOURCE", " b "],
        ["WEBHOOK_SECRET_ZENDESK", "a"]
      ])
    )
    expect(read(withPrefix("WEBHOOK_SIGNATURE_HEADER"), env)).toEqual(Exit.succeed([]))
  })

  it("counts a blank value as unset and trims the others", () => {
    expect(read(text("HOST"), { HOST: "   " })).toEqual(Exit.succeed(undefined))
    expect(read(text("HOST"), { HOST: " 0.0.0.0 " })).toEqual(Exit.succeed("0.0.0.0"))
    expect(read(integerOr("PORT", 8080, 0, 65535), { PORT: "" })).toEqual(Exit.succeed(8080))
  })

  it("keeps commas in a value (no list splitting)", () => {
    expect(read(text("OTEL_EXPORTER_OTLP_HEADERS"), { OTEL_EXPORTER_OTLP_HEADERS: "a=1,b=2" })).toEqual(
      Exit.succeed("a=1,b=2")
    )
  })

  it("fails at the variable's name, and readSync throws the caller's error for the first bad variable", () => {
    expect(read(integerOr("PORT", 8080, 0, 65535), { PORT: "70000" })).toEqual(
      Exit.fail(ConfigError.InvalidData(["PORT"], "must be between 0 and 65535, got 70000"))
    )
    const both = Config.all({ a: integerOr("A_PORT", 1, 0, 10), b: integerOr("B_PORT", 1, 0, 10) })
    const thrown = (() => {
      try {
        readSync(both, { A_PORT: "x", B_PORT: "y" }, (variable, problem) => new Error(`${variable}: ${problem}`))
      } catch (e) {
        return (e as Error).message
      }
      return "nothing thrown"
    })()
    expect(thrown).toBe('A_PORT: must be an integer, got "x"')
  })
})
