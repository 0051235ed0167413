/** Test helpers: an emulator and the SDK target of its admin client. */
import type { Emulator } from "@workbridge/genesys-emulator"
import { startEmulator } from "@workbridge/genesys-emulator"
import type { SdkTarget } from "./providers/sdk.js"

export interface TestGenesys {
  readonly emulator: Emulator
  /** The emulator's admin client: what `pulumi up` would run with. */
  readonly admin: SdkTarget
}

export async function startTestGenesys(): Promise<TestGenesys> {
  const emulator = await startEmulator({ port: 0 })
  return {
    emulator,
    admin: { gatewayUrl: emulator.url, clientId: emulator.adminClientId, clientSecret: emulator.adminClientSecret }
  }
}

let counter = 0
/** A name prefix unique within a test run. */
export const uniquePrefix = (label: string): string => `T${label}${process.pid}x${++counter}`
