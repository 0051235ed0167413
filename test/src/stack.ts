/**
 * A complete local stack for storms: the Genesys emulator in this process, the Genesys side provisioned through the
 * SDK by infra's provisioner (workbin, schema, worktype, statuses and a least-privilege OAuth client), and the sync
 * service as a child process using that client.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type Emulator, startEmulator } from "@workbridge/genesys-emulator"
import { defaultCatalog } from "@workbridge/catalog"
import { provisionForService } from "@workbridge/infra"
import { buildDataActionDefinitions } from "@workbridge/service/data-actions"
import type { GenesysReader } from "./genesys.js"
import type { StormTarget } from "./runStorm.js"
import { freePort, type ServiceProcess, startServiceProcess } from "./serviceProcess.js"

export interface StackOptions {
  /** The emulator's per-token rate limit (requests per minute); default 300, as Genesys. */
  readonly rateLimitPerMinute: number
  /** The service's budget (`WORKBRIDGE_BUDGET_PER_MINUTE`); default the emulator's rate limit. */
  readonly budgetPerMinute?: number
  /** Updates per minute per workitem the emulator allows; default 60, as Genesys. */
  readonly workitemUpdatesPerMinute?: number
  /** The webhook credentials the service must accept (a storm's `serviceEnv`). */
  readonly webhookEnv: Readonly<Record<string, string>>
  /** More service environment (e.g. `WORKBRIDGE_GENESYS_TIMEOUT_MS`, `LOG_LEVEL`). */
  readonly serviceEnv?: Readonly<Record<string, string>>
  /** Emulator fault PRNG seed; default 1. */
  readonly seed?: number
  /** Where the service's output goes; default a file in the data directory. */
  readonly logFile?: string
  /** Prefix of the provisioned objects' names; default `Storm`. */
  readonly namePrefix?: string
  /** Progress lines (failed restarts); default none. */
  readonly log?: (line: string) => void
  /** Run the service's production build (`service/dist/main.js`) instead of its sources through tsx. */
  readonly compiled?: boolean
  /** The emulator's clock (epoch ms); default `Date.now`. */
  readonly clock?: () => number
  /**
   * Also provision the write-back chain (the service's Data Actions at its own URL with this `user:password`, the
   * workflow and the trigger leaving out the service's client) and give the service the same Data Action credential.
   * The service's port is chosen first, so the actions point at the URL it then listens on (restarts keep it).
   */
  readonly writeBack?: {
    readonly dataActionBasicAuth: string
    /** The emulator's delays before each retry of a failed Data Action call (outlast a service restart). */
    readonly workflowRetryDelaysMs?: ReadonlyArray<number>
  }
}

export interface Stack {
  readonly emulator: Emulator
  readonly service: ServiceProcess
  readonly worktypeId: string
  /** The admin client, for the checker (reads every workitem). */
  readonly reader: GenesysReader
  /** The service's own OAuth client id (its calls are told apart in the emulator's log by it). */
  readonly serviceClientId: string
  /** The worktype's status ids by name. */
  readonly statusIds: Readonly<Record<string, string>>
  /** With `writeBack`: the provisioned workflow and trigger. */
  readonly writeBack?: { readonly workflowId: string; readonly triggerId: string }
  readonly budgetPerMinute: number
  readonly dataDir: string
  readonly logFile: string
  close(): Promise<void>
}

/** Start the emulator, provision it and start the service. `close()` stops both and deletes the data directory. */
export const startStack = async (options: StackOptions): Promise<Stack> => {
  const emulator = await startEmulator({
    port: 0,
    rateLimitPerMinute: options.rateLimitPerMinute,
    ...(options.workitemUpdatesPerMinute === undefined
      ? {}
      : { workitemUpdatesPerMinute: options.workitemUpdatesPerMinute }),
    seed: options.seed ?? 1,
    quiet: true,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.writeBack?.workflowRetryDelaysMs === undefined
      ? {}
      : { workflowRetryDelaysMs: options.writeBack.workflowRetryDelaysMs })
  })
  const dataDir = mkdtempSync(join(tmpdir(), "workbridge-storm-"))
  const logFile = options.logFile ?? join(dataDir, "service.log")
  try {
    const port = await freePort()
    const writeBack = options.writeBack
    const colon = writeBack?.dataActionBasicAuth.indexOf(":") ?? -1
    if (writeBack !== undefined && colon < 1) throw new Error("writeBack.dataActionBasicAuth must be user:password")
    const provisioned = await provisionForService(
      { gatewayUrl: emulator.url, clientId: emulator.adminClientId, clientSecret: emulator.adminClientSecret },
      {
        namePrefix: options.namePrefix ?? "Storm",
        ...(writeBack === undefined
          ? {}
          : {
              dataActions: {
                definitions: buildDataActionDefinitions(defaultCatalog, {
                  baseUrl: `http://127.0.0.1:${port}`,
                  credentialType: "basicAuth"
                }),
                basicAuth: {
                  userName: writeBack.dataActionBasicAuth.slice(0, colon),
                  password: writeBack.dataActionBasicAuth.slice(colon + 1)
                }
              },
              writeBack: {}
            })
      }
    )
    const budgetPerMinute = options.budgetPerMinute ?? options.rateLimitPerMinute
    const service = await startServiceProcess({
      ...(options.compiled === true ? { compiled: true } : {}),
      port,
      env: {
        LOG_LEVEL: "warn",
        ...options.webhookEnv,
        ...options.serviceEnv,
        GENESYS_GATEWAY_URL: emulator.url,
        GENESYS_CLIENT_ID: provisioned.clientId,
        GENESYS_CLIENT_SECRET: provisioned.clientSecret,
        WORKBRIDGE_WORKTYPE_ID: provisioned.worktypeId,
        WORKBRIDGE_BUDGET_PER_MINUTE: String(budgetPerMinute),
        WORKBRIDGE_DATA_DIR: dataDir,
        ...(writeBack === undefined ? {} : { WORKBRIDGE_DATA_ACTION_BASIC_AUTH: writeBack.dataActionBasicAuth })
      },
      logFile,
      onRestartFailure: (attempt, e) =>
        options.log?.(
          `service restart attempt ${attempt} failed: ${(e instanceof Error ? e.message : String(e)).split("\n")[0]}`
        )
    })
    return {
      emulator,
      service,
      worktypeId: provisioned.worktypeId,
      reader: { gatewayUrl: emulator.url, clientId: emulator.adminClientId, clientSecret: emulator.adminClientSecret },
      serviceClientId: provisioned.clientId,
      statusIds: provisioned.statusIds,
      ...(provisioned.workflowId !== undefined && provisioned.triggerId !== undefined
        ? { writeBack: { workflowId: provisioned.workflowId, triggerId: provisioned.triggerId } }
        : {}),
      budgetPerMinute,
      dataDir,
      logFile,
      close: async () => {
        await service.stop().catch(() => undefined)
        await emulator.close().catch(() => undefined)
        rmSync(dataDir, { recursive: true, force: true })
      }
    }
  } catch (e) {
    await emulator.close().catch(() => undefined)
    rmSync(dataDir, { recursive: true, force: true })
    throw e
  }
}

/** The storm target of a one-service stack (add `crash` for kill -9 runs). */
export const stormTarget = (stack: Stack): StormTarget => ({
  serviceUrls: [stack.service.url],
  emulatorUrl: stack.emulator.url,
  reader: stack.reader,
  worktypeId: stack.worktypeId,
  serviceClientId: stack.serviceClientId,
  budgetPerMinute: stack.budgetPerMinute
})
