/** The console's stylesheet and its one small script, served from memory under /ops/assets/ (no CDN, no build). */

export const CSS = `
:root { color-scheme: light; --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --bg: #ffffff; --panel: #f6f8fa;
  --accent: #0b5cad; --bad: #b3261e; --warn-bg: #fff4ce; --warn-line: #bf8700; --ok: #1a7f37; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, summary:focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }
.skip { position: absolute; left: -9999px; }
.skip:focus { left: 8px; top: 8px; background: #fff; padding: 4px 8px; z-index: 10; }
header { display: flex; align-items: center; gap: 24px; padding: 10px 24px; background: #10243e; color: #fff; flex-wrap: wrap; }
header .brand { font-weight: 700; letter-spacing: .02em; }
header nav ul { display: flex; gap: 4px; list-style: none; margin: 0; padding: 0; }
header nav a { color: #dbe7f5; text-decoration: none; padding: 6px 10px; border-radius: 6px; display: inline-block; }
header nav a[aria-current="page"] { background: #24466f; color: #fff; }
header form { margin-left: auto; }
header button { background: transparent; color: #dbe7f5; border: 1px solid #5b7696; }
main { padding: 16px 24px 48px; max-width: 1200px; }
h1 { font-size: 1.5rem; margin: 8px 0 16px; }
h2 { font-size: 1.15rem; margin: 24px 0 8px; }
.warn { background: var(--warn-bg); border: 1px solid var(--warn-line); padding: 8px 12px; border-radius: 6px; margin: 12px 24px 0; }
.error { color: var(--bad); }
.notice { background: #e6f4ea; border: 1px solid var(--ok); padding: 8px 12px; border-radius: 6px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 12px; margin: 0; }
.cards > div { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
.cards dt { color: var(--muted); font-size: .85rem; }
.cards dd { margin: 2px 0 0; font-size: 1.35rem; font-weight: 600; }
.cards dd small { font-size: .8rem; font-weight: 400; color: var(--muted); display: block; }
.bad { color: var(--bad); }
.good { color: var(--ok); }
table { border-collapse: collapse; width: 100%; font-size: .92rem; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--panel); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .85rem; }
pre { background: var(--panel); border: 1px solid var(--line); padding: 8px; overflow-x: auto; white-space: pre-wrap; word-break: break-word; }
form.inline { display: flex; gap: 12px; align-items: end; flex-wrap: wrap; margin: 8px 0 16px; }
form.inline label { display: flex; flex-direction: column; font-size: .85rem; color: var(--muted); gap: 2px; }
input, select, button { font: inherit; padding: 5px 8px; border: 1px solid var(--line); border-radius: 6px; }
button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; }
button.danger { background: var(--bad); border-color: var(--bad); }
button.secondary { background: #fff; color: var(--accent); }
.kind { display: inline-block; min-width: 88px; font-weight: 600; white-space: nowrap; }
td time, td a, td code, .nowrap { white-space: nowrap; }
td time .date { display: block; color: var(--muted); font-size: .8rem; }
main { overflow-x: auto; }
.kind-call { color: #5a32a3; } .kind-applied { color: var(--ok); } .kind-dead, .kind-retry { color: var(--bad); }
.kind-duplicate, .kind-superseded { color: var(--muted); }
.chart { max-width: 760px; }
.chart svg { width: 100%; height: auto; border: 1px solid var(--line); border-radius: 8px; background: #fff; }
.muted { color: var(--muted); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
.actions { display: flex; gap: 8px; margin: 12px 0; }
`

/** Polls `[data-poll]` elements (live overview); the pages work without it. */
export const JS = `
"use strict";
for (const el of document.querySelectorAll("[data-poll]")) {
  const url = el.getAttribute("data-poll");
  const every = Number(el.getAttribute("data-every") || "2000");
  const tick = async () => {
    try {
      const r = await fetch(url, { credentials: "same-origin", headers: { accept: "text/html" } });
      if (r.status === 401) { location.reload(); return; }
      // Not while the keyboard focus is inside: replacing the region would drop it.
      if (r.ok && !el.contains(document.activeElement)) el.innerHTML = await r.text();
    } catch (e) { /* keep the last view; try again */ }
    setTimeout(tick, every);
  };
  setTimeout(tick, every);
}
const all = document.getElementById("select-all");
if (all) all.addEventListener("change", () => {
  for (const box of document.querySelectorAll("input[name=id][type=checkbox]")) box.checked = all.checked;
});
`
