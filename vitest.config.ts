import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    projects: [
      "packages/*",
      "service/vitest.config.ts",
      "service/vitest.services.config.ts",
      "infra",
      "test/vitest.config.ts",
      "test/vitest.services.config.ts"
    ]
  }
})
