/**
 * The worktype and workitem operations of the `Genesys` service: each one SDK call (or a page of them) through the
 * call wrapper, its response decoded.
 */
import { Effect } from "effect"
import type platformClient from "purecloud-platform-client-v2"
import type { GenesysService, QueryFilter, Workitem, WorkitemPage, WorktypeInfo, WorktypeStatus } from "../Genesys.js"
import type { GenesysError } from "../GenesysError.js"
import {
  decodeResponse,
  StatusListing,
  WorkitemQueryPage,
  WorkitemResponse,
  WorktypeListing,
  WorktypeResponse
} from "../Responses.js"
import type { Call } from "./call.js"

export type TaskManagement = InstanceType<typeof platformClient.TaskManagementApi>

export const worktypeOperations = (
  call: Call,
  tm: TaskManagement
): Pick<GenesysService, "getWorktype" | "checkWorktype" | "findWorktypeByName" | "getStatuses"> => ({
  getWorktype: (id) =>
    call<unknown>("getWorktype", () => tm.getTaskmanagementWorktype(id)).pipe(
      Effect.flatMap(decodeResponse(WorktypeResponse, "getWorktype")),
      Effect.map((w): WorktypeInfo => {
        const defaultWorkbinId = w.defaultWorkbin?.id
        const defaultStatusId = w.defaultStatus?.id
        return {
          id: w.id,
          name: w.name ?? "",
          ...(defaultWorkbinId !== undefined ? { defaultWorkbinId } : {}),
          ...(defaultStatusId !== undefined ? { defaultStatusId } : {})
        }
      })
    ),
  checkWorktype: (id) =>
    call(
      "getWorktype",
      () => tm.getTaskmanagementWorktype(id),
      () => false
    ).pipe(Effect.asVoid),
  findWorktypeByName: (name) =>
    call<unknown>("queryWorktypes", () =>
      tm.postTaskmanagementWorktypesQuery({
        filters: [{ name: "name", type: "String", operator: "EQ", values: [name] }],
        pageSize: 25
      } as unknown as Parameters<typeof tm.postTaskmanagementWorktypesQuery>[0])
    ).pipe(
      Effect.flatMap(decodeResponse(WorktypeListing, "queryWorktypes")),
      Effect.map((r) => {
        const w = (r.entities ?? []).find((x) => x.name === name)
        return w === undefined ? undefined : { id: w.id, name: w.name }
      })
    ),
  getStatuses: (worktypeId) =>
    call<unknown>("getWorktypeStatuses", () => tm.getTaskmanagementWorktypeStatuses(worktypeId)).pipe(
      Effect.flatMap(decodeResponse(StatusListing, "getWorktypeStatuses")),
      Effect.map((r) =>
        (r.entities ?? []).map(
          (s): WorktypeStatus => ({
            id: s.id,
            name: s.name,
            ...(s.category !== undefined ? { category: s.category } : {}),
            destinationStatusIds: (s.destinationStatuses ?? []).map((d) => d.id)
          })
        )
      )
    )
})

export const workitemOperations = (
  call: Call,
  tm: TaskManagement
): Pick<
  GenesysService,
  "queryWorkitems" | "queryWorkitemsPage" | "getWorkitem" | "createWorkitem" | "updateWorkitem"
> => {
  /** One query call: the worktype's EQ anchor and the filters, one page of up to `pageSize` (≤ 200). */
  const page = (
    typeId: string,
    filters: ReadonlyArray<QueryFilter>,
    pageSize: number,
    after: string | undefined
  ): Effect.Effect<WorkitemPage, GenesysError> => {
    const body = {
      filters: [
        { name: "typeId", type: "String", operator: "EQ", values: [typeId] },
        ...filters.map((f) => ({ name: f.name, type: "String", operator: f.operator ?? "EQ", values: [f.value] }))
      ],
      pageSize: Math.max(1, Math.min(200, pageSize)),
      ...(after !== undefined ? { after } : {})
    }
    return call<unknown>("queryWorkitems", () =>
      tm.postTaskmanagementWorkitemsQuery(body as unknown as Parameters<typeof tm.postTaskmanagementWorkitemsQuery>[0])
    ).pipe(
      Effect.flatMap(decodeResponse(WorkitemQueryPage, "queryWorkitems")),
      Effect.map((r) => ({
        entities: r.entities ?? [],
        ...(r.after !== undefined && r.after !== "" ? { after: r.after } : {})
      }))
    )
  }
  return {
    queryWorkitems: (typeId, filters, options) =>
      Effect.gen(function* () {
        const limit = options?.limit
        const out: Array<Workitem> = []
        let after: string | undefined
        for (let n = 0; n < 50; n++) {
          const r = yield* page(typeId, filters, limit === undefined ? 200 : limit - out.length, after)
          out.push(...r.entities)
          if (limit !== undefined && out.length >= limit) return out.slice(0, limit)
          if (r.after === undefined) break
          after = r.after
        }
        return out
      }),
    queryWorkitemsPage: (typeId, filters, options) => page(typeId, filters, options?.pageSize ?? 200, options?.after),
    getWorkitem: (id) =>
      call<unknown>("getWorkitem", () => tm.getTaskmanagementWorkitem(id)).pipe(
        Effect.flatMap(decodeResponse(WorkitemResponse, "getWorkitem"))
      ),
    // A create whose outcome is unknown (timeout, network error, 5xx) is not repeated blindly: the engine
    // looks the workitem up before trying again. A 429 or a credential failure (a failed login, a 401) was
    // refused outright, so it is retried here.
    createWorkitem: (body) =>
      call<unknown>(
        "createWorkitem",
        () => tm.postTaskmanagementWorkitems(body as unknown as Parameters<typeof tm.postTaskmanagementWorkitems>[0]),
        (e) => e.reason === "RateLimited" || e.credential || e.propagating === true,
        { scopes: [{ kind: "creates" }] }
      ).pipe(Effect.flatMap(decodeResponse(WorkitemResponse, "createWorkitem"))),
    updateWorkitem: (id, body) =>
      call<unknown>(
        "updateWorkitem",
        () =>
          tm.patchTaskmanagementWorkitem(id, body as unknown as Parameters<typeof tm.patchTaskmanagementWorkitem>[1]),
        (e) => e.transient,
        { scopes: [{ kind: "updates" }, { kind: "workitem", workitemId: id }], workitemId: id }
      ).pipe(Effect.flatMap(decodeResponse(WorkitemResponse, "updateWorkitem")))
  }
}
