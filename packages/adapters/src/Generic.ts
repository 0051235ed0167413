/**
 * Any JSON source. Default body:
 * `{ "ticket_id", "revision" (integer or ISO-8601 time), "occurred_at"?, "event_id"?, "kind"?, "fields": { <catalog keys> } }`.
 * A `GenericMapping` points each of these at a dotted path of the source's own shape.
 *
 * Signature: HMAC-SHA256 of the raw body, hex, as `sha256=<hex>` or bare hex, in a configurable header
 * (default `x-workbridge-signature`). Refusals answer 400/422.
 */
import type { Catalog, TicketEventKind } from "@workbridge/catalog"
import { Either } from "effect"
import type { Adapter, SourceCredentials, WebhookRequest } from "./Adapter.js"
import { bodyHash, fromHex, header, hmac, refuse, verifyAll } from "./internal/auth.js"
import { digestsEqual } from "./compare.js"
import type { Decoded } from "./internal/decode.js"
import {
  atSteps,
  buildEvent,
  fail,
  isClosedStatus,
  isObject,
  iso,
  nonNegativeInt,
  parseBody,
  parseInstant,
  str
} from "./internal/decode.js"

export const DEFAULT_SIGNATURE_HEADER = "x-workbridge-signature"

/** Dotted paths (`ticket.id`, `changes.0.at`) into the source's body; each defaults to the name shown. */
export interface GenericMapping {
  readonly ticketId?: string // "ticket_id"
  readonly revision?: string // "revision"
  readonly occurredAt?: string // "occurred_at"
  readonly eventId?: string // "event_id"
  readonly kind?: string // "kind"
  /** The path of an object holding catalog keys (default "fields"), or a catalog key → path map. */
  readonly fields?: string | Readonly<Record<string, string>>
}

export interface GenericAdapterOptions {
  readonly name: string
  /** Header carrying the signature; default `x-workbridge-signature`. */
  readonly signatureHeader?: string
  readonly mapping?: GenericMapping
}

const KINDS: ReadonlyArray<TicketEventKind> = ["created", "updated", "closed", "reopened"]

/** sha256=<hex HMAC-SHA256(secret, raw body)>: the signature a generic source sends. */
export const genericSignature = (secret: string, rawBody: Buffer): string =>
  `sha256=${hmac("sha256", secret, rawBody).toString("hex")}`

/** Build the adapter of one generic JSON source. Throws on an invalid name (configuration error, at start-up). */
export const makeGenericAdapter = (options: GenericAdapterOptions): Adapter => {
  const source = options.name
  if (!/^[a-z][a-z0-9_-]{0,39}$/.test(source)) {
    throw new Error(
      `generic source name "${source}" must be 1-40 lower-case letters, digits, "_" or "-", starting with a letter`
    )
  }
  const signatureHeader = (options.signatureHeader ?? DEFAULT_SIGNATURE_HEADER).toLowerCase()
  if (!/^[a-z0-9][a-z0-9-]*$/.test(signatureHeader)) {
    throw new Error(
      `generic source "${source}": signatureHeader "${options.signatureHeader}" is not an HTTP header name`
    )
  }
  const m = options.mapping ?? {}
  for (const [key, path] of Object.entries(m)) {
    const list = typeof path === "string" ? [path] : Object.values(path as Record<string, string>)
    if (list.some((p) => typeof p !== "string" || p === "" || p.split(".").some((step) => step === ""))) {
      throw new Error(`generic source "${source}": mapping.${key} must be a dotted path such as "ticket.id"`)
    }
  }
  const paths = {
    ticketId: m.ticketId ?? "ticket_id",
    revision: m.revision ?? "revision",
    occurredAt: m.occurredAt ?? "occurred_at",
    eventId: m.eventId ?? "event_id",
    kind: m.kind ?? "kind"
  }
  const fieldsMapping = m.fields ?? "fields"
  // Every path split into its steps once, here.
  const steps = {
    ticketId: paths.ticketId.split("."),
    revision: paths.revision.split("."),
    occurredAt: paths.occurredAt.split("."),
    eventId: paths.eventId.split("."),
    kind: paths.kind.split(".")
  }
  const fieldSteps: FieldSteps =
    typeof fieldsMapping === "string"
      ? { object: fieldsMapping.split(".") }
      : { keys: Object.entries(fieldsMapping).map(([key, path]) => [key, path.split(".")] as const) }

  const verify = (req: WebhookRequest, creds: SourceCredentials) =>
    verifyAll(source, ["secret", "basicAuth", "token"], req, creds, (secret) => {
      const value = header(req, signatureHeader)
      if (value === undefined) return refuse(source, "MissingHeader", `the ${signatureHeader} header is missing`)
      const hex = value.toLowerCase().startsWith("sha256=") ? value.slice("sha256=".length) : value
      const given = fromHex(hex)
      return given !== undefined && digestsEqual(given, hmac("sha256", secret, req.rawBody))
        ? Either.void
        : refuse(source, "BadSignature", `the ${signatureHeader} header does not match the body`)
    })

  const decode = (req: WebhookRequest, catalog: Catalog): Decoded =>
    Either.flatMap(parseBody(source, req.rawBody, 400), (body) => {
      const ticketId = str(atSteps(body, steps.ticketId))
      if (ticketId === undefined) return fail(source, `${paths.ticketId} is missing`, 422)
      const rawRevision = atSteps(body, steps.revision)
      const counter = nonNegativeInt(rawRevision)
      const time = counter === undefined ? parseInstant(rawRevision) : undefined
      if (counter === undefined && time === undefined) {
        return fail(source, `${paths.revision} is missing or neither a non-negative integer nor an ISO-8601 time`, 422)
      }
      const rawOccurred = atSteps(body, steps.occurredAt)
      const occurred = parseInstant(rawOccurred)
      if (rawOccurred !== undefined && rawOccurred !== null && occurred === undefined) {
        return fail(source, `${paths.occurredAt} is not an ISO-8601 time`, 422)
      }
      const fields = pickFields(body, fieldSteps)
      if (fields === undefined)
        return fail(source, `${typeof fieldsMapping === "string" ? fieldsMapping : "fields"} is not an object`, 422)
      const rawKind = str(atSteps(body, steps.kind))
      if (rawKind !== undefined && !KINDS.includes(rawKind as TicketEventKind)) {
        return fail(source, `${paths.kind} must be one of ${KINDS.join(", ")}`, 422)
      }
      const kind: TicketEventKind =
        (rawKind as TicketEventKind | undefined) ??
        (isClosedStatus(str(fields["status"])?.toLowerCase()) ? "closed" : "updated")
      const occurredMs = occurred?.ms ?? time?.ms ?? req.receivedAt.getTime()
      return buildEvent(
        source,
        catalog,
        {
          ticketId,
          primary: counter ?? time?.ms ?? 0,
          subOrder: time?.subMs ?? "",
          occurredAt: iso(occurredMs),
          deliveryKey: str(atSteps(body, steps.eventId)) ?? bodyHash(req.rawBody),
          kind,
          fields: mapVocabulary(catalog, source, fields)
        },
        422
      )
    })

  return { name: source, credentialKinds: ["secret", "basicAuth", "token"], verify, decode }
}

/** Where the fields are: the steps to an object of catalog keys, or each catalog key's steps. */
type FieldSteps =
  | { readonly object: ReadonlyArray<string> }
  | { readonly keys: ReadonlyArray<readonly [string, ReadonlyArray<string>]> }

const pickFields = (body: unknown, mapping: FieldSteps): Record<string, unknown> | undefined => {
  if ("object" in mapping) {
    const value = atSteps(body, mapping.object)
    if (value === undefined || value === null) return {}
    return isObject(value) ? { ...value } : undefined
  }
  const out: Record<string, unknown> = {}
  for (const [key, steps] of mapping.keys) out[key] = atSteps(body, steps)
  return out
}

/** Apply `catalog.sourceMappings[source]` to scalar values; everything else passes through for the catalog to judge. */
const mapVocabulary = (catalog: Catalog, source: string, fields: Record<string, unknown>): Record<string, unknown> => {
  const mappings = catalog.sourceMappings?.[source]
  if (mappings === undefined) return fields
  const out: Record<string, unknown> = { ...fields }
  for (const [key, table] of Object.entries(mappings)) {
    const value = str(out[key])
    if (value === undefined) continue
    const hit = Object.entries(table).find(([k]) => k.toLowerCase() === value.toLowerCase())
    if (hit !== undefined) out[key] = hit[1]
  }
  return out
}

/** The default generic source, named `generic`. */
export const generic: Adapter = makeGenericAdapter({ name: "generic" })
