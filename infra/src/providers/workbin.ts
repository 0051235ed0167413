/**
 * Workbin (docs/genesys-api.md §2.2), over `TaskManagementApi`:
 * - create → `postTaskmanagementWorkbins({ name, description, divisionId })`
 * - read   → `getTaskmanagementWorkbin(id)`
 * - update → `patchTaskmanagementWorkbin(id, { name, description })` (in place)
 * - delete → `deleteTaskmanagementWorkbin(id)` (404 counts as deleted)
 * - replace only when `divisionId` changes (Genesys cannot move a workbin).
 * Adopt an existing workbin with `pulumi import` or the `import` resource option and its id.
 */
import * as pulumi from "@pulumi/pulumi"
import type { SdkTarget } from "./sdk.js"
import { call, changedKeys, checkTarget, connect, deleteIgnoringMissing, diffResult } from "./sdk.js"

export interface WorkbinArgs {
  readonly connection: pulumi.Input<SdkTarget>
  readonly name: pulumi.Input<string>
  readonly description?: pulumi.Input<string>
  readonly divisionId?: pulumi.Input<string>
}

export interface WorkbinInputs {
  readonly connection: SdkTarget
  readonly name: string
  readonly description?: string
  readonly divisionId?: string
}

export interface WorkbinOutputs extends WorkbinInputs {
  readonly workbinId: string
}

const UPDATABLE = ["name", "description"] as const
const REPLACING = ["divisionId"] as const

/** Check a workbin's inputs; the message names the bad field. */
export function checkWorkbinInputs(inputs: WorkbinInputs): WorkbinInputs {
  checkTarget(inputs.connection)
  if (typeof inputs.name !== "string" || inputs.name.length < 3 || inputs.name.length > 256) {
    throw new Error(`workbin.name: must be 3-256 characters, got ${JSON.stringify(inputs.name)}`)
  }
  if (inputs.description !== undefined && inputs.description.length > 512) {
    throw new Error(`workbin.description: at most 512 characters, got ${inputs.description.length}`)
  }
  return inputs
}

export const workbinProvider = {
  async check(_olds: WorkbinInputs, news: WorkbinInputs) {
    try {
      checkWorkbinInputs(news)
      return { inputs: news }
    } catch (err) {
      return { inputs: news, failures: [{ property: "name", reason: (err as Error).message }] }
    }
  },

  async create(inputs: WorkbinInputs) {
    checkWorkbinInputs(inputs)
    const s = await connect(inputs.connection)
    const body: Record<string, unknown> = { name: inputs.name }
    if (inputs.description !== undefined) body["description"] = inputs.description
    if (inputs.divisionId !== undefined) body["divisionId"] = inputs.divisionId
    const created = await call<{ id: string }>("postTaskmanagementWorkbins", () =>
      s.taskManagement.postTaskmanagementWorkbins(body as never)
    )
    return { id: created.id, outs: { ...inputs, workbinId: created.id } satisfies WorkbinOutputs }
  },

  async read(id: string, props: WorkbinOutputs) {
    const s = await connect(props.connection)
    const wb = await call<{ id: string; name: string; description?: string; division?: { id?: string } }>(
      "getTaskmanagementWorkbin",
      () => s.taskManagement.getTaskmanagementWorkbin(id)
    )
    const outs: WorkbinOutputs = {
      connection: props.connection,
      workbinId: wb.id,
      name: wb.name,
      ...(wb.description === undefined || wb.description === "" ? {} : { description: wb.description }),
      ...(props.divisionId === undefined || wb.division?.id === undefined ? {} : { divisionId: wb.division.id })
    }
    return { id: wb.id, props: outs }
  },

  async diff(_id: string, olds: WorkbinOutputs, news: WorkbinInputs) {
    return diffResult(changedKeys(olds, news, [...UPDATABLE, ...REPLACING]), REPLACING)
  },

  async update(id: string, _olds: WorkbinOutputs, news: WorkbinInputs) {
    checkWorkbinInputs(news)
    const s = await connect(news.connection)
    await call("patchTaskmanagementWorkbin", () =>
      s.taskManagement.patchTaskmanagementWorkbin(id, { name: news.name, description: news.description ?? "" })
    )
    return { outs: { ...news, workbinId: id } satisfies WorkbinOutputs }
  },

  async delete(id: string, props: WorkbinOutputs) {
    const s = await connect(props.connection)
    await deleteIgnoringMissing("deleteTaskmanagementWorkbin", () => s.taskManagement.deleteTaskmanagementWorkbin(id))
  }
} satisfies pulumi.dynamic.ResourceProvider

/** A Task Management workbin. */
export class Workbin extends pulumi.dynamic.Resource {
  declare public readonly workbinId: pulumi.Output<string>
  declare public readonly name: pulumi.Output<string>

  constructor(name: string, args: WorkbinArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      workbinProvider,
      name,
      { workbinId: undefined, ...args, connection: pulumi.secret(args.connection) },
      { ...opts, additionalSecretOutputs: ["connection"] },
      "workbridge",
      "Workbin"
    )
  }
}
