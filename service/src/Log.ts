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

export const makeLogger = (level: string, destination?: pino.DestinationStream): Logger =>
  pino({ level, base: { service: "workbridge" }, redact: { paths: REDACT_PATHS, censor: "[REDACTED]" } }, destination)

export class Log extends Context.Tag("@workbridge/service/Log")<Log, Logger>() {}
