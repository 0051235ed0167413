/**
 * Lua scripts run by their SHA-1 (`EVALSHA`), so a script's text is neither sent nor hashed by Redis on every call;
 * a script Redis does not know (its first use, or after a Redis restart flushed the script cache) is sent once
 * with `EVAL`, which also loads it.
 */
import { createHash } from "node:crypto"
import type { Redis } from "ioredis"

export type LuaScript = (
  redis: Redis,
  keys: ReadonlyArray<string>,
  args: ReadonlyArray<string | number>
) => Promise<unknown>

export const luaScript = (lua: string): LuaScript => {
  const sha = createHash("sha1").update(lua).digest("hex")
  return (redis, keys, args) =>
    redis
      .evalsha(sha, keys.length, ...keys, ...args)
      .catch((e: unknown) =>
        e instanceof Error && e.message.startsWith("NOSCRIPT")
          ? redis.eval(lua, keys.length, ...keys, ...args)
          : Promise.reject(e)
      )
}
