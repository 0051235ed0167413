/** Shared by the services tests: where RabbitMQ and Redis are, fresh namespaces, and their cleanup. */
import { randomBytes } from "node:crypto"
import { Redis } from "ioredis"
import { deleteTopology } from "./RabbitInbox.js"
import { deleteNamespace } from "./RedisLinkStore.js"

export const RABBITMQ_URL = process.env["WORKBRIDGE_TEST_RABBITMQ_URL"] ?? "amqp://guest:guest@127.0.0.1:5672"
export const REDIS_URL = process.env["WORKBRIDGE_TEST_REDIS_URL"] ?? "redis://127.0.0.1:6379"

/** Namespaces created by this process, for `dropNamespaces`. */
const created: Array<{ prefix: string; partitions: number }> = []

/** A fresh `wb-test-<random>` prefix, so parallel runs and leftovers never collide. */
export const freshPrefix = (partitions = 0): string => {
  const prefix = `wb-test-${randomBytes(5).toString("hex")}`
  created.push({ prefix, partitions })
  return prefix
}

/** Delete the queues and keys of every namespace made by `freshPrefix`. */
export const dropNamespaces = async (): Promise<void> => {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 })
  await redis.connect()
  try {
    for (const { prefix, partitions } of created.splice(0)) {
      await deleteNamespace(redis, prefix)
      if (partitions > 0) await deleteTopology(RABBITMQ_URL, prefix, partitions)
    }
  } finally {
    redis.disconnect()
  }
}

/** Poll `ok` every 20 ms until it holds; fails naming `what` after `timeoutMs`. */
export const until = async (what: string, ok: () => boolean, timeoutMs = 10_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}
