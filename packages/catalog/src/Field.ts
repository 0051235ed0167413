/**
 * Field declarations: the one place a ticket field is described. Everything Genesys-facing
 * (workitem schema, create/update bodies, Data Action contracts, emulator rules) is derived from these.
 */

/** The eleven Genesys workitem-schema core types (docs/genesys-api.md §2.3). */
export const CORE_TYPES = [
  "text",
  "longtext",
  "url",
  "identifier",
  "enum",
  "tag",
  "date",
  "datetime",
  "integer",
  "number",
  "checkbox"
] as const
export type CoreType = (typeof CORE_TYPES)[number]

/** Workitem attributes (not custom fields) a catalog field may drive (docs/genesys-api.md §2.6). */
export const WORKITEM_ATTRIBUTES = [
  "name",
  "description",
  "priority",
  "dateDue",
  "statusId",
  "externalTag",
  "skillIds"
] as const
export type WorkitemAttribute = (typeof WORKITEM_ATTRIBUTES)[number]

/** Real Genesys maxima per core type and per workitem attribute (docs/genesys-api.md §2.3, §2.6, §7). */
export const GENESYS_LIMITS = {
  text: { maxLength: 100 },
  longtext: { maxLength: 1000 },
  url: { maxLength: 200 },
  identifier: { maxLength: 100 },
  enum: { maxOptions: 50, maxLength: 100 },
  tag: { maxItems: 10, maxLength: 100 },
  integer: { minimum: -9_007_199_254_740_991, maximum: 9_007_199_254_740_991 },
  workitemName: { minLength: 3, maxLength: 256 },
  workitemDescription: { maxLength: 512 },
  workitemPriority: { minimum: -25_000_000, maximum: 25_000_000 },
  fieldsPerSchema: 50,
  /** Workitems per bulk add job (developer.genesys.cloud "Bulk Operations"; docs/genesys-api.md §2.12). */
  bulkAddEntitiesPerJob: 50,
  /** Workbridge keeps every request body it sends under this size. */
  requestBodyBytes: 500 * 1024
} as const

/** Marker appended to a value cut to fit a Genesys limit. */
export const TRUNCATION_MARKER = "[TRUNCATED]"

/** Length/size/range limits of one field; omitted means the core type's Genesys maximum. */
export interface FieldLimits {
  readonly minLength?: number
  readonly maxLength?: number
  readonly minItems?: number
  readonly maxItems?: number
  readonly minimum?: number
  readonly maximum?: number
}

/** One allowed value of an enum/tag field, with the spellings that map onto it (matched case-insensitively). */
export interface VocabularyEntry {
  readonly value: string
  readonly title: string
  readonly aliases: ReadonlyArray<string>
  /** For a field that drives `priority`: the workitem priority this value sets. */
  readonly priority?: number
}

/** What a field is used for downstream: routing decisions, SLA clocks, reporting. */
export interface FieldUsage {
  readonly routing: boolean
  readonly sla: boolean
  readonly reporting: boolean
}

/** A declared ticket field. */
/**
 * Who owns a field's value (docs/catalog.md#field-direction): the helpdesk (`toGenesys`, the default: the helpdesk's
 * value is written to the workitem), Genesys (`toHelpdesk`: an agent's change is written back to the ticket), or
 * both (`both`: the newer change wins).
 */
export const FIELD_DIRECTIONS = ["toGenesys", "toHelpdesk", "both"] as const
export type FieldDirection = (typeof FIELD_DIRECTIONS)[number]

export interface FieldDecl {
  /** snake_case name, 1–64 chars; the custom field key is `${key}_${type}`. */
  readonly key: string
  readonly type: CoreType
  readonly title: string
  readonly description?: string
  readonly limits?: FieldLimits
  /** Controlled vocabulary (enum and tag fields). */
  readonly vocabulary?: ReadonlyArray<VocabularyEntry>
  readonly usage: FieldUsage
  /** Workitem attribute this field sets, if any. */
  readonly attribute?: WorkitemAttribute
  /** Whether the field is stored as a custom field (`${key}_${type}`). Default true. */
  readonly custom: boolean
  /** A ticket without this field is invalid. */
  readonly required: boolean
  /** Who owns the field's value; absent means `toGenesys`. */
  readonly direction?: FieldDirection
}

/** Genesys worktype status categories (docs/genesys-api.md §2.5). */
export type StatusCategory = "Open" | "InProgress" | "Waiting" | "Closed"

/** A worktype status the catalog asks for, and the statuses it may move to directly. */
export interface StatusDecl {
  /** Status name in Genesys (3–256 chars). */
  readonly name: string
  readonly category: StatusCategory
  readonly description?: string
  /** Names of the statuses this one may move to; empty means any (Genesys semantics). */
  readonly destinations: ReadonlyArray<string>
}

/** The whole catalog of one deployment. */
export interface Catalog {
  /** Workitem schema name. */
  readonly schemaName: string
  readonly schemaDescription: string
  readonly fields: ReadonlyArray<FieldDecl>
  /** Worktype statuses, in creation order; the first is the default status. */
  readonly statuses: ReadonlyArray<StatusDecl>
  /** Vocabulary value of the `status` field → status name. */
  readonly statusMapping: Readonly<Record<string, string>>
  /**
   * Per-source vendor value → catalog vocabulary value, per field key; e.g.
   * `{ servicenow: { status: { "6": "solved" } } }`. Merged over each adapter's built-in defaults.
   */
  readonly sourceMappings?: Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, string>>>>>>
  /**
   * Per source: status vocabulary value → the status to write to that helpdesk when a workitem reaches a status that
   * value maps to (e.g. `{ servicenow: { solved: "6" } }`). Merged over `DEFAULT_WRITE_BACK_STATUSES`.
   */
  readonly writeBackStatuses?: Readonly<Record<string, Readonly<Record<string, string>>>>
}

/** The custom-field key of a field: `<name>_<coretype>` (docs/genesys-api.md §2.3). */
export const customFieldKey = (field: Pick<FieldDecl, "key" | "type">): string => `${field.key}_${field.type}`
