import type { Adapter } from "./Adapter.js"
import { freshdesk } from "./Freshdesk.js"
import { generic } from "./Generic.js"
import { github } from "./GitHub.js"
import { jira } from "./Jira.js"
import { servicenow } from "./ServiceNow.js"
import { zendesk } from "./Zendesk.js"

export type BuiltInSource = "zendesk" | "servicenow" | "jira" | "freshdesk" | "github" | "generic"

/** The built-in adapters, by source name (`POST /webhooks/:source`). */
export const adapters: Readonly<Record<BuiltInSource, Adapter>> = {
  zendesk,
  servicenow,
  jira,
  freshdesk,
  github,
  generic
}

/** The adapter of a source name from a URL, or undefined (own properties only: `constructor` is not a source). */
export const adapterFor = (source: string): Adapter | undefined =>
  Object.hasOwn(adapters, source) ? adapters[source as BuiltInSource] : undefined
