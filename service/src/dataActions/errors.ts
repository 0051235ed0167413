/**
 * The JSON error body every Data Action endpoint answers with. Genesys passes a failed call's body to the
 * flow's failure path, so `message` names the bad input in words a flow author can log.
 */
import type { Response } from "express"

export type DataActionErrorCode =
  | "unauthorized"
  | "malformed_input"
  | "payload_too_large"
  | "unsupported_media_type"
  | "not_found"
  | "method_not_allowed"
  | "status_unavailable"
  | "status_timeout"
  | "internal"

/** One rejected input. */
export interface InputIssue {
  /** The input property (or `body`). */
  readonly field: string
  readonly problem: string
}

export interface DataActionErrorBody {
  readonly error: DataActionErrorCode
  readonly message: string
  readonly issues?: ReadonlyArray<InputIssue>
}

/** Most issues an error body lists; the rest are counted in one last entry (an input with thousands of unknown keys). */
export const MAX_LISTED_ISSUES = 20

const clip = (text: string): string => (text.length > 100 ? `${text.slice(0, 100)}…` : text)

/** The first MAX_LISTED_ISSUES issues (field names cut to 100 characters), then `(more)` counting the others. */
export const capIssues = (issues: ReadonlyArray<InputIssue>): ReadonlyArray<InputIssue> => {
  const listed = issues.slice(0, MAX_LISTED_ISSUES).map((i) => ({ field: clip(i.field), problem: clip(i.problem) }))
  return issues.length <= MAX_LISTED_ISSUES
    ? listed
    : [...listed, { field: "(more)", problem: `${issues.length - MAX_LISTED_ISSUES} more issues not listed` }]
}

export const sendError = (res: Response, status: number, body: DataActionErrorBody): void => {
  res.status(status).json(body.issues === undefined ? body : { ...body, issues: capIssues(body.issues) })
}

/** The message of a 400: the issues (at most MAX_LISTED_ISSUES), in one line. */
export const issuesMessage = (issues: ReadonlyArray<InputIssue>): string =>
  `malformed input: ${capIssues(issues)
    .map((issue) => `${issue.field}: ${issue.problem}`)
    .join("; ")}`
