import { execFile } from "node:child_process"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import * as pulumi from "@pulumi/pulumi"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { TestGenesys } from "../testing.js"
import { startTestGenesys } from "../testing.js"
import { dataActionProvider } from "./dataAction.js"
import { integrationProvider } from "./integration.js"
import { integrationCredentialProvider } from "./integrationCredential.js"
import { oauthClientProvider } from "./oauthClient.js"
import { processAutomationTriggerProvider } from "./processAutomationTrigger.js"
import { roleProvider } from "./role.js"
import { workbinProvider } from "./workbin.js"
import { workflowProvider } from "./workflow.js"
import { workitemSchemaProvider } from "./workitemSchema.js"
import { worktypeProvider } from "./worktype.js"
import { worktypeDefaultStatusProvider } from "./worktypeDefaultStatus.js"
import { worktypeStatusProvider } from "./worktypeStatus.js"
import { worktypeStatusTransitionsProvider } from "./worktypeStatusTransitions.js"

const PROVIDERS = {
  workbinProvider,
  workitemSchemaProvider,
  worktypeProvider,
  worktypeStatusProvider,
  worktypeStatusTransitionsProvider,
  worktypeDefaultStatusProvider,
  roleProvider,
  oauthClientProvider,
  integrationCredentialProvider,
  integrationProvider,
  dataActionProvider,
  workflowProvider,
  processAutomationTriggerProvider
} as const

/** Provider export → its file. */
const FILES: Record<keyof typeof PROVIDERS, string> = {
  workbinProvider: "workbin",
  workitemSchemaProvider: "workitemSchema",
  worktypeProvider: "worktype",
  worktypeStatusProvider: "worktypeStatus",
  worktypeStatusTransitionsProvider: "worktypeStatusTransitions",
  worktypeDefaultStatusProvider: "worktypeDefaultStatus",
  roleProvider: "role",
  oauthClientProvider: "oauthClient",
  integrationCredentialProvider: "integrationCredential",
  integrationProvider: "integration",
  dataActionProvider: "dataAction",
  workflowProvider: "workflow",
  processAutomationTriggerProvider: "processAutomationTrigger"
}

/**
 * Load a serialized provider the way Pulumi's dynamic-provider process does (`require-from-string` of the text,
 * then `.handler()`), with a `require` rooted in an empty directory: only what the text carries is available.
 */
const deserialize = (text: string): Record<string, (...args: any[]) => Promise<any>> => {
  const module = { exports: {} as { handler?: () => unknown } }
  const req = createRequire(join(tmpdir(), "workbridge-provider-process.js"))
  new Function("exports", "require", "module", "__filename", "__dirname", text)(module.exports, req, module, "", "")
  return (module.exports.handler as () => Record<string, (...args: any[]) => Promise<any>>)()
}

let g: TestGenesys
beforeAll(async () => {
  g = await startTestGenesys()
})
afterAll(async () => {
  await g.emulator.close()
})

describe("provider serialization (Pulumi closure serialization, not stubbed)", () => {
  it.each(Object.entries(PROVIDERS))(
    "%s serializes with its methods and captures no module",
    async (_name, provider) => {
      const { text } = await pulumi.runtime.serializeFunction(() => provider)
      expect(text).toContain("exports.handler")
      expect(text).not.toMatch(/__vi_import|__vite_ssr_import__/)
      const loaded = deserialize(text)
      for (const method of Object.keys(provider)) expect(typeof loaded[method]).toBe("function")
    }
  )

  it("a deserialized provider runs against Genesys (the emulator) through the SDK", async () => {
    const workbin = deserialize((await pulumi.runtime.serializeFunction(() => workbinProvider)).text)
    const created = await workbin["create"]!({ connection: g.admin, name: "Serialized workbin" })
    expect(created.outs.workbinId).toBe(created.id)
    const read = await workbin["read"]!(created.id, created.outs)
    expect(read.props.name).toBe("Serialized workbin")
    await workbin["delete"]!(created.id, created.outs)
    await expect(workbin["read"]!(created.id, created.outs)).rejects.toMatchObject({ status: 404 })
  })

  it("serializes in the program's own runtime too (node --import tsx, native ESM, outside vitest)", async () => {
    const root = fileURLToPath(new URL("../../..", import.meta.url))
    const script = [
      'import * as pulumi from "@pulumi/pulumi"',
      `const files = ${JSON.stringify(FILES)}`,
      "const sizes = {}",
      "for (const [n, f] of Object.entries(files)) {",
      "  const m = await import(`./src/providers/${f}.ts`)",
      "  sizes[n] = (await pulumi.runtime.serializeFunction(() => m[n])).text.length",
      "}",
      "console.log(JSON.stringify(sizes))",
      "process.exit(0)"
    ].join("\n")
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", script],
      { cwd: join(root, "infra"), timeout: 110_000 }
    )
    const sizes = JSON.parse(stdout.trim().split("\n").pop() as string) as Record<string, number>
    expect(Object.keys(sizes).sort()).toEqual(Object.keys(PROVIDERS).sort())
    for (const size of Object.values(sizes)) expect(size).toBeGreaterThan(500)
  }, 120_000)
})
