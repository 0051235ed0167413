import { defineConfig } from "vitest/config"

/**
 * `pnpm test:browser`: the operator console driven in headless Chromium (playwright-core with the system's
 * chromium, CHROMIUM_PATH or /usr/bin/chromium). Not part of `pnpm test`, which stays Node-only.
 */
export default defineConfig({
  test: {
    name: "browser",
    root: import.meta.dirname,
    include: ["**/*.browser.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks"
  }
})
