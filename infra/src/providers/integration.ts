/**
 * Integration (docs/genesys-api.md §5.1), by default `custom-rest-actions` ("Web Services Data Actions"), over `IntegrationsApi`:
 * - create → `postIntegrations({ body: { integrationType: { id }, name } })`, then
 *            `getIntegrationConfigCurrent(id)` + `putIntegrationConfigCurrent(id, { body: { …, version: current,
 *            credentials: { basicAuth: { id: credentialId } } } })`, then
 *            `patchIntegration(id, { body: { intendedState: "ENABLED" } })`
 * - read   → `getIntegration(id)` and `getIntegrationConfigCurrent(id)`
 * - update → config PUT with the version Genesys holds now (read again and retried on a version conflict), and the
 *            intended state
 * - delete → `deleteIntegration(id)` (404 counts as deleted)
 * - replace when `integrationType` changes.
 */
import * as pulumi from "@pulumi/pulumi"
import type { SdkTarget } from "./sdk.js"
import { call, changedKeys, checkTarget, connect, deleteIgnoringMissing, diffResult, retrying } from "./sdk.js"

export interface IntegrationArgs {
  readonly connection: pulumi.Input<SdkTarget>
  readonly name: pulumi.Input<string>
  readonly integrationType?: pulumi.Input<string>
  readonly notes?: pulumi.Input<string>
  /** Credential id, referenced in the config under `credentialKey` (default `basicAuth`). */
  readonly credentialId?: pulumi.Input<string>
  readonly credentialKey?: pulumi.Input<string>
  /** Written explicitly, `false` included. Default true. */
  readonly enabled?: pulumi.Input<boolean>
}

export interface IntegrationInputs {
  readonly connection: SdkTarget
  readonly name: string
  readonly integrationType?: string
  readonly notes?: string
  readonly credentialId?: string
  readonly credentialKey?: string
  readonly enabled?: boolean
}

export interface IntegrationOutputs extends IntegrationInputs {
  readonly integrationId: string
}

interface ConfigBody {
  name: string
  version: number
  notes?: string
  properties?: object
  advanced?: object
  credentials?: Record<string, { id: string }>
}

/** Check the inputs; the message names the bad field. */
export function checkIntegrationInputs(inputs: IntegrationInputs): IntegrationInputs {
  checkTarget(inputs.connection)
  if (typeof inputs.name !== "string" || inputs.name.trim() === "" || inputs.name.length > 256) {
    throw new Error(`integration.name: must be 1-256 characters, got ${JSON.stringify(inputs.name)}`)
  }
  if (inputs.enabled !== undefined && typeof inputs.enabled !== "boolean") {
    throw new Error("integration.enabled: must be a boolean")
  }
  return inputs
}

const configure = async (
  s: Awaited<ReturnType<typeof connect>>,
  id: string,
  inputs: IntegrationInputs
): Promise<void> => {
  const credentials: Record<string, { id: string }> = {}
  if (inputs.credentialId !== undefined) credentials[inputs.credentialKey ?? "basicAuth"] = { id: inputs.credentialId }
  // The config PUT needs the version Genesys holds now; a version conflict reads it again and retries.
  await retrying(["versionConflict"], async () => {
    const current = await call<ConfigBody>("getIntegrationConfigCurrent", () =>
      s.integrations.getIntegrationConfigCurrent(id)
    )
    await call("putIntegrationConfigCurrent", () =>
      s.integrations.putIntegrationConfigCurrent(id, {
        body: {
          name: inputs.name,
          notes: inputs.notes ?? "",
          version: current.version,
          properties: current.properties ?? {},
          advanced: current.advanced ?? {},
          credentials
        }
      } as never)
    )
  })
  await call("patchIntegration", () =>
    s.integrations.patchIntegration(id, {
      body: { intendedState: (inputs.enabled ?? true) ? "ENABLED" : "DISABLED" }
    } as never)
  )
}

export const integrationProvider = {
  async create(inputs: IntegrationInputs) {
    checkIntegrationInputs(inputs)
    const s = await connect(inputs.connection)
    const created = await call<{ id: string }>("postIntegrations", () =>
      s.integrations.postIntegrations({
        body: { integrationType: { id: inputs.integrationType ?? "custom-rest-actions" }, name: inputs.name }
      } as never)
    )
    await configure(s, created.id, inputs)
    return { id: created.id, outs: { ...inputs, integrationId: created.id } satisfies IntegrationOutputs }
  },

  async read(id: string, props: IntegrationOutputs) {
    const s = await connect(props.connection)
    const integ = await call<{ id: string; name: string; intendedState?: string; integrationType?: { id: string } }>(
      "getIntegration",
      () => s.integrations.getIntegration(id)
    )
    const config = await call<ConfigBody>("getIntegrationConfigCurrent", () =>
      s.integrations.getIntegrationConfigCurrent(id)
    )
    const key = props.credentialKey ?? "basicAuth"
    const credentialId = config.credentials?.[key]?.id
    const outs: IntegrationOutputs = {
      ...props,
      integrationId: integ.id,
      name: config.name ?? integ.name,
      ...(integ.integrationType === undefined ? {} : { integrationType: integ.integrationType.id }),
      ...(config.notes === undefined || config.notes === "" ? {} : { notes: config.notes }),
      ...(credentialId === undefined ? {} : { credentialId }),
      ...(integ.intendedState === undefined ? {} : { enabled: integ.intendedState === "ENABLED" })
    }
    if (credentialId === undefined) delete (outs as { credentialId?: string }).credentialId
    if (config.notes === undefined || config.notes === "") delete (outs as { notes?: string }).notes
    return { id: integ.id, props: outs }
  },

  async diff(_id: string, olds: IntegrationOutputs, news: IntegrationInputs) {
    const norm = (v: IntegrationInputs) => ({
      ...v,
      integrationType: v.integrationType ?? "custom-rest-actions",
      enabled: v.enabled ?? true,
      credentialKey: v.credentialKey ?? "basicAuth"
    })
    const keys = ["name", "notes", "credentialId", "credentialKey", "enabled", "integrationType"]
    return diffResult(changedKeys(norm(olds), norm(news), keys), ["integrationType"])
  },

  async update(id: string, _olds: IntegrationOutputs, news: IntegrationInputs) {
    checkIntegrationInputs(news)
    const s = await connect(news.connection)
    await configure(s, id, news)
    return { outs: { ...news, integrationId: id } satisfies IntegrationOutputs }
  },

  async delete(id: string, props: IntegrationOutputs) {
    const s = await connect(props.connection)
    await deleteIgnoringMissing("deleteIntegration", () => s.integrations.deleteIntegration(id))
  }
} satisfies pulumi.dynamic.ResourceProvider

/** A Genesys integration (Web Services Data Actions by default), configured with a credential and enabled. */
export class Integration extends pulumi.dynamic.Resource {
  declare public readonly integrationId: pulumi.Output<string>
  declare public readonly name: pulumi.Output<string>

  constructor(name: string, args: IntegrationArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      integrationProvider,
      name,
      { integrationId: undefined, ...args, connection: pulumi.secret(args.connection) },
      { ...opts, additionalSecretOutputs: ["connection"] },
      "workbridge",
      "Integration"
    )
  }
}
