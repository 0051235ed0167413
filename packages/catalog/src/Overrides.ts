/**
 * Deployment overrides: a JSON or YAML file that extends the catalog without editing code — extra fields,
 * extra vocabulary entries and aliases, the worktype statuses, the status mapping and per-source value mappings.
 * The caller reads the file; this module only parses and validates its text.
 */
import { Either, ParseResult, Schema } from "effect"
import { parse as parseYaml } from "yaml"
import { defaultCatalog } from "./DefaultCatalog.js"
import type { Catalog, FieldDecl, VocabularyEntry } from "./Field.js"
import { CORE_TYPES, FIELD_DIRECTIONS, WORKITEM_ATTRIBUTES } from "./Field.js"
import type { CatalogProblem } from "./Validate.js"
import { CatalogConfigError, catalogProblems } from "./Validate.js"

const Entry = Schema.Struct({
  value: Schema.String,
  title: Schema.String,
  aliases: Schema.optionalWith(Schema.Array(Schema.String), { default: () => [] }),
  priority: Schema.optionalWith(Schema.Number, { exact: true })
})

const STATUS_CATEGORIES = ["Open", "InProgress", "Waiting", "Closed"] as const

const Flag = Schema.optionalWith(Schema.Boolean, { default: () => false })

const Limits = Schema.Struct({
  minLength: Schema.optionalWith(Schema.Number, { exact: true }),
  maxLength: Schema.optionalWith(Schema.Number, { exact: true }),
  minItems: Schema.optionalWith(Schema.Number, { exact: true }),
  maxItems: Schema.optionalWith(Schema.Number, { exact: true }),
  minimum: Schema.optionalWith(Schema.Number, { exact: true }),
  maximum: Schema.optionalWith(Schema.Number, { exact: true })
})

const oneOf = (what: string, values: ReadonlyArray<string>) => ({
  message: (issue: ParseResult.ParseIssue) => ({
    message: `${JSON.stringify(issue.actual)} is not ${what} (${values.join(", ")})`,
    override: true
  })
})

const Direction = Schema.Literal(...FIELD_DIRECTIONS).annotations(oneOf("a field direction", FIELD_DIRECTIONS))

const FieldInput = Schema.Struct({
  key: Schema.String,
  type: Schema.Literal(...CORE_TYPES).annotations(oneOf("a Genesys core type", CORE_TYPES)),
  title: Schema.String,
  description: Schema.optionalWith(Schema.String, { exact: true }),
  limits: Schema.optionalWith(Limits, { exact: true }),
  vocabulary: Schema.optionalWith(Schema.Array(Entry), { exact: true }),
  usage: Schema.optionalWith(Schema.Struct({ routing: Flag, sla: Flag, reporting: Flag }), {
    default: () => ({ routing: false, sla: false, reporting: false })
  }),
  attribute: Schema.optionalWith(
    Schema.Literal(...WORKITEM_ATTRIBUTES).annotations(oneOf("a workitem attribute", WORKITEM_ATTRIBUTES)),
    { exact: true }
  ),
  custom: Schema.optionalWith(Schema.Boolean, { default: () => true }),
  required: Flag,
  direction: Schema.optionalWith(Direction, { exact: true })
})

const StatusInput = Schema.Struct({
  name: Schema.String,
  category: Schema.Literal(...STATUS_CATEGORIES).annotations(oneOf("a status category", STATUS_CATEGORIES)),
  description: Schema.optionalWith(Schema.String, { exact: true }),
  destinations: Schema.optionalWith(Schema.Array(Schema.String), { default: () => [] })
})

const VocabularyOverride = Schema.Struct({
  entries: Schema.optionalWith(Schema.Array(Entry), { default: () => [] }),
  aliases: Schema.optionalWith(Schema.Record({ key: Schema.String, value: Schema.Array(Schema.String) }), {
    default: () => ({})
  })
})

const StringMap = Schema.Record({ key: Schema.String, value: Schema.String })

/** The override file's schema (effect Schema); unknown keys are refused so typos surface. */
export const CatalogOverridesSchema = Schema.Struct({
  schemaName: Schema.optionalWith(Schema.String, { exact: true }),
  schemaDescription: Schema.optionalWith(Schema.String, { exact: true }),
  /** Extra fields, appended after the base catalog's fields. */
  fields: Schema.optionalWith(Schema.Array(FieldInput), { exact: true }),
  /** Per field key: extra vocabulary entries, and extra aliases per existing value. */
  vocabularies: Schema.optionalWith(Schema.Record({ key: Schema.String, value: VocabularyOverride }), { exact: true }),
  /** Replaces the worktype statuses. */
  statuses: Schema.optionalWith(Schema.Array(StatusInput), { exact: true }),
  /** Merged over the base status mapping (status vocabulary value → status name). */
  statusMapping: Schema.optionalWith(StringMap, { exact: true }),
  /** Merged over the base source mappings (source → field key → vendor value → vocabulary value). */
  sourceMappings: Schema.optionalWith(
    Schema.Record({ key: Schema.String, value: Schema.Record({ key: Schema.String, value: StringMap }) }),
    {
      exact: true
    }
  ),
  /** Per existing field key: who owns its value (toGenesys, toHelpdesk, both). */
  directions: Schema.optionalWith(Schema.Record({ key: Schema.String, value: Direction }), { exact: true }),
  /** Merged over the base write-back statuses (source → status vocabulary value → the helpdesk's status). */
  writeBackStatuses: Schema.optionalWith(Schema.Record({ key: Schema.String, value: StringMap }), { exact: true })
})

/** An override document as written in a file (optional parts may be left out). */
export type CatalogOverrides = Schema.Schema.Encoded<typeof CatalogOverridesSchema>

const formatPath = (path: ReadonlyArray<PropertyKey>): string =>
  path.length === 0
    ? "(root)"
    : path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join("")

const decode = Schema.decodeUnknownEither(CatalogOverridesSchema, { errors: "all", onExcessProperty: "error" })

/** Add the override's entries and aliases to one field's vocabulary. */
const extendVocabulary = (
  field: FieldDecl,
  extra: {
    readonly entries: ReadonlyArray<VocabularyEntry>
    readonly aliases: Readonly<Record<string, ReadonlyArray<string>>>
  },
  at: string
): Either.Either<FieldDecl, CatalogProblem> => {
  if (field.type !== "enum" && field.type !== "tag") {
    return Either.left({
      path: at,
      problem: `field ${JSON.stringify(field.key)} is a ${field.type} field, which takes no vocabulary`
    })
  }
  const base = field.vocabulary ?? []
  for (const [j, entry] of extra.entries.entries()) {
    if (base.some((e) => e.value === entry.value)) {
      return Either.left({
        path: `${at}.entries[${j}].value`,
        problem: `${JSON.stringify(entry.value)} is already in the vocabulary`
      })
    }
  }
  const merged = [...base, ...extra.entries].map((entry) => ({ ...entry, aliases: [...entry.aliases] }))
  for (const [value, aliases] of Object.entries(extra.aliases)) {
    const entry = merged.find((e) => e.value === value)
    if (entry === undefined) {
      return Either.left({
        path: `${at}.aliases.${value}`,
        problem: `${JSON.stringify(value)} is not a value of field ${JSON.stringify(field.key)}`
      })
    }
    entry.aliases.push(...aliases.filter((a) => !entry.aliases.includes(a)))
  }
  return Either.right({ ...field, vocabulary: merged })
}

/**
 * Apply an override document to a base catalog and validate the result. Errors name `fileName`, the path in
 * the override document (e.g. `fields[2].type`, `vocabularies.status.aliases.open`) and the problem.
 */
export const applyOverrides = (
  base: Catalog,
  overrides: unknown,
  fileName: string
): Either.Either<Catalog, CatalogConfigError> => {
  const fail = (problem: CatalogProblem) => Either.left(new CatalogConfigError({ file: fileName, ...problem }))
  const decoded = decode(overrides ?? {})
  if (Either.isLeft(decoded)) {
    const first = ParseResult.ArrayFormatter.formatErrorSync(decoded.left)[0]
    return fail({ path: formatPath(first?.path ?? []), problem: first?.message ?? "is invalid" })
  }
  const o = decoded.right

  const extra: ReadonlyArray<FieldDecl> = o.fields ?? []
  for (const [i, field] of extra.entries()) {
    if (base.fields.some((f) => f.key === field.key)) {
      return fail({
        path: `fields[${i}].key`,
        problem: `${JSON.stringify(field.key)} is already a field of the catalog`
      })
    }
  }
  let fields: Array<FieldDecl> = [...base.fields, ...extra]
  for (const [key, vocab] of Object.entries(o.vocabularies ?? {})) {
    const at = `vocabularies.${key}`
    const index = fields.findIndex((f) => f.key === key)
    const field = fields[index]
    if (field === undefined) return fail({ path: at, problem: `${JSON.stringify(key)} is not a field of the catalog` })
    const extended = extendVocabulary(field, vocab, at)
    if (Either.isLeft(extended)) return fail(extended.left)
    fields = fields.map((f, i) => (i === index ? extended.right : f))
  }

  for (const [key, direction] of Object.entries(o.directions ?? {})) {
    const index = fields.findIndex((f) => f.key === key)
    if (index < 0)
      return fail({ path: `directions.${key}`, problem: `${JSON.stringify(key)} is not a field of the catalog` })
    fields = fields.map((f, i) => (i === index ? { ...f, direction } : f))
  }

  const writeBackStatuses: Record<string, Record<string, string>> = {}
  for (const layer of [base.writeBackStatuses ?? {}, o.writeBackStatuses ?? {}]) {
    for (const [source, mapping] of Object.entries(layer))
      writeBackStatuses[source] = { ...writeBackStatuses[source], ...mapping }
  }

  const sourceMappings: Record<string, Record<string, Record<string, string>>> = {}
  for (const layer of [base.sourceMappings ?? {}, o.sourceMappings ?? {}]) {
    for (const [source, perField] of Object.entries(layer)) {
      const target = (sourceMappings[source] ??= {})
      for (const [key, mapping] of Object.entries(perField)) target[key] = { ...target[key], ...mapping }
    }
  }

  const catalog: Catalog = {
    schemaName: o.schemaName ?? base.schemaName,
    schemaDescription: o.schemaDescription ?? base.schemaDescription,
    fields,
    statuses: o.statuses ?? base.statuses,
    statusMapping: { ...base.statusMapping, ...o.statusMapping },
    ...(Object.keys(sourceMappings).length === 0 ? {} : { sourceMappings }),
    ...(Object.keys(writeBackStatuses).length === 0 ? {} : { writeBackStatuses })
  }

  const first = catalogProblems(catalog)[0]
  return first === undefined ? Either.right(catalog) : fail(toOverridePath(first, base, fields))
}

/** Translate a problem found in the merged catalog into the override document's terms. */
const toOverridePath = (problem: CatalogProblem, base: Catalog, fields: ReadonlyArray<FieldDecl>): CatalogProblem => {
  const m = /^fields\[(\d+)\](.*)$/u.exec(problem.path)
  if (m === null) return problem
  const index = Number(m[1])
  const rest = m[2] ?? ""
  if (index >= base.fields.length) return { ...problem, path: `fields[${index - base.fields.length}]${rest}` }
  // A base field only breaks a rule through what the overrides added to its vocabulary.
  const key = fields[index]?.key ?? ""
  return rest.startsWith(".vocabulary") ? { path: `vocabularies.${key}`, problem: problem.problem } : problem
}

/**
 * Parse an override file (`.json`, `.yaml` or `.yml`, chosen by `fileName`'s extension) and apply it over
 * `base` (the default catalog unless given). An empty file means no overrides.
 */
export const parseCatalogFile = (
  text: string,
  fileName: string,
  base: Catalog = defaultCatalog
): Either.Either<Catalog, CatalogConfigError> => {
  const fail = (path: string, problem: string) => Either.left(new CatalogConfigError({ file: fileName, path, problem }))
  const ext = /\.([^./\\]+)$/u.exec(fileName)?.[1]?.toLowerCase()
  let document: unknown
  try {
    if (ext === "json") document = text.trim() === "" ? {} : JSON.parse(text)
    else if (ext === "yaml" || ext === "yml") document = parseYaml(text, { prettyErrors: true, uniqueKeys: true })
    else return fail("(file)", "unsupported file type: use .json, .yaml or .yml")
  } catch (error) {
    const message = error instanceof Error ? (error.message.split("\n")[0] ?? error.message) : String(error)
    return fail("(syntax)", `not valid ${ext === "json" ? "JSON" : "YAML"}: ${message}`)
  }
  return applyOverrides(base, document ?? {}, fileName)
}
