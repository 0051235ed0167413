/** Structured logs (pino) with every credential-bearing field redacted. */
import { Context } from "effect"
import { pino, type Logger } from "pino"

export const REDACT_PATHS = [
  "secret",
  "*.secret",
  "clientSecret",
  "*.clientSecret",
  "adminSecret",
  "*.adminSecret",
  "password",
  "*.password",
  "basicAuth",
  "*.basicAuth",
  "token",
  "*.token",
  "accessToken",
  "*.accessToken",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
  "bearerToken",
  "*.bearerToken",
  "webhooks.*.secret",
  "webhooks.*.basicAuth",
  "webhooks.*.token"
]

/** Keys whose values are never logged, at any depth. */
const SENSITIVE_KEY = /secret|password|passwd|token|authorization|basicauth|credential|cookie/i

/** A copy of `value` with every sensitive key's value replaced (depth-limited, cycle-safe). */
export const redactDeep = (value: unknown, depth = 0, seen = new WeakSet<object>()): unknown => {
  if (typeof value !== "object" || value === null || depth > 8) return value
  if (seen.has(value)) return "[Circular]"
  seen.add(value)
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth + 1, seen))
  if (value instanceof Error) return { message: value.message, name: value.name }
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value))
    out[k] = SENSITIVE_KEY.test(k) ? "[REDACTED]" : redactDeep(v, depth + 1, seen)
  return out
}

export const makeLogger = (level: string, destination?: pino.DestinationStream): Logger =>
  pino(
    {
      level,
      base: { service: "workbridge" },
      redact: { paths: REDACT_PATHS, censor: "[REDACTED]" },
      formatters: { log: (object) => redactDeep(object) as Record<string, unknown> }
    },
    destination
  )

export class Log extends Context.Tag("@workbridge/service/Log")<Log, Logger>() {}
