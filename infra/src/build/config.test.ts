import { describe, expect, it } from "vitest"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { CONFIG_KEYS, SECRET_CONFIG_KEYS, connectionOf, readStackConfig, splitBasicAuth } from "./config.js"
import { resourceNames } from "./names.js"
import { outputsToEnv } from "./outputs.js"

const base: Record<string, string> = {
  region: "mypurecloud.ie",
  clientId: "provisioner-id",
  clientSecret: "provisioner-secret-value",
  serviceBaseUrl: "https://workbridge.example.com/",
  dataActionBasicAuth: "genesys:da-password-value"
}
const getter = (values: Record<string, string | undefined>) => (key: string) => values[key]

describe("readStackConfig", () => {
  it("reads a complete config with defaults", () => {
    const cfg = readStackConfig(getter(base))
    expect(cfg).toEqual({
      region: "mypurecloud.ie",
      clientId: "provisioner-id",
      clientSecret: "provisioner-secret-value",
      serviceBaseUrl: "https://workbridge.example.com",
      namePrefix: "Workbridge",
      dataActionBasicAuth: "genesys:da-password-value"
    })
    expect(connectionOf(cfg)).toEqual({
      region: "mypurecloud.ie",
      clientId: "provisioner-id",
      clientSecret: "provisioner-secret-value"
    })
  })

  it.each([
    ["clientId", /workbridge:clientId: required/],
    ["clientSecret", /workbridge:clientSecret: required/],
    ["serviceBaseUrl", /workbridge:serviceBaseUrl: required/],
    ["dataActionBasicAuth", /workbridge:dataActionBasicAuth: required/],
    ["region", /workbridge:region: required/]
  ])("names the missing key %s", (key, message) => {
    expect(() => readStackConfig(getter({ ...base, [key]: undefined }))).toThrow(message)
  })

  it("turns the write-back chain on with workbridge:writeBack=true only, naming any other value", () => {
    expect(readStackConfig(getter({ ...base, writeBack: "true" })).writeBack).toBe(true)
    expect(readStackConfig(getter({ ...base, writeBack: "false" })).writeBack).toBeUndefined()
    expect(() => readStackConfig(getter({ ...base, writeBack: "yes" }))).toThrow(
      'workbridge:writeBack: true or false, got "yes"'
    )
  })

  it("refuses region and gatewayUrl together, a bad region and a bad URL", () => {
    expect(() => readStackConfig(getter({ ...base, gatewayUrl: "http://127.0.0.1:9300" }))).toThrow(
      /workbridge:gatewayUrl: set either/
    )
    expect(() => readStackConfig(getter({ ...base, region: "https://x" }))).toThrow(
      /workbridge:region: a Genesys Cloud domain/
    )
    expect(() => readStackConfig(getter({ ...base, serviceBaseUrl: "ftp://x" }))).toThrow(
      /workbridge:serviceBaseUrl: must be an http/
    )
  })

  it("never shows a secret in its errors", () => {
    let message = ""
    try {
      readStackConfig(getter({ ...base, dataActionBasicAuth: "no-colon-secret-value" }))
    } catch (err) {
      message = (err as Error).message
    }
    expect(message).toMatch(/workbridge:dataActionBasicAuth: expected user:password/)
    expect(message).not.toContain("no-colon-secret-value")
  })

  it("accepts the emulator's gateway instead of a region", () => {
    const cfg = readStackConfig(
      getter({ ...base, region: undefined, gatewayUrl: "http://127.0.0.1:9300", namePrefix: "Dev" })
    )
    expect(connectionOf(cfg)).toEqual({
      gatewayUrl: "http://127.0.0.1:9300",
      clientId: "provisioner-id",
      clientSecret: "provisioner-secret-value"
    })
    expect(cfg.namePrefix).toBe("Dev")
  })

  it("splits user:password at the first colon", () => {
    expect(splitBasicAuth("genesys:pa:ss")).toEqual({ userName: "genesys", password: "pa:ss" })
  })
})

describe("resourceNames", () => {
  it("derives every name from the prefix", () => {
    const n = resourceNames("Acme Support", "workbridge_ticket")
    expect(n.worktype).toBe("Acme Support Ticket")
    expect(n.schema).toBe("acme_support_workbridge_ticket")
    expect([n.workflow, n.trigger]).toEqual(["Acme Support write-back", "Acme Support write-back"])
    expect(Object.values(n).every((v) => v.length >= 3 && v.length <= 256)).toBe(true)
  })

  it.each([[""], ["9lives"], ["a/b"], ["x".repeat(65)]])("names a bad prefix %j", (p) => {
    expect(() => resourceNames(p, "s")).toThrow(/workbridge:namePrefix/)
  })
})

describe("outputsToEnv", () => {
  const outputs = {
    region: "mypurecloud.ie",
    worktypeId: "wt-1",
    workbinId: "wb-1",
    clientId: "client-1",
    clientSecret: "s3cr3t with space",
    dataActionBasicAuth: "genesys:pw"
  }

  it("maps the outputs onto the service's variables", () => {
    expect(outputsToEnv(outputs).split("\n").slice(1)).toEqual([
      "GENESYS_REGION=mypurecloud.ie",
      "GENESYS_CLIENT_ID=client-1",
      "GENESYS_CLIENT_SECRET='s3cr3t with space'",
      "WORKBRIDGE_WORKTYPE_ID=wt-1",
      "WORKBRIDGE_DATA_ACTION_BASIC_AUTH=genesys:pw",
      ""
    ])
  })

  it("names a missing output and hidden secrets", () => {
    const { worktypeId: _w, ...rest } = outputs
    expect(() => outputsToEnv(rest)).toThrow('stack outputs: "worktypeId" is missing')
    expect(() => outputsToEnv({ ...outputs, clientSecret: "[secret]" })).toThrow(
      /"clientSecret" is hidden; run with --show-secrets/
    )
    expect(() => outputsToEnv([])).toThrow(/expected the JSON object/)
  })
})

describe("Pulumi.yaml", () => {
  const text = readFileSync(fileURLToPath(new URL("../../../Pulumi.yaml", import.meta.url)), "utf8")

  it("names the project and points at the program", () => {
    expect(text).toMatch(/^name: workbridge$/m)
    expect(text).toMatch(/^main: infra\/index\.ts$/m)
    expect(readFileSync(fileURLToPath(new URL("../../index.ts", import.meta.url)), "utf8")).toContain("defineStack(")
  })

  it("declares exactly the config keys the program reads, secrets marked secret", () => {
    const config = text.slice(text.indexOf("\nconfig:\n"))
    const declared = [...config.matchAll(/^ {2}([A-Za-z]+):$/gm)].map((m) => m[1])
    expect([...declared].sort()).toEqual([...CONFIG_KEYS].sort())
    for (const key of SECRET_CONFIG_KEYS) {
      expect(config).toMatch(new RegExp(`^  ${key}:\\n(    .*\\n)*?    secret: true$`, "m"))
    }
  })
})
