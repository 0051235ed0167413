/**
 * The naive baseline the storm-efficiency figure compares with: for every event, in arrival order, query Genesys for
 * the ticket's workitem, then POST it or PATCH the whole ticket onto it. No coalescing, no link store, no minimal
 * PATCH. It goes through the same SDK against the same emulator (its own worktype, so the two never meet).
 */
import { setTimeout as sleep } from "node:timers/promises"
import {
  type Catalog,
  customFieldKey,
  defaultCatalog,
  normalizeTicket,
  toWorkitemCreate,
  toWorkitemUpdate,
  type WorkitemContext
} from "@workbridge/catalog"
import { Either } from "effect"
import { type GenesysReader, openSession } from "../src/genesys.js"
import type { Delivery } from "../src/storm.js"

export interface NaiveOptions {
  readonly reader: GenesysReader
  readonly ctx: WorkitemContext
  /** The events to apply, in arrival order. */
  readonly deliveries: ReadonlyArray<Delivery>
  readonly concurrency?: number
  readonly catalog?: Catalog
  readonly onProgress?: (done: number, total: number) => void
}

export interface NaiveResult {
  /** Genesys API calls made (answered or not). */
  readonly calls: number
  readonly tickets: number
  readonly perTicket: number
  /** Calls Genesys refused (e.g. a status move the worktype's graph forbids: the naive client has no status walk). */
  readonly refused: number
  readonly durationMs: number
}

export const runNaive = async (options: NaiveOptions): Promise<NaiveResult> => {
  const catalog = options.catalog ?? defaultCatalog
  const session = await openSession(options.reader)
  const idField = catalog.fields.find((f) => f.key === "ticket_id")!
  let calls = 0
  let refused = 0
  const started = Date.now()

  /** One SDK call, counted; 429 and 5xx are retried after a pause (each retry is a call too). */
  const call = async (
    f: () => Promise<unknown>
  ): Promise<{ ok: boolean; body: Record<string, unknown> | undefined }> => {
    for (let attempt = 0; attempt < 20; attempt++) {
      calls++
      try {
        const r = (await f()) as { body?: Record<string, unknown> }
        return { ok: true, body: r.body }
      } catch (e) {
        const o = e as { status?: number; headers?: Record<string, string> }
        if (typeof o.status === "number" && o.status !== 429 && o.status < 500) {
          refused++
          return { ok: false, body: undefined }
        }
        const retryAfter = Number(o.headers?.["retry-after"])
        await sleep(Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : 200)
      }
    }
    return { ok: false, body: undefined }
  }

  let next = 0
  let done = 0
  const lane = async () => {
    while (next < options.deliveries.length) {
      const d = options.deliveries[next++]!
      const normalized = normalizeTicket(catalog, d.event.fields)
      if (Either.isLeft(normalized)) continue
      const ticket = normalized.right
      const found = await call(() =>
        session.tm.postTaskmanagementWorkitemsQuery({
          filters: [
            { name: "typeId", type: "String", operator: "EQ", values: [options.ctx.typeId] },
            {
              name: `customFields.${customFieldKey(idField)}`,
              type: "String",
              operator: "EQ",
              values: [d.event.ticketId]
            }
          ],
          pageSize: 1
        } as never)
      )
      const existing = (found.body?.["entities"] as Array<{ id: string }> | undefined)?.[0]
      if (existing === undefined) {
        await call(() =>
          session.tm.postTaskmanagementWorkitems(toWorkitemCreate(catalog, ticket, options.ctx) as never)
        )
      } else {
        const body = toWorkitemUpdate(catalog, undefined, ticket, options.ctx)
        if (body !== undefined) await call(() => session.tm.patchTaskmanagementWorkitem(existing.id, body as never))
      }
      done++
      if (options.onProgress !== undefined && done % 2000 === 0) options.onProgress(done, options.deliveries.length)
    }
  }
  await Promise.all(Array.from({ length: options.concurrency ?? 8 }, lane))
  const tickets = new Set(options.deliveries.map((d) => d.ticket)).size
  return { calls, tickets, perTicket: tickets === 0 ? 0 : calls / tickets, refused, durationMs: Date.now() - started }
}
