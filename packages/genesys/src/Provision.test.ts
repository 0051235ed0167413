import { defaultCatalog } from "@workbridge/catalog"
import { describe, expect, it } from "vitest"
import { parse } from "yaml"
import { type Created, type ProvisionSteps, provisionWith } from "./Provision.js"
import { type TriggerSpec, WRITE_BACK_ACTION_NAME } from "./WriteBackChain.js"

/** Steps that record what they are asked to do and what is undone; `failAt` makes that step throw. */
const recording = (failAt?: string, existing: Readonly<Record<string, string>> = {}) => {
  const log: string[] = []
  const yamls: string[] = []
  const triggers: TriggerSpec[] = []
  let n = 0
  const made = (what: string): Created => {
    if (failAt !== undefined && what.startsWith(failAt)) throw new Error(`${what} refused`)
    const id = `id${++n}`
    log.push(`create ${what} ${id}`)
    return { id, undo: async () => void log.push(`delete ${what} ${id}`) }
  }
  const steps: ProvisionSteps = {
    workbin: async (name) => made(`workbin:${name}`),
    schema: async (name) => ({ ...made(`schema:${name}`), version: 3 }),
    worktype: async (w) => made(`worktype:${w.name}:${w.workbinId}:${w.schemaId}:v${w.schemaVersion}`),
    existingStatuses: async () => existing,
    status: async (_w, s) => made(`status:${s.name}`),
    transitions: async (_w, s, destinations) => {
      log.push(`transitions ${s.name} -> ${destinations.join(",")}`)
      return undefined
    },
    defaultStatus: async (_w, statusId) => void log.push(`default ${statusId}`),
    role: async (name, permissions) => made(`role:${name}:${permissions.length}`),
    oauthClient: async (name, roleId) => ({
      ...made(`client:${name}:${roleId}`),
      clientId: "cid",
      clientSecret: "secret"
    }),
    basicAuthCredential: async (name) => made(`credential:${name}`),
    integration: async (name, credentialId) => made(`integration:${name}:${credentialId}`),
    dataAction: async (integrationId, category, d) => made(`action:${d.name}:${integrationId}:${category}`),
    workflow: async (w) => {
      yamls.push(w.yaml)
      return made(`workflow:${w.name}`)
    },
    trigger: async (t) => {
      triggers.push(t)
      return made(`trigger:${t.name}:${t.target.id}`)
    }
  }
  return { steps, log, yamls, triggers }
}

const names = { workbin: "Bin", schema: "schema", worktype: "Type", role: "Role", oauthClient: "Client" }
const statusNames = defaultCatalog.statuses.map((s) => s.name)

describe("provisionWith", () => {
  it("creates in dependency order, then the transitions of every status and the default status", async () => {
    const { steps, log } = recording()
    const r = await provisionWith(steps, { catalog: defaultCatalog, names })
    expect(log.slice(0, 3)).toEqual([
      "create workbin:Bin id1",
      "create schema:schema id2",
      "create worktype:Type:id1:id2:v3 id3"
    ])
    expect(log.slice(3, 3 + statusNames.length)).toEqual(statusNames.map((s, i) => `create status:${s} id${4 + i}`))
    const first = defaultCatalog.statuses[0]
    expect(log.filter((l) => l.startsWith("transitions")).length).toBe(statusNames.length)
    expect(log.at(-1)).toBe(`default ${r.statusIds[first?.name ?? ""]}`)
    expect(r.schemaVersion).toBe(3)
    expect(Object.keys(r.statusIds)).toEqual(statusNames)
    expect(r.roleId).toBeUndefined()
  })

  it("reuses the statuses a worktype already has and creates only the missing ones", async () => {
    const [kept] = statusNames
    const { steps, log } = recording(undefined, { [kept ?? ""]: "old" })
    const r = await provisionWith(steps, { catalog: defaultCatalog, names })
    expect(r.statusIds[kept ?? ""]).toBe("old")
    expect(log.filter((l) => l.startsWith("create status:")).length).toBe(statusNames.length - 1)
  })

  it("creates the role and its OAuth client when asked, and destroy() undoes everything in reverse order", async () => {
    const { steps, log } = recording()
    const r = await provisionWith(steps, {
      catalog: defaultCatalog,
      names,
      access: { permissions: ["a:b:c", "d:e:f"] }
    })
    expect([r.roleId, r.clientId, r.clientSecret]).toEqual([`id${4 + statusNames.length}`, "cid", "secret"])
    const created = log.filter((l) => l.startsWith("create ")).map((l) => l.slice("create ".length))
    log.length = 0
    await r.destroy()
    expect(log).toEqual([...created].reverse().map((c) => `delete ${c}`))
  })

  it("deletes what it created when a step fails, and rethrows that step's error", async () => {
    const { steps, log } = recording("schema:schema")
    await expect(provisionWith(steps, { catalog: defaultCatalog, names })).rejects.toThrow("schema:schema refused")
    expect(log).toEqual(["create workbin:Bin id1", "delete workbin:Bin id1"])
  })

  it("names a bad catalog status entry before creating anything", async () => {
    const { steps, log } = recording()
    const catalog = { ...defaultCatalog, statuses: [{ ...defaultCatalog.statuses[0]!, destinations: ["Nowhere"] }] }
    await expect(provisionWith(steps, { catalog, names })).rejects.toThrow(
      /catalog\.statuses\[0\]\.destinations\[0\]: "Nowhere" is not a declared status/
    )
    expect(log).toEqual([])
  })

  it("refuses access or Data Actions the steps cannot create, naming what is missing, and undoes the rest", async () => {
    const { steps, log } = recording()
    const { role: _role, ...withoutRole } = steps
    await expect(
      provisionWith(withoutRole, { catalog: defaultCatalog, names, access: { permissions: ["a:b:c"] } })
    ).rejects.toThrow("provisioning: these steps cannot create the role")
    expect(log.filter((l) => l.startsWith("create ")).length).toBe(log.filter((l) => l.startsWith("delete ")).length)
  })

  describe("the write-back chain", () => {
    // Shaped like the service's action definitions (name, contract, config); a placeholder for the test only.
    const definition = (name: string) => ({
      name,
      contract: { input: { inputSchema: { type: "object" } }, output: { successSchema: { type: "object" } } },
      config: { request: { requestUrlTemplate: "https://svc.example/x", requestType: "POST" }, response: {} }
    })
    const chainNames = {
      ...names,
      credential: "Cred",
      integration: "Integ",
      dataActionCategory: "Cat",
      workflow: "Flow",
      trigger: "Trig"
    }
    const dataActions = {
      definitions: [definition("Other action"), definition(WRITE_BACK_ACTION_NAME)],
      basicAuth: { userName: "genesys", password: "pw" }
    }

    it("after the actions, deploys the workflow calling the write-back action and the trigger targeting it", async () => {
      const { steps, log, yamls, triggers } = recording()
      const r = await provisionWith(steps, {
        catalog: defaultCatalog,
        names: chainNames,
        access: { permissions: ["a:b:c"] },
        dataActions,
        writeBack: {}
      })
      const kinds = log.filter((l) => l.startsWith("create ")).map((l) => l.slice("create ".length).split(":")[0])
      expect(kinds.slice(-8)).toEqual([
        "role",
        "client",
        "credential",
        "integration",
        "action",
        "action",
        "workflow",
        "trigger"
      ])
      expect(log.at(-1)).toBe(`create trigger:Trig:${r.workflowId} ${r.triggerId}`)
      const yaml = parse(yamls[0] ?? "")
      const callData = yaml.workflow.states[0].state.actions[0].callData
      expect(yaml.workflow.name).toBe("Flow")
      expect(Object.keys(callData.category)).toEqual(["Integ"])
      expect(Object.keys(callData.category.Integ.dataAction)).toEqual([WRITE_BACK_ACTION_NAME])
      expect(triggers[0]?.matchCriteria).toEqual([
        { jsonPath: "typeId", operator: "Equal", value: r.worktypeId },
        { jsonPath: "modifiedBy", operator: "NotEqual", value: "cid" }
      ])
      const all = log.filter((l) => l.startsWith("create ")).map((l) => l.slice("create ".length))
      log.length = 0
      await r.destroy()
      expect(log).toEqual([...all].reverse().map((c) => `delete ${c}`))
    })

    it("uses the given client id and action name", async () => {
      const { steps, yamls, triggers } = recording()
      await provisionWith(steps, {
        catalog: defaultCatalog,
        names: chainNames,
        dataActions,
        writeBack: { actionName: "Other action", workbridgeClientId: "admin" }
      })
      expect(
        Object.keys(parse(yamls[0] ?? "").workflow.states[0].state.actions[0].callData.category.Integ.dataAction)
      ).toEqual(["Other action"])
      expect(triggers[0]?.matchCriteria[1]).toEqual({ jsonPath: "modifiedBy", operator: "NotEqual", value: "admin" })
    })

    it("refuses, before creating anything, an action that is not defined, no actions, or no client id", async () => {
      const { steps, log } = recording()
      await expect(
        provisionWith(steps, {
          catalog: defaultCatalog,
          names: chainNames,
          access: { permissions: ["a:b:c"] },
          dataActions: { ...dataActions, definitions: [definition("Other action")] },
          writeBack: {}
        })
      ).rejects.toThrow(
        `writeBack.actionName: "${WRITE_BACK_ACTION_NAME}" is not one of dataActions.definitions ("Other action")`
      )
      await expect(
        provisionWith(steps, { catalog: defaultCatalog, names: chainNames, writeBack: { workbridgeClientId: "c" } })
      ).rejects.toThrow("writeBack: needs dataActions")
      await expect(
        provisionWith(steps, { catalog: defaultCatalog, names: chainNames, dataActions, writeBack: {} })
      ).rejects.toThrow("writeBack.workbridgeClientId: required when no OAuth client is created (access)")
      expect(log).toEqual([])
    })

    it("undoes everything when the trigger cannot be created", async () => {
      const { steps, log } = recording("trigger:Trig")
      const err = await provisionWith(steps, {
        catalog: defaultCatalog,
        names: chainNames,
        dataActions,
        writeBack: { workbridgeClientId: "c" }
      }).catch((e: Error) => e)
      expect(log.filter((l) => l.startsWith("create ")).length).toBe(log.filter((l) => l.startsWith("delete ")).length)
      expect(log.some((l) => l.startsWith("delete workflow:Flow"))).toBe(true)
      expect(String(err)).toContain("refused")
    })
  })
})
