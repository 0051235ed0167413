/** The console's pages: plain functions from data to escaped HTML (see html.ts). */
import { AUDIT_ENTRIES_PER_TICKET, type AuditEntry } from "../observability/AuditTrail.js"
import type { DeadLetter } from "../domain/records.js"
import type { TicketSyncStatus } from "../sync/TicketStatus.js"
import { type Html, html, query } from "./html.js"
import type { LagQuantiles, MinuteCalls } from "./sampler.js"

export const BASE = "/ops"

export type Section = "overview" | "ticket" | "dead-letters" | "login"

export interface PageContext {
  /** Whether WORKBRIDGE_ADMIN_TOKEN is set (no warning, a logout button). */
  readonly protectedByToken: boolean
  readonly authenticated: boolean
  readonly csrf: string
}

const NAV: ReadonlyArray<{ readonly section: Section; readonly href: string; readonly label: string }> = [
  { section: "overview", href: BASE, label: "Overview" },
  { section: "ticket", href: `${BASE}/ticket`, label: "Ticket" },
  { section: "dead-letters", href: `${BASE}/dead-letters`, label: "Dead letters" }
]

export const page = (ctx: PageContext, section: Section, title: string, body: Html): Html => html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Workbridge console</title>
<link rel="stylesheet" href="${BASE}/assets/ops.css">
<script src="${BASE}/assets/ops.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header>
<span class="brand">Workbridge</span>
${
  ctx.authenticated
    ? html`<nav aria-label="Console"><ul>${NAV.map(
        (n) =>
          html`<li><a href="${n.href}"${n.section === section ? html` aria-current="page"` : ""}>${n.label}</a></li>`
      )}</ul></nav>`
    : ""
}
${
  ctx.protectedByToken && ctx.authenticated
    ? html`<form method="post" action="${BASE}/logout"><input type="hidden" name="csrf" value="${ctx.csrf}"><button type="submit">Log out</button></form>`
    : ""
}
</header>
${
  ctx.protectedByToken
    ? ""
    : html`<p class="warn" role="note"><strong>Open console:</strong> WORKBRIDGE_ADMIN_TOKEN is not set, so this console, /metrics, /tickets and /dead-letters are open to anyone who reaches this listener. Set it to require a login.</p>`
}
<main id="main">
<h1>${title}</h1>
${body}
</main>
</body>
</html>
`

export const loginView = (ctx: PageContext, next: string, error?: string): Html =>
  page(
    ctx,
    "login",
    "Log in",
    html`${error !== undefined ? html`<p class="error" role="alert">${error}</p>` : ""}
<form method="post" action="${BASE}/login" class="inline">
<input type="hidden" name="csrf" value="${ctx.csrf}">
<input type="hidden" name="next" value="${next}">
<label for="token">Admin token (WORKBRIDGE_ADMIN_TOKEN)
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus></label>
<button type="submit">Log in</button>
</form>`
  )

// == overview

export interface Overview {
  readonly at: Date
  readonly inboxDepth: number
  readonly oldestAgeSeconds: number
  readonly lag: LagQuantiles | undefined
  readonly minutes: ReadonlyArray<MinuteCalls>
  readonly budgetPerMinute: number
  readonly budgetTokens: number
  readonly pausedUntil: number
  readonly pauseScope: string
  /** Long 429 pauses over part of the work (creates, updates, a workitem): the token pause is `pausedUntil`. */
  readonly scopedPauses?: ReadonlyArray<{ readonly scope: string; readonly until: number }>
  readonly deadLetters: number
  readonly readiness: Readonly<Record<string, string>>
  readonly figuresScope: string
}

const seconds = (s: number): string =>
  s < 1 ? `${Math.round(s * 1000)} ms` : s < 120 ? `${s.toFixed(1)} s` : `${(s / 60).toFixed(1)} min`

const time = (epochMs: number): string => new Date(epochMs).toISOString().slice(11, 19)

/** Calls per minute as bars, the budget as a dashed line, minutes with 429s marked red. */
export const budgetChart = (minutes: ReadonlyArray<MinuteCalls>, perMinute: number): Html => {
  const W = 720
  const H = 180
  const left = 44
  const bottom = 22
  const top = 10
  const plotH = H - top - bottom
  const maxCalls = Math.max(perMinute, ...minutes.map((m) => m.calls), 1)
  const barW = (W - left - 8) / Math.max(1, minutes.length)
  const y = (v: number) => top + plotH - (plotH * v) / maxCalls
  const total = minutes.reduce((n, m) => n + m.calls, 0)
  const peak = Math.max(0, ...minutes.map((m) => m.calls))
  const limited = minutes.reduce((n, m) => n + m.rateLimited, 0)
  const first = minutes[0]?.minute ?? 0
  const last = minutes[minutes.length - 1]?.minute ?? 0
  const bars = minutes.map((m, i) => {
    const h = Math.max(1.5, y(0) - y(m.calls))
    return m.calls === 0
      ? ""
      : html`<rect x="${(left + i * barW + 1).toFixed(1)}" y="${(y(0) - h).toFixed(1)}" width="${Math.max(1, barW - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${m.rateLimited > 0 ? "#b3261e" : "#0b5cad"}"><title>${time(m.minute)}: ${m.calls} calls${m.rateLimited > 0 ? `, ${m.rateLimited} answered 429` : ""}</title></rect>`
  })
  return html`<figure class="chart">
<svg viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="budget-title budget-desc" xmlns="http://www.w3.org/2000/svg">
<title id="budget-title">Genesys calls per minute, last hour</title>
<desc id="budget-desc">${total} calls in the last hour, at most ${peak} in one minute, against a budget of ${perMinute} per minute; ${limited} answered 429.</desc>
<line x1="${left}" y1="${y(0)}" x2="${W - 4}" y2="${y(0)}" stroke="#57606a" stroke-width="1"/>
<line x1="${left}" y1="${y(perMinute).toFixed(1)}" x2="${W - 4}" y2="${y(perMinute).toFixed(1)}" stroke="#bf8700" stroke-width="1.5" stroke-dasharray="6 4"/>
<text x="${left - 6}" y="${(y(perMinute) + 4).toFixed(1)}" text-anchor="end" font-size="11" fill="#57606a">${perMinute}</text>
<text x="${left - 6}" y="${y(0) + 4}" text-anchor="end" font-size="11" fill="#57606a">0</text>
<text x="${left}" y="${H - 6}" font-size="11" fill="#57606a">${time(first)}</text>
<text x="${W - 4}" y="${H - 6}" text-anchor="end" font-size="11" fill="#57606a">${time(last)} UTC</text>
${bars}
</svg>
<figcaption class="muted">Bars: calls per minute (red: the minute had 429s). Dashed line: the budget, ${perMinute} per minute.</figcaption>
</figure>`
}

/** The part of the overview that refreshes live (also served alone at /ops/overview/live). */
export const overviewLive = (o: Overview): Html => {
  const ready = Object.values(o.readiness).every((v) => v === "ok")
  const limitedHour = o.minutes.reduce((n, m) => n + m.rateLimited, 0)
  const callsHour = o.minutes.reduce((n, m) => n + m.calls, 0)
  const lastMinute = o.minutes[o.minutes.length - 1]?.calls ?? 0
  const paused = o.pausedUntil > o.at.getTime()
  const scoped = (o.scopedPauses ?? []).filter((p) => p.scope !== "token" && p.until > o.at.getTime())
  const scopeName = (scope: string): string =>
    scope === "creates"
      ? "workitem creations"
      : scope === "updates"
        ? "workitem updates"
        : scope === "workitem"
          ? "a workitem's updates"
          : scope
  return html`<dl class="cards">
<div><dt>Readiness</dt><dd class="${ready ? "good" : "bad"}">${ready ? "Ready" : "Not ready"}<small>${Object.entries(
    o.readiness
  ).map(([k, v]) => html`${k}: ${v} `)}</small></dd></div>
<div><dt>Inbox depth</dt><dd data-testid="inbox-depth">${o.inboxDepth}<small>events waiting</small></dd></div>
<div><dt>Oldest pending</dt><dd>${o.inboxDepth === 0 ? "–" : seconds(o.oldestAgeSeconds)}<small>age of the oldest event</small></dd></div>
<div><dt>Sync lag, last 5 min</dt><dd>${o.lag === undefined ? "–" : html`${seconds(o.lag.p50)} / ${seconds(o.lag.p95)}`}<small>${o.lag === undefined ? "no events applied" : `p50 / p95 of ${o.lag.count} events`}</small></dd></div>
<div><dt>Genesys calls</dt><dd>${lastMinute}<small>this minute; ${callsHour} in the last hour; budget ${o.budgetPerMinute}/min, ${Math.floor(o.budgetTokens)} tokens left</small></dd></div>
<div><dt>429s, last hour</dt><dd class="${limitedHour > 0 ? "bad" : ""}">${limitedHour}<small>${paused ? html`<span class="bad">paused until ${time(o.pausedUntil)} UTC</span> — ${o.pauseScope}` : scoped.length === 0 ? `no pause in force (a 429's Retry-After pauses ${o.pauseScope}, or only the creates, updates or workitem it limited)` : ""}${scoped.map((p) => html` <span class="bad">${scopeName(p.scope)} paused until ${time(p.until)} UTC</span>`)}</small></dd></div>
<div><dt>Dead letters</dt><dd class="${o.deadLetters > 0 ? "bad" : ""}" data-testid="dead-letters"><a href="${BASE}/dead-letters">${o.deadLetters}</a><small>waiting for replay or discard</small></dd></div>
</dl>
<h2>Genesys budget use</h2>
${budgetChart(o.minutes, o.budgetPerMinute)}
<p class="muted">Updated ${o.at.toISOString().slice(0, 19).replace("T", " ")} UTC. ${o.figuresScope}</p>`
}

export const overviewView = (ctx: PageContext, o: Overview): Html =>
  page(
    ctx,
    "overview",
    "Overview",
    html`<section id="live" data-poll="${BASE}/overview/live" data-every="2000" aria-label="Live figures">${overviewLive(o)}</section>
<noscript><p><a href="${BASE}">Refresh</a> to update the figures.</p></noscript>`
  )

// == ticket

export interface TicketView {
  readonly source: string
  readonly ticketId: string
  readonly status: TicketSyncStatus | undefined
  readonly entries: ReadonlyArray<AuditEntry>
  readonly deadLetters: ReadonlyArray<DeadLetter>
  readonly auditEnabled: boolean
}

const KIND_LABEL: Readonly<Record<AuditEntry["kind"], string>> = {
  received: "received",
  duplicate: "duplicate",
  requeued: "requeued",
  call: "Genesys call",
  applied: "applied",
  superseded: "superseded",
  dead: "dead letter",
  retry: "retry later"
}

const entryWhat = (e: AuditEntry): Html => {
  switch (e.kind) {
    case "call":
      return html`<code>${e.operation ?? ""}</code> → ${e.status !== undefined ? html`HTTP ${e.status} ` : ""}<span class="${e.outcome === "ok" ? "good" : "bad"}">${e.outcome ?? ""}</span> <span class="nowrap">in ${e.latencyMs ?? 0} ms</span>`
    case "received":
      return html`delivery <code>${e.deliveryKey ?? ""}</code> accepted`
    case "duplicate":
      return html`delivery <code>${e.deliveryKey ?? ""}</code> seen before: deduplicated, not stored again`
    case "requeued":
      return html`delivery <code>${e.deliveryKey ?? ""}</code> requeued`
    case "applied":
      return html`written to workitem <code>${e.workitemId ?? ""}</code>`
    case "superseded":
      return html`delivery <code>${e.deliveryKey ?? ""}</code> superseded (stale)`
    case "dead":
      return html`delivery <code>${e.deliveryKey ?? ""}</code> dead-lettered`
    case "retry":
      return html`apply failed for now`
  }
}

const entryDetail = (e: AuditEntry): Html | string => {
  if (e.detail === undefined) return ""
  if (e.detail.startsWith("Genesys error body: ")) {
    return html`<details><summary>Genesys error body</summary><pre>${e.detail.slice("Genesys error body: ".length)}</pre></details>`
  }
  return e.detail
}

export const ticketSearchForm = (
  sources: ReadonlyArray<string>,
  source: string,
  ticketId: string
): Html => html`<form method="get" action="${BASE}/ticket" class="inline" role="search">
<label for="source">Source
<select id="source" name="source">${sources.map((s) => html`<option value="${s}"${s === source ? html` selected` : ""}>${s}</option>`)}</select></label>
<label for="ticket-id">Ticket id
<input id="ticket-id" name="id" value="${ticketId}" required></label>
<button type="submit">Show timeline</button>
</form>`

export const ticketView = (
  ctx: PageContext,
  sources: ReadonlyArray<string>,
  t: TicketView | undefined,
  source: string,
  ticketId: string
): Html => {
  const form = ticketSearchForm(sources, source, ticketId)
  if (t === undefined)
    return page(ctx, "ticket", "Ticket", html`${form}<p>Search a ticket by its source and its id there.</p>`)
  const s = t.status
  const known =
    s !== undefined &&
    (s.workitemId !== undefined || s.pendingEvents > 0 || s.lastError !== undefined || t.entries.length > 0)
  return page(
    ctx,
    "ticket",
    `Ticket ${t.source}/${t.ticketId}`,
    html`${form}
${
  !known
    ? html`<p role="status">No events of ticket <code>${t.ticketId}</code> from <code>${t.source}</code> were accepted${t.auditEnabled ? "" : " (or the audit trail is off)"}.</p>`
    : html`<h2>Current state</h2>
<dl class="facts">
<dt>Workitem</dt><dd>${s?.workitemId !== undefined ? html`<code data-testid="workitem-id">${s.workitemId}</code>` : "none yet"}</dd>
<dt>Applied revision</dt><dd>${s?.appliedRevision !== undefined ? html`<code>${s.appliedRevision}</code>` : "–"}</dd>
<dt>Last applied</dt><dd>${s?.lastAppliedAt ?? "–"}</dd>
<dt>Pending events</dt><dd>${s?.pendingEvents ?? 0}${s !== undefined && s.pendingEvents > 0 ? html` (waiting ${seconds(s.lagSeconds ?? 0)})` : ""}</dd>
<dt>Last error</dt><dd>${s?.lastError !== undefined ? html`<span class="bad">${s.lastError}</span>` : "none"}</dd>
</dl>
<p class="muted">As JSON: <a href="/tickets/${encodeURIComponent(t.source)}/${encodeURIComponent(t.ticketId)}">/tickets/${t.source}/${t.ticketId}</a></p>
<h2>Timeline</h2>
${
  !t.auditEnabled
    ? html`<p>The audit trail is off (WORKBRIDGE_AUDIT_RETENTION_DAYS=0).</p>`
    : t.entries.length === 0
      ? html`<p>No entries kept for this ticket (older than the retention).</p>`
      : html`<table data-testid="timeline">
<caption class="muted">Oldest first: ${t.entries.length} entries (a ticket keeps its newest ${AUDIT_ENTRIES_PER_TICKET}).</caption>
<thead><tr><th scope="col">Time (UTC)</th><th scope="col">Event</th><th scope="col">Revision</th><th scope="col">What happened</th></tr></thead>
<tbody>${t.entries.map(
          (e, i) =>
            html`<tr><td><time datetime="${e.at}">${i === 0 || t.entries[i - 1]!.at.slice(0, 10) !== e.at.slice(0, 10) ? html`<span class="date">${e.at.slice(0, 10)}</span> ` : ""}${e.at.slice(11, 23)}</time></td><td><span class="kind kind-${e.kind}">${KIND_LABEL[e.kind]}</span></td><td>${e.revision !== undefined ? html`<code>${e.revision}</code>` : ""}</td><td>${entryWhat(e)}${e.detail !== undefined ? html`<div class="muted">${entryDetail(e)}</div>` : ""}</td></tr>`
        )}</tbody>
</table>`
}
${
  t.deadLetters.length > 0
    ? html`<h2>Dead letters of this ticket</h2><ul>${t.deadLetters.map(
        (d) =>
          html`<li><a href="${BASE}/dead-letters/${d.id}">#${d.id}</a> revision <code>${d.revision}</code>: ${d.reason}</li>`
      )}</ul>`
    : ""
}`
}`
  )
}

// == dead letters

export const deadLettersView = (
  ctx: PageContext,
  letters: ReadonlyArray<DeadLetter>,
  total: number,
  reasons: ReadonlyArray<string>,
  reason: string | undefined,
  notice: string | undefined
): Html =>
  page(
    ctx,
    "dead-letters",
    "Dead letters",
    html`${notice !== undefined ? html`<p class="notice" role="status">${notice}</p>` : ""}
<form method="get" action="${BASE}/dead-letters" class="inline">
<label for="reason">Reason
<select id="reason" name="reason"><option value="">all reasons</option>${reasons.map(
      (r) => html`<option value="${r}"${r === reason ? html` selected` : ""}>${r}</option>`
    )}</select></label>
<button type="submit" class="secondary">Filter</button>
</form>
<p>${letters.length} shown of ${total}.</p>
${
  letters.length === 0
    ? html`<p>No dead letters${reason !== undefined ? " with this reason" : ""}.</p>`
    : html`<form method="get" action="${BASE}/dead-letters/confirm">
<table data-testid="dead-letters-table">
<thead><tr><th scope="col"><input type="checkbox" id="select-all" aria-label="Select all shown"></th><th scope="col">Id</th><th scope="col">Ticket</th><th scope="col">Revision</th><th scope="col">Reason</th><th scope="col">Created (UTC)</th></tr></thead>
<tbody>${letters.map(
        (d) => html`<tr>
<td><input type="checkbox" name="id" value="${d.id}" id="dl-${d.id}" aria-label="Select dead letter ${d.id}"></td>
<td><a href="${BASE}/dead-letters/${d.id}">#${d.id}</a></td>
<td><a href="${BASE}/ticket${query({ source: d.source, id: d.ticketId })}">${d.source}/${d.ticketId}</a></td>
<td><code>${d.revision}</code></td>
<td>${d.reason}<br><span class="muted">${d.details[0] ?? ""}</span></td>
<td>${d.createdAt.slice(0, 19).replace("T", " ")}</td>
</tr>`
      )}</tbody>
</table>
<div class="actions">
<button type="submit" name="action" value="replay">Replay selected…</button>
<button type="submit" name="action" value="discard" class="danger">Discard selected…</button>
</div>
</form>`
}`
  )

export const deadLetterView = (ctx: PageContext, d: DeadLetter): Html =>
  page(
    ctx,
    "dead-letters",
    `Dead letter #${d.id}`,
    html`<dl class="facts">
<dt>Ticket</dt><dd><a href="${BASE}/ticket${query({ source: d.source, id: d.ticketId })}">${d.source}/${d.ticketId}</a></dd>
<dt>Revision</dt><dd><code>${d.revision}</code></dd>
<dt>Reason</dt><dd>${d.reason}</dd>
<dt>Created</dt><dd>${d.createdAt}</dd>
</dl>
<h2>Details</h2>
<ul>${d.details.map((x) => html`<li><pre>${x}</pre></li>`)}</ul>
<h2>Event</h2>
<pre>${JSON.stringify(d.event, null, 2)}</pre>
<div class="actions">
<a href="${BASE}/dead-letters/confirm${query({ action: "replay", id: d.id })}">Replay…</a>
<a href="${BASE}/dead-letters/confirm${query({ action: "discard", id: d.id })}">Discard…</a>
</div>`
  )

export const confirmView = (
  ctx: PageContext,
  action: "replay" | "discard",
  letters: ReadonlyArray<DeadLetter>,
  missing: ReadonlyArray<string>
): Html => {
  const verb = action === "replay" ? "Replay" : "Discard"
  return page(
    ctx,
    "dead-letters",
    `${verb} ${letters.length} dead letter${letters.length === 1 ? "" : "s"}?`,
    html`<p>${
      action === "replay"
        ? "Each event goes back into the inbox under a fresh delivery key and its dead letter is removed; the engine applies it as any new event."
        : "Each dead letter is deleted for good; its event will not be applied."
    }</p>
${missing.length > 0 ? html`<p class="error" role="alert">Not found (already replayed or discarded?): ${missing.join(", ")}</p>` : ""}
<ul>${letters.map((d) => html`<li>#${d.id} ${d.source}/${d.ticketId} revision <code>${d.revision}</code>: ${d.reason}</li>`)}</ul>
${
  letters.length === 0
    ? html`<p><a href="${BASE}/dead-letters">Back to the dead letters</a></p>`
    : html`<form method="post" action="${BASE}/dead-letters/${action}">
<input type="hidden" name="csrf" value="${ctx.csrf}">
${letters.map((d) => html`<input type="hidden" name="id" value="${d.id}">`)}
<div class="actions">
<button type="submit"${action === "discard" ? html` class="danger"` : ""}>Confirm: ${verb.toLowerCase()} ${letters.length}</button>
<a href="${BASE}/dead-letters">Cancel</a>
</div>
</form>`
}`
  )
}

export const errorView = (ctx: PageContext, status: number, message: string): Html =>
  page(
    ctx,
    "overview",
    status === 404 ? "Not found" : status === 403 ? "Refused" : "Error",
    html`<p class="error" role="alert">${message}</p><p><a href="${BASE}">Back to the overview</a></p>`
  )
