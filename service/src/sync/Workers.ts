/**
 * The sync core as layers: the worktype Workbridge writes to (resolved once at start), the engine on it, and the
 * engine's workers running until the scope closes.
 */
import type { Catalog } from "@workbridge/catalog"
import { Context, Effect, Layer, Schedule } from "effect"
import { ConfigError, type ServiceConfig } from "../config/Config.js"
import type { GenesysError, StoreError } from "../domain/errors.js"
import { Engine, layer as engineLayer, type SyncTarget } from "./index.js"
import { Genesys } from "@workbridge/genesys"
import { GenesysOrg } from "../genesys/GenesysOrg.js"
import { Inbox } from "../inbox/Inbox.js"
import type { TicketKey } from "../domain/records.js"
import { LinkStore } from "../links/LinkStore.js"
import { Log } from "../observability/Log.js"
import { catalogMapping } from "./Mapping.js"
import type { Metrics } from "../observability/Metrics.js"
import { FeedSettingsTag, HelpdeskClients } from "../feeds/HelpdeskClients.js"
import { WriteBuckets, makeWriteBudget } from "../writeBack/Budget.js"

/** The worktype and its statuses (the transition graph), resolved at start. */
export class Target extends Context.Tag("@workbridge/service/Target")<Target, SyncTarget>() {}

const resolveTarget = (config: ServiceConfig, worktypeId: string | undefined) =>
  Effect.gen(function* () {
    const client = yield* Genesys
    let typeId = worktypeId
    if (typeId === undefined) {
      const found = yield* client.findWorktypeByName(config.worktypeName!)
      if (found === undefined) {
        return yield* Effect.fail(
          new ConfigError("WORKBRIDGE_WORKTYPE_NAME", `no worktype named "${config.worktypeName}" exists`)
        )
      }
      typeId = found.id
    }
    yield* client.getWorktype(typeId)
    const statuses = yield* client.getStatuses(typeId)
    return {
      typeId,
      statuses,
      ...(config.skillIds !== undefined ? { skillIds: config.skillIds } : {}),
      ...(config.workbinId !== undefined ? { workbinId: config.workbinId } : {})
    } satisfies SyncTarget
  })

/**
 * The target, read through the Genesys client: a missing worktype is a configuration error (exit 2, naming the
 * variable), not retried; Genesys failures are. Warns about catalog statuses the worktype lacks and about links
 * written for another worktype (a fresh emulator, a deployment pointed at a new worktype), which are not used.
 */
export const TargetLive = (
  config: ServiceConfig,
  catalog: Catalog
): Layer.Layer<Target, ConfigError | GenesysError | StoreError, Genesys | GenesysOrg | LinkStore | Log> =>
  Layer.effect(
    Target,
    Effect.gen(function* () {
      const log = yield* Log
      const org = yield* GenesysOrg
      const links = yield* LinkStore
      const target = yield* resolveTarget(config, org.worktypeId).pipe(
        Effect.tapError((e) =>
          e instanceof ConfigError
            ? Effect.void
            : Effect.sync(() => log.warn({ error: e.message }, "cannot read the worktype yet; retrying"))
        ),
        Effect.retry({
          schedule: Schedule.exponential(500).pipe(Schedule.intersect(Schedule.recurs(5))),
          while: (e) => !(e instanceof ConfigError)
        })
      )
      for (const s of catalog.statuses) {
        if (!target.statuses.some((x) => x.name === s.name)) {
          log.warn(
            { status: s.name, worktypeId: target.typeId },
            "the worktype lacks a catalog status; tickets mapped to it will be dead-lettered"
          )
        }
      }
      const otherWorktype = yield* links.countOtherWorktype(target.typeId)
      if (otherWorktype > 0) {
        log.warn(
          { count: otherWorktype, worktypeId: target.typeId },
          `${otherWorktype} ticket link(s) point into another worktype: they are not used for updates; each such ticket is created afresh (or adopted by query) in this worktype on its next change`
        )
      }
      return target
    })
  )

/**
 * The link to a workitem the write-back's note carries: `WORKBRIDGE_WORKITEM_URL`, else the workitem's API URL on a
 * gateway or the bundled emulator, else none (the note names the id).
 */
const workitemUrlOf = (
  template: string | undefined,
  gatewayUrl: string | undefined
): ((id: string) => string) | undefined => {
  if (template !== undefined) return (id) => template.replaceAll("{id}", encodeURIComponent(id))
  if (gatewayUrl === undefined) return undefined
  const base = gatewayUrl.replace(/\/+$/, "")
  return (id) => `${base}/api/v2/taskmanagement/workitems/${encodeURIComponent(id)}`
}

/** The engine on the target, with the write-back on the configured helpdesk writers. */
export const EngineLive = (
  config: ServiceConfig,
  catalog: Catalog
): Layer.Layer<
  Engine,
  never,
  Target | Inbox | LinkStore | Genesys | Metrics | Log | GenesysOrg | HelpdeskClients | FeedSettingsTag | WriteBuckets
> =>
  Layer.unwrapEffect(
    Effect.gen(function* () {
      const target = yield* Target
      const org = yield* GenesysOrg
      const { writers, readers } = yield* HelpdeskClients
      const inbox = yield* Inbox
      // A write-back that finds a helpdesk change the service has not applied reads the ticket into the inbox.
      const fetch = (key: TicketKey) => {
        const reader = readers[key.source]
        if (reader === undefined) return Effect.succeed(false)
        return reader.readTicket(key.ticketId).pipe(
          Effect.timeout(5000),
          Effect.flatMap((read) => inbox.accept({ ...read, origin: "fetch" })),
          Effect.as(true),
          Effect.catchAll(() => Effect.succeed(false))
        )
      }
      const settings = yield* FeedSettingsTag
      const buckets = yield* WriteBuckets
      const workitemUrl = workitemUrlOf(settings.workitemUrl, org.clientOptions.gatewayUrl)
      return engineLayer({
        mapping: catalogMapping(catalog),
        target,
        ...(config.testCrashAt !== undefined ? { crashAt: config.testCrashAt } : {}),
        failureBackoffMs: Math.min(config.retryMaxMs, 5000),
        ambiguousCreateBackoffMs: config.genesysTimeoutMs + 1000,
        ...(config.tracing !== undefined ? { tracing: true } : {}),
        writeBack: {
          catalog,
          writers,
          // Workbridge's own changes (its OAuth client; in embedded mode the client the service uses) are never
          // written back.
          selfIds: [org.clientOptions.clientId],
          budget: makeWriteBudget(settings.writeBack, buckets),
          assignees: Object.fromEntries(
            Object.entries(settings.writeBack).flatMap(([source, w]) =>
              w.assignees === undefined ? [] : [[source, w.assignees] as const]
            )
          ),
          ...(workitemUrl !== undefined ? { workitemUrl } : {}),
          backoffMs: Math.min(config.retryMaxMs, 1000),
          maxBackoffMs: 60_000,
          fetch
        }
      })
    })
  )

/** `workers` engine workers taking events from the inbox until the scope closes. */
export const WorkersLive = (workers: number): Layer.Layer<never, never, Engine> =>
  Layer.scopedDiscard(Effect.flatMap(Engine, (engine) => Effect.forkScoped(engine.run(workers))))
