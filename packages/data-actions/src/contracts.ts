/**
 * The Data Action contracts (JSON Schema), derived from the catalog.
 *
 * Both actions keep Genesys's and Architect's constraints. Inputs are a flat "simple properties schema": strings,
 * integers, numbers and booleans only (Genesys refuses any other input type), so a tag field's raw values arrive as
 * one string joined by `TAG_INPUT_DELIMITER`. Outputs are flat objects whose properties are strings, numbers,
 * booleans or arrays of strings — no nested objects, no arrays of objects; each tag output also has a joined string
 * form (`<field>_joined`) for Architect expressions. An empty `required` is left out (draft-04 wants at least one
 * entry). The schemas use only keywords
 * that JSON Schema draft-04 (Genesys) and draft-07 share: `type`, `properties`, `required`, `items`, `enum`,
 * `minLength`, `maxLength`, `minimum`, `maximum`, `title`, `description`.
 */
import type { Catalog, CoreType, FieldDecl } from "@workbridge/catalog"
import { GENESYS_LIMITS, coreTypeMaxLength } from "@workbridge/catalog"

/** One flat property of a contract. */
export interface JsonSchemaProperty {
  readonly type: "string" | "integer" | "number" | "boolean" | "array"
  readonly title?: string
  readonly description?: string
  readonly enum?: ReadonlyArray<string>
  readonly minLength?: number
  readonly maxLength?: number
  readonly minimum?: number
  readonly maximum?: number
  readonly items?: {
    readonly type: "string"
    readonly enum?: ReadonlyArray<string>
    readonly maxLength?: number
  }
  readonly maxItems?: number
}

/** A flat object schema, as Genesys stores it in an action's `contract`. */
export interface FlatObjectSchema {
  readonly title: string
  readonly description: string
  readonly type: "object"
  /** Left out when no property is required: JSON Schema draft-04 refuses an empty `required`. */
  readonly required?: ReadonlyArray<string>
  readonly properties: Readonly<Record<string, JsonSchemaProperty>>
}

/** Input and output schema of one action. */
export interface ActionContract {
  readonly input: FlatObjectSchema
  readonly output: FlatObjectSchema
}

/** Names of the normalize-ticket outputs that are not catalog fields. */
export const NORMALIZE_MARKERS = {
  /** Every value that is not in its field's vocabulary, as `field=value` strings. */
  unmapped: "unmapped",
  /** True when `unmapped` is not empty. */
  hasUnmapped: "has_unmapped",
  /** Keys of the fields whose value was cut to its limit (and ends with the truncation marker). */
  truncated: "truncated",
  /** True when `truncated` is not empty. */
  hasTruncated: "has_truncated",
  /** Keys of the fields that have a normalized value in this answer. */
  provided: "provided",
  /** The workitem priority the field driving `priority` sets (from its vocabulary). */
  workitemPriority: "workitem_priority",
  /** The worktype status name the field driving `statusId` maps to (catalog `statusMapping`). */
  workitemStatus: "workitem_status"
} as const

/** The normalize-ticket input that is not a catalog field: which source's `sourceMappings` to apply. */
export const SOURCE_INPUT = "source"

/**
 * How a tag field's raw values arrive in the one string input Genesys allows (`web,mobile`), and how the
 * `<field>_joined` output joins the normalized values. Spaces around each value are ignored.
 */
export const TAG_INPUT_DELIMITER = ","

/** The joined string form of a tag output, for Architect expressions (`web,mobile`). */
export const joinedOutput = (fieldKey: string): string => `${fieldKey}_joined`

/** The per-field boolean output telling that a vocabulary field's value was not in its vocabulary. */
export const unmappedFlag = (fieldKey: string): string => `${fieldKey}_unmapped`

/**
 * Names a Data Action template cannot use as a translation-map key, because Velocity already binds them
 * in Genesys response templates.
 */
const TEMPLATE_RESERVED = ["input", "rawResult", "esc", "credentials", "successTemplateUtils", "math", "context"]

/** The Architect type of a raw input for a field: every raw ticket attribute arrives as text, tags joined by `,`. */
const inputProperty = (field: FieldDecl): JsonSchemaProperty => ({
  type: "string",
  ...describe(field, rawHint(field.type))
})

const rawHint = (type: CoreType): string => {
  switch (type) {
    case "checkbox":
      return "Raw value: true/false, yes/no, 1/0."
    case "integer":
    case "number":
      return "Raw value: a number, as text."
    case "date":
      return "Raw value: a date (YYYY-MM-DD or any ISO-8601 form)."
    case "datetime":
      return "Raw value: an ISO-8601 date-time or epoch milliseconds."
    case "enum":
      return "Raw value: a vocabulary value, its title or one of its aliases (case-insensitive)."
    case "tag":
      return `Raw values in one text, separated by "${TAG_INPUT_DELIMITER}" (e.g. web${TAG_INPUT_DELIMITER}mobile).`
    default:
      return "Raw value; longer values are truncated."
  }
}

const describe = (field: FieldDecl, hint: string): { title: string; description: string } => ({
  title: field.title,
  description: field.description === undefined ? hint : `${field.description}. ${hint}`
})

const maxLengthOf = (field: FieldDecl): number | undefined => field.limits?.maxLength ?? coreTypeMaxLength(field.type)

/** The normalized value of a field, as the action answers it. */
const outputProperty = (field: FieldDecl): JsonSchemaProperty => {
  const doc = { title: field.title, ...(field.description === undefined ? {} : { description: field.description }) }
  const vocabulary = field.vocabulary?.map((entry) => entry.value)
  const maxLength = maxLengthOf(field)
  switch (field.type) {
    case "checkbox":
      return { type: "boolean", ...doc }
    case "integer":
      return {
        type: "integer",
        ...doc,
        ...(field.limits?.minimum === undefined ? {} : { minimum: field.limits.minimum }),
        ...(field.limits?.maximum === undefined ? {} : { maximum: field.limits.maximum })
      }
    case "number":
      return {
        type: "number",
        ...doc,
        ...(field.limits?.minimum === undefined ? {} : { minimum: field.limits.minimum }),
        ...(field.limits?.maximum === undefined ? {} : { maximum: field.limits.maximum })
      }
    case "tag":
      return {
        type: "array",
        ...doc,
        items: {
          type: "string",
          ...(vocabulary === undefined ? {} : { enum: vocabulary }),
          ...(maxLength === undefined ? {} : { maxLength })
        },
        maxItems: field.limits?.maxItems ?? GENESYS_LIMITS.tag.maxItems
      }
    case "enum":
      return { type: "string", ...doc, ...(vocabulary === undefined ? {} : { enum: vocabulary }) }
    case "date":
    case "datetime":
      return { type: "string", ...doc }
    default:
      return { type: "string", ...doc, ...(maxLength === undefined ? {} : { maxLength }) }
  }
}

/** The field whose vocabulary sets the workitem priority, when the catalog has one with priorities. */
export const priorityField = (catalog: Catalog): FieldDecl | undefined =>
  catalog.fields.find(
    (field) =>
      field.attribute === "priority" && field.vocabulary?.some((entry) => entry.priority !== undefined) === true
  )

/** The field that drives the workitem status, when the catalog maps its values onto statuses. */
export const statusField = (catalog: Catalog): FieldDecl | undefined =>
  catalog.fields.find((field) => field.attribute === "statusId" && field.vocabulary !== undefined)

/** Fields with a controlled vocabulary: the ones that can come back unmapped. */
export const vocabularyFields = (catalog: Catalog): ReadonlyArray<FieldDecl> =>
  catalog.fields.filter((field) => field.vocabulary !== undefined && (field.type === "enum" || field.type === "tag"))

const stringList = (description: string): JsonSchemaProperty => ({
  type: "array",
  items: { type: "string" },
  description
})

/**
 * The contract of `POST /data-actions/normalize-ticket`: one optional input per catalog field (raw value) plus
 * `source`, one optional output per catalog field (normalized value), plus the always-present markers.
 *
 * Throws an `Error` naming the field when a catalog field's name collides with a marker output or a
 * name the response templates reserve.
 */
export const normalizeTicketContract = (catalog: Catalog): ActionContract => {
  const inputs: Record<string, JsonSchemaProperty> = {}
  const outputs: Record<string, JsonSchemaProperty> = {}
  const claim = (name: string, owner: string): void => {
    if (name in outputs) {
      throw new Error(`catalog field "${owner}": Data Action output "${name}" is already taken; rename the field`)
    }
    if (TEMPLATE_RESERVED.includes(name)) {
      throw new Error(`catalog field "${owner}": "${name}" is reserved in Data Action templates; rename the field`)
    }
  }
  for (const field of catalog.fields) {
    claim(field.key, field.key)
    inputs[field.key] = inputProperty(field)
    outputs[field.key] = outputProperty(field)
  }
  const markers: Record<string, JsonSchemaProperty> = {
    [NORMALIZE_MARKERS.unmapped]: stringList(
      "Values not in their field's vocabulary, as field=value; those fields are left out."
    ),
    [NORMALIZE_MARKERS.hasUnmapped]: { type: "boolean", description: "True when at least one value is unmapped." },
    [NORMALIZE_MARKERS.truncated]: stringList(
      "Keys of the fields cut to their limit (the value ends with [TRUNCATED])."
    ),
    [NORMALIZE_MARKERS.hasTruncated]: { type: "boolean", description: "True when at least one value was truncated." },
    [NORMALIZE_MARKERS.provided]: stringList("Keys of the fields that have a normalized value in this answer.")
  }
  for (const field of catalog.fields.filter((f) => f.type === "tag")) {
    markers[joinedOutput(field.key)] = {
      type: "string",
      description: `The ${field.title} values joined by "${TAG_INPUT_DELIMITER}" (absent when there are none).`
    }
  }
  for (const field of vocabularyFields(catalog)) {
    markers[unmappedFlag(field.key)] = {
      type: "boolean",
      description: `True when the ${field.title} value is not in its vocabulary.`
    }
  }
  const priority = priorityField(catalog)
  if (priority !== undefined) {
    const levels = (priority.vocabulary ?? []).flatMap((entry) =>
      entry.priority === undefined ? [] : [entry.priority]
    )
    markers[NORMALIZE_MARKERS.workitemPriority] = {
      type: "integer",
      description: `Workitem priority set by the ${priority.title} value.`,
      minimum: Math.min(...levels),
      maximum: Math.max(...levels)
    }
  }
  const status = statusField(catalog)
  if (status !== undefined) {
    markers[NORMALIZE_MARKERS.workitemStatus] = {
      type: "string",
      description: `Worktype status the ${status.title} value maps to.`,
      enum: [...new Set(Object.values(catalog.statusMapping))]
    }
  }
  for (const [name, schema] of Object.entries(markers)) {
    const owner = catalog.fields.find(
      (field) => field.key === name || unmappedFlag(field.key) === name || joinedOutput(field.key) === name
    )
    claim(name, owner?.key ?? name)
    outputs[name] = schema
  }
  if (SOURCE_INPUT in inputs) {
    throw new Error(
      `catalog field "${SOURCE_INPUT}": Data Action input "${SOURCE_INPUT}" is already taken; rename the field`
    )
  }
  inputs[SOURCE_INPUT] = {
    type: "string",
    title: "Source",
    description:
      "Optional source name as configured in Workbridge (zendesk, servicenow, … or a generic source): applies the deployment's sourceMappings for that source to the raw values.",
    maxLength: GENESYS_LIMITS.identifier.maxLength
  }
  return {
    input: {
      title: "Raw ticket attributes",
      description: `Raw values of the ${catalog.schemaName} fields; every input is optional.`,
      type: "object",
      properties: inputs
    },
    output: {
      title: "Normalized ticket",
      description: `Routing-ready ${catalog.schemaName} fields, normalized by the catalog rules.`,
      type: "object",
      required: [
        NORMALIZE_MARKERS.unmapped,
        NORMALIZE_MARKERS.hasUnmapped,
        NORMALIZE_MARKERS.truncated,
        NORMALIZE_MARKERS.hasTruncated,
        NORMALIZE_MARKERS.provided,
        ...vocabularyFields(catalog).map((field) => unmappedFlag(field.key))
      ],
      properties: outputs
    }
  }
}

/** Longest source name or ticket id the ticket-status action accepts (the identifier core type's limit). */
export const TICKET_REF_MAX_LENGTH = GENESYS_LIMITS.identifier.maxLength

/** The contract of `POST /data-actions/ticket-status`. It does not depend on the catalog. */
export const ticketStatusContract: ActionContract = {
  input: {
    title: "Ticket reference",
    description: "The helpdesk ticket whose sync status to read.",
    type: "object",
    required: ["source", "ticketId"],
    properties: {
      source: {
        type: "string",
        title: "Source",
        description:
          "Source name as configured in Workbridge (zendesk, servicenow, jira, freshdesk, github, or a generic source).",
        minLength: 1,
        maxLength: TICKET_REF_MAX_LENGTH
      },
      ticketId: {
        type: "string",
        title: "Ticket ID",
        description: "The ticket's id in its helpdesk.",
        minLength: 1,
        maxLength: TICKET_REF_MAX_LENGTH
      }
    }
  },
  output: {
    title: "Ticket sync status",
    description: "What Workbridge has applied of the ticket to Genesys.",
    type: "object",
    required: ["found", "linked", "source", "ticketId", "pendingEvents", "hasError"],
    properties: {
      found: { type: "boolean", description: "True when Workbridge has seen this ticket." },
      linked: { type: "boolean", description: "True when the ticket has a workitem." },
      source: { type: "string", description: "The source, as asked." },
      ticketId: { type: "string", description: "The ticket id, as asked." },
      workitemId: { type: "string", description: "The ticket's workitem id." },
      appliedRevision: { type: "string", description: "The newest ticket revision written to the workitem." },
      pendingEvents: { type: "integer", minimum: 0, description: "Accepted changes not yet applied." },
      hasError: { type: "boolean", description: "True when the newest change could not be applied." },
      lastError: { type: "string", description: "Why the newest change could not be applied." },
      lastAppliedAt: { type: "string", description: "ISO-8601 time of the last successful apply." },
      lagSeconds: {
        type: "number",
        minimum: 0,
        description: "Age in seconds of the oldest pending change (0 when none)."
      }
    }
  }
}

/** Largest workitem event the workitem-event action takes, as JSON text (the service's body limit is larger). */
export const WORKITEM_EVENT_MAX_LENGTH = 60_000

/**
 * The contract of `POST /data-actions/workitem-event`: the write-back (docs/write-back.md). A workflow started by a
 * Process Automation trigger on `v2.taskmanagement.workitems.{id}` passes the whole workitem event as JSON text
 * (`ToString(Flow.jsonData)`); the request template sends that text unchanged as the request body, so the service
 * receives the event itself. The answer says whether the event was taken for write-back, or why not.
 */
export const workitemEventContract: ActionContract = {
  input: {
    title: "Workitem event",
    description: "A workitem event of the topic v2.taskmanagement.workitems.{id}, as JSON text.",
    type: "object",
    required: ["event"],
    properties: {
      event: {
        type: "string",
        title: "Event",
        description: "The workitem event the trigger handed to the workflow (Flow.jsonData), as JSON text.",
        minLength: 2,
        maxLength: WORKITEM_EVENT_MAX_LENGTH
      }
    }
  },
  output: {
    title: "Write-back accepted",
    description: "Whether Workbridge took the event for writing back to the helpdesk ticket.",
    type: "object",
    required: ["accepted"],
    properties: {
      accepted: {
        type: "boolean",
        description: "True when the event is durably queued for write-back (or was already)."
      },
      ignored: {
        type: "string",
        description:
          "Why the event is not written back (e.g. the workitem is not a Workbridge ticket); empty when accepted."
      }
    }
  }
}
