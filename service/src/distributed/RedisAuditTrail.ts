/**
 * The audit trail on Redis, shared by every replica: one bounded list per ticket,
 *   `<prefix>:audit:<source>/<ticketId>`  newest entry first (LPUSH), trimmed to the newest `perTicket` entries
 * and expiring `retentionDays` after its last write. Entries are written in batches (one pipeline per flush).
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
      const m = redis.multi()
      for (const [k, entries] of byKey)
        m.lpush(k, ...entries)
          .ltrim(k, 0, perTicket - 1)
          .expire(k, ttl)
      const r = await m.exec()
      const failed = r?.find(([e]) => e !== null)
      if (failed !== undefined) throw failed[0]
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
