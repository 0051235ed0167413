/**
 * The service process's V8 heap sizing, set by `main.ts` before the service's modules load (docs/benchmarks.md
 * figure 5). An operator's own V8 flags for the same thing (`node --… main.js`, `NODE_OPTIONS`) are left alone.
 *
 * - Old generation: with fast allocation (a webhook storm: every request's body, event and SQLite row is garbage a
 *   moment later) V8 lets it grow up to 4× its live size before the next full collection, so the resident size
 *   balloons although little stays alive. It is capped at `HEAP_GROWING_PERCENT` of the live size per full
 *   collection. Under load a fair share of each request's objects outlives two scavenges (a bare Express echo at
 *   figure 3's load promotes about a quarter of what it allocates) and dies in the old generation, so the cap sets
 *   how often the old generation is marked and compacted, each a 4–15 ms pause: figure 3's rounds ran 85–86 of
 *   them at 10 % (about 3 MB of room over the service's ~30 MB live) and 42 at 50 %, which costs about 16 MB more
 *   resident at the storm's peak (docs/benchmarks.md, "Figure 3's heap").
 * - Young generation: V8 doubles the semi-spaces (new objects) whenever much survives a scavenge, up to 16 MB each
 *   (32 MB resident) on 64-bit — which module loading alone triggers, although about 1 MB of it is in use once the
 *   service listens. `--max-semi-space-size` is read only when the heap is created, so it cannot be set from inside
 *   the process; `--semi-space-growth-factor=1` can (V8 reads it at each scavenge) and keeps the semi-spaces at their
 *   initial size (1 MB each) while the service starts. Once it has started, `youngGenerationUnderLoad` lets them
 *   grow again, up to `LOADED_NEW_SPACE_BYTES` for both: with 1 MB semi-spaces a webhook storm scavenges every
 *   twenty or so requests, so the objects of the requests in flight (each waits a few ms for its commit's fsync)
 *   survive a scavenge or two and are promoted, and the old generation, capped near its live size, is then
 *   mark-compacted several times a second (a third of the service's CPU under figure 3's load).
 */
import { constants, PerformanceObserver } from "node:perf_hooks"
import * as v8 from "node:v8"

/** The old generation may grow by this much of its live size before the next full collection. */
export const HEAP_GROWING_PERCENT = 50
/** The semi-spaces grow by this factor when a scavenge asks for more room: 1 keeps them at their initial size. */
export const SEMI_SPACE_GROWTH_FACTOR = 1
/** V8's own growth factor, used once the service has started until the new space reaches `LOADED_NEW_SPACE_BYTES`. */
export const V8_SEMI_SPACE_GROWTH_FACTOR = 2
/** The new space (both semi-spaces) may grow to this size under load once the service has started (V8's bound: 32 MB). */
export const LOADED_NEW_SPACE_BYTES = 16 * 1024 * 1024

const givenFlags = (execArgv: ReadonlyArray<string>, nodeOptions: string | undefined): ReadonlyArray<string> => [
  ...execArgv,
  ...(nodeOptions ?? "").split(/\s+/)
]

/** The old-generation flag `main.ts` sets, or undefined when the process was started with its own `--heap-growing-percent`. */
export const heapGrowthFlag = (execArgv: ReadonlyArray<string>, nodeOptions: string | undefined): string | undefined =>
  givenFlags(execArgv, nodeOptions).some((a) => /^--heap[-_]growing[-_]percent(=|$)/.test(a))
    ? undefined
    : `--heap-growing-percent=${HEAP_GROWING_PERCENT}`

/**
 * The young-generation flag `main.ts` sets, or undefined when the process was started with its own semi-space
 * sizing (`--max-semi-space-size`, `--min-semi-space-size`, `--semi-space-growth-factor`).
 */
export const youngGenerationFlag = (
  execArgv: ReadonlyArray<string>,
  nodeOptions: string | undefined
): string | undefined =>
  givenFlags(execArgv, nodeOptions).some((a) =>
    /^--((max|min)[-_]semi[-_]space[-_]size|semi[-_]space[-_]growth[-_]factor)(=|$)/.test(a)
  )
    ? undefined
    : `--semi-space-growth-factor=${SEMI_SPACE_GROWTH_FACTOR}`

/** Apply `heapGrowthFlag` and `youngGenerationFlag` to this process. */
export const capHeapGrowth = (): void => {
  for (const flag of [
    heapGrowthFlag(process.execArgv, process.env["NODE_OPTIONS"]),
    youngGenerationFlag(process.execArgv, process.env["NODE_OPTIONS"])
  ])
    if (flag !== undefined) v8.setFlagsFromString(flag)
}

/** The young generation may grow only while scavenges follow each other within this many ms (under load). */
export const LOADED_SCAVENGE_INTERVAL_MS = 100

/**
 * Once the service has started (`main.ts`, after the service's layer is built): the semi-spaces may grow again with
 * the load, by V8's own factor, up to `cap` for the new space. After each garbage collection the factor is V8's while
 * scavenges follow each other within `LOADED_SCAVENGE_INTERVAL_MS` (requests allocate fast) and the new space is below
 * the cap, and 1 otherwise, so an idle service keeps its start size (V8 shrinks a grown new space again when the
 * allocation rate drops). Nothing is done when the process was started with its own semi-space sizing. Answers a
 * function that stops watching (the factor is left as it is).
 */
export const youngGenerationUnderLoad = (cap: number = LOADED_NEW_SPACE_BYTES): (() => void) => {
  if (youngGenerationFlag(process.execArgv, process.env["NODE_OPTIONS"]) === undefined) return () => undefined
  let factor = SEMI_SPACE_GROWTH_FACTOR
  let lastScavenge = Number.NEGATIVE_INFINITY
  const observer = new PerformanceObserver((list) => {
    let loaded = false
    for (const entry of list.getEntries()) {
      const detail = (entry as { readonly detail?: { readonly kind?: number } }).detail
      if (detail?.kind !== constants.NODE_PERFORMANCE_GC_MINOR) continue
      if (entry.startTime - lastScavenge < LOADED_SCAVENGE_INTERVAL_MS) loaded = true
      lastScavenge = entry.startTime
    }
    const newSpace = v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space")
    const next =
      loaded && newSpace !== undefined && newSpace.space_size < cap
        ? V8_SEMI_SPACE_GROWTH_FACTOR
        : SEMI_SPACE_GROWTH_FACTOR
    if (next === factor) return
    factor = next
    v8.setFlagsFromString(`--semi-space-growth-factor=${next}`)
  })
  observer.observe({ entryTypes: ["gc"] })
  return () => observer.disconnect()
}
