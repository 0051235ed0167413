/**
 * The workitem event Genesys hands a write-back: the part of `WorkitemsEventsNotificationWorkitem` (SDK
 * `purecloud-platform-client-v2` index.d.ts, topic `v2.taskmanagement.workitems.{id}`) the write-back reads, decoded
 * with Effect Schema, and the inbox event it becomes (docs/write-back.md). Every other property of the event is
 * ignored. Values of `customFields` and `changes` are strings, as the SDK types them.
 */
import { type Catalog, customFieldKey, isWriteBackOrigin, makeRevision, type TicketEvent } from "@workbridge/catalog"
import { Either, ParseResult, Schema } from "effect"

/** An optional property that Genesys may also send as `null` (read as absent). */
const opt = <S extends Schema.Schema.Any>(s: S) => Schema.optionalWith(s, { nullable: true })

const NonEmpty = Schema.String.pipe(Schema.minLength(1, { message: () => "must be a non-empty string" }))

const IsoDate = Schema.String.pipe(
  Schema.filter((s) => !Number.isNaN(Date.parse(s)) || "must be an ISO-8601 date-time")
)

const CustomAttribute = Schema.Struct({
  dataType: opt(Schema.String),
  value: opt(Schema.Union(Schema.String, Schema.Number, Schema.Boolean, Schema.Array(Schema.String)))
})

const Wrapup = Schema.Struct({
  code: opt(Schema.String),
  userId: opt(Schema.String),
  op: opt(Schema.String),
  action: opt(Schema.String)
})

const Change = Schema.Struct({
  op: opt(Schema.String),
  field: opt(Schema.String),
  oldValue: opt(Schema.String),
  newValue: opt(Schema.String)
})

/** The properties of a workitem event the write-back reads. */
export const WorkitemEventSchema = Schema.Struct({
  id: NonEmpty,
  typeId: opt(Schema.String),
  name: opt(Schema.String),
  statusId: opt(Schema.String),
  statusCategory: opt(Schema.String),
  dateModified: IsoDate,
  /** Not in the live event: the write-back reconciliation's read of the workitem (SDK `Workitem.dateStatusChanged`). */
  dateStatusChanged: opt(IsoDate),
  dateClosed: opt(Schema.String),
  assigneeId: opt(Schema.String),
  wrapupId: opt(Schema.String),
  modifiedBy: opt(Schema.String),
  operation: opt(Schema.String),
  changes: opt(Schema.Array(Change)),
  customFields: opt(Schema.Record({ key: Schema.String, value: Schema.NullOr(CustomAttribute) })),
  wrapup: opt(Wrapup),
  queueId: opt(Schema.String)
})

export type WorkitemEvent = typeof WorkitemEventSchema.Type

/** One rejected property: its path (`customFields.ticket_id_identifier.value`) and the problem. */
export interface EventIssue {
  readonly field: string
  readonly problem: string
}

const decode = Schema.decodeUnknownEither(WorkitemEventSchema, { errors: "all", onExcessProperty: "ignore" })

/** Decode a body as a workitem event: the event, or every bad property named by its path. */
export const decodeWorkitemEvent = (body: unknown): Either.Either<WorkitemEvent, ReadonlyArray<EventIssue>> => {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return Either.left([{ field: "body", problem: "must be a JSON object (the workitem event)" }])
  }
  return Either.mapLeft(decode(body), (error) => {
    const all = ParseResult.ArrayFormatter.formatErrorSync(error)
      // An optional property is a union with null and undefined: their branches' complaints say nothing new.
      .filter((issue) => !/^Expected (null|undefined), actual /.test(issue.message))
      .map((issue) => ({
        field: issue.path.length === 0 ? "body" : issue.path.join("."),
        problem: issue.message.startsWith("is missing") ? "is required" : issue.message
      }))
    // One issue per property, the innermost: `changes.0.field`, not also `changes`.
    return all.filter(
      (issue, i) =>
        all.findIndex((o) => o.field === issue.field) === i && !all.some((o) => o.field.startsWith(`${issue.field}.`))
    )
  })
}

/** The workitem event as the inbox keeps it (`TicketEvent.fields.workitem` of a `genesys` event). */
export interface WorkitemChange {
  readonly workitemId: string
  readonly typeId?: string
  readonly name?: string
  readonly statusId?: string
  /**
   * Whether this change moved the status, as the event's `changes` say (a `statusId` entry); absent when the event
   * lists no changes (then the status log judges by the status the workitem had before).
   */
  readonly statusChanged?: boolean
  readonly statusCategory?: string
  readonly dateModified: string
  /** When the status took its value, where the event says (a reconciliation's read: `dateStatusChanged`). */
  readonly statusChangedAt?: string
  readonly modifiedBy?: string
  readonly operation?: string
  readonly assigneeId?: string
  readonly wrapupCode?: string
  readonly queueId?: string
}

export type ToTicketEvent =
  | { readonly _tag: "Event"; readonly event: TicketEvent }
  | { readonly _tag: "Ignored"; readonly reason: string }

const customValue = (event: WorkitemEvent, key: string): string | undefined => {
  const v = event.customFields?.[key]?.value
  return typeof v === "string" && v.trim() !== "" ? v.trim() : undefined
}

/** The key under which the event is deduplicated: a redelivery of the same change carries the same key. */
export const genesysDeliveryKey = (e: WorkitemEvent): string => `genesys:${e.id}:${e.dateModified}:${e.statusId ?? ""}`

/**
 * The inbox event of a workitem event: the ticket is named by the workitem's `ticket_id` and `source_system` custom
 * fields (their Genesys names carry the type suffix, `ticket_id_identifier`); a workitem without them is not a
 * Workbridge ticket and is ignored. Revision: the modification time (ms), so a ticket's write-backs sort by it.
 */
export const toTicketEvent = (catalog: Catalog, e: WorkitemEvent): ToTicketEvent => {
  const field = (key: string) => catalog.fields.find((f) => f.key === key)
  const idField = field("ticket_id")
  const sourceField = field("source_system")
  if (idField === undefined || sourceField === undefined) {
    return { _tag: "Ignored", reason: "the catalog has no ticket_id or source_system field to name the ticket by" }
  }
  const ticketId = customValue(e, customFieldKey(idField))
  const source = customValue(e, customFieldKey(sourceField))
  if (ticketId === undefined || source === undefined) {
    return {
      _tag: "Ignored",
      reason: `the workitem has no ${customFieldKey(idField)} and ${customFieldKey(sourceField)} custom fields: not a Workbridge ticket`
    }
  }
  if ((e.operation ?? "").toLowerCase() === "delete") {
    return { _tag: "Ignored", reason: "the workitem was deleted: a deletion is not written back" }
  }
  const change: WorkitemChange = {
    workitemId: e.id,
    dateModified: e.dateModified,
    ...(e.dateStatusChanged !== undefined ? { statusChangedAt: new Date(e.dateStatusChanged).toISOString() } : {}),
    ...(e.typeId !== undefined ? { typeId: e.typeId } : {}),
    ...(e.name !== undefined ? { name: e.name } : {}),
    ...(e.statusId !== undefined ? { statusId: e.statusId } : {}),
    ...(e.changes !== undefined && e.changes.length > 0
      ? { statusChanged: e.changes.some((c) => c.field === "statusId" && c.oldValue !== c.newValue) }
      : {}),
    ...(e.statusCategory !== undefined ? { statusCategory: e.statusCategory } : {}),
    ...(e.modifiedBy !== undefined ? { modifiedBy: e.modifiedBy } : {}),
    ...(e.operation !== undefined ? { operation: e.operation } : {}),
    ...(e.assigneeId !== undefined ? { assigneeId: e.assigneeId } : {}),
    ...(e.wrapup?.code !== undefined ? { wrapupCode: e.wrapup.code } : {}),
    ...(e.queueId !== undefined ? { queueId: e.queueId } : {})
  }
  const ms = Date.parse(e.dateModified)
  return {
    _tag: "Event",
    event: {
      source,
      ticketId,
      revision: makeRevision(Math.max(0, ms), "genesys"),
      occurredAt: new Date(ms).toISOString(),
      deliveryKey: genesysDeliveryKey(e),
      kind: e.statusCategory?.toLowerCase() === "closed" ? "closed" : "updated",
      fields: { workitem: change },
      origin: "genesys"
    }
  }
}

/** The workitem change a `genesys` (or `genesys-reconcile`) inbox event carries (undefined: not one). */
export const workitemChangeOf = (event: TicketEvent): WorkitemChange | undefined => {
  const w = event.fields["workitem"]
  return isWriteBackOrigin(event.origin) && typeof w === "object" && w !== null && "workitemId" in w
    ? (w as WorkitemChange)
    : undefined
}

/** The agents' changes among some inbox events (not Workbridge's own: `modifiedBy` one of `selfIds`), in their order. */
export const agentChangesOf = (
  events: ReadonlyArray<TicketEvent>,
  selfIds: ReadonlyArray<string>
): Array<WorkitemChange> =>
  events.flatMap((event) => {
    const c = workitemChangeOf(event)
    return c === undefined || (c.modifiedBy !== undefined && selfIds.includes(c.modifiedBy)) ? [] : [c]
  })
