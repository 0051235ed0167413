import { execFileSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { parseFeedCommand, UsageError } from "./feedCommand.js"

describe("the backfill and reconcile command line", () => {
  it("reads every flag, the URL from --url, $WORKBRIDGE_URL or $PORT, and the admin token as a bearer header", () => {
    expect(
      parseFeedCommand(
        [
          "--source",
          "zendesk",
          "--since",
          "2026-01-31T00:00:00Z",
          "--dry-run",
          "--json",
          "--limit",
          "20",
          "--url",
          "http://h:1//"
        ],
        {},
        { limit: true }
      )
    ).toEqual({
      url: "http://h:1",
      source: "zendesk",
      since: "2026-01-31T00:00:00Z",
      limit: "20",
      dryRun: true,
      json: true,
      headers: {}
    })
    expect(
      parseFeedCommand(
        ["--source", "jira"],
        { WORKBRIDGE_URL: "http://svc:9/", WORKBRIDGE_ADMIN_TOKEN: " t0ken " },
        { limit: false }
      )
    ).toEqual({
      url: "http://svc:9",
      source: "jira",
      dryRun: false,
      json: false,
      headers: { authorization: "Bearer t0ken" }
    })
    expect(parseFeedCommand(["--source", "github"], { PORT: "8181" }, { limit: false })).toMatchObject({
      url: "http://127.0.0.1:8181"
    })
    expect(parseFeedCommand(["-h"], {}, { limit: false })).toBe("help")
  })

  it.each([
    [[], /--source <name> is required/],
    [["--source"], /--source/],
    [["--source", "Zen Desk"], /--source <name> is required/],
    [["--source", "zendesk", "--since", "yesterday"], /--since must be an ISO-8601 date, got "yesterday"/],
    [["--source", "zendesk", "--limit", "0"], /--limit must be a positive whole number, got "0"/],
    [["--source", "zendesk", "--bogus"], /--bogus/],
    [["--source", "zendesk", "extra"], /extra/]
  ])("refuses %j, naming the flag", (argv, message) => {
    expect(() => parseFeedCommand(argv as Array<string>, {}, { limit: true })).toThrow(UsageError)
    expect(() => parseFeedCommand(argv as Array<string>, {}, { limit: true })).toThrow(message)
  })

  it("takes --limit only where the command has it", () => {
    expect(() => parseFeedCommand(["--source", "zendesk", "--limit", "5"], {}, { limit: false })).toThrow(/--limit/)
  })

  it("the commands exit 2 with the usage on a bad flag, and 0 on --help", () => {
    const bin = (name: string) => fileURLToPath(new URL(`./${name}.ts`, import.meta.url))
    const run = (name: string, args: Array<string>) => {
      try {
        return {
          code: 0,
          out: execFileSync(process.execPath, ["--import", "tsx", bin(name), ...args], {
            encoding: "utf8",
            stdio: "pipe"
          })
        }
      } catch (e) {
        const err = e as { status: number; stderr: string }
        return { code: err.status, out: err.stderr }
      }
    }
    for (const name of ["backfill", "reconcile"]) {
      const bad = run(name, ["--source", "zendesk", "--since", "nope"])
      expect(bad.code).toBe(2)
      expect(bad.out).toContain(`${name}: --since must be an ISO-8601 date`)
      expect(bad.out).toContain(`usage: pnpm ${name}`)
      const help = run(name, ["--help"])
      expect(help.code).toBe(0)
      expect(help.out).toContain(`usage: pnpm ${name}`)
    }
  })
})
