/** Integrations, credentials and data actions (docs/genesys-api.md §5). Contracts and configs are stored exactly as sent. */
import { ApiError, badRequest, conflict, notFound } from "./errors.js"
import { type Ctx, type Route, noContent, ok, okOnePage } from "./route.js"
import type { Credential, DataAction, Integration, State } from "./State.js"
import {
  type Json,
  isObject,
  onlyKeys,
  optBool,
  optEnum,
  optInt,
  optString,
  reqString,
  requireBody
} from "./validate.js"

const INTEGRATION_TYPES = ["custom-rest-actions", "purecloud-data-actions"]
const CREDENTIAL_TYPES = ["basicAuth", "userDefined", "userDefinedOAuth", "pureCloudOAuthClient"]
/** Required credential fields by type. A Basic Auth password is optional (README, "Integrations"). */
const REQUIRED_CREDENTIAL_FIELDS: Record<string, ReadonlyArray<string>> = {
  basicAuth: ["userName"],
  pureCloudOAuthClient: ["clientId", "clientSecret"]
}
const I = "/api/v2/integrations"

const integrationJson = (i: Integration): Json => ({
  id: i.id,
  name: i.name,
  integrationType: { id: i.integrationTypeId, selfUri: `${I}/types/${i.integrationTypeId}` },
  ...(i.notes === undefined ? {} : { notes: i.notes }),
  intendedState: i.intendedState,
  config: {
    current: { id: i.id, name: i.config.name, version: i.config.version, selfUri: `${I}/${i.id}/config/current` }
  },
  reportedState: { code: i.intendedState === "ENABLED" ? "ACTIVE" : "DEACTIVATED" },
  attributes: {},
  selfUri: `${I}/${i.id}`
})

const configJson = (i: Integration): Json => ({
  id: i.id,
  name: i.config.name,
  version: i.config.version,
  properties: i.config.properties,
  advanced: i.config.advanced,
  notes: i.config.notes,
  credentials: i.config.credentials,
  selfUri: `${I}/${i.id}/config/current`
})

const getIntegration = (s: State, id: string): Integration => {
  const i = s.integrations.get(id)
  if (i === undefined) throw notFound("Integration", id)
  return i
}

/** Credential fields never leave the emulator: responses carry the credential's name and type only. */
const credentialJson = (c: Credential): Json => ({
  id: c.id,
  name: c.name,
  type: { name: c.typeName },
  createdDate: c.createdDate,
  modifiedDate: c.modifiedDate,
  selfUri: `${I}/credentials/${c.id}`
})

const getCredential = (s: State, id: string): Credential => {
  const c = s.credentials.get(id)
  if (c === undefined) throw notFound("Credential", id)
  return c
}

const parseCredential = (b: Json): { name: string; typeName: string; credentialFields: Record<string, string> } => {
  onlyKeys(b, ["id", "name", "type", "credentialFields", "selfUri"], "Credential")
  const name = reqString(b, "name", { min: 1, max: 256 })
  const type = b["type"]
  const typeName = isObject(type) ? type["name"] : undefined
  if (typeof typeName !== "string" || !CREDENTIAL_TYPES.includes(typeName))
    throw badRequest(`type.name must be one of ${CREDENTIAL_TYPES.join(", ")}`, "type.name")
  const fields = b["credentialFields"] ?? {}
  if (!isObject(fields) || Object.values(fields).some((v) => typeof v !== "string"))
    throw badRequest("credentialFields must map names to strings", "credentialFields")
  for (const k of REQUIRED_CREDENTIAL_FIELDS[typeName] ?? [])
    if (!(k in fields)) throw badRequest(`credentialFields.${k} is required for ${typeName}`, `credentialFields.${k}`)
  return { name, typeName, credentialFields: { ...(fields as Record<string, string>) } }
}

// --- actions ---

const actionJson = (a: DataAction): Json => ({
  id: a.id,
  name: a.name,
  integrationId: a.integrationId,
  category: a.category,
  contract: a.contract,
  version: a.version,
  secure: a.secure,
  config: a.config,
  selfUri: `${I}/actions/${a.id}`
})

const checkConfig = (config: unknown): Json => {
  if (!isObject(config)) throw badRequest("config is required", "config")
  const request = config["request"]
  if (!isObject(request)) throw badRequest("config.request is required", "config.request")
  if (typeof request["requestUrlTemplate"] !== "string" || request["requestUrlTemplate"] === "")
    throw badRequest("config.request.requestUrlTemplate is required", "config.request.requestUrlTemplate")
  const rt = request["requestType"]
  if (typeof rt !== "string" || !["GET", "PUT", "POST", "PATCH", "DELETE"].includes(rt))
    throw badRequest("config.request.requestType must be GET, PUT, POST, PATCH or DELETE", "config.request.requestType")
  if (config["response"] !== undefined && !isObject(config["response"]))
    throw badRequest("config.response must be an object", "config.response")
  optInt(config, "timeoutSeconds", { min: 1, max: 60 })
  return config
}

/** The property types of an input "simple properties schema" (README, "Data Action contracts"). */
const SIMPLE_TYPES = ["boolean", "integer", "null", "number", "string"]

/** A `required` list anywhere in a schema must hold at least one name (JSON Schema draft-04). */
const checkRequiredLists = (schema: unknown, where: string): void => {
  if (Array.isArray(schema)) {
    schema.forEach((item, i) => checkRequiredLists(item, `${where}[${i}]`))
    return
  }
  if (!isObject(schema)) return
  const required = schema["required"]
  if (Array.isArray(required) && required.length === 0)
    throw badRequest(
      `Failed Validation of ${where}: required must have at least 1 item (omit it when nothing is required)`,
      `${where}.required`
    )
  for (const [key, value] of Object.entries(schema))
    if (key !== "enum" && key !== "default") checkRequiredLists(value, `${where}.${key}`)
}

/** Inputs are a flat "simple properties schema": each property's type is a primitive (README, "Data Action contracts"). */
const checkSimpleProperties = (schema: Json): void => {
  const where = "contract.input.inputSchema"
  const properties = schema["properties"] ?? {}
  if (!isObject(properties))
    throw badRequest(`Failed Validation of ${where} as a simple properties schema: properties must be an object`, where)
  for (const [name, property] of Object.entries(properties)) {
    const type = isObject(property) ? property["type"] : undefined
    const types = Array.isArray(type) ? type : [type]
    const bad = types.find((t) => type !== undefined && (typeof t !== "string" || !SIMPLE_TYPES.includes(t)))
    if (!isObject(property) || bad !== undefined)
      throw badRequest(
        `Failed Validation of ${where} as a simple properties schema: property ${name} has type ${JSON.stringify(bad ?? property)}; possible values: [${SIMPLE_TYPES.join(", ")}]`,
        `${where}.properties.${name}.type`
      )
  }
}

const checkContract = (contract: unknown): Json => {
  if (!isObject(contract)) throw badRequest("contract is required", "contract")
  const input = contract["input"]
  if (!isObject(input) || !isObject(input["inputSchema"]))
    throw badRequest("contract.input.inputSchema must be a JSON Schema object", "contract.input.inputSchema")
  const output = contract["output"]
  if (!isObject(output) || !isObject(output["successSchema"]))
    throw badRequest("contract.output.successSchema must be a JSON Schema object", "contract.output.successSchema")
  checkSimpleProperties(input["inputSchema"] as Json)
  checkRequiredLists(input["inputSchema"], "contract.input.inputSchema")
  checkRequiredLists(output["successSchema"], "contract.output.successSchema")
  return contract
}

/** JSON with sorted keys, so that key order does not make two contracts differ. */
const canonical = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`
  if (isObject(value))
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`)
      .join(",")}}`
  return JSON.stringify(value ?? null)
}

const parseNewAction = (s: State, b: Json): Omit<DataAction, "id" | "version"> => {
  onlyKeys(b, ["name", "category", "integrationId", "secure", "config", "contract"], "PostActionInput")
  const name = reqString(b, "name", { min: 1, max: 256 })
  const category = reqString(b, "category", { min: 1, max: 256 })
  const integrationId = reqString(b, "integrationId")
  if (!s.integrations.has(integrationId))
    throw badRequest(`integrationId ${integrationId} does not name an existing integration`, "integrationId")
  const secure = optBool(b, "secure") ?? false
  return {
    name,
    category,
    integrationId,
    secure,
    config: structuredClone(checkConfig(b["config"])),
    contract: structuredClone(checkContract(b["contract"]))
  }
}

const versionMismatch = (sent: number, current: number): ApiError =>
  new ApiError(409, "conflict", `The version ${sent} does not match the current version ${current}`, {
    details: [{ errorCode: "version.mismatch", fieldName: "version" }]
  })

const getAction = (s: State, id: string): DataAction => {
  const a = s.actions.get(id)
  if (a === undefined) throw notFound("Action", id)
  return a
}
const getDraft = (s: State, id: string): DataAction => {
  const a = s.drafts.get(id)
  if (a === undefined) throw notFound("Action draft", id)
  return a
}

const newActionId = (c: Ctx): string => `custom_-_${c.state.newId()}`

/** A draft that cannot be published names what is missing. */
const validateDraft = (d: DataAction): ReadonlyArray<Json> => {
  const errors: Array<Json> = []
  try {
    checkConfig(d.config)
  } catch (e) {
    if (e instanceof ApiError) errors.push({ message: e.message, code: e.code, status: 400 })
  }
  try {
    checkContract(d.contract)
  } catch (e) {
    if (e instanceof ApiError) errors.push({ message: e.message, code: e.code, status: 400 })
  }
  return errors
}

export const integrationRoutes: ReadonlyArray<Route> = [
  {
    method: "POST",
    template: I,
    permissions: ["integrations:integration:add"],
    handler: (c) => {
      const b = requireBody(c.body)
      onlyKeys(b, ["id", "name", "integrationType", "selfUri"], "CreateIntegrationRequest")
      const t = b["integrationType"]
      const typeId = isObject(t) ? t["id"] : undefined
      if (typeof typeId !== "string" || !INTEGRATION_TYPES.includes(typeId))
        throw badRequest(`integrationType.id must be one of ${INTEGRATION_TYPES.join(", ")}`, "integrationType.id")
      const name = optString(b, "name", { min: 1, max: 256 }) ?? typeId
      const i: Integration = {
        id: c.state.newId(),
        name,
        integrationTypeId: typeId,
        intendedState: "DISABLED",
        config: { name, notes: "", version: 1, properties: {}, advanced: {}, credentials: {} }
      }
      c.state.integrations.set(i.id, i)
      return ok(integrationJson(i))
    }
  },
  {
    method: "GET",
    template: I,
    permissions: ["integrations:integration:view"],
    handler: (c) => {
      const entities = [...c.state.integrations.values()].map(integrationJson)
      return okOnePage(entities, I)
    }
  },
  {
    method: "GET",
    template: `${I}/{integrationId}`,
    permissions: ["integrations:integration:view"],
    handler: (c) => ok(integrationJson(getIntegration(c.state, c.params["integrationId"] ?? "")))
  },
  {
    method: "PATCH",
    template: `${I}/{integrationId}`,
    permissions: ["integrations:integration:edit"],
    handler: (c) => {
      const i = getIntegration(c.state, c.params["integrationId"] ?? "")
      const b = requireBody(c.body)
      onlyKeys(
        b,
        ["id", "name", "integrationType", "notes", "intendedState", "config", "reportedState", "attributes", "selfUri"],
        "Integration"
      )
      const state = optEnum(b, "intendedState", ["ENABLED", "DISABLED", "DELETED"])
      if (state === undefined)
        throw badRequest("intendedState is required (ENABLED, DISABLED, DELETED)", "intendedState")
      const name = optString(b, "name", { min: 1, max: 256 })
      const notes = optString(b, "notes")
      i.intendedState = state
      if (name !== undefined) i.name = name
      if (notes !== undefined) i.notes = notes
      return ok(integrationJson(i))
    }
  },
  {
    method: "DELETE",
    template: `${I}/{integrationId}`,
    permissions: ["integrations:integration:delete"],
    handler: (c) => {
      const i = getIntegration(c.state, c.params["integrationId"] ?? "")
      const used = [...c.state.actions.values(), ...c.state.drafts.values()].find((a) => a.integrationId === i.id)
      if (used !== undefined) throw conflict(`Integration ${i.id} still has data action ${used.id}`)
      c.state.integrations.delete(i.id)
      return noContent
    }
  },
  {
    method: "GET",
    template: `${I}/{integrationId}/config/current`,
    permissions: ["integrations:integration:view"],
    handler: (c) => ok(configJson(getIntegration(c.state, c.params["integrationId"] ?? "")))
  },
  {
    method: "PUT",
    template: `${I}/{integrationId}/config/current`,
    permissions: ["integrations:integration:edit"],
    handler: (c) => {
      const i = getIntegration(c.state, c.params["integrationId"] ?? "")
      const b = requireBody(c.body)
      onlyKeys(
        b,
        ["id", "name", "version", "properties", "advanced", "notes", "credentials", "selfUri"],
        "IntegrationConfiguration"
      )
      const version = optInt(b, "version")
      if (version === undefined) throw badRequest("version is required: send the current config version", "version")
      if (version !== i.config.version) throw versionMismatch(version, i.config.version)
      const name = reqString(b, "name", { min: 1, max: 256 })
      for (const k of ["properties", "advanced"])
        if (b[k] !== undefined && !isObject(b[k])) throw badRequest(`${k} must be an object`, k)
      const creds = b["credentials"] ?? {}
      if (!isObject(creds)) throw badRequest("credentials must map names to {id}", "credentials")
      const credentials: Record<string, { id: string; name?: string; type?: Json }> = {}
      for (const [k, v] of Object.entries(creds)) {
        const id = isObject(v) ? v["id"] : undefined
        if (typeof id !== "string") throw badRequest(`credentials.${k}.id is required`, `credentials.${k}.id`)
        const cred = c.state.credentials.get(id)
        if (cred === undefined)
          throw badRequest(`credentials.${k}.id ${id} does not name an existing credential`, `credentials.${k}.id`)
        credentials[k] = { id, name: cred.name, type: { name: cred.typeName } }
      }
      i.config = {
        name,
        notes: optString(b, "notes") ?? "",
        version: i.config.version + 1,
        properties: structuredClone((b["properties"] as Json | undefined) ?? {}),
        advanced: structuredClone((b["advanced"] as Json | undefined) ?? {}),
        credentials
      }
      return ok(configJson(i))
    }
  },
  {
    method: "POST",
    template: `${I}/credentials`,
    permissions: ["integrations:integration:add"],
    handler: (c) => {
      const f = parseCredential(requireBody(c.body))
      const cred: Credential = { id: c.state.newId(), ...f, createdDate: c.nowIso, modifiedDate: c.nowIso }
      c.state.credentials.set(cred.id, cred)
      return ok(credentialJson(cred))
    }
  },
  {
    method: "GET",
    template: `${I}/credentials`,
    permissions: ["integrations:integration:view"],
    handler: (c) => {
      const entities = [...c.state.credentials.values()].map(credentialJson)
      return okOnePage(entities, `${I}/credentials`)
    }
  },
  {
    method: "GET",
    template: `${I}/credentials/{credentialId}`,
    permissions: ["integrations:integration:view"],
    handler: (c) => ok(credentialJson(getCredential(c.state, c.params["credentialId"] ?? "")))
  },
  {
    method: "PUT",
    template: `${I}/credentials/{credentialId}`,
    permissions: ["integrations:integration:edit"],
    handler: (c) => {
      const cred = getCredential(c.state, c.params["credentialId"] ?? "")
      const f = parseCredential(requireBody(c.body))
      Object.assign(cred, f, { modifiedDate: c.nowIso })
      return ok(credentialJson(cred))
    }
  },
  {
    method: "DELETE",
    template: `${I}/credentials/{credentialId}`,
    permissions: ["integrations:integration:delete"],
    handler: (c) => {
      const cred = getCredential(c.state, c.params["credentialId"] ?? "")
      const user = [...c.state.integrations.values()].find((i) =>
        Object.values(i.config.credentials).some((x) => x.id === cred.id)
      )
      if (user !== undefined) throw conflict(`Credential ${cred.id} is used by integration ${user.id}`)
      c.state.credentials.delete(cred.id)
      return noContent
    }
  },
  {
    method: "POST",
    template: `${I}/actions`,
    permissions: ["integrations:action:add"],
    handler: (c) => {
      const a: DataAction = { id: newActionId(c), version: 1, ...parseNewAction(c.state, requireBody(c.body)) }
      c.state.actions.set(a.id, a)
      return ok(actionJson(a))
    }
  },
  {
    method: "GET",
    template: `${I}/actions`,
    permissions: ["integrations:action:view"],
    handler: (c) => {
      const entities = [...c.state.actions.values()].map(actionJson)
      return okOnePage(entities, `${I}/actions`)
    }
  },
  {
    method: "POST",
    template: `${I}/actions/drafts`,
    permissions: ["integrations:action:add"],
    handler: (c) => {
      const d: DataAction = { id: newActionId(c), version: 1, ...parseNewAction(c.state, requireBody(c.body)) }
      c.state.drafts.set(d.id, d)
      return ok(actionJson(d))
    }
  },
  {
    method: "GET",
    template: `${I}/actions/{actionId}`,
    permissions: ["integrations:action:view"],
    handler: (c) => ok(actionJson(getAction(c.state, c.params["actionId"] ?? "")))
  },
  {
    method: "PATCH",
    template: `${I}/actions/{actionId}`,
    permissions: ["integrations:action:edit"],
    handler: (c) => {
      const a = getAction(c.state, c.params["actionId"] ?? "")
      const b = requireBody(c.body)
      onlyKeys(b, ["name", "category", "config", "version"], "UpdateActionInput")
      const version = optInt(b, "version")
      if (version === undefined) throw badRequest("version is required", "version")
      if (version !== a.version) throw versionMismatch(version, a.version)
      const name = optString(b, "name", { min: 1, max: 256 })
      const category = optString(b, "category", { min: 1, max: 256 })
      const config = b["config"] === undefined ? undefined : structuredClone(checkConfig(b["config"]))
      if (name !== undefined) a.name = name
      if (category !== undefined) a.category = category
      if (config !== undefined) a.config = config
      a.version++
      return ok(actionJson(a))
    }
  },
  {
    method: "DELETE",
    template: `${I}/actions/{actionId}`,
    permissions: ["integrations:action:delete"],
    handler: (c) => {
      const id = c.params["actionId"] ?? ""
      if (!c.state.actions.has(id) && !c.state.drafts.has(id)) throw notFound("Action", id)
      c.state.actions.delete(id)
      c.state.drafts.delete(id)
      return noContent
    }
  },
  {
    method: "POST",
    template: `${I}/actions/{actionId}/draft`,
    permissions: ["integrations:action:edit"],
    handler: (c) => {
      const a = getAction(c.state, c.params["actionId"] ?? "")
      if (c.state.drafts.has(a.id)) throw conflict(`Action ${a.id} already has a draft`)
      const d: DataAction = { ...structuredClone(a), version: a.version + 1 }
      c.state.drafts.set(a.id, d)
      return ok(actionJson(d))
    }
  },
  {
    method: "GET",
    template: `${I}/actions/{actionId}/draft`,
    permissions: ["integrations:action:view"],
    handler: (c) => ok(actionJson(getDraft(c.state, c.params["actionId"] ?? "")))
  },
  {
    method: "PATCH",
    template: `${I}/actions/{actionId}/draft`,
    permissions: ["integrations:action:edit"],
    handler: (c) => {
      const d = getDraft(c.state, c.params["actionId"] ?? "")
      const b = requireBody(c.body)
      onlyKeys(b, ["name", "category", "config", "contract", "secure", "version"], "UpdateDraftInput")
      const version = optInt(b, "version")
      if (version === undefined) throw badRequest("version is required", "version")
      if (version !== d.version) throw versionMismatch(version, d.version)
      const name = optString(b, "name", { min: 1, max: 256 })
      const category = optString(b, "category", { min: 1, max: 256 })
      const secure = optBool(b, "secure")
      if (b["config"] !== undefined && !isObject(b["config"])) throw badRequest("config must be an object", "config")
      if (b["contract"] !== undefined && !isObject(b["contract"]))
        throw badRequest("contract must be an object", "contract")
      const published = c.state.actions.get(d.id)
      if (
        b["contract"] !== undefined &&
        published !== undefined &&
        canonical(b["contract"]) !== canonical(published.contract)
      )
        throw badRequest(
          `You cannot change the contracts after you publish the action: action ${d.id} is published; create a new action for a new contract`,
          "contract"
        )
      if (name !== undefined) d.name = name
      if (category !== undefined) d.category = category
      if (secure !== undefined) d.secure = secure
      if (b["config"] !== undefined) d.config = structuredClone(b["config"] as Json)
      if (b["contract"] !== undefined) d.contract = structuredClone(b["contract"] as Json)
      d.version++
      return ok(actionJson(d))
    }
  },
  {
    method: "DELETE",
    template: `${I}/actions/{actionId}/draft`,
    permissions: ["integrations:action:delete"],
    handler: (c) => {
      const d = getDraft(c.state, c.params["actionId"] ?? "")
      c.state.drafts.delete(d.id)
      return noContent
    }
  },
  {
    method: "GET",
    template: `${I}/actions/{actionId}/draft/validation`,
    permissions: ["integrations:action:edit"],
    handler: (c) => {
      const errors = validateDraft(getDraft(c.state, c.params["actionId"] ?? ""))
      return ok({ valid: errors.length === 0, errors })
    }
  },
  {
    method: "POST",
    template: `${I}/actions/{actionId}/draft/publish`,
    permissions: ["integrations:action:edit"],
    handler: (c) => {
      const d = getDraft(c.state, c.params["actionId"] ?? "")
      const b = requireBody(c.body)
      onlyKeys(b, ["version"], "PublishDraftInput")
      const version = optInt(b, "version")
      if (version === undefined) throw badRequest("version is required: send the current draft version", "version")
      if (version !== d.version) throw versionMismatch(version, d.version)
      const errors = validateDraft(d)
      if (errors.length > 0) throw badRequest(`The draft is not valid: ${String(errors[0]?.["message"])}`, "draft")
      c.state.drafts.delete(d.id)
      c.state.actions.set(d.id, d)
      return ok(actionJson(d))
    }
  }
]
