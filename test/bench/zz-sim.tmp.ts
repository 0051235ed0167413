import { compareRevision } from "@workbridge/catalog"
import { generateStorm } from "../src/storm.js"

const storm = generateStorm({ tickets: 1000, events: 10000, seed: 7, prefix: "d7-x-" })
const N = storm.deliveries.length
const timeOf = (cps: Array<[number, number]>, idx: number) => {
  let prev: [number, number] = [0, 0]
  for (const c of cps) {
    if (idx <= c[0]) return prev[1] + ((idx - prev[0]) / (c[0] - prev[0])) * (c[1] - prev[1])
    prev = c
  }
  return prev[1]
}
const sim = (cps: Array<[number, number]>, formLagS: number, policy = "fifo", rate = 20, burst = 10) => {
  const T = cps[cps.length - 1]![1]
  const seen = new Set<string>()
  const pending = new Map<string, Array<{ at: number; rev: string }>>()
  const applied = new Map<string, string>()
  let calls = 0,
    during = 0,
    creates = 0
  let tokens = burst
  let i = 0
  const dt = 0.001
  // process events up to time t (arrivals)
  const arrive = (t: number) => {
    while (i < N && timeOf(cps, i + 1) <= t) {
      const d = storm.deliveries[i]!
      i++
      const k = `${d.event.source}/${d.event.deliveryKey}`
      if (seen.has(k)) continue
      seen.add(k)
      const arr = pending.get(d.ticket) ?? []
      arr.push({ at: timeOf(cps, i), rev: d.event.revision })
      pending.set(d.ticket, arr)
    }
  }
  let t = 0
  for (; t < 10000; t += dt) {
    arrive(t)
    tokens = Math.min(burst, tokens + rate * dt)
    while (tokens >= 1) {
      // oldest pending ticket as of (t - formLagS) view: batch = events arrived up to t - formLagS
      const view = t - formLagS
      let best: string | undefined
      let bestAt = Infinity
      for (const [tk, arr] of pending) {
        const first = arr[0]!
        if (first.at > view) continue
        const score =
          policy === "fifo"
            ? first.at
            : policy === "lifo"
              ? -arr[arr.length - 1]!.at
              : policy === "most"
                ? -arr.length
                : policy === "newestfirst-oldest"
                  ? -first.at
                  : Math.random()
        if (score < bestAt) {
          bestAt = score
          best = tk
        }
      }
      if (best === undefined) break
      const arr = pending.get(best)!
      const batch = arr.filter((e) => e.at <= view)
      const rest = arr.filter((e) => e.at > view)
      if (rest.length === 0) pending.delete(best)
      else pending.set(best, rest)
      let max = batch[0]!.rev
      for (const e of batch) if (compareRevision(e.rev, max) > 0) max = e.rev
      const cur = applied.get(best)
      if (cur !== undefined && compareRevision(max, cur) <= 0) continue // superseded, no call
      if (cur === undefined) creates++
      applied.set(best, max)
      tokens -= 1
      calls++
      if (t <= T) during++
    }
    if (i >= N && pending.size === 0) break
  }
  return { T, formLagS, calls, perTicket: calls / 1000, during, after: calls - during, creates }
}
import { readFileSync } from "node:fs"
for (const f of process.argv.slice(2)) {
  const text = readFileSync(f, "utf8")
  const cps: Array<[number, number]> = [...text.matchAll(/sent (\d+)\/11932 deliveries \(([\d.]+) s\)/g)].map((m) => [
    Number(m[1]),
    Number(m[2])
  ])
  const measured = /Genesys calls per ticket[^│]*│ ([\d.]+)/.exec(text)?.[1]
  const r = sim(cps, 0)
  console.log(
    f.split("/").pop(),
    "T",
    r.T,
    "measured",
    measured,
    "ideal",
    r.perTicket.toFixed(3),
    "during",
    r.during,
    "after",
    r.after
  )
}
