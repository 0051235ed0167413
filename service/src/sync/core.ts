/**
 * What the effectful apply works with: the engine's options, its ports, the catalog fields it looks up, the
 * worktype's statuses (learned again when Genesys shows they changed), the miss policy, and a per-apply count of
 * the Genesys calls made.
 */
import { customFieldKey } from "@workbridge/catalog"
import { Clock, Effect } from "effect"
import type { Logger } from "pino"
import type { CrashPoint } from "../config/Config.js"
import type { TicketKey } from "../domain/records.js"
import type { GenesysError, StoreError } from "../domain/errors.js"
import type { GenesysService, WorktypeStatus } from "@workbridge/genesys"
import type { LinkStoreService } from "../links/LinkStore.js"
import type { MappingContext, WorkitemMapping } from "./Mapping.js"
import type { WriteBackOptions } from "../writeBack/apply.js"

/** The worktype Workbridge writes to, resolved at start. */
export interface SyncTarget {
  readonly typeId: string
  readonly statuses: ReadonlyArray<WorktypeStatus>
  readonly skillIds?: Readonly<Record<string, string>>
  /** Workbin of new workitems (default: the worktype's default workbin). */
  readonly workbinId?: string
}

export interface EngineOptions {
  readonly mapping: WorkitemMapping
  readonly target: SyncTarget
  /** Test-only crash point (see docs/service.md). */
  readonly crashAt?: CrashPoint
  /** How long a worker waits after a transient failure before taking work again. */
  readonly failureBackoffMs?: number
  /**
   * How long to wait after a create or update whose outcome is unknown (timeout, network error, 5xx) before the
   * ticket is tried again — at least the request timeout, so a request still running in Genesys has finished
   * (and cannot land after the next write).
   */
  readonly ambiguousCreateBackoffMs?: number
  /** Tracing on: each apply runs in an `Engine.apply` span joined to its events' traces (Tracing.ts). */
  readonly tracing?: boolean
  /** The write-back of agents' changes in Genesys (docs/write-back.md); none: every `genesys` event is ignored. */
  readonly writeBack?: WriteBackOptions
}

export type ApplyResult =
  /** `calls`: the Genesys calls this apply made for the ticket (reads, queries, status reads, creates, PATCHes). */
  | { readonly _tag: "Applied"; readonly workitemId: string; readonly revision: string; readonly calls: number }
  | { readonly _tag: "Superseded"; readonly revision: string }
  | { readonly _tag: "DeadLettered"; readonly reason: string }
  /** A batch of agents' changes only, handled by the write-back step (`outcome`: see `WriteBackOutcome`). */
  | { readonly _tag: "WrittenBack"; readonly outcome: string; readonly workitemId?: string }

/** What the engine does on a link miss: POST directly (intents are trusted) or look the workitem up first. */
export type MissPolicy = "post" | "query"

/**
 * The store's note that it has known the worktype since it was empty: every workitem Workbridge made in it was
 * made after a create intent, so a ticket with no link has no workitem. Without it (a fresh data directory
 * against a worktype that already has workitems) any miss may be a workitem the store never heard of.
 */
export const worktypeMarkerKey = (typeId: string): TicketKey => ({
  source: "_workbridge",
  ticketId: `create-intents:${typeId}`
})

/** Kill the process at a test-only crash point. */
export const crashIfAt = (configured: CrashPoint | undefined, point: CrashPoint): Effect.Effect<void> =>
  configured === point
    ? Effect.sync(() => process.kill(process.pid, "SIGKILL")).pipe(Effect.zipRight(Effect.never))
    : Effect.void

/** The time now, as the link store records it (read through the Effect `Clock`). */
export const nowIso: Effect.Effect<string> = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms).toISOString())

/** The Genesys operations the apply uses. */
export type GenesysCalls = Pick<
  GenesysService,
  "getStatuses" | "queryWorkitems" | "getWorkitem" | "createWorkitem" | "updateWorkitem"
>

/** The Genesys operations of one apply, each call counted (whatever its outcome) as it is made. */
export interface CountedCalls {
  readonly genesys: GenesysCalls
  readonly count: () => number
}

export const countCalls = (genesys: GenesysCalls): CountedCalls => {
  let n = 0
  const counted = <A, E>(call: Effect.Effect<A, E>): Effect.Effect<A, E> =>
    Effect.zipRight(
      Effect.sync(() => {
        n++
      }),
      call
    )
  return {
    count: () => n,
    genesys: {
      getStatuses: (typeId) => counted(genesys.getStatuses(typeId)),
      queryWorkitems: (typeId, filters, options) => counted(genesys.queryWorkitems(typeId, filters, options)),
      getWorkitem: (id) => counted(genesys.getWorkitem(id)),
      createWorkitem: (body) => counted(genesys.createWorkitem(body)),
      updateWorkitem: (id, body) => counted(genesys.updateWorkitem(id, body))
    }
  }
}

/** The worktype's statuses: read at start, read again when Genesys shows they changed (see `relearn`). */
export interface StatusBook {
  readonly list: () => ReadonlyArray<WorktypeStatus>
  /** The mapping context of the statuses known now. */
  readonly context: () => MappingContext
  readonly known: (id: string | undefined) => boolean
  /**
   * Read the worktype's statuses again (someone re-provisioned them: a status replaced keeps its name, not its
   * id). Called only when Genesys shows a status id the engine does not know or refuses a status step.
   */
  readonly relearn: (genesys: GenesysCalls) => Effect.Effect<void, GenesysError>
}

export const makeStatusBook = (target: SyncTarget, log: Logger): StatusBook => {
  const contextOf = (list: ReadonlyArray<WorktypeStatus>): MappingContext => ({
    typeId: target.typeId,
    statusIds: Object.fromEntries(list.map((s) => [s.name, s.id])),
    ...(target.skillIds !== undefined ? { skillIds: target.skillIds } : {})
  })
  let statuses = target.statuses
  let ctx = contextOf(statuses)
  return {
    list: () => statuses,
    context: () => ctx,
    known: (id) => id !== undefined && statuses.some((s) => s.id === id),
    relearn: (genesys) =>
      Effect.map(genesys.getStatuses(target.typeId), (fresh) => {
        const before = new Set(statuses.map((s) => s.id))
        if (fresh.length !== before.size || fresh.some((s) => !before.has(s.id))) {
          log.warn(
            { typeId: target.typeId, statuses: fresh.map((s) => s.name) },
            "the worktype's statuses changed in Genesys; using the new ones"
          )
        }
        statuses = fresh
        ctx = contextOf(fresh)
      })
  }
}

/** The custom-field keys of the catalog fields the engine reads and writes itself. */
export interface EngineFields {
  readonly has: (key: string) => boolean
  /** The custom field of `source_revision` (the revision marker). */
  readonly revision: string | undefined
  readonly ticketId: string | undefined
  readonly sourceSystem: string | undefined
  /** The catalog field that maps to the workitem's status. */
  readonly statusKey: string | undefined
}

export const engineFields = (mapping: WorkitemMapping): EngineFields => {
  const catalog = mapping.catalog
  const fieldKey = (key: string): string | undefined => {
    const f = catalog.fields.find((x) => x.key === key)
    return f === undefined ? undefined : customFieldKey(f)
  }
  return {
    has: (key) => catalog.fields.some((f) => f.key === key),
    revision: fieldKey("source_revision"),
    ticketId: fieldKey("ticket_id"),
    sourceSystem: fieldKey("source_system"),
    statusKey: catalog.fields.find((f) => f.attribute === "statusId")?.key
  }
}

export interface SyncCore {
  readonly options: EngineOptions
  readonly mapping: WorkitemMapping
  readonly target: SyncTarget
  readonly links: LinkStoreService
  readonly log: Logger
  readonly fields: EngineFields
  readonly statuses: StatusBook
  /** Decided once per process (see `missPolicyOnce`). */
  readonly missPolicy: Effect.Effect<MissPolicy, GenesysError | StoreError>
}

/**
 * On a link miss: POST directly when the store has known the worktype since it was empty (decided once per
 * process: the marker, else one query of pageSize 1 — an empty worktype writes the marker), else query first.
 */
export const missPolicyOnce = (
  target: SyncTarget,
  links: LinkStoreService,
  genesys: GenesysCalls,
  log: Logger
): Effect.Effect<Effect.Effect<MissPolicy, GenesysError | StoreError>> =>
  Effect.gen(function* () {
    const decide = Effect.gen(function* () {
      const markerKey = worktypeMarkerKey(target.typeId)
      if ((yield* links.get(markerKey)) !== undefined) return "post" as const
      const any = yield* genesys.queryWorkitems(target.typeId, [], { limit: 1 })
      if (any.length > 0) {
        log.warn(
          { typeId: target.typeId },
          "the link store does not know this worktype from empty and it already has workitems: every ticket without a link is looked up in Genesys before a create"
        )
        return "query" as const
      }
      // Another replica may have written it first (false): the same conclusion.
      yield* links.compareAndSet(markerKey, undefined, {
        workitemId: target.typeId,
        appliedRevision: "marker",
        appliedValues: {},
        appliedAt: yield* nowIso
      })
      return "post" as const
    })
    let decided: MissPolicy | undefined
    const lock = yield* Effect.makeSemaphore(1)
    const remember = Effect.tap(decide, (p) =>
      Effect.sync(() => {
        decided = p
      })
    )
    return Effect.suspend(() =>
      decided !== undefined
        ? Effect.succeed(decided)
        : lock.withPermits(1)(Effect.suspend(() => (decided !== undefined ? Effect.succeed(decided) : remember)))
    )
  })
