/**
 * The suite setup this package's SDK tests share: one emulator per suite and a session logged in as its seeded admin.
 * Vitest hooks, so only for test files.
 */
import { afterAll, beforeAll } from "vitest"
import { type Emulator, startEmulator } from "./Emulator.js"
import { type SdkSession, login } from "./testing.js"

export interface AdminSuite {
  readonly emu: Emulator
  readonly s: SdkSession
}

/**
 * Starts an emulator before the enclosing suite (the file, or the `describe` it is called in) and logs in as its admin;
 * closes the emulator after. The fields are set once `beforeAll` has run: read them inside tests and hooks.
 */
export const useAdminEmulator = (): AdminSuite => {
  const suite = {} as { emu: Emulator; s: SdkSession }
  beforeAll(async () => {
    suite.emu = await startEmulator()
    suite.s = await login(suite.emu.url, suite.emu.adminClientId, suite.emu.adminClientSecret)
  })
  afterAll(async () => {
    await suite.emu.close()
  })
  return suite
}
