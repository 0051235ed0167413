/**
 * The storm generator: synthetic ticket histories for N tickets and M events across the helpdesk vendors, delivered
 * with duplicates, out-of-order pairs and stale late arrivals, each delivery signed as its vendor signs it.
 *
 * The ground truth (each ticket's newest revision and normalized fields) is computed by decoding every delivery with
 * the vendor's adapter and normalizing it with the catalog: what a correct sync must leave in Genesys.
 */
import { adapters, sign, type SourceCredentials } from "@workbridge/adapters"
import {
  type Catalog,
  compareRevision,
  defaultCatalog,
  type NormalizedValue,
  normalizeTicket,
  type TicketEvent
} from "@workbridge/catalog"
import { prng } from "@workbridge/genesys-emulator"
import { Either } from "effect"
import { CATEGORIES, PRIORITIES, TAGS, type TicketState, VENDOR_NAMES, VENDORS } from "./vendors.js"

export interface StormOptions {
  /** Number of tickets (N ≥ 1). */
  readonly tickets: number
  /** Number of distinct events (M ≥ N; each ticket gets a creation, the rest are spread at random). */
  readonly events: number
  /** Vendors to mix (round-robin over tickets); default every vendor in `VENDORS`. */
  readonly vendors?: ReadonlyArray<string>
  /** Share of deliveries sent a second time later (same delivery key); default 0.2. */
  readonly duplicateShare?: number
  /** Share of events delivered after the next event of their ticket; default 0.2. */
  readonly outOfOrderShare?: number
  /** Share of events held back until the very end of the storm (stale late arrivals); default 0.05. */
  readonly staleShare?: number
  /** Share of updates that close the ticket (a closed ticket's next event reopens it); default 0.15. */
  readonly closeShare?: number
  /** PRNG seed; default 1. */
  readonly seed?: number
  /** Webhook secret used for every vendor; default `storm-secret`. */
  readonly secret?: string
  /** Prefix of ticket ids, so repeated storms against one emulator never share tickets; default `s<seed>-`. */
  readonly prefix?: string
  /** Epoch ms of the first change; default now − 1 day. */
  readonly baseTime?: number
  readonly catalog?: Catalog
}

/** One HTTP request of the storm. */
export interface Delivery {
  /** Position in the storm. */
  readonly index: number
  readonly source: string
  /** `/webhooks/<source>`. */
  readonly path: string
  readonly body: string
  /** Vendor headers that are not signatures (e.g. `x-github-delivery`). */
  readonly vendorHeaders: Readonly<Record<string, string>>
  /** The event the adapter decodes from this delivery. */
  readonly event: TicketEvent
  /** `source/ticketId`. */
  readonly ticket: string
  /** 1-based position of the event in its ticket's history. */
  readonly seq: number
  /** `duplicate` when this is a re-delivery of an earlier delivery. */
  readonly copy: "original" | "duplicate"
  /** Held back to the end of the storm. */
  readonly late: boolean
  /** Delivered after the next event of its ticket. */
  readonly swapped: boolean
}

/** What a correct sync leaves for one ticket. */
export interface TicketTruth {
  readonly source: string
  readonly ticketId: string
  /** The newest revision of the ticket. */
  readonly revision: string
  readonly events: number
  /** Normalized values of the newest revision (catalog keys). */
  readonly values: Readonly<Record<string, NormalizedValue>>
  readonly closed: boolean
}

export interface Storm {
  readonly deliveries: ReadonlyArray<Delivery>
  /** `source/ticketId` → truth. */
  readonly truth: ReadonlyMap<string, TicketTruth>
  /** Credentials per source, as signed. */
  readonly credentials: Readonly<Record<string, SourceCredentials>>
  /** The environment variables the service needs to accept this storm. */
  readonly serviceEnv: Readonly<Record<string, string>>
  readonly stats: {
    readonly tickets: number
    readonly events: number
    readonly deliveries: number
    readonly duplicates: number
    readonly swapped: number
    readonly late: number
    readonly closes: number
    readonly bySource: Readonly<Record<string, number>>
  }
}

/** `source/ticketId`, the key of a ticket in truth maps and reports. */
export const ticketKey = (source: string, ticketId: string): string => `${source}/${ticketId}`

/** mulberry32 (the emulator's): small, fast and seedable, so a storm repeats exactly. */
export { prng }

const share = (name: string, value: number | undefined, fallback: number): number => {
  const v = value ?? fallback
  if (typeof v !== "number" || !(v >= 0 && v <= 1))
    throw new Error(`storm option ${name} must be a number in 0..1 (got ${String(value)})`)
  return v
}

const positiveInt = (name: string, value: unknown, min: number): number => {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
    throw new Error(`storm option ${name} must be a whole number ≥ ${min} (got ${String(value)})`)
  }
  return value
}

/** Check storm options; throws an Error naming the bad option. */
export const checkStormOptions = (o: StormOptions): void => {
  const tickets = positiveInt("tickets", o.tickets, 1)
  positiveInt("events", o.events, tickets)
  for (const [k, v] of [
    ["duplicateShare", o.duplicateShare],
    ["outOfOrderShare", o.outOfOrderShare],
    ["staleShare", o.staleShare],
    ["closeShare", o.closeShare]
  ] as const)
    share(k, v, 0)
  if (o.seed !== undefined) positiveInt("seed", o.seed, 0)
  if (o.vendors !== undefined) {
    if (!Array.isArray(o.vendors) || o.vendors.length === 0)
      throw new Error("storm option vendors must be a non-empty list")
    for (const v of o.vendors)
      if (!VENDOR_NAMES.includes(v))
        throw new Error(`storm option vendors: unknown vendor "${v}" (known: ${VENDOR_NAMES.join(", ")})`)
  }
  if (o.secret !== undefined && (typeof o.secret !== "string" || o.secret === ""))
    throw new Error("storm option secret must be a non-empty string")
  if (o.prefix !== undefined && !/^[a-z0-9-]{0,20}$/.test(o.prefix))
    throw new Error("storm option prefix must be 0-20 lower-case letters, digits or '-'")
}

const SUBJECTS = [
  "Printer on fire",
  "Cannot log in",
  "Invoice is wrong",
  "App crashes on start",
  "Slow dashboard",
  "Password reset",
  "Sync fails"
]

/** The history of one ticket: a creation and `count - 1` changes. */
const history = (
  random: () => number,
  number: number,
  count: number,
  start: number,
  closeShare: number
): Array<TicketState> => {
  const pick = <A>(list: ReadonlyArray<A>): A => list[Math.floor(random() * list.length)] as A
  const tags = (): Array<string> => TAGS.filter(() => random() < 0.3).slice(0, 3)
  let state: TicketState = {
    number,
    seq: 1,
    at: start,
    createdAt: start,
    action: "created",
    subject: `${pick(SUBJECTS)} #${number}`,
    description: `Reported by a customer (ticket ${number})`,
    status: "new",
    priority: pick(PRIORITIES),
    category: pick(CATEGORIES),
    tags: tags(),
    requester: `customer${number}@example.com`
  }
  const out = [state]
  for (let seq = 2; seq <= count; seq++) {
    const at = state.at + 1000 + Math.floor(random() * 60_000)
    const wasClosed = state.status === "solved" || state.status === "closed"
    let next: TicketState
    if (wasClosed) next = { ...state, seq, at, action: "reopened", status: "open" }
    else if (random() < closeShare)
      next = { ...state, seq, at, action: "closed", status: random() < 0.7 ? "solved" : "closed" }
    else {
      next = { ...state, seq, at, action: "updated" }
      const changes = 1 + Math.floor(random() * 2)
      for (let c = 0; c < changes; c++) {
        const what = Math.floor(random() * 5)
        if (what === 0) next = { ...next, subject: `${pick(SUBJECTS)} #${number} (rev ${seq})` }
        else if (what === 1) next = { ...next, priority: pick(PRIORITIES) }
        else if (what === 2) next = { ...next, status: pick(["open", "pending", "hold"] as const) }
        else if (what === 3) next = { ...next, tags: tags() }
        else next = { ...next, description: `Update ${seq}: ${pick(SUBJECTS).toLowerCase()}` }
      }
    }
    out.push(next)
    state = next
  }
  return out
}

/** Generate a storm. Throws an Error naming a bad option; never touches the network. */
export const generateStorm = (options: StormOptions): Storm => {
  checkStormOptions(options)
  const catalog = options.catalog ?? defaultCatalog
  const seed = options.seed ?? 1
  const random = prng(seed)
  const vendors = options.vendors ?? VENDOR_NAMES
  const secret = options.secret ?? "storm-secret"
  const prefix = options.prefix ?? `s${seed}-`
  const baseTime = options.baseTime ?? Date.now() - 86_400_000
  const duplicateShare = share("duplicateShare", options.duplicateShare, 0.2)
  const outOfOrderShare = share("outOfOrderShare", options.outOfOrderShare, 0.2)
  const staleShare = share("staleShare", options.staleShare, 0.05)
  const closeShare = share("closeShare", options.closeShare, 0.15)
  const N = options.tickets
  const M = options.events

  // Events per ticket: one creation each, the rest spread at random.
  const counts = new Array<number>(N).fill(1)
  for (let i = N; i < M; i++) counts[Math.floor(random() * N)]! += 1

  const credentials: Record<string, SourceCredentials> = {}
  const serviceEnv: Record<string, string> = {}
  for (const v of vendors) {
    const b = VENDORS[v]!
    credentials[b.source] = b.credentials(secret)
    Object.assign(serviceEnv, b.env(secret))
  }

  // Decode each event with its adapter: the truth is what the adapter and the catalog make of the bytes.
  interface Planned {
    readonly source: string
    readonly body: string
    readonly vendorHeaders: Readonly<Record<string, string>>
    readonly event: TicketEvent
    readonly ticket: string
    readonly seq: number
  }
  const perTicket: Array<Array<Planned>> = []
  const truth = new Map<string, TicketTruth>()
  const bySource: Record<string, number> = {}
  let closes = 0
  const decodeTime = new Date(baseTime)
  const checked = new Set<string>()
  for (let t = 0; t < N; t++) {
    const vendor = VENDORS[vendors[t % vendors.length]!]!
    const adapter = adapters[vendor.source as keyof typeof adapters]
    const start = baseTime + t * 7
    const states = history(random, t + 1, counts[t]!, start, closeShare)
    const planned: Array<Planned> = []
    for (const s of states) {
      if (s.action === "closed") closes++
      const payload = vendor.build(s, prefix)
      // Deliveries are signed when sent; here only the first body per vendor is signed, as a self-check.
      const selfCheck = !checked.has(vendor.source)
      const headers = selfCheck
        ? { ...payload.headers, ...sign(vendor.source, payload.body, credentials[vendor.source]!, decodeTime) }
        : payload.headers
      const req = { headers, rawBody: Buffer.from(payload.body, "utf8"), receivedAt: decodeTime }
      if (selfCheck) {
        checked.add(vendor.source)
        const verified = adapter.verify(req, credentials[vendor.source]!)
        if (Either.isLeft(verified))
          throw new Error(`storm: ${vendor.source} refuses its own signature: ${verified.left.message}`)
      }
      const decoded = adapter.decode(req, catalog)
      if (Either.isLeft(decoded))
        throw new Error(`storm: ${vendor.source} cannot decode a generated body: ${decoded.left.message}`)
      if (decoded.right._tag !== "Event")
        throw new Error(`storm: ${vendor.source} ignores a generated body: ${decoded.right.reason}`)
      const event = decoded.right.event
      const ticket = ticketKey(event.source, event.ticketId)
      const previous = planned[planned.length - 1]
      if (previous !== undefined && compareRevision(previous.event.revision, event.revision) >= 0) {
        throw new Error(
          `storm: ${vendor.source} revisions of ${ticket} do not increase (${previous.event.revision} then ${event.revision})`
        )
      }
      planned.push({
        source: vendor.source,
        body: payload.body,
        vendorHeaders: payload.headers,
        event,
        ticket,
        seq: s.seq
      })
    }
    const last = planned[planned.length - 1]!
    const normalized = normalizeTicket(catalog, last.event.fields)
    if (Either.isLeft(normalized))
      throw new Error(`storm: the newest event of ${last.ticket} does not normalize: ${normalized.left.message}`)
    const lastState = states[states.length - 1]!
    truth.set(last.ticket, {
      source: last.source,
      ticketId: last.event.ticketId,
      revision: last.event.revision,
      events: planned.length,
      values: normalized.right.values,
      closed: lastState.status === "solved" || lastState.status === "closed"
    })
    bySource[last.source] = (bySource[last.source] ?? 0) + planned.length
    perTicket.push(planned)
  }

  // Arrival order: a random interleaving that keeps each ticket's order…
  const slots: Array<number> = []
  for (let t = 0; t < N; t++) for (let k = 0; k < counts[t]!; k++) slots.push(t)
  for (let i = slots.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[slots[i], slots[j]] = [slots[j]!, slots[i]!]
  }
  const cursor = new Array<number>(N).fill(0)
  type Slot = { p: Planned; late: boolean; swapped: boolean }
  let order: Array<Slot> = slots.map((t) => ({ p: perTicket[t]![cursor[t]!++]!, late: false, swapped: false }))

  // …then out-of-order pairs: an event arrives after its ticket's next event.
  const positionOf = new Map<Planned, number>()
  order.forEach((s, i) => positionOf.set(s.p, i))
  let swapped = 0
  for (const planned of perTicket) {
    for (let k = 0; k + 1 < planned.length; k++) {
      if (random() >= outOfOrderShare) continue
      const a = positionOf.get(planned[k]!)!
      const b = positionOf.get(planned[k + 1]!)!
      const sa = order[a]!
      const sb = order[b]!
      if (sa.swapped || sb.swapped) continue
      order[a] = { ...sb, swapped: true }
      order[b] = { ...sa, swapped: true }
      positionOf.set(sb.p, a)
      positionOf.set(sa.p, b)
      swapped++
      k++
    }
  }

  // Stale late arrivals: older events held back to the end, after their ticket's newer revisions.
  const late: Array<Slot> = []
  const onTime: Array<Slot> = []
  const lengthOf = new Map<string, number>(perTicket.map((pl) => [pl[0]!.ticket, pl.length]))
  for (const s of order) {
    const isNewest = s.p.seq === lengthOf.get(s.p.ticket)
    if (!isNewest && s.p.seq > 1 && random() < staleShare) late.push({ ...s, late: true })
    else onTime.push(s)
  }
  order = [...onTime, ...late]

  // Duplicates: a share of deliveries is sent again later with the same delivery key.
  const keyed: Array<{ key: number; slot: Slot & { copy: "original" | "duplicate" } }> = order.map((s, i) => ({
    key: i,
    slot: { ...s, copy: "original" as const }
  }))
  let duplicates = 0
  for (let i = 0; i < order.length; i++) {
    if (random() >= duplicateShare) continue
    // Re-sent up to 200 deliveries later, just before the delivery at that position.
    const at = Math.min(order.length, i + 1 + Math.floor(random() * 200))
    keyed.push({ key: at - 0.5 + i / (order.length + 1) / 4, slot: { ...order[i]!, copy: "duplicate" } })
    duplicates++
  }
  const withCopies = keyed.sort((a, b) => a.key - b.key).map((k) => k.slot)

  const deliveries: Array<Delivery> = withCopies.map((s, index) => ({
    index,
    source: s.p.source,
    path: `/webhooks/${s.p.source}`,
    body: s.p.body,
    vendorHeaders: s.p.vendorHeaders,
    event: s.p.event,
    ticket: s.p.ticket,
    seq: s.p.seq,
    copy: s.copy,
    late: s.late,
    swapped: s.swapped
  }))

  return {
    deliveries,
    truth,
    credentials,
    serviceEnv,
    stats: {
      tickets: N,
      events: M,
      deliveries: deliveries.length,
      duplicates,
      swapped,
      late: late.length,
      closes,
      bySource
    }
  }
}

/** The headers of a delivery signed at `now` (Zendesk signatures carry a timestamp checked against the receive time). */
export const signedHeaders = (
  storm: Pick<Storm, "credentials">,
  d: Delivery,
  now: Date = new Date()
): Record<string, string> => ({
  ...d.vendorHeaders,
  ...sign(d.source, d.body, storm.credentials[d.source] ?? {}, now)
})
