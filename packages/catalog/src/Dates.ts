/**
 * Instants from the shapes helpdesks send, to the shapes Genesys stores:
 * `datetime` → `YYYY-MM-DDTHH:mm:ss.sssZ` (UTC), `date` → `YYYY-MM-DD`.
 *
 * Accepted input:
 * - ISO-8601 (extended form): `YYYY-MM-DD`, `YYYY-MM-DDTHH:mm`, `…:ss`, `…:ss.fff` (any number of fraction digits,
 *   kept to the millisecond), with `Z`, `±HH`, `±HHMM` or `±HH:MM`; `T` may also be a space.
 *   A date-time without an offset is read as UTC — which also covers ServiceNow's `YYYY-MM-DD HH:MM:SS`.
 * - Epoch numbers, as JSON numbers or digit strings (an optional `-`, an optional fraction), unit by magnitude of |n|:
 *   below 1e11 seconds (to year 5138) · below 1e14 milliseconds (from 1973-03-03) · below 1e17 microseconds ·
 *   below 1e20 nanoseconds. Anything larger is refused.
 * - A JavaScript `Date`.
 * The result must fall within the years 0001–9999.
 */

export type InstantResult = { readonly ms: number } | { readonly problem: string }

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s?(Z|z|[+-]\d{2}(?::?\d{2})?)?)?$/u
const EPOCH = /^-?\d+(?:\.\d+)?$/u

/** Earliest and latest instants Workbridge accepts (years 0001–9999). */
const MIN_MS = Date.UTC(2000, 0, 1) - 730_119 * 86_400_000 // 0001-01-01T00:00:00.000Z
const MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999)

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

/** Days in a month (1–12) of the proleptic Gregorian calendar, as `Date` counts them. */
const daysInMonth = (year: number, month: number): number =>
  month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0)

const inRange = (ms: number): InstantResult =>
  Number.isFinite(ms) && ms >= MIN_MS && ms <= MAX_MS ? { ms } : { problem: "is outside the years 0001–9999" }

const fromEpoch = (n: number): InstantResult => {
  if (!Number.isFinite(n)) return { problem: "is not a finite number" }
  const abs = Math.abs(n)
  const ms = abs < 1e11 ? n * 1000 : abs < 1e14 ? n : abs < 1e17 ? n / 1000 : abs < 1e20 ? n / 1e6 : Number.NaN
  if (Number.isNaN(ms)) return { problem: "is too large for an epoch value (at most 1e20 nanoseconds)" }
  return inRange(Math.round(ms) + 0)
}

const fromIso = (m: RegExpExecArray): InstantResult => {
  const [, y, mo, d, h, mi, s, frac, offset] = m
  const year = Number(y)
  const month = Number(mo)
  const day = Number(d)
  const hour = h === undefined ? 0 : Number(h)
  const minute = mi === undefined ? 0 : Number(mi)
  const second = s === undefined ? 0 : Number(s)
  const millis = frac === undefined ? 0 : Number(frac.slice(0, 3).padEnd(3, "0"))
  if (year < 1) return { problem: "has year 0000" }
  if (month < 1 || month > 12) return { problem: `has month ${mo}` }
  if (day < 1 || day > daysInMonth(year, month)) return { problem: `has day ${d} in month ${mo}` }
  if (hour > 23 || minute > 59 || second > 59) return { problem: "has a time of day out of range" }
  let offsetMinutes = 0
  if (offset !== undefined && offset.toUpperCase() !== "Z") {
    const digits = offset.slice(1).replace(":", "")
    const oh = Number(digits.slice(0, 2))
    const om = digits.length > 2 ? Number(digits.slice(2)) : 0
    if (oh > 18 || om > 59) return { problem: `has offset ${offset} out of range` }
    offsetMinutes = (offset.startsWith("-") ? -1 : 1) * (oh * 60 + om)
  }
  // `Date.UTC` reads the years 0–99 as 1900–1999; only those need `setUTCFullYear`.
  let ms: number
  if (year >= 100) ms = Date.UTC(year, month - 1, day, hour, minute, second, millis)
  else {
    const dt = new Date(0)
    dt.setUTCFullYear(year, month - 1, day)
    dt.setUTCHours(hour, minute, second, millis)
    ms = dt.getTime()
  }
  return inRange(ms - offsetMinutes * 60_000)
}

/** The decimal value of `text[from, to)`, or -1 when a character there is not a digit. */
const digitsAt = (text: string, from: number, to: number): number => {
  let value = 0
  for (let i = from; i < to; i++) {
    const d = text.charCodeAt(i) - 48
    if (d < 0 || d > 9) return -1
    value = value * 10 + d
  }
  return value
}

/**
 * The instant of the commonest shape, `YYYY-MM-DDTHH:mm:ssZ` or `YYYY-MM-DDTHH:mm:ss.sssZ` (what `toISOString`
 * writes), read without the regular expression; `undefined` for anything else, valid or not, which `fromIso` then
 * reads (and words the problem of).
 */
const fromCommonIso = (text: string): number | undefined => {
  const n = text.length
  if (n !== 20 && n !== 24) return undefined
  if (text[4] !== "-" || text[7] !== "-" || text[10] !== "T" || text[13] !== ":" || text[16] !== ":") return undefined
  if (text[n - 1] !== "Z" || (n === 24 && text[19] !== ".")) return undefined
  const year = digitsAt(text, 0, 4)
  const month = digitsAt(text, 5, 7)
  const day = digitsAt(text, 8, 10)
  const hour = digitsAt(text, 11, 13)
  const minute = digitsAt(text, 14, 16)
  const second = digitsAt(text, 17, 19)
  const millis = n === 24 ? digitsAt(text, 20, 23) : 0
  if (year < 100 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59 || millis < 0) return undefined
  return Date.UTC(year, month - 1, day, hour, minute, second, millis)
}

/** Read an instant from any accepted shape (see the module doc). */
export const parseInstant = (raw: unknown): InstantResult => {
  if (raw instanceof Date) return inRange(raw.getTime())
  if (typeof raw === "number") return fromEpoch(raw)
  if (typeof raw !== "string") return { problem: "is not a date/time (expected an ISO-8601 string or an epoch number)" }
  const text = raw.trim()
  const common = fromCommonIso(text)
  if (common !== undefined) return inRange(common)
  if (EPOCH.test(text)) return fromEpoch(Number(text))
  const m = ISO.exec(text)
  if (m === null) {
    return { problem: "is not a date/time (expected ISO-8601, YYYY-MM-DD HH:MM:SS or an epoch number)" }
  }
  return fromIso(m)
}

/** `YYYY-MM-DDTHH:mm:ss.sssZ` of an instant. */
export const isoDateTime = (ms: number): string => new Date(ms).toISOString()

/** `YYYY-MM-DD` (UTC) of an instant. */
export const isoDate = (ms: number): string => new Date(ms).toISOString().slice(0, 10)
