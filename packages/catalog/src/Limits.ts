/**
 * Effective limits of a field: its declared limits, capped by the Genesys maximum of its core type and,
 * for a field that is not stored as a custom field, by the limit of the workitem attribute it sets.
 */
import type { CoreType, FieldDecl, WorkitemAttribute } from "./Field.js"
import { GENESYS_LIMITS } from "./Field.js"

/** Core types whose value is one string of bounded length. */
export const STRING_TYPES: ReadonlySet<CoreType> = new Set<CoreType>(["text", "longtext", "url", "identifier"])

/** Maximum length of the workitem attributes that have one (docs/genesys-api.md §2.6). */
export const ATTRIBUTE_MAX_LENGTH: Partial<Record<WorkitemAttribute, number>> = {
  name: GENESYS_LIMITS.workitemName.maxLength,
  description: GENESYS_LIMITS.workitemDescription.maxLength
}

/** The Genesys maximum length of a core type's value (string types, enum options, tag items); none for the others. */
export const coreTypeMaxLength = (type: CoreType): number | undefined => {
  switch (type) {
    case "text":
    case "longtext":
    case "url":
    case "identifier":
    case "enum":
    case "tag":
      return GENESYS_LIMITS[type].maxLength
    default:
      return undefined
  }
}

const minDefined = (...xs: ReadonlyArray<number | undefined>): number | undefined => {
  const defined = xs.filter((x): x is number => x !== undefined)
  return defined.length === 0 ? undefined : Math.min(...defined)
}

/** Maximum length of the field's value (string types) or of each of its items (tag). */
export const maxLengthOf = (field: FieldDecl): number => {
  // A field that only sets a workitem attribute is bound by that attribute's limit, not by its core type's.
  const attributeMax =
    !field.custom && field.attribute !== undefined ? ATTRIBUTE_MAX_LENGTH[field.attribute] : undefined
  const ceiling = attributeMax ?? coreTypeMaxLength(field.type)
  return minDefined(field.limits?.maxLength, ceiling) ?? Number.MAX_SAFE_INTEGER
}

/** Minimum length of the field's value (string types) or of each of its items (tag); at least 1. */
export const minLengthOf = (field: FieldDecl): number => Math.max(1, field.limits?.minLength ?? 1)

/** Maximum number of items of a tag field. */
export const maxItemsOf = (field: FieldDecl): number =>
  Math.min(field.limits?.maxItems ?? GENESYS_LIMITS.tag.maxItems, GENESYS_LIMITS.tag.maxItems)

/** Numeric range of an integer/number field (integers also stay within the safe-integer range). */
export const rangeOf = (field: FieldDecl): { readonly minimum: number; readonly maximum: number } => {
  const isInt = field.type === "integer"
  const priority = field.attribute === "priority" ? GENESYS_LIMITS.workitemPriority : undefined
  return {
    minimum: Math.max(
      field.limits?.minimum ?? -Infinity,
      isInt ? GENESYS_LIMITS.integer.minimum : -Infinity,
      priority?.minimum ?? -Infinity
    ),
    maximum: Math.min(
      field.limits?.maximum ?? Infinity,
      isInt ? GENESYS_LIMITS.integer.maximum : Infinity,
      priority?.maximum ?? Infinity
    )
  }
}
