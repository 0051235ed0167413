/** The fault rules in force: added, listed and cleared (API and control API), drawn per request, answered. */
import { randomUUID } from "node:crypto"
import type { IncomingMessage, ServerResponse } from "node:http"
import { ApiError, codeForStatus, platformRateLimit } from "./errors.js"
import { type ActiveFault, type FaultRule, TRANSIENT_FAULTS, checkFaultRule, pathMatches } from "./faults.js"
import { sendError } from "./http.js"

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** What the faults made of one request: a latency was added, and the fault that answers it instead, if any. */
export interface Drawn {
  readonly delayed: boolean
  readonly terminal: ActiveFault | undefined
}

export interface FaultBook {
  readonly add: (rule: FaultRule) => string
  readonly clear: () => void
  readonly list: () => ReadonlyArray<FaultRule & { id: string }>
  /** The rules as the control API shows them (a path regular expression as its source). */
  readonly listForControl: () => ReadonlyArray<Record<string, unknown>>
  /** Apply the matching rules in order: latencies are waited out, the first other kind ends the draw. */
  readonly draw: (method: string, path: string, random: () => number) => Promise<Drawn>
}

export const makeFaultBook = (): FaultBook => {
  let faults: Array<ActiveFault> = []
  return {
    add: (rule) => {
      const r = checkFaultRule(rule)
      const id = randomUUID()
      faults.push({ id, rule: r, path: r.path, remaining: r.count ?? Number.POSITIVE_INFINITY })
      return id
    },
    clear: () => {
      faults = []
    },
    list: () => faults.map((f) => ({ id: f.id, ...f.rule })),
    listForControl: () =>
      faults.map((f) => ({ id: f.id, ...f.rule, path: f.path instanceof RegExp ? f.path.source : f.path })),
    draw: async (method, path, random) => {
      let terminal: ActiveFault | undefined
      let delayed = false
      for (const f of faults) {
        if (f.remaining <= 0) continue
        if (f.rule.method !== undefined && f.rule.method.toUpperCase() !== method) continue
        if (!pathMatches(f, path)) continue
        if ((f.rule.probability ?? 1) < 1 && random() >= (f.rule.probability ?? 1)) continue
        f.remaining--
        if (f.rule.kind === "latency") {
          delayed = true
          await sleep(f.rule.latencyMs ?? 0)
        } else {
          terminal = f
          break
        }
      }
      faults = faults.filter((f) => f.remaining > 0)
      return { delayed, terminal }
    }
  }
}

/**
 * Answer a request as its terminal fault says (hang, drop, an error status); `lostResponse` is not answered here
 * (the request is handled, its answer never sent). Returns the status logged (0: hung or dropped) and the kind.
 */
export const answerFault = (
  req: IncomingMessage,
  res: ServerResponse,
  rule: FaultRule,
  correlationId: string
): number => {
  if (rule.kind === "hang") {
    req.resume()
    return 0
  }
  if (rule.kind === "drop") {
    req.socket.destroy()
    return 0
  }
  if (rule.kind === "statusConcurrency" || rule.kind === "versionConflict") {
    const t = TRANSIENT_FAULTS[rule.kind]
    const status = rule.kind === "statusConcurrency" ? TRANSIENT_FAULTS.statusConcurrency.status : (rule.status ?? 409)
    sendError(
      res,
      new ApiError(status, rule.kind === "versionConflict" && status === 400 ? "bad.request" : t.code, t.message),
      correlationId
    )
    req.resume()
    return status
  }
  const status = rule.kind === "rateLimit" ? 429 : (rule.status ?? 500)
  const retryAfter = rule.retryAfterSeconds ?? 1
  const headers: Record<string, string> = status === 429 ? { "Retry-After": String(retryAfter) } : {}
  // An injected 429 is the platform's normalized one (docs/genesys-api.md §6.4).
  const error =
    status === 429
      ? platformRateLimit(retryAfter)
      : new ApiError(status, codeForStatus(status), `Injected fault: ${status}`, { headers })
  sendError(res, error, correlationId)
  req.resume()
  return status
}
