/**
 * A complete local stack for storms: the Genesys emulator in this process, the Genesys side provisioned through the
 * SDK by infra's provisioner (workbin, schema, worktype, statuses and a least-privilege OAuth client), and the sync
 * service as a child process using that client.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type Emulator, startEmulator } from "@workbridge/genesys-emulator"
import { provisionForService } from "@workbridge/infra"
import type { GenesysReader } from "./genesys.js"
import type { StormTarget } from "./runStorm.js"
import { type ServiceProcess, startServiceProcess } from "./serviceProcess.js"

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
}

export interface Stack {
  readonly emulator: Emulator
  readonly service: ServiceProcess
  readonly worktypeId: string
  /** The admin client, for the checker (reads every workitem). */
  readonly reader: GenesysReader
  /** The service's own OAuth client id (its calls are told apart in the emulator's log by it). */
  readonly serviceClientId: string
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
    quiet: true
  })
  const dataDir = mkdtempSync(join(tmpdir(), "workbridge-storm-"))
  const logFile = options.logFile ?? join(dataDir, "service.log")
  try {
    const provisioned = await provisionForService(
      { gatewayUrl: emulator.url, clientId: emulator.adminClientId, clientSecret: emulator.adminClientSecret },
      { namePrefix: options.namePrefix ?? "Storm" }
    )
    const budgetPerMinute = options.budgetPerMinute ?? options.rateLimitPerMinute
    const service = await startServiceProcess({
      ...(options.compiled === true ? { compiled: true } : {}),
      env: {
        LOG_LEVEL: "warn",
        ...options.webhookEnv,
        ...options.serviceEnv,
        GENESYS_GATEWAY_URL: emulator.url,
        GENESYS_CLIENT_ID: provisioned.clientId,
        GENESYS_CLIENT_SECRET: provisioned.clientSecret,
        WORKBRIDGE_WORKTYPE_ID: provisioned.worktypeId,
        WORKBRIDGE_BUDGET_PER_MINUTE: String(budgetPerMinute),
        WORKBRIDGE_DATA_DIR: dataDir
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
