/**
 * The helpdesk API feeds as layers: the feeds (reconciliation passes, fetch-on-notify on the webhook route, the
 * backfill's bulk creates) and a reconciliation fiber per source with an interval — a pass at start, then one per
 * interval, and the write-back reconciliation (the Genesys side's pass); in distributed mode the Redis lock lets one
 * replica run a source's pass (and the Genesys pass) at a time.
 */
import type { Catalog } from "@workbridge/catalog"
import { Context, Effect, Layer, Schedule } from "effect"
import { type SyncTarget, worktypeMarkerKey } from "../sync/index.js"
import { type BulkCreator, FeedCursors, type Feeds, makeFeeds } from "./Feeds.js"
import { FeedSettingsTag, HelpdeskClients } from "./HelpdeskClients.js"
import { WRITE_BACK_TIMEOUT_MS, callTimeLongerThanAWriteBack } from "../writeBack/apply.js"
import { BULK_ADD_PER_JOB, Genesys, type GenesysService } from "@workbridge/genesys"
import { Inbox } from "../inbox/Inbox.js"
import { LinkStore, type LinkStoreService } from "../links/LinkStore.js"
import { Log } from "../observability/Log.js"
import { catalogMapping } from "../sync/Mapping.js"
import { Metrics } from "../observability/Metrics.js"
import { Target } from "../sync/Workers.js"
import { GenesysOrg } from "../genesys/GenesysOrg.js"
import { GENESYS_FEED, makeGenesysReconciler } from "../writeBack/Reconcile.js"

export class HelpdeskFeeds extends Context.Tag("@workbridge/service/HelpdeskFeeds")<HelpdeskFeeds, Feeds>() {}

export { FeedSettingsTag, HelpdeskClients } from "./HelpdeskClients.js"

/** Backfill creates through Genesys bulk add jobs, with the values and body the engine would write. */
const bulkCreator = (
  catalog: Catalog,
  target: SyncTarget,
  links: LinkStoreService,
  client: GenesysService
): BulkCreator => {
  const mapping = catalogMapping(catalog)
  return {
    typeId: target.typeId,
    perJob: BULK_ADD_PER_JOB,
    // As the engine decides on a link miss: a store that knows the worktype from empty (its marker), or an
    // empty worktype (the marker is written), trusts "no link" to mean "no workitem".
    ready: Effect.gen(function* () {
      const marker = worktypeMarkerKey(target.typeId)
      if ((yield* links.get(marker)) !== undefined) return true
      const any = yield* Effect.orElseSucceed(client.queryWorkitems(target.typeId, [], { limit: 1 }), () => [{}])
      if (any.length > 0) return false
      yield* links.compareAndSet(marker, undefined, {
        workitemId: target.typeId,
        appliedRevision: "marker",
        appliedValues: {},
        appliedAt: new Date().toISOString()
      })
      return true
    }),
    prepare: (event) => {
      const normalized = mapping.normalize(event.fields)
      if (normalized._tag === "Invalid") return normalized.issues.join("; ")
      const values: Record<string, unknown> = { ...normalized.values }
      if (catalog.fields.some((f) => f.key === "source_revision")) values["source_revision"] = event.revision
      if (catalog.fields.some((f) => f.key === "last_synced")) values["last_synced"] = new Date().toISOString()
      try {
        const ctx = {
          typeId: target.typeId,
          statusIds: Object.fromEntries(target.statuses.map((s) => [s.name, s.id])),
          ...(target.skillIds !== undefined ? { skillIds: target.skillIds } : {})
        }
        const body = mapping.create(values, ctx)
        return { values, body: target.workbinId !== undefined ? { ...body, workbinId: target.workbinId } : body }
      } catch (e) {
        return e instanceof Error ? e.message : String(e)
      }
    },
    bulkAdd: (bodies) => client.bulkAddWorkitems(bodies)
  }
}

export const FeedsLive = (
  catalog: Catalog
): Layer.Layer<
  HelpdeskFeeds,
  never,
  HelpdeskClients | FeedSettingsTag | Inbox | LinkStore | FeedCursors | Metrics | Log | Genesys | Target | GenesysOrg
> =>
  Layer.effectContext(
    Effect.gen(function* () {
      const settings = yield* FeedSettingsTag
      const links = yield* LinkStore
      const inbox = yield* Inbox
      const cursors = yield* FeedCursors
      const metrics = yield* Metrics
      const log = yield* Log
      const target = yield* Target
      const genesys = yield* Genesys
      const { readers, writers } = yield* HelpdeskClients
      const org = yield* GenesysOrg
      const writeBackSources = Object.keys(writers)
      const cutShort = callTimeLongerThanAWriteBack(
        settings.helpdesks as Readonly<Record<string, { readonly timeoutMs?: number }>>,
        writeBackSources
      )
      if (cutShort.length > 0)
        log.warn(
          {
            sources: cutShort.map((c) => c.source),
            helpdeskTimeoutMs: cutShort[0]!.timeoutMs,
            writeBackTimeoutMs: WRITE_BACK_TIMEOUT_MS
          },
          `HELPDESK_TIMEOUT_MS is longer than a write-back may take as a whole: write-backs are abandoned after ${WRITE_BACK_TIMEOUT_MS} ms (docs/write-back.md)`
        )
      const feeds = makeFeeds({
        clients: readers,
        inbox,
        links,
        cursors,
        metrics,
        log,
        fetchOnNotify: settings.fetchOnNotify,
        normalize: catalogMapping(catalog).normalize,
        bulkCreate: bulkCreator(catalog, target, links, genesys),
        ...(writeBackSources.length > 0
          ? {
              genesys: makeGenesysReconciler({
                catalog,
                genesys,
                typeId: target.typeId,
                statuses: () => target.statuses,
                inbox,
                links,
                cursors,
                metrics,
                log,
                sources: writeBackSources,
                // Workbridge's own OAuth client (in embedded mode the client the service uses).
                selfIds: [org.clientOptions.clientId]
              })
            }
          : {})
      })
      return Context.make(HelpdeskFeeds, feeds)
    })
  )

/**
 * A reconciliation fiber per source with an interval, and one for the write-back reconciliation (while write-back is
 * on for some source and `WORKBRIDGE_RECONCILE_INTERVAL_GENESYS` is not 0), running until the scope closes.
 */
export const ReconciliationLive: Layer.Layer<never, never, HelpdeskFeeds | FeedSettingsTag | Log> = Layer.scopedDiscard(
  Effect.gen(function* () {
    const feeds = yield* HelpdeskFeeds
    const settings = yield* FeedSettingsTag
    const log = yield* Log
    const genesys = feeds.genesys
    if (genesys !== undefined && settings.genesysReconcileIntervalMs > 0) {
      const pass = genesys.reconcile().pipe(
        Effect.catchAll((e) =>
          Effect.sync(() =>
            e._tag === "PassBusy"
              ? log.debug({ source: GENESYS_FEED }, "write-back reconciliation skipped: another runner holds it")
              : log.warn(
                  { source: GENESYS_FEED, error: e.message },
                  "write-back reconciliation failed; the cursor stays where it was"
                )
          )
        ),
        Effect.catchAllDefect((d) =>
          Effect.sync(() =>
            log.error(
              { source: GENESYS_FEED, defect: d instanceof Error ? d.message : String(d) },
              "write-back reconciliation failed"
            )
          )
        )
      )
      yield* Effect.forkScoped(Effect.repeat(pass, Schedule.spaced(settings.genesysReconcileIntervalMs)))
      log.info(
        { source: GENESYS_FEED, intervalSeconds: settings.genesysReconcileIntervalMs / 1000 },
        "write-back reconciliation scheduled"
      )
    }
    for (const [source, everyMs] of Object.entries(settings.reconcileIntervalMs)) {
      const pass = feeds.reconcile(source).pipe(
        Effect.catchAll((e) =>
          Effect.sync(() =>
            e._tag === "PassBusy"
              ? log.debug({ source }, "reconciliation pass skipped: another runner holds it")
              : log.warn({ source, error: e.message }, "reconciliation pass failed; the cursor stays where it was")
          )
        ),
        Effect.catchAllDefect((d) =>
          Effect.sync(() =>
            log.error({ source, defect: d instanceof Error ? d.message : String(d) }, "reconciliation pass failed")
          )
        )
      )
      yield* Effect.forkScoped(Effect.repeat(pass, Schedule.spaced(everyMs)))
      log.info({ source, intervalSeconds: everyMs / 1000 }, "reconciliation scheduled")
    }
  })
)
