import { Ajv } from "ajv"
import { Either } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import type { TicketSyncStatus } from "../sync/TicketStatus.js"
import { ticketStatusContract } from "@workbridge/data-actions"
import { decodeTicketStatusInput, toTicketStatusOutput } from "./ticketStatus.js"

const validateOutput = new Ajv({ allErrors: true }).compile({
  ...ticketStatusContract.output,
  additionalProperties: false
})
const validateInput = new Ajv({ allErrors: true }).compile({
  ...ticketStatusContract.input,
  additionalProperties: false
})

const ref = fc.string({ minLength: 1, maxLength: 100 }).filter((s) => s.trim() === s && s !== "")

const status: fc.Arbitrary<TicketSyncStatus> = fc.record(
  {
    source: ref,
    ticketId: ref,
    workitemId: fc.uuid(),
    appliedRevision: fc.string({ minLength: 16, maxLength: 60 }),
    pendingEvents: fc.nat(),
    lastError: fc.string(),
    lastAppliedAt: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    lagSeconds: fc.double({ min: 0, max: 1e7, noNaN: true })
  },
  { requiredKeys: ["source", "ticketId", "pendingEvents"] }
)

describe("ticket-status", () => {
  it("answers every status the link store can hold with a valid, faithful output", () => {
    fc.assert(
      fc.property(ref, ref, fc.option(status, { nil: undefined }), (source, ticketId, stored) => {
        const output = toTicketStatusOutput({ source, ticketId }, stored)
        expect(validateOutput(output), JSON.stringify(validateOutput.errors)).toBe(true)
        expect(output.found).toBe(stored !== undefined)
        expect(output.linked).toBe(stored?.workitemId !== undefined)
        expect(output.hasError).toBe(stored?.lastError !== undefined)
        expect(output.workitemId).toBe(stored?.workitemId)
        expect(output.pendingEvents).toBe(stored?.pendingEvents ?? 0)
        expect(output.lagSeconds).toBe(stored?.lagSeconds)
      })
    )
  })

  it("decodes exactly the inputs the input contract accepts (trimmed)", () => {
    const body = fc.oneof(
      fc.record(
        { source: fc.string({ maxLength: 110 }), ticketId: fc.string({ maxLength: 110 }) },
        { requiredKeys: [] }
      ),
      fc.dictionary(
        fc.constantFrom("source", "ticketId", "other"),
        fc.oneof(fc.string(), fc.integer(), fc.constant(null))
      )
    )
    fc.assert(
      fc.property(body, (input) => {
        const decoded = decodeTicketStatusInput(input)
        if (Either.isRight(decoded)) {
          expect(validateInput(decoded.right), JSON.stringify(validateInput.errors)).toBe(true)
        } else {
          expect(decoded.left.length).toBeGreaterThan(0)
          for (const issue of decoded.left) expect(["source", "ticketId", "other"]).toContain(issue.field)
        }
      })
    )
  })

  it("accepts a numeric ticket id (some helpdesks number their tickets)", () => {
    expect(decodeTicketStatusInput({ source: "freshdesk", ticketId: 20 })).toEqual(
      Either.right({ source: "freshdesk", ticketId: "20" })
    )
  })
})
