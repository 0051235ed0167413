/** The worktype statuses, transitions and default status, derived from the catalog. */
import type { Catalog, StatusCategory } from "@workbridge/catalog"

export interface PlannedStatus {
  readonly name: string
  readonly category: StatusCategory
  readonly description?: string
}

export interface StatusPlan {
  /** In creation order. */
  readonly statuses: ReadonlyArray<PlannedStatus>
  /** Status name → names of the statuses it may move to (empty: any). */
  readonly transitions: Readonly<Record<string, ReadonlyArray<string>>>
  /** The worktype's default status: the catalog's first status. */
  readonly defaultStatus: string
}

const CATEGORIES: ReadonlyArray<string> = ["Open", "InProgress", "Waiting", "Closed"]

/**
 * Plan the statuses of the catalog. Throws naming the bad entry when names repeat, a destination or a
 * `statusMapping` target is not a declared status, or a value of the status vocabulary maps to no status.
 */
export function planStatuses(catalog: Catalog): StatusPlan {
  if (catalog.statuses.length === 0) throw new Error("catalog.statuses: at least one status is required")
  const names = new Set<string>()
  catalog.statuses.forEach((s, i) => {
    if (typeof s.name !== "string" || s.name.length < 3 || s.name.length > 256) {
      throw new Error(`catalog.statuses[${i}].name: must be 3-256 characters, got ${JSON.stringify(s.name)}`)
    }
    if (names.has(s.name.toLowerCase())) throw new Error(`catalog.statuses[${i}].name: "${s.name}" is declared twice`)
    names.add(s.name.toLowerCase())
    if (!CATEGORIES.includes(s.category)) {
      throw new Error(
        `catalog.statuses[${i}].category: one of ${CATEGORIES.join(", ")}, got ${JSON.stringify(s.category)}`
      )
    }
  })
  const declared = new Set(catalog.statuses.map((s) => s.name))
  const transitions: Record<string, ReadonlyArray<string>> = {}
  catalog.statuses.forEach((s, i) => {
    if (s.destinations.length > 24) {
      throw new Error(`catalog.statuses[${i}].destinations: at most 24, got ${s.destinations.length}`)
    }
    s.destinations.forEach((d, j) => {
      if (!declared.has(d))
        throw new Error(`catalog.statuses[${i}].destinations[${j}]: "${d}" is not a declared status`)
      if (d === s.name) throw new Error(`catalog.statuses[${i}].destinations[${j}]: a status cannot list itself`)
    })
    transitions[s.name] = [...new Set(s.destinations)]
  })
  for (const [value, status] of Object.entries(catalog.statusMapping)) {
    if (!declared.has(status)) throw new Error(`catalog.statusMapping.${value}: "${status}" is not a declared status`)
  }
  const statusField = catalog.fields.find((f) => f.attribute === "statusId")
  for (const entry of statusField?.vocabulary ?? []) {
    if (catalog.statusMapping[entry.value] === undefined) {
      throw new Error(
        `catalog.statusMapping.${entry.value}: the status vocabulary value "${entry.value}" maps to no status`
      )
    }
  }
  const statuses = catalog.statuses.map((s) => ({
    name: s.name,
    category: s.category,
    ...(s.description === undefined ? {} : { description: s.description })
  }))
  return { statuses, transitions, defaultStatus: (catalog.statuses[0] as { name: string }).name }
}

/** A Pulumi-safe resource name for a status (`Open` → `open`, `In Progress` → `in-progress`). */
export function statusSlug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
}
