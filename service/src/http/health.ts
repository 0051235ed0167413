/**
 * Health, readiness and metrics: `GET /healthz` (the process answers), `GET /readyz` (the inbox can write and
 * Genesys answers, each within the readiness timeout; permission waits listed) and `GET /metrics` (Prometheus,
 * behind the admin gate; the gauges are refreshed first).
 */
import type express from "express"
import type { InboxService } from "../inbox/Inbox.js"
import type { ServiceMetrics } from "../observability/Metrics.js"
import { type PermissionWait, readinessReport, type ReadinessCheck } from "./Readiness.js"
import type { EdgeRunner } from "./runtime.js"

export interface HealthRoutesOptions {
  readonly inbox: InboxService
  readonly metrics: ServiceMetrics
  readonly runner: EdgeRunner
  readonly genesysReady: () => Promise<void>
  readonly refreshGauges: () => Promise<void>
  readonly permissionWaits?: (() => ReadonlyArray<PermissionWait>) | undefined
  /** Longest wait of `/readyz` for each of its checks. */
  readonly readyTimeoutMs: number
}

export const mountHealth = (app: express.IRouter, o: HealthRoutesOptions): void => {
  const checks: ReadonlyArray<ReadinessCheck> = [
    { name: "inbox", what: "the inbox", run: () => o.runner.run(o.inbox.checkWritable) },
    { name: "genesys", what: "the Genesys health check", run: o.genesysReady }
  ]

  app.get("/healthz", function healthz(_req, res) {
    res.json({ status: "ok" })
  })

  app.get("/readyz", async function readyz(_req, res) {
    const report = await readinessReport(checks, o.readyTimeoutMs, o.permissionWaits?.() ?? [])
    res.status(report.ready ? 200 : 503).json(report.body)
  })

  app.get("/metrics", async function metrics(_req, res) {
    await o.refreshGauges()
    res.type(o.metrics.registry.contentType).send(await o.metrics.registry.metrics())
  })
}
