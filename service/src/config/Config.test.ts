import { type Config, ConfigError as EffectConfigError, ConfigProvider, Effect, Exit } from "effect"
import { describe, expect, it } from "vitest"
import { ConfigError, ServiceConfig, loadConfig, secretVariableFor } from "./Config.js"

const remote = {
  GENESYS_CLIENT_ID: "id",
  GENESYS_CLIENT_SECRET: "s3cret",
  GENESYS_GATEWAY_URL: "http://127.0.0.1:9300",
  WORKBRIDGE_WORKTYPE_ID: "wt-1"
}

const errorOf = (env: Record<string, string>): ConfigError => {
  try {
    loadConfig(env, "/srv")
  } catch (e) {
    if (e instanceof ConfigError) return e
    throw e
  }
  throw new Error("expected a ConfigError")
}

describe("loadConfig", () => {
  it("defaults to the embedded emulator with no Genesys credentials", () => {
    const c = loadConfig({}, "/srv")
    expect(c.port).toBe(8080)
    expect(c.host).toBe("127.0.0.1")
    expect(c.dataDir).toBe("/srv/.data")
    expect(c.genesys).toEqual({
      _tag: "Embedded",
      emulatorPort: 9300,
      adminId: "workbridge-admin",
      adminSecret: "workbridge-admin-secret"
    })
    expect(c.budgetPerMinute).toBe(300)
    expect(c.inboxSoftLimit).toBe(5000)
    expect(c.permissionWindowSeconds).toBe(300)
    expect(c.longPauseSeconds).toBe(60)
  })

  it("reads the permission-propagation window (0 turns it off) and the long-pause alert threshold", () => {
    const c = loadConfig({ WORKBRIDGE_PERMISSION_WINDOW_SECONDS: "0", WORKBRIDGE_LONG_PAUSE_SECONDS: "600" }, "/srv")
    expect(c.permissionWindowSeconds).toBe(0)
    expect(c.longPauseSeconds).toBe(600)
  })

  it("reads a remote target and per-source webhook credentials", () => {
    const c = loadConfig(
      {
        ...remote,
        WEBHOOK_SECRET_ZENDESK: "zs",
        WEBHOOK_BASIC_AUTH_SERVICENOW: "u:p",
        WEBHOOK_TOKEN_MY_SOURCE: "X-Token:abc",
        WORKBRIDGE_BUDGET_PER_MINUTE: "120"
      },
      "/srv"
    )
    expect(c.genesys).toMatchObject({ _tag: "Remote", gatewayUrl: "http://127.0.0.1:9300", clientId: "id" })
    expect(c.webhooks).toEqual({
      zendesk: { secret: "zs" },
      servicenow: { basicAuth: "u:p" },
      "my-source": { token: { header: "x-token", value: "abc" } }
    })
    expect(c.budgetPerMinute).toBe(120)
    expect(secretVariableFor("my-source")).toBe("WEBHOOK_SECRET_MY_SOURCE")
  })

  it.each([
    [{ PORT: "eighty" }, "PORT"],
    [{ PORT: "70000" }, "PORT"],
    [{ GENESYS_CLIENT_ID: "id" }, "GENESYS_CLIENT_SECRET"],
    [{ GENESYS_CLIENT_ID: "id", GENESYS_CLIENT_SECRET: "s" }, "GENESYS_REGION"],
    [{ ...remote, WORKBRIDGE_WORKTYPE_ID: "" }, "WORKBRIDGE_WORKTYPE_ID"],
    [{ ...remote, GENESYS_GATEWAY_URL: "not a url" }, "GENESYS_GATEWAY_URL"],
    [{ WEBHOOK_BASIC_AUTH_JIRA: "nopassword" }, "WEBHOOK_BASIC_AUTH_JIRA"],
    [{ WORKBRIDGE_SKILL_IDS: "[1]" }, "WORKBRIDGE_SKILL_IDS"],
    [{ WORKBRIDGE_INBOX_SOFT_LIMIT: "100", WORKBRIDGE_INBOX_HARD_LIMIT: "10" }, "WORKBRIDGE_INBOX_HARD_LIMIT"],
    [{ WORKBRIDGE_TLS_CERT: "/c.pem" }, "WORKBRIDGE_TLS_KEY"],
    [{ LOG_LEVEL: "loud" }, "LOG_LEVEL"],
    [{ WORKBRIDGE_QUEUE: "kafka" }, "WORKBRIDGE_QUEUE"],
    [{ WORKBRIDGE_TEST_CRASH_AT: "somewhere" }, "WORKBRIDGE_TEST_CRASH_AT"],
    [{ WORKBRIDGE_PERMISSION_WINDOW_SECONDS: "-1" }, "WORKBRIDGE_PERMISSION_WINDOW_SECONDS"],
    [{ WORKBRIDGE_PERMISSION_WINDOW_SECONDS: "5m" }, "WORKBRIDGE_PERMISSION_WINDOW_SECONDS"],
    [{ WORKBRIDGE_LONG_PAUSE_SECONDS: "0" }, "WORKBRIDGE_LONG_PAUSE_SECONDS"]
  ])("names the bad variable: %j → %s", (env, variable) => {
    const e = errorOf(env as Record<string, string>)
    expect(e.variable).toBe(variable)
    expect(e.message.startsWith(variable)).toBe(true)
  })

  it("never echoes a secret in its errors", () => {
    const e = errorOf({ GENESYS_CLIENT_SECRET: "top-secret-value" })
    expect(e.message).not.toContain("top-secret-value")
  })
})

describe("edge settings and relative paths", () => {
  it("reads the webhook tolerance, generic signature headers and the admin token", () => {
    expect(loadConfig({}, "/srv").edge).toEqual({ webhookToleranceSeconds: 300, signatureHeaders: {} })
    const c = loadConfig(
      {
        WORKBRIDGE_WEBHOOK_TOLERANCE_SECONDS: "900",
        WEBHOOK_SIGNATURE_HEADER_ACME: "X-Acme-Signature",
        WEBHOOK_SIGNATURE_HEADER_GENERIC: "x-sig",
        WORKBRIDGE_ADMIN_TOKEN: "0123456789abcdef"
      },
      "/srv"
    )
    expect(c.edge).toEqual({
      webhookToleranceSeconds: 900,
      signatureHeaders: { acme: "x-acme-signature", generic: "x-sig" },
      adminToken: "0123456789abcdef"
    })
  })

  it("reads the explicit opt-out that exposes the admin endpoints without a token", () => {
    expect(loadConfig({ WORKBRIDGE_ADMIN_OPEN: "true" }, "/srv").edge.adminOpen).toBe(true)
    expect(loadConfig({ WORKBRIDGE_ADMIN_OPEN: "false" }, "/srv").edge.adminOpen).toBeUndefined()
  })

  it.each([
    [{ WORKBRIDGE_WEBHOOK_TOLERANCE_SECONDS: "5m" }, "WORKBRIDGE_WEBHOOK_TOLERANCE_SECONDS"],
    [{ WORKBRIDGE_WEBHOOK_TOLERANCE_SECONDS: "0" }, "WORKBRIDGE_WEBHOOK_TOLERANCE_SECONDS"],
    [{ WEBHOOK_SIGNATURE_HEADER_ACME: "X Acme" }, "WEBHOOK_SIGNATURE_HEADER_ACME"],
    [{ WEBHOOK_SIGNATURE_HEADER_ZENDESK: "X-Sig" }, "WEBHOOK_SIGNATURE_HEADER_ZENDESK"],
    [{ WORKBRIDGE_ADMIN_TOKEN: "short" }, "WORKBRIDGE_ADMIN_TOKEN"],
    [{ WORKBRIDGE_ADMIN_OPEN: "please" }, "WORKBRIDGE_ADMIN_OPEN"]
  ])("names the bad edge variable: %j → %s", (env, variable) => {
    const e = errorOf(env as Record<string, string>)
    expect(e.variable).toBe(variable)
    expect(e.message.startsWith(variable)).toBe(true)
  })

  it("resolves relative data dir, catalog file and TLS files against INIT_CWD (where pnpm was run), absolute ones as given", () => {
    const env = {
      WORKBRIDGE_DATA_DIR: "state",
      WORKBRIDGE_CATALOG_FILE: "conf/catalog.yaml",
      WORKBRIDGE_TLS_CERT: "tls/cert.pem",
      WORKBRIDGE_TLS_KEY: "/etc/wb/key.pem"
    }
    const c = loadConfig({ ...env, INIT_CWD: "/home/ops/workbridge" })
    expect(c.dataDir).toBe("/home/ops/workbridge/state")
    expect(c.catalogFile).toBe("/home/ops/workbridge/conf/catalog.yaml")
    expect(c.tls).toEqual({ certFile: "/home/ops/workbridge/tls/cert.pem", keyFile: "/etc/wb/key.pem" })
    expect(loadConfig({ INIT_CWD: "/home/ops/workbridge" }).dataDir).toBe("/home/ops/workbridge/.data")
    // Without INIT_CWD (node run directly): the process's working directory.
    expect(loadConfig(env).dataDir).toBe(`${process.cwd()}/state`)
    // An explicit base wins.
    expect(loadConfig({ ...env, INIT_CWD: "/home/ops/workbridge" }, "/srv").catalogFile).toBe("/srv/conf/catalog.yaml")
  })
})

describe("loadCatalog", () => {
  it("applies WORKBRIDGE_CATALOG_FILE overrides and names the variable on a bad file", async () => {
    const fs = await import("node:fs")
    const os = await import("node:os")
    const path = await import("node:path")
    const { loadCatalog } = await import("../Service.js")
    const { defaultCatalog } = await import("@workbridge/catalog")
    expect(loadCatalog(undefined)).toBe(defaultCatalog)
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wb-cat-"))
    const bad = path.join(dir, "catalog.json")
    fs.writeFileSync(bad, "{ not json")
    let error: unknown
    try {
      loadCatalog(bad)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).variable).toBe("WORKBRIDGE_CATALOG_FILE")
    expect(() => loadCatalog(path.join(dir, "missing.json"))).toThrow(/WORKBRIDGE_CATALOG_FILE/)
    const empty = path.join(dir, "empty.json")
    fs.writeFileSync(empty, "{}")
    expect(loadCatalog(empty).fields.length).toBe(defaultCatalog.fields.length)
    fs.rmSync(dir, { recursive: true, force: true })
  })
})

describe("audit trail retention", () => {
  it("defaults to 7 days, takes 0 (off) to 3650, and names the variable otherwise", () => {
    expect(loadConfig({}).auditRetentionDays).toBe(7)
    expect(loadConfig({ WORKBRIDGE_AUDIT_RETENTION_DAYS: "0" }).auditRetentionDays).toBe(0)
    expect(loadConfig({ WORKBRIDGE_AUDIT_RETENTION_DAYS: "30" }).auditRetentionDays).toBe(30)
    for (const bad of ["-1", "3651", "7d"]) {
      expect(() => loadConfig({ WORKBRIDGE_AUDIT_RETENTION_DAYS: bad })).toThrow(/^WORKBRIDGE_AUDIT_RETENTION_DAYS: /)
    }
  })
})

describe("tracing (OTEL_* variables)", () => {
  it("is off without an OTLP endpoint, and with OTEL_SDK_DISABLED=true", () => {
    expect(loadConfig({}).tracing).toBeUndefined()
    expect(loadConfig({ OTEL_SERVICE_NAME: "x", OTEL_EXPORTER_OTLP_HEADERS: "a=b" }).tracing).toBeUndefined()
    expect(
      loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318", OTEL_SDK_DISABLED: "true" }).tracing
    ).toBeUndefined()
  })

  it("appends /v1/traces to OTEL_EXPORTER_OTLP_ENDPOINT, takes OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given, merges the headers", () => {
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" }).tracing).toEqual({
      tracesUrl: "http://collector:4318/v1/traces",
      headers: {},
      serviceName: "workbridge"
    })
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "https://otlp.example.com/otlp/" }).tracing?.tracesUrl).toBe(
      "https://otlp.example.com/otlp/v1/traces"
    )
    const c = loadConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://traces:4318/custom/path",
      OTEL_EXPORTER_OTLP_HEADERS: "Authorization=Bearer%20abc, x-tenant=one",
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: "x-tenant=two",
      OTEL_SERVICE_NAME: "workbridge-eu"
    })
    expect(c.tracing).toEqual({
      tracesUrl: "http://traces:4318/custom/path",
      headers: { authorization: "Bearer abc", "x-tenant": "two" },
      serviceName: "workbridge-eu"
    })
  })

  it("names the variable of a bad endpoint, header list, protocol or switch, without echoing header values", () => {
    expect(errorOf({ OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318" }).variable).toBe("OTEL_EXPORTER_OTLP_ENDPOINT")
    expect(errorOf({ OTEL_EXPORTER_OTLP_ENDPOINT: "ftp://collector" }).variable).toBe("OTEL_EXPORTER_OTLP_ENDPOINT")
    expect(errorOf({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "not a url" }).variable).toBe(
      "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
    )
    const e = errorOf({
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318",
      OTEL_EXPORTER_OTLP_HEADERS: "authorization=Bearer%zzsecret-value"
    })
    expect(e.variable).toBe("OTEL_EXPORTER_OTLP_HEADERS")
    expect(e.message).not.toContain("secret-value")
    expect(
      errorOf({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_EXPORTER_OTLP_TRACES_HEADERS: "novalue" }).variable
    ).toBe("OTEL_EXPORTER_OTLP_TRACES_HEADERS")
    expect(
      errorOf({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4317", OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" }).variable
    ).toBe("OTEL_EXPORTER_OTLP_PROTOCOL")
    expect(errorOf({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_SDK_DISABLED: "maybe" }).variable).toBe(
      "OTEL_SDK_DISABLED"
    )
  })
})

describe("ServiceConfig.config (the Effect Config)", () => {
  const read = <A>(config: Config.Config<A>, env: Record<string, string>) =>
    Effect.runSyncExit(
      Effect.withConfigProvider(config, ConfigProvider.fromMap(new Map(Object.entries(env)), { pathDelim: "_" }))
    )

  it("reads what loadConfig reads from the ambient provider, per-source variables included", () => {
    const env = {
      ...remote,
      INIT_CWD: "/srv",
      WEBHOOK_TOKEN_MY_SOURCE: "X-Token:abc",
      WORKBRIDGE_BUDGET_PER_MINUTE: "120"
    }
    const exit = read(ServiceConfig.config, env)
    expect(exit).toStrictEqual(Exit.succeed(loadConfig(env)))
    expect(read(ServiceConfig.webhooks, env)).toStrictEqual(
      Exit.succeed({ "my-source": { token: { header: "x-token", value: "abc" } } })
    )
    expect(read(ServiceConfig.budget, env)).toStrictEqual(
      Exit.succeed({
        budgetPerMinute: 120,
        budgetBurst: 2,
        budgetInFlight: { handoffMs: 250, transitMs: 1750 },
        maxInFlight: 8,
        workers: 8
      })
    )
  })

  it("fails with InvalidData at the bad variable's name", () => {
    const exit = read(ServiceConfig.inbox, { WORKBRIDGE_INBOX_SOFT_LIMIT: "100", WORKBRIDGE_INBOX_HARD_LIMIT: "10" })
    expect(exit).toStrictEqual(
      Exit.fail(
        EffectConfigError.InvalidData(
          ["WORKBRIDGE_INBOX_HARD_LIMIT"],
          "must be at least WORKBRIDGE_INBOX_SOFT_LIMIT (100)"
        )
      )
    )
    const leaf = read(ServiceConfig.http, { PORT: "eighty" })
    expect(leaf).toStrictEqual(Exit.fail(EffectConfigError.InvalidData(["PORT"], 'must be an integer, got "eighty"')))
  })

  it("reports the first bad variable when several are bad, and reads process.env through ConfigProvider.fromEnv", () => {
    expect(errorOf({ PORT: "x", LOG_LEVEL: "loud", WORKBRIDGE_QUEUE: "kafka" }).variable).toBe("PORT")
    const name = `WEBHOOK_SECRET_CFG_TEST_${process.pid}`
    process.env[name] = "from-the-environment"
    try {
      const webhooks = Effect.runSync(Effect.withConfigProvider(ServiceConfig.webhooks, ConfigProvider.fromEnv()))
      expect(webhooks[`cfg-test-${process.pid}`]).toEqual({ secret: "from-the-environment" })
    } finally {
      delete process.env[name]
    }
  })
})

describe("the embedded stack's variables", () => {
  it("are read (and checked) only with the embedded Genesys", () => {
    const emulatorVars = {
      GENESYS_EMULATOR_PORT: "none",
      HELPDESK_EMULATOR_PORT_JIRA: "none",
      WORKBRIDGE_HELPDESK_EMULATORS: "maybe"
    }
    const c = loadConfig({ ...remote, ...emulatorVars }, "/srv")
    expect(c.genesys._tag).toBe("Remote")
    expect(c.helpdeskEmulators).toBeUndefined()
    expect(errorOf({ GENESYS_EMULATOR_PORT: "none" }).variable).toBe("GENESYS_EMULATOR_PORT")
    expect(errorOf({ HELPDESK_EMULATOR_PORT_JIRA: "none" }).variable).toBe("HELPDESK_EMULATOR_PORT_JIRA")
    expect(errorOf({ WORKBRIDGE_HELPDESK_EMULATORS: "maybe" }).variable).toBe("WORKBRIDGE_HELPDESK_EMULATORS")
  })

  it("gives the helpdesk emulators their default ports, a set one, or 0 each with an ephemeral Genesys emulator", () => {
    expect(loadConfig({ HELPDESK_EMULATOR_PORT_JIRA: "9999" }, "/srv").helpdeskEmulators?.ports).toEqual({
      zendesk: 9301,
      servicenow: 9302,
      jira: 9999,
      freshdesk: 9304,
      github: 9305
    })
    expect(Object.values(loadConfig({ GENESYS_EMULATOR_PORT: "0" }, "/srv").helpdeskEmulators?.ports ?? {})).toEqual([
      0, 0, 0, 0, 0
    ])
    expect(loadConfig({ WORKBRIDGE_HELPDESK_EMULATORS: "false" }, "/srv").helpdeskEmulators).toBeUndefined()
  })
})
