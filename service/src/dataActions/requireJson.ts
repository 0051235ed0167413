/**
 * The Data Actions' content-type check, before the JSON parser: a call without a body is refused with 400 (there is
 * always an input object) and a body that is not JSON with 415, in the Data Action error body (errors.ts).
 */
import type { NextFunction, Request, Response } from "express"
import { sendError } from "./errors.js"

const JSON_TYPES = ["application/json", "application/*+json"]

/** 415 for a body that is not JSON, 400 for no body at all (there is always an input object). */
export function requireJson(req: Request, res: Response, next: NextFunction): void {
  const length = req.headers["content-length"]
  const noBody = req.headers["transfer-encoding"] === undefined && (length === undefined || length === "0")
  if (noBody) {
    sendError(res, 400, {
      error: "malformed_input",
      message: "malformed input: body: is required (a JSON object)",
      issues: [{ field: "body", problem: "is required (a JSON object)" }]
    })
    return
  }
  if (!req.is(JSON_TYPES)) {
    sendError(res, 415, {
      error: "unsupported_media_type",
      message: "request body must be JSON (Content-Type: application/json)"
    })
    return
  }
  next()
}
