export * from "./Adapter.js"
export { zendesk, zendeskSignature, ZENDESK_STATUS, ZENDESK_PRIORITY, ZENDESK_TYPE } from "./Zendesk.js"
export {
  servicenow,
  SERVICENOW_STATE,
  SERVICENOW_PRIORITY,
  SERVICENOW_PRIORITY_MATRIX,
  SERVICENOW_TABLE,
  SERVICENOW_CATEGORY_SKILL,
  SERVICENOW_RECORD_FIELDS
} from "./ServiceNow.js"
export { jira, adfToText, JIRA_STATUS_CATEGORY, JIRA_PRIORITY, JIRA_ISSUE_TYPE } from "./Jira.js"
export { freshdesk, FRESHDESK_STATUS, FRESHDESK_PRIORITY, FRESHDESK_TYPE } from "./Freshdesk.js"
export { github, GITHUB_STATE, GITHUB_PRIORITY_LABEL, GITHUB_CATEGORY_LABEL } from "./GitHub.js"
export { generic, makeGenericAdapter, genericSignature, DEFAULT_SIGNATURE_HEADER } from "./Generic.js"
export type { GenericMapping, GenericAdapterOptions } from "./Generic.js"
export { sign } from "./sign.js"
export { adapters, adapterFor } from "./adapters.js"
export type { BuiltInSource } from "./adapters.js"
export { synthesize, SYNTHETIC_STATUSES } from "./synthesize.js"
export type { SyntheticTicket, SyntheticDelivery, SyntheticSource } from "./synthesize.js"
export { constantTimeEqual, digestsEqual } from "./compare.js"
export { parseInstant } from "./internal/decode.js"
export type { Instant } from "./internal/decode.js"
export { sourceVariable, sourceEnvSuffix } from "./envNames.js"
export { valuesReadFrom, vendorStatusFor } from "./vendorStatus.js"
