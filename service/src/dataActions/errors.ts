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

export const sendError = (res: Response, status: number, body: DataActionErrorBody): void => {
  res.status(status).json(body)
}

/** The message of a 400: every issue, in one line. */
export const issuesMessage = (issues: ReadonlyArray<InputIssue>): string =>
  `malformed input: ${issues.map((issue) => `${issue.field}: ${issue.problem}`).join("; ")}`
