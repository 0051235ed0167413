/** Prometheus metrics of one service instance (its own registry, so several instances can live in one process). */
import { Context } from "effect"
import * as prom from "prom-client"

export class ServiceMetrics {
  readonly registry = new prom.Registry()
  readonly inboxDepth = new prom.Gauge({
    name: "workbridge_inbox_depth",
    help: "Accepted events not yet applied, superseded or dead-lettered",
    registers: [this.registry]
  })
  readonly inboxOldestAge = new prom.Gauge({
    name: "workbridge_inbox_oldest_age_seconds",
    help: "Age of the oldest pending event",
    registers: [this.registry]
  })
  readonly inboxSoftLimitExceeded = new prom.Gauge({
    name: "workbridge_inbox_soft_limit_exceeded",
    help: "1 while the inbox depth is at or above the soft watermark",
    registers: [this.registry]
  })
  readonly deadLetters = new prom.Gauge({
    name: "workbridge_dead_letters",
    help: "Events in the dead letters",
    registers: [this.registry]
  })
  readonly deadLetterAlert = new prom.Gauge({
    name: "workbridge_dead_letters_alert",
    help: "1 while the dead letters exceed their alert threshold",
    registers: [this.registry]
  })
  readonly genesysCalls = new prom.Counter({
    name: "workbridge_genesys_calls_total",
    help: "Genesys API calls by operation and outcome",
    labelNames: ["operation", "outcome"],
    registers: [this.registry]
  })
  readonly rateLimited = new prom.Counter({
    name: "workbridge_genesys_429_total",
    help: "429 responses from Genesys",
    registers: [this.registry]
  })
  readonly pauses = new prom.Counter({
    name: "workbridge_genesys_pauses_total",
    help: "Pauses set by 429s, by scope: token, creates, updates, workitem",
    labelNames: ["scope"],
    registers: [this.registry]
  })
  readonly longPause = new prom.Gauge({
    name: "workbridge_genesys_long_pause",
    help: "1 while a 429 pause longer than WORKBRIDGE_LONG_PAUSE_SECONDS holds back this scope",
    labelNames: ["scope"],
    registers: [this.registry]
  })
  readonly permissionWait = new prom.Gauge({
    name: "workbridge_genesys_permission_wait",
    help: "1 while this operation's 403s are retried inside the permission-propagation window",
    labelNames: ["operation"],
    registers: [this.registry]
  })
  readonly budgetTokens = new prom.Gauge({
    name: "workbridge_budget_tokens",
    help: "Tokens left in the Genesys rate budget",
    registers: [this.registry]
  })
  readonly budgetTokensDropped = new prom.Counter({
    name: "workbridge_budget_tokens_dropped_total",
    help: "Budget tokens dropped unused: their call was not handed on within WORKBRIDGE_BUDGET_HANDOFF_MS",
    registers: [this.registry]
  })
  readonly applyDuration = new prom.Histogram({
    name: "workbridge_apply_duration_seconds",
    help: "Time to apply one ticket's batch to Genesys",
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry]
  })
  readonly syncLag = new prom.Histogram({
    name: "workbridge_sync_lag_seconds",
    help: "From an event's acceptance to its ticket's apply",
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900],
    registers: [this.registry]
  })
  readonly events = new prom.Counter({
    name: "workbridge_events_total",
    help: "Events by outcome: accepted, duplicate, applied, superseded, dead",
    labelNames: ["outcome"],
    registers: [this.registry]
  })
  readonly webhooks = new prom.Counter({
    name: "workbridge_webhooks_total",
    help: "Webhook requests by source and HTTP status",
    labelNames: ["source", "status"],
    registers: [this.registry]
  })
  readonly feedCursorAge = new prom.Gauge({
    name: "workbridge_feed_cursor_age_seconds",
    help: "Seconds since the source's reconciliation cursor last moved",
    labelNames: ["source"],
    registers: [this.registry]
  })
  readonly feedTicketsRead = new prom.Counter({
    name: "workbridge_feed_tickets_read_total",
    help: "Tickets read from a helpdesk API, by source and origin (reconcile, fetch, backfill)",
    labelNames: ["source", "origin"],
    registers: [this.registry]
  })
  readonly feedDriftFound = new prom.Counter({
    name: "workbridge_feed_drift_found_total",
    help: "Tickets a reconciliation pass read at a newer state than Genesys held",
    labelNames: ["source"],
    registers: [this.registry]
  })
  readonly feedDriftRepaired = new prom.Counter({
    name: "workbridge_feed_drift_repaired_total",
    help: "Of the drift found, tickets applied at the read state before the pass ended",
    labelNames: ["source"],
    registers: [this.registry]
  })
  readonly writeBacks = new prom.Counter({
    name: "workbridge_write_backs_total",
    help: "Agents' changes in Genesys handled for write-back to the helpdesk, by source and outcome (docs/write-back.md)",
    labelNames: ["source", "outcome"],
    registers: [this.registry]
  })
  readonly alerts = new prom.Counter({
    name: "workbridge_alerts_total",
    help: "Alerts raised, by kind",
    labelNames: ["alert"],
    registers: [this.registry]
  })
}

export class Metrics extends Context.Tag("@workbridge/service/Metrics")<Metrics, ServiceMetrics>() {}
