/**
 * A worktype's default status (docs/genesys-api.md §2.4: `defaultStatusId` is not part of the create body), over
 * `TaskManagementApi`:
 * - create / update → `patchTaskmanagementWorktype(worktypeId, { defaultStatusId })`, once the statuses exist
 * - read            → `getTaskmanagementWorktype(worktypeId)` (`defaultStatus.id`)
 * - delete          → nothing to call: Genesys has no "no default"; the status provider leaves the default status
 *                     to be deleted with its worktype
 * - replace when `worktypeId` changes.
 */
import * as pulumi from "@pulumi/pulumi"
import type { SdkTarget } from "./sdk.js"
import { call, changedKeys, checkTarget, connect, diffResult } from "./sdk.js"

export interface WorktypeDefaultStatusArgs {
  readonly connection: pulumi.Input<SdkTarget>
  readonly worktypeId: pulumi.Input<string>
  readonly statusId: pulumi.Input<string>
}

export interface WorktypeDefaultStatusInputs {
  readonly connection: SdkTarget
  readonly worktypeId: string
  readonly statusId: string
}

/** Check the inputs; the message names the bad field. */
export function checkDefaultStatusInputs(inputs: WorktypeDefaultStatusInputs): WorktypeDefaultStatusInputs {
  checkTarget(inputs.connection)
  if (typeof inputs.worktypeId !== "string" || inputs.worktypeId === "")
    throw new Error("defaultStatus.worktypeId: missing")
  if (typeof inputs.statusId !== "string" || inputs.statusId === "") throw new Error("defaultStatus.statusId: missing")
  return inputs
}

const setDefault = async (inputs: WorktypeDefaultStatusInputs) => {
  const s = await connect(inputs.connection)
  await call("patchTaskmanagementWorktype", () =>
    s.taskManagement.patchTaskmanagementWorktype(inputs.worktypeId, { defaultStatusId: inputs.statusId })
  )
}

export const worktypeDefaultStatusProvider = {
  async create(inputs: WorktypeDefaultStatusInputs) {
    checkDefaultStatusInputs(inputs)
    await setDefault(inputs)
    return { id: inputs.worktypeId, outs: { ...inputs } satisfies WorktypeDefaultStatusInputs }
  },

  async read(id: string, props: WorktypeDefaultStatusInputs) {
    const s = await connect(props.connection)
    const wt = await call<{ defaultStatus?: { id: string } }>("getTaskmanagementWorktype", () =>
      s.taskManagement.getTaskmanagementWorktype(props.worktypeId)
    )
    return { id, props: { ...props, statusId: wt.defaultStatus?.id ?? "" } satisfies WorktypeDefaultStatusInputs }
  },

  async diff(_id: string, olds: WorktypeDefaultStatusInputs, news: WorktypeDefaultStatusInputs) {
    return diffResult(changedKeys(olds, news, ["statusId", "worktypeId"]), ["worktypeId"])
  },

  async update(_id: string, _olds: WorktypeDefaultStatusInputs, news: WorktypeDefaultStatusInputs) {
    checkDefaultStatusInputs(news)
    await setDefault(news)
    return { outs: { ...news } satisfies WorktypeDefaultStatusInputs }
  },

  async delete() {
    // Genesys cannot unset a default status; it is removed together with the worktype.
  }
} satisfies pulumi.dynamic.ResourceProvider

/** Sets the default status of a worktype. */
export class WorktypeDefaultStatus extends pulumi.dynamic.Resource {
  declare public readonly statusId: pulumi.Output<string>

  constructor(name: string, args: WorktypeDefaultStatusArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      worktypeDefaultStatusProvider,
      name,
      { ...args, connection: pulumi.secret(args.connection) },
      { ...opts, additionalSecretOutputs: ["connection"] },
      "workbridge",
      "WorktypeDefaultStatus"
    )
  }
}
