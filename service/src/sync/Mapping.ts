/**
 * How ticket values become workitem bodies: the engine's view of the catalog's derivations. `catalogMapping`
 * binds it to `@workbridge/catalog`; tests may pass another.
 */
import {
  type Catalog,
  type NormalizedTicket,
  normalizeTicket,
  toWorkitemCreate,
  toWorkitemUpdate,
  type WorkitemLike,
  workitemToValues
} from "@workbridge/catalog"
import { Either } from "effect"

export interface MappingContext {
  readonly typeId: string
  /** Status name → status id. */
  readonly statusIds: Readonly<Record<string, string>>
  readonly skillIds?: Readonly<Record<string, string>>
}

export type NormalizeResult =
  | {
      readonly _tag: "Valid"
      readonly values: Readonly<Record<string, unknown>>
      readonly notes: ReadonlyArray<string>
    }
  | { readonly _tag: "Invalid"; readonly issues: ReadonlyArray<string> }

export interface WorkitemMapping {
  readonly catalog: Catalog
  /** Cast, map vocabularies, truncate; invalid lists every problem. */
  readonly normalize: (fields: Readonly<Record<string, unknown>>) => NormalizeResult
  /** The POST body of a new workitem. */
  readonly create: (values: Readonly<Record<string, unknown>>, ctx: MappingContext) => Readonly<Record<string, unknown>>
  /** The minimal PATCH body from `before` to `after`, or undefined when nothing changed. */
  readonly update: (
    before: Readonly<Record<string, unknown>>,
    after: Readonly<Record<string, unknown>>,
    ctx: MappingContext
  ) => Readonly<Record<string, unknown>> | undefined
  /** The ticket values a workitem holds (to adopt a workitem found by query). */
  readonly fromWorkitem: (
    workitem: Readonly<Record<string, unknown>>,
    ctx: MappingContext
  ) => Readonly<Record<string, unknown>>
}

/** The mapping the catalog package derives. Derivation failures (a status id missing, a body too large) throw. */
export const catalogMapping = (catalog: Catalog): WorkitemMapping => {
  const ticket = (values: Readonly<Record<string, unknown>>): NormalizedTicket => ({
    values: values as NormalizedTicket["values"],
    truncated: [],
    unmapped: []
  })
  return {
    catalog,
    normalize: (fields) =>
      Either.match(normalizeTicket(catalog, fields), {
        onLeft: (e) => ({
          _tag: "Invalid" as const,
          issues: e.issues.map((i) => `${i.field}: ${i.problem}${"value" in i ? ` (got ${preview(i.value)})` : ""}`)
        }),
        onRight: (t) => ({
          _tag: "Valid" as const,
          values: t.values,
          notes: [
            ...t.truncated.map((k) => `${k}: truncated to its limit`),
            ...t.unmapped.map((u) => `${u.field}: "${u.value}" matches no vocabulary entry, dropped`)
          ]
        })
      }),
    create: (values, ctx) =>
      toWorkitemCreate(catalog, ticket(values), ctx) as unknown as Readonly<Record<string, unknown>>,
    update: (before, after, ctx) =>
      toWorkitemUpdate(catalog, ticket(before), ticket(after), ctx) as unknown as
        | Readonly<Record<string, unknown>>
        | undefined,
    fromWorkitem: (workitem, ctx) => workitemToValues(catalog, workitem as WorkitemLike, ctx)
  }
}

const preview = (value: unknown): string => {
  let text: string
  try {
    text = JSON.stringify(value) ?? typeof value
  } catch {
    text = typeof value
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}
