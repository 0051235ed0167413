/**
 * The invariant checker. It reads Genesys through the SDK and the service through its status API, and checks for
 * every ticket of a storm's ground truth:
 *   1. exactly one workitem per (source, ticket id);
 *   2. the workitem holds the newest revision's fields (and the service reports that revision as applied);
 *   3. every accepted delivery is applied, superseded by a newer revision, or dead-lettered with a reason, and
 *      nothing is left pending;
 * and reports the Genesys calls made, the 429s and the calls per ticket (invariant 4 is judged by the caller on
 * those figures).
 */
import {
  type Catalog,
  compareRevision,
  customFieldKey,
  defaultCatalog,
  type NormalizedValue,
  toWorkitemCreate,
  type WorkitemContext
} from "@workbridge/catalog"
import { allWorkitems, type GenesysReader, openSession, statusIds, type WorkitemRecord } from "./genesys.js"
import type { Delivery, TicketTruth } from "./storm.js"
import { ticketKey } from "./storm.js"

export type Invariant = "one-workitem" | "newest-revision" | "nothing-lost" | "budget"

export interface Violation {
  readonly invariant: Invariant
  /** `source/ticketId`, or `(service)` for run-wide findings. */
  readonly ticket: string
  readonly detail: string
}

/** Genesys calls during a run (from the emulator's statistics, or any other count). */
export interface CallStats {
  /** API calls, token requests excluded. */
  readonly api: number
  /** Token requests. */
  readonly token: number
  /** 429 answers among the API calls. */
  readonly rateLimited: number
  /** `"METHOD template"` → count. */
  readonly byRoute: Readonly<Record<string, number>>
}

export interface CheckOptions {
  readonly genesys: GenesysReader
  readonly worktypeId: string
  /** Base URLs of the service (any replica answers the status API). */
  readonly serviceUrls: ReadonlyArray<string>
  readonly truth: ReadonlyMap<string, TicketTruth>
  /** Deliveries the service acknowledged with 202. */
  readonly acceptedDeliveries: ReadonlyArray<Delivery>
  readonly catalog?: Catalog
  /** The run's Genesys calls, for the report. */
  readonly calls?: CallStats
  /** Status-API requests in flight; default 16. */
  readonly concurrency?: number
}

export interface InvariantReport {
  readonly ok: boolean
  readonly tickets: number
  readonly workitems: number
  /** Workitems of the worktype that belong to no ticket of the truth (e.g. another run's). */
  readonly strayWorkitems: number
  readonly acceptedDeliveries: number
  readonly violations: ReadonlyArray<Violation>
  /** Violations per invariant. */
  readonly counts: Readonly<Record<Invariant, number>>
  readonly deadLetters: number
  readonly deadLetterReasons: Readonly<Record<string, number>>
  readonly calls?: CallStats & { readonly perTicket: number; readonly rateLimitedShare: number }
}

interface TicketStatus {
  readonly workitemId?: string
  readonly appliedRevision?: string
  readonly pendingEvents: number
  readonly lastError?: string
}

interface DeadLetterRecord {
  readonly source: string
  readonly ticketId: string
  readonly revision: string
  readonly reason: string
}

const getJson = async <T>(
  urls: ReadonlyArray<string>,
  path: string
): Promise<{ status: number; body: T | undefined }> => {
  let last: unknown
  for (let attempt = 0; attempt < 5; attempt++) {
    for (const url of urls) {
      try {
        const res = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(15_000) })
        const text = await res.text()
        return { status: res.status, body: text === "" ? undefined : (JSON.parse(text) as T) }
      } catch (e) {
        last = e
      }
    }
    await new Promise((r) => setTimeout(r, 500))
  }
  throw new Error(`GET ${path} failed on every service URL: ${last instanceof Error ? last.message : String(last)}`)
}

const same = (a: unknown, b: unknown): boolean =>
  Array.isArray(a) && Array.isArray(b) ? a.length === b.length && a.every((x, i) => x === b[i]) : a === b

const show = (v: unknown): string => (v === undefined ? "(absent)" : JSON.stringify(v))

/** Differences between the workitem a ticket's truth derives to and the workitem Genesys holds. */
export const workitemDifferences = (
  catalog: Catalog,
  truth: TicketTruth,
  actual: WorkitemRecord,
  ctx: WorkitemContext
): Array<string> => {
  const values: Record<string, NormalizedValue> = { ...truth.values }
  if (catalog.fields.some((f) => f.key === "source_revision")) values["source_revision"] = truth.revision
  const expected = toWorkitemCreate(catalog, { values, truncated: [], unmapped: [] }, ctx)
  const out: Array<string> = []
  const attrs: ReadonlyArray<readonly [string, unknown, unknown]> = [
    ["name", expected.name, actual["name"]],
    ["description", expected.description, actual["description"] ?? undefined],
    ["priority", expected.priority, actual["priority"] ?? undefined],
    ["externalTag", expected.externalTag, actual["externalTag"] ?? undefined],
    ["statusId", expected.statusId, actual.status?.id]
  ]
  for (const [name, want, got] of attrs) {
    if (want !== undefined && !same(want, got)) out.push(`${name}: expected ${show(want)}, found ${show(got)}`)
  }
  if (expected.dateDue !== undefined && Date.parse(expected.dateDue) !== Date.parse(String(actual["dateDue"]))) {
    out.push(`dateDue: expected ${show(expected.dateDue)}, found ${show(actual["dateDue"])}`)
  }
  const ignored = new Set(catalog.fields.filter((f) => f.key === "last_synced").map((f) => customFieldKey(f)))
  const want = expected.customFields ?? {}
  const got = actual.customFields ?? {}
  for (const [k, v] of Object.entries(want)) {
    if (ignored.has(k)) continue
    if (!same(v, got[k])) out.push(`customFields.${k}: expected ${show(v)}, found ${show(got[k])}`)
  }
  for (const [k, v] of Object.entries(got)) {
    if (ignored.has(k) || k in want || v === null || v === undefined) continue
    out.push(`customFields.${k}: expected no value, found ${show(v)}`)
  }
  return out
}

/** Check the invariants for every ticket of `truth`. Never throws on a violation: it reports it. */
export const checkInvariants = async (options: CheckOptions): Promise<InvariantReport> => {
  const catalog = options.catalog ?? defaultCatalog
  if (options.serviceUrls.length === 0)
    throw new Error("checkInvariants: serviceUrls must list at least one service URL")
  const violations: Array<Violation> = []
  const violate = (invariant: Invariant, ticket: string, detail: string) =>
    violations.push({ invariant, ticket, detail })

  // Genesys, through the SDK.
  const session = await openSession(options.genesys)
  const statuses = await statusIds(session, options.worktypeId)
  const ctx: WorkitemContext = { typeId: options.worktypeId, statusIds: statuses }
  const workitems = await allWorkitems(session, options.worktypeId)
  const idField = catalog.fields.find((f) => f.key === "ticket_id")
  const sourceField = catalog.fields.find((f) => f.key === "source_system")
  if (idField === undefined) throw new Error("checkInvariants: the catalog has no ticket_id field")
  const byTicket = new Map<string, Array<WorkitemRecord>>()
  const bySourceSystem = (source: string): string => {
    const vocab = sourceField?.vocabulary
    return vocab === undefined ? source : (vocab.find((v) => v.value === source)?.value ?? "generic")
  }
  for (const w of workitems) {
    const cf = w.customFields ?? {}
    const id = cf[customFieldKey(idField)]
    const system = sourceField === undefined ? undefined : cf[customFieldKey(sourceField)]
    const key = `${String(system ?? "")}/${String(id ?? "")}`
    const list = byTicket.get(key)
    if (list === undefined) byTicket.set(key, [w])
    else list.push(w)
  }

  // The service: dead letters, then each ticket's status.
  const dead = await getJson<{ deadLetters?: Array<DeadLetterRecord> }>(
    options.serviceUrls,
    "/dead-letters?limit=999999"
  )
  const deadLetters = dead.body?.deadLetters ?? []
  const deadLetterReasons: Record<string, number> = {}
  const deadByTicket = new Map<string, Array<DeadLetterRecord>>()
  for (const d of deadLetters) {
    deadLetterReasons[d.reason] = (deadLetterReasons[d.reason] ?? 0) + 1
    const k = ticketKey(d.source, d.ticketId)
    deadByTicket.set(k, [...(deadByTicket.get(k) ?? []), d])
    if (typeof d.reason !== "string" || d.reason === "")
      violate("nothing-lost", k, `dead letter of revision ${d.revision} has no reason`)
  }
  const acceptedByTicket = new Map<string, Array<Delivery>>()
  for (const d of options.acceptedDeliveries)
    acceptedByTicket.set(d.ticket, [...(acceptedByTicket.get(d.ticket) ?? []), d])

  const entries = [...options.truth.entries()]
  const statusOf = new Map<string, TicketStatus | undefined>()
  let next = 0
  const lane = async () => {
    while (next < entries.length) {
      const [key, t] = entries[next++]!
      const r = await getJson<TicketStatus>(
        options.serviceUrls,
        `/tickets/${encodeURIComponent(t.source)}/${encodeURIComponent(t.ticketId)}`
      )
      statusOf.set(key, r.status === 200 ? r.body : undefined)
    }
  }
  await Promise.all(Array.from({ length: options.concurrency ?? 16 }, lane))

  for (const [key, t] of entries) {
    const found = byTicket.get(`${bySourceSystem(t.source)}/${t.ticketId}`) ?? []
    const status = statusOf.get(key)
    const deadHere = deadByTicket.get(key) ?? []
    // 1. exactly one workitem
    if (found.length !== 1) {
      violate(
        "one-workitem",
        key,
        found.length === 0 ? "no workitem" : `${found.length} workitems (${found.map((w) => w.id).join(", ")})`
      )
    }
    // 2. the newest revision, applied and visible in Genesys
    if (status === undefined) violate("newest-revision", key, "the status API does not know the ticket")
    else {
      if (status.appliedRevision !== t.revision) {
        violate(
          "newest-revision",
          key,
          `applied revision ${status.appliedRevision ?? "(none)"}, newest is ${t.revision}${status.lastError === undefined ? "" : ` (last error: ${status.lastError})`}`
        )
      }
      if (status.workitemId !== undefined && found.length === 1 && found[0]!.id !== status.workitemId) {
        violate("one-workitem", key, `the service links workitem ${status.workitemId}, Genesys holds ${found[0]!.id}`)
      }
    }
    if (found.length >= 1) {
      const w =
        status?.workitemId === undefined ? found[0]! : (found.find((x) => x.id === status.workitemId) ?? found[0]!)
      const diffs = workitemDifferences(catalog, t, w, ctx)
      if (diffs.length > 0) violate("newest-revision", key, diffs.slice(0, 4).join("; "))
    }
    // 3. nothing lost
    if (status !== undefined && status.pendingEvents > 0)
      violate("nothing-lost", key, `${status.pendingEvents} accepted events still pending`)
    for (const d of acceptedByTicket.get(key) ?? []) {
      const applied = status?.appliedRevision
      if (applied !== undefined && compareRevision(d.event.revision, applied) <= 0) continue
      if (deadHere.some((x) => compareRevision(d.event.revision, x.revision) <= 0 && x.reason !== "")) continue
      violate(
        "nothing-lost",
        key,
        `accepted revision ${d.event.revision} is neither applied, superseded nor dead-lettered`
      )
    }
  }

  // Workitems of tickets the storm never sent (another run's, or a wrong ticket id) are counted, not judged.
  const known = new Set([...options.truth.values()].map((t) => `${bySourceSystem(t.source)}/${t.ticketId}`))
  const strayWorkitems = [...byTicket.entries()]
    .filter(([k]) => !known.has(k))
    .reduce((n, [, list]) => n + list.length, 0)
  const counts: Record<Invariant, number> = { "one-workitem": 0, "newest-revision": 0, "nothing-lost": 0, budget: 0 }
  for (const v of violations) counts[v.invariant]++
  const calls =
    options.calls === undefined
      ? undefined
      : {
          ...options.calls,
          perTicket: options.truth.size === 0 ? 0 : options.calls.api / options.truth.size,
          rateLimitedShare: options.calls.api === 0 ? 0 : options.calls.rateLimited / options.calls.api
        }
  return {
    ok: violations.length === 0,
    tickets: options.truth.size,
    workitems: workitems.length,
    strayWorkitems,
    acceptedDeliveries: options.acceptedDeliveries.length,
    violations,
    counts,
    deadLetters: deadLetters.length,
    deadLetterReasons,
    ...(calls === undefined ? {} : { calls })
  }
}

/** A short human summary of a report (first `max` violations). */
export const formatReport = (r: InvariantReport, max = 20): string => {
  const lines = [
    `invariants: ${r.ok ? "OK" : "VIOLATED"} — ${r.tickets} tickets, ${r.workitems} workitems, ${r.acceptedDeliveries} accepted deliveries, ${r.deadLetters} dead letters`,
    `  one workitem: ${r.counts["one-workitem"]} violations · newest revision: ${r.counts["newest-revision"]} · nothing lost: ${r.counts["nothing-lost"]} · budget: ${r.counts.budget}`
  ]
  if (r.calls !== undefined) {
    lines.push(
      `  Genesys calls: ${r.calls.api} API (+${r.calls.token} token) · ${r.calls.perTicket.toFixed(2)} per ticket · 429s: ${r.calls.rateLimited} (${(r.calls.rateLimitedShare * 100).toFixed(2)} %)`
    )
  }
  for (const v of r.violations.slice(0, max)) lines.push(`  ✗ [${v.invariant}] ${v.ticket}: ${v.detail}`)
  if (r.violations.length > max) lines.push(`  … and ${r.violations.length - max} more`)
  return lines.join("\n")
}
