/**
 * The exported definitions go through the Genesys data-action API (here the bundled emulator, driven only through
 * the official SDK) the way an admin or `infra/` publishes them: integration + Basic-auth credential, then for each
 * action a draft, its validation, publication, and a read back that must equal what was exported.
 */
import { mkdtemp, readFile } from "node:fs/promises"
import type { Server } from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { Emulator } from "@workbridge/genesys-emulator"
import { startEmulator } from "@workbridge/genesys-emulator"
import type { SdkSession } from "@workbridge/genesys-emulator/testing"
import { call, login } from "@workbridge/genesys-emulator/testing"
import { defaultCatalog } from "@workbridge/catalog"
import { Ajv } from "ajv"
import type platformClient from "purecloud-platform-client-v2"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { DataActionDefinition } from "@workbridge/data-actions"
import { toPostActionInput } from "@workbridge/data-actions"
import { exportDataActions } from "./export.js"
import { makeDataActionApp } from "./standalone.js"

let emulator: Emulator
let session: SdkSession
let integrationId: string
let exported: ReadonlyArray<DataActionDefinition>

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 })
  session = await login(emulator.url, emulator.adminClientId, emulator.adminClientSecret)

  const dir = await mkdtemp(join(tmpdir(), "wb-roundtrip-"))
  const files = await exportDataActions(
    { out: dir, baseUrl: "https://workbridge.example.com", credentialType: "basicAuth" },
    dir
  )
  exported = await Promise.all(
    files.map(async (file) => JSON.parse(await readFile(file.path, "utf8")) as DataActionDefinition)
  )

  const credential = await call<{ id: string }>(
    session.integrations.postIntegrationsCredentials({
      body: {
        name: "Workbridge Data Actions",
        type: { name: "basicAuth" },
        credentialFields: { userName: "genesys", password: "pw-0123456789" }
      }
    })
  )
  expect(credential.status).toBe(200)
  const integration = await call<{ id: string; config: { current: { version: number } } }>(
    session.integrations.postIntegrations({
      body: { name: "Workbridge", integrationType: { id: "custom-rest-actions" } }
    })
  )
  expect(integration.status).toBe(200)
  integrationId = integration.body.id
  const config = await call(
    session.integrations.putIntegrationConfigCurrent(integrationId, {
      body: {
        name: "Workbridge",
        version: integration.body.config.current.version,
        properties: {},
        advanced: {},
        notes: "",
        credentials: { basicAuth: { id: credential.body.id } }
      }
    })
  )
  expect(config.status).toBe(200)
  const enabled = await call(
    session.integrations.patchIntegration(integrationId, { body: { intendedState: "ENABLED" } })
  )
  expect(enabled.status).toBe(200)
})

afterAll(async () => {
  await emulator?.close()
})

describe("exported definitions through the data-action API", () => {
  it("exports the three actions", () => {
    expect(exported.map((definition) => definition.name)).toEqual([
      "Workbridge - Normalize ticket",
      "Workbridge - Ticket sync status",
      "Workbridge - Workitem event"
    ])
  })

  it("each one creates as a draft, validates, publishes and reads back equal", async () => {
    for (const definition of exported) {
      const body = toPostActionInput(definition, {
        integrationId,
        category: "Workbridge"
      }) as unknown as platformClient.Models.PostActionInput
      const draft = await call<{ id: string; version: number }>(
        session.integrations.postIntegrationsActionsDrafts(body)
      )
      expect(draft.status, JSON.stringify(draft.body)).toBe(200)

      const validation = await call<{ valid: boolean; errors: Array<unknown> }>(
        session.integrations.getIntegrationsActionDraftValidation(draft.body.id)
      )
      expect(validation.body).toMatchObject({ valid: true, errors: [] })

      const published = await call(
        session.integrations.postIntegrationsActionDraftPublish(draft.body.id, { version: draft.body.version })
      )
      expect(published.status, JSON.stringify(published.body)).toBe(200)

      const read = await call<Record<string, unknown>>(
        session.integrations.getIntegrationsAction(draft.body.id, { includeConfig: true })
      )
      expect(read.status).toBe(200)
      expect(read.body).toMatchObject({ name: definition.name, integrationId, category: "Workbridge", secure: false })
      // Back to the export format: what an admin would export again from this org.
      const reexported = {
        name: read.body.name,
        integrationType: definition.integrationType,
        actionType: definition.actionType,
        config: read.body.config,
        contract: read.body.contract
      }
      expect(reexported).toEqual(definition)
    }
    const listed = await call<{ entities: Array<{ name: string }> }>(session.integrations.getIntegrationsActions())
    expect(listed.body.entities.map((action) => action.name).sort()).toEqual(
      exported.map((definition) => definition.name).sort()
    )
  })

  it("refuses an action whose integration does not exist", async () => {
    const [definition] = exported
    if (definition === undefined) throw new Error("nothing exported")
    const body = toPostActionInput(definition, { integrationId: "no-such-integration", category: "Workbridge" })
    const res = await call(
      session.integrations.postIntegrationsActionsDrafts(body as unknown as platformClient.Models.PostActionInput)
    )
    expect(res.status).toBe(400)
  })
})

describe("a tag value through the published Normalize-ticket action", () => {
  it("is refused in the old shape (a list input, an empty required) and round-trips as one delimited text", async () => {
    const [definition] = exported
    if (definition === undefined) throw new Error("nothing exported")
    const inputSchema = definition.contract.input.inputSchema
    const old = {
      ...definition,
      contract: {
        ...definition.contract,
        input: {
          inputSchema: {
            ...inputSchema,
            required: [],
            properties: { ...inputSchema.properties, product_family: { type: "array", items: { type: "string" } } }
          }
        }
      }
    }
    const refused = await call<{ message: string }>(
      session.integrations.postIntegrationsActions(
        toPostActionInput(old as DataActionDefinition, { integrationId, category: "Old" }) as never
      )
    )
    expect(refused.status).toBe(400)
    expect(refused.body.message).toContain("as a simple properties schema")

    const created = await call<{ id: string }>(
      session.integrations.postIntegrationsActions(
        toPostActionInput(definition, { integrationId, category: "Tags" }) as never
      )
    )
    expect(created.status, JSON.stringify(created.body)).toBe(200)
    const published = await call<{ contract: DataActionDefinition["contract"] }>(
      session.integrations.getIntegrationsAction(created.body.id, { expand: "contract" } as never)
    )
    // What a flow may send is what the published input schema admits; the request template sends it as is.
    const ajv = new Ajv({ allErrors: true })
    const flowInput = { product_family: "printer, iOS", priority: "P1" }
    const validateInput = ajv.compile(published.body.contract.input.inputSchema)
    expect(validateInput(flowInput), JSON.stringify(validateInput.errors)).toBe(true)
    expect(validateInput({ product_family: ["printer"] })).toBe(false)

    const app = makeDataActionApp({
      catalog: defaultCatalog,
      auth: { basicAuth: "genesys:pw-0123456789" },
      ticketStatus: async () => undefined
    })
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, "127.0.0.1", () => resolve(s))
    })
    try {
      const port = (server.address() as AddressInfo).port
      const res = await fetch(`http://127.0.0.1:${port}/data-actions/normalize-ticket`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: `Basic ${Buffer.from("genesys:pw-0123456789").toString("base64")}`
        },
        body: JSON.stringify(flowInput)
      })
      const answer = (await res.json()) as Record<string, unknown>
      expect(res.status).toBe(200)
      const validateOutput = ajv.compile(published.body.contract.output.successSchema)
      expect(validateOutput(answer), JSON.stringify(validateOutput.errors)).toBe(true)
      expect(answer).toMatchObject({
        product_family: ["devices", "mobile"],
        product_family_joined: "devices,mobile",
        priority: "urgent"
      })
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })
})
