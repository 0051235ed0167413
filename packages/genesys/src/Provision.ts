/**
 * Provisioning of the Genesys side from the catalog — workbin, workitem schema, worktype, statuses with their
 * transitions and the default status — through the SDK, idempotently (each object is found by name first).
 * Used for the bundled emulator (`pnpm start` without credentials) and by tests; production deployments
 * provision with `infra/` (Pulumi), and the service's own role cannot call these operations.
 */
import platformClient from "purecloud-platform-client-v2"
import { type Catalog, toWorkitemSchema } from "@workbridge/catalog"
import { makeSdkClient } from "./Genesys.js"

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

type Any = Record<string, unknown>
const body = (r: unknown): Any => ((r as { body?: unknown }).body ?? r) as Any
const entities = (r: unknown): Array<Any> => (body(r)["entities"] as Array<Any> | undefined) ?? []

/** Describe an SDK rejection without credentials. */
const describe = (step: string, e: unknown): Error => {
  const o = (e ?? {}) as { status?: number; body?: { message?: string }; message?: string; response?: { status?: number } }
  const status = o.status ?? o.response?.status
  return new Error(`provisioning ${step} failed${status !== undefined ? ` (HTTP ${status})` : ""}: ${o.body?.message ?? o.message ?? "unknown error"}`)
}

const step = async <A>(name: string, f: () => Promise<A>): Promise<A> => {
  try {
    return await f()
  } catch (e) {
    throw describe(name, e)
  }
}

export const provision = async (options: ProvisionOptions): Promise<Provisioned> => {
  const client = makeSdkClient({ gatewayUrl: options.gatewayUrl })
  await step("login", () => client.loginClientCredentialsGrant(options.clientId, options.clientSecret))
  const tm = new platformClient.TaskManagementApi(client)
  const catalog = options.catalog
  const workbinName = options.workbinName ?? DEFAULT_WORKBIN_NAME
  const worktypeName = options.worktypeName ?? DEFAULT_WORKTYPE_NAME
  const nameFilter = (name: string) => ({ filters: [{ name: "name", type: "String", operator: "EQ", values: [name] }], pageSize: 25 })

  // Workbin
  const bins = entities(await step("workbin query", () => tm.postTaskmanagementWorkbinsQuery(nameFilter(workbinName) as never)))
  const workbinId = String(
    (bins.find((b) => b["name"] === workbinName) ??
      body(await step("workbin create", () => tm.postTaskmanagementWorkbins({ name: workbinName, description: "Tickets synced by Workbridge" } as never))))["id"]
  )

  // Schema
  const schemas = entities(await step("schema list", () => tm.getTaskmanagementWorkitemsSchemas()))
  const schemaId = String(
    (schemas.find((s) => s["name"] === catalog.schemaName) ??
      body(await step("schema create", () => tm.postTaskmanagementWorkitemsSchemas(toWorkitemSchema(catalog) as never))))["id"]
  )

  // Worktype
  const types = entities(await step("worktype query", () => tm.postTaskmanagementWorktypesQuery(nameFilter(worktypeName) as never)))
  let worktype = types.find((t) => t["name"] === worktypeName)
  if (worktype === undefined) {
    worktype = body(
      await step("worktype create", () =>
        tm.postTaskmanagementWorktypes({
          name: worktypeName,
          description: "A helpdesk ticket synced by Workbridge",
          defaultWorkbinId: workbinId,
          schemaId,
          disableDefaultStatusCreation: true
        } as never)
      )
    )
  }
  const worktypeId = String(worktype["id"])

  // Statuses: create the missing ones, then set every status's destinations, then the default status.
  const existing = entities(await step("status list", () => tm.getTaskmanagementWorktypeStatuses(worktypeId)))
  const statusIds: Record<string, string> = {}
  for (const s of existing) statusIds[String(s["name"])] = String(s["id"])
  for (const s of catalog.statuses) {
    if (statusIds[s.name] !== undefined) continue
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
    statusIds[s.name] = String(created["id"])
  }
  for (const s of catalog.statuses) {
    const destinationStatusIds = s.destinations.map((d) => {
      const id = statusIds[d]
      if (id === undefined) throw new Error(`catalog status "${s.name}" names an unknown destination "${d}"`)
      return id
    })
    await step(`status "${s.name}" transitions`, () =>
      tm.patchTaskmanagementWorktypeStatus(worktypeId, statusIds[s.name]!, { destinationStatusIds } as never)
    )
  }
  const first = catalog.statuses[0]
  if (first !== undefined) {
    await step("default status", () => tm.patchTaskmanagementWorktype(worktypeId, { defaultStatusId: statusIds[first.name] } as never))
  }
  return { workbinId, schemaId, worktypeId, statusIds }
}
