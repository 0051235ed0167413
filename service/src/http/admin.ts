/**
 * The admin endpoints (behind the admin gate, middleware/adminAuth.ts):
 * - `GET /tickets/:source/:id` — a ticket's sync status;
 * - `GET /dead-letters`, `POST /dead-letters/:id/replay`, `DELETE /dead-letters/:id`;
 * - `POST /reconcile/:source` — one reconciliation pass by hand (`pnpm reconcile`);
 * - `POST /reconcile/genesys` — one write-back reconciliation pass by hand (agents' changes the write-back missed);
 * - `POST /backfill/:source`, `GET /backfill/jobs/:id` — a backfill in the background (`pnpm backfill`).
 * Every effect runs on the application's runtime through the edge runner; failures go to the error mapping.
 */
import type express from "express"
import type { Logger } from "pino"
import type { EngineService } from "../sync/index.js"
import type { Feeds } from "../feeds/Feeds.js"
import type { InboxService } from "../inbox/Inbox.js"
import type { LinkStoreService } from "../links/LinkStore.js"
import { HttpError } from "./httpError.js"
import type { EdgeRunner } from "./runtime.js"

export interface AdminRoutesOptions {
  readonly inbox: InboxService
  readonly links: LinkStoreService
  readonly engine: EngineService
  readonly log: Logger
  readonly runner: EdgeRunner
  readonly feeds?: Feeds | undefined
  /** Replaying a `GenesysForbidden` dead letter says the role was changed: a new permission-propagation window. */
  readonly permissionsChanged?: (() => void) | undefined
}

export const mountTickets = (app: express.IRouter, o: Pick<AdminRoutesOptions, "engine" | "runner">): void => {
  app.get("/tickets/:source/:id", async function ticketStatus(req, res) {
    const key = { source: req.params["source"]!, ticketId: req.params["id"]! }
    const status = await o.runner.run(o.engine.ticketStatus(key))
    if (status.workitemId === undefined && status.pendingEvents === 0 && status.lastError === undefined) {
      throw new HttpError(
        404,
        "UnknownTicket",
        `no events of ticket "${key.ticketId}" from "${key.source}" were accepted`
      )
    }
    res.json(status)
  })
}

export const mountDeadLetters = (app: express.IRouter, o: AdminRoutesOptions): void => {
  const { runner, links } = o
  app.get("/dead-letters", async function listDeadLetters(req, res) {
    const limitRaw = req.query["limit"]
    const limit = typeof limitRaw === "string" && /^\d{1,6}$/.test(limitRaw) ? Number(limitRaw) : 1000
    res.json({
      deadLetters: await runner.run(links.listDeadLetters({ limit })),
      total: await runner.run(links.deadLetterCount)
    })
  })

  app.post("/dead-letters/:id/replay", async function replayDeadLetter(req, res) {
    const letter = await runner.run(links.getDeadLetter(req.params["id"]!))
    const inboxId = await runner.run(o.inbox.requeue(letter.event))
    await runner.run(links.removeDeadLetter(letter.id))
    if (letter.reason === "GenesysForbidden") o.permissionsChanged?.()
    o.log.info({ deadLetter: letter.id, source: letter.source, ticketId: letter.ticketId }, "dead letter replayed")
    res.status(202).json({ status: "requeued", id: letter.id, inboxId })
  })

  app.delete("/dead-letters/:id", async function discardDeadLetter(req, res) {
    await runner.run(links.removeDeadLetter(req.params["id"]!))
    res.status(204).end()
  })
}

const tagOf = (e: unknown): unknown =>
  typeof e === "object" && e !== null && "_tag" in e ? (e as { _tag: unknown })._tag : undefined

const ISO_DATE_MESSAGE = "since must be an ISO-8601 date such as 2026-01-31T00:00:00Z"

/** `?since=` as a date (undefined when absent); 400 when it is not an ISO-8601 date. */
const sinceOf = (q: express.Request["query"]): Date | undefined => {
  const raw = q["since"]
  if (typeof raw !== "string") return undefined
  const since = new Date(raw)
  if (!/^\d{4}-\d{2}-\d{2}/.test(raw) || Number.isNaN(since.getTime()))
    throw new HttpError(400, "BadRequest", ISO_DATE_MESSAGE)
  return since
}

const dryRunOf = (q: express.Request["query"]): boolean => q["dryRun"] === "true" || q["dryRun"] === "1"

const feedsOf = (feeds: Feeds | undefined): Feeds => {
  if (feeds === undefined) throw new HttpError(404, "UnknownFeedSource", "no helpdesk API is configured")
  return feeds
}

/** `?waitMs=` as a number of milliseconds (undefined when absent); 400 when it is not one. */
const waitMsOf = (q: express.Request["query"]): number | undefined => {
  const waitRaw = q["waitMs"]
  if (waitRaw === undefined) return undefined
  if (typeof waitRaw !== "string" || !/^\d{1,7}$/.test(waitRaw))
    throw new HttpError(400, "BadRequest", "waitMs must be a number of milliseconds")
  return Number(waitRaw)
}

export const mountFeeds = (app: express.IRouter, o: Pick<AdminRoutesOptions, "feeds" | "runner">): void => {
  // The write-back reconciliation by hand (before /reconcile/:source: no helpdesk source is named genesys): the
  // workitems changed in Genesys since its cursor that the write-back did not hear of. Same parameters as below.
  app.post("/reconcile/genesys", async function reconcileGenesys(req, res) {
    const reconciler = o.feeds?.genesys
    if (reconciler === undefined)
      throw new HttpError(
        404,
        "WriteBackOff",
        "write-back is off for every source: there is nothing to reconcile from Genesys (see docs/write-back.md)"
      )
    const q = req.query
    const since = sinceOf(q)
    const waitMs = waitMsOf(q)
    const report = await o.runner
      .run(
        reconciler.reconcile({
          dryRun: dryRunOf(q),
          ...(since !== undefined ? { since } : {}),
          ...(waitMs !== undefined ? { repairWaitMs: waitMs } : {})
        })
      )
      .catch((e: unknown) => {
        const tag = tagOf(e)
        if (tag === "PassBusy") throw new HttpError(409, "PassBusy", (e as Error).message)
        if (tag === "GenesysError") throw new HttpError(502, "GenesysUnavailable", (e as Error).message)
        throw e
      })
    res.json(report)
  })

  // One reconciliation pass by hand: ?dryRun=true writes nothing; ?since=ISO reads from then instead of the saved
  // cursor; ?waitMs= bounds how long it waits for the repairs (default 60 s).
  app.post("/reconcile/:source", async function reconcile(req, res) {
    const feeds = feedsOf(o.feeds)
    const q = req.query
    const dryRun = dryRunOf(q)
    const since = sinceOf(q)
    const waitMs = waitMsOf(q)
    const report = await o.runner
      .run(
        feeds.reconcile(req.params["source"]!, {
          dryRun,
          ...(since !== undefined ? { since } : {}),
          ...(waitMs !== undefined ? { repairWaitMs: waitMs } : {})
        })
      )
      .catch((e: unknown) => {
        const tag = tagOf(e)
        if (tag === "UnknownFeedSource") throw new HttpError(404, "UnknownFeedSource", (e as Error).message)
        if (tag === "PassBusy") throw new HttpError(409, "PassBusy", (e as Error).message)
        if (tag === "HelpdeskError" || tag === "RateLimited")
          throw new HttpError(502, "HelpdeskUnavailable", (e as Error).message)
        throw e
      })
    res.json(report)
  })

  // A backfill: starts in the background and answers its job; GET the job for progress and summary.
  app.post("/backfill/:source", async function startBackfill(req, res) {
    const feeds = feedsOf(o.feeds)
    const q = req.query
    const since = sinceOf(q)
    const limitRaw = q["limit"]
    if (limitRaw !== undefined && (typeof limitRaw !== "string" || !/^[1-9]\d{0,8}$/.test(limitRaw)))
      throw new HttpError(400, "BadRequest", "limit must be a positive whole number")
    const job = await o.runner
      .run(
        feeds.startBackfill(req.params["source"]!, {
          dryRun: dryRunOf(q),
          ...(since !== undefined ? { since } : {}),
          ...(typeof limitRaw === "string" ? { limit: Number(limitRaw) } : {})
        })
      )
      .catch((e: unknown) => {
        const tag = tagOf(e)
        if (tag === "UnknownFeedSource") throw new HttpError(404, "UnknownFeedSource", (e as Error).message)
        if (tag === "PassBusy")
          throw new HttpError(409, "BackfillBusy", `a backfill of ${req.params["source"]} is already running`)
        throw e
      })
    res.status(202).json(job)
  })

  app.get("/backfill/jobs/:id", function backfillJob(req, res, next) {
    const job = o.feeds?.backfillJob(req.params["id"]!)
    if (job === undefined)
      next(
        new HttpError(
          404,
          "UnknownJob",
          "no backfill job with that id (jobs are kept in memory until the service restarts)"
        )
      )
    else res.json(job)
  })
}

/** All the admin endpoints. */
export const mountAdmin = (app: express.IRouter, o: AdminRoutesOptions): void => {
  mountTickets(app, o)
  mountDeadLetters(app, o)
  mountFeeds(app, o)
}
