/** The stack with `workbridge:writeBack` on, under `pulumi.runtime.setMocks`: the workflow and trigger and their wiring. */
import * as pulumi from "@pulumi/pulumi"
import { defaultCatalog } from "@workbridge/catalog"
import { WRITE_BACK_ACTION_NAME } from "@workbridge/genesys"
import { beforeAll, describe, expect, it } from "vitest"
import { parse } from "yaml"
import type { StackConfig } from "./build/config.js"
import type { ActionDefinition } from "./components/dataActions.js"

interface Recorded {
  readonly type: string
  readonly name: string
  readonly inputs: Record<string, any>
}

const recorded: Recorded[] = []
const OUTPUT_KEYS: Record<string, ReadonlyArray<string>> = {
  Workbin: ["workbinId"],
  WorkitemSchema: ["schemaId"],
  Worktype: ["worktypeId"],
  WorktypeStatus: ["statusId"],
  Role: ["roleId"],
  OAuthClient: ["clientId", "clientSecret"],
  IntegrationCredential: ["credentialId"],
  Integration: ["integrationId"],
  DataAction: ["actionId"],
  Workflow: ["flowId"],
  ProcessAutomationTrigger: ["triggerId"]
}

beforeAll(() => {
  pulumi.runtime.setMocks(
    {
      newResource(args) {
        recorded.push({ type: args.type, name: args.name, inputs: args.inputs })
        const state: Record<string, unknown> = { ...args.inputs }
        const kind = args.type.split(":").pop() ?? ""
        for (const key of OUTPUT_KEYS[kind] ?? []) state[key] = `${args.name}-${key}`
        if (kind === "WorkitemSchema") state["version"] = 1
        return { id: `${args.name}-id`, state }
      },
      call() {
        throw new Error("Mock call not implemented")
      }
    },
    "workbridge",
    "test",
    false
  )
})

const config: StackConfig = {
  region: "mypurecloud.ie",
  clientId: "provisioner-client-id",
  clientSecret: "provisioner-secret-VALUE-123",
  serviceBaseUrl: "https://workbridge.example.com",
  namePrefix: "Acme",
  dataActionBasicAuth: "genesys:basic-auth-PASSWORD-456",
  writeBack: true
}

// Shaped like the service's definitions, without the write-back action.
const definition = (name: string, path: string): ActionDefinition => ({
  name,
  contract: {
    input: { inputSchema: { type: "object", properties: { event: { type: "string" } } } },
    output: { successSchema: { type: "object", properties: { accepted: { type: "boolean" } } } }
  },
  config: {
    request: { requestUrlTemplate: `https://workbridge.example.com/data-actions${path}`, requestType: "POST" },
    response: { translationMap: {}, successTemplate: "${rawResult}" }
  }
})

const settle = <T>(o: pulumi.Output<T>): Promise<T> => new Promise((resolve) => o.apply(resolve))
const byName = (name: string): Recorded => {
  const r = recorded.find((x) => x.name === name)
  if (r === undefined) throw new Error(`no resource named ${name}; have ${recorded.map((x) => x.name).join(", ")}`)
  return r
}
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"

describe("the stack with write-back on, under mocks", () => {
  let stack: import("./program.js").StackOutputValues

  beforeAll(async () => {
    const { defineStack } = await import("./program.js")
    // The service's own definitions: the write-back action among them.
    stack = defineStack(config, defaultCatalog)
    await settle(pulumi.all([stack.writeBackWorkflowId, stack.writeBackTriggerId]))
  })

  it("declares the write-back component, its workflow and its trigger", async () => {
    expect(byName("write-back").type).toBe("workbridge:index:WriteBack")
    expect(byName("write-back-workflow").type).toBe("pulumi-nodejs:dynamic/workbridge:Workflow")
    expect(byName("write-back-trigger").type).toBe("pulumi-nodejs:dynamic/workbridge:ProcessAutomationTrigger")
    expect(await settle(stack.writeBackWorkflowId as pulumi.Output<string>)).toBe("write-back-workflow-flowId")
    expect(await settle(stack.writeBackTriggerId as pulumi.Output<string>)).toBe("write-back-trigger-triggerId")
  })

  it("deploys YAML naming the stack's integration and the write-back action", () => {
    const w = byName("write-back-workflow").inputs
    expect(w["name"]).toBe("Acme write-back")
    const yaml = parse(w["yaml"] as string)
    expect(yaml.workflow.name).toBe("Acme write-back")
    const callData = yaml.workflow.states[0].state.actions[0].callData
    expect(Object.keys(callData.category)).toEqual(["Acme Data Actions"])
    expect(Object.keys(callData.category["Acme Data Actions"].dataAction)).toEqual([WRITE_BACK_ACTION_NAME])
    expect(w["connection"][SECRET_SIG_KEY]).toBeDefined()
    // A replaced action (new id) re-imports the workflow.
    expect(w["actionIds"]).toEqual([
      `data-actions-${"workbridge - workitem event".replace(/[^a-z0-9]+/g, "-")}-actionId`
    ])
  })

  it("targets the workflow from the worktype's events not made by the service's own client", () => {
    const t = byName("write-back-trigger").inputs
    expect(t).toMatchObject({
      name: "Acme write-back",
      topicName: "v2.taskmanagement.workitems.{id}",
      enabled: true,
      target: { type: "Workflow", id: "write-back-workflow-flowId", workflowTargetSettings: { dataFormat: "Json" } },
      matchCriteria: [
        { jsonPath: "typeId", operator: "Equal", value: "workitems-worktype-worktypeId" },
        { jsonPath: "modifiedBy", operator: "NotEqual", value: "identity-client-clientId" }
      ]
    })
    expect(t["connection"][SECRET_SIG_KEY]).toBeDefined()
  })
})

describe("write-back without its action", () => {
  it("stops naming the config key and the missing action", async () => {
    const { defineStack } = await import("./program.js")
    expect(() => defineStack(config, defaultCatalog, { definitions: [definition("Acme other", "/other")] })).toThrow(
      `workbridge:writeBack: the service's Data Action definitions have no "${WRITE_BACK_ACTION_NAME}" (the action the workflow calls)`
    )
  })
})
