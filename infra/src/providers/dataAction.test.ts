import { defaultCatalog } from "@workbridge/catalog"
import { buildDataActionDefinitions } from "@workbridge/data-actions"
import { call as sdkCall, login } from "@workbridge/genesys-emulator/testing"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { TestGenesys } from "../testing.js"
import { startTestGenesys } from "../testing.js"
import type { DataActionInputs } from "./dataAction.js"
import { dataActionProvider } from "./dataAction.js"
import { integrationProvider } from "./integration.js"
import { integrationCredentialProvider } from "./integrationCredential.js"

let g: TestGenesys
beforeAll(async () => {
  g = await startTestGenesys()
})
afterAll(async () => {
  await g.emulator.close()
})

const [normalize, status] = buildDataActionDefinitions(defaultCatalog, { baseUrl: "https://workbridge.example.com" })

describe("credential, integration and Data Action providers against the emulator", () => {
  it("creates the credential, the configured and enabled integration, and a published action; updates and deletes them", async () => {
    const credential = await integrationCredentialProvider.create({
      connection: g.admin,
      name: "DA basic auth",
      type: "basicAuth",
      credentialFields: { userName: "genesys", password: "pw-1" }
    })
    expect((await integrationCredentialProvider.read(credential.id, credential.outs)).props).toMatchObject({
      name: "DA basic auth",
      type: "basicAuth"
    })
    const rotated = { ...credential.outs, credentialFields: { userName: "genesys", password: "pw-2" } }
    expect(await integrationCredentialProvider.diff(credential.id, credential.outs, rotated)).toMatchObject({
      changes: true,
      replaces: []
    })
    await integrationCredentialProvider.update(credential.id, credential.outs, rotated)
    expect(
      (await integrationCredentialProvider.diff(credential.id, credential.outs, { ...rotated, type: "userDefined" }))
        .replaces
    ).toEqual(["type"])

    const integrationInputs = {
      connection: g.admin,
      name: "Workbridge Data Actions",
      integrationType: "custom-rest-actions",
      credentialId: credential.id,
      credentialKey: "basicAuth",
      enabled: true
    }
    const integration = await integrationProvider.create(integrationInputs)
    const readIntegration = await integrationProvider.read(integration.id, integration.outs)
    expect(readIntegration.props).toMatchObject({
      credentialId: credential.id,
      enabled: true,
      integrationType: "custom-rest-actions"
    })
    expect((await integrationProvider.diff(integration.id, readIntegration.props, integrationInputs)).changes).toBe(
      false
    )
    const disabled = { ...integrationInputs, enabled: false, notes: "paused" }
    expect(await integrationProvider.diff(integration.id, integration.outs, disabled)).toMatchObject({
      changes: true,
      replaces: []
    })
    await integrationProvider.update(integration.id, integration.outs, disabled)
    expect((await integrationProvider.read(integration.id, integration.outs)).props).toMatchObject({
      enabled: false,
      notes: "paused"
    })
    expect(
      (await integrationProvider.diff(integration.id, integration.outs, { ...integrationInputs, integrationType: "x" }))
        .replaces
    ).toEqual(["integrationType"])

    const actionInputs: DataActionInputs = {
      connection: g.admin,
      integrationId: integration.id,
      name: normalize!.name,
      category: "Workbridge Data Actions",
      contract: normalize!.contract,
      config: normalize!.config,
      secure: false
    }
    const action = await dataActionProvider.create(actionInputs)
    const readAction = await dataActionProvider.read(action.id, action.outs)
    expect(readAction.props.contract).toEqual(JSON.parse(JSON.stringify(normalize!.contract)))
    expect((await dataActionProvider.diff(action.id, readAction.props, actionInputs)).changes).toBe(false)

    // A published contract cannot change: a new contract replaces the action, deleting it first (names are unique).
    const newContract = { ...actionInputs, contract: status!.contract }
    expect(await dataActionProvider.diff(action.id, action.outs, newContract)).toMatchObject({
      changes: true,
      replaces: ["contract"],
      deleteBeforeReplace: true
    })
    expect(await dataActionProvider.diff(action.id, action.outs, { ...actionInputs, secure: true })).toMatchObject({
      replaces: ["secure"],
      deleteBeforeReplace: true
    })
    // Name, category and config change in place, through PATCH /actions/{id} (the contract stays).
    const changed = {
      ...actionInputs,
      name: "Renamed action",
      category: "Other",
      config: { ...normalize!.config, timeoutSeconds: 7 }
    }
    expect(await dataActionProvider.diff(action.id, action.outs, changed)).toMatchObject({
      changes: true,
      replaces: []
    })
    await dataActionProvider.update(action.id, action.outs, changed)
    const after = await dataActionProvider.read(action.id, action.outs)
    expect(after.props).toMatchObject({ name: "Renamed action", category: "Other", config: { timeoutSeconds: 7 } })
    expect(after.props.contract).toEqual(JSON.parse(JSON.stringify(normalize!.contract)))
    expect(after.props.actionId).toBe(action.id)
    expect((await dataActionProvider.diff(action.id, after.props, changed)).changes).toBe(false)
    expect(
      (await dataActionProvider.diff(action.id, action.outs, { ...changed, integrationId: "other" })).replaces
    ).toEqual(["integrationId"])

    // Keys the server adds, or an order it changes, are no change.
    const stored = g.emulator.state.actions.get(action.id)!
    const contract = stored.contract as Record<string, any>
    contract["input"]["inputSchema"] = Object.fromEntries(Object.entries(contract["input"]["inputSchema"]).reverse())
    contract["output"]["flattened"] = true
    ;(stored.config as Record<string, any>)["request"]["extra"] = "added by the server"
    const drifted = await dataActionProvider.read(action.id, after.props)
    expect((await dataActionProvider.diff(action.id, drifted.props, changed)).changes).toBe(false)

    await dataActionProvider.delete(action.id, action.outs)
    await expect(dataActionProvider.read(action.id, action.outs)).rejects.toMatchObject({ status: 404 })
    await integrationProvider.delete(integration.id, integration.outs)
    await expect(integrationProvider.read(integration.id, integration.outs)).rejects.toMatchObject({ status: 404 })
    await integrationCredentialProvider.delete(credential.id, credential.outs)
    await expect(integrationCredentialProvider.read(credential.id, credential.outs)).rejects.toMatchObject({
      status: 404
    })
  })

  it("sees an action edited by hand as drift and publishes the declared one again", async () => {
    const integration = await integrationProvider.create({ connection: g.admin, name: "Drift integration" })
    const inputs: DataActionInputs = {
      connection: g.admin,
      integrationId: integration.id,
      name: status!.name,
      category: "Drift",
      contract: status!.contract,
      config: status!.config
    }
    const action = await dataActionProvider.create(inputs)
    const s = await login(g.emulator.url, g.admin.clientId, g.admin.clientSecret)
    const current = await sdkCall<{ version: number }>(s.integrations.getIntegrationsAction(action.id))
    const edited = await sdkCall(
      s.integrations.patchIntegrationsAction(action.id, { name: "Renamed in the UI", version: current.body.version })
    )
    expect(edited.status).toBe(200)
    const read = await dataActionProvider.read(action.id, action.outs)
    expect(read.props.name).toBe("Renamed in the UI")
    expect(await dataActionProvider.diff(action.id, read.props, inputs)).toMatchObject({ changes: true, replaces: [] })
    await dataActionProvider.update(action.id, read.props, inputs)
    expect((await dataActionProvider.read(action.id, action.outs)).props.name).toBe(status!.name)
    await dataActionProvider.delete(action.id, action.outs)
    await integrationProvider.delete(integration.id, integration.outs)
  })

  it("refuses bad input naming the field, never echoing a credential value", async () => {
    await expect(
      dataActionProvider.create({
        connection: g.admin,
        integrationId: "i",
        name: "n",
        category: "c",
        contract: normalize!.contract,
        config: { ...normalize!.config, timeoutSeconds: 99 }
      })
    ).rejects.toThrow("dataAction.config.timeoutSeconds: an integer in 1..60, got 99")
    const inputSchema = normalize!.contract.input.inputSchema
    const withInput = (schema: object) => ({
      connection: g.admin,
      integrationId: "i",
      name: "n",
      category: "c",
      contract: { ...normalize!.contract, input: { inputSchema: schema } },
      config: normalize!.config
    })
    await expect(
      dataActionProvider.create(
        withInput({
          ...inputSchema,
          properties: { ...inputSchema.properties, product_family: { type: "array", items: { type: "string" } } }
        })
      )
    ).rejects.toThrow(
      'dataAction.contract.input.inputSchema.properties.product_family.type: must be string, integer, number, boolean or null (Genesys allows no other input), got "array"'
    )
    await expect(dataActionProvider.create(withInput({ ...inputSchema, required: [] }))).rejects.toThrow(
      "dataAction.contract.input.inputSchema.required: must list at least one name, or be left out"
    )
    const err = await integrationCredentialProvider
      .create({
        connection: g.admin,
        name: "c",
        type: "basicAuth",
        credentialFields: { userName: "u", pass: "hunter2-secret" }
      })
      .catch((e: Error) => e)
    expect((err as Error).message).toBe("credential.credentialFields.password: required for basicAuth")
    expect((err as Error).message).not.toContain("hunter2-secret")
  })
})
