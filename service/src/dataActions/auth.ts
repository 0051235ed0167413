/**
 * Authentication of Genesys Data Action calls: Genesys sends the integration's Basic-auth credential as
 * `Authorization: Basic …` (RFC 7617), or a user-defined credential as `Authorization: Bearer …` (RFC 6750)
 * when the action's request headers say so. Anything else is refused with 401.
 */
import { constantTimeEqual } from "@workbridge/adapters"
import type { NextFunction, Request, Response } from "express"
import { sendError } from "./errors.js"

/** The credentials a Data Action call may present; at least one must be set for any call to pass. */
export interface DataActionAuth {
  /** `user:password`, from `WORKBRIDGE_DATA_ACTION_BASIC_AUTH`. */
  readonly basicAuth?: string
  /** A bearer token, from `WORKBRIDGE_DATA_ACTION_TOKEN`. */
  readonly bearerToken?: string
}

/**
 * How many distinct accepted `Authorization` values are remembered (a client keeps sending the same one; the few
 * spellings of one credential — scheme case, padding — fit many times over). Past it the set starts afresh.
 */
export const ACCEPTED_HEADERS_KEPT = 16

/**
 * Checks the configured credentials and returns the middleware. Throws an `Error` naming the variable when a
 * configured value is malformed; the message never contains the value.
 *
 * A header is compared with the credentials (constant time) the first time it is seen; once accepted, the same
 * header string is let through by a set lookup. The lookup hashes the whole header and compares contents only with
 * a remembered header of the same hash, so it tells a caller nothing about a credential it has not sent; a refused
 * header is never remembered and is compared in full every time.
 */
export const requireDataActionAuth = (auth: DataActionAuth) => authMiddleware(dataActionAuthCheck(auth))

/** The middleware of a credentials check made once (`dataActionAuthCheck`): it goes on only when the check passes. */
export const authMiddleware =
  (check: (req: Request, res: Response) => boolean) =>
  (req: Request, res: Response, next: NextFunction): void => {
    if (check(req, res)) next()
  }

/**
 * `requireDataActionAuth` as a check: true when the call is authorized; otherwise it has answered 401 and returns
 * false. For a handler that runs it with other checks in one step (the actions' routes, router.ts).
 */
export const dataActionAuthCheck = (auth: DataActionAuth): ((req: Request, res: Response) => boolean) => {
  const basic = auth.basicAuth === undefined ? undefined : checkBasicAuth(auth.basicAuth)
  const bearer = auth.bearerToken === undefined ? undefined : checkBearerToken(auth.bearerToken)
  const challenge = [
    ...(basic === undefined ? [] : ['Basic realm="workbridge-data-actions", charset="UTF-8"']),
    ...(bearer === undefined ? [] : ['Bearer realm="workbridge-data-actions"'])
  ].join(", ")

  const accepted = new Set<string>()

  return function dataActionAuthorized(req: Request, res: Response): boolean {
    const header = req.headers.authorization
    if (header !== undefined) {
      if (accepted.has(header)) return true
      if (authorized(header, basic, bearer)) {
        if (accepted.size >= ACCEPTED_HEADERS_KEPT) accepted.clear()
        accepted.add(header)
        return true
      }
    }
    if (challenge !== "") res.setHeader("WWW-Authenticate", challenge)
    sendError(res, 401, {
      error: "unauthorized",
      message:
        basic === undefined && bearer === undefined
          ? "Data Actions are not configured: set WORKBRIDGE_DATA_ACTION_BASIC_AUTH or WORKBRIDGE_DATA_ACTION_TOKEN"
          : header === undefined
            ? "missing Authorization header: use the integration's Basic-auth credentials or a bearer token"
            : "invalid credentials"
    })
    return false
  }
}

const authorized = (header: string, basic: string | undefined, bearer: string | undefined): boolean => {
  const space = header.indexOf(" ")
  if (space <= 0) return false
  const scheme = header.slice(0, space).toLowerCase()
  const credentials = header.slice(space + 1).trim()
  // RFC 7617: base64 of user-id ":" password. The configured credential was encoded once (`checkBasicAuth`), so the
  // header's text is compared as sent, without decoding it; padding is optional, and any other spelling of the
  // same bytes (invalid characters, non-zero trailing bits) does not match.
  if (scheme === "basic" && basic !== undefined) return constantTimeEqual(credentials.replace(/=+$/, ""), basic)
  if (scheme === "bearer" && bearer !== undefined) return constantTimeEqual(credentials, bearer)
  return false
}

const checkBasicAuth = (value: string): string => {
  const colon = value.indexOf(":")
  if (colon <= 0 || colon === value.length - 1) {
    throw new Error('WORKBRIDGE_DATA_ACTION_BASIC_AUTH must be "user:password" with a non-empty user and password')
  }
  // What a client sends for it: the UTF-8 bytes in base64, compared without padding.
  return Buffer.from(value, "utf8").toString("base64").replace(/=+$/, "")
}

const checkBearerToken = (value: string): string => {
  if (value.length < 16 || /\s/.test(value)) {
    throw new Error("WORKBRIDGE_DATA_ACTION_TOKEN must be at least 16 characters without whitespace")
  }
  return value
}
