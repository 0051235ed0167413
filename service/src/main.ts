/**
 * `pnpm start`: the Workbridge service, configured purely from the environment (see docs/service.md).
 * Prints `workbridge listening on <url>` once it accepts webhooks; SIGTERM/SIGINT shut it down cleanly
 * (also when they arrive during start-up).
 */
import type { ServiceConfig } from "./Config.js"
import { capHeapGrowth } from "./Memory.js"
import type { RunningService } from "./Service.js"

let service: RunningService | undefined
let stopRequested: string | undefined

const shutdown = (signal: string) => {
  process.stdout.write(`workbridge: ${signal} received, shutting down\n`)
  const force = setTimeout(() => process.exit(1), 15_000)
  force.unref()
  const closing = service === undefined ? Promise.resolve() : service.close()
  closing.then(
    () => process.exit(0),
    () => process.exit(1)
  )
}

const onSignal = (signal: string) => {
  if (stopRequested !== undefined) return
  stopRequested = signal
  // During start-up the shutdown waits for the service to exist.
  if (service !== undefined) shutdown(signal)
}
process.on("SIGTERM", () => onSignal("SIGTERM"))
process.on("SIGINT", () => onSignal("SIGINT"))

// Before the service's modules load, so that every full collection from the first one on keeps the resident size
// near the live heap during webhook storms (see Memory.ts).
capHeapGrowth()
const { ConfigError, loadConfig } = await import("./Config.js")
const { startService } = await import("./Service.js")

const main = async (): Promise<void> => {
  let config: ServiceConfig
  try {
    config = loadConfig(process.env)
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`workbridge: configuration error: ${e.message}\n`)
      process.exit(2)
    }
    throw e
  }
  service = await startService(config)
  if (stopRequested !== undefined) shutdown(stopRequested)
}

main().catch((e: unknown) => {
  if (e instanceof ConfigError) {
    process.stderr.write(`workbridge: configuration error: ${e.message}\n`)
    process.exit(2)
  }
  process.stderr.write(`workbridge: failed to start: ${e instanceof Error ? e.message : String(e)}\n`)
  process.exit(1)
})
