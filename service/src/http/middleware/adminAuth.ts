/**
 * The admin gate in front of `/metrics`, `/tickets`, `/dead-letters`, `/reconcile` and `/backfill`
 * (`WORKBRIDGE_ADMIN_TOKEN`):
 * - token set: `Authorization: Bearer <token>` is required (401 otherwise);
 * - no token, loopback `HOST` (or `WORKBRIDGE_ADMIN_OPEN=true`): open, with a warning at start;
 * - no token, any other `HOST`: 403, and the operator console at `/ops` too.
 */
import { constantTimeEqual } from "@workbridge/adapters"
import type express from "express"
import type { Logger } from "pino"
import { HttpError } from "../httpError.js"

/** Routes that need the admin token when one is configured. */
export const ADMIN_PATHS = ["/metrics", "/tickets", "/dead-letters", "/reconcile", "/backfill"]

/** The variable that exposes the admin endpoints on a non-loopback host without a token. */
export const ADMIN_OPEN_VARIABLE = "WORKBRIDGE_ADMIN_OPEN"

/** Whether a listener address only accepts connections from this machine. */
export const isLoopbackHost = (host: string | undefined): boolean =>
  host === undefined ||
  host === "localhost" ||
  host === "::1" ||
  /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/i.test(host)

/** Constant-time check of an `Authorization: Bearer <token>` header (hashing first hides the length too). */
export const bearerMatches = (header: string | undefined, token: string): boolean => {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "")
  const given = m?.[1] ?? ""
  return constantTimeEqual(given, token) && m !== null
}

export interface AdminGateOptions {
  readonly adminToken?: string | undefined
  readonly adminOpen?: boolean | undefined
  /** The address the listener binds (`HOST`); undefined is taken as loopback. */
  readonly host?: string | undefined
  readonly log: Logger
}

/** A middleware and the paths it guards. */
export interface AdminGate {
  readonly paths: ReadonlyArray<string>
  readonly middleware: express.RequestHandler
}

/** The gate for these options (undefined: the admin endpoints are open), after logging the warning they call for. */
export const adminGate = (options: AdminGateOptions): AdminGate | undefined => {
  const { adminToken, log } = options
  if (adminToken === undefined && !isLoopbackHost(options.host) && options.adminOpen !== true) {
    log.warn(
      { endpoints: ADMIN_PATHS, host: options.host },
      `WORKBRIDGE_ADMIN_TOKEN is not set and HOST is not loopback: /metrics, /tickets, /dead-letters and /ops answer 403; set WORKBRIDGE_ADMIN_TOKEN to require Authorization: Bearer <token>, or ${ADMIN_OPEN_VARIABLE}=true to expose them without one`
    )
    const refusal = (): HttpError =>
      new HttpError(
        403,
        "AdminDisabled",
        `the admin endpoints are not exposed on a non-loopback HOST without WORKBRIDGE_ADMIN_TOKEN (or ${ADMIN_OPEN_VARIABLE}=true)`,
        { "x-workbridge-missing-variable": "WORKBRIDGE_ADMIN_TOKEN" }
      )
    // The operator console is an admin surface too (it logs in with the same token).
    return {
      paths: [...ADMIN_PATHS, "/ops"],
      middleware: function adminDisabled(_req, _res, next) {
        next(refusal())
      }
    }
  }
  if (adminToken === undefined) {
    log.warn(
      { endpoints: ADMIN_PATHS },
      "WORKBRIDGE_ADMIN_TOKEN is not set: /metrics, /tickets, /dead-letters and the /ops console are open to anyone who reaches this listener; set it to require Authorization: Bearer <token> (and a login on /ops)"
    )
    return undefined
  }
  return {
    paths: ADMIN_PATHS,
    middleware: function requireAdminToken(req, _res, next) {
      if (bearerMatches(req.headers.authorization, adminToken)) next()
      else
        next(
          new HttpError(401, "Unauthorized", "this endpoint needs Authorization: Bearer <WORKBRIDGE_ADMIN_TOKEN>", {
            "www-authenticate": 'Bearer realm="workbridge"'
          })
        )
    }
  }
}
