export { makeDataActions, makeDataActionsRouter, DEFAULT_MAX_BODY_BYTES, DEFAULT_STATUS_TIMEOUT_MS } from "./router.js"
export type { DataActions, DataActionsRouterOptions } from "./router.js"
export {
  buildDataActionDefinitions,
  toPostActionInput,
  exportFileName,
  ACTION_NAMES,
  DATA_ACTION_PATHS,
  DATA_ACTIONS_MOUNT,
  DEFAULT_TIMEOUT_SECONDS,
  MAX_TIMEOUT_SECONDS
} from "@workbridge/data-actions"
export type {
  DataActionDefinition,
  DataActionDefinitionOptions,
  DataActionCredentialType
} from "@workbridge/data-actions"
export {
  normalizeTicketContract,
  ticketStatusContract,
  NORMALIZE_MARKERS,
  SOURCE_INPUT,
  unmappedFlag
} from "@workbridge/data-actions"
export type { ActionContract, FlatObjectSchema, JsonSchemaProperty } from "@workbridge/data-actions"
export { makeNormalizeTicketAction, UNMAPPED_VALUE_MAX_LENGTH } from "./normalizeTicket.js"
export type { NormalizeTicketAction, NormalizeTicketOutput } from "./normalizeTicket.js"
export type { TicketStatusInput, TicketStatusOutput } from "./ticketStatus.js"
export type { DataActionAuth } from "./auth.js"
export type { DataActionErrorBody, DataActionErrorCode, InputIssue } from "./errors.js"
export { makeDataActionApp } from "./standalone.js"
