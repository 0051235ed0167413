/**
 * The Task Management side of a deployment: workbin, the catalog's workitem schema, the worktype, its statuses
 * (from the catalog's status vocabulary), their transitions and the default status.
 * Deletion order follows the dependencies: transitions → statuses → worktype → schema and workbin.
 */
import * as pulumi from "@pulumi/pulumi"
import type { Catalog } from "@workbridge/catalog"
import { toWorkitemSchema } from "@workbridge/catalog"
import type { AdoptIds } from "../build/config.js"
import type { ResourceNames } from "../build/names.js"
import { planStatuses, statusSlug } from "@workbridge/genesys"
import type { SdkTarget } from "../providers/sdk.js"
import { Workbin } from "../providers/workbin.js"
import { WorkitemSchema } from "../providers/workitemSchema.js"
import { Worktype } from "../providers/worktype.js"
import { WorktypeDefaultStatus } from "../providers/worktypeDefaultStatus.js"
import { WorktypeStatus } from "../providers/worktypeStatus.js"
import { WorktypeStatusTransitions } from "../providers/worktypeStatusTransitions.js"

export interface WorkitemSetupArgs {
  readonly connection: pulumi.Input<SdkTarget>
  readonly catalog: Catalog
  readonly names: Pick<ResourceNames, "workbin" | "schema" | "worktype">
  /** Existing objects to adopt by id instead of creating them. */
  readonly adopt?: Pick<AdoptIds, "workbin" | "schema" | "worktype" | "statuses">
}

/** Child options: parented to the component, adopting `id` when given. */
const childOpts = (parent: pulumi.Resource, id: string | undefined): pulumi.CustomResourceOptions =>
  id === undefined ? { parent } : { parent, import: id }

export class WorkitemSetup extends pulumi.ComponentResource {
  public readonly workbinId: pulumi.Output<string>
  public readonly schemaId: pulumi.Output<string>
  public readonly schemaVersion: pulumi.Output<number>
  public readonly worktypeId: pulumi.Output<string>
  public readonly worktypeName: pulumi.Output<string>
  /** Status name → status id. */
  public readonly statusIds: pulumi.Output<Record<string, string>>

  constructor(name: string, args: WorkitemSetupArgs, opts?: pulumi.ComponentResourceOptions) {
    super("workbridge:index:WorkitemSetup", name, {}, opts)
    const plan = planStatuses(args.catalog)
    const schemaBody = toWorkitemSchema(args.catalog)
    const { connection } = args

    const workbin = new Workbin(
      `${name}-workbin`,
      { connection, name: args.names.workbin, description: "Helpdesk tickets synced by Workbridge" },
      childOpts(this, args.adopt?.workbin)
    )
    const schema = new WorkitemSchema(
      `${name}-schema`,
      {
        connection,
        name: args.names.schema,
        jsonSchema: schemaBody.jsonSchema as unknown as Record<string, unknown>,
        enabled: true
      },
      childOpts(this, args.adopt?.schema)
    )
    const worktype = new Worktype(
      `${name}-worktype`,
      {
        connection,
        name: args.names.worktype,
        description: args.catalog.schemaDescription.slice(0, 512),
        defaultWorkbinId: workbin.workbinId,
        schemaId: schema.schemaId,
        schemaVersion: schema.version,
        disableDefaultStatusCreation: true
      },
      childOpts(this, args.adopt?.worktype)
    )
    const statuses = new Map<string, WorktypeStatus>()
    for (const s of plan.statuses) {
      statuses.set(
        s.name,
        new WorktypeStatus(
          `${name}-status-${statusSlug(s.name)}`,
          {
            connection,
            worktypeId: worktype.worktypeId,
            name: s.name,
            category: s.category,
            ...(s.description === undefined ? {} : { description: s.description })
          },
          childOpts(this, args.adopt?.statuses?.[s.name])
        )
      )
    }
    const idOf = (statusName: string) => (statuses.get(statusName) as WorktypeStatus).statusId
    const transitions = plan.statuses.map(
      (s) =>
        new WorktypeStatusTransitions(
          `${name}-transitions-${statusSlug(s.name)}`,
          {
            connection,
            worktypeId: worktype.worktypeId,
            statusId: idOf(s.name),
            destinationStatusIds: (plan.transitions[s.name] ?? []).map(idOf)
          },
          { parent: this }
        )
    )
    new WorktypeDefaultStatus(
      `${name}-default-status`,
      { connection, worktypeId: worktype.worktypeId, statusId: idOf(plan.defaultStatus) },
      { parent: this, dependsOn: transitions }
    )

    this.workbinId = workbin.workbinId
    this.schemaId = schema.schemaId
    this.schemaVersion = schema.version
    this.worktypeId = worktype.worktypeId
    this.worktypeName = worktype.name
    this.statusIds = pulumi
      .all([...statuses.entries()].map(([n, r]) => r.statusId.apply((id) => [n, id] as const)))
      .apply((pairs) => Object.fromEntries(pairs))
    this.registerOutputs({
      workbinId: this.workbinId,
      schemaId: this.schemaId,
      worktypeId: this.worktypeId,
      statusIds: this.statusIds
    })
  }
}
