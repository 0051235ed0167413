/**
 * Process Automation trigger (the SDK's `CreateTriggerRequest` / `UpdateTriggerRequest`), over
 * `ProcessAutomationApi`, as CX as Code's `genesyscloud_processautomation_trigger` does:
 * - create → `getProcessautomationTriggers({ topicName })` first (cursor pages): a trigger of that name on that topic
 *            is adopted, and updated when it differs; else `postProcessautomationTriggers(body)`
 * - read   → `getProcessautomationTrigger(id)`
 * - update → `getProcessautomationTrigger(id)` for the current `version`, then `putProcessautomationTrigger(id,
 *            { …, version })` — in place; both again on a version conflict (CX as Code: `RetryWhen(IsVersionMismatch)`)
 * - delete → `deleteProcessautomationTrigger(id)` (404 counts as deleted)
 * Every field can change in place. `target` and `matchCriteria` are compared whole (key order ignored).
 */
import * as pulumi from "@pulumi/pulumi"
import type { SdkTarget, Session } from "./sdk.js"
import {
  call,
  changedKeys,
  checkTarget,
  connect,
  deleteIgnoringMissing,
  diffResult,
  projectOnto,
  retrying,
  stableJson
} from "./sdk.js"

export interface TriggerTargetSpec {
  readonly type: string
  readonly id: string
  readonly workflowTargetSettings?: { readonly dataFormat: string }
}

export interface TriggerCriterion {
  readonly jsonPath: string
  readonly operator: string
  readonly value?: unknown
  readonly values?: ReadonlyArray<unknown>
}

export interface ProcessAutomationTriggerArgs {
  readonly connection: pulumi.Input<SdkTarget>
  readonly name: pulumi.Input<string>
  readonly description?: pulumi.Input<string>
  readonly topicName: pulumi.Input<string>
  readonly enabled: pulumi.Input<boolean>
  readonly target: pulumi.Input<TriggerTargetSpec>
  readonly matchCriteria: pulumi.Input<ReadonlyArray<pulumi.Input<TriggerCriterion>>>
}

export interface ProcessAutomationTriggerInputs {
  readonly connection: SdkTarget
  readonly name: string
  readonly description?: string
  readonly topicName: string
  readonly enabled: boolean
  readonly target: TriggerTargetSpec
  readonly matchCriteria: ReadonlyArray<TriggerCriterion>
}

export interface ProcessAutomationTriggerOutputs extends ProcessAutomationTriggerInputs {
  readonly triggerId: string
}

interface TriggerBody {
  id: string
  name: string
  description?: string
  topicName: string
  enabled: boolean
  target: TriggerTargetSpec
  matchCriteria?: Array<TriggerCriterion>
  version?: number
}

const FIELDS = ["name", "description", "topicName", "enabled", "target", "matchCriteria"] as const

/** Check the inputs; the message names the bad field. */
export function checkTriggerInputs(inputs: ProcessAutomationTriggerInputs): ProcessAutomationTriggerInputs {
  checkTarget(inputs.connection)
  for (const key of ["name", "topicName"] as const) {
    const v = inputs[key]
    if (typeof v !== "string" || v.trim() === "" || v.length > 256) {
      throw new Error(`trigger.${key}: must be 1-256 characters, got ${JSON.stringify(v)}`)
    }
  }
  if (typeof inputs.enabled !== "boolean") throw new Error("trigger.enabled: must be a boolean")
  if (typeof inputs.target?.type !== "string" || typeof inputs.target.id !== "string" || inputs.target.id === "") {
    throw new Error("trigger.target: needs a type and an id")
  }
  if (!Array.isArray(inputs.matchCriteria)) throw new Error("trigger.matchCriteria: must be a list")
  inputs.matchCriteria.forEach((c, i) => {
    if (typeof c?.jsonPath !== "string" || c.jsonPath === "")
      throw new Error(`trigger.matchCriteria[${i}].jsonPath: missing`)
    if (typeof c.operator !== "string" || c.operator === "")
      throw new Error(`trigger.matchCriteria[${i}].operator: missing`)
  })
  return inputs
}

/** The request body: the declared fields (never the connection). */
const requestBody = (inputs: ProcessAutomationTriggerInputs) => ({
  name: inputs.name,
  ...(inputs.description === undefined ? {} : { description: inputs.description }),
  topicName: inputs.topicName,
  enabled: inputs.enabled,
  target: inputs.target,
  matchCriteria: inputs.matchCriteria
})

/** PUT the declared trigger with the version Genesys holds now; both again on a version conflict. */
async function putTrigger(s: Session, id: string, inputs: ProcessAutomationTriggerInputs): Promise<void> {
  await retrying(["versionConflict"], async () => {
    const current = await call<TriggerBody>("getProcessautomationTrigger", () =>
      s.processAutomation.getProcessautomationTrigger(id)
    )
    await call("putProcessautomationTrigger", () =>
      s.processAutomation.putProcessautomationTrigger(id, {
        ...requestBody(inputs),
        version: current.version ?? 1
      } as never)
    )
  })
}

/** The trigger of that name on that topic, if any (the listing pages with an `after` cursor in `nextUri`). */
async function findByName(s: Session, topicName: string, name: string): Promise<TriggerBody | undefined> {
  let after: string | undefined
  for (let page = 0; page < 50; page++) {
    const listing = await call<{ entities?: Array<TriggerBody>; nextUri?: string }>(
      "getProcessautomationTriggers",
      () =>
        s.processAutomation.getProcessautomationTriggers({
          topicName,
          pageSize: "100",
          ...(after === undefined ? {} : { after })
        })
    )
    const found = (listing.entities ?? []).find((t) => t.name === name)
    if (found !== undefined) return found
    const next =
      typeof listing.nextUri === "string" ? new URL(listing.nextUri, "http://genesys").searchParams.get("after") : null
    if (next === null || next === "") return undefined
    after = next
  }
  return undefined
}

export const processAutomationTriggerProvider = {
  async create(inputs: ProcessAutomationTriggerInputs) {
    checkTriggerInputs(inputs)
    const s = await connect(inputs.connection)
    const existing = await findByName(s, inputs.topicName, inputs.name)
    if (existing !== undefined) {
      const body = requestBody(inputs) as Record<string, unknown>
      const differs = FIELDS.some(
        (f) => stableJson((existing as unknown as Record<string, unknown>)[f]) !== stableJson(body[f])
      )
      if (differs) await putTrigger(s, existing.id, inputs)
      return { id: existing.id, outs: { ...inputs, triggerId: existing.id } satisfies ProcessAutomationTriggerOutputs }
    }
    const created = await call<TriggerBody>("postProcessautomationTriggers", () =>
      s.processAutomation.postProcessautomationTriggers(requestBody(inputs) as never)
    )
    return { id: created.id, outs: { ...inputs, triggerId: created.id } satisfies ProcessAutomationTriggerOutputs }
  },

  async read(id: string, props: ProcessAutomationTriggerOutputs) {
    const s = await connect(props.connection)
    const t = await call<TriggerBody>("getProcessautomationTrigger", () =>
      s.processAutomation.getProcessautomationTrigger(id)
    )
    const outs: ProcessAutomationTriggerOutputs = {
      ...props,
      triggerId: t.id,
      name: t.name,
      topicName: t.topicName,
      enabled: t.enabled,
      target: projectOnto(t.target, props.target, 2) as TriggerTargetSpec,
      matchCriteria: t.matchCriteria ?? []
    }
    if (t.description === undefined || t.description === "") delete (outs as { description?: string }).description
    else (outs as { description?: string }).description = t.description
    return { id: t.id, props: outs }
  },

  async diff(_id: string, olds: ProcessAutomationTriggerOutputs, news: ProcessAutomationTriggerInputs) {
    return diffResult(changedKeys(olds, news, [...FIELDS]), [])
  },

  async update(id: string, _olds: ProcessAutomationTriggerOutputs, news: ProcessAutomationTriggerInputs) {
    checkTriggerInputs(news)
    const s = await connect(news.connection)
    await putTrigger(s, id, news)
    return { outs: { ...news, triggerId: id } satisfies ProcessAutomationTriggerOutputs }
  },

  async delete(id: string, props: ProcessAutomationTriggerOutputs) {
    const s = await connect(props.connection)
    await deleteIgnoringMissing("deleteProcessautomationTrigger", () =>
      s.processAutomation.deleteProcessautomationTrigger(id)
    )
  }
} satisfies pulumi.dynamic.ResourceProvider

/** A Process Automation trigger: events on `topicName` matching every criterion start the target. */
export class ProcessAutomationTrigger extends pulumi.dynamic.Resource {
  declare public readonly triggerId: pulumi.Output<string>

  constructor(name: string, args: ProcessAutomationTriggerArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      processAutomationTriggerProvider,
      name,
      { triggerId: undefined, ...args, connection: pulumi.secret(args.connection) },
      { ...opts, additionalSecretOutputs: ["connection"] },
      "workbridge",
      "ProcessAutomationTrigger"
    )
  }
}
