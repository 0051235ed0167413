import { configDefaults, defineProject, mergeConfig } from "vitest/config"
import shared from "../vitest.shared.js"

export default mergeConfig(
  shared,
  defineProject({
    test: {
      name: "e2e",
      include: ["src/**/*.test.ts", "chaos/**/*.test.ts", "bench/**/*.test.ts"],
      exclude: [...configDefaults.exclude, "**/*.services.test.ts"]
    }
  })
)
