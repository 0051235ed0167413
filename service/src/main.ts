/**
 * `pnpm start`: the Workbridge service, configured purely from the environment (see docs/service.md).
 * Prints `workbridge listening on <url>` once it accepts webhooks; SIGTERM/SIGINT shut it down cleanly.
 */
import { ConfigError, loadConfig } from "./Config.js"
import { startService } from "./Service.js"

const main = async (): Promise<void> => {
  let config
  try {
    config = loadConfig(process.env)
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`workbridge: configuration error: ${e.message}\n`)
      process.exit(2)
    }
    throw e
  }
  const service = await startService(config)
  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    process.stdout.write(`workbridge: ${signal} received, shutting down\n`)
    const force = setTimeout(() => process.exit(1), 15_000)
    force.unref()
    service.close().then(
      () => process.exit(0),
      () => process.exit(1)
    )
  }
  process.on("SIGTERM", () => stop("SIGTERM"))
  process.on("SIGINT", () => stop("SIGINT"))
}

main().catch((e: unknown) => {
  process.stderr.write(`workbridge: failed to start: ${e instanceof Error ? e.message : String(e)}\n`)
  process.exit(1)
})
