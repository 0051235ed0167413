/** Adopting objects that already exist: the program passes their ids as Pulumi's `import` option. */
import * as pulumi from "@pulumi/pulumi"
import { defaultCatalog } from "@workbridge/catalog"
import { beforeAll, describe, expect, it } from "vitest"
import type { StackConfig } from "./build/config.js"
import { parseAdopt } from "./build/config.js"

const seen = new Map<string, string | undefined>()

beforeAll(() => {
  pulumi.runtime.setMocks(
    {
      newResource(args) {
        seen.set(args.name, args.id)
        return { id: args.id ?? `${args.name}-id`, state: args.inputs }
      },
      call() {
        throw new Error("Mock call not implemented")
      }
    },
    "workbridge",
    "adopt",
    false
  )
})

describe("adoption", () => {
  it("imports the named objects by id and creates the rest", async () => {
    const config: StackConfig = {
      region: "mypurecloud.ie",
      clientId: "c",
      clientSecret: "s",
      serviceBaseUrl: "https://workbridge.example.com",
      namePrefix: "Acme",
      dataActionBasicAuth: "u:p",
      adopt: parseAdopt(
        JSON.stringify({
          workbin: "wb-existing",
          worktype: "wt-existing",
          statuses: { Open: "st-open" },
          role: "role-existing",
          actions: { "Workbridge - Normalize ticket": "action-existing" }
        })
      )
    }
    const { defineStack } = await import("./program.js")
    const stack = defineStack(config, defaultCatalog)
    await new Promise((resolve) => pulumi.all([stack.worktypeId, stack.dataActionIds]).apply(resolve))
    expect(seen.get("workitems-workbin")).toBe("wb-existing")
    expect(seen.get("workitems-worktype")).toBe("wt-existing")
    expect(seen.get("workitems-status-open")).toBe("st-open")
    expect(seen.get("identity-role")).toBe("role-existing")
    expect(seen.get("data-actions-workbridge-normalize-ticket")).toBe("action-existing")
    expect(seen.get("workitems-schema")).toBeFalsy()
    expect(seen.get("workitems-status-closed")).toBeFalsy()
    expect(seen.get("identity-client")).toBeFalsy()
  })
})

describe("parseAdopt", () => {
  it("names bad keys and values", () => {
    expect(() => parseAdopt("nope")).toThrow("workbridge:adopt: not valid JSON")
    expect(() => parseAdopt("[]")).toThrow(/workbridge:adopt: must be a JSON object/)
    expect(() => parseAdopt('{"oauthClient":"x"}')).toThrow(/workbridge:adopt\.oauthClient: unknown/)
    expect(() => parseAdopt('{"worktype":""}')).toThrow("workbridge:adopt.worktype: must be a non-empty id")
    expect(() => parseAdopt('{"statuses":{"Open":1}}')).toThrow(
      "workbridge:adopt.statuses.Open: must be a non-empty id"
    )
  })
})
