/**
 * The one provisioner of the Genesys side: from the catalog, the workbin, workitem schema, worktype, its statuses with
 * their transitions and the default status; optionally the service's role and OAuth client, the Data Actions
 * integration (basic-auth credential, integration, published actions) and the write-back chain (the workflow calling
 * the write-back action, and the Process Automation trigger starting it). Everything it creates is undone in reverse
 * order by `destroy()`, and at once when a step fails.
 *
 * The order and the plan are here; each object is made by a `ProvisionSteps` backend:
 * - `sdkSteps` (this module): the official SDK, finding each object by name before creating it, so a re-run reuses
 *   what is there. `provision()` runs it for the bundled emulator (`pnpm start` without credentials) and tests.
 * - `infra/`'s `providerSteps`: the Pulumi dynamic providers' `create` and `delete` (the code `pulumi up` runs), for
 *   `provisionForService` (tests and scripts provisioning a least-privilege client without Pulumi).
 */
import { setTimeout as sleep } from "node:timers/promises"
import platformClient from "purecloud-platform-client-v2"
import { type Catalog, toWorkitemSchema } from "@workbridge/catalog"
import { makeSdkClient } from "./Genesys.js"
import { type PlannedStatus, planStatuses } from "./statuses.js"
import {
  type TriggerSpec,
  triggerDifferences,
  WRITE_BACK_ACTION_NAME,
  writeBackTrigger,
  writeBackWorkflowYaml
} from "./WriteBackChain.js"

/** One object made by a step, and how to delete it (absent: nothing to undo, e.g. an object a re-run reused). */
export interface Created {
  readonly id: string
  readonly undo?: () => Promise<void>
}

/** A published Data Action to create: its name, contract and config (the Genesys export/import format). */
export interface ActionToCreate {
  readonly name: string
  readonly contract: unknown
  readonly config: unknown
}

/** How each object is made. The optional ones are needed only when `provisionWith` is asked for them. */
export interface ProvisionSteps {
  readonly workbin: (name: string) => Promise<Created>
  readonly schema: (name: string, catalog: Catalog) => Promise<Created & { readonly version: number }>
  readonly worktype: (w: {
    readonly name: string
    readonly workbinId: string
    readonly schemaId: string
    readonly schemaVersion: number
  }) => Promise<Created>
  /** The worktype's statuses already there, name → id (a re-run finds those it made); `{}` for a new worktype. */
  readonly existingStatuses: (worktypeId: string) => Promise<Readonly<Record<string, string>>>
  readonly status: (worktypeId: string, status: PlannedStatus) => Promise<Created>
  readonly transitions: (
    worktypeId: string,
    status: { readonly name: string; readonly id: string },
    destinationStatusIds: ReadonlyArray<string>
  ) => Promise<Created | undefined>
  readonly defaultStatus: (worktypeId: string, statusId: string) => Promise<void>
  readonly role?: (name: string, permissions: ReadonlyArray<string>) => Promise<Created>
  /** An OAuth client (client credentials) holding only `roleId`. */
  readonly oauthClient?: (
    name: string,
    roleId: string
  ) => Promise<Created & { readonly clientId: string; readonly clientSecret: string }>
  readonly basicAuthCredential?: (
    name: string,
    basicAuth: { readonly userName: string; readonly password: string }
  ) => Promise<Created>
  readonly integration?: (name: string, credentialId: string) => Promise<Created>
  readonly dataAction?: (integrationId: string, category: string, action: ActionToCreate) => Promise<Created>
  /** A published workflow from its Architect YAML (a flows import job); the id of the flow. */
  readonly workflow?: (w: { readonly name: string; readonly yaml: string }) => Promise<Created>
  /** A Process Automation trigger (`CreateTriggerRequest`). */
  readonly trigger?: (t: TriggerSpec) => Promise<Created>
}

/** Names of the objects to find or create. */
export interface ProvisionNames {
  readonly workbin: string
  readonly schema: string
  readonly worktype: string
  readonly role?: string
  readonly oauthClient?: string
  readonly credential?: string
  readonly integration?: string
  readonly dataActionCategory?: string
  readonly workflow?: string
  readonly trigger?: string
}

export interface ProvisionPlan {
  readonly catalog: Catalog
  readonly names: ProvisionNames
  /** Also create a role holding exactly these permissions and an OAuth client holding only that role. */
  readonly access?: { readonly permissions: ReadonlyArray<string> }
  /** Also create the Data Actions integration, its basic-auth credential and these published actions. */
  readonly dataActions?: {
    readonly definitions: ReadonlyArray<ActionToCreate>
    readonly basicAuth: { readonly userName: string; readonly password: string }
  }
  /**
   * Also create the write-back chain (needs `dataActions`): the workflow calling `actionName` (default
   * `WRITE_BACK_ACTION_NAME`, which must be one of the definitions) and the trigger starting it on events of the
   * worktype not made by `workbridgeClientId` (default: the OAuth client `access` creates).
   */
  readonly writeBack?: { readonly actionName?: string; readonly workbridgeClientId?: string }
}

export interface ProvisionResult {
  readonly workbinId: string
  readonly schemaId: string
  readonly schemaVersion: number
  readonly worktypeId: string
  /** Status name → id. */
  readonly statusIds: Readonly<Record<string, string>>
  readonly roleId?: string
  readonly clientId?: string
  readonly clientSecret?: string
  readonly integrationId?: string
  /** Action name → id. */
  readonly actionIds?: Readonly<Record<string, string>>
  readonly workflowId?: string
  readonly triggerId?: string
  /** Delete everything created, in the safe order (what `pulumi destroy` does). */
  destroy(): Promise<void>
}

const needed = <A>(step: A | undefined, name: string): A => {
  if (step === undefined) throw new Error(`provisioning: these steps cannot create the ${name}`)
  return step
}

/**
 * Provision in dependency order through `steps`. The catalog's statuses are checked first (`planStatuses`: an error
 * names the bad entry, and nothing is created); a failing step deletes what was created before it and is rethrown.
 */
export async function provisionWith(steps: ProvisionSteps, plan: ProvisionPlan): Promise<ProvisionResult> {
  const statusPlan = planStatuses(plan.catalog)
  const writeBackAction = checkWriteBack(plan)
  const undo: Array<() => Promise<void>> = []
  const track = <C extends Created | undefined>(c: C): C => {
    if (c !== undefined && c.undo !== undefined) undo.push(c.undo)
    return c
  }
  const destroy = async () => {
    const errors: unknown[] = []
    while (undo.length > 0) {
      const step = undo.pop() as () => Promise<void>
      try {
        await step()
      } catch (err) {
        errors.push(err)
      }
    }
    if (errors.length > 0) throw errors[0]
  }
  const { names } = plan

  try {
    const workbin = track(await steps.workbin(names.workbin))
    const schema = track(await steps.schema(names.schema, plan.catalog))
    const worktype = track(
      await steps.worktype({
        name: names.worktype,
        workbinId: workbin.id,
        schemaId: schema.id,
        schemaVersion: schema.version
      })
    )
    // Statuses: create the missing ones, then set every status's destinations, then the default status.
    const statusIds: Record<string, string> = { ...(await steps.existingStatuses(worktype.id)) }
    for (const s of statusPlan.statuses) {
      if (statusIds[s.name] !== undefined) continue
      statusIds[s.name] = track(await steps.status(worktype.id, s)).id
    }
    for (const s of statusPlan.statuses) {
      const destinations = (statusPlan.transitions[s.name] ?? []).map((d) => statusIds[d] as string)
      track(await steps.transitions(worktype.id, { name: s.name, id: statusIds[s.name] as string }, destinations))
    }
    await steps.defaultStatus(worktype.id, statusIds[statusPlan.defaultStatus] as string)

    let access: { roleId: string; clientId: string; clientSecret: string } | undefined
    if (plan.access !== undefined) {
      const role = track(await needed(steps.role, "role")(needed(names.role, "role's name"), plan.access.permissions))
      const client = track(
        await needed(steps.oauthClient, "OAuth client")(needed(names.oauthClient, "OAuth client's name"), role.id)
      )
      access = { roleId: role.id, clientId: client.clientId, clientSecret: client.clientSecret }
    }

    let actions: { integrationId: string; actionIds: Record<string, string> } | undefined
    if (plan.dataActions !== undefined) {
      const credential = track(
        await needed(steps.basicAuthCredential, "credential")(
          needed(names.credential, "credential's name"),
          plan.dataActions.basicAuth
        )
      )
      const integration = track(
        await needed(steps.integration, "integration")(needed(names.integration, "integration's name"), credential.id)
      )
      const actionIds: Record<string, string> = {}
      const category = needed(names.dataActionCategory, "Data Action category")
      for (const d of plan.dataActions.definitions) {
        actionIds[d.name] = track(await needed(steps.dataAction, "Data Actions")(integration.id, category, d)).id
      }
      actions = { integrationId: integration.id, actionIds }
    }

    let writeBack: { workflowId: string; triggerId: string } | undefined
    if (plan.writeBack !== undefined && writeBackAction !== undefined) {
      const workflowName = needed(names.workflow, "workflow's name")
      const yaml = writeBackWorkflowYaml({
        workflowName,
        integrationName: needed(names.integration, "integration's name"),
        actionName: writeBackAction
      })
      const workflow = track(await needed(steps.workflow, "workflow")({ name: workflowName, yaml }))
      const workbridgeClientId = plan.writeBack.workbridgeClientId ?? access?.clientId
      if (workbridgeClientId === undefined) {
        throw new Error("writeBack.workbridgeClientId: required when no OAuth client is created (access)")
      }
      const trigger = track(
        await needed(
          steps.trigger,
          "trigger"
        )(
          writeBackTrigger({
            name: needed(names.trigger, "trigger's name"),
            workflowId: workflow.id,
            worktypeId: worktype.id,
            workbridgeClientId
          })
        )
      )
      writeBack = { workflowId: workflow.id, triggerId: trigger.id }
    }

    return {
      workbinId: workbin.id,
      schemaId: schema.id,
      schemaVersion: schema.version,
      worktypeId: worktype.id,
      statusIds,
      ...(access ?? {}),
      ...(actions ?? {}),
      ...(writeBack ?? {}),
      destroy
    }
  } catch (err) {
    await destroy().catch(() => undefined)
    throw err
  }
}

/** The write-back action's name, checked before anything is created; undefined without `writeBack`. */
function checkWriteBack(plan: ProvisionPlan): string | undefined {
  if (plan.writeBack === undefined) return undefined
  const actionName = plan.writeBack.actionName ?? WRITE_BACK_ACTION_NAME
  if (plan.dataActions === undefined) {
    throw new Error("writeBack: needs dataActions (the workflow calls the write-back Data Action)")
  }
  const names = plan.dataActions.definitions.map((d) => d.name)
  if (!names.includes(actionName)) {
    throw new Error(
      `writeBack.actionName: "${actionName}" is not one of dataActions.definitions (${names.map((n) => `"${n}"`).join(", ")})`
    )
  }
  if (plan.writeBack.workbridgeClientId === undefined && plan.access === undefined) {
    throw new Error("writeBack.workbridgeClientId: required when no OAuth client is created (access)")
  }
  return actionName
}

// == the SDK backend: find by name, else create

type Any = Record<string, unknown>
const body = (r: unknown): Any => ((r as { body?: unknown }).body ?? r) as Any
const entities = (r: unknown): Array<Any> => (body(r)["entities"] as Array<Any> | undefined) ?? []

/** Describe an SDK rejection without credentials. */
const describe = (step: string, e: unknown): Error => {
  const o = (e ?? {}) as {
    status?: number
    body?: { message?: string }
    message?: string
    response?: { status?: number }
  }
  const status = o.status ?? o.response?.status
  return new Error(
    `provisioning ${step} failed${status !== undefined ? ` (HTTP ${status})` : ""}: ${o.body?.message ?? o.message ?? "unknown error"}`
  )
}

const step = async <A>(name: string, f: () => Promise<A>): Promise<A> => {
  try {
    return await f()
  } catch (e) {
    throw describe(name, e)
  }
}

const nameFilter = (name: string) => ({
  filters: [{ name: "name", type: "String", operator: "EQ", values: [name] }],
  pageSize: 25
})

/**
 * Steps over a logged-in SDK client that find each object by name before creating it (a re-run reuses them; nothing
 * they find or create is undone): the workitem objects, the Data Actions integration and actions, and the write-back
 * workflow and trigger. They make no role or OAuth client.
 */
export const sdkSteps = (client: InstanceType<typeof platformClient.ApiClientClass>): ProvisionSteps => {
  const tm = new platformClient.TaskManagementApi(client)
  return {
    workbin: async (name) => {
      const bins = entities(
        await step("workbin query", () => tm.postTaskmanagementWorkbinsQuery(nameFilter(name) as never))
      )
      const found =
        bins.find((b) => b["name"] === name) ??
        body(
          await step("workbin create", () =>
            tm.postTaskmanagementWorkbins({ name, description: "Tickets synced by Workbridge" } as never)
          )
        )
      return { id: String(found["id"]) }
    },
    schema: async (name, catalog) => {
      const schemas = entities(await step("schema list", () => tm.getTaskmanagementWorkitemsSchemas()))
      const found =
        schemas.find((s) => s["name"] === name) ??
        body(
          await step("schema create", () =>
            tm.postTaskmanagementWorkitemsSchemas({ ...toWorkitemSchema(catalog), name } as never)
          )
        )
      return { id: String(found["id"]), version: typeof found["version"] === "number" ? found["version"] : 1 }
    },
    worktype: async (w) => {
      const types = entities(
        await step("worktype query", () => tm.postTaskmanagementWorktypesQuery(nameFilter(w.name) as never))
      )
      const found =
        types.find((t) => t["name"] === w.name) ??
        body(
          await step("worktype create", () =>
            tm.postTaskmanagementWorktypes({
              name: w.name,
              description: "A helpdesk ticket synced by Workbridge",
              defaultWorkbinId: w.workbinId,
              schemaId: w.schemaId,
              disableDefaultStatusCreation: true
            } as never)
          )
        )
      return { id: String(found["id"]) }
    },
    existingStatuses: async (worktypeId) => {
      const existing = entities(await step("status list", () => tm.getTaskmanagementWorktypeStatuses(worktypeId)))
      return Object.fromEntries(existing.map((s) => [String(s["name"]), String(s["id"])]))
    },
    status: async (worktypeId, s) => {
      const created = body(
        await step(`status "${s.name}" create`, () =>
          tm.postTaskmanagementWorktypeStatuses(worktypeId, {
            name: s.name,
            category: s.category,
            ...(s.description !== undefined ? { description: s.description } : {}),
            destinationStatusIds: []
          } as never)
        )
      )
      return { id: String(created["id"]) }
    },
    transitions: async (worktypeId, status, destinationStatusIds) => {
      await step(`status "${status.name}" transitions`, () =>
        tm.patchTaskmanagementWorktypeStatus(worktypeId, status.id, { destinationStatusIds } as never)
      )
      return undefined
    },
    defaultStatus: async (worktypeId, statusId) => {
      await step("default status", () =>
        tm.patchTaskmanagementWorktype(worktypeId, { defaultStatusId: statusId } as never)
      )
    },
    ...dataActionSdkSteps(client),
    ...writeBackSdkSteps(client)
  }
}

/** A listing's entities across its pages (`pageNumber`/`pageCount`), at most `maxPages`. */
const allPages = async (
  what: string,
  page: (pageNumber: number) => Promise<unknown>,
  maxPages = 50
): Promise<Array<Any>> => {
  const out: Array<Any> = []
  for (let n = 1; n <= maxPages; n++) {
    const b = body(await step(what, () => page(n)))
    out.push(...entities(b))
    const pageCount = typeof b["pageCount"] === "number" ? b["pageCount"] : 1
    if (n >= pageCount) break
  }
  return out
}

/**
 * The Data Actions objects, found by name first: the basic-auth credential (its fields written again), the
 * `custom-rest-actions` integration (configured with the credential and enabled when created), and each published
 * action — kept when its contract and config are the declared ones, else deleted and published again (a published
 * contract cannot change).
 */
const dataActionSdkSteps = (
  client: InstanceType<typeof platformClient.ApiClientClass>
): Pick<ProvisionSteps, "basicAuthCredential" | "integration" | "dataAction"> => {
  const api = new platformClient.IntegrationsApi(client)
  return {
    basicAuthCredential: async (name, basicAuth) => {
      const credential = { name, type: { name: "basicAuth" }, credentialFields: { ...basicAuth } }
      const found = (
        await allPages("credential list", (pageNumber) => api.getIntegrationsCredentials({ pageNumber, pageSize: 100 }))
      ).find((c) => c["name"] === name)
      if (found !== undefined) {
        await step("credential update", () =>
          api.putIntegrationsCredential(String(found["id"]), { body: credential } as never)
        )
        return { id: String(found["id"]) }
      }
      const created = body(
        await step("credential create", () => api.postIntegrationsCredentials({ body: credential } as never))
      )
      return { id: String(created["id"]) }
    },
    integration: async (name, credentialId) => {
      const found = (
        await allPages("integration list", (pageNumber) => api.getIntegrations({ pageNumber, pageSize: 100 }))
      ).find((i) => i["name"] === name)
      if (found !== undefined) return { id: String(found["id"]) }
      const created = body(
        await step("integration create", () =>
          api.postIntegrations({ body: { integrationType: { id: "custom-rest-actions" }, name } } as never)
        )
      )
      const id = String(created["id"])
      const current = body(await step("integration config read", () => api.getIntegrationConfigCurrent(id)))
      await step("integration config", () =>
        api.putIntegrationConfigCurrent(id, {
          body: {
            name,
            notes: "",
            version: current["version"],
            properties: current["properties"] ?? {},
            advanced: current["advanced"] ?? {},
            credentials: { basicAuth: { id: credentialId } }
          }
        } as never)
      )
      await step("integration enable", () => api.patchIntegration(id, { body: { intendedState: "ENABLED" } } as never))
      return { id }
    },
    dataAction: async (integrationId, category, d) => {
      const existing = entities(
        await step(`action "${d.name}" list`, () =>
          api.getIntegrationsActions({ name: d.name, includeConfig: true, pageSize: 100 } as never)
        )
      ).find((a) => a["name"] === d.name)
      if (existing !== undefined) {
        const id = String(existing["id"])
        const current = body(
          await step(`action "${d.name}" read`, () =>
            api.getIntegrationsAction(id, { expand: "contract", includeConfig: true } as never)
          )
        )
        const same =
          current["integrationId"] === integrationId &&
          current["category"] === category &&
          sameJson(current["contract"], d.contract) &&
          sameJson(current["config"], d.config)
        if (same) return { id }
        await step(`action "${d.name}" delete`, () => api.deleteIntegrationsAction(id))
      }
      const created = body(
        await step(`action "${d.name}" create`, () =>
          api.postIntegrationsActions({
            name: d.name,
            category,
            integrationId,
            secure: false,
            contract: d.contract,
            config: d.config
          } as never)
        )
      )
      return { id: String(created["id"]) }
    }
  }
}

/** Whether the server's copy holds every key of `desired` with the same value (extra server keys are ignored). */
const sameJson = (actual: unknown, desired: unknown): boolean => {
  if (Array.isArray(desired)) {
    return Array.isArray(actual) && actual.length === desired.length && desired.every((d, i) => sameJson(actual[i], d))
  }
  if (desired !== null && typeof desired === "object") {
    if (actual === null || typeof actual !== "object" || Array.isArray(actual)) return false
    return Object.entries(desired as Any).every(([k, v]) => v === undefined || sameJson((actual as Any)[k], v))
  }
  return actual === desired
}

/** How long a flows import job may take (CX as Code waits 16 minutes), and the longest pause between polls. */
const FLOW_JOB_TIMEOUT_MS = 16 * 60_000
const FLOW_JOB_MAX_POLL_MS = 15_000

/**
 * Deploy Architect YAML as CX as Code's `genesyscloud_flow` does: `postFlowsJobs` registers a job and answers a
 * presigned URL with the headers to send; the YAML is PUT there; `getFlowsJob` is polled until `Success` (the
 * published flow's id) or `Failure` (its messages name the problem). infra's `Workflow` provider runs the same job
 * on its own (a Pulumi dynamic provider cannot capture this package).
 */
export async function deployFlowYaml(
  architect: InstanceType<typeof platformClient.ArchitectApi>,
  flowName: string,
  yaml: string
): Promise<string> {
  const job = body(await step(`workflow "${flowName}" import job`, () => architect.postFlowsJobs()))
  const jobId = String(job["id"])
  const url = job["presignedUrl"]
  if (typeof url !== "string" || url === "") {
    throw new Error(`provisioning workflow "${flowName}" import job ${jobId} failed: no presignedUrl in the answer`)
  }
  const headers = (job["headers"] ?? {}) as Record<string, string>
  let upload: Response
  try {
    upload = await fetch(url, { method: "PUT", headers, body: yaml })
  } catch (e) {
    throw new Error(`provisioning workflow "${flowName}" upload failed: ${e instanceof Error ? e.message : String(e)}`)
  }
  if (!upload.ok) {
    throw new Error(`provisioning workflow "${flowName}" upload failed (HTTP ${upload.status})`)
  }
  const deadline = Date.now() + FLOW_JOB_TIMEOUT_MS
  for (let pause = 100; ; pause = Math.min(pause * 2, FLOW_JOB_MAX_POLL_MS)) {
    const state = body(await step(`workflow "${flowName}" job status`, () => architect.getFlowsJob(jobId)))
    const status = state["status"]
    if (status === "Success") {
      const flowId = (state["flow"] as Any | undefined)?.["id"]
      if (typeof flowId !== "string" || flowId === "") {
        throw new Error(`provisioning workflow "${flowName}": job ${jobId} succeeded without a flow id`)
      }
      return flowId
    }
    if (status === "Failure") {
      const messages = ((state["messages"] as Array<Any> | undefined) ?? [])
        .map((m) => m["text"])
        .filter((t): t is string => typeof t === "string")
      throw new Error(
        `provisioning workflow "${flowName}" failed (job ${jobId}): ${messages.length > 0 ? messages.join("; ") : "no messages"}`
      )
    }
    if (Date.now() > deadline) {
      throw new Error(`provisioning workflow "${flowName}": job ${jobId} did not finish in 16 minutes`)
    }
    await sleep(pause)
  }
}

/**
 * The write-back chain's objects, found by name first: the workflow (a workflow of that name is adopted as it is; a
 * new one is deployed from the YAML) and the trigger (adopted, and updated with its current `version` when it
 * differs from the declared one).
 */
const writeBackSdkSteps = (
  client: InstanceType<typeof platformClient.ApiClientClass>
): Pick<ProvisionSteps, "workflow" | "trigger"> => {
  const architect = new platformClient.ArchitectApi(client)
  const pa = new platformClient.ProcessAutomationApi(client)
  return {
    workflow: async ({ name, yaml }) => {
      const found = entities(
        await step(`workflow "${name}" lookup`, () => architect.getFlows({ type: ["workflow"], name, pageSize: 100 }))
      ).find((f) => f["name"] === name)
      if (found !== undefined) return { id: String(found["id"]) }
      return { id: await deployFlowYaml(architect, name, yaml) }
    },
    trigger: async (spec) => {
      const found = await findTrigger(pa, spec)
      if (found === undefined) {
        const created = body(
          await step(`trigger "${spec.name}" create`, () => pa.postProcessautomationTriggers(spec as never))
        )
        return { id: String(created["id"]) }
      }
      const id = String(found["id"])
      if (triggerDifferences(found, spec).length > 0) {
        const current = body(await step(`trigger "${spec.name}" read`, () => pa.getProcessautomationTrigger(id)))
        await step(`trigger "${spec.name}" update`, () =>
          pa.putProcessautomationTrigger(id, { ...spec, version: current["version"] } as never)
        )
      }
      return { id }
    }
  }
}

/** The trigger of that name on the spec's topic (the listing pages with an `after` cursor). */
export async function findTrigger(
  pa: InstanceType<typeof platformClient.ProcessAutomationApi>,
  spec: Pick<TriggerSpec, "name" | "topicName">
): Promise<Any | undefined> {
  let after: string | undefined
  for (let page = 0; page < 50; page++) {
    const b = body(
      await step(`trigger "${spec.name}" lookup`, () =>
        pa.getProcessautomationTriggers({
          topicName: spec.topicName,
          pageSize: "100",
          ...(after === undefined ? {} : { after })
        })
      )
    )
    const found = entities(b).find((t) => t["name"] === spec.name)
    if (found !== undefined) return found
    const next = typeof b["nextUri"] === "string" ? new URL(b["nextUri"], "http://x").searchParams.get("after") : null
    if (next === null || next === "") return undefined
    after = next
  }
  return undefined
}

export interface ProvisionOptions {
  readonly gatewayUrl: string
  readonly clientId: string
  readonly clientSecret: string
  readonly catalog: Catalog
  readonly workbinName?: string
  readonly worktypeName?: string
  /** Also find or create the Data Actions integration (its basic-auth credential) and these published actions. */
  readonly dataActions?: ProvisionPlan["dataActions"]
  /**
   * Also find or create the write-back workflow and trigger (needs `dataActions` with the write-back action).
   * `workbridgeClientId` defaults to `clientId`: the bundled emulator's service calls Genesys as its admin client.
   */
  readonly writeBack?: ProvisionPlan["writeBack"]
}

export interface Provisioned {
  readonly workbinId: string
  readonly schemaId: string
  readonly worktypeId: string
  /** Status name → id. */
  readonly statusIds: Readonly<Record<string, string>>
  readonly integrationId?: string
  /** Action name → id. */
  readonly actionIds?: Readonly<Record<string, string>>
  readonly workflowId?: string
  readonly triggerId?: string
}

export const DEFAULT_WORKBIN_NAME = "Workbridge tickets"
export const DEFAULT_WORKTYPE_NAME = "Workbridge ticket"
/** Names of the Data Actions and write-back objects `provision` finds or creates. */
export const DEFAULT_CHAIN_NAMES = {
  credential: "Workbridge Data Actions Basic Auth",
  integration: "Workbridge Data Actions",
  dataActionCategory: "Workbridge Data Actions",
  workflow: "Workbridge write-back",
  trigger: "Workbridge write-back"
} as const

/**
 * Find or create the workitem objects of the catalog through a gateway (the bundled emulator), as its admin client,
 * and, when asked, the Data Actions and the write-back chain: idempotent, so each start of the demo reuses what the
 * previous one made. The service's own role cannot call these
 * operations; production deployments provision with `infra/` (Pulumi).
 */
export const provision = async (options: ProvisionOptions): Promise<Provisioned> => {
  const client = makeSdkClient({ gatewayUrl: options.gatewayUrl })
  await step("login", () => client.loginClientCredentialsGrant(options.clientId, options.clientSecret))
  const r = await provisionWith(sdkSteps(client), {
    catalog: options.catalog,
    names: {
      workbin: options.workbinName ?? DEFAULT_WORKBIN_NAME,
      schema: options.catalog.schemaName,
      worktype: options.worktypeName ?? DEFAULT_WORKTYPE_NAME,
      ...DEFAULT_CHAIN_NAMES
    },
    ...(options.dataActions === undefined ? {} : { dataActions: options.dataActions }),
    ...(options.writeBack === undefined
      ? {}
      : { writeBack: { workbridgeClientId: options.clientId, ...options.writeBack } })
  })
  return {
    workbinId: r.workbinId,
    schemaId: r.schemaId,
    worktypeId: r.worktypeId,
    statusIds: r.statusIds,
    ...(r.integrationId === undefined ? {} : { integrationId: r.integrationId }),
    ...(r.actionIds === undefined ? {} : { actionIds: r.actionIds }),
    ...(r.workflowId === undefined ? {} : { workflowId: r.workflowId }),
    ...(r.triggerId === undefined ? {} : { triggerId: r.triggerId })
  }
}
