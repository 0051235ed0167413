/**
 * The Data Actions' content-type check, before the JSON parser: a call without a body is refused with 400 (there is
 * always an input object) and a body that is not JSON with 415, in the Data Action error body (errors.ts).
 */
import type { NextFunction, Request, RequestHandler, Response } from "express"
import { sendError } from "./errors.js"

const JSON_TYPES = ["application/json", "application/*+json"]

/** Media-type verdicts by `Content-Type` value: a caller sends the same one every time. At most 32 are kept. */
const verdicts = new Map<string, boolean>()
const VERDICTS_KEPT = 32

/** Whether a request that has a body sends JSON, by its `Content-Type` (parsed once per distinct value). */
const isJson = (req: Request): boolean => {
  const type = req.headers["content-type"]
  if (type === undefined) return false
  const known = verdicts.get(type)
  if (known !== undefined) return known
  const verdict = typeof req.is(JSON_TYPES) === "string"
  if (verdicts.size >= VERDICTS_KEPT) verdicts.clear()
  verdicts.set(type, verdict)
  return verdict
}

/** Whether the request has a JSON body; if not, answers 400 (no body) or 415 (not JSON) and returns false. */
const admitted = (req: Request, res: Response): boolean => {
  const length = req.headers["content-length"]
  const noBody = req.headers["transfer-encoding"] === undefined && (length === undefined || length === "0")
  if (noBody) {
    sendError(res, 400, {
      error: "malformed_input",
      message: "malformed input: body: is required (a JSON object)",
      issues: [{ field: "body", problem: "is required (a JSON object)" }]
    })
    return false
  }
  if (!isJson(req)) {
    sendError(res, 415, {
      error: "unsupported_media_type",
      message: "request body must be JSON (Content-Type: application/json)"
    })
    return false
  }
  return true
}

/** 415 for a body that is not JSON, 400 for no body at all (there is always an input object). */
export function requireJson(req: Request, res: Response, next: NextFunction): void {
  if (admitted(req, res)) next()
}

/**
 * `first` (a check that answers the refusal itself, e.g. the caller's credentials), then `requireJson`, then `parse`
 * (the body parser, which then need not check the media type), as one middleware: one layer of a route instead of
 * three.
 */
export const requireJsonThen =
  (parse: RequestHandler, first: (req: Request, res: Response) => boolean = () => true): RequestHandler =>
  (req, res, next) => {
    if (first(req, res) && admitted(req, res)) parse(req, res, next)
  }
