/**
 * `pnpm start`: the Workbridge service, configured purely from the environment (see docs/service.md) — the
 * service's layer launched by the Node runtime. Prints `workbridge listening on <url>` once it accepts webhooks.
 * SIGTERM/SIGINT interrupt the layer (also during start-up): its scope closes, stopping what had started in the
 * reverse order, and the process exits 0. A configuration error exits 2 naming the variable; any other failure
 * to start exits 1.
 */
import type { Cause as FailureCause } from "effect/Cause"
import { capHeapGrowth, youngGenerationUnderLoad } from "./observability/heapCap.js"

// Before the service's modules load, so that every full collection from the first one on keeps the resident size
// near the live heap during webhook storms (see observability/heapCap.ts).
capHeapGrowth()
// Module by module: a dynamic import of `effect`'s index would keep every module of it in the build.
const Cause = await import("effect/Cause")
const Effect = await import("effect/Effect")
const Exit = await import("effect/Exit")
const Layer = await import("effect/Layer")
const { runMain } = await import("@effect/platform-node/NodeRuntime")
const { ConfigError, loadConfig } = await import("./config/Config.js")
const { ServiceLive } = await import("./Service.js")

/** How long the shutdown may take before the process exits anyway (with 1). */
const SHUTDOWN_GRACE_MS = 15_000

// The runtime's own signal handlers interrupt the service; these only say which signal and bound the shutdown.
let stopping = false
const onSignal = (signal: NodeJS.Signals) => {
  if (stopping) return
  stopping = true
  process.stdout.write(`workbridge: ${signal} received, shutting down\n`)
  setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS).unref()
}
process.once("SIGTERM", onSignal)
process.once("SIGINT", onSignal)

// Once the service has started (listening, workers running), the young generation may grow with the load again.
const MainLive = Layer.unwrapEffect(
  Effect.map(Effect.try({ try: () => loadConfig(process.env), catch: (e) => e }), (config) =>
    Layer.tap(ServiceLive(config), () => Effect.sync(youngGenerationUnderLoad))
  )
)

const failure = (cause: FailureCause<unknown>): { readonly code: number; readonly line: string } => {
  const e = Cause.squash(cause)
  return e instanceof ConfigError
    ? { code: 2, line: `workbridge: configuration error: ${e.message}` }
    : { code: 1, line: `workbridge: failed to start: ${e instanceof Error ? e.message : String(e)}` }
}

runMain(
  Layer.launch(MainLive).pipe(
    Effect.tapErrorCause((cause) =>
      Cause.isInterruptedOnly(cause) ? Effect.void : Effect.sync(() => process.stderr.write(`${failure(cause).line}\n`))
    )
  ),
  {
    disableErrorReporting: true,
    disablePrettyLogger: true,
    teardown: (exit, onExit) =>
      onExit(Exit.isFailure(exit) && !Cause.isInterruptedOnly(exit.cause) ? failure(exit.cause).code : 0)
  }
)
