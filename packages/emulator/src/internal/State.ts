/** The emulator's in-memory organisation: every entity in a Map keyed by id, plus the workitem indexes. */
import { randomUUID } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { type CompiledSchema, compileSchema } from "./customFields.js"
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
  pendingRoleDivisions?: {
    readonly until: number
    readonly previous: ReadonlyArray<{ roleId: string; divisionId: string }>
  }
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

/** A Process Automation trigger (SDK `Trigger`; docs/genesys-api.md §9.1). */
export interface Trigger {
  id: string
  name: string
  topicName: string
  target: { type: "Workflow"; id: string; workflowTargetSettings?: { dataFormat: string } }
  version: number
  enabled: boolean
  matchCriteria: ReadonlyArray<MatchCriterion>
  eventTTLSeconds?: number
  delayBySeconds?: number
  description?: string
}

export interface MatchCriterion {
  readonly jsonPath: string
  readonly operator: string
  readonly value?: unknown
  readonly values?: ReadonlyArray<unknown>
}

/** One input of a callData action: the event as JSON text (`ToString(Flow.jsonData)`) or a literal string. */
export type FlowInput = { readonly kind: "eventJson" } | { readonly kind: "literal"; readonly value: string }

/** A callData action of a workflow: the Data Action (by integration and action name) and its inputs. */
export interface CallDataAction {
  readonly name: string
  readonly integrationName: string
  readonly actionName: string
  readonly inputs: Readonly<Record<string, FlowInput>>
}

/** A published Architect workflow (the subset the emulator runs; docs/genesys-api.md §9.2). */
export interface Flow {
  id: string
  name: string
  type: "workflow"
  description?: string
  divisionId: string
  version: number
  actions: ReadonlyArray<CallDataAction>
  dateCreated: string
  dateModified: string
  modifiedBy: string
}

/** An Architect import job (`postFlowsJobs`): registered, then the YAML is PUT to its upload URL. */
export interface FlowJob {
  id: string
  clientId: string
  /** Must come back as a header of the upload (as a presigned URL's signed headers must). */
  uploadToken: string
  status: "Registered" | "Success" | "Failure"
  flowId?: string
  flowName?: string
  messages: ReadonlyArray<{ dateTime: string; type: "Error" | "Warning"; text: string }>
}

/** One run of a workflow started by a trigger (the emulator's own record; docs/genesys-api.md §9.4). */
export interface WorkflowExecution {
  readonly id: string
  readonly triggerId: string
  readonly flowId: string
  readonly workitemId: string
  readonly operation: string
  /** The trigger's `workflowTargetSettings.dataFormat` when the event was raised (`Json` sets `Flow.jsonData`). */
  readonly dataFormat: string
  /** The event handed to the workflow as `Flow.jsonData`. */
  readonly event: Record<string, unknown>
  status: "pending" | "running" | "succeeded" | "failed"
  attempts: number
  httpStatus?: number
  error?: string
  readonly dateQueued: string
  dateFinished?: string
}

/** Secondary index: value → ids, for O(1) anchor and tag lookups. */
/** A workitem bulk add job (docs/genesys-api.md §2.12). */
export interface BulkAddJob {
  id: string
  /** The OAuth client that created it: the reporter of its workitems. */
  clientId: string
  state: "Idle" | "Queued" | "Succeeded" | "Cancelled"
  entities: ReadonlyArray<Record<string, unknown>>
  dateCreated: string
  dateModified: string
  dateStarted?: string
  dateFinished?: string
  /** Epoch ms when it was queued. */
  queuedAt?: number
  results?: ReadonlyArray<{ entity?: Record<string, unknown>; error?: { message: string; code: string } }>
}

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

/**
 * What a state file holds: the organisation's objects (roles, OAuth clients, workbins, schemas, worktypes, statuses,
 * workitems, integrations, credentials, data actions, triggers, workflows) and the workitem sequence. Not kept: tokens, throttle windows,
 * daily counters, faults and the request log (a restarted emulator starts those afresh, as after a Genesys restart
 * a token is simply requested again).
 */
export interface Snapshot {
  readonly version: 1
  readonly seq: number
  readonly roles: ReadonlyArray<Role>
  readonly clients: ReadonlyArray<OAuthClientRecord>
  readonly workbins: ReadonlyArray<Workbin>
  readonly schemas: ReadonlyArray<{
    readonly id: string
    readonly versions: ReadonlyArray<Omit<SchemaVersion, "compiled">>
  }>
  readonly worktypes: ReadonlyArray<Worktype>
  readonly statuses: ReadonlyArray<WorkitemStatus>
  readonly workitems: ReadonlyArray<Workitem>
  readonly integrations: ReadonlyArray<Integration>
  readonly credentials: ReadonlyArray<Credential>
  readonly actions: ReadonlyArray<DataAction>
  readonly drafts: ReadonlyArray<DataAction>
  /** Absent in state files written before triggers and flows existed. */
  readonly triggers?: ReadonlyArray<Trigger>
  readonly flows?: ReadonlyArray<Flow>
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
  /** Process Automation triggers. */
  readonly triggers = new Map<string, Trigger>()
  /** Published workflows. */
  readonly flows = new Map<string, Flow>()
  /** Architect import jobs (in memory only: not part of the snapshot). */
  readonly flowJobs = new Map<string, FlowJob>()
  /** Workflow executions, oldest first (in memory only; the oldest finished ones are dropped past a cap). */
  readonly executions: Array<WorkflowExecution> = []
  /** Executions raised by a request and not yet handed to the dispatcher. */
  readonly pendingExecutions: Array<WorkflowExecution> = []
  /** Workitem bulk add jobs (in memory only: not part of the snapshot). */
  readonly bulkAddJobs = new Map<string, BulkAddJob>()

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

  /** The organisation as a JSON-safe snapshot (see `Snapshot`). */
  toSnapshot(): Snapshot {
    return {
      version: 1,
      seq: this.seq,
      roles: [...this.roles.values()],
      clients: [...this.clients.values()],
      workbins: [...this.workbins.values()],
      schemas: [...this.schemas.values()].map((x) => ({
        id: x.id,
        versions: x.versions.map(({ compiled: _compiled, ...v }) => v)
      })),
      worktypes: [...this.worktypes.values()],
      statuses: [...this.statuses.values()],
      workitems: [...this.workitems.values()],
      integrations: [...this.integrations.values()],
      credentials: [...this.credentials.values()],
      actions: [...this.actions.values()],
      drafts: [...this.drafts.values()],
      triggers: [...this.triggers.values()],
      flows: [...this.flows.values()]
    }
  }

  /** Load a snapshot into this (empty) state: every map, the indexes, compiled schemas and the sequence. */
  restore(snap: Snapshot): void {
    if (snap.version !== 1) throw new Error(`unknown state version ${String(snap.version)}`)
    for (const x of snap.roles) this.roles.set(x.id, x)
    for (const x of snap.clients) this.clients.set(x.id, x)
    for (const x of snap.workbins) this.workbins.set(x.id, x)
    for (const x of snap.schemas)
      this.schemas.set(x.id, {
        id: x.id,
        versions: x.versions.map((v) => ({ ...v, compiled: compileSchema(v.jsonSchema) }))
      })
    for (const x of snap.worktypes) this.worktypes.set(x.id, x)
    for (const x of snap.statuses) this.statuses.set(x.id, x)
    for (const x of snap.workitems) {
      this.workitems.set(x.id, x)
      this.indexWorkitem(x, true)
    }
    for (const x of snap.integrations) this.integrations.set(x.id, x)
    for (const x of snap.credentials) this.credentials.set(x.id, x)
    for (const x of snap.actions) this.actions.set(x.id, x)
    for (const x of snap.drafts) this.drafts.set(x.id, x)
    for (const x of snap.triggers ?? []) this.triggers.set(x.id, x)
    for (const x of snap.flows ?? []) this.flows.set(x.id, x)
    this.seq = snap.seq
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

/** Read a state file; undefined when it does not exist. Throws an Error naming the file when it cannot be used. */
export const readStateFile = (file: string): Snapshot | undefined => {
  let text: string
  try {
    text = fs.readFileSync(file, "utf8")
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined
    throw new Error(`cannot read the emulator state file ${file}: ${e instanceof Error ? e.message : String(e)}`)
  }
  try {
    const snap = JSON.parse(text) as Snapshot
    if (typeof snap !== "object" || snap === null || snap.version !== 1 || !Array.isArray(snap.workitems))
      throw new Error("not an emulator state (version 1)")
    return snap
  } catch (e) {
    throw new Error(
      `cannot use the emulator state file ${file}: ${e instanceof Error ? e.message : String(e)}; move it away to start empty`
    )
  }
}

/** Write the state file atomically (a temporary file renamed over it), creating its directory. */
export const writeStateFile = (file: string, snap: Snapshot): void => {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  const tmp = `${file}.${process.pid}.tmp`
  fs.writeFileSync(tmp, JSON.stringify(snap))
  fs.renameSync(tmp, file)
}
