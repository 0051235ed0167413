/**
 * What the backfill runs of the bench and the chaos suite share: a Zendesk emulator that already holds tickets, and
 * `pnpm backfill` (service/bin/backfill.ts) run as its pnpm script runs it.
 */
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { startZendeskEmulator, type ZendeskEmulator } from "@workbridge/helpdesk-emulators"

/** The Zendesk emulator's API credentials (its defaults), as the service's environment names them. */
export const ZENDESK_API_ENV = {
  HELPDESK_USER_ZENDESK: "agent@example.com",
  HELPDESK_TOKEN_ZENDESK: "zendesk-api-token"
} as const
export const ZENDESK_API_AUTH = `Basic ${Buffer.from("agent@example.com/token:zendesk-api-token").toString("base64")}`

const SERVICE_DIR = fileURLToPath(new URL("../../service/", import.meta.url))
const BACKFILL_BIN = fileURLToPath(new URL("../../service/bin/backfill.ts", import.meta.url))

/**
 * A Zendesk emulator holding `n` tickets, created through its API two hours in the past (its incremental export leaves
 * out what changed in the last minute); from then on its clock is the real one and new tickets are created now.
 */
export const zendeskWithTickets = async (n: number): Promise<ZendeskEmulator> => {
  let offset = -2 * 3600_000
  const zd = await startZendeskEmulator({ clock: () => Date.now() + offset, rateLimitPerMinute: 1_000_000 })
  let next = 0
  const lane = async () => {
    while (next < n) {
      const i = ++next
      const res = await fetch(`${zd.url}/api/v2/tickets.json`, {
        method: "POST",
        headers: { authorization: ZENDESK_API_AUTH, "content-type": "application/json" },
        body: JSON.stringify({
          ticket: {
            subject: `Backfill ticket ${i}`,
            comment: { body: `existing ticket ${i}` },
            type: "incident",
            priority: "normal"
          }
        })
      })
      if (res.status !== 201) {
        await zd.close()
        throw new Error(
          `Zendesk emulator: creating ticket ${i} answered ${res.status}: ${(await res.text()).slice(0, 200)}`
        )
      }
      await res.arrayBuffer()
    }
  }
  await Promise.all(Array.from({ length: 16 }, lane))
  offset = 0
  return zd
}

/** Runs `pnpm backfill <args>` against the service at `serviceUrl` (only PATH and HOME in its environment). */
export const runBackfillCli = (
  serviceUrl: string,
  args: ReadonlyArray<string>
): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    const c = spawn(process.execPath, ["--import", "tsx", BACKFILL_BIN, "--url", serviceUrl, ...args], {
      cwd: SERVICE_DIR,
      env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "" },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    c.stdout.on("data", (d: Buffer) => (stdout += d.toString()))
    c.stderr.on("data", (d: Buffer) => (stderr += d.toString()))
    c.on("exit", (code) => resolve({ code: code ?? 1, stdout, stderr }))
  })
