/**
 * The write-back chain's Genesys objects, as pure builders (docs/write-back.md, docs/provisioning.md):
 * a Process Automation trigger on the workitem topic → a workflow (Architect YAML, deployed by a flows import job as
 * CX as Code's `genesyscloud_flow` does) → the service's *Workitem event* Data Action, which POSTs the event to
 * Workbridge.
 *
 * - Trigger body: the SDK's `CreateTriggerRequest` (purecloud-platform-client-v2). Topic, `Workflow` target with
 *   `workflowTargetSettings.dataFormat: "Json"` and `jsonPath` relative to the event (`operation`,
 *   `customFields.x.value`) as in Genesys's example, developer.genesys.cloud/commdigital/taskmanagement/task-management-maestro.
 * - Workflow YAML: Architect's YAML as archy writes it; the emulator accepts exactly this shape.
 */
import { stringify } from "yaml"

/** The Process Automation topic of workitem events. */
export const WORKITEM_EVENT_TOPIC = "v2.taskmanagement.workitems.{id}"

/**
 * The name of the service's write-back Data Action (`ACTION_NAMES.workitemEvent` of `@workbridge/data-actions`):
 * the default action the workflow calls.
 */
export const WRITE_BACK_ACTION_NAME = "Workbridge - Workitem event"

/** The action's one input: the workitem event as JSON text. */
export const WRITE_BACK_ACTION_INPUT = "event"

/** The Architect expression that turns the trigger's JSON event (`Flow.jsonData`) into its JSON text. */
export const EVENT_TEXT_EXPRESSION = "ToString(Flow.jsonData)"

/** Architect's name of the division a flow is created in when none is given. */
export const DEFAULT_FLOW_DIVISION = "Home"

export interface WriteBackWorkflowOptions {
  readonly workflowName: string
  /** The Web Services Data Actions integration holding the action (the `category` of a `callData`). */
  readonly integrationName: string
  readonly actionName: string
  /** Default `Home`. */
  readonly division?: string
}

const checkName = (field: string, value: unknown): string => {
  if (typeof value !== "string" || value.trim() === "" || value.length > 256) {
    throw new Error(`${field}: must be 1-256 characters, got ${JSON.stringify(value)}`)
  }
  return value
}

/**
 * The Architect YAML of the write-back workflow: one state whose `callData` sends `Flow.jsonData` (the workitem event
 * the trigger passes, dataFormat Json) as text to the named action of the named integration, then ends. Throws naming
 * the option when a name is empty or too long.
 */
export function writeBackWorkflowYaml(options: WriteBackWorkflowOptions): string {
  const workflowName = checkName("workflowName", options.workflowName)
  const integrationName = checkName("integrationName", options.integrationName)
  const actionName = checkName("actionName", options.actionName)
  const division = checkName("division", options.division ?? DEFAULT_FLOW_DIVISION)
  const stateRef = "Initial State_10"
  return stringify({
    workflow: {
      name: workflowName,
      division,
      startUpRef: `/workflow/states/state[${stateRef}]`,
      variables: [{ jsonVariable: { name: "Flow.jsonData", isInput: true, isOutput: false } }],
      states: [
        {
          state: {
            name: "Initial State",
            refId: stateRef,
            actions: [
              {
                callData: {
                  name: "Send the workitem event to Workbridge",
                  timeout: { lit: { minutes: 1 } },
                  category: {
                    [integrationName]: {
                      dataAction: {
                        [actionName]: {
                          inputs: { [WRITE_BACK_ACTION_INPUT]: { exp: EVENT_TEXT_EXPRESSION } }
                        }
                      }
                    }
                  }
                }
              },
              { endWorkflow: { name: "End Workflow" } }
            ]
          }
        }
      ]
    }
  })
}

/** One criterion of a trigger (the SDK's `MatchCriteria`). */
export interface TriggerMatchCriterion {
  readonly jsonPath: string
  readonly operator: string
  readonly value?: unknown
  readonly values?: ReadonlyArray<unknown>
}

/** The trigger Workbridge creates: the SDK's `CreateTriggerRequest`. */
export interface TriggerSpec {
  readonly name: string
  readonly description: string
  readonly topicName: string
  readonly enabled: boolean
  readonly target: {
    readonly type: "Workflow"
    readonly id: string
    readonly workflowTargetSettings: { readonly dataFormat: "Json" }
  }
  readonly matchCriteria: ReadonlyArray<TriggerMatchCriterion>
}

export interface WriteBackTriggerOptions {
  readonly name: string
  readonly workflowId: string
  /** Only events of workitems of this worktype start the workflow. */
  readonly worktypeId: string
  /** Workbridge's own OAuth client id: events of changes it made itself are not sent back (no echo). */
  readonly workbridgeClientId: string
}

/** The write-back trigger: workitem events of the worktype not made by Workbridge start the workflow. */
export function writeBackTrigger(options: WriteBackTriggerOptions): TriggerSpec {
  const name = checkName("trigger.name", options.name)
  for (const key of ["workflowId", "worktypeId", "workbridgeClientId"] as const) {
    const v = options[key]
    if (typeof v !== "string" || v.trim() === "") throw new Error(`trigger.${key}: missing`)
  }
  return {
    name,
    description: "Workbridge write-back: sends changes agents make to the worktype's workitems to the helpdesk ticket",
    topicName: WORKITEM_EVENT_TOPIC,
    enabled: true,
    target: { type: "Workflow", id: options.workflowId, workflowTargetSettings: { dataFormat: "Json" } },
    matchCriteria: [
      { jsonPath: "typeId", operator: "Equal", value: options.worktypeId },
      { jsonPath: "modifiedBy", operator: "NotEqual", value: options.workbridgeClientId }
    ]
  }
}

/** JSON with object keys sorted (equal values compare equal whatever their key order). */
const stable = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(stable).join(",")}]`
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stable(v)}`).join(",")}}`
  }
  return JSON.stringify(value ?? null)
}

/**
 * The fields of `desired` a server copy of the trigger differs in (`[]`: nothing to update). Keys the server adds
 * (`id`, `version`, `selfUri`, …) are not compared; `matchCriteria` are compared whole, in order.
 */
export function triggerDifferences(actual: Readonly<Record<string, unknown>>, desired: TriggerSpec): string[] {
  const fields = ["name", "description", "topicName", "enabled", "target", "matchCriteria"] as const
  return fields.filter((f) => stable(actual[f]) !== stable(desired[f]))
}
