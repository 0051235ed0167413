/**
 * The Genesys responses the sync relies on, as Effect `Schema`s decoded at the client boundary, and the branded ids
 * they carry. Decoding is lenient: fields Workbridge does not read are kept as they came (`onExcessProperty:
 * "preserve"`), optional fields may be absent or `null`. A response that breaks them — a workitem without an `id`, a
 * status whose `destinationStatuses` is not a list — fails the call with a `GenesysError` naming the operation and
 * the field (`entities.0.id: is missing`), instead of reaching the engine as a half-read object.
 * Shapes: docs/genesys-api.md §2.4 (worktypes), §2.5 (statuses), §2.6 (workitems), §2.7 (query), §2.12 (bulk add jobs).
 */
import { Effect, ParseResult, Schema } from "effect"
import { GenesysError } from "./GenesysError.js"

const Id = Schema.String.pipe(Schema.minLength(1, { message: () => "must be a non-empty string" }))

/** A workitem's id (UUID in Genesys Cloud). */
export const WorkitemId = Id.pipe(Schema.brand("WorkitemId"))
export type WorkitemId = typeof WorkitemId.Type
/** A worktype's id. */
export const WorktypeId = Id.pipe(Schema.brand("WorktypeId"))
export type WorktypeId = typeof WorktypeId.Type
/** A worktype status's id. */
export const StatusId = Id.pipe(Schema.brand("StatusId"))
export type StatusId = typeof StatusId.Type
/**
 * The key a workitem carries for its ticket: the ticket id written into the worktype's identifier custom field
 * (`ticket_id_identifier` in the default catalog), which the sync queries workitems by.
 */
export const TicketKey = Id.pipe(Schema.brand("TicketKey"))
export type TicketKey = typeof TicketKey.Type

/** Absent, `null` or the value, all accepted (whether Genesys ever answers `null` for these fields is unverified). */
const opt = <A, I>(schema: Schema.Schema<A, I>) => Schema.optionalWith(schema, { nullable: true, exact: true })

const Ref = <A, I>(id: Schema.Schema<A, I>) => Schema.Struct({ id })

/** A workitem as Genesys returns it (the fields Workbridge reads; the others are kept). */
export const WorkitemResponse = Schema.Struct(
  {
    id: WorkitemId,
    name: opt(Schema.String),
    status: opt(Schema.Struct({ id: StatusId, name: opt(Schema.String) })),
    type: opt(Ref(WorktypeId)),
    customFields: opt(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
  },
  Schema.Record({ key: Schema.String, value: Schema.Unknown })
)

/** `GET /taskmanagement/worktypes/{id}`. */
export const WorktypeResponse = Schema.Struct({
  id: WorktypeId,
  name: opt(Schema.String),
  defaultWorkbin: opt(Schema.Struct({ id: opt(Schema.String) })),
  defaultStatus: opt(Schema.Struct({ id: opt(StatusId) }))
})

/** `POST /taskmanagement/worktypes/query`. */
export const WorktypeListing = Schema.Struct({
  entities: opt(Schema.Array(Schema.Struct({ id: WorktypeId, name: Schema.String })))
})

/** `GET /taskmanagement/worktypes/{id}/statuses`. */
export const StatusListing = Schema.Struct({
  entities: opt(
    Schema.Array(
      Schema.Struct({
        id: StatusId,
        name: Schema.String,
        category: opt(Schema.String),
        destinationStatuses: opt(Schema.Array(Ref(StatusId)))
      })
    )
  )
})

/** `POST /taskmanagement/workitems/query`: one page, and the cursor of the next. */
export const WorkitemQueryPage = Schema.Struct({
  entities: opt(Schema.Array(WorkitemResponse)),
  after: opt(Schema.String)
})

/** A bulk add job as created, and as read while it runs. */
export const BulkJobCreated = Schema.Struct({ id: Id })
export const BulkJobState = Schema.Struct({ state: opt(Schema.String) })

/** A bulk add job's results: per entity, the workitem created or the error. */
export const BulkJobResults = Schema.Struct({
  results: opt(
    Schema.Array(
      Schema.Struct({
        entity: opt(Schema.Struct({ id: opt(WorkitemId) })),
        error: opt(Schema.Struct({ code: opt(Schema.String), message: opt(Schema.String) }))
      })
    )
  )
})

/** Longest description of a malformed response kept on the error. */
const MAX_DESCRIPTION = 500

/** `path: problem` for every issue, e.g. `entities.0.destinationStatuses: Expected ReadonlyArray<…>, actual "x"`. */
export const describeIssues = (error: ParseResult.ParseError): string => {
  const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
  // An optional field is `value | null`: its `Expected null` alternative says nothing the other issue does not.
  const told = issues.filter((issue) => !issue.message.startsWith("Expected null,"))
  const text = (told.length > 0 ? told : issues)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "(response)"}: ${issue.message}`)
    .join("; ")
  return text.length > MAX_DESCRIPTION ? `${text.slice(0, MAX_DESCRIPTION - 1)}…` : text
}

/**
 * Decode what `operation` answered. A malformed answer is a `ServerError` (Genesys broke its contract: as with a
 * 5xx, the outcome of a create is unknown, so the engine looks the workitem up before trying again), whose
 * `malformed` and message name the fields.
 */
export const decodeResponse =
  <A, I>(schema: Schema.Schema<A, I>, operation: string) =>
  (raw: unknown): Effect.Effect<A, GenesysError> =>
    Schema.decodeUnknown(schema, { onExcessProperty: "preserve", errors: "all" })(raw).pipe(
      Effect.mapError((e) => {
        const malformed = describeIssues(e)
        return new GenesysError({
          reason: "ServerError",
          operation,
          malformed,
          body: { message: `malformed response: ${malformed}` }
        })
      })
    )
