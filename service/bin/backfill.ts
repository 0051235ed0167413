/**
 * `pnpm backfill --source <name> [--since ISO] [--dry-run] [--limit N] [--url URL] [--json]`: sync every ticket of a
 * helpdesk (or those updated since a time) through a running service (`POST /backfill/:source`, then its job).
 *
 * Progress: a bar on a terminal, plain lines otherwise. The summary: created, updated, already up to date, refused
 * with reasons. `--dry-run` writes nothing and shows what it would do, with a field-level diff of a few updates. A
 * second run after a finished one finds every ticket up to date and writes nothing; a run stopped midway (even by
 * kill -9 of the service) is resumed by running it again. Sends WORKBRIDGE_ADMIN_TOKEN as a bearer token when set.
 */
import { feedCommandOrExit } from "./feedCommand.js"

const USAGE =
  "usage: pnpm backfill --source <zendesk|servicenow|jira|freshdesk|github> [--since 2026-01-01T00:00:00Z] [--dry-run] [--limit N] [--url http://127.0.0.1:8080] [--json]\n" +
  "  the service's URL defaults to $WORKBRIDGE_URL, else http://127.0.0.1:$PORT; WORKBRIDGE_ADMIN_TOKEN is sent as a bearer token when set\n"
const { url, source, since, limit, dryRun, json, headers } = feedCommandOrExit("backfill", USAGE, { limit: true })
const fail = (message: string, code = 2): never => {
  process.stderr.write(`backfill: ${message}\n${code === 2 ? USAGE : ""}`)
  process.exit(code)
}

interface Job {
  id: string
  state: "reading" | "applying" | "done" | "failed"
  read: number
  enqueued: number
  finished: number
  limit?: number
  error?: string
  summary?: {
    dryRun: boolean
    read: number
    created: number
    updated: number
    upToDate: number
    refused: number
    refusedReasons: Record<string, number>
    refusedSample: Array<{ ticketId: string; reason: string; details: Array<string> }>
    diffSample: Array<{ ticketId: string; changes: Array<{ field: string; from: unknown; to: unknown }> }>
    pending: number
  }
}

const call = async (method: string, path: string): Promise<Job> => {
  let res: Response
  try {
    res = await fetch(`${url}${path}`, { method, headers })
  } catch (e) {
    return fail(`cannot reach ${url}: ${e instanceof Error ? e.message : String(e)}`, 1)
  }
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>
  if (!res.ok) fail(`${res.status} ${String(body["error"] ?? "")}: ${String(body["message"] ?? "")}`, 1)
  return body as unknown as Job
}

const query = new URLSearchParams({
  ...(dryRun ? { dryRun: "true" } : {}),
  ...(since !== undefined ? { since } : {}),
  ...(limit !== undefined ? { limit } : {})
})
let job = await call("POST", `/backfill/${source}?${query.toString()}`)
const tty = process.stdout.isTTY === true && !json
const bar = (done: number, total: number): string => {
  const width = 30
  const filled = total === 0 ? width : Math.min(width, Math.round((done / total) * width))
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total}`
}
const line = (j: Job): string =>
  j.state === "reading"
    ? `reading ${source}: ${j.limit !== undefined ? bar(j.read, j.limit) : `${j.read} tickets`} · ${j.enqueued} to write`
    : `applying: ${bar(j.finished, j.enqueued)} · ${j.read} read`
let lastPlain = ""
let lastPlainAt = 0
for (;;) {
  if (tty) process.stdout.write(`\r${line(job)}\u001b[K`)
  else if (!json) {
    const l = `${job.state} read=${job.read} to-write=${job.enqueued} written=${job.finished}`
    if (l !== lastPlain && (Date.now() - lastPlainAt >= 2000 || job.state === "done")) {
      process.stdout.write(`${l}\n`)
      lastPlain = l
      lastPlainAt = Date.now()
    }
  }
  if (job.state === "done" || job.state === "failed") break
  await new Promise((r) => setTimeout(r, 250))
  job = await call("GET", `/backfill/jobs/${encodeURIComponent(job.id)}`)
}
if (tty) process.stdout.write("\n")
if (job.state === "failed") fail(`the backfill failed: ${job.error ?? "unknown"}; run it again to resume`, 1)
const s = job.summary!
if (json) process.stdout.write(`${JSON.stringify(s, null, 2)}\n`)
else {
  const w = s.dryRun ? "would be " : ""
  process.stdout.write(
    `${s.dryRun ? "Dry run (nothing written): " : ""}${s.read} tickets read · ${s.created} ${w}created · ${s.updated} ${w}updated · ${s.upToDate} already up to date · ${s.refused} refused\n`
  )
  for (const [reason, n] of Object.entries(s.refusedReasons)) process.stdout.write(`  refused ${n} × ${reason}\n`)
  for (const r of s.refusedSample.slice(0, 5))
    process.stdout.write(`    ${r.ticketId}: ${r.reason}${r.details.length > 0 ? ` — ${r.details.join("; ")}` : ""}\n`)
  for (const d of s.diffSample) {
    process.stdout.write(`  ${d.ticketId} would change:\n`)
    for (const c of d.changes)
      process.stdout.write(`    ${c.field}: ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}\n`)
  }
  if (s.pending > 0) process.stdout.write(`  ${s.pending} still waiting in the inbox\n`)
}
