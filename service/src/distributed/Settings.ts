/**
 * Configuration of the distributed mode, read from the environment with the rest of the service's
 * configuration (`Config.ts` calls `distributedSettingsFromEnv`). Every problem names its variable.
 *
 *   WORKBRIDGE_QUEUE=sqlite|rabbitmq     WORKBRIDGE_STATE=sqlite|redis   (rabbitmq and redis go together)
 *   WORKBRIDGE_RABBITMQ_URL              amqp://user:password@host:5672/vhost (required with rabbitmq)
 *   WORKBRIDGE_REDIS_URL                 redis://[:password@]host:6379[/db]   (required with redis)
 *   WORKBRIDGE_PARTITIONS                partition queues, 1–1024 (default 8); fixed for a namespace
 *   WORKBRIDGE_NAMESPACE                 prefix of queues and keys (default "workbridge")
 *   WORKBRIDGE_PREFETCH                  unacknowledged deliveries per partition consumer (default 500)
 *   WORKBRIDGE_LEASE_MS                  a replica's hold on a ticket without renewal (default 30000)
 */
export type QueueKind = "sqlite" | "rabbitmq"
export type StateKind = "sqlite" | "redis"

export interface DistributedSettings {
  readonly rabbitmqUrl: string
  readonly redisUrl: string
  readonly partitions: number
  readonly namespace: string
  readonly prefetch: number
  readonly leaseMs: number
}

export interface StoreSettings {
  readonly queue: QueueKind
  readonly state: StateKind
  /** Present when queue is rabbitmq and state is redis. */
  readonly distributed?: DistributedSettings
}

type Env = Readonly<Record<string, string | undefined>>

const str = (env: Env, name: string): string | undefined => {
  const v = env[name]
  return v === undefined || v.trim() === "" ? undefined : v.trim()
}

/** Read the store selection; `problem(variable, text)` builds the error thrown (the service's `ConfigError`). */
export const distributedSettingsFromEnv = (env: Env, problem: (variable: string, text: string) => Error): StoreSettings => {
  const queue = str(env, "WORKBRIDGE_QUEUE") ?? "sqlite"
  if (queue !== "sqlite" && queue !== "rabbitmq") throw problem("WORKBRIDGE_QUEUE", `must be sqlite or rabbitmq, got "${queue}"`)
  const state = str(env, "WORKBRIDGE_STATE") ?? "sqlite"
  if (state !== "sqlite" && state !== "redis") throw problem("WORKBRIDGE_STATE", `must be sqlite or redis, got "${state}"`)
  if (queue === "rabbitmq" && state !== "redis") {
    throw problem("WORKBRIDGE_STATE", "must be redis when WORKBRIDGE_QUEUE=rabbitmq (replicas share dedupe keys, links and the budget)")
  }
  if (state === "redis" && queue !== "rabbitmq") {
    throw problem("WORKBRIDGE_QUEUE", "must be rabbitmq when WORKBRIDGE_STATE=redis (an embedded inbox is not shared between replicas)")
  }
  if (queue === "sqlite") return { queue, state: "sqlite" }

  const url = (name: string, schemes: ReadonlyArray<string>, example: string): string => {
    const raw = str(env, name)
    if (raw === undefined) throw problem(name, `is required with WORKBRIDGE_QUEUE=rabbitmq and WORKBRIDGE_STATE=redis (e.g. ${example})`)
    let u: URL
    try {
      u = new URL(raw)
    } catch {
      throw problem(name, `must be a URL such as ${example}`)
    }
    if (!schemes.includes(u.protocol)) throw problem(name, `must use ${schemes.map((s) => s.replace(":", "")).join(" or ")}, got ${u.protocol.replace(":", "")}`)
    return raw
  }
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = str(env, name)
    if (raw === undefined) return fallback
    if (!/^\d+$/.test(raw)) throw problem(name, `must be an integer, got "${raw}"`)
    const n = Number(raw)
    if (n < min || n > max) throw problem(name, `must be between ${min} and ${max}, got ${n}`)
    return n
  }
  const namespace = str(env, "WORKBRIDGE_NAMESPACE") ?? "workbridge"
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(namespace)) {
    throw problem("WORKBRIDGE_NAMESPACE", `must be 1–64 letters, digits, "-", "_" or ".", got "${namespace}"`)
  }
  return {
    queue,
    state,
    distributed: {
      rabbitmqUrl: url("WORKBRIDGE_RABBITMQ_URL", ["amqp:", "amqps:"], "amqp://guest:guest@127.0.0.1:5672"),
      redisUrl: url("WORKBRIDGE_REDIS_URL", ["redis:", "rediss:"], "redis://127.0.0.1:6379"),
      partitions: int("WORKBRIDGE_PARTITIONS", 8, 1, 1024),
      namespace,
      prefetch: int("WORKBRIDGE_PREFETCH", 500, 1, 10_000),
      leaseMs: int("WORKBRIDGE_LEASE_MS", 30_000, 1_000, 3_600_000)
    }
  }
}
