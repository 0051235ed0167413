/**
 * The service's own cached view of Genesys health, for /readyz. A probe is started in the background when the
 * view is older than `ttlMs`, and a caller never waits for it once there is a view (the probe shares the Genesys
 * in-flight limit with the workers, so under slow Genesys it may queue). A probe unanswered for `staleMs` means
 * Genesys is not answering: not ready.
 */
export interface HealthOptions {
  /** How long an answer is reused before a new probe is started (default 5000 ms). */
  readonly ttlMs?: number
  /** A probe unanswered this long makes the view "not ready" (default 10000 ms). */
  readonly staleMs?: number
}

/** `check` resolves when Genesys is healthy and rejects with the reason otherwise. */
export const cachedHealth = (check: () => Promise<void>, options: HealthOptions = {}): (() => Promise<void>) => {
  const ttlMs = options.ttlMs ?? 5_000
  const staleMs = options.staleMs ?? 10_000
  let view: { at: number; error?: string } | undefined
  let probing: { readonly started: number; readonly done: Promise<void> } | undefined
  const probe = (): Promise<void> => {
    if (probing !== undefined) return probing.done
    const done = Promise.resolve()
      .then(check)
      .then(
        () => {
          view = { at: Date.now() }
        },
        (e: unknown) => {
          view = { at: Date.now(), error: e instanceof Error ? e.message : String(e) }
        }
      )
      .finally(() => {
        probing = undefined
      })
    probing = { started: Date.now(), done }
    return done
  }
  return async () => {
    if (view === undefined || Date.now() - view.at >= ttlMs) void probe()
    // The first answer after start waits for the probe (the edge bounds every readiness check).
    if (view === undefined) await probing?.done
    if (probing !== undefined && Date.now() - probing.started > staleMs) {
      throw new Error(`Genesys has not answered the health probe for ${Math.round((Date.now() - probing.started) / 1000)} s`)
    }
    if (view === undefined) throw new Error("Genesys health is not known yet")
    if (view.error !== undefined) throw new Error(view.error)
  }
}
