/**
 * The write-back chain (docs/write-back.md): a workflow that sends the workitem event it is started with to the
 * service's write-back Data Action, and a Process Automation trigger that starts it on every event of the worktype's
 * workitems that the service's own OAuth client did not cause (so Workbridge's writes never come back as events).
 * The YAML and the trigger body are the pure builders of `@workbridge/genesys`.
 */
import * as pulumi from "@pulumi/pulumi"
import { WRITE_BACK_ACTION_NAME, writeBackTrigger, writeBackWorkflowYaml } from "@workbridge/genesys"
import type { ResourceNames } from "../build/names.js"
import { ProcessAutomationTrigger } from "../providers/processAutomationTrigger.js"
import type { SdkTarget } from "../providers/sdk.js"
import { Workflow } from "../providers/workflow.js"

export interface WriteBackArgs {
  readonly connection: pulumi.Input<SdkTarget>
  readonly names: Pick<ResourceNames, "integration" | "workflow" | "trigger">
  /** The write-back action's name; default `WRITE_BACK_ACTION_NAME`. It must be published before the workflow. */
  readonly actionName?: string
  readonly worktypeId: pulumi.Input<string>
  /** The service's OAuth client id: its own changes are not sent back. */
  readonly workbridgeClientId: pulumi.Input<string>
  /** The published write-back action: the workflow waits for it, and is imported again when its id changes. */
  readonly action?: { readonly resource: pulumi.Resource; readonly actionId: pulumi.Input<string> }
}

export class WriteBack extends pulumi.ComponentResource {
  public readonly workflowId: pulumi.Output<string>
  public readonly triggerId: pulumi.Output<string>

  constructor(name: string, args: WriteBackArgs, opts?: pulumi.ComponentResourceOptions) {
    super("workbridge:index:WriteBack", name, {}, opts)
    // Checked here (names the bad option) before any resource is declared.
    const yaml = writeBackWorkflowYaml({
      workflowName: args.names.workflow,
      integrationName: args.names.integration,
      actionName: args.actionName ?? WRITE_BACK_ACTION_NAME
    })
    const workflow = new Workflow(
      `${name}-workflow`,
      {
        connection: args.connection,
        name: args.names.workflow,
        yaml,
        ...(args.action === undefined ? {} : { actionIds: [args.action.actionId] })
      },
      { parent: this, dependsOn: args.action === undefined ? [] : [args.action.resource] }
    )
    const spec = pulumi
      .all([workflow.flowId, args.worktypeId, args.workbridgeClientId])
      .apply(([workflowId, worktypeId, workbridgeClientId]) =>
        writeBackTrigger({ name: args.names.trigger, workflowId, worktypeId, workbridgeClientId })
      )
    const trigger = new ProcessAutomationTrigger(
      `${name}-trigger`,
      {
        connection: args.connection,
        name: args.names.trigger,
        description: spec.description,
        topicName: spec.topicName,
        enabled: spec.enabled,
        target: spec.target,
        matchCriteria: spec.matchCriteria
      },
      { parent: this }
    )
    this.workflowId = workflow.flowId
    this.triggerId = trigger.triggerId
    this.registerOutputs({ workflowId: this.workflowId, triggerId: this.triggerId })
  }
}
