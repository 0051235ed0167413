/**
 * The console's access rules.
 *
 * - With `WORKBRIDGE_ADMIN_TOKEN` set, every page but the login form needs the session cookie (or the same
 *   `Authorization: Bearer <token>` the JSON endpoints take). The login form checks the token and sets the
 *   cookie `wb_ops` — HttpOnly, SameSite=Strict, Path=/ops, Secure when the service serves TLS — holding an HMAC
 *   of the token (not the token itself): it dies when the token changes and does not reveal the token.
 * - Every POST must be same-origin: `Sec-Fetch-Site` (when the browser sends it) must be `same-origin` or `none`,
 *   `Origin` (when sent) must name this host, and the form must carry the CSRF token the page was rendered with
 *   (an HMAC of the session under a per-process random key).
 */
import { createHmac, randomBytes } from "node:crypto"
import { constantTimeEqual } from "@workbridge/adapters"
import type express from "express"
import { bearerMatches } from "../http/index.js"

export const COOKIE = "wb_ops"

export const sessionValue = (token: string): string =>
  createHmac("sha256", token).update("workbridge ops session v1").digest("base64url")

export const readCookie = (req: express.Request, name: string): string | undefined => {
  const header = req.headers.cookie
  if (header === undefined) return undefined
  for (const part of header.split(";")) {
    const i = part.indexOf("=")
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim()
  }
  return undefined
}

export interface OpsAuth {
  readonly enabled: boolean
  /** Whether the request carries a valid session (always true without a token). */
  readonly authenticated: (req: express.Request) => boolean
  /** Whether `given` is the admin token. */
  readonly tokenMatches: (given: string) => boolean
  readonly setCookie: (res: express.Response) => void
  readonly clearCookie: (res: express.Response) => void
  /** The CSRF token forms of this request's session carry. */
  readonly csrfToken: (req: express.Request) => string
  /** Why a POST is refused (undefined: allowed). */
  readonly refuseUnsafe: (req: express.Request, formToken: unknown) => string | undefined
}

export const makeOpsAuth = (options: { readonly adminToken?: string; readonly secure: boolean }): OpsAuth => {
  const token = options.adminToken
  const session = token === undefined ? undefined : sessionValue(token)
  const csrfKey = randomBytes(32)
  const cookieAttrs = `Path=/ops; HttpOnly; SameSite=Strict${options.secure ? "; Secure" : ""}`
  const authenticated = (req: express.Request): boolean => {
    if (token === undefined || session === undefined) return true
    const cookie = readCookie(req, COOKIE)
    if (cookie !== undefined && constantTimeEqual(cookie, session)) return true
    // The same check as the JSON endpoints' (../http/index.ts).
    return bearerMatches(req.headers.authorization, token)
  }
  const csrfToken = (req: express.Request): string =>
    createHmac("sha256", csrfKey)
      .update(token === undefined ? "open" : (readCookie(req, COOKIE) ?? "anonymous"))
      .digest("base64url")
  return {
    enabled: token !== undefined,
    authenticated,
    tokenMatches: (given) => token !== undefined && constantTimeEqual(given, token),
    setCookie: (res) => res.append("set-cookie", `${COOKIE}=${session ?? ""}; ${cookieAttrs}; Max-Age=43200`),
    clearCookie: (res) => res.append("set-cookie", `${COOKIE}=; ${cookieAttrs}; Max-Age=0`),
    csrfToken,
    refuseUnsafe: (req, formToken) => {
      const site = req.headers["sec-fetch-site"]
      if (site !== undefined && site !== "same-origin" && site !== "none")
        return `cross-site request refused (Sec-Fetch-Site: ${String(site)})`
      const origin = req.headers.origin
      if (origin !== undefined) {
        let host: string | undefined
        try {
          host = new URL(origin).host
        } catch {
          host = undefined
        }
        if (host === undefined || host !== req.headers.host)
          return "cross-origin request refused (Origin does not name this host)"
      }
      if (typeof formToken !== "string" || !constantTimeEqual(formToken, csrfToken(req)))
        return "the form's CSRF token is missing or stale: reload the page and try again"
      return undefined
    }
  }
}
