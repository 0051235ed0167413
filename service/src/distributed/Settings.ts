/**
 * Configuration of the distributed mode, read from the environment with the rest of the service's
 * configuration (`ServiceConfig.stores` is `storeSettingsConfig`). Every problem names its variable.
 *
 *   WORKBRIDGE_QUEUE=sqlite|rabbitmq     WORKBRIDGE_STATE=sqlite|redis   (rabbitmq and redis go together)
 *   WORKBRIDGE_RABBITMQ_URL              amqp://user:password@host:5672/vhost (required with rabbitmq)
 *   WORKBRIDGE_REDIS_URL                 redis://[:password@]host:6379[/db]   (required with redis)
 *   WORKBRIDGE_PARTITIONS                partition queues, 1–1024 (default 8); fixed for a namespace
 *   WORKBRIDGE_NAMESPACE                 prefix of queues and keys (default "workbridge")
 *   WORKBRIDGE_PREFETCH                  unacknowledged deliveries per partition consumer (default 2000)
 *   WORKBRIDGE_LEASE_MS                  a replica's hold on a ticket without renewal (default 30000)
 */
import { Config, Either } from "effect"
import { type Env, about, fail, readSync, text, toIntegerOr } from "../config/EnvConfig.js"

/**
 * Unacknowledged deliveries per partition consumer, by default: how far into its partitions' backlog a replica
 * sees. A ticket's events beyond it are still in the broker when the ticket is taken, so they are applied in a
 * later batch (another Genesys update); a backlog of up to this many events per partition is coalesced as the
 * embedded inbox coalesces its whole backlog (docs/distributed.md, "Coalescing and the prefetch window").
 */
export const DEFAULT_PREFETCH = 2000

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

/** A `redis://`/`amqp://` URL, required with the distributed stores; never echoed (it may hold a password). */
const url = (
  raw: string | undefined,
  schemes: ReadonlyArray<string>,
  example: string
): Either.Either<string, string> => {
  if (raw === undefined)
    return Either.left(`is required with WORKBRIDGE_QUEUE=rabbitmq and WORKBRIDGE_STATE=redis (e.g. ${example})`)
  let u: URL
  try {
    u = new URL(raw)
  } catch {
    return Either.left(`must be a URL such as ${example}`)
  }
  if (!schemes.includes(u.protocol))
    return Either.left(
      `must use ${schemes.map((s) => s.replace(":", "")).join(" or ")}, got ${u.protocol.replace(":", "")}`
    )
  return Either.right(raw)
}

const variables = Config.all({
  WORKBRIDGE_QUEUE: text("WORKBRIDGE_QUEUE"),
  WORKBRIDGE_STATE: text("WORKBRIDGE_STATE"),
  WORKBRIDGE_RABBITMQ_URL: text("WORKBRIDGE_RABBITMQ_URL"),
  WORKBRIDGE_REDIS_URL: text("WORKBRIDGE_REDIS_URL"),
  WORKBRIDGE_PARTITIONS: text("WORKBRIDGE_PARTITIONS"),
  WORKBRIDGE_NAMESPACE: text("WORKBRIDGE_NAMESPACE"),
  WORKBRIDGE_PREFETCH: text("WORKBRIDGE_PREFETCH"),
  WORKBRIDGE_LEASE_MS: text("WORKBRIDGE_LEASE_MS")
})

/**
 * The store selection as an Effect `Config` (the service's configuration reads it as `ServiceConfig.stores`). The
 * broker and shared-state variables are read only when the distributed stores are selected.
 */
export const storeSettingsConfig: Config.Config<StoreSettings> = Config.mapOrFail(variables, (v) =>
  Either.gen(function* () {
    const queue = v.WORKBRIDGE_QUEUE ?? "sqlite"
    if (queue !== "sqlite" && queue !== "rabbitmq")
      return yield* fail("WORKBRIDGE_QUEUE", `must be sqlite or rabbitmq, got "${queue}"`)
    const state = v.WORKBRIDGE_STATE ?? "sqlite"
    if (state !== "sqlite" && state !== "redis")
      return yield* fail("WORKBRIDGE_STATE", `must be sqlite or redis, got "${state}"`)
    if (queue === "rabbitmq" && state !== "redis") {
      return yield* fail(
        "WORKBRIDGE_STATE",
        "must be redis when WORKBRIDGE_QUEUE=rabbitmq (replicas share dedupe keys, links and the budget)"
      )
    }
    if (state === "redis" && queue !== "rabbitmq") {
      return yield* fail(
        "WORKBRIDGE_QUEUE",
        "must be rabbitmq when WORKBRIDGE_STATE=redis (an embedded inbox is not shared between replicas)"
      )
    }
    if (queue === "sqlite") return { queue, state: "sqlite" as const }
    const namespace = v.WORKBRIDGE_NAMESPACE ?? "workbridge"
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(namespace)) {
      return yield* fail("WORKBRIDGE_NAMESPACE", `must be 1–64 letters, digits, "-", "_" or ".", got "${namespace}"`)
    }
    const distributed: DistributedSettings = {
      rabbitmqUrl: yield* about(
        "WORKBRIDGE_RABBITMQ_URL",
        url(v.WORKBRIDGE_RABBITMQ_URL, ["amqp:", "amqps:"], "amqp://guest:guest@127.0.0.1:5672")
      ),
      redisUrl: yield* about(
        "WORKBRIDGE_REDIS_URL",
        url(v.WORKBRIDGE_REDIS_URL, ["redis:", "rediss:"], "redis://127.0.0.1:6379")
      ),
      partitions: yield* about("WORKBRIDGE_PARTITIONS", toIntegerOr(v.WORKBRIDGE_PARTITIONS, 8, 1, 1024)),
      namespace,
      prefetch: yield* about("WORKBRIDGE_PREFETCH", toIntegerOr(v.WORKBRIDGE_PREFETCH, DEFAULT_PREFETCH, 1, 10_000)),
      leaseMs: yield* about("WORKBRIDGE_LEASE_MS", toIntegerOr(v.WORKBRIDGE_LEASE_MS, 30_000, 1_000, 3_600_000))
    }
    return { queue, state, distributed }
  })
)

/** Read the store selection from `env`; `problem(variable, text)` builds the error thrown (the service's `ConfigError`). */
export const distributedSettingsFromEnv = (
  env: Env,
  problem: (variable: string, text: string) => Error
): StoreSettings => readSync(storeSettingsConfig, env, problem)
