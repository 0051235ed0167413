/**
 * Worktype status (docs/genesys-api.md §2.5), over `TaskManagementApi`:
 * Status creates, updates, deletes and destination changes retry Genesys's answers to concurrent status changes (400
 * "Database transaction was cancelled", 409; `TransientKind` "statusConcurrency"), as CX as Code does.
 * - create → `postTaskmanagementWorktypeStatuses(worktypeId, { name, category, description })` — without
 *            destinations: statuses point at each other, so transitions are a separate resource
 *            (`WorktypeStatusTransitions`) created once every status exists
 * - read   → `getTaskmanagementWorktypeStatus(worktypeId, id)`
 * - update → `patchTaskmanagementWorktypeStatus(worktypeId, id, { name, description })`
 * - delete → `getTaskmanagementWorktype` (a status that is still the worktype's default is left to go with the
 *            worktype: Genesys refuses to delete a default status), `getTaskmanagementWorktypeStatuses` +
 *            `patchTaskmanagementWorktypeStatus` to drop it from other statuses' destinations (Genesys refuses to
 *            delete a status that is still a destination), then `deleteTaskmanagementWorktypeStatus`; 404 = deleted
 * - replace when `category` or `worktypeId` change (Genesys cannot change a status's category).
 */
import * as pulumi from "@pulumi/pulumi"
import type { StatusCategory } from "@workbridge/catalog"
import type { SdkTarget } from "./sdk.js"
import { call, changedKeys, checkTarget, connect, deleteIgnoringMissing, diffResult, isNotFound } from "./sdk.js"

export interface WorktypeStatusArgs {
  readonly connection: pulumi.Input<SdkTarget>
  readonly worktypeId: pulumi.Input<string>
  readonly name: pulumi.Input<string>
  readonly category: pulumi.Input<StatusCategory>
  readonly description?: pulumi.Input<string>
}

export interface WorktypeStatusInputs {
  readonly connection: SdkTarget
  readonly worktypeId: string
  readonly name: string
  readonly category: StatusCategory
  readonly description?: string
}

export interface WorktypeStatusOutputs extends WorktypeStatusInputs {
  readonly statusId: string
}

interface StatusBody {
  id: string
  name: string
  category: StatusCategory
  description?: string
}

const CATEGORIES: ReadonlyArray<string> = ["Open", "InProgress", "Waiting", "Closed"]
const UPDATABLE = ["name", "description"] as const
const REPLACING = ["worktypeId", "category"] as const

/** Check a status's inputs; the message names the bad field. */
export function checkWorktypeStatusInputs(inputs: WorktypeStatusInputs): WorktypeStatusInputs {
  checkTarget(inputs.connection)
  if (typeof inputs.worktypeId !== "string" || inputs.worktypeId === "") throw new Error("status.worktypeId: missing")
  if (typeof inputs.name !== "string" || inputs.name.length < 3 || inputs.name.length > 256) {
    throw new Error(`status.name: must be 3-256 characters, got ${JSON.stringify(inputs.name)}`)
  }
  if (!CATEGORIES.includes(inputs.category)) {
    throw new Error(`status.category: one of ${CATEGORIES.join(", ")}, got ${JSON.stringify(inputs.category)}`)
  }
  if (inputs.description !== undefined && inputs.description.length > 512) {
    throw new Error(`status.description: at most 512 characters, got ${inputs.description.length}`)
  }
  return inputs
}

export const worktypeStatusProvider = {
  async create(inputs: WorktypeStatusInputs) {
    checkWorktypeStatusInputs(inputs)
    const s = await connect(inputs.connection)
    const body: Record<string, unknown> = { name: inputs.name, category: inputs.category }
    if (inputs.description !== undefined) body["description"] = inputs.description
    const created = await call<StatusBody>(
      "postTaskmanagementWorktypeStatuses",
      () => s.taskManagement.postTaskmanagementWorktypeStatuses(inputs.worktypeId, body as never),
      ["statusConcurrency"]
    )
    return { id: created.id, outs: { ...inputs, statusId: created.id } satisfies WorktypeStatusOutputs }
  },

  async read(id: string, props: WorktypeStatusOutputs) {
    const s = await connect(props.connection)
    const st = await call<StatusBody>("getTaskmanagementWorktypeStatus", () =>
      s.taskManagement.getTaskmanagementWorktypeStatus(props.worktypeId, id)
    )
    const outs: WorktypeStatusOutputs = {
      connection: props.connection,
      worktypeId: props.worktypeId,
      statusId: st.id,
      name: st.name,
      category: st.category,
      ...(st.description === undefined || st.description === "" ? {} : { description: st.description })
    }
    return { id: st.id, props: outs }
  },

  async diff(_id: string, olds: WorktypeStatusOutputs, news: WorktypeStatusInputs) {
    return diffResult(changedKeys(olds, news, [...UPDATABLE, ...REPLACING]), REPLACING, true)
  },

  async update(id: string, _olds: WorktypeStatusOutputs, news: WorktypeStatusInputs) {
    checkWorktypeStatusInputs(news)
    const s = await connect(news.connection)
    await call(
      "patchTaskmanagementWorktypeStatus",
      () =>
        s.taskManagement.patchTaskmanagementWorktypeStatus(news.worktypeId, id, {
          name: news.name,
          description: news.description ?? ""
        }),
      ["statusConcurrency"]
    )
    return { outs: { ...news, statusId: id } satisfies WorktypeStatusOutputs }
  },

  async delete(id: string, props: WorktypeStatusOutputs) {
    const s = await connect(props.connection)
    let defaultStatusId: string | undefined
    try {
      const wt = await call<{ defaultStatus?: { id: string } }>("getTaskmanagementWorktype", () =>
        s.taskManagement.getTaskmanagementWorktype(props.worktypeId)
      )
      defaultStatusId = wt.defaultStatus?.id
    } catch (err) {
      if (isNotFound(err)) return // the worktype is gone, and its statuses with it
      throw err
    }
    if (defaultStatusId === id) return // deleted together with the worktype
    // Genesys refuses to delete a status another status still lists as a destination (e.g. when a category change
    // replaces it): drop it from those lists first; the transitions resources then set the declared lists again.
    const listing = await call<{ entities?: Array<{ id: string; destinationStatuses?: Array<{ id: string }> }> }>(
      "getTaskmanagementWorktypeStatuses",
      () => s.taskManagement.getTaskmanagementWorktypeStatuses(props.worktypeId)
    )
    for (const other of listing.entities ?? []) {
      const destinations = (other.destinationStatuses ?? []).map((d) => d.id)
      if (other.id === id || !destinations.includes(id)) continue
      await call(
        "patchTaskmanagementWorktypeStatus",
        () =>
          s.taskManagement.patchTaskmanagementWorktypeStatus(props.worktypeId, other.id, {
            destinationStatusIds: destinations.filter((d) => d !== id)
          }),
        ["statusConcurrency"]
      )
    }
    await deleteIgnoringMissing(
      "deleteTaskmanagementWorktypeStatus",
      () => s.taskManagement.deleteTaskmanagementWorktypeStatus(props.worktypeId, id),
      ["statusConcurrency"]
    )
  }
} satisfies pulumi.dynamic.ResourceProvider

/** One status of a worktype. */
export class WorktypeStatus extends pulumi.dynamic.Resource {
  declare public readonly statusId: pulumi.Output<string>
  declare public readonly name: pulumi.Output<string>

  constructor(name: string, args: WorktypeStatusArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      worktypeStatusProvider,
      name,
      { statusId: undefined, ...args, connection: pulumi.secret(args.connection) },
      { ...opts, additionalSecretOutputs: ["connection"] },
      "workbridge",
      "WorktypeStatus"
    )
  }
}
