import * as pulumi from "@pulumi/pulumi"
import { defaultCatalog, servicePermissions, toWorkitemSchema } from "@workbridge/catalog"
import { buildDataActionDefinitions } from "@workbridge/data-actions"
import { beforeAll, describe, expect, it } from "vitest"
import type { StackConfig } from "./build/config.js"
import { policyPermissions } from "./providers/role.js"
import type { PermissionPolicy } from "./providers/role.js"

interface Recorded {
  readonly type: string
  readonly name: string
  readonly inputs: Record<string, any>
}

const recorded: Recorded[] = []
/** The outputs each provider computes, by resource type. */
const OUTPUT_KEYS: Record<string, ReadonlyArray<string>> = {
  Workbin: ["workbinId"],
  WorkitemSchema: ["schemaId"],
  Worktype: ["worktypeId"],
  WorktypeStatus: ["statusId"],
  Role: ["roleId"],
  OAuthClient: ["clientId", "clientSecret"],
  IntegrationCredential: ["credentialId"],
  Integration: ["integrationId"],
  DataAction: ["actionId"]
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
  dataActionBasicAuth: "genesys:basic-auth-PASSWORD-456"
}

/** Pulumi's marker of a secret value in serialized inputs (`specialSigKey` → `specialSecretSig`). */
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
const secretValue = (v: unknown): unknown => {
  if (v === null || typeof v !== "object" || (v as Record<string, unknown>)[SECRET_SIG_KEY] !== SECRET_SIG) {
    throw new Error(`expected a secret, got ${JSON.stringify(v)}`)
  }
  return (v as { value: unknown }).value
}

const settle = <T>(o: pulumi.Output<T>): Promise<T> => new Promise((resolve) => o.apply(resolve))

const byName = (name: string): Recorded => {
  const r = recorded.find((x) => x.name === name)
  if (r === undefined) throw new Error(`no resource named ${name}; have ${recorded.map((x) => x.name).join(", ")}`)
  return r
}

describe("the stack under mocks", () => {
  let stack: import("./program.js").StackOutputValues

  beforeAll(async () => {
    const { defineStack } = await import("./program.js")
    stack = defineStack(config, defaultCatalog)
    await settle(pulumi.all([stack.worktypeId, stack.clientId, stack.dataActionIds, stack.statusIds]))
  })

  it("declares the resource graph: components, workitem setup, identity and data actions", () => {
    const names = recorded.map((r) => r.name)
    const statusSlugs = ["open", "in-progress", "waiting", "resolved", "closed"]
    const expected = [
      "workitems",
      "workitems-workbin",
      "workitems-schema",
      "workitems-worktype",
      ...statusSlugs.map((s) => `workitems-status-${s}`),
      ...statusSlugs.map((s) => `workitems-transitions-${s}`),
      "workitems-default-status",
      "identity",
      "identity-role",
      "identity-client",
      "data-actions",
      "data-actions-credential",
      "data-actions-integration",
      "data-actions-workbridge-normalize-ticket",
      "data-actions-workbridge-ticket-sync-status",
      "data-actions-workbridge-workitem-event"
    ]
    expect([...names].sort()).toEqual([...expected].sort())
    expect(byName("workitems").type).toBe("workbridge:index:WorkitemSetup")
    expect(byName("workitems-workbin").type).toBe("pulumi-nodejs:dynamic/workbridge:Workbin")
  })

  it("derives the schema from the catalog and wires ids between resources", () => {
    const schema = byName("workitems-schema").inputs
    expect(schema["jsonSchema"]).toEqual(JSON.parse(JSON.stringify(toWorkitemSchema(defaultCatalog).jsonSchema)))
    expect(schema["name"]).toBe("acme_workbridge_ticket")
    expect(schema["enabled"]).toBe(true)
    const worktype = byName("workitems-worktype").inputs
    expect(worktype["defaultWorkbinId"]).toBe("workitems-workbin-workbinId")
    expect(worktype["schemaId"]).toBe("workitems-schema-schemaId")
    expect(worktype["disableDefaultStatusCreation"]).toBe(true)
    expect(byName("workitems-default-status").inputs["statusId"]).toBe("workitems-status-open-statusId")
  })

  it("maps the catalog's statuses and transitions", async () => {
    for (const s of defaultCatalog.statuses) {
      const slug = s.name.toLowerCase().replace(/ /g, "-")
      expect(byName(`workitems-status-${slug}`).inputs).toMatchObject({ name: s.name, category: s.category })
      const dests = byName(`workitems-transitions-${slug}`).inputs["destinationStatusIds"]
      expect(dests).toEqual(
        s.destinations.map((d) => `workitems-status-${d.toLowerCase().replace(/ /g, "-")}-statusId`)
      )
    }
    const ids = await settle(stack.statusIds)
    expect(Object.keys(ids).sort()).toEqual(defaultCatalog.statuses.map((s) => s.name).sort())
  })

  it("gives the role exactly the permissions of the calls the service makes", () => {
    const policies = byName("identity-role").inputs["permissionPolicies"] as PermissionPolicy[]
    expect(policyPermissions(policies)).toEqual([...servicePermissions()])
    expect(JSON.stringify(policies)).not.toContain("*")
    expect(byName("identity-client").inputs["roleId"]).toBe("identity-role-roleId")
  })

  it("publishes the service's Data Action definitions with the URL from the stack config", () => {
    const defs = buildDataActionDefinitions(defaultCatalog, { baseUrl: config.serviceBaseUrl })
    for (const d of defs) {
      const slug = d.name.toLowerCase().replace(/[^a-z0-9]+/g, "-")
      const inputs = byName(`data-actions-${slug}`).inputs
      expect(inputs["contract"]).toEqual(JSON.parse(JSON.stringify(d.contract)))
      expect(inputs["config"]).toEqual(JSON.parse(JSON.stringify(d.config)))
      expect(inputs["integrationId"]).toBe("data-actions-integration-integrationId")
      expect(inputs["secure"]).toBe(false)
      expect(JSON.stringify(inputs["config"])).toContain("https://workbridge.example.com/data-actions/")
    }
    expect(secretValue(byName("data-actions-credential").inputs["credentialFields"])).toEqual({
      userName: "genesys",
      password: "basic-auth-PASSWORD-456"
    })
  })

  it("passes the connection (with the provisioning secret) to every provider as a secret", () => {
    const dynamic = recorded.filter((r) => r.type.startsWith("pulumi-nodejs:"))
    expect(dynamic.length).toBe(21)
    for (const r of dynamic) {
      expect(secretValue(r.inputs["connection"])).toEqual({
        region: "mypurecloud.ie",
        clientId: "provisioner-client-id",
        clientSecret: "provisioner-secret-VALUE-123"
      })
    }
  })

  it("marks the secrets secret", async () => {
    expect(await pulumi.isSecret(stack.clientSecret)).toBe(true)
    expect(await pulumi.isSecret(stack.dataActionBasicAuth)).toBe(true)
    expect(await settle(stack.clientSecret)).toBe("identity-client-clientSecret")
  })

  it("never serializes a secret into a provider", () => {
    for (const r of recorded) {
      const provider = r.inputs["__provider"]
      if (typeof provider !== "string") continue
      expect(provider).not.toContain(config.clientSecret)
      expect(provider).not.toContain("basic-auth-PASSWORD-456")
    }
    expect(recorded.filter((r) => typeof r.inputs["__provider"] === "string").length).toBeGreaterThan(10)
  })
})
