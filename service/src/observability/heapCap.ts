/**
 * The service process's V8 heap growth. With fast allocation (a webhook storm: every request's body, event and
 * SQLite row is garbage a moment later) V8 lets the old generation grow up to 4× its live size before the next
 * full collection, so the resident size balloons although little stays alive (docs/benchmarks.md figure 5).
 * `main.ts` caps that growth at a fixed `HEAP_GROWING_PERCENT` per full collection — unless the operator chose
 * their own V8 heap flags (`node --heap-growing-percent=…`, `NODE_OPTIONS`), which are left alone.
 */
import * as v8 from "node:v8"

/** The old generation may grow by this much of its live size before the next full collection. */
export const HEAP_GROWING_PERCENT = 10

/** The V8 flag `main.ts` sets, or undefined when the process was started with its own `--heap-growing-percent`. */
export const heapGrowthFlag = (
  execArgv: ReadonlyArray<string>,
  nodeOptions: string | undefined
): string | undefined => {
  const given = [...execArgv, ...(nodeOptions ?? "").split(/\s+/)]
  return given.some((a) => /^--heap[-_]growing[-_]percent(=|$)/.test(a))
    ? undefined
    : `--heap-growing-percent=${HEAP_GROWING_PERCENT}`
}

/** Apply `heapGrowthFlag` to this process (V8 reads it at every full collection). */
export const capHeapGrowth = (): void => {
  const flag = heapGrowthFlag(process.execArgv, process.env["NODE_OPTIONS"])
  if (flag !== undefined) v8.setFlagsFromString(flag)
}
