import { existsSync } from "node:fs"
import { mkdtemp, readdir, readFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { defaultCatalog } from "@workbridge/catalog"
import { describe, expect, it } from "vitest"
import { buildDataActionDefinitions } from "./definitions.js"
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
    expect(parseExportArgs(["--out", "x", "--base-url=https://other.example", "--credential", "bearerToken", "--timeout=5"], env)).toEqual({
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

  it("answers --help with the usage", () => {
    const parsed = parseExportArgs(["--help"], {})
    expect(parsed._tag === "Help" && parsed.text).toMatch(/^Usage: pnpm data-action:export/)
  })
})

describe("exportDataActions", () => {
  it("writes one import-ready JSON file per action", async () => {
    const cwd = await mkdtemp(join(tmpdir(), "wb-export-"))
    const written = await exportDataActions({ out: "out/actions", baseUrl: "https://wb.example.com", credentialType: "basicAuth" }, cwd)
    const dir = join(cwd, "out/actions")
    expect((await readdir(dir)).sort()).toEqual(["workbridge-normalize-ticket.json", "workbridge-ticket-sync-status.json"])
    const expected = buildDataActionDefinitions(defaultCatalog, { baseUrl: "https://wb.example.com" })
    for (const [i, file] of written.entries()) {
      expect(JSON.parse(await readFile(file.path, "utf8"))).toEqual(expected[i])
      expect(file.name).toBe(expected[i]?.name)
    }
  })

  it("writes nothing when an option is bad", async () => {
    const cwd = await mkdtemp(join(tmpdir(), "wb-export-"))
    await expect(exportDataActions({ out: "out", baseUrl: "nope", credentialType: "basicAuth" }, cwd)).rejects.toThrow(
      /WORKBRIDGE_PUBLIC_URL/
    )
    expect(existsSync(join(cwd, "out"))).toBe(false)
  })
})
