import { describe, expect, it } from "vitest"
import { distributedSettingsFromEnv } from "./Settings.js"

class Problem extends Error {
  constructor(
    readonly variable: string,
    text: string
  ) {
    super(`${variable}: ${text}`)
  }
}
const read = (env: Record<string, string>) => distributedSettingsFromEnv(env, (v, t) => new Problem(v, t))
const full = {
  WORKBRIDGE_QUEUE: "rabbitmq",
  WORKBRIDGE_STATE: "redis",
  WORKBRIDGE_RABBITMQ_URL: "amqp://u:p@mq:5672",
  WORKBRIDGE_REDIS_URL: "redis://r:6379"
}

describe("distributed settings", () => {
  it("defaults to the embedded stores", () => {
    expect(read({})).toEqual({ queue: "sqlite", state: "sqlite" })
  })

  it("reads the distributed mode with its defaults", () => {
    expect(read(full)).toEqual({
      queue: "rabbitmq",
      state: "redis",
      distributed: {
        rabbitmqUrl: full.WORKBRIDGE_RABBITMQ_URL,
        redisUrl: full.WORKBRIDGE_REDIS_URL,
        partitions: 8,
        namespace: "workbridge",
        prefetch: 2000,
        leaseMs: 30_000
      }
    })
    expect(read({ ...full, WORKBRIDGE_PARTITIONS: "16", WORKBRIDGE_NAMESPACE: "prod-eu" }).distributed).toMatchObject({
      partitions: 16,
      namespace: "prod-eu"
    })
  })

  it.each([
    [{ WORKBRIDGE_QUEUE: "kafka" }, "WORKBRIDGE_QUEUE"],
    [{ WORKBRIDGE_STATE: "etcd" }, "WORKBRIDGE_STATE"],
    [{ WORKBRIDGE_QUEUE: "rabbitmq" }, "WORKBRIDGE_STATE"],
    [{ WORKBRIDGE_STATE: "redis" }, "WORKBRIDGE_QUEUE"],
    [{ ...full, WORKBRIDGE_RABBITMQ_URL: "" }, "WORKBRIDGE_RABBITMQ_URL"],
    [{ ...full, WORKBRIDGE_RABBITMQ_URL: "http://mq" }, "WORKBRIDGE_RABBITMQ_URL"],
    [{ ...full, WORKBRIDGE_REDIS_URL: "not a url" }, "WORKBRIDGE_REDIS_URL"],
    [{ ...full, WORKBRIDGE_PARTITIONS: "0" }, "WORKBRIDGE_PARTITIONS"],
    [{ ...full, WORKBRIDGE_PARTITIONS: "eight" }, "WORKBRIDGE_PARTITIONS"],
    [{ ...full, WORKBRIDGE_NAMESPACE: "a b" }, "WORKBRIDGE_NAMESPACE"],
    [{ ...full, WORKBRIDGE_LEASE_MS: "10" }, "WORKBRIDGE_LEASE_MS"]
  ])("refuses %o naming %s", (env, variable) => {
    let caught: unknown
    try {
      read(env as Record<string, string>)
    } catch (e) {
      caught = e
    }
    expect(caught).toBeInstanceOf(Problem)
    expect((caught as Problem).variable).toBe(variable)
  })

  it("never puts a URL's password in an error", () => {
    let message = ""
    try {
      read({ ...full, WORKBRIDGE_RABBITMQ_URL: "http://user:hunter2@mq" })
    } catch (e) {
      message = (e as Error).message
    }
    expect(message).toContain("WORKBRIDGE_RABBITMQ_URL")
    expect(message).not.toContain("hunter2")
  })
})
