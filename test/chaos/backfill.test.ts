/**
 * `pnpm backfill` over 1,000 Zendesk tickets through Genesys bulk add jobs: the dry run lists 1,000 to create and
 * writes nothing; the run, with the service killed (SIGKILL) in the middle and started again on the same data
 * directory, is finished by running it again, and every ticket has exactly one workitem; a run after that finds every
 * ticket up to date and makes no Genesys write.
 */
import { customFieldKey, defaultCatalog } from "@workbridge/catalog"
import type { ZendeskEmulator } from "@workbridge/helpdesk-emulators"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { countCalls, parseBackfillSummary } from "../bench/backfillFigures.js"
import { runBackfillCli, ZENDESK_API_ENV, zendeskWithTickets } from "../src/backfill.js"
import { allWorkitems, openSession } from "../src/genesys.js"
import { type Stack, startStack } from "../src/stack.js"

const N = 1000

interface Job {
  id: string
  state: string
  finished: number
}

let zd: ZendeskEmulator | undefined
let stack: Stack | undefined
beforeAll(async () => {
  zd = await zendeskWithTickets(N)
  stack = await startStack({
    rateLimitPerMinute: 30_000,
    webhookEnv: {},
    namePrefix: "BackfillKill",
    serviceEnv: {
      HELPDESK_URL_ZENDESK: zd.url,
      ...ZENDESK_API_ENV,
      WORKBRIDGE_RECONCILE_INTERVAL_ZENDESK: "0",
      WORKBRIDGE_RECONCILE_INTERVAL_GENESYS: "0"
    }
  })
}, 120_000)
afterAll(async () => {
  await stack?.close()
  await zd?.close()
})

/** `pnpm backfill --source zendesk --json [...]`, its summary, and the Genesys calls the service made meanwhile. */
const backfill = async (...args: Array<string>) => {
  const from = Date.now()
  const r = await runBackfillCli(stack!.service.url, ["--source", "zendesk", "--json", ...args])
  expect(r.code, r.stderr).toBe(0)
  return {
    summary: parseBackfillSummary(r.stdout),
    calls: countCalls(stack!.emulator.requests(), stack!.serviceClientId, from, Date.now() + 1)
  }
}

const workitems = async () => {
  const session = await openSession(stack!.reader)
  const idKey = customFieldKey(defaultCatalog.fields.find((f) => f.key === "ticket_id")!)
  return (await allWorkitems(session, stack!.worktypeId)).map((w) => String(w.customFields?.[idKey]))
}

describe("pnpm backfill over 1,000 tickets", () => {
  it("the dry run lists 1,000 to create and writes nothing", async () => {
    const dry = await backfill("--dry-run")
    expect(dry.summary).toEqual({ dryRun: true, read: N, created: N, updated: 0, upToDate: 0, refused: 0, pending: 0 })
    expect(dry.calls).toEqual({ api: 0, writes: 0, byOperation: {} })
    expect(await workitems()).toEqual([])
  }, 120_000)

  it("a rerun after kill -9 midway leaves exactly 1,000 workitems, one per ticket; a run after that makes no Genesys write", async () => {
    const service = stack!.service
    const res = await fetch(`${service.url}/backfill/zendesk`, { method: "POST" })
    expect(res.status).toBe(202)
    let j = (await res.json()) as Job
    // Killed once some jobs' links are written and before the last one's are.
    for (let i = 0; i < 3000 && j.finished < N / 2; i++) {
      await new Promise((r) => setTimeout(r, 20))
      j = (await (await fetch(`${service.url}/backfill/jobs/${j.id}`)).json()) as Job
    }
    expect(j.finished).toBeGreaterThanOrEqual(N / 2)
    expect(j.finished).toBeLessThan(N)
    await service.kill9()
    await service.restart()

    const rerun = await backfill()
    expect(rerun.summary).toMatchObject({ dryRun: false, read: N, refused: 0, pending: 0 })
    expect(rerun.summary.created + rerun.summary.upToDate).toBe(N)
    expect(rerun.summary.upToDate).toBeGreaterThanOrEqual(N / 2)
    const ids = await workitems()
    expect(ids).toHaveLength(N)
    expect(new Set(ids).size).toBe(N)

    const again = await backfill()
    expect(again.summary).toEqual({
      dryRun: false,
      read: N,
      created: 0,
      updated: 0,
      upToDate: N,
      refused: 0,
      pending: 0
    })
    expect(again.calls.writes).toBe(0)
    expect(again.calls.byOperation).toEqual({})
    expect(await workitems()).toHaveLength(N)
  }, 300_000)
})
