/**
 * The program run under the real providers, against the emulator, the way `pulumi up` drives them: each resource is
 * created when new, and otherwise refreshed (`read`), compared (`diff`) and updated or replaced (delete first when
 * the diff says so). Pulumi's own engine needs its CLI, which CI does not have, so `pulumi.runtime.setMocks` hands
 * each registration to this small engine instead.
 */
import * as pulumi from "@pulumi/pulumi"
import type { Catalog } from "@workbridge/catalog"
import { defaultCatalog } from "@workbridge/catalog"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { buildDataActionDefinitions } from "@workbridge/data-actions"
import { WRITE_BACK_ACTION_NAME } from "@workbridge/genesys"
import { call as sdkCall, login } from "@workbridge/genesys-emulator/testing"
import platformClient from "purecloud-platform-client-v2"
import type { StackConfig } from "./build/config.js"
import type { ActionDefinition } from "./components/dataActions.js"
import { dataActionProvider } from "./providers/dataAction.js"
import { integrationProvider } from "./providers/integration.js"
import { integrationCredentialProvider } from "./providers/integrationCredential.js"
import { oauthClientProvider } from "./providers/oauthClient.js"
import { processAutomationTriggerProvider } from "./providers/processAutomationTrigger.js"
import { roleProvider } from "./providers/role.js"
import { workbinProvider } from "./providers/workbin.js"
import { workflowProvider } from "./providers/workflow.js"
import { workitemSchemaProvider } from "./providers/workitemSchema.js"
import { worktypeProvider } from "./providers/worktype.js"
import { worktypeDefaultStatusProvider } from "./providers/worktypeDefaultStatus.js"
import { worktypeStatusProvider } from "./providers/worktypeStatus.js"
import { worktypeStatusTransitionsProvider } from "./providers/worktypeStatusTransitions.js"
import type { TestGenesys } from "./testing.js"
import { startTestGenesys } from "./testing.js"

type Provider = {
  create(inputs: any): Promise<{ id: string; outs: any }>
  read(id: string, props: any): Promise<{ id: string; props: any }>
  diff(
    id: string,
    olds: any,
    news: any
  ): Promise<{ changes: boolean; replaces: ReadonlyArray<string>; deleteBeforeReplace?: boolean }>
  update?(id: string, olds: any, news: any): Promise<{ outs: any }>
  delete(id: string, props: any): Promise<void>
}

const PROVIDERS: Record<string, Provider> = {
  Workbin: workbinProvider,
  WorkitemSchema: workitemSchemaProvider,
  Worktype: worktypeProvider,
  WorktypeStatus: worktypeStatusProvider,
  WorktypeStatusTransitions: worktypeStatusTransitionsProvider,
  WorktypeDefaultStatus: worktypeDefaultStatusProvider,
  Role: roleProvider,
  OAuthClient: oauthClientProvider,
  IntegrationCredential: integrationCredentialProvider,
  Integration: integrationProvider,
  DataAction: dataActionProvider,
  Workflow: workflowProvider,
  ProcessAutomationTrigger: processAutomationTriggerProvider
}

/** Pulumi's marker of a secret value in serialized inputs. */
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
const unwrap = (v: unknown): unknown => {
  if (Array.isArray(v)) return v.map(unwrap)
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>
    if (SECRET_SIG_KEY in o) return unwrap(o["value"])
    return Object.fromEntries(
      Object.entries(o)
        .filter(([k]) => k !== "__provider")
        .map(([k, x]) => [k, unwrap(x)])
    )
  }
  return v
}

interface Step {
  readonly op: "create" | "update" | "replace"
  readonly name: string
  readonly replaces?: ReadonlyArray<string>
}

/** The engine's state between runs (what a Pulumi backend keeps): resource name → id and outputs. */
const stack = new Map<string, { id: string; outs: Record<string, unknown> }>()
let steps: Step[] = []
let pending: Array<Promise<unknown>> = []

const apply = async (type: string, name: string, rawInputs: Record<string, unknown>) => {
  const provider = PROVIDERS[type.split(":").pop() ?? ""]
  if (provider === undefined) return { id: `${name}-id`, state: rawInputs } // a component
  const inputs = unwrap(rawInputs) as Record<string, unknown>
  const prior = stack.get(name)
  if (prior === undefined) {
    const created = await provider.create(inputs)
    stack.set(name, { id: created.id, outs: created.outs })
    steps.push({ op: "create", name })
    return { id: created.id, state: created.outs }
  }
  const refreshed = await provider.read(prior.id, prior.outs)
  const diff = await provider.diff(prior.id, refreshed.props, inputs)
  if (!diff.changes) {
    stack.set(name, { id: prior.id, outs: refreshed.props })
    return { id: prior.id, state: refreshed.props }
  }
  if (diff.replaces.length > 0) {
    expect(diff.deleteBeforeReplace, `${name} replaces ${diff.replaces.join(", ")}`).toBe(true)
    await provider.delete(prior.id, refreshed.props)
    const created = await provider.create(inputs)
    stack.set(name, { id: created.id, outs: created.outs })
    steps.push({ op: "replace", name, replaces: diff.replaces })
    return { id: created.id, state: created.outs }
  }
  const updated = await provider.update!(prior.id, refreshed.props, inputs)
  stack.set(name, { id: prior.id, outs: updated.outs })
  steps.push({ op: "update", name })
  return { id: prior.id, state: updated.outs }
}

let g: TestGenesys
let config: StackConfig

beforeAll(async () => {
  process.env["WORKBRIDGE_PROVISION_RETRY_BASE_MS"] = "5"
  g = await startTestGenesys()
  config = {
    gatewayUrl: g.emulator.url,
    clientId: g.admin.clientId,
    clientSecret: g.admin.clientSecret,
    serviceBaseUrl: "https://workbridge.example.com",
    namePrefix: "Rerun",
    dataActionBasicAuth: "genesys:rerun-password-0123"
  }
  pulumi.runtime.setMocks(
    {
      newResource(args) {
        const p = apply(args.type, args.name, args.inputs)
        pending.push(p)
        return p
      },
      call() {
        throw new Error("Mock call not implemented")
      }
    },
    "workbridge",
    "rerun",
    false
  )
})
afterAll(async () => {
  delete process.env["WORKBRIDGE_PROVISION_RETRY_BASE_MS"]
  await g.emulator.close()
})

/** One `pulumi up` of the program: every registration applied, and the steps it took. */
const up = async (
  catalog: Catalog,
  writeBack?: { readonly definitions: ReadonlyArray<ActionDefinition> }
): Promise<Step[]> => {
  steps = []
  pending = []
  const { defineStack } = await import("./program.js")
  const out =
    writeBack === undefined
      ? defineStack(config, catalog)
      : defineStack({ ...config, writeBack: true }, catalog, { definitions: writeBack.definitions })
  await new Promise((resolve) =>
    pulumi.all([out.worktypeId, out.clientId, out.dataActionIds, out.statusIds]).apply(resolve)
  )
  // Wait until no registration is in flight (transitions and the default status come after the statuses).
  for (let seen = -1; seen !== pending.length; ) {
    seen = pending.length
    await Promise.all(pending)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return steps
}

const schemaVersions = (): number => {
  const entry = stack.get("workitems-schema")
  return entry === undefined ? 0 : (g.emulator.state.schemas.get(entry.id)?.versions.length ?? 0)
}

const actionsNamed = (name: string) => [...g.emulator.state.actions.values()].filter((a) => a.name === name)

describe("the program under the providers", () => {
  it("provisions with 30 % of status calls refused as concurrent and 30 % of updates answered with a version conflict", async () => {
    const statusPaths = /^\/api\/v2\/taskmanagement\/worktypes\/[^/]+\/statuses/
    g.emulator.faults.add({ method: "POST", path: statusPaths, kind: "statusConcurrency", probability: 0.3 })
    g.emulator.faults.add({ method: "PATCH", path: statusPaths, kind: "statusConcurrency", probability: 0.3 })
    const updates =
      /^\/api\/v2\/(taskmanagement\/workitems\/schemas\/[^/]+|integrations\/[^/]+\/config\/current|integrations\/actions\/[^/]+)$/
    g.emulator.faults.add({ method: "PUT", path: updates, kind: "versionConflict", probability: 0.3 })
    g.emulator.faults.add({ method: "PATCH", path: updates, kind: "versionConflict", status: 400, probability: 0.3 })
    try {
      const first = await up(defaultCatalog)
      expect(first.every((s) => s.op === "create")).toBe(true)
      expect(first.length).toBe(21)
      // A changed catalog updates the schema (PUT; the worktype follows its new version) and replaces the
      // Normalize-ticket action, under the same faults.
      const changed = await up(withRetitledField(defaultCatalog))
      expect(changed.map((s) => `${s.op} ${s.name}`).sort()).toEqual([
        "replace data-actions-workbridge-normalize-ticket",
        "update workitems-schema",
        "update workitems-worktype"
      ])
    } finally {
      g.emulator.faults.clear()
    }
    const faulted = g.emulator.requests().filter((r) => r.fault !== undefined)
    expect(faulted.filter((r) => r.fault === "statusConcurrency").length).toBeGreaterThan(0)
    expect(faulted.filter((r) => r.fault === "versionConflict").length).toBeGreaterThan(0)
  }, 120_000)

  it("runs again unchanged with no step and no new schema version, even when the server adds or reorders keys", async () => {
    const versions = schemaVersions()
    expect(versions).toBeGreaterThan(1)
    // Whether Genesys adds or reorders keys is unverified (docs/genesys-api.md); the emulator is made to here.
    const schema = g.emulator.state.schemas.get(stack.get("workitems-schema")!.id)!
    const latest = schema.versions[schema.versions.length - 1] as { jsonSchema: Record<string, unknown> }
    latest.jsonSchema = { definitions: {}, ...Object.fromEntries(Object.entries(latest.jsonSchema).reverse()) }
    for (const action of g.emulator.state.actions.values()) {
      ;(action.config as Record<string, any>)["request"]["addedByServer"] = true
      ;(action.contract as Record<string, any>)["output"] = Object.fromEntries(
        Object.entries(action.contract["output"] as object).reverse()
      )
    }
    const again = await up(withRetitledField(defaultCatalog))
    expect(again).toEqual([])
    expect(schemaVersions()).toBe(versions)
  })

  it("replaces the action when a catalog change changes its contract: deleted first, one action of that name left", async () => {
    const before = stack.get("data-actions-workbridge-normalize-ticket")?.id
    const steps = await up(defaultCatalog)
    expect(steps).toContainEqual({
      op: "replace",
      name: "data-actions-workbridge-normalize-ticket",
      replaces: ["contract"]
    })
    expect(steps.some((s) => s.name === "data-actions-workbridge-ticket-sync-status")).toBe(false)
    const after = stack.get("data-actions-workbridge-normalize-ticket")?.id
    expect(after).not.toBe(before)
    expect(actionsNamed("Workbridge - Normalize ticket").map((a) => a.id)).toEqual([after])
    expect(await up(defaultCatalog)).toEqual([])
  })
})

describe("the program with the write-back chain", () => {
  // The service's actions, the write-back action among them (`workitemEvent` of @workbridge/data-actions).
  const definitions = (): ReadonlyArray<ActionDefinition> =>
    buildDataActionDefinitions(defaultCatalog, {
      baseUrl: "https://workbridge.example.com",
      credentialType: "basicAuth"
    })
  const action = `data-actions-${WRITE_BACK_ACTION_NAME.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`

  it("adds the workflow and the trigger after the write-back action; runs again with no step", async () => {
    expect(stack.has(action)).toBe(true)
    const added = await up(defaultCatalog, { definitions: definitions() })
    expect(added.map((s) => `${s.op} ${s.name}`).sort()).toEqual([
      "create write-back-trigger",
      "create write-back-workflow"
    ])
    expect(await up(defaultCatalog, { definitions: definitions() })).toEqual([])
  })

  it("puts back a trigger disabled by hand, and re-imports the workflow when its action is replaced", async () => {
    const admin = await login(g.emulator.url, g.admin.clientId, g.admin.clientSecret)
    const pa = new platformClient.ProcessAutomationApi(admin.client)
    const triggerId = stack.get("write-back-trigger")!.id
    const current = await sdkCall<Record<string, unknown>>(pa.getProcessautomationTrigger(triggerId))
    const { id: _id, selfUri: _self, ...rest } = current.body
    await sdkCall(pa.putProcessautomationTrigger(triggerId, { ...rest, enabled: false } as never))
    expect((await up(defaultCatalog, { definitions: definitions() })).map((s) => `${s.op} ${s.name}`)).toEqual([
      "update write-back-trigger"
    ])
    expect((await sdkCall<{ enabled: boolean }>(pa.getProcessautomationTrigger(triggerId))).body.enabled).toBe(true)

    // A changed contract replaces the action (new id): the workflow is imported again, the trigger stays.
    const changed = definitions().map((d) =>
      d.name === WRITE_BACK_ACTION_NAME
        ? {
            ...d,
            contract: {
              ...d.contract,
              output: {
                successSchema: {
                  ...d.contract.output.successSchema,
                  properties: {
                    ...(d.contract.output.successSchema as { properties?: object }).properties,
                    rerunProbe: { type: "string" }
                  }
                }
              }
            }
          }
        : d
    )
    const flowId = stack.get("write-back-workflow")!.id
    const steps = await up(defaultCatalog, { definitions: changed })
    expect(steps.map((s) => `${s.op} ${s.name}`).sort()).toEqual([`replace ${action}`, "update write-back-workflow"])
    expect(stack.get("write-back-workflow")!.id).toBe(flowId)
    expect(await up(defaultCatalog, { definitions: changed })).toEqual([])
  })
})

/** The catalog with one field's title changed: a new schema version and a new Normalize-ticket contract. */
function withRetitledField(catalog: Catalog): Catalog {
  return {
    ...catalog,
    fields: catalog.fields.map((f) => (f.key === "subject" ? { ...f, title: "Ticket subject" } : f))
  }
}
