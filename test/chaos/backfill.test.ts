/**
 * A backfill through Genesys bulk add jobs, with the service killed (SIGKILL) in the middle and started again on the
 * same data directory: running the backfill again finishes it, and every ticket has exactly one workitem.
 */
import { customFieldKey, defaultCatalog } from "@workbridge/catalog"
import { startGitHubEmulator } from "@workbridge/helpdesk-emulators"
import { describe, expect, it } from "vitest"
import { allWorkitems, openSession } from "../src/genesys.js"
import { startStack } from "../src/stack.js"

interface Job {
  id: string
  state: string
  read: number
  enqueued: number
  finished: number
  summary?: { read: number; created: number; updated: number; upToDate: number; refused: number; pending: number }
}

describe("backfill killed midway", () => {
  it("a rerun after kill -9 leaves exactly one workitem per ticket", async () => {
    const N = 150
    const gh = await startGitHubEmulator({ rateLimitPerMinute: 1_000_000 })
    for (let n = 1; n <= N; n++) {
      const res = await fetch(`${gh.url}/repos/octo-org/helpdesk/issues`, {
        method: "POST",
        headers: { authorization: "Bearer github-pat", "content-type": "application/json" },
        body: JSON.stringify({ title: `existing ${n}`, labels: ["bug"] })
      })
      expect(res.status).toBe(201)
    }
    const stack = await startStack({
      rateLimitPerMinute: 30_000,
      webhookEnv: {},
      namePrefix: "BackfillKill",
      serviceEnv: { HELPDESK_URL_GITHUB: gh.url, HELPDESK_TOKEN_GITHUB: "github-pat", HELPDESK_REPO_GITHUB: "octo-org/helpdesk", WORKBRIDGE_RECONCILE_INTERVAL_GITHUB: "0" }
    })
    const service = stack.service.url
    const job = async (id: string) => (await (await fetch(`${service}/backfill/jobs/${id}`)).json()) as Job
    const start = async () => {
      const res = await fetch(`${service}/backfill/github`, { method: "POST" })
      expect(res.status).toBe(202)
      return (await res.json()) as Job
    }
    try {
      let j = await start()
      // Killed once the first job's links are written and before the last one's are.
      for (let i = 0; i < 600 && j.finished < 50; i++) {
        await new Promise((r) => setTimeout(r, 20))
        j = await job(j.id)
      }
      expect(j.finished).toBeGreaterThanOrEqual(50)
      expect(j.finished).toBeLessThan(N)
      await stack.service.kill9()
      await stack.service.restart()
      j = await start()
      for (let i = 0; i < 600 && j.state !== "done" && j.state !== "failed"; i++) {
        await new Promise((r) => setTimeout(r, 100))
        j = await job(j.id)
      }
      expect(j.summary).toMatchObject({ read: N, refused: 0, pending: 0 })
      expect(j.summary!.created + j.summary!.upToDate).toBe(N)
      const session = await openSession(stack.reader)
      const workitems = await allWorkitems(session, stack.worktypeId)
      const idKey = customFieldKey(defaultCatalog.fields.find((f) => f.key === "ticket_id")!)
      const ids = workitems.map((w) => String(w.customFields?.[idKey]))
      expect(workitems).toHaveLength(N)
      expect(new Set(ids).size).toBe(N)
      // A third run finds every ticket up to date.
      j = await start()
      for (let i = 0; i < 300 && j.state !== "done"; i++) {
        await new Promise((r) => setTimeout(r, 50))
        j = await job(j.id)
      }
      expect(j.summary).toMatchObject({ read: N, created: 0, updated: 0, upToDate: N })
    } finally {
      await stack.close()
      await gh.close()
    }
  }, 180_000)
})
