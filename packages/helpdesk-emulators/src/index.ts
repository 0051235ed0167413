export { Core, prng } from "./internal/core.js"
export type { CoreOptions, Delivery, FaultRule, Running, WebhookOptions } from "./internal/core.js"
export { startZendeskEmulator } from "./Zendesk.js"
export type { ZendeskEmulator, ZendeskEmulatorOptions, ZendeskTicket } from "./Zendesk.js"
export { startGitHubEmulator } from "./GitHub.js"
export type { GitHubComment, GitHubEmulator, GitHubEmulatorOptions, GitHubIssue } from "./GitHub.js"
export { startFreshdeskEmulator } from "./Freshdesk.js"
export type {
  FreshdeskContact,
  FreshdeskEmulator,
  FreshdeskEmulatorOptions,
  FreshdeskNote,
  FreshdeskTicket
} from "./Freshdesk.js"
export { startServiceNowEmulator, parseQuery } from "./ServiceNow.js"
export type { Incident, ServiceNowEmulator, ServiceNowEmulatorOptions } from "./ServiceNow.js"
export { startJiraEmulator, parseJql, toAdf, fromAdf, jiraTime } from "./Jira.js"
export type { JiraComment, JiraEmulator, JiraEmulatorOptions, JiraHistory, JiraIssue } from "./Jira.js"
