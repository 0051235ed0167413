import fc from "fast-check"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Emulator, startEmulator } from "./Emulator.js"
import { type SdkSession, type Setup, call, login, setupWorktype } from "./testing.js"

/** Random create / patch / delete sequences; every query answer must equal a plain model of the workitems. */
type Op =
  | { kind: "create"; tag: string; ticket: string; severity: "low" | "high" }
  | { kind: "patch"; target: number; tag?: string; ticket?: string | null }
  | { kind: "delete"; target: number }

const value = fc.constantFrom("A-1", "a-1", "B-2", "C-3")
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("create" as const),
      tag: value,
      ticket: value,
      severity: fc.constantFrom("low" as const, "high" as const)
    })
  },
  {
    weight: 2,
    arbitrary: fc.record(
      { kind: fc.constant("patch" as const), target: fc.nat(20), tag: value, ticket: fc.option(value, { nil: null }) },
      { requiredKeys: ["kind", "target"] }
    )
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("delete" as const), target: fc.nat(20) }) }
)

interface Model {
  id: string
  tag: string
  ticket: string | undefined
  severity: string
}

describe("workitem query against a model", () => {
  let emu: Emulator
  let s: SdkSession
  let run = 0
  beforeAll(async () => {
    emu = await startEmulator({ rateLimitPerMinute: 1_000_000, workitemUpdatesPerMinute: 1_000_000 })
    s = await login(emu.url, emu.adminClientId, emu.adminClientSecret)
  })
  afterAll(async () => {
    await emu.close()
  })

  const ids = async (setup: Setup, filter: object, pageSize: number): Promise<Array<string>> => {
    const out: Array<string> = []
    let after: string | undefined
    do {
      const r = await call(
        s.tm.postTaskmanagementWorkitemsQuery({
          filters: [{ name: "typeId", type: "String", operator: "EQ", values: [setup.worktypeId] }, filter as never],
          pageSize,
          ...(after === undefined ? {} : { after })
        })
      )
      expect(r.status).toBe(200)
      out.push(...r.body.entities.map((e: { id: string }) => e.id))
      after = r.body.after
    } while (after !== undefined && after !== "")
    return out
  }

  it("finds exactly the matching workitems by externalTag and by identifier (case-insensitive), in creation order", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 1, maxLength: 25 }),
        fc.integer({ min: 1, max: 4 }),
        async (ops, pageSize) => {
          const setup = await setupWorktype(s, `Prop${run++}`)
          const model: Array<Model> = []
          for (const o of ops) {
            if (o.kind === "create") {
              const r = await call(
                s.tm.postTaskmanagementWorkitems({
                  name: "Property item",
                  typeId: setup.worktypeId,
                  externalTag: o.tag,
                  customFields: { ticket_id_identifier: o.ticket, severity_enum: o.severity } as never
                })
              )
              expect(r.status).toBe(200)
              model.push({ id: r.body.id, tag: o.tag, ticket: o.ticket, severity: o.severity })
            } else if (model.length > 0) {
              const i = o.target % model.length
              const m = model[i] as Model
              if (o.kind === "delete") {
                expect((await call(s.tm.deleteTaskmanagementWorkitem(m.id))).status).toBe(204)
                model.splice(i, 1)
              } else {
                const body: Record<string, unknown> = {}
                if (o.tag !== undefined) body["externalTag"] = o.tag
                if (o.ticket !== undefined) body["customFields"] = { ticket_id_identifier: o.ticket }
                expect((await call(s.tm.patchTaskmanagementWorkitem(m.id, body as never))).status).toBe(200)
                if (o.tag !== undefined) m.tag = o.tag
                if (o.ticket !== undefined) m.ticket = o.ticket ?? undefined
              }
            }
          }
          for (const v of ["A-1", "a-1", "B-2", "C-3"]) {
            expect(
              await ids(setup, { name: "externalTag", type: "String", operator: "EQ", values: [v] }, pageSize)
            ).toEqual(model.filter((m) => m.tag === v).map((m) => m.id))
            expect(
              await ids(
                setup,
                { name: "customFields.ticket_id_identifier", type: "String", operator: "EQ", values: [v] },
                pageSize
              )
            ).toEqual(model.filter((m) => m.ticket?.toLowerCase() === v.toLowerCase()).map((m) => m.id))
          }
          expect(
            await ids(
              setup,
              { name: "customFields.severity_enum", type: "String", operator: "IN", values: ["high"] },
              pageSize
            )
          ).toEqual(model.filter((m) => m.severity === "high").map((m) => m.id))
        }
      ),
      { numRuns: 15 }
    )
  })
})
