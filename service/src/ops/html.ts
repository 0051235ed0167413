/**
 * HTML templating for the operator console: `html` is a tagged template that escapes every interpolated value
 * unless it is already `Html` (another `html` result, or `unsafeRaw` for fixed markup). Arrays are joined;
 * `undefined`, `null` and `false` render nothing.
 */

export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value
  }
}

const ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
  "`": "&#96;"
}

/** Escape text for HTML element content and quoted attribute values. */
export const escapeHtml = (s: string): string => s.replace(/[&<>"'`]/g, (c) => ESCAPES[c]!)

export type HtmlValue = Html | string | number | boolean | null | undefined | ReadonlyArray<HtmlValue>

const render = (v: HtmlValue): string => {
  if (v === undefined || v === null || v === false) return ""
  if (v instanceof Html) return v.value
  if (Array.isArray(v)) return v.map(render).join("")
  return escapeHtml(String(v))
}

export const html = (strings: TemplateStringsArray, ...values: ReadonlyArray<HtmlValue>): Html => {
  let out = strings[0] ?? ""
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? "")
  return new Html(out)
}

/** Markup the code itself wrote (never user or store data). */
export const unsafeRaw = (s: string): Html => new Html(s)

/** A query string from pairs (values URL-encoded; the result is then escaped by `html` as any text). */
export const query = (params: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>): string => {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue
    for (const one of typeof v === "string" ? [v] : v) q.append(k, one)
  }
  const s = q.toString()
  return s === "" ? "" : `?${s}`
}
