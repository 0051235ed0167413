/**
 * Architect workflow deployed from its YAML, as CX as Code's `genesyscloud_flow` does (create and update are the
 * same import job), over `ArchitectApi`:
 * - create/update → `postFlowsJobs()` answers `{id, presignedUrl, headers}`; the YAML is PUT to `presignedUrl` with
 *   those headers; `getFlowsJob(jobId)` is polled until `Success` (its `flow.id` is the published workflow) or
 *   `Failure` (its `messages` name the problem). Before creating, `getFlows({type: workflow, name})` finds a workflow
 *   of that name (a re-run after lost state, or one made by hand): it is adopted and the YAML imported over it.
 * - read   → `getFlow(id)` (name and type; the YAML cannot be read back, so it is compared with the state's, as
 *            CX as Code compares the file's hash)
 * - delete → `deleteFlow(id)` (404 counts as deleted; 409, a flow still being saved or in use, is retried)
 * - replace when the `name` changes: an import under another name makes another flow.
 * `actionIds` (the ids of the Data Actions the YAML calls by name) are not sent; a change of them (an action replaced
 * after a contract change) re-imports the YAML, since a published flow keeps the action it was published with.
 */
import * as pulumi from "@pulumi/pulumi"
import type { SdkTarget, Session } from "./sdk.js"
import { call, changedKeys, checkTarget, connect, deleteIgnoringMissing, diffResult } from "./sdk.js"

export interface WorkflowArgs {
  readonly connection: pulumi.Input<SdkTarget>
  /** The workflow's name (the `workflow.name` of the YAML). */
  readonly name: pulumi.Input<string>
  /** The Architect YAML (see `writeBackWorkflowYaml` in `@workbridge/genesys`). */
  readonly yaml: pulumi.Input<string>
  /** Ids of the Data Actions the YAML calls: when one changes, the flow is imported again. */
  readonly actionIds?: pulumi.Input<ReadonlyArray<pulumi.Input<string>>>
}

export interface WorkflowInputs {
  readonly connection: SdkTarget
  readonly name: string
  readonly yaml: string
  readonly actionIds?: ReadonlyArray<string>
}

export interface WorkflowOutputs extends WorkflowInputs {
  readonly flowId: string
}

/** How long an import job may take (CX as Code waits 16 minutes), and the longest pause between polls. */
const JOB_TIMEOUT_MS = 16 * 60_000
const JOB_MAX_POLL_MS = 15_000

/** Check the inputs; the message names the bad field. */
export function checkWorkflowInputs(inputs: WorkflowInputs): WorkflowInputs {
  checkTarget(inputs.connection)
  if (typeof inputs.name !== "string" || inputs.name.trim() === "" || inputs.name.length > 256) {
    throw new Error(`workflow.name: must be 1-256 characters, got ${JSON.stringify(inputs.name)}`)
  }
  if (typeof inputs.yaml !== "string" || !/^workflow:/m.test(inputs.yaml)) {
    throw new Error("workflow.yaml: must be Architect YAML with a top-level `workflow:`")
  }
  return inputs
}

/**
 * Run the import job for `yaml` and return the published flow's id. The provisioner's `deployFlowYaml`
 * (`@workbridge/genesys`) runs the same job; a provider cannot import that package, since Pulumi serializes a
 * provider's closure and everything it captures (sdk.ts), so the job is written here over the provider's `call`.
 */
async function importFlow(s: Session, name: string, yaml: string): Promise<string> {
  const job = await call<{ id?: string; presignedUrl?: string; headers?: Record<string, string> }>(
    "postFlowsJobs",
    () => s.architect.postFlowsJobs()
  )
  if (typeof job.id !== "string" || typeof job.presignedUrl !== "string" || job.presignedUrl === "") {
    throw new Error(`postFlowsJobs failed: the answer has no job id or presignedUrl (workflow "${name}")`)
  }
  let upload: Response
  try {
    upload = await fetch(job.presignedUrl, { method: "PUT", headers: job.headers ?? {}, body: yaml })
  } catch (e) {
    throw new Error(`workflow "${name}": the YAML upload failed: ${e instanceof Error ? e.message : String(e)}`)
  }
  if (!upload.ok) throw new Error(`workflow "${name}": the YAML upload failed: HTTP ${upload.status}`)
  const deadline = Date.now() + JOB_TIMEOUT_MS
  for (let pause = 100; ; pause = Math.min(pause * 2, JOB_MAX_POLL_MS)) {
    const state = await call<{ status?: string; flow?: { id?: string }; messages?: Array<{ text?: string }> }>(
      "getFlowsJob",
      () => s.architect.getFlowsJob(job.id as string)
    )
    if (state.status === "Success") {
      if (typeof state.flow?.id !== "string" || state.flow.id === "") {
        throw new Error(`workflow "${name}": import job ${job.id} succeeded without a flow id`)
      }
      return state.flow.id
    }
    if (state.status === "Failure") {
      const texts = (state.messages ?? []).map((m) => m.text).filter((t): t is string => typeof t === "string")
      throw new Error(
        `workflow "${name}": import job ${job.id} failed: ${texts.length > 0 ? texts.join("; ") : "no messages"}`
      )
    }
    if (Date.now() > deadline) throw new Error(`workflow "${name}": import job ${job.id} did not finish in 16 minutes`)
    await new Promise((resolve) => setTimeout(resolve, pause))
  }
}

export const workflowProvider = {
  async create(inputs: WorkflowInputs) {
    checkWorkflowInputs(inputs)
    const s = await connect(inputs.connection)
    const listing = await call<{ entities?: Array<{ id: string; name: string }> }>("getFlows", () =>
      s.architect.getFlows({ type: ["workflow"], name: inputs.name, pageSize: 100 })
    )
    const existing = (listing.entities ?? []).find((f) => f.name === inputs.name)
    const flowId = await importFlow(s, inputs.name, inputs.yaml)
    if (existing !== undefined && existing.id !== flowId) {
      throw new Error(
        `workflow "${inputs.name}": the import made flow ${flowId}, but a workflow of that name already is ${existing.id}`
      )
    }
    return { id: flowId, outs: { ...inputs, flowId } satisfies WorkflowOutputs }
  },

  async read(id: string, props: WorkflowOutputs) {
    const s = await connect(props.connection)
    const flow = await call<{ id: string; name: string; type?: string }>("getFlow", () => s.architect.getFlow(id))
    if (flow.type !== undefined && flow.type.toLowerCase() !== "workflow") {
      throw new Error(`workflow ${id}: is a ${flow.type} flow, not a workflow`)
    }
    return { id: flow.id, props: { ...props, flowId: flow.id, name: flow.name } satisfies WorkflowOutputs }
  },

  async diff(_id: string, olds: WorkflowOutputs, news: WorkflowInputs) {
    return diffResult(changedKeys(olds, news, ["name", "yaml", "actionIds"]), ["name"])
  },

  async update(id: string, _olds: WorkflowOutputs, news: WorkflowInputs) {
    checkWorkflowInputs(news)
    const s = await connect(news.connection)
    const flowId = await importFlow(s, news.name, news.yaml)
    if (flowId !== id) {
      throw new Error(`workflow "${news.name}": the import updated flow ${flowId}, expected ${id}`)
    }
    return { outs: { ...news, flowId } satisfies WorkflowOutputs }
  },

  async delete(id: string, props: WorkflowOutputs) {
    const s = await connect(props.connection)
    await deleteIgnoringMissing("deleteFlow", () => s.architect.deleteFlow(id), ["versionConflict"])
  }
} satisfies pulumi.dynamic.ResourceProvider

/** A published Architect workflow, deployed from its YAML. */
export class Workflow extends pulumi.dynamic.Resource {
  declare public readonly flowId: pulumi.Output<string>

  constructor(name: string, args: WorkflowArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      workflowProvider,
      name,
      { flowId: undefined, ...args, connection: pulumi.secret(args.connection) },
      { ...opts, additionalSecretOutputs: ["connection"] },
      "workbridge",
      "Workflow"
    )
  }
}
