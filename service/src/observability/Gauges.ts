/**
 * Gauges and alerts: the inbox depth and age, the dead letters, the budget, the feeds' cursor ages, 429 pauses
 * and permission waits, refreshed every second (and on demand, by `/metrics`) until the scope closes; an alert
 * is logged and counted when a watermark is first crossed.
 */
import { Context, Effect, Layer, Schedule } from "effect"
import type { ServiceConfig } from "../config/Config.js"
import { Genesys, RateBudget } from "@workbridge/genesys"
import { Inbox } from "../inbox/Inbox.js"
import { LinkStore } from "../links/LinkStore.js"
import { Log } from "./Log.js"
import { Metrics } from "./Metrics.js"
import { HelpdeskFeeds } from "../feeds/Reconciliation.js"

export interface GaugesService {
  /** Read every gauge now. */
  readonly refresh: Effect.Effect<void>
}

export class Gauges extends Context.Tag("@workbridge/service/Gauges")<Gauges, GaugesService>() {}

const makeRefresh = (config: ServiceConfig) =>
  Effect.gen(function* () {
    const inbox = yield* Inbox
    const links = yield* LinkStore
    const budget = yield* RateBudget
    const client = yield* Genesys
    const feeds = yield* HelpdeskFeeds
    const metrics = yield* Metrics
    const log = yield* Log
    let softAlert = false
    let deadAlert = false
    const longPauseAlerts = new Set<string>()
    // 429 pauses over the alert threshold, and 403s retried while permissions propagate.
    const pausesAndWaits = () => {
      const long = client.longPauses()
      metrics.longPause.reset()
      for (const p of long) {
        metrics.longPause.set({ scope: p.scope }, 1)
        if (!longPauseAlerts.has(p.scope)) {
          log.warn(
            { scope: p.scope, until: new Date(p.until).toISOString(), threshold: config.longPauseSeconds },
            "ALERT: a 429 paused this scope for longer than the threshold; other work goes on"
          )
        }
      }
      longPauseAlerts.clear()
      for (const p of long) longPauseAlerts.add(p.scope)
      metrics.permissionWait.reset()
      for (const w of client.permissionWaits()) metrics.permissionWait.set({ operation: w.operation }, 1)
    }
    return Effect.gen(function* () {
      const depth = yield* inbox.depth
      const dead = yield* links.deadLetterCount
      metrics.inboxDepth.set(depth)
      metrics.deadLetters.set(dead)
      metrics.inboxOldestAge.set(yield* inbox.oldestAgeSeconds)
      metrics.budgetTokens.set(yield* budget.tokens)
      yield* feeds.refreshGauges
      const over = depth >= config.inboxSoftLimit
      metrics.inboxSoftLimitExceeded.set(over ? 1 : 0)
      if (over && !softAlert) {
        metrics.alerts.inc({ alert: "inbox_soft_limit" })
        log.warn(
          { depth, softLimit: config.inboxSoftLimit, hardLimit: config.inboxHardLimit },
          "ALERT: the inbox is above its soft watermark"
        )
      }
      softAlert = over
      const deadOver = dead > config.deadLetterAlert
      metrics.deadLetterAlert.set(deadOver ? 1 : 0)
      if (deadOver && !deadAlert) {
        metrics.alerts.inc({ alert: "dead_letters" })
        log.warn(
          { deadLetters: dead, threshold: config.deadLetterAlert },
          "ALERT: the dead letters exceed their threshold"
        )
      }
      deadAlert = deadOver
      pausesAndWaits()
    }).pipe(Effect.catchAll((e) => Effect.sync(() => log.error({ error: e.message }, "metrics refresh failed"))))
  })

export const GaugesLive = (
  config: ServiceConfig
): Layer.Layer<Gauges, never, Inbox | LinkStore | RateBudget | Genesys | HelpdeskFeeds | Metrics | Log> =>
  Layer.scoped(
    Gauges,
    Effect.gen(function* () {
      const refresh = yield* makeRefresh(config)
      yield* Effect.forkScoped(Effect.repeat(refresh, Schedule.spaced(1000)))
      return { refresh }
    })
  )
