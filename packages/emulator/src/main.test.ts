import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { optionsFromEnv } from "./main.js"
import { call, login } from "./testing.js"

describe("optionsFromEnv", () => {
  it("defaults to port 9300 and reads the documented variables", () => {
    expect(optionsFromEnv({})).toEqual({ port: 9300, quiet: true })
    expect(
      optionsFromEnv({
        GENESYS_EMULATOR_PORT: "9400",
        GENESYS_EMULATOR_ADMIN_ID: "id",
        GENESYS_EMULATOR_ADMIN_SECRET: "secret",
        GENESYS_EMULATOR_RATE_LIMIT: "50",
        GENESYS_EMULATOR_TOKEN_TTL_SECONDS: "120",
        GENESYS_EMULATOR_WORKITEM_UPDATES_PER_MINUTE: "5",
        GENESYS_EMULATOR_DAILY_WORKITEM_CREATES: "10",
        GENESYS_EMULATOR_DAILY_WORKITEM_UPDATES: "20",
        GENESYS_EMULATOR_PERMISSION_DELAY_SECONDS: "0",
        GENESYS_EMULATOR_SEED: "3",
        GENESYS_EMULATOR_LOG_REQUESTS: "true",
        GENESYS_EMULATOR_STATE_FILE: "/tmp/emulator-state.json"
      })
    ).toEqual({
      port: 9400,
      adminClientId: "id",
      adminClientSecret: "secret",
      rateLimitPerMinute: 50,
      tokenTtlSeconds: 120,
      workitemUpdatesPerMinute: 5,
      dailyWorkitemCreates: 10,
      dailyWorkitemUpdates: 20,
      permissionDelaySeconds: 0,
      seed: 3,
      quiet: false,
      stateFile: "/tmp/emulator-state.json"
    })
  })

  it.each([
    ["GENESYS_EMULATOR_PORT", "abc"],
    ["GENESYS_EMULATOR_PORT", "70000"],
    ["GENESYS_EMULATOR_RATE_LIMIT", "0"],
    ["GENESYS_EMULATOR_RATE_LIMIT", "-5"],
    ["GENESYS_EMULATOR_PERMISSION_DELAY_SECONDS", "86401"],
    ["GENESYS_EMULATOR_ADMIN_SECRET", " "],
    ["GENESYS_EMULATOR_STATE_FILE", ""],
    ["GENESYS_EMULATOR_LOG_REQUESTS", "maybe"]
  ])("names %s when it is %j", (name, value) => {
    expect(() => optionsFromEnv({ [name]: value })).toThrow(name)
  })

  it("reads fault rules for the whole run from GENESYS_EMULATOR_FAULTS (path as a regex)", () => {
    const o = optionsFromEnv({
      GENESYS_EMULATOR_FAULTS: '[{"kind":"rateLimit","path":"/workitems$","probability":0.1}]'
    })
    expect(o.faults).toEqual([{ kind: "rateLimit", path: /\/workitems$/, probability: 0.1 }])
    expect(() => optionsFromEnv({ GENESYS_EMULATOR_FAULTS: "{" })).toThrow("GENESYS_EMULATOR_FAULTS")
    expect(() => optionsFromEnv({ GENESYS_EMULATOR_FAULTS: '[{"kind":"status"}]' })).toThrow(
      /GENESYS_EMULATOR_FAULTS\[0\].*status/
    )
  })

  it("never echoes the admin secret in an error", () => {
    expect(() => optionsFromEnv({ GENESYS_EMULATOR_ADMIN_SECRET: "s3cr3t", GENESYS_EMULATOR_PORT: "x" })).toThrow(
      /^(?!.*s3cr3t).*$/
    )
  })
})

describe("pnpm emulator (src/main.ts)", () => {
  it("starts, prints its URL, and the seeded admin can log in through the SDK", async () => {
    const main = fileURLToPath(new URL("./main.ts", import.meta.url))
    const child = spawn(process.execPath, ["--import", "tsx", main], {
      env: {
        ...process.env,
        GENESYS_EMULATOR_PORT: "0",
        GENESYS_EMULATOR_ADMIN_ID: "cli-admin",
        GENESYS_EMULATOR_ADMIN_SECRET: "cli-secret"
      },
      stdio: ["ignore", "pipe", "pipe"]
    })
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = ""
        child.stdout.on("data", (d: Buffer) => {
          out += d.toString("utf8")
          const m = /listening on (http:\/\/\S+)/.exec(out)
          if (m?.[1] !== undefined) resolve(m[1])
        })
        child.once("exit", (code) => reject(new Error(`emulator exited with ${String(code)}`)))
      })
      const s = await login(url, "cli-admin", "cli-secret")
      expect((await call(s.tm.postTaskmanagementWorkbins({ name: "From the CLI" }))).status).toBe(200)
    } finally {
      child.kill("SIGTERM")
    }
  })

  it("exits with an error naming a bad variable", async () => {
    const main = fileURLToPath(new URL("./main.ts", import.meta.url))
    const child = spawn(process.execPath, ["--import", "tsx", main], {
      env: { ...process.env, GENESYS_EMULATOR_PORT: "not-a-port" },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let err = ""
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString("utf8")
    })
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve))
    expect(code).toBe(2)
    expect(err).toContain("GENESYS_EMULATOR_PORT")
  })
})
