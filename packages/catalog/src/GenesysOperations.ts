/**
 * Every Genesys API operation the sync service calls at run time, with the permission Genesys checks for it
 * (docs/genesys-api.md §2.1, §3). The service's Genesys client may call nothing else, and the integration role that
 * `infra/` provisions is derived from this list — so the role holds exactly what the service needs.
 */
export interface GenesysOperation {
  /** Method name on the official SDK's API class. */
  readonly sdkMethod: string
  readonly sdkClass: "TaskManagementApi"
  readonly httpMethod: "GET" | "POST" | "PATCH"
  readonly path: string
  /** The permission (`domain:entity:action`) this operation needs. */
  readonly permission: string
  /** Why the service calls it. */
  readonly purpose: string
}

export const SERVICE_OPERATIONS = {
  getWorktype: {
    sdkClass: "TaskManagementApi",
    sdkMethod: "getTaskmanagementWorktype",
    httpMethod: "GET",
    path: "/api/v2/taskmanagement/worktypes/{worktypeId}",
    permission: "workitems:worktype:view",
    purpose: "readiness check; resolve the worktype's default workbin and statuses"
  },
  queryWorktypes: {
    sdkClass: "TaskManagementApi",
    sdkMethod: "postTaskmanagementWorktypesQuery",
    httpMethod: "POST",
    path: "/api/v2/taskmanagement/worktypes/query",
    permission: "workitems:worktype:view",
    purpose: "find the worktype by name when only its name is configured"
  },
  getWorktypeStatuses: {
    sdkClass: "TaskManagementApi",
    sdkMethod: "getTaskmanagementWorktypeStatuses",
    httpMethod: "GET",
    path: "/api/v2/taskmanagement/worktypes/{worktypeId}/statuses",
    permission: "workitems:status:view",
    purpose: "the status ids and the transition graph"
  },
  queryWorkitems: {
    sdkClass: "TaskManagementApi",
    sdkMethod: "postTaskmanagementWorkitemsQuery",
    httpMethod: "POST",
    path: "/api/v2/taskmanagement/workitems/query",
    permission: "workitems:workitem:view",
    purpose:
      "find a ticket's workitem when the link store has none (crash repair, no duplicates); the write-back reconciliation's workitems modified since its cursor"
  },
  getWorkitem: {
    sdkClass: "TaskManagementApi",
    sdkMethod: "getTaskmanagementWorkitem",
    httpMethod: "GET",
    path: "/api/v2/taskmanagement/workitems/{workitemId}",
    permission: "workitems:workitem:view",
    purpose: "read the current status before a status transition"
  },
  createWorkitem: {
    sdkClass: "TaskManagementApi",
    sdkMethod: "postTaskmanagementWorkitems",
    httpMethod: "POST",
    path: "/api/v2/taskmanagement/workitems",
    permission: "workitems:workitem:add",
    purpose: "create the workitem of a new ticket"
  },
  updateWorkitem: {
    sdkClass: "TaskManagementApi",
    sdkMethod: "patchTaskmanagementWorkitem",
    httpMethod: "PATCH",
    path: "/api/v2/taskmanagement/workitems/{workitemId}",
    permission: "workitems:workitem:edit",
    purpose: "apply a ticket change (minimal PATCH)"
  },
  createBulkAddJob: {
    sdkClass: "TaskManagementApi",
    sdkMethod: "postTaskmanagementWorkitemsBulkAddJobs",
    httpMethod: "POST",
    path: "/api/v2/taskmanagement/workitems/bulk/add/jobs",
    permission: "workitems:bulkAddJob:add",
    purpose: "backfill: submit up to 50 new workitems as one bulk add job (docs/genesys-api.md §2.12)"
  },
  queueBulkAddJob: {
    sdkClass: "TaskManagementApi",
    sdkMethod: "patchTaskmanagementWorkitemsBulkAddJob",
    httpMethod: "PATCH",
    path: "/api/v2/taskmanagement/workitems/bulk/add/jobs/{bulkJobId}",
    permission: "workitems:bulkAddJob:edit",
    purpose: "backfill: start the job (state Queued); a new job waits Idle until then"
  },
  getBulkAddJob: {
    sdkClass: "TaskManagementApi",
    sdkMethod: "getTaskmanagementWorkitemsBulkAddJob",
    httpMethod: "GET",
    path: "/api/v2/taskmanagement/workitems/bulk/add/jobs/{bulkJobId}",
    permission: "workitems:bulkAddJob:view",
    purpose: "backfill: poll the job until it has finished"
  },
  getBulkAddJobResults: {
    sdkClass: "TaskManagementApi",
    sdkMethod: "getTaskmanagementWorkitemsBulkAddJobResults",
    httpMethod: "GET",
    path: "/api/v2/taskmanagement/workitems/bulk/add/jobs/{bulkJobId}/results",
    permission: "workitems:bulkAddJobResults:view",
    purpose: "backfill: each entity's created workitem id or error, to write the links"
  }
} as const satisfies Record<string, GenesysOperation>

export type ServiceOperationName = keyof typeof SERVICE_OPERATIONS

/** The distinct permissions the service needs, sorted. */
export const servicePermissions = (): ReadonlyArray<string> =>
  [...new Set(Object.values(SERVICE_OPERATIONS).map((op) => op.permission))].sort()
