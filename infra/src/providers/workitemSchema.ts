/**
 * Workitem schema (custom attributes, docs/genesys-api.md §2.3), over `TaskManagementApi`:
 * - create → `postTaskmanagementWorkitemsSchemas({ name, enabled, appliesTo, jsonSchema, version: 1 })`
 * - read   → `getTaskmanagementWorkitemsSchema(id)`
 * - update → `getTaskmanagementWorkitemsSchema(id)` for the current version, then
 *            `putTaskmanagementWorkitemsSchema(id, { …, version: current })` (each PUT makes a new version); both
 *            again on a version conflict (409/408, or 400 "does not match the current version")
 * `read` keeps of the server's `jsonSchema` only the top-level keys the program sets (each compared whole, as CX as
 * Code compares `properties`), and `diff` ignores key order, so keys the server adds at the top or reorders neither
 * show a change nor make a new schema version.
 * - delete → `deleteTaskmanagementWorkitemsSchema(id)` (404 counts as deleted); the worktype that uses the schema
 *            depends on it, so Pulumi deletes the worktype first.
 * Everything updates in place: a worktype's `schemaId` cannot change, so the schema is never replaced.
 */
import * as pulumi from "@pulumi/pulumi"
import type { SdkTarget } from "./sdk.js"
import {
  call,
  changedKeys,
  checkTarget,
  connect,
  deleteIgnoringMissing,
  diffResult,
  projectOnto,
  retrying
} from "./sdk.js"

export interface WorkitemSchemaArgs {
  readonly connection: pulumi.Input<SdkTarget>
  readonly name: pulumi.Input<string>
  /** The JSON Schema document (`DataSchema.jsonSchema`), e.g. `toWorkitemSchema(catalog).jsonSchema`. */
  readonly jsonSchema: pulumi.Input<Record<string, unknown>>
  /** Written explicitly, `false` included. Default true. */
  readonly enabled?: pulumi.Input<boolean>
}

export interface WorkitemSchemaInputs {
  readonly connection: SdkTarget
  readonly name: string
  readonly jsonSchema: Record<string, unknown>
  readonly enabled?: boolean
}

export interface WorkitemSchemaOutputs extends WorkitemSchemaInputs {
  readonly schemaId: string
  /** The schema version Genesys holds after the last create/update. */
  readonly version: number
}

interface DataSchemaBody {
  id: string
  name: string
  version: number
  enabled?: boolean
  jsonSchema: Record<string, unknown>
}

const COMPARED = ["name", "jsonSchema", "enabled"] as const

/** Check a schema's inputs; the message names the bad field. */
export function checkWorkitemSchemaInputs(inputs: WorkitemSchemaInputs): WorkitemSchemaInputs {
  checkTarget(inputs.connection)
  if (typeof inputs.name !== "string" || inputs.name.trim() === "") {
    throw new Error(`workitemSchema.name: missing or empty`)
  }
  const js = inputs.jsonSchema
  if (js === null || typeof js !== "object" || Array.isArray(js)) {
    throw new Error("workitemSchema.jsonSchema: must be a JSON Schema object")
  }
  const props = js["properties"]
  if (props === null || typeof props !== "object") {
    throw new Error("workitemSchema.jsonSchema.properties: must be an object")
  }
  const count = Object.keys(props as object).length
  if (count > 50) throw new Error(`workitemSchema.jsonSchema.properties: at most 50 fields, got ${count}`)
  if (inputs.enabled !== undefined && typeof inputs.enabled !== "boolean") {
    throw new Error("workitemSchema.enabled: must be a boolean")
  }
  return inputs
}

const outsOf = (inputs: WorkitemSchemaInputs, got: DataSchemaBody): WorkitemSchemaOutputs => ({
  ...inputs,
  schemaId: got.id,
  version: got.version
})

export const workitemSchemaProvider = {
  async create(inputs: WorkitemSchemaInputs) {
    checkWorkitemSchemaInputs(inputs)
    const s = await connect(inputs.connection)
    const created = await call<DataSchemaBody>("postTaskmanagementWorkitemsSchemas", () =>
      s.taskManagement.postTaskmanagementWorkitemsSchemas({
        name: inputs.name,
        version: 1,
        enabled: inputs.enabled ?? true,
        appliesTo: ["WORKITEM"],
        jsonSchema: inputs.jsonSchema
      } as never)
    )
    return { id: created.id, outs: outsOf(inputs, created) }
  },

  async read(id: string, props: WorkitemSchemaOutputs) {
    const s = await connect(props.connection)
    const got = await call<DataSchemaBody>("getTaskmanagementWorkitemsSchema", () =>
      s.taskManagement.getTaskmanagementWorkitemsSchema(id)
    )
    const outs: WorkitemSchemaOutputs = {
      connection: props.connection,
      schemaId: got.id,
      version: got.version,
      name: got.name,
      jsonSchema: projectOnto(got.jsonSchema, props.jsonSchema, 1) as Record<string, unknown>,
      ...(got.enabled === undefined ? {} : { enabled: got.enabled })
    }
    return { id: got.id, props: outs }
  },

  async diff(_id: string, olds: WorkitemSchemaOutputs, news: WorkitemSchemaInputs) {
    const changed = changedKeys(
      { ...olds, enabled: olds.enabled ?? true },
      { ...news, enabled: news.enabled ?? true },
      COMPARED
    )
    return diffResult(changed, [])
  },

  async update(id: string, _olds: WorkitemSchemaOutputs, news: WorkitemSchemaInputs) {
    checkWorkitemSchemaInputs(news)
    const s = await connect(news.connection)
    // PUT needs the version Genesys holds now, not the one recorded in state (it may have drifted); a version
    // conflict reads it again and retries.
    const updated = await retrying(["versionConflict"], async () => {
      const current = await call<DataSchemaBody>("getTaskmanagementWorkitemsSchema", () =>
        s.taskManagement.getTaskmanagementWorkitemsSchema(id)
      )
      return call<DataSchemaBody>("putTaskmanagementWorkitemsSchema", () =>
        s.taskManagement.putTaskmanagementWorkitemsSchema(id, {
          name: news.name,
          version: current.version,
          enabled: news.enabled ?? true,
          appliesTo: ["WORKITEM"],
          jsonSchema: news.jsonSchema
        } as never)
      )
    })
    return { outs: outsOf(news, updated) }
  },

  async delete(id: string, props: WorkitemSchemaOutputs) {
    const s = await connect(props.connection)
    await deleteIgnoringMissing("deleteTaskmanagementWorkitemsSchema", () =>
      s.taskManagement.deleteTaskmanagementWorkitemsSchema(id)
    )
  }
} satisfies pulumi.dynamic.ResourceProvider

/** The workitem schema holding the catalog's custom fields. */
export class WorkitemSchema extends pulumi.dynamic.Resource {
  declare public readonly schemaId: pulumi.Output<string>
  declare public readonly version: pulumi.Output<number>

  constructor(name: string, args: WorkitemSchemaArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      workitemSchemaProvider,
      name,
      { schemaId: undefined, version: undefined, ...args, connection: pulumi.secret(args.connection) },
      { ...opts, additionalSecretOutputs: ["connection"] },
      "workbridge",
      "WorkitemSchema"
    )
  }
}
