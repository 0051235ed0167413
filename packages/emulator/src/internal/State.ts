/** The emulator's in-memory organisation: every entity in a Map keyed by id, plus the workitem indexes. */
import { randomUUID } from "node:crypto"
import type { CompiledSchema } from "./customFields.js"
import type { Json } from "./validate.js"

export interface PermissionPolicy {
  readonly domain: string
  readonly entityName: string
  readonly actionSet: ReadonlyArray<string>
  readonly [k: string]: unknown
}

export interface Role {
  id: string
  name: string
  description?: string
  permissionPolicies: ReadonlyArray<PermissionPolicy>
  permissions: ReadonlyArray<string>
  /** A change still propagating (`permissionDelaySeconds`): until `until` (epoch ms) `previous` applies. */
  pendingPolicies?: { readonly until: number; readonly previous: ReadonlyArray<PermissionPolicy> }
}

export interface OAuthClientRecord {
  id: string
  name: string
  description?: string
  secret: string
  authorizedGrantType: string
  accessTokenValiditySeconds: number
  roleDivisions: ReadonlyArray<{ roleId: string; divisionId: string }>
  /** A grant change still propagating (`permissionDelaySeconds`): until `until` (epoch ms) `previous` applies. */
  pendingRoleDivisions?: { readonly until: number; readonly previous: ReadonlyArray<{ roleId: string; divisionId: string }> }
  scope: ReadonlyArray<string>
  registeredRedirectUri: ReadonlyArray<string>
  state: string
  dateCreated: string
  dateModified: string
}

export interface Token {
  readonly clientId: string
  readonly expiresAt: number
}

export interface Workbin {
  id: string
  name: string
  description?: string
  divisionId: string
  dateCreated: string
  dateModified: string
  modifiedBy: string
}

export interface SchemaVersion {
  readonly version: number
  readonly name: string
  readonly description?: string
  readonly enabled: boolean
  readonly appliesTo: ReadonlyArray<string>
  readonly jsonSchema: Json
  readonly compiled: CompiledSchema
  readonly dateCreated: string
  readonly createdBy: string
}

export interface WorkitemSchema {
  id: string
  /** Oldest first; the last entry is the current version. */
  versions: Array<SchemaVersion>
}

export interface Worktype {
  id: string
  name: string
  description?: string
  divisionId: string
  defaultWorkbinId: string
  defaultStatusId?: string
  schemaId?: string
  schemaVersion?: number
  /** Validated optional attributes echoed back as sent (`defaultPriority`, `defaultTtlSeconds`, …). */
  attrs: Json
  statusIds: Array<string>
  dateCreated: string
  dateModified: string
  modifiedBy: string
}

export type StatusCategory = "Open" | "InProgress" | "Waiting" | "Closed"

export interface WorkitemStatus {
  id: string
  worktypeId: string
  name: string
  category: StatusCategory
  description?: string
  destinationStatusIds: ReadonlyArray<string>
  defaultDestinationStatusId?: string
  statusTransitionDelaySeconds?: number
  statusTransitionTime?: string
  autoTerminateWorkitem?: boolean
}

export interface Workitem {
  id: string
  seq: number
  name: string
  typeId: string
  workbinId: string
  statusId: string
  statusCategory: StatusCategory
  divisionId: string
  priority: number
  schemaId?: string
  schemaVersion?: number
  customFields: Record<string, unknown>
  /** Optional attributes (description, dateDue, externalTag, queueId, …) as validated. */
  attrs: Json
  autoStatusTransition: boolean
  dateCreated: string
  dateModified: string
  dateStatusChanged: string
  dateClosed?: string
  modifiedBy: string
  reporterId: string
}

export interface Integration {
  id: string
  name: string
  integrationTypeId: string
  notes?: string
  intendedState: string
  config: {
    name: string
    notes: string
    version: number
    properties: Json
    advanced: Json
    credentials: Record<string, { id: string; type?: Json; name?: string }>
  }
}

export interface Credential {
  id: string
  name: string
  typeName: string
  credentialFields: Record<string, string>
  createdDate: string
  modifiedDate: string
}

export interface DataAction {
  id: string
  name: string
  category: string
  integrationId: string
  secure: boolean
  contract: Json
  config: Json
  version: number
}

/** Secondary index: value → ids, for O(1) anchor and tag lookups. */
export class Index {
  private readonly map = new Map<string, Set<string>>()
  add(key: string | undefined, id: string): void {
    if (key === undefined) return
    let s = this.map.get(key)
    if (s === undefined) this.map.set(key, (s = new Set()))
    s.add(id)
  }
  remove(key: string | undefined, id: string): void {
    if (key === undefined) return
    const s = this.map.get(key)
    if (s === undefined) return
    s.delete(id)
    if (s.size === 0) this.map.delete(key)
  }
  get(key: string): ReadonlySet<string> {
    return this.map.get(key) ?? EMPTY
  }
}
const EMPTY: ReadonlySet<string> = new Set()

export const HOME_DIVISION = { id: "1f6bd0d4-58c4-4f6c-9b7a-8f2d8a0e0d01", name: "Home" } as const

/** A fixed-window counter (per minute or per UTC day). */
export interface Window {
  start: number
  count: number
}

export class State {
  readonly homeDivision = HOME_DIVISION
  readonly roles = new Map<string, Role>()
  readonly clients = new Map<string, OAuthClientRecord>()
  readonly tokens = new Map<string, Token>()
  readonly workbins = new Map<string, Workbin>()
  readonly schemas = new Map<string, WorkitemSchema>()
  readonly worktypes = new Map<string, Worktype>()
  readonly statuses = new Map<string, WorkitemStatus>()
  readonly workitems = new Map<string, Workitem>()
  readonly integrations = new Map<string, Integration>()
  readonly credentials = new Map<string, Credential>()
  /** Published data actions. */
  readonly actions = new Map<string, DataAction>()
  /** Drafts of data actions, keyed by action id. */
  readonly drafts = new Map<string, DataAction>()

  readonly byType = new Index()
  readonly byWorkbin = new Index()
  readonly byQueue = new Index()
  readonly byAssignee = new Index()
  readonly byStatus = new Index()
  /** `externalTag` value → ids, scoped by worktype: `${typeId}\u0000${tag}`. */
  readonly byExternalTag = new Index()
  /** `${typeId}\u0000${key}\u0000${value}` → ids for string custom fields (identifier lower-cased). */
  readonly byCustomField = new Index()

  /** Per-token request window. */
  readonly tokenWindows = new Map<string, Window>()
  /** Per-workitem update window. */
  readonly workitemWindows = new Map<string, Window>()
  dailyCreates: Window = { start: 0, count: 0 }
  dailyUpdates: Window = { start: 0, count: 0 }

  private seq = 0
  nextSeq(): number {
    return ++this.seq
  }

  newId(): string {
    return randomUUID()
  }

  indexWorkitem(w: Workitem, add: boolean): void {
    const op = add ? "add" : "remove"
    this.byType[op](w.typeId, w.id)
    this.byWorkbin[op](w.workbinId, w.id)
    this.byStatus[op](w.statusId, w.id)
    const queueId = w.attrs["queueId"]
    if (typeof queueId === "string") this.byQueue[op](queueId, w.id)
    const assigneeId = w.attrs["assigneeId"]
    if (typeof assigneeId === "string") this.byAssignee[op](assigneeId, w.id)
    const tag = w.attrs["externalTag"]
    if (typeof tag === "string") this.byExternalTag[op](`${w.typeId}\u0000${tag}`, w.id)
    for (const [key, value] of Object.entries(w.customFields)) {
      const k = customFieldIndexKey(w.typeId, key, value)
      if (k !== undefined) this.byCustomField[op](k, w.id)
    }
  }
}

/** Index key of a string custom field value; identifiers are matched case-insensitively. */
export const customFieldIndexKey = (typeId: string, key: string, value: unknown): string | undefined =>
  typeof value === "string"
    ? `${typeId}\u0000${key}\u0000${key.endsWith("_identifier") ? value.toLowerCase() : value}`
    : undefined
