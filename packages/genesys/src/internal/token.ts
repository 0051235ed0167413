/**
 * The client-credentials token: logged in once, cached, renewed before it expires (one login at a time), and
 * forgotten on demand (a 401, or `invalidateToken`).
 */
import { Effect } from "effect"
import type { GenesysClientOptions, makeSdkClient } from "../Genesys.js"
import type { GenesysError } from "../GenesysError.js"
import type { GenesysTelemetryService } from "../Telemetry.js"
import { toGenesysError } from "./errors.js"

export interface TokenSession {
  /** Logs in when there is no token or it is due for renewal; else nothing. */
  readonly ensureToken: Effect.Effect<void, GenesysError>
  /** Forget the cached token (the next call logs in again). */
  readonly invalidateToken: Effect.Effect<void>
}

export const makeTokenSession = (
  client: ReturnType<typeof makeSdkClient>,
  options: Pick<GenesysClientOptions, "clientId" | "clientSecret" | "renewBeforeMs">,
  telemetry: GenesysTelemetryService
): Effect.Effect<TokenSession> =>
  Effect.gen(function* () {
    const loginLock = yield* Effect.makeSemaphore(1)
    let token: { readonly expiresAt: number; readonly renewAt: number } | undefined

    const login = loginLock.withPermits(1)(
      Effect.suspend(() => {
        if (token !== undefined && Date.now() < token.renewAt) return Effect.void
        return Effect.tryPromise({
          try: () => client.loginClientCredentialsGrant(options.clientId, options.clientSecret),
          catch: (e) => toGenesysError("login", e)
        }).pipe(
          Effect.tap((auth) =>
            Effect.sync(() => {
              const now = Date.now()
              const expiresAt = typeof auth.tokenExpiryTime === "number" ? auth.tokenExpiryTime : now + 3600_000
              const life = Math.max(0, expiresAt - now)
              const early = options.renewBeforeMs ?? Math.min(300_000, life / 10)
              token = { expiresAt, renewAt: expiresAt - early }
            })
          ),
          Effect.tapBoth({
            onFailure: (e) => Effect.sync(() => telemetry.callOutcome("login", e.reason)),
            onSuccess: () => Effect.sync(() => telemetry.callOutcome("login", "ok"))
          }),
          Effect.asVoid
        )
      })
    )

    return {
      ensureToken: Effect.suspend(() => (token !== undefined && Date.now() < token.renewAt ? Effect.void : login)),
      invalidateToken: Effect.sync(() => {
        token = undefined
      })
    }
  })
