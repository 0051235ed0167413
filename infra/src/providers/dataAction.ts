/**
 * Data Action (docs/genesys-api.md §5.2), published, over `IntegrationsApi`:
 * - create → `postIntegrationsActions({ name, category, integrationId, secure, contract, config })` (published)
 * - read   → `getIntegrationsAction(id, { expand: "contract", includeConfig: true })`
 * - update → `getIntegrationsAction(id)` for the current version, then
 *            `patchIntegrationsAction(id, { name, category, config, version })` — in place; both again on a version
 *            conflict (409/408, or 400 "does not match the current version"), as CX as Code does
 * - delete → `deleteIntegrationsAction(id)` (404 counts as deleted)
 * - replace (delete first: action names are unique) when the `contract` changes — Genesys cannot change a published
 *   contract, and CX as Code marks `contract_input`/`contract_output` ForceNew — and when `secure` (also ForceNew
 *   there, and not in `UpdateActionInput`) or `integrationId` changes.
 * `read` keeps of the server's `contract` and `config` only what the program sets, two levels deep (the input and
 * output schemas, and each `config.request`/`config.response` member, are compared whole, as CX as Code compares
 * `contract_input`, `contract_output` and the config attributes), and `diff` ignores key order.
 */
import * as pulumi from "@pulumi/pulumi"
import type { SdkTarget } from "./sdk.js"
import {
  call,
  changedKeys,
  checkTarget,
  connect,
  deleteIgnoringMissing,
  diffResult,
  projectOnto,
  retrying
} from "./sdk.js"

/** `contract.input.inputSchema` and `contract.output.successSchema` (JSON Schema). */
export interface DataActionContract {
  readonly input: { readonly inputSchema: object }
  readonly output: { readonly successSchema: object }
}

/** `config.request` / `config.response` templates, optional `timeoutSeconds` (1-60). */
export interface DataActionConfig {
  readonly request: object
  readonly response: object
  readonly timeoutSeconds?: number
}

export interface DataActionArgs {
  readonly connection: pulumi.Input<SdkTarget>
  readonly integrationId: pulumi.Input<string>
  readonly name: pulumi.Input<string>
  readonly category: pulumi.Input<string>
  readonly contract: pulumi.Input<DataActionContract>
  readonly config: pulumi.Input<DataActionConfig>
  /** Written explicitly, `false` included. Default false. */
  readonly secure?: pulumi.Input<boolean>
}

export interface DataActionInputs {
  readonly connection: SdkTarget
  readonly integrationId: string
  readonly name: string
  readonly category: string
  readonly contract: DataActionContract
  readonly config: DataActionConfig
  readonly secure?: boolean
}

export interface DataActionOutputs extends DataActionInputs {
  readonly actionId: string
}

interface ActionBody {
  id: string
  name: string
  category: string
  integrationId?: string
  secure?: boolean
  version?: number
  contract?: DataActionContract
  config?: DataActionConfig
}

/** Check the inputs; the message names the bad field. */
export function checkDataActionInputs(inputs: DataActionInputs): DataActionInputs {
  checkTarget(inputs.connection)
  if (typeof inputs.integrationId !== "string" || inputs.integrationId === "")
    throw new Error("dataAction.integrationId: missing")
  for (const key of ["name", "category"] as const) {
    const v = inputs[key]
    if (typeof v !== "string" || v.trim() === "" || v.length > 256) {
      throw new Error(`dataAction.${key}: must be 1-256 characters, got ${JSON.stringify(v)}`)
    }
  }
  const c = inputs.contract
  if (c?.input?.inputSchema === undefined || typeof c.input.inputSchema !== "object") {
    throw new Error("dataAction.contract.input.inputSchema: must be a JSON Schema object")
  }
  if (c.output?.successSchema === undefined || typeof c.output.successSchema !== "object") {
    throw new Error("dataAction.contract.output.successSchema: must be a JSON Schema object")
  }
  // Genesys takes only a flat "simple properties schema" as input, and draft-04 no empty `required`
  // (docs/genesys-api.md §8): refused here, before any call, naming the property.
  const input = c.input.inputSchema as { properties?: Record<string, { type?: unknown }>; required?: unknown }
  for (const [name, property] of Object.entries(input.properties ?? {})) {
    const types = Array.isArray(property?.type) ? property.type : [property?.type]
    if (!types.every((t) => typeof t === "string" && ["boolean", "integer", "null", "number", "string"].includes(t))) {
      throw new Error(
        `dataAction.contract.input.inputSchema.properties.${name}.type: must be string, integer, number, boolean or null (Genesys allows no other input), got ${JSON.stringify(property?.type)}`
      )
    }
  }
  for (const [where, schema] of [
    ["input.inputSchema", c.input.inputSchema],
    ["output.successSchema", c.output.successSchema]
  ] as const) {
    const required = (schema as { required?: unknown }).required
    if (Array.isArray(required) && required.length === 0) {
      throw new Error(`dataAction.contract.${where}.required: must list at least one name, or be left out`)
    }
  }
  const cfg = inputs.config
  if (cfg?.request === undefined || typeof cfg.request !== "object")
    throw new Error("dataAction.config.request: must be an object")
  if (cfg.response === undefined || typeof cfg.response !== "object")
    throw new Error("dataAction.config.response: must be an object")
  const t = cfg.timeoutSeconds
  if (t !== undefined && (!Number.isInteger(t) || t < 1 || t > 60)) {
    throw new Error(`dataAction.config.timeoutSeconds: an integer in 1..60, got ${t}`)
  }
  return inputs
}

/** What a published action cannot change in place (see the header). */
const REPLACING = ["integrationId", "contract", "secure"]

export const dataActionProvider = {
  async create(inputs: DataActionInputs) {
    checkDataActionInputs(inputs)
    const s = await connect(inputs.connection)
    const created = await call<ActionBody>("postIntegrationsActions", () =>
      s.integrations.postIntegrationsActions({
        name: inputs.name,
        category: inputs.category,
        integrationId: inputs.integrationId,
        secure: inputs.secure ?? false,
        contract: inputs.contract,
        config: inputs.config
      } as never)
    )
    return { id: created.id, outs: { ...inputs, actionId: created.id } satisfies DataActionOutputs }
  },

  async read(id: string, props: DataActionOutputs) {
    const s = await connect(props.connection)
    const a = await call<ActionBody>("getIntegrationsAction", () =>
      s.integrations.getIntegrationsAction(id, { expand: "contract", includeConfig: true } as never)
    )
    const outs: DataActionOutputs = {
      ...props,
      actionId: a.id,
      name: a.name,
      category: a.category,
      ...(a.integrationId === undefined ? {} : { integrationId: a.integrationId }),
      ...(a.secure === undefined ? {} : { secure: a.secure }),
      ...(a.contract === undefined
        ? {}
        : { contract: projectOnto(a.contract, props.contract, 2) as DataActionContract }),
      ...(a.config === undefined ? {} : { config: projectOnto(a.config, props.config, 2) as DataActionConfig })
    }
    return { id: a.id, props: outs }
  },

  async diff(_id: string, olds: DataActionOutputs, news: DataActionInputs) {
    const norm = (v: DataActionInputs) => ({ ...v, secure: v.secure ?? false })
    const keys = ["name", "category", "contract", "config", "secure", "integrationId"]
    return diffResult(changedKeys(norm(olds), norm(news), keys), REPLACING, true)
  },

  async update(id: string, _olds: DataActionOutputs, news: DataActionInputs) {
    checkDataActionInputs(news)
    const s = await connect(news.connection)
    await retrying(["versionConflict"], async () => {
      const current = await call<ActionBody>("getIntegrationsAction", () => s.integrations.getIntegrationsAction(id))
      await call<ActionBody>("patchIntegrationsAction", () =>
        s.integrations.patchIntegrationsAction(id, {
          name: news.name,
          category: news.category,
          config: news.config,
          version: current.version ?? 1
        } as never)
      )
    })
    return { outs: { ...news, actionId: id } satisfies DataActionOutputs }
  },

  async delete(id: string, props: DataActionOutputs) {
    const s = await connect(props.connection)
    await deleteIgnoringMissing("deleteIntegrationsAction", () => s.integrations.deleteIntegrationsAction(id))
  }
} satisfies pulumi.dynamic.ResourceProvider

/** A published Data Action of an integration. */
export class DataAction extends pulumi.dynamic.Resource {
  declare public readonly actionId: pulumi.Output<string>

  constructor(name: string, args: DataActionArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      dataActionProvider,
      name,
      { actionId: undefined, ...args, connection: pulumi.secret(args.connection) },
      { ...opts, additionalSecretOutputs: ["connection"] },
      "workbridge",
      "DataAction"
    )
  }
}
