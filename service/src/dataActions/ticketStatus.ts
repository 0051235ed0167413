/**
 * `POST /data-actions/ticket-status`: decode `{ source, ticketId }` and answer the ticket's sync status as flat
 * outputs. An unknown ticket is an answer (`found: false`), not a failure, so a flow can branch on it.
 */
import { Either } from "effect"
import type { TicketSyncStatus } from "../sync/TicketStatus.js"
import { TICKET_REF_MAX_LENGTH } from "@workbridge/data-actions"
import type { InputIssue } from "./errors.js"

export interface TicketStatusInput {
  readonly source: string
  readonly ticketId: string
}

/** The flat answer, matching `ticketStatusContract.output`. */
export interface TicketStatusOutput {
  readonly found: boolean
  readonly linked: boolean
  readonly source: string
  readonly ticketId: string
  readonly workitemId?: string
  readonly appliedRevision?: string
  readonly pendingEvents: number
  readonly hasError: boolean
  readonly lastError?: string
  readonly lastAppliedAt?: string
  readonly lagSeconds?: number
}

/** Validate the request body; every problem is reported, naming its input. */
export const decodeTicketStatusInput = (body: unknown): Either.Either<TicketStatusInput, ReadonlyArray<InputIssue>> => {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return Either.left([{ field: "body", problem: "must be a JSON object with source and ticketId" }])
  }
  const record = body as Record<string, unknown>
  const issues: Array<InputIssue> = []
  const text = (name: "source" | "ticketId"): string => {
    const value = record[name]
    if (typeof value === "number" && Number.isFinite(value) && name === "ticketId") return String(value)
    if (value === undefined || value === null || value === "") {
      issues.push({ field: name, problem: "is required" })
      return ""
    }
    if (typeof value !== "string") {
      issues.push({ field: name, problem: `must be a string, got ${describeType(value)}` })
      return ""
    }
    const trimmed = value.trim()
    if (trimmed === "") issues.push({ field: name, problem: "must not be blank" })
    else if (trimmed.length > TICKET_REF_MAX_LENGTH) {
      issues.push({
        field: name,
        problem: `must be at most ${TICKET_REF_MAX_LENGTH} characters, got ${trimmed.length}`
      })
    }
    return trimmed
  }
  const source = text("source")
  const ticketId = text("ticketId")
  for (const key of Object.keys(record)) {
    if (key !== "source" && key !== "ticketId") issues.push({ field: key, problem: "is not an input of this action" })
  }
  return issues.length > 0 ? Either.left(issues) : Either.right({ source, ticketId })
}

/** The flat answer for a ticket, `found: false` when the link store does not know it. */
export const toTicketStatusOutput = (
  input: TicketStatusInput,
  status: TicketSyncStatus | undefined
): TicketStatusOutput => {
  if (status === undefined) {
    return {
      found: false,
      linked: false,
      source: input.source,
      ticketId: input.ticketId,
      pendingEvents: 0,
      hasError: false
    }
  }
  return {
    found: true,
    linked: status.workitemId !== undefined,
    source: input.source,
    ticketId: input.ticketId,
    ...(status.workitemId === undefined ? {} : { workitemId: status.workitemId }),
    ...(status.appliedRevision === undefined ? {} : { appliedRevision: status.appliedRevision }),
    pendingEvents: status.pendingEvents,
    hasError: status.lastError !== undefined,
    ...(status.lastError === undefined ? {} : { lastError: status.lastError }),
    ...(status.lastAppliedAt === undefined ? {} : { lastAppliedAt: status.lastAppliedAt }),
    ...(status.lagSeconds === undefined ? {} : { lagSeconds: status.lagSeconds })
  }
}

export const describeType = (value: unknown): string =>
  value === null ? "null" : Array.isArray(value) ? "an array" : typeof value === "object" ? "an object" : typeof value
