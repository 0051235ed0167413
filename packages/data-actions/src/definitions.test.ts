import { defaultCatalog } from "@workbridge/catalog"
import { Ajv } from "ajv"
import { describe, expect, it } from "vitest"
import type { DataActionDefinition } from "./definitions.js"
import { ACTION_NAMES, buildDataActionDefinitions, exportFileName, toPostActionInput } from "./definitions.js"

const ajv = new Ajv({ strict: true, allErrors: true })
const baseUrl = "https://workbridge.example.com/"

/**
 * What Genesys does with an answer: each translation-map JSONPath (`$.name`) picks a value, or its default,
 * substituted as JSON into the success template.
 */
const applyResponseConfig = (definition: DataActionDefinition, answer: Record<string, unknown>): unknown => {
  const { translationMap, translationMapDefaults, successTemplate } = definition.config.response
  const resolved = new Map<string, string>()
  for (const [name, path] of Object.entries(translationMap)) {
    const key = path.replace(/^\$\./, "")
    const fallback = translationMapDefaults[name]
    if (key in answer) resolved.set(name, JSON.stringify(answer[key]))
    else if (fallback !== undefined) resolved.set(name, fallback)
    else throw new Error(`JSONPath ${path} not found and no default for ${name}`)
  }
  const rendered = successTemplate.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_, name: string) => {
    const value = resolved.get(name)
    if (value === undefined) throw new Error(`template variable ${name} is not in the translation map`)
    return value
  })
  return JSON.parse(rendered)
}

const [normalize, status, workitemEvent] = buildDataActionDefinitions(defaultCatalog, { baseUrl })

describe("buildDataActionDefinitions", () => {
  it("builds both actions in the export format, posting the raw input to the service", () => {
    expect(normalize?.name).toBe(ACTION_NAMES.normalizeTicket)
    expect(status?.name).toBe(ACTION_NAMES.ticketStatus)
    expect(normalize).toMatchObject({
      integrationType: "custom-rest-actions",
      actionType: "custom",
      config: {
        timeoutSeconds: 10,
        request: {
          requestUrlTemplate: "https://workbridge.example.com/data-actions/normalize-ticket",
          requestType: "POST",
          requestTemplate: "${input.rawRequest}"
        }
      }
    })
    expect(status?.config.request.requestUrlTemplate).toBe("https://workbridge.example.com/data-actions/ticket-status")
    expect(normalize?.config.request.headers).not.toHaveProperty("Authorization")
  })

  it("builds the workitem-event action, sending the event text itself as the request body", () => {
    expect(buildDataActionDefinitions(defaultCatalog, { baseUrl })).toHaveLength(3)
    expect(workitemEvent).toMatchObject({
      name: ACTION_NAMES.workitemEvent,
      config: {
        request: {
          requestUrlTemplate: "https://workbridge.example.com/data-actions/workitem-event",
          requestType: "POST",
          headers: { "Content-Type": "application/json" },
          requestTemplate: "${input.event}"
        },
        response: { translationMapDefaults: { ignored: '""' } }
      },
      contract: {
        input: { inputSchema: { required: ["event"] } },
        output: { successSchema: { required: ["accepted"] } }
      }
    })
    const input = ajv.compile(workitemEvent!.contract.input.inputSchema)
    expect(input({ event: '{"id":"w1"}' })).toBe(true)
    expect(input({})).toBe(false)
    expect(input({ event: 42 })).toBe(false)
    expect(applyResponseConfig(workitemEvent!, { accepted: true })).toEqual({ accepted: true, ignored: "" })
    expect(applyResponseConfig(workitemEvent!, { accepted: false, ignored: "not a Workbridge ticket" })).toEqual({
      accepted: false,
      ignored: "not a Workbridge ticket"
    })
  })

  it("keeps a base path", () => {
    const [action] = buildDataActionDefinitions(defaultCatalog, { baseUrl: "https://host.example/sync" })
    expect(action?.config.request.requestUrlTemplate).toBe("https://host.example/sync/data-actions/normalize-ticket")
  })

  it("maps every output and gives each optional one a default of its type", () => {
    for (const definition of [normalize, status, workitemEvent]) {
      if (definition === undefined) throw new Error("missing definition")
      const schema = definition.contract.output.successSchema
      const { translationMap, translationMapDefaults } = definition.config.response
      expect(Object.keys(translationMap).sort()).toEqual(Object.keys(schema.properties).sort())
      for (const name of Object.keys(schema.properties)) {
        if ((schema.required ?? []).includes(name)) expect(translationMapDefaults).not.toHaveProperty(name)
        else expect(translationMapDefaults[name], name).toBeDefined()
      }
    }
    expect(normalize?.config.response.translationMapDefaults).toMatchObject({
      subject: '""',
      product_family: "[]",
      sla_breached: "false",
      workitem_priority: "0"
    })
  })

  it("renders a full answer unchanged, and a sparse one with defaults, both valid for the output contract", () => {
    if (status === undefined) throw new Error("missing definition")
    const validate = ajv.compile(status.contract.output.successSchema)
    const full = {
      found: true,
      linked: true,
      source: "zendesk",
      ticketId: "42",
      workitemId: "wi-1",
      appliedRevision: "0000000000000007",
      pendingEvents: 2,
      hasError: true,
      lastError: 'say "why"',
      lastAppliedAt: "2026-01-01T00:00:00.000Z",
      lagSeconds: 1.5
    }
    expect(applyResponseConfig(status, full)).toEqual(full)
    const sparse = { found: false, linked: false, source: "zendesk", ticketId: "42", pendingEvents: 0, hasError: false }
    const rendered = applyResponseConfig(status, sparse)
    expect(rendered).toMatchObject({ ...sparse, workitemId: "", lagSeconds: 0 })
    expect(validate(rendered), JSON.stringify(validate.errors)).toBe(true)
  })

  it("renders a normalize answer with lists and markers", () => {
    if (normalize === undefined) throw new Error("missing definition")
    const answer = {
      priority: "urgent",
      product_family: ["a", "b"],
      unmapped: ["category=weird"],
      has_unmapped: true,
      truncated: [],
      has_truncated: false,
      provided: ["priority", "product_family"],
      ...Object.fromEntries(
        defaultCatalog.fields
          .filter((f) => f.vocabulary !== undefined)
          .map((f) => [`${f.key}_unmapped`, f.key === "category"])
      )
    }
    const rendered = applyResponseConfig(normalize, answer) as Record<string, unknown>
    expect(rendered).toMatchObject(answer)
    expect(rendered.subject).toBe("")
    expect(rendered.sla_breached).toBe(false)
  })

  it("adds the bearer header when the integration uses a token credential", () => {
    const [action] = buildDataActionDefinitions(defaultCatalog, { baseUrl, credentialType: "bearerToken" })
    expect(action?.config.request.headers.Authorization).toBe("Bearer ${credentials.token}")
  })

  it.each([
    ["not a url", /baseUrl \(WORKBRIDGE_PUBLIC_URL\) must be an absolute/],
    ["ftp://host.example", /must use http or https/],
    ["https://user:secret@host.example", /must not contain credentials/],
    ["https://host.example/?token=abc", /must not contain a query/],
    ["https://host.example/$x", /must not contain a query, a fragment or "\$"/]
  ])("refuses the base URL %s, naming the option", (url, message) => {
    expect(() => buildDataActionDefinitions(defaultCatalog, { baseUrl: url })).toThrow(message)
  })

  it("never echoes a secret found in the base URL", () => {
    for (const url of ["https://user:hunter2@host.example", "https://host.example/?token=hunter2"]) {
      expect(() => buildDataActionDefinitions(defaultCatalog, { baseUrl: url })).toThrow(
        expect.objectContaining({ message: expect.not.stringContaining("hunter2") })
      )
    }
  })

  it.each([0, 16, 2.5])("refuses timeoutSeconds %s", (timeoutSeconds) => {
    expect(() => buildDataActionDefinitions(defaultCatalog, { baseUrl, timeoutSeconds })).toThrow(
      /timeoutSeconds must be/
    )
  })
})

describe("toPostActionInput / exportFileName", () => {
  it("adds the integration and category, drops the export-only keys", () => {
    if (normalize === undefined) throw new Error("missing definition")
    const body = toPostActionInput(normalize, { integrationId: "int-1", category: "Workbridge" })
    expect(body).toEqual({
      name: normalize.name,
      category: "Workbridge",
      integrationId: "int-1",
      secure: false,
      config: normalize.config,
      contract: normalize.contract
    })
  })

  it("names files after the action", () => {
    expect(normalize && exportFileName(normalize)).toBe("workbridge-normalize-ticket.json")
    expect(status && exportFileName(status)).toBe("workbridge-ticket-sync-status.json")
  })
})
