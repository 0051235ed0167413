/**
 * `pnpm dead-letters` as a child process against a running service that has dead letters (Genesys answered 400 to
 * their create), with WORKBRIDGE_ADMIN_TOKEN set on both sides: list, show, replay, delete, and the refusals.
 */
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { DeadLetter } from "../src/domain/records.js"
import { genericBody, type Harness, startHarness } from "../src/testing/harness.js"
import { runBin } from "./testing.js"

const TOKEN = "dead-letters-admin-token-0123456789"
const WORKITEMS = "/api/v2/taskmanagement/workitems"

let h: Harness
let first: DeadLetter
let second: DeadLetter

const deadLetters = () => Effect.runPromise(h.service.links.listDeadLetters())

const until = async <A>(what: string, probe: () => Promise<A | undefined>): Promise<A> => {
  for (let i = 0; i < 400; i++) {
    const a = await probe()
    if (a !== undefined) return a
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`gave up waiting for ${what}`)
}

/** The CLI with `WORKBRIDGE_ADMIN_TOKEN` = `token` (`null`: the variable unset). */
const cli = (args: ReadonlyArray<string>, token: string | null = TOKEN) =>
  runBin(
    "bin/dead-letters.ts",
    [...args, "--url", h.service.url],
    token === null ? {} : { WORKBRIDGE_ADMIN_TOKEN: token }
  )

beforeAll(async () => {
  h = await startHarness({ WORKBRIDGE_ADMIN_TOKEN: TOKEN, WORKBRIDGE_COALESCE_MS: "0" })
  // Two tickets whose create Genesys refuses with a 400: not retried, dead-lettered with the error.
  for (const ticketId of ["DL-1", "DL-2"]) {
    h.emulator.faults.add({ kind: "status", status: 400, path: /\/workitems$/, method: "POST", count: 1 })
    expect((await h.post(genericBody({ ticketId, rev: 1 }))).status).toBe(202)
    await until(`the dead letter of ${ticketId}`, async () =>
      (await deadLetters()).find((d) => d.ticketId === ticketId)
    )
  }
  const all = await deadLetters()
  first = all.find((d) => d.ticketId === "DL-1")!
  second = all.find((d) => d.ticketId === "DL-2")!
}, 60_000)

afterAll(async () => {
  await h?.close()
})

describe("dead-letters CLI", () => {
  it("list prints every dead letter with its reason, and --json the API's body", async () => {
    const listed = await cli(["list"])
    expect(listed.stderr).toBe("")
    expect(listed.code).toBe(0)
    expect(listed.stdout).toContain(`${first.id}\tgeneric/DL-1\t${first.revision}\tGenesysBadRequest`)
    expect(listed.stdout).toContain(`${second.id}\tgeneric/DL-2\t${second.revision}\tGenesysBadRequest`)
    expect(listed.stdout).toContain("2 dead letter(s)")

    const json = await cli(["list", "--json"])
    expect(json.code).toBe(0)
    const parsed = JSON.parse(json.stdout) as { deadLetters: Array<{ id: string }>; total: number }
    expect(parsed.total).toBe(2)
    expect(parsed.deadLetters.map((d) => d.id).sort()).toEqual([first.id, second.id].sort())
  }, 30_000)

  it("show prints one dead letter with its original event; an unknown id exits 1", async () => {
    const shown = await cli(["show", first.id])
    expect(shown.code).toBe(0)
    const d = JSON.parse(shown.stdout) as {
      id: string
      reason: string
      details: Array<string>
      event: { ticketId: string }
    }
    expect(d.id).toBe(first.id)
    expect(d.reason).toBe("GenesysBadRequest")
    expect(d.details.join(" ")).toContain("400")
    expect(d.event.ticketId).toBe("DL-1")

    const unknown = await cli(["show", "no-such-id"])
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toContain('no dead letter with id "no-such-id"')
  }, 30_000)

  it("refuses without the admin token or with a wrong one (401 from the service)", async () => {
    const none = await cli(["list"], null)
    expect(none.code).toBe(1)
    expect(none.stderr).toContain("GET /dead-letters → 401")
    const wrong = await cli(["delete", first.id], "not-the-admin-token-at-all")
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toContain("→ 401")
    expect((await deadLetters()).map((d) => d.id)).toContain(first.id)
  }, 30_000)

  it("replay puts the event back in the inbox: the workitem is created and the dead letter is gone", async () => {
    h.emulator.clearRequests()
    const replayed = await cli(["replay", first.id])
    expect(replayed.stderr).toBe("")
    expect(replayed.code).toBe(0)
    expect(replayed.stdout).toBe(`dead letter ${first.id} requeued\n`)
    expect((await deadLetters()).map((d) => d.id)).not.toContain(first.id)
    const items = await until("the replayed workitem", async () => {
      const found = await h.workitemsOf("DL-1")
      return found.length > 0 ? found : undefined
    })
    expect(items).toHaveLength(1)
    expect(h.emulator.requests().filter((r) => r.method === "POST" && r.path === WORKITEMS)).toHaveLength(1)
  }, 30_000)

  it("delete removes the dead letter (nothing is sent to Genesys); deleting it again exits 1 with the 404", async () => {
    const deleted = await cli(["delete", second.id])
    expect(deleted.code).toBe(0)
    expect(deleted.stdout).toBe(`dead letter ${second.id} deleted\n`)
    expect((await deadLetters()).map((d) => d.id)).not.toContain(second.id)
    expect(await h.workitemsOf("DL-2")).toHaveLength(0)

    const again = await cli(["delete", second.id])
    expect(again.code).toBe(1)
    expect(again.stderr).toContain(`DELETE /dead-letters/${second.id} → 404`)

    const listed = await cli(["list"])
    expect(listed.stdout).toContain("0 dead letter(s)")
  }, 30_000)

  it("usage: --help exits 0; a missing command or id exits 2", async () => {
    const help = await cli(["--help"])
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/^usage: pnpm dead-letters list/)
    const noCommand = await cli([])
    expect(noCommand.code).toBe(2)
    expect(noCommand.stderr).toContain("which command?")
    const noId = await cli(["replay"])
    expect(noId.code).toBe(2)
    expect(noId.stderr).toContain("replay needs a dead-letter id")
  }, 30_000)
})
