/**
 * The one provisioner of the Genesys side: from the catalog, the workbin, workitem schema, worktype, its statuses with
 * their transitions and the default status; optionally the service's role and OAuth client, and the Data Actions
 * integration (basic-auth credential, integration, published actions). Everything it creates is undone in reverse
 * order by `destroy()`, and at once when a step fails.
 *
 * The order and the plan are here; each object is made by a `ProvisionSteps` backend:
 * - `sdkSteps` (this module): the official SDK, finding each object by name before creating it, so a re-run reuses
 *   what is there. `provision()` runs it for the bundled emulator (`pnpm start` without credentials) and tests.
 * - `infra/`'s `providerSteps`: the Pulumi dynamic providers' `create` and `delete` (the code `pulumi up` runs), for
 *   `provisionForService` (tests and scripts provisioning a least-privilege client without Pulumi).
 */
import platformClient from "purecloud-platform-client-v2"
import { type Catalog, toWorkitemSchema } from "@workbridge/catalog"
import { makeSdkClient } from "./Genesys.js"
import { type PlannedStatus, planStatuses } from "./statuses.js"

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

    return {
      workbinId: workbin.id,
      schemaId: schema.id,
      schemaVersion: schema.version,
      worktypeId: worktype.id,
      statusIds,
      ...(access ?? {}),
      ...(actions ?? {}),
      destroy
    }
  } catch (err) {
    await destroy().catch(() => undefined)
    throw err
  }
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
 * Steps over a logged-in SDK client that find each workitem object by name before creating it (a re-run reuses
 * them; nothing they find or create is undone). They make the workitem objects only: no role, client or actions.
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
    }
  }
}

export interface ProvisionOptions {
  readonly gatewayUrl: string
  readonly clientId: string
  readonly clientSecret: string
  readonly catalog: Catalog
  readonly workbinName?: string
  readonly worktypeName?: string
}

export interface Provisioned {
  readonly workbinId: string
  readonly schemaId: string
  readonly worktypeId: string
  /** Status name → id. */
  readonly statusIds: Readonly<Record<string, string>>
}

export const DEFAULT_WORKBIN_NAME = "Workbridge tickets"
export const DEFAULT_WORKTYPE_NAME = "Workbridge ticket"

/**
 * Find or create the workitem objects of the catalog through a gateway (the bundled emulator), as its admin client:
 * idempotent, so each start of the demo reuses what the previous one made. The service's own role cannot call these
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
      worktype: options.worktypeName ?? DEFAULT_WORKTYPE_NAME
    }
  })
  return { workbinId: r.workbinId, schemaId: r.schemaId, worktypeId: r.worktypeId, statusIds: r.statusIds }
}
