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
      throw new Error(
        `Genesys has not answered the health probe for ${Math.round((Date.now() - probing.started) / 1000)} s`
      )
    }
    if (view === undefined) throw new Error("Genesys health is not known yet")
    if (view.error !== undefined) throw new Error(view.error)
  }
}

/** A promise that settles within `ms`, else rejects naming what did not answer. */
export const within = <A>(promise: Promise<A>, ms: number, what: string): Promise<A> =>
  new Promise<A>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms)
    promise.then(
      (a) => {
        clearTimeout(timer)
        resolve(a)
      },
      (e: unknown) => {
        clearTimeout(timer)
        reject(e instanceof Error ? e : new Error(String(e)))
      }
    )
  })

/** One readiness check: `run` resolves when it passes, rejects with the reason otherwise. */
export interface ReadinessCheck {
  readonly name: string
  /** Named in the message of a check that does not answer in time. */
  readonly what: string
  readonly run: () => Promise<unknown>
}

/** An operation whose 403s are retried while a permission change propagates. */
export interface PermissionWait {
  readonly operation: string
  readonly since: number
  readonly until: number
}

/** The body of `/readyz`, and whether it is ready (200) or not (503). */
export interface ReadinessReport {
  readonly ready: boolean
  readonly body: {
    readonly status: "ready" | "not ready"
    readonly checks: Readonly<Record<string, string>>
    readonly permissionWait?: ReadonlyArray<{
      readonly operation: string
      readonly since: string
      readonly until: string
    }>
  }
}

/**
 * Run the checks one after the other, each bounded by `timeoutMs`: any failure makes the report "not ready" and
 * its message is the check's value. Permission waits are shown but are not a reason to stop taking webhooks.
 */
export const readinessReport = async (
  checks: ReadonlyArray<ReadinessCheck>,
  timeoutMs: number,
  waits: ReadonlyArray<PermissionWait>
): Promise<ReadinessReport> => {
  const results: Record<string, string> = {}
  let ready = true
  for (const check of checks) {
    try {
      await within(check.run(), timeoutMs, check.what)
      results[check.name] = "ok"
    } catch (e) {
      ready = false
      results[check.name] = e instanceof Error ? e.message : String(e)
    }
  }
  const permissions =
    waits.length === 0
      ? {}
      : {
          permissionWait: waits.map((w) => ({
            operation: w.operation,
            since: new Date(w.since).toISOString(),
            until: new Date(w.until).toISOString()
          }))
        }
  return { ready, body: { status: ready ? "ready" : "not ready", checks: results, ...permissions } }
}
