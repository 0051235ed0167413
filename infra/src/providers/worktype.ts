/**
 * Worktype (docs/genesys-api.md §2.4), over `TaskManagementApi`:
 * - create → `postTaskmanagementWorktypes({ name, defaultWorkbinId, schemaId, schemaVersion, …,
 *            disableDefaultStatusCreation })` — statuses come from the catalog, so default ones are not created
 * - read   → `getTaskmanagementWorktype(id)`
 * - update → `patchTaskmanagementWorktype(id, { name, description, defaultWorkbinId, schemaVersion, defaultPriority })`
 * - delete → `deleteTaskmanagementWorktype(id)`; Genesys refuses while workitems of the type exist, and the error
 *            says so. Its statuses and the schema depend on the worktype's id, so they are deleted in the safe order.
 * - replace when `schemaId`, `divisionId` or `disableDefaultStatusCreation` change (fixed at creation).
 * `defaultStatusId` is set by the separate `WorktypeDefaultStatus` resource once the statuses exist.
 */
import * as pulumi from "@pulumi/pulumi"
import type { SdkTarget } from "./sdk.js"
import { call, changedKeys, checkTarget, connect, diffResult, isNotFound } from "./sdk.js"

export interface WorktypeArgs {
  readonly connection: pulumi.Input<SdkTarget>
  readonly name: pulumi.Input<string>
  readonly description?: pulumi.Input<string>
  readonly defaultWorkbinId: pulumi.Input<string>
  readonly schemaId: pulumi.Input<string>
  /** Pin the schema version; follows the schema resource's `version` so each schema update reaches the worktype. */
  readonly schemaVersion?: pulumi.Input<number>
  readonly defaultPriority?: pulumi.Input<number>
  readonly divisionId?: pulumi.Input<string>
  /** Default true: statuses are provisioned from the catalog instead. Written explicitly, `false` included. */
  readonly disableDefaultStatusCreation?: pulumi.Input<boolean>
}

export interface WorktypeInputs {
  readonly connection: SdkTarget
  readonly name: string
  readonly description?: string
  readonly defaultWorkbinId: string
  readonly schemaId: string
  readonly schemaVersion?: number
  readonly defaultPriority?: number
  readonly divisionId?: string
  readonly disableDefaultStatusCreation?: boolean
}

export interface WorktypeOutputs extends WorktypeInputs {
  readonly worktypeId: string
}

interface WorktypeBody {
  id: string
  name: string
  description?: string
  defaultWorkbin?: { id: string }
  schema?: { id: string; version?: number }
  defaultPriority?: number
  division?: { id: string }
  defaultStatus?: { id: string }
}

const UPDATABLE = ["name", "description", "defaultWorkbinId", "schemaVersion", "defaultPriority"] as const
const REPLACING = ["schemaId", "divisionId", "disableDefaultStatusCreation"] as const

/** Check a worktype's inputs; the message names the bad field. */
export function checkWorktypeInputs(inputs: WorktypeInputs): WorktypeInputs {
  checkTarget(inputs.connection)
  if (typeof inputs.name !== "string" || inputs.name.length < 3 || inputs.name.length > 256) {
    throw new Error(`worktype.name: must be 3-256 characters, got ${JSON.stringify(inputs.name)}`)
  }
  if (inputs.description !== undefined && inputs.description.length > 512) {
    throw new Error(`worktype.description: at most 512 characters, got ${inputs.description.length}`)
  }
  if (typeof inputs.defaultWorkbinId !== "string" || inputs.defaultWorkbinId === "") {
    throw new Error("worktype.defaultWorkbinId: missing")
  }
  if (typeof inputs.schemaId !== "string" || inputs.schemaId === "") throw new Error("worktype.schemaId: missing")
  if (
    inputs.defaultPriority !== undefined &&
    (!Number.isInteger(inputs.defaultPriority) || Math.abs(inputs.defaultPriority) > 25_000_000)
  ) {
    throw new Error(`worktype.defaultPriority: an integer in -25000000..25000000, got ${inputs.defaultPriority}`)
  }
  return inputs
}

export const worktypeProvider = {
  async create(inputs: WorktypeInputs) {
    checkWorktypeInputs(inputs)
    const s = await connect(inputs.connection)
    const body: Record<string, unknown> = {
      name: inputs.name,
      defaultWorkbinId: inputs.defaultWorkbinId,
      schemaId: inputs.schemaId,
      disableDefaultStatusCreation: inputs.disableDefaultStatusCreation ?? true
    }
    if (inputs.description !== undefined) body["description"] = inputs.description
    if (inputs.schemaVersion !== undefined) body["schemaVersion"] = inputs.schemaVersion
    if (inputs.defaultPriority !== undefined) body["defaultPriority"] = inputs.defaultPriority
    if (inputs.divisionId !== undefined) body["divisionId"] = inputs.divisionId
    const created = await call<WorktypeBody>("postTaskmanagementWorktypes", () =>
      s.taskManagement.postTaskmanagementWorktypes(body as never)
    )
    return { id: created.id, outs: { ...inputs, worktypeId: created.id } satisfies WorktypeOutputs }
  },

  async read(id: string, props: WorktypeOutputs) {
    const s = await connect(props.connection)
    const wt = await call<WorktypeBody>("getTaskmanagementWorktype", () =>
      s.taskManagement.getTaskmanagementWorktype(id)
    )
    const outs: WorktypeOutputs = {
      connection: props.connection,
      worktypeId: wt.id,
      name: wt.name,
      defaultWorkbinId: wt.defaultWorkbin?.id ?? "",
      schemaId: wt.schema?.id ?? "",
      ...(wt.description === undefined || wt.description === "" ? {} : { description: wt.description }),
      ...(props.schemaVersion === undefined || wt.schema?.version === undefined
        ? {}
        : { schemaVersion: wt.schema.version }),
      ...(wt.defaultPriority === undefined || props.defaultPriority === undefined
        ? {}
        : { defaultPriority: wt.defaultPriority }),
      ...(props.divisionId === undefined || wt.division === undefined ? {} : { divisionId: wt.division.id }),
      ...(props.disableDefaultStatusCreation === undefined
        ? {}
        : { disableDefaultStatusCreation: props.disableDefaultStatusCreation })
    }
    return { id: wt.id, props: outs }
  },

  async diff(_id: string, olds: WorktypeOutputs, news: WorktypeInputs) {
    const norm = (v: WorktypeInputs) => ({ ...v, disableDefaultStatusCreation: v.disableDefaultStatusCreation ?? true })
    return diffResult(changedKeys(norm(olds), norm(news), [...UPDATABLE, ...REPLACING]), REPLACING)
  },

  async update(id: string, _olds: WorktypeOutputs, news: WorktypeInputs) {
    checkWorktypeInputs(news)
    const s = await connect(news.connection)
    const body: Record<string, unknown> = {
      name: news.name,
      description: news.description ?? "",
      defaultWorkbinId: news.defaultWorkbinId
    }
    if (news.schemaVersion !== undefined) body["schemaVersion"] = news.schemaVersion
    if (news.defaultPriority !== undefined) body["defaultPriority"] = news.defaultPriority
    await call("patchTaskmanagementWorktype", () => s.taskManagement.patchTaskmanagementWorktype(id, body as never))
    return { outs: { ...news, worktypeId: id } satisfies WorktypeOutputs }
  },

  async delete(id: string, props: WorktypeOutputs) {
    const s = await connect(props.connection)
    try {
      await call("deleteTaskmanagementWorktype", () => s.taskManagement.deleteTaskmanagementWorktype(id))
    } catch (err) {
      if (isNotFound(err)) return
      const e = err as Error & { status?: number }
      const wrapped = new Error(
        `cannot delete worktype ${id} ("${props.name}"): ${e.message}. ` +
          "Genesys refuses to delete a worktype that still has workitems: delete or terminate them, then retry."
      ) as Error & Record<string, unknown>
      wrapped["status"] = e.status
      wrapped["operation"] = "deleteTaskmanagementWorktype"
      throw wrapped
    }
  }
} satisfies pulumi.dynamic.ResourceProvider

/** A Task Management worktype bound to the catalog's schema and a default workbin. */
export class Worktype extends pulumi.dynamic.Resource {
  declare public readonly worktypeId: pulumi.Output<string>
  declare public readonly name: pulumi.Output<string>

  constructor(name: string, args: WorktypeArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      worktypeProvider,
      name,
      { worktypeId: undefined, ...args, connection: pulumi.secret(args.connection) },
      { ...opts, additionalSecretOutputs: ["connection"] },
      "workbridge",
      "Worktype"
    )
  }
}
