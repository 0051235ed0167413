import { ACTION_NAMES } from "@workbridge/data-actions"
import { EVENT_JSON_EXPRESSION, WORKITEM_TOPIC } from "@workbridge/genesys-emulator"
import { describe, expect, it } from "vitest"
import { parse } from "yaml"
import {
  EVENT_TEXT_EXPRESSION,
  triggerDifferences,
  WORKITEM_EVENT_TOPIC,
  WRITE_BACK_ACTION_NAME,
  writeBackTrigger,
  writeBackWorkflowYaml
} from "./WriteBackChain.js"

describe("writeBackWorkflowYaml", () => {
  it("writes the one-state workflow calling the named action of the named integration with the event text", () => {
    const yaml = writeBackWorkflowYaml({
      workflowName: "Acme write-back",
      integrationName: "Acme Data Actions",
      actionName: "Acme: Workitem event"
    })
    expect(parse(yaml)).toEqual({
      workflow: {
        name: "Acme write-back",
        division: "Home",
        startUpRef: "/workflow/states/state[Initial State_10]",
        variables: [{ jsonVariable: { name: "Flow.jsonData", isInput: true, isOutput: false } }],
        states: [
          {
            state: {
              name: "Initial State",
              refId: "Initial State_10",
              actions: [
                {
                  callData: {
                    name: "Send the workitem event to Workbridge",
                    timeout: { lit: { minutes: 1 } },
                    category: {
                      "Acme Data Actions": {
                        dataAction: {
                          "Acme: Workitem event": { inputs: { event: { exp: "ToString(Flow.jsonData)" } } }
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
  })

  it("takes another division, and names an empty or too long name", () => {
    const yaml = writeBackWorkflowYaml({ workflowName: "W", integrationName: "I", actionName: "A", division: "Ops" })
    expect(parse(yaml).workflow.division).toBe("Ops")
    expect(() => writeBackWorkflowYaml({ workflowName: "W", integrationName: " ", actionName: "A" })).toThrow(
      'integrationName: must be 1-256 characters, got " "'
    )
    expect(() =>
      writeBackWorkflowYaml({ workflowName: "W", integrationName: "I", actionName: "x".repeat(257) })
    ).toThrow(/^actionName: must be 1-256 characters/)
  })
})

describe("writeBackTrigger", () => {
  const spec = writeBackTrigger({ name: "T", workflowId: "wf-1", worktypeId: "wt-1", workbridgeClientId: "client-1" })

  it("starts the workflow (Json) on events of the worktype that Workbridge's own client did not make", () => {
    expect(spec).toMatchObject({
      name: "T",
      topicName: "v2.taskmanagement.workitems.{id}",
      enabled: true,
      target: { type: "Workflow", id: "wf-1", workflowTargetSettings: { dataFormat: "Json" } },
      matchCriteria: [
        { jsonPath: "typeId", operator: "Equal", value: "wt-1" },
        { jsonPath: "modifiedBy", operator: "NotEqual", value: "client-1" }
      ]
    })
    expect(spec.topicName).toBe(WORKITEM_EVENT_TOPIC)
    expect(() => writeBackTrigger({ name: "T", workflowId: "", worktypeId: "w", workbridgeClientId: "c" })).toThrow(
      "trigger.workflowId: missing"
    )
  })

  it("compares a server copy on the declared fields only, key order ignored", () => {
    const server = {
      id: "t-1",
      version: 3,
      selfUri: "/api/v2/processautomation/triggers/t-1",
      ...spec,
      target: { workflowTargetSettings: { dataFormat: "Json" }, id: "wf-1", type: "Workflow" }
    }
    expect(triggerDifferences(server, spec)).toEqual([])
    expect(triggerDifferences({ ...server, enabled: false, target: { ...server.target, id: "wf-2" } }, spec)).toEqual([
      "enabled",
      "target"
    ])
    expect(triggerDifferences({ ...server, matchCriteria: [...spec.matchCriteria].reverse() }, spec)).toEqual([
      "matchCriteria"
    ])
  })
})

describe("the names the chain shares", () => {
  it("are the service's action name and the emulator's topic and expression", () => {
    expect(WRITE_BACK_ACTION_NAME).toBe(ACTION_NAMES.workitemEvent)
    expect(WORKITEM_EVENT_TOPIC).toBe(WORKITEM_TOPIC)
    expect(EVENT_TEXT_EXPRESSION).toBe(EVENT_JSON_EXPRESSION)
  })
})
