import { existsSync } from "node:fs"
import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { defaultCatalog } from "@workbridge/catalog"
import { describe, expect, it } from "vitest"
import { buildDataActionDefinitions } from "@workbridge/data-actions"
import { DEFAULT_EXPORT_DIR, exportDataActions, parseExportArgs } from "./export.js"

describe("parseExportArgs", () => {
  const env = { WORKBRIDGE_PUBLIC_URL: "https://wb.example.com" }

  it("defaults to data-actions/, Basic auth and WORKBRIDGE_PUBLIC_URL", () => {
    expect(parseExportArgs([], env)).toEqual({
      _tag: "Options",
      options: { out: DEFAULT_EXPORT_DIR, baseUrl: "https://wb.example.com", credentialType: "basicAuth" }
    })
  })

  it("takes flags in both spellings, the flag winning over the variable", () => {
    expect(
      parseExportArgs(
        ["--out", "x", "--base-url=https://other.example", "--credential", "bearerToken", "--timeout=5"],
        env
      )
    ).toEqual({
      _tag: "Options",
      options: { out: "x", baseUrl: "https://other.example", credentialType: "bearerToken", timeoutSeconds: 5 }
    })
  })

  it.each([
    [[], {}, /--base-url or set WORKBRIDGE_PUBLIC_URL/],
    [["--bogus"], env, /unknown argument "--bogus"/],
    [["--out"], env, /--out needs a value/],
    [["--out", "--timeout", "3"], env, /--out needs a value/],
    [["--credential", "oauth"], env, /--credential must be basicAuth or bearerToken/],
    [["--timeout", "soon"], env, /--timeout must be a number/]
  ])("refuses %j naming the problem", (argv, vars, message) => {
    const parsed = parseExportArgs(argv, vars)
    expect(parsed._tag).toBe("Invalid")
    if (parsed._tag === "Invalid") expect(parsed.message).toMatch(message)
  })

  it("takes the catalog file from --catalog or WORKBRIDGE_CATALOG_FILE", () => {
    const fromEnv = parseExportArgs([], { ...env, WORKBRIDGE_CATALOG_FILE: "acme.yaml" })
    expect(fromEnv._tag === "Options" && fromEnv.options.catalogFile).toBe("acme.yaml")
    const fromFlag = parseExportArgs(["--catalog", "other.json"], { ...env, WORKBRIDGE_CATALOG_FILE: "acme.yaml" })
    expect(fromFlag._tag === "Options" && fromFlag.options.catalogFile).toBe("other.json")
  })

  it("answers --help with the usage", () => {
    const parsed = parseExportArgs(["--help"], {})
    expect(parsed._tag === "Help" && parsed.text).toMatch(/^Usage: pnpm data-action:export/)
  })
})

describe("exportDataActions", () => {
  it("writes one import-ready JSON file per action", async () => {
    const cwd = await mkdtemp(join(tmpdir(), "wb-export-"))
    const written = await exportDataActions(
      { out: "out/actions", baseUrl: "https://wb.example.com", credentialType: "basicAuth" },
      cwd
    )
    const dir = join(cwd, "out/actions")
    expect((await readdir(dir)).sort()).toEqual([
      "workbridge-normalize-ticket.json",
      "workbridge-ticket-sync-status.json",
      "workbridge-workitem-event.json"
    ])
    const expected = buildDataActionDefinitions(defaultCatalog, { baseUrl: "https://wb.example.com" })
    for (const [i, file] of written.entries()) {
      expect(JSON.parse(await readFile(file.path, "utf8"))).toEqual(expected[i])
      expect(file.name).toBe(expected[i]?.name)
    }
  })

  it("derives the contracts from the deployment's catalog file", async () => {
    const cwd = await mkdtemp(join(tmpdir(), "wb-export-"))
    await writeFile(
      join(cwd, "acme.yaml"),
      [
        "fields:",
        "  - key: region",
        "    type: enum",
        "    title: Region",
        "    vocabulary:",
        "      - { value: emea, title: EMEA, aliases: [europe] }",
        "  - key: order_total",
        "    type: number",
        "    title: Order total",
        "    limits: { minimum: 0 }",
        ""
      ].join("\n")
    )
    const [file] = await exportDataActions(
      { out: "out", baseUrl: "https://wb.example.com", credentialType: "basicAuth", catalogFile: "acme.yaml" },
      cwd
    )
    const definition = JSON.parse(await readFile(file?.path ?? "", "utf8"))
    const outputs = definition.contract.output.successSchema.properties
    expect(outputs.region).toMatchObject({ type: "string", enum: ["emea"] })
    expect(outputs.region_unmapped).toMatchObject({ type: "boolean" })
    expect(outputs.order_total).toMatchObject({ type: "number", minimum: 0 })
    expect(definition.contract.input.inputSchema.properties.order_total).toMatchObject({ type: "string" })
  })

  it.each([
    ["missing.yaml", null, /--catalog \/ WORKBRIDGE_CATALOG_FILE: cannot read missing\.yaml \(ENOENT\)/],
    [
      "bad.yaml",
      "fields:\n  - key: Bad Key\n    type: txt\n",
      /--catalog \/ WORKBRIDGE_CATALOG_FILE: bad\.yaml: fields\[0\]/
    ]
  ])("refuses the catalog file %s, naming the option, and writes nothing", async (name, content, message) => {
    const cwd = await mkdtemp(join(tmpdir(), "wb-export-"))
    if (content !== null) await writeFile(join(cwd, name), content)
    await expect(
      exportDataActions(
        { out: "out", baseUrl: "https://wb.example.com", credentialType: "basicAuth", catalogFile: name },
        cwd
      )
    ).rejects.toThrow(message)
    expect(existsSync(join(cwd, "out"))).toBe(false)
  })

  it("writes nothing when an option is bad", async () => {
    const cwd = await mkdtemp(join(tmpdir(), "wb-export-"))
    await expect(exportDataActions({ out: "out", baseUrl: "nope", credentialType: "basicAuth" }, cwd)).rejects.toThrow(
      /WORKBRIDGE_PUBLIC_URL/
    )
    expect(existsSync(join(cwd, "out"))).toBe(false)
  })
})
