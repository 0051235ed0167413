/** The program entry (`infra/index.ts`, what `pulumi up` runs) reads the stack config and exports the outputs. */
import * as pulumi from "@pulumi/pulumi"
import { beforeAll, describe, expect, it } from "vitest"

const created: string[] = []

beforeAll(() => {
  pulumi.runtime.setMocks(
    {
      newResource(args) {
        created.push(args.name)
        const kind = args.type.split(":").pop() ?? ""
        const extra: Record<string, unknown> =
          kind === "Worktype"
            ? { worktypeId: "wt-1" }
            : kind === "OAuthClient"
              ? { clientId: "client-1", clientSecret: "client-secret-1" }
              : {}
        return { id: `${args.name}-id`, state: { ...args.inputs, ...extra } }
      },
      call() {
        throw new Error("Mock call not implemented")
      }
    },
    "workbridge",
    "dev",
    false
  )
})

const settle = <T>(o: pulumi.Output<T>): Promise<T> => new Promise((resolve) => o.apply(resolve))

describe("infra/index.ts", () => {
  it("refuses to run without the required config, naming the key", async () => {
    pulumi.runtime.setAllConfig({ "workbridge:region": "mypurecloud.ie" })
    await expect(import("../index.js?missing" as string)).rejects.toThrow(/workbridge:clientId: required/)
  })

  it("declares the stack from the stack config and exports what the service needs", async () => {
    pulumi.runtime.setAllConfig(
      {
        "workbridge:gatewayUrl": "http://127.0.0.1:9300",
        "workbridge:clientId": "admin",
        "workbridge:clientSecret": "admin-secret",
        "workbridge:serviceBaseUrl": "https://workbridge.example.com",
        "workbridge:dataActionBasicAuth": "genesys:pw",
        "workbridge:namePrefix": "Dev"
      },
      ["workbridge:clientSecret", "workbridge:dataActionBasicAuth"]
    )
    const program = (await import("../index.js")) as Record<string, unknown>
    expect(program["gatewayUrl"]).toBe("http://127.0.0.1:9300")
    expect(program["region"]).toBeUndefined()
    expect(await settle(program["worktypeId"] as pulumi.Output<string>)).toBe("wt-1")
    expect(await settle(program["clientId"] as pulumi.Output<string>)).toBe("client-1")
    expect(await pulumi.isSecret(program["clientSecret"] as pulumi.Output<string>)).toBe(true)
    expect(await pulumi.isSecret(program["dataActionBasicAuth"] as pulumi.Output<string>)).toBe(true)
    expect(created).toContain("workitems-worktype")
    expect(created).toContain("identity-client")
  })
})
