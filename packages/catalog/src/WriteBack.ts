/**
 * What flows back from Genesys to the helpdesk (docs/catalog.md#field-direction): each field's direction, and the
 * helpdesk status a workitem's status asks for. The status is named in each vendor's own vocabulary, as the helpdesk
 * clients' `writeBack` takes it (docs/helpdesks.md#writing-to-the-helpdesk).
 */
import type { Catalog, FieldDecl, FieldDirection } from "./Field.js"

/**
 * The helpdesk status written when an agent moves a workitem to a status of one of these default-catalog values
 * (docs/catalog.md#field-direction, sources in docs/helpdesks.md#writing-to-the-helpdesk):
 *
 * - closing, `solved` / `closed`: Zendesk `solved` (a ticket closes by itself after it), ServiceNow Resolved (6) and
 *   Closed (7), Jira any done-category status, Freshdesk Resolved (4) and Closed (5), GitHub `closed`;
 * - open, `new` / `open` (Genesys Open and In Progress — an agent reopening a closed workitem moves it to Open): the
 *   ticket is open again — Zendesk `open` (a ticket never goes back to `new`), ServiceNow In Progress (2), Jira a
 *   new-category status for `new` and an indeterminate-category one for `open`, Freshdesk Open (2), GitHub `open`.
 *   Both values are mapped so that the helpdesk's echo of the reopen (its open status, read as `open`) is recognised
 *   as the write-back's own.
 *
 * The waiting values (`pending`, `on_hold`) write nothing unless a deployment maps them.
 */
export const DEFAULT_WRITE_BACK_STATUSES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  zendesk: { new: "open", open: "open", solved: "solved", closed: "solved" },
  servicenow: { new: "2", open: "2", solved: "6", closed: "7" },
  jira: { new: "category:new", open: "category:indeterminate", solved: "category:done", closed: "category:done" },
  freshdesk: { new: "2", open: "2", solved: "4", closed: "5" },
  github: { new: "open", open: "open", solved: "closed", closed: "closed" }
}

export const fieldDirection = (field: Pick<FieldDecl, "direction">): FieldDirection => field.direction ?? "toGenesys"

/** Whether the helpdesk's value of the field is written to Genesys. */
export const flowsToGenesys = (field: Pick<FieldDecl, "direction">): boolean => fieldDirection(field) !== "toHelpdesk"

/** Whether an agent's change to the field in Genesys is written back to the helpdesk. */
export const flowsToHelpdesk = (field: Pick<FieldDecl, "direction">): boolean => fieldDirection(field) !== "toGenesys"

/** Status vocabulary value → the source's status, the defaults with the catalog's own mapping over them. */
export const writeBackStatusMap = (catalog: Catalog, source: string): Readonly<Record<string, string>> => ({
  ...DEFAULT_WRITE_BACK_STATUSES[source],
  ...catalog.writeBackStatuses?.[source]
})

/**
 * The status to write to `source` when a workitem is at the Genesys status `statusName`, or undefined when the
 * status field does not flow to the helpdesk or no vocabulary value of that status is mapped for the source. When
 * several values map to the status, the first one (in vocabulary order) that has a write-back status decides.
 */
export const writeBackStatus = (catalog: Catalog, source: string, statusName: string): string | undefined =>
  writeBackTarget(catalog, source, statusName)?.status

/**
 * What `writeBackStatus` decides, with the catalog status value behind it: the first vocabulary value (in vocabulary
 * order) that maps to the Genesys status `statusName` and has a write-back status for `source` — its field key, the
 * value and the helpdesk status. Undefined when the status field does not flow to the helpdesk or nothing is mapped.
 */
export const writeBackTarget = (
  catalog: Catalog,
  source: string,
  statusName: string
): { readonly key: string; readonly value: string; readonly status: string } | undefined => {
  const field = catalog.fields.find((f) => f.attribute === "statusId")
  if (field === undefined || !flowsToHelpdesk(field)) return undefined
  const map = writeBackStatusMap(catalog, source)
  for (const entry of field.vocabulary ?? []) {
    const status = map[entry.value]
    if (catalog.statusMapping[entry.value] === statusName && status !== undefined)
      return { key: field.key, value: entry.value, status }
  }
  return undefined
}
