/**
 * Integration credential (docs/genesys-api.md §5.1), over `IntegrationsApi`:
 * - create → `postIntegrationsCredentials({ body: { name, type: { name: type }, credentialFields } })`
 * - read   → `getIntegrationsCredential(id)` (name and type; the field values are not compared)
 * - update → `putIntegrationsCredential(id, { body: { name, type, credentialFields } })` (in place)
 * - delete → `deleteIntegrationsCredential(id)` (404 counts as deleted)
 * - replace when `type` changes. `credentialFields` are secret inputs and outputs.
 */
import * as pulumi from "@pulumi/pulumi"
import type { SdkTarget } from "./sdk.js"
import { call, changedKeys, checkTarget, connect, deleteIgnoringMissing, diffResult } from "./sdk.js"

export type CredentialType = "basicAuth" | "userDefined" | "userDefinedOAuth" | "pureCloudOAuthClient"

export interface IntegrationCredentialArgs {
  readonly connection: pulumi.Input<SdkTarget>
  readonly name: pulumi.Input<string>
  readonly type: pulumi.Input<CredentialType>
  /** e.g. basicAuth `{ userName, password }`. */
  readonly credentialFields: pulumi.Input<Record<string, pulumi.Input<string>>>
}

export interface IntegrationCredentialInputs {
  readonly connection: SdkTarget
  readonly name: string
  readonly type: CredentialType
  readonly credentialFields: Readonly<Record<string, string>>
}

export interface IntegrationCredentialOutputs extends IntegrationCredentialInputs {
  readonly credentialId: string
}

const TYPES: ReadonlyArray<string> = ["basicAuth", "userDefined", "userDefinedOAuth", "pureCloudOAuthClient"]

/** Check the inputs; the message names the bad field (never its value). */
export function checkCredentialInputs(inputs: IntegrationCredentialInputs): IntegrationCredentialInputs {
  checkTarget(inputs.connection)
  if (typeof inputs.name !== "string" || inputs.name.trim() === "") throw new Error("credential.name: missing")
  if (!TYPES.includes(inputs.type))
    throw new Error(`credential.type: one of ${TYPES.join(", ")}, got ${JSON.stringify(inputs.type)}`)
  const fields = inputs.credentialFields
  if (fields === null || typeof fields !== "object") throw new Error("credential.credentialFields: must be an object")
  for (const [k, v] of Object.entries(fields)) {
    if (typeof v !== "string" || v === "")
      throw new Error(`credential.credentialFields.${k}: must be a non-empty string`)
  }
  if (inputs.type === "basicAuth") {
    for (const k of ["userName", "password"]) {
      if (!(k in fields)) throw new Error(`credential.credentialFields.${k}: required for basicAuth`)
    }
  }
  return inputs
}

const body = (inputs: IntegrationCredentialInputs) => ({
  name: inputs.name,
  type: { name: inputs.type },
  credentialFields: { ...inputs.credentialFields }
})

export const integrationCredentialProvider = {
  async create(inputs: IntegrationCredentialInputs) {
    checkCredentialInputs(inputs)
    const s = await connect(inputs.connection)
    const created = await call<{ id: string }>("postIntegrationsCredentials", () =>
      s.integrations.postIntegrationsCredentials({ body: body(inputs) } as never)
    )
    return { id: created.id, outs: { ...inputs, credentialId: created.id } satisfies IntegrationCredentialOutputs }
  },

  async read(id: string, props: IntegrationCredentialOutputs) {
    const s = await connect(props.connection)
    const c = await call<{ id: string; name: string; type?: { name?: string } }>("getIntegrationsCredential", () =>
      s.integrations.getIntegrationsCredential(id)
    )
    const outs: IntegrationCredentialOutputs = {
      ...props,
      credentialId: c.id,
      name: c.name,
      type: (c.type?.name ?? props.type) as CredentialType
    }
    return { id: c.id, props: outs }
  },

  async diff(_id: string, olds: IntegrationCredentialOutputs, news: IntegrationCredentialInputs) {
    return diffResult(changedKeys(olds, news, ["name", "credentialFields", "type"]), ["type"])
  },

  async update(id: string, _olds: IntegrationCredentialOutputs, news: IntegrationCredentialInputs) {
    checkCredentialInputs(news)
    const s = await connect(news.connection)
    await call("putIntegrationsCredential", () =>
      s.integrations.putIntegrationsCredential(id, { body: body(news) } as never)
    )
    return { outs: { ...news, credentialId: id } satisfies IntegrationCredentialOutputs }
  },

  async delete(id: string, props: IntegrationCredentialOutputs) {
    const s = await connect(props.connection)
    await deleteIgnoringMissing("deleteIntegrationsCredential", () => s.integrations.deleteIntegrationsCredential(id))
  }
} satisfies pulumi.dynamic.ResourceProvider

/** A credential an integration uses to call the service (e.g. basic auth). */
export class IntegrationCredential extends pulumi.dynamic.Resource {
  declare public readonly credentialId: pulumi.Output<string>

  constructor(name: string, args: IntegrationCredentialArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      integrationCredentialProvider,
      name,
      {
        credentialId: undefined,
        ...args,
        connection: pulumi.secret(args.connection),
        credentialFields: pulumi.secret(args.credentialFields)
      },
      { ...opts, additionalSecretOutputs: ["connection", "credentialFields"] },
      "workbridge",
      "IntegrationCredential"
    )
  }
}
