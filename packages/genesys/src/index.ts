/**
 * @workbridge/genesys: the Genesys Cloud client over the official SDK (`Genesys` service and layer, its rate budget
 * port and telemetry port), `GenesysError`, the response schemas and branded ids, and the one provisioner of the
 * Genesys side (`provisionWith` and its SDK steps; `provision` for the bundled emulator).
 */
export * from "./GenesysError.js"
export {
  BULK_ADD_PER_JOB,
  Genesys,
  layer as genesysLayer,
  make as makeGenesys,
  makeSdkClient,
  rateLimitScope,
  retrySchedule,
  toGenesysError
} from "./Genesys.js"
export type {
  BulkAddItemResult,
  BulkAddOptions,
  GenesysClientOptions,
  GenesysService,
  LongPause,
  PermissionWait,
  QueryFilter,
  Workitem,
  WorkitemPage,
  WorktypeInfo,
  WorktypeStatus
} from "./Genesys.js"
export {
  BUDGET_WINDOW_MS,
  RateBudget,
  TOKEN_SCOPE,
  arrivalBucket,
  layerMemory as rateBudgetLayerMemory,
  makeMemory as makeMemoryRateBudget,
  monotonicMs,
  scopeKey,
  withFreshToken
} from "./RateBudget.js"
export type {
  ArrivalBucket,
  BudgetToken,
  InFlightAllowance,
  PauseScope,
  PauseScopeKind,
  RateBudgetService,
  TokenBucketOptions
} from "./RateBudget.js"
export * from "./Telemetry.js"
export * from "./statuses.js"
export * from "./Provision.js"
export * from "./WriteBackChain.js"
export {
  BulkJobCreated,
  BulkJobResults,
  BulkJobState,
  decodeResponse,
  describeIssues,
  StatusId,
  StatusListing,
  TicketKey,
  WorkitemId,
  WorkitemQueryPage,
  WorkitemResponse,
  WorktypeId,
  WorktypeListing,
  WorktypeResponse
} from "./Responses.js"
