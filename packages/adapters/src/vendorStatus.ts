import type { Catalog } from "@workbridge/catalog"
import { FRESHDESK_STATUS } from "./Freshdesk.js"
import { GITHUB_STATE } from "./GitHub.js"
import { JIRA_STATUS_CATEGORY } from "./Jira.js"
import { SERVICENOW_STATE } from "./ServiceNow.js"
import { ZENDESK_STATUS } from "./Zendesk.js"

/** Each adapter's status table (the vendor's status → the catalog value), as it reads webhooks and API answers. */
const STATUS_TABLES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  zendesk: ZENDESK_STATUS,
  servicenow: SERVICENOW_STATE,
  jira: JIRA_STATUS_CATEGORY,
  freshdesk: FRESHDESK_STATUS,
  github: GITHUB_STATE
}

/**
 * The helpdesk status, as its API takes it, that the source's adapter reads as the catalog status `value`: the first
 * one of the catalog's own mapping for the source, else of the adapter's table (Zendesk `hold` for `on_hold`,
 * ServiceNow state `1` for `new`, Freshdesk `3` for `pending`, Jira the category `category:new`, GitHub `closed` for
 * `solved`). What writing a person's own status back to the ticket sends (docs/write-back.md, "The both rule").
 * Undefined when nothing reads as that value.
 */
export const vendorStatusFor = (catalog: Catalog, source: string, value: string): string | undefined => {
  const overrides = catalog.sourceMappings?.[source]?.["status"]
  const own = overrides === undefined ? undefined : Object.entries(overrides).find(([, v]) => v === value)?.[0]
  if (own !== undefined) return own
  const key = Object.entries(STATUS_TABLES[source] ?? {}).find(([, v]) => v === value)?.[0]
  return key === undefined ? undefined : apiForm(source, key)
}

/** A key of an adapter's status table as the vendor's API takes the status. */
const apiForm = (source: string, key: string): string => {
  if (source === "jira") return `category:${key}`
  // `closed/completed`: an issue's state, then its reason; the API's state is the first part.
  if (source === "github") return key.split("/")[0]!
  return key
}

/**
 * The catalog status values the source's adapter may read a helpdesk status as, the status named as its API takes it
 * (as `vendorStatusFor` and the write-back name it): what the helpdesk's webhook of a write of that status reports.
 * ServiceNow state `2` reads as `open` only — not `new`, although the write-back writes `new` as state 2; GitHub
 * `closed` as `solved` or `closed`, after its reason. The catalog's own mapping for the source first. Empty when
 * nothing is known of the source's statuses.
 */
export const valuesReadFrom = (catalog: Catalog, source: string, status: string): ReadonlyArray<string> => {
  const overrides = catalog.sourceMappings?.[source]?.["status"] ?? {}
  const values = new Set<string>()
  const own = overrides[status]
  if (own !== undefined) values.add(own)
  for (const [key, value] of Object.entries(STATUS_TABLES[source] ?? {}))
    if (apiForm(source, key) === status) values.add(overrides[key] ?? value)
  return [...values]
}
