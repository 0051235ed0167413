import { defineProject } from "vitest/config"
import shared from "../vitest.shared.js"

/** Tests that need RabbitMQ and Redis: run by `pnpm test:services`, never by `pnpm test`. They fail when the services are absent. */
export default defineProject({
  test: {
    ...shared.test,
    name: "services-test",
    include: ["**/*.services.test.ts"],
    exclude: ["**/node_modules/**"],
    testTimeout: 120_000
  }
})
