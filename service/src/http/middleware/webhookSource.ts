/**
 * `/webhooks/:source` before its body is read: an unknown source is refused with 404 (listing the known ones) and a
 * source without any credential configured with 401 naming the variable to set. Nothing is allocated for a
 * request that passes.
 */
import type { Adapter, SourceCredentials } from "@workbridge/adapters"
import type express from "express"
import { secretVariableFor } from "../../config/Config.js"
import { HttpError } from "../httpError.js"

const hasOwn = Object.prototype.hasOwnProperty

/** The route parameters of `/webhooks/:source`. */
export type SourceParams = { readonly source: string }

/** The adapter configured for `source`, or undefined (never one of `Object.prototype`'s names). */
export const adapterOf = (sources: Readonly<Record<string, Adapter>>, source: string): Adapter | undefined =>
  hasOwn.call(sources, source) ? sources[source] : undefined

const hasAny = (creds: SourceCredentials | undefined, adapter: Adapter): boolean => {
  if (creds === undefined) return false
  for (const k of adapter.credentialKinds) {
    if (
      k === "secret"
        ? (creds.secret ?? "") !== ""
        : k === "basicAuth"
          ? (creds.basicAuth ?? "") !== ""
          : creds.token !== undefined
    )
      return true
  }
  return false
}

/** The refusal of a request for `source` (unknown: 404; no credentials configured: 401), or undefined. */
export const sourceRefusal = (
  sources: Readonly<Record<string, Adapter>>,
  credentials: Readonly<Record<string, SourceCredentials>>,
  source: string
): HttpError | undefined => {
  const adapter = adapterOf(sources, source)
  if (adapter === undefined)
    return new HttpError(
      404,
      "UnknownSource",
      `no webhook source named "${source}"; known sources: ${Object.keys(sources).join(", ")}`
    )
  if (!hasAny(credentials[source], adapter)) {
    const kind = adapter.credentialKinds[0] ?? "secret"
    return new HttpError(
      401,
      "SourceNotConfigured",
      `no credentials are configured for source "${source}": set ${adapter.credentialKinds.map((k) => secretVariableFor(source, k)).join(" or ")}`,
      { "x-workbridge-missing-variable": secretVariableFor(source, kind) }
    )
  }
  return undefined
}

export const requireConfiguredSource = (
  sources: Readonly<Record<string, Adapter>>,
  credentials: Readonly<Record<string, SourceCredentials>>
): express.RequestHandler<SourceParams> =>
  function configuredSource(req, _res, next) {
    next(sourceRefusal(sources, credentials, req.params.source))
  }
