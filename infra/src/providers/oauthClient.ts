/**
 * OAuth client with the client-credentials grant and one role grant (docs/genesys-api.md §4), over `OAuthApi` and
 * `AuthorizationApi`:
 * - create → `getAuthorizationDivisionsHome()` when no division is given, then
 *            `postOauthClients({ name, authorizedGrantType: "CLIENT-CREDENTIALS", roleDivisions, … })`; the secret is
 *            read from that response (or `getOauthClient(id)` when empty) and kept as a secret output — it cannot be
 *            read back later, so `read` and `update` carry it over from state
 * - read   → `getOauthClient(id)`
 * - update → `putOauthClient(id, { … })` (in place; the secret does not change)
 * - delete → `deleteOauthClient(id)` (404 counts as deleted)
 */
import * as pulumi from "@pulumi/pulumi"
import type { SdkTarget } from "./sdk.js"
import { call, changedKeys, checkTarget, connect, deleteIgnoringMissing, diffResult } from "./sdk.js"

export interface OAuthClientArgs {
  readonly connection: pulumi.Input<SdkTarget>
  readonly name: pulumi.Input<string>
  readonly description?: pulumi.Input<string>
  readonly roleId: pulumi.Input<string>
  /** Division of the role grant; default: the org's home division. */
  readonly divisionId?: pulumi.Input<string>
  /** 300-172800; default 86400 (Genesys's default). */
  readonly accessTokenValiditySeconds?: pulumi.Input<number>
}

export interface OAuthClientInputs {
  readonly connection: SdkTarget
  readonly name: string
  readonly description?: string
  readonly roleId: string
  readonly divisionId?: string
  readonly accessTokenValiditySeconds?: number
}

export interface OAuthClientOutputs extends OAuthClientInputs {
  readonly clientId: string
  readonly clientSecret: string
  /** The division the role was granted in (resolved at creation). */
  readonly grantedDivisionId: string
}

interface ClientBody {
  id: string
  name: string
  description?: string
  secret?: string
  accessTokenValiditySeconds?: number
  roleDivisions?: Array<{ roleId: string; divisionId: string }>
}

/** Check the inputs; the message names the bad field. */
export function checkOAuthClientInputs(inputs: OAuthClientInputs): OAuthClientInputs {
  checkTarget(inputs.connection)
  if (typeof inputs.name !== "string" || inputs.name.trim() === "" || inputs.name.length > 256) {
    throw new Error(`oauthClient.name: must be 1-256 characters, got ${JSON.stringify(inputs.name)}`)
  }
  if (typeof inputs.roleId !== "string" || inputs.roleId === "") throw new Error("oauthClient.roleId: missing")
  const v = inputs.accessTokenValiditySeconds
  if (v !== undefined && (!Number.isInteger(v) || v < 300 || v > 172800)) {
    throw new Error(`oauthClient.accessTokenValiditySeconds: an integer in 300..172800, got ${v}`)
  }
  return inputs
}

const request = (inputs: OAuthClientInputs, divisionId: string) => ({
  name: inputs.name,
  description: inputs.description ?? "",
  authorizedGrantType: "CLIENT-CREDENTIALS",
  accessTokenValiditySeconds: inputs.accessTokenValiditySeconds ?? 86400,
  roleDivisions: [{ roleId: inputs.roleId, divisionId }]
})

export const oauthClientProvider = {
  async create(inputs: OAuthClientInputs) {
    checkOAuthClientInputs(inputs)
    const s = await connect(inputs.connection)
    const divisionId =
      inputs.divisionId ??
      (
        await call<{ id: string }>("getAuthorizationDivisionsHome", () =>
          s.authorization.getAuthorizationDivisionsHome()
        )
      ).id
    const created = await call<ClientBody>("postOauthClients", () =>
      s.oauth.postOauthClients(request(inputs, divisionId) as never)
    )
    let secret = created.secret
    if (secret === undefined || secret === "") {
      secret = (await call<ClientBody>("getOauthClient", () => s.oauth.getOauthClient(created.id))).secret
    }
    if (secret === undefined || secret === "") {
      throw new Error(`postOauthClients: client ${created.id} was created but Genesys returned no secret`)
    }
    const outs: OAuthClientOutputs = {
      ...inputs,
      clientId: created.id,
      clientSecret: secret,
      grantedDivisionId: divisionId
    }
    return { id: created.id, outs }
  },

  async read(id: string, props: OAuthClientOutputs) {
    const s = await connect(props.connection)
    const c = await call<ClientBody>("getOauthClient", () => s.oauth.getOauthClient(id))
    const grant = c.roleDivisions?.[0]
    const outs: OAuthClientOutputs = {
      ...props,
      clientId: c.id,
      name: c.name,
      roleId: grant?.roleId ?? "",
      grantedDivisionId: grant?.divisionId ?? "",
      ...(c.description === undefined || c.description === "" ? {} : { description: c.description }),
      ...(props.accessTokenValiditySeconds === undefined || c.accessTokenValiditySeconds === undefined
        ? {}
        : { accessTokenValiditySeconds: c.accessTokenValiditySeconds })
    }
    return { id: c.id, props: outs }
  },

  async diff(_id: string, olds: OAuthClientOutputs, news: OAuthClientInputs) {
    const keys = ["name", "description", "roleId", "accessTokenValiditySeconds"]
    const changed = changedKeys(olds, news, keys)
    if (news.divisionId !== undefined && news.divisionId !== olds.grantedDivisionId) changed.push("divisionId")
    return diffResult(changed, [])
  },

  async update(id: string, olds: OAuthClientOutputs, news: OAuthClientInputs) {
    checkOAuthClientInputs(news)
    const s = await connect(news.connection)
    const divisionId = news.divisionId ?? olds.grantedDivisionId
    await call("putOauthClient", () => s.oauth.putOauthClient(id, request(news, divisionId) as never))
    const outs: OAuthClientOutputs = {
      ...news,
      clientId: id,
      clientSecret: olds.clientSecret,
      grantedDivisionId: divisionId
    }
    return { outs }
  },

  async delete(id: string, props: OAuthClientOutputs) {
    const s = await connect(props.connection)
    await deleteIgnoringMissing("deleteOauthClient", () => s.oauth.deleteOauthClient(id))
  }
} satisfies pulumi.dynamic.ResourceProvider

/** A client-credentials OAuth client granted one role; `clientSecret` is a secret output. */
export class OAuthClient extends pulumi.dynamic.Resource {
  declare public readonly clientId: pulumi.Output<string>
  declare public readonly clientSecret: pulumi.Output<string>

  constructor(name: string, args: OAuthClientArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      oauthClientProvider,
      name,
      {
        clientId: undefined,
        clientSecret: undefined,
        grantedDivisionId: undefined,
        ...args,
        connection: pulumi.secret(args.connection)
      },
      { ...opts, additionalSecretOutputs: ["connection", "clientSecret"] },
      "workbridge",
      "OAuthClient"
    )
  }
}
