/**
 * `pnpm reconcile --source <name> [--dry-run] [--since ISO] [--url URL] [--json]`: one reconciliation pass of a
 * running service (its `POST /reconcile/:source`), then its report. `--source genesys` runs the write-back
 * reconciliation (`POST /reconcile/genesys`: agents' changes in Genesys the write-back did not hear of).
 *
 * The pass reads what changed in the helpdesk since the source's saved cursor (or `--since`), enqueues each ticket
 * (a ticket already at the read revision costs no Genesys call) and waits for the tickets found behind to be
 * repaired. `--dry-run` reads and compares only: nothing is enqueued and the cursor stays. When the service has
 * WORKBRIDGE_ADMIN_TOKEN set, run this with the same variable (sent as a bearer token).
 */
import { feedCommandOrExit } from "./feedCommand.js"

const USAGE =
  "usage: pnpm reconcile --source <zendesk|servicenow|jira|freshdesk|github|genesys> [--dry-run] [--since 2026-01-31T00:00:00Z] [--url http://127.0.0.1:8080] [--json]\n" +
  "  the service's URL defaults to $WORKBRIDGE_URL, else http://127.0.0.1:$PORT; WORKBRIDGE_ADMIN_TOKEN is sent as a bearer token when set\n"
const { url, source, since, dryRun, json, headers } = feedCommandOrExit("reconcile", USAGE, { limit: false })
const fail = (message: string, code = 2): never => {
  process.stderr.write(`reconcile: ${message}\n${USAGE}`)
  process.exit(code)
}
const query = new URLSearchParams({ ...(dryRun ? { dryRun: "true" } : {}), ...(since !== undefined ? { since } : {}) })
let res: Response
try {
  res = await fetch(`${url}/reconcile/${source}?${query.toString()}`, { method: "POST", headers })
} catch (e) {
  fail(`cannot reach ${url}: ${e instanceof Error ? e.message : String(e)}`, 1)
  throw e
}
const body = (await res.json().catch(() => ({}))) as Record<string, unknown>
if (!res.ok) fail(`${res.status} ${String(body["error"] ?? "")}: ${String(body["message"] ?? "")}`, 1)
if (json) process.stdout.write(`${JSON.stringify(body, null, 2)}\n`)
else {
  const r = body as {
    source: string
    dryRun: boolean
    ticketsRead: number
    upToDate: number
    driftFound: number
    repaired: number
    from: string
    drift: Array<unknown>
  }
  process.stdout.write(
    `${r.dryRun ? "dry run: " : ""}${r.source}: read ${r.ticketsRead} ${r.source === "genesys" ? "workitem(s) modified" : "ticket(s)"} since ${r.from}; ${r.upToDate} up to date, ${r.driftFound} ${r.source === "genesys" ? "changed in Genesys and not written back" : "behind"}${r.dryRun ? " (nothing written)" : `, ${r.repaired} repaired`}\n`
  )
  for (const d of r.drift as Array<Record<string, string | undefined>>)
    process.stdout.write(
      r.source === "genesys"
        ? `  ${d["source"]} ${d["ticketId"]}: workitem ${d["workitemId"]} is ${d["status"]}, Workbridge last wrote ${d["applied"] ?? "(unknown)"}\n`
        : `  ${d["ticketId"]}: Genesys at ${d["appliedRevision"] ?? "(no workitem)"}, helpdesk at ${d["readRevision"]}\n`
    )
}
