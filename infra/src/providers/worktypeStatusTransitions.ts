/**
 * The transitions of one worktype status (docs/genesys-api.md §2.5), over `TaskManagementApi`:
 * - create / update → `patchTaskmanagementWorktypeStatus(worktypeId, statusId, { destinationStatusIds })`
 * - read            → `getTaskmanagementWorktypeStatus(worktypeId, statusId)` (`destinationStatuses[].id`)
 * - delete          → the same PATCH with `[]`, so that no status still points at a status about to be deleted
 *                     (deleting a status that is another's destination fails); 404 counts as deleted
 * - replace when `worktypeId` or `statusId` change.
 * An empty list means "may move to any status" (Genesys semantics).
 */
import * as pulumi from "@pulumi/pulumi"
import type { SdkTarget } from "./sdk.js"
import { call, changedKeys, checkTarget, connect, diffResult, isNotFound } from "./sdk.js"

export interface WorktypeStatusTransitionsArgs {
  readonly connection: pulumi.Input<SdkTarget>
  readonly worktypeId: pulumi.Input<string>
  readonly statusId: pulumi.Input<string>
  readonly destinationStatusIds: pulumi.Input<ReadonlyArray<pulumi.Input<string>>>
}

export interface WorktypeStatusTransitionsInputs {
  readonly connection: SdkTarget
  readonly worktypeId: string
  readonly statusId: string
  readonly destinationStatusIds: ReadonlyArray<string>
}

const REPLACING = ["worktypeId", "statusId"] as const

/** Check the inputs; the message names the bad field. */
export function checkTransitionsInputs(inputs: WorktypeStatusTransitionsInputs): WorktypeStatusTransitionsInputs {
  checkTarget(inputs.connection)
  if (typeof inputs.worktypeId !== "string" || inputs.worktypeId === "")
    throw new Error("transitions.worktypeId: missing")
  if (typeof inputs.statusId !== "string" || inputs.statusId === "") throw new Error("transitions.statusId: missing")
  if (!Array.isArray(inputs.destinationStatusIds)) throw new Error("transitions.destinationStatusIds: must be a list")
  if (inputs.destinationStatusIds.length > 24) {
    throw new Error(`transitions.destinationStatusIds: at most 24, got ${inputs.destinationStatusIds.length}`)
  }
  if (inputs.destinationStatusIds.includes(inputs.statusId)) {
    throw new Error("transitions.destinationStatusIds: a status cannot list itself")
  }
  return inputs
}

const sorted = (ids: ReadonlyArray<string>): string[] => [...ids].sort()

const patch = async (inputs: WorktypeStatusTransitionsInputs, ids: ReadonlyArray<string>) => {
  const s = await connect(inputs.connection)
  await call(
    "patchTaskmanagementWorktypeStatus",
    () =>
      s.taskManagement.patchTaskmanagementWorktypeStatus(inputs.worktypeId, inputs.statusId, {
        destinationStatusIds: [...ids]
      }),
    ["statusConcurrency"]
  )
}

export const worktypeStatusTransitionsProvider = {
  async create(inputs: WorktypeStatusTransitionsInputs) {
    checkTransitionsInputs(inputs)
    await patch(inputs, inputs.destinationStatusIds)
    return {
      id: `${inputs.worktypeId}/${inputs.statusId}`,
      outs: { ...inputs } satisfies WorktypeStatusTransitionsInputs
    }
  },

  async read(id: string, props: WorktypeStatusTransitionsInputs) {
    const s = await connect(props.connection)
    const st = await call<{ id: string; destinationStatuses?: Array<{ id: string }> }>(
      "getTaskmanagementWorktypeStatus",
      () => s.taskManagement.getTaskmanagementWorktypeStatus(props.worktypeId, props.statusId)
    )
    const outs: WorktypeStatusTransitionsInputs = {
      ...props,
      destinationStatusIds: (st.destinationStatuses ?? []).map((d) => d.id)
    }
    return { id, props: outs }
  },

  async diff(_id: string, olds: WorktypeStatusTransitionsInputs, news: WorktypeStatusTransitionsInputs) {
    const norm = (v: WorktypeStatusTransitionsInputs) => ({
      ...v,
      destinationStatusIds: sorted(v.destinationStatusIds ?? [])
    })
    return diffResult(changedKeys(norm(olds), norm(news), ["destinationStatusIds", ...REPLACING]), REPLACING)
  },

  async update(_id: string, _olds: WorktypeStatusTransitionsInputs, news: WorktypeStatusTransitionsInputs) {
    checkTransitionsInputs(news)
    await patch(news, news.destinationStatusIds)
    return { outs: { ...news } satisfies WorktypeStatusTransitionsInputs }
  },

  async delete(_id: string, props: WorktypeStatusTransitionsInputs) {
    try {
      await patch(props, [])
    } catch (err) {
      if (!isNotFound(err)) throw err
    }
  }
} satisfies pulumi.dynamic.ResourceProvider

/** The statuses one worktype status may move to. */
export class WorktypeStatusTransitions extends pulumi.dynamic.Resource {
  declare public readonly destinationStatusIds: pulumi.Output<string[]>

  constructor(name: string, args: WorktypeStatusTransitionsArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      worktypeStatusTransitionsProvider,
      name,
      { ...args, connection: pulumi.secret(args.connection) },
      { ...opts, additionalSecretOutputs: ["connection"] },
      "workbridge",
      "WorktypeStatusTransitions"
    )
  }
}
