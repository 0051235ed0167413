import { describe, expect, it } from "vitest"
import { useAdminEmulator } from "./adminSuite.js"
import { call, login } from "./testing.js"

const suite = useAdminEmulator()

const contract = {
  input: { inputSchema: { type: "object", required: ["ticketId"], properties: { ticketId: { type: "string" } } } },
  output: { successSchema: { type: "object", properties: { status: { type: "string" } } } }
}
const config = {
  timeoutSeconds: 20,
  request: {
    requestUrlTemplate: "https://helpdesk.example/api/tickets/${input.ticketId}",
    requestType: "GET",
    headers: { Accept: "application/json", "X-Api-Key": "${credentials.apiKey}" },
    requestTemplate: "${input.rawRequest}"
  },
  response: {
    translationMap: { status: "$.status" },
    translationMapDefaults: { status: '""' },
    successTemplate: '{"status": ${status}}'
  }
}

const newIntegration = async (name: string): Promise<string> => {
  const r = await call(
    suite.s.integrations.postIntegrations({ body: { integrationType: { id: "custom-rest-actions" }, name } } as never)
  )
  expect(r.status).toBe(200)
  return r.body.id
}

describe("integrations and credentials", () => {
  it("creates an integration, configures it with a credential (version checked), enables and deletes it", async () => {
    const id = await newIntegration("Helpdesk WS")
    const cred = await call(
      suite.s.integrations.postIntegrationsCredentials({
        body: {
          name: "helpdesk basic",
          type: { name: "basicAuth" },
          credentialFields: { userName: "u", password: "p4ss-w0rd" }
        }
      } as never)
    )
    expect(cred.status).toBe(200)
    expect(JSON.stringify(cred.body)).not.toContain("p4ss-w0rd")
    expect(
      JSON.stringify((await call(suite.s.integrations.getIntegrationsCredential(cred.body.id))).body)
    ).not.toContain("p4ss-w0rd")
    const logged = JSON.stringify([suite.emu.requests(), suite.emu.stats()])
    expect(logged).not.toContain("p4ss-w0rd")
    expect(logged).not.toContain(suite.emu.adminClientSecret)
    const current = await call(suite.s.integrations.getIntegrationConfigCurrent(id))
    expect(current.body.version).toBe(1)
    const body = {
      name: "Helpdesk WS",
      notes: "",
      version: 1,
      properties: {},
      advanced: {},
      credentials: { basicAuth: { id: cred.body.id } }
    }
    const put = await call(suite.s.integrations.putIntegrationConfigCurrent(id, { body } as never))
    expect(put.status).toBe(200)
    expect(put.body.version).toBe(2)
    expect(put.body.credentials.basicAuth.id).toBe(cred.body.id)
    const stale = await call(suite.s.integrations.putIntegrationConfigCurrent(id, { body } as never))
    expect(stale.status).toBe(409)
    expect(stale.body.message).toContain("does not match the current version")
    const enabled = await call(
      suite.s.integrations.patchIntegration(id, { body: { intendedState: "ENABLED" } } as never)
    )
    expect(enabled.body.intendedState).toBe("ENABLED")
    expect((await call(suite.s.integrations.getIntegration(id))).body.integrationType.id).toBe("custom-rest-actions")
    expect(
      (await call(suite.s.integrations.getIntegrations())).body.entities.some((e: { id: string }) => e.id === id)
    ).toBe(true)
    expect((await call(suite.s.integrations.deleteIntegrationsCredential(cred.body.id))).status).toBe(409)
    expect((await call(suite.s.integrations.deleteIntegration(id))).status).toBe(204)
    expect((await call(suite.s.integrations.getIntegration(id))).status).toBe(404)
  })

  it("reads, replaces and deletes credentials, validating their type", async () => {
    const bad = await call(
      suite.s.integrations.postIntegrationsCredentials({
        body: { name: "x", type: { name: "apiKey" }, credentialFields: {} }
      } as never)
    )
    expect(bad.status).toBe(400)
    expect(bad.body.message).toContain("type.name")
    const missing = await call(
      suite.s.integrations.postIntegrationsCredentials({
        body: { name: "x", type: { name: "basicAuth" }, credentialFields: { password: "p" } }
      } as never)
    )
    expect(missing.status).toBe(400)
    expect(missing.body.message).toContain("credentialFields.userName")
    const noPassword = await call(
      suite.s.integrations.postIntegrationsCredentials({
        body: { name: "user only", type: { name: "basicAuth" }, credentialFields: { userName: "u" } }
      } as never)
    )
    expect(noPassword.status).toBe(200)
    const c = await call(
      suite.s.integrations.postIntegrationsCredentials({
        body: { name: "ud", type: { name: "userDefined" }, credentialFields: { apiKey: "k" } }
      } as never)
    )
    expect((await call(suite.s.integrations.getIntegrationsCredential(c.body.id))).body.name).toBe("ud")
    const put = await call(
      suite.s.integrations.putIntegrationsCredential(c.body.id, {
        body: { name: "ud2", type: { name: "userDefined" }, credentialFields: { apiKey: "k2" } }
      } as never)
    )
    expect(put.body.name).toBe("ud2")
    expect((await call(suite.s.integrations.getIntegrationsCredentials())).status).toBe(200)
    expect((await call(suite.s.integrations.deleteIntegrationsCredential(c.body.id))).status).toBe(204)
  })

  it("rejects an unknown integration type", async () => {
    const r = await call(
      suite.s.integrations.postIntegrations({ body: { integrationType: { id: "zendesk" }, name: "x" } } as never)
    )
    expect(r.status).toBe(400)
    expect(r.body.message).toContain("integrationType.id")
  })
})

describe("data actions", () => {
  it("creates directly, storing contract and config as sent; reads, patches (version checked) and deletes", async () => {
    const integrationId = await newIntegration("Direct WS")
    const r = await call(
      suite.s.integrations.postIntegrationsActions({
        name: "Get ticket",
        category: "Direct WS",
        integrationId,
        secure: false,
        contract,
        config
      } as never)
    )
    expect(r.status).toBe(200)
    expect(r.body.contract).toEqual(contract)
    expect(r.body.config).toEqual(config)
    expect(r.body.version).toBe(1)
    const got = await call(suite.s.integrations.getIntegrationsAction(r.body.id))
    expect(got.body.config).toEqual(config)
    expect(
      (await call(suite.s.integrations.patchIntegrationsAction(r.body.id, { name: "Renamed", version: 7 }))).status
    ).toBe(409)
    const patched = await call(suite.s.integrations.patchIntegrationsAction(r.body.id, { name: "Renamed", version: 1 }))
    expect(patched.body).toMatchObject({ name: "Renamed", version: 2 })
    expect((await call(suite.s.integrations.deleteIntegrationsAction(r.body.id))).status).toBe(204)
    expect((await call(suite.s.integrations.getIntegrationsAction(r.body.id))).status).toBe(404)
  })

  it("goes through draft → patch → validation → publish", async () => {
    const integrationId = await newIntegration("Draft WS")
    const draft = await call(
      suite.s.integrations.postIntegrationsActionsDrafts({
        name: "Draft action",
        category: "Draft WS",
        integrationId,
        contract,
        config
      } as never)
    )
    expect(draft.status).toBe(200)
    const id = draft.body.id
    expect((await call(suite.s.integrations.getIntegrationsAction(id))).status).toBe(404)
    const patched = await call(
      suite.s.integrations.patchIntegrationsActionDraft(id, { version: draft.body.version, secure: true })
    )
    expect(patched.body.secure).toBe(true)
    expect((await call(suite.s.integrations.getIntegrationsActionDraft(id))).body.version).toBe(patched.body.version)
    const validation = await call(suite.s.integrations.getIntegrationsActionDraftValidation(id))
    expect(validation.body).toEqual({ valid: true, errors: [] })
    const stale = await call(
      suite.s.integrations.postIntegrationsActionDraftPublish(id, { version: draft.body.version })
    )
    expect(stale.status).toBe(409)
    const published = await call(
      suite.s.integrations.postIntegrationsActionDraftPublish(id, { version: patched.body.version })
    )
    expect(published.status).toBe(200)
    const action = await call(suite.s.integrations.getIntegrationsAction(id))
    expect(action.body).toMatchObject({ id, name: "Draft action", secure: true, contract, config })
    expect((await call(suite.s.integrations.getIntegrationsActionDraft(id))).status).toBe(404)
  })

  it("refuses to publish an invalid draft and names the problem", async () => {
    const integrationId = await newIntegration("Invalid WS")
    const draft = await call(
      suite.s.integrations.postIntegrationsActionsDrafts({
        name: "Broken",
        category: "Invalid WS",
        integrationId,
        contract,
        config
      } as never)
    )
    const broken = await call(
      suite.s.integrations.patchIntegrationsActionDraft(draft.body.id, {
        version: draft.body.version,
        config: { request: { requestType: "GET" } }
      } as never)
    )
    expect(broken.status).toBe(200)
    const validation = await call(suite.s.integrations.getIntegrationsActionDraftValidation(draft.body.id))
    expect(validation.body.valid).toBe(false)
    expect(validation.body.errors[0].message).toContain("requestUrlTemplate")
    const publish = await call(
      suite.s.integrations.postIntegrationsActionDraftPublish(draft.body.id, { version: broken.body.version })
    )
    expect(publish.status).toBe(400)
  })

  it.each([
    [{ name: "", category: "c", contract, config }, "name"],
    [{ name: "n".repeat(257), category: "c", contract, config }, "name"],
    [{ name: "n", contract, config }, "category"],
    [{ name: "n", category: "c", contract, config: { ...config, timeoutSeconds: 61 } }, "timeoutSeconds"],
    [{ name: "n", category: "c", contract: { input: {} }, config }, "inputSchema"],
    [{ name: "n", category: "c", contract }, "config"]
  ])("rejects action body %#", async (body, field) => {
    const integrationId = await newIntegration(`Rule ${field}`)
    const r = await call(suite.s.integrations.postIntegrationsActions({ integrationId, ...body } as never))
    expect(r.status).toBe(400)
    expect(r.body.message).toContain(field)
  })

  it("requires integrations:action:add", async () => {
    const admin = suite.s
    const role = await call(
      admin.authz.postAuthorizationRoles({
        name: "Viewer",
        permissionPolicies: [{ domain: "integrations", entityName: "action", actionSet: ["view"] }]
      })
    )
    const client = await call(
      admin.oauth.postOauthClients({
        name: "viewer",
        authorizedGrantType: "CLIENT-CREDENTIALS",
        roleDivisions: [{ roleId: role.body.id, divisionId: suite.emu.state.homeDivision.id }]
      })
    )
    const viewer = await login(suite.emu.url, client.body.id, client.body.secret)
    expect((await call(viewer.integrations.getIntegrationsActions())).status).toBe(200)
    const r = await call(
      viewer.integrations.postIntegrationsActions({
        name: "n",
        category: "c",
        integrationId: "x",
        contract,
        config
      } as never)
    )
    expect(r.status).toBe(403)
    expect(r.body.message).toContain("integrations:action:add")
  })
})

describe("drafts of published actions", () => {
  it("creates a draft from a published action, then deletes the draft and the action", async () => {
    const integrationId = await newIntegration("Redraft WS")
    const a = await call(
      suite.s.integrations.postIntegrationsActions({
        name: "Published",
        category: "Redraft WS",
        integrationId,
        contract,
        config
      } as never)
    )
    const d = await call(suite.s.integrations.postIntegrationsActionDraft(a.body.id))
    expect(d.status).toBe(200)
    expect(d.body).toMatchObject({ id: a.body.id, version: 2, contract, config })
    expect((await call(suite.s.integrations.postIntegrationsActionDraft(a.body.id))).status).toBe(409)
    expect((await call(suite.s.integrations.deleteIntegrationsActionDraft(a.body.id))).status).toBe(204)
    expect((await call(suite.s.integrations.getIntegrationsActionDraft(a.body.id))).status).toBe(404)
    expect(
      (await call(suite.s.integrations.getIntegrationsActions())).body.entities.some(
        (x: { id: string }) => x.id === a.body.id
      )
    ).toBe(true)
    expect((await call(suite.s.integrations.deleteIntegration(integrationId))).status).toBe(409)
  })
})

describe("contracts as Genesys checks them", () => {
  const withInput = (properties: object, extra: object = {}) => ({
    input: { inputSchema: { type: "object", properties, ...extra } },
    output: { successSchema: { type: "object", properties: { tags: { type: "array", items: { type: "string" } } } } }
  })

  it("refuses an input that is not a simple property, with the Genesys message, and accepts arrays in outputs", async () => {
    const integrationId = await newIntegration("Simple WS")
    for (const bad of [
      { tags: { type: "array", items: { type: "string" } } },
      { nested: { type: "object", properties: { a: { type: "string" } } } }
    ]) {
      const r = await call(
        suite.s.integrations.postIntegrationsActions({
          name: "Flat",
          category: "c",
          integrationId,
          contract: withInput(bad),
          config
        } as never)
      )
      expect(r.status).toBe(400)
      expect(r.body.message).toContain("Failed Validation of contract.input.inputSchema as a simple properties schema")
      expect(r.body.message).toContain("possible values: [boolean, integer, null, number, string]")
    }
    const ok = await call(
      suite.s.integrations.postIntegrationsActions({
        name: "Flat",
        category: "c",
        integrationId,
        contract: withInput({
          tags: { type: "string" },
          n: { type: "integer" },
          b: { type: "boolean" },
          x: { type: "number" }
        }),
        config
      } as never)
    )
    expect(ok.status).toBe(200)
  })

  it("refuses an empty required list, in the input or the output", async () => {
    const integrationId = await newIntegration("Required WS")
    const emptyInput = await call(
      suite.s.integrations.postIntegrationsActions({
        name: "R",
        category: "c",
        integrationId,
        contract: withInput({ a: { type: "string" } }, { required: [] }),
        config
      } as never)
    )
    expect(emptyInput.status).toBe(400)
    expect(emptyInput.body.message).toContain("contract.input.inputSchema: required must have at least 1 item")
    const emptyOutput = await call(
      suite.s.integrations.postIntegrationsActionsDrafts({
        name: "R",
        category: "c",
        integrationId,
        contract: { ...contract, output: { successSchema: { type: "object", required: [], properties: {} } } },
        config
      } as never)
    )
    expect(emptyOutput.status).toBe(400)
    expect(emptyOutput.body.message).toContain("contract.output.successSchema")
  })

  it("refuses a contract change on a published action, and allows name, category and config changes", async () => {
    const integrationId = await newIntegration("Frozen WS")
    const a = await call(
      suite.s.integrations.postIntegrationsActions({
        name: "Frozen",
        category: "Frozen WS",
        integrationId,
        contract,
        config
      } as never)
    )
    const d = await call(suite.s.integrations.postIntegrationsActionDraft(a.body.id))
    const changed = {
      ...contract,
      output: { successSchema: { type: "object", properties: { other: { type: "string" } } } }
    }
    const refused = await call(
      suite.s.integrations.patchIntegrationsActionDraft(a.body.id, {
        version: d.body.version,
        contract: changed
      } as never)
    )
    expect(refused.status).toBe(400)
    expect(refused.body.message).toContain("You cannot change the contracts after you publish the action")
    // The same contract with its keys in another order is no change.
    const reordered = {
      output: contract.output,
      input: { inputSchema: { properties: { ticketId: { type: "string" } }, required: ["ticketId"], type: "object" } }
    }
    const same = await call(
      suite.s.integrations.patchIntegrationsActionDraft(a.body.id, {
        version: d.body.version,
        contract: reordered,
        name: "Renamed"
      } as never)
    )
    expect(same.status).toBe(200)
    const patched = await call(
      suite.s.integrations.patchIntegrationsAction(a.body.id, {
        version: 1,
        category: "Other",
        config: { ...config, timeoutSeconds: 5 }
      } as never)
    )
    expect(patched.body).toMatchObject({ category: "Other", config: { timeoutSeconds: 5 }, contract })
  })

  it("needs integrations:action:edit to draft a published action and to read a draft's validation", async () => {
    const admin = suite.s
    const integrationId = await newIntegration("Perm WS")
    const a = await call(
      admin.integrations.postIntegrationsActions({
        name: "Perm",
        category: "Perm WS",
        integrationId,
        contract,
        config
      } as never)
    )
    const role = await call(
      admin.authz.postAuthorizationRoles({
        name: "Adder",
        permissionPolicies: [{ domain: "integrations", entityName: "action", actionSet: ["add", "view"] }]
      })
    )
    const client = await call(
      admin.oauth.postOauthClients({
        name: "adder",
        authorizedGrantType: "CLIENT-CREDENTIALS",
        roleDivisions: [{ roleId: role.body.id, divisionId: suite.emu.state.homeDivision.id }]
      })
    )
    const adder = await login(suite.emu.url, client.body.id, client.body.secret)
    const redraft = await call(adder.integrations.postIntegrationsActionDraft(a.body.id))
    expect(redraft.status).toBe(403)
    expect(redraft.body.message).toContain("integrations:action:edit")
    const draft = await call(
      adder.integrations.postIntegrationsActionsDrafts({
        name: "New",
        category: "Perm WS",
        integrationId,
        contract,
        config
      } as never)
    )
    expect(draft.status).toBe(200)
    const validation = await call(adder.integrations.getIntegrationsActionDraftValidation(draft.body.id))
    expect(validation.status).toBe(403)
    expect(validation.body.message).toContain("integrations:action:edit")
  })
})
