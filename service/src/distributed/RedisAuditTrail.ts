/**
 * The audit trail on Redis, shared by every replica: one bounded list per ticket,
 *   `<prefix>:audit:<source>/<ticketId>`  newest entry first (LPUSH), trimmed to the newest `perTicket` entries
 * and expiring `retentionDays` after its last write. Entries are written in batches: one script call per flush
 * (`APPEND`), which pushes, trims and sets the expiry of every list the batch touches.
 */
import { Effect, Layer } from "effect"
import type { Logger } from "pino"
import {
  AUDIT_ENTRIES_PER_TICKET,
  type AuditEntry,
  AuditTrail,
  type AuditTrailService,
  bufferedAuditTrail
} from "../observability/AuditTrail.js"
import type { TicketKey } from "../domain/records.js"
import { RedisConnection, checkPrefix, redisOp, ticketSegment } from "./Connections.js"
import type { Redis } from "ioredis"
import { luaScript } from "./lua.js"

/**
 * KEYS: one list per ticket. ARGV: entries kept per list, expiry (s), then per list: its number of entries n, then
 * its n entries, oldest first. LPUSH in slices (Lua's `unpack` has a stack limit), then LTRIM and EXPIRE.
 */
const APPEND = `
local keep = tonumber(ARGV[1]) - 1
local a = 3
for i = 1, #KEYS do
  local n = tonumber(ARGV[a])
  local from = a + 1
  local last = a + n
  while from <= last do
    local to = math.min(from + 199, last)
    redis.call('LPUSH', KEYS[i], unpack(ARGV, from, to))
    from = to + 1
  end
  redis.call('LTRIM', KEYS[i], 0, keep)
  redis.call('EXPIRE', KEYS[i], ARGV[2])
  a = last + 1
end
return 1
`
const appendScript = luaScript(APPEND)

export interface RedisAuditTrailOptions {
  readonly prefix: string
  /** A ticket's list expires this many days after its last entry. */
  readonly retentionDays: number
  /** Newest entries one ticket keeps (default `AUDIT_ENTRIES_PER_TICKET`). */
  readonly perTicket?: number
  readonly log?: Logger
  readonly flushMs?: number
}

export const make = (redis: Redis, options: RedisAuditTrailOptions): AuditTrailService => {
  const p = checkPrefix(options.prefix)
  const perTicket = options.perTicket ?? AUDIT_ENTRIES_PER_TICKET
  const ttl = Math.max(1, Math.round(options.retentionDays * 86_400))
  const listKey = (key: TicketKey) => `${p}:audit:${ticketSegment(key)}`

  return bufferedAuditTrail({
    write: async (items) => {
      const byKey = new Map<string, Array<string>>()
      for (const { key, entry } of items) {
        const k = listKey(key)
        const list = byKey.get(k) ?? []
        list.push(JSON.stringify(entry))
        byKey.set(k, list)
      }
      const args: Array<string | number> = [perTicket, ttl]
      for (const entries of byKey.values()) args.push(entries.length, ...entries)
      await appendScript(redis, [...byKey.keys()], args)
    },
    read: (key, limit) =>
      redisOp("audit.list", async () =>
        (await redis.lrange(listKey(key), 0, limit - 1)).reverse().map((s) => JSON.parse(s) as AuditEntry)
      ),
    perTicket,
    ...(options.log !== undefined ? { log: options.log } : {}),
    ...(options.flushMs !== undefined ? { flushMs: options.flushMs } : {})
  })
}

export const layer = (options: RedisAuditTrailOptions): Layer.Layer<AuditTrail, never, RedisConnection> =>
  Layer.scoped(
    AuditTrail,
    Effect.acquireRelease(
      Effect.map(RedisConnection, (redis) => make(redis, options)),
      (audit) => audit.flush
    )
  )
