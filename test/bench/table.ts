/** The bench's result table: rows of measured figures with their goals, printable and serializable; open to extra rows. */

export interface BenchRow {
  /** Short id, e.g. `storm-efficiency`. */
  readonly id: string
  /** What was measured, as the table shows it. */
  readonly figure: string
  /** The measured value, formatted. */
  readonly measured: string
  /** The goal, formatted (e.g. `≤ 1.5`). */
  readonly goal: string
  /** Whether the goal was met; undefined when the figure has no goal or was not measured. */
  readonly met: boolean | undefined
  /** Conditions of the measurement (budget, sizes, baseline figures). */
  readonly note: string
  /** For figures measured in interleaved rounds: the spread of the rounds (e.g. `ratio 0.61–0.72; p99 9–14 ms`). */
  readonly spread?: string
  /** Raw numbers behind the row. */
  readonly data?: Readonly<Record<string, unknown>>
}

/** The median and range of a figure measured in several rounds. */
export interface Spread {
  readonly median: number
  readonly min: number
  readonly max: number
  /** Rounds. */
  readonly n: number
}

/** Median (the mean of the middle two for an even count), min and max of `values`; NaN throughout when empty. */
export const spreadOf = (values: ReadonlyArray<number>): Spread => {
  const v = [...values].sort((a, b) => a - b)
  const n = v.length
  if (n === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, n }
  const median = n % 2 === 1 ? v[(n - 1) / 2]! : (v[n / 2 - 1]! + v[n / 2]!) / 2
  return { median, min: v[0]!, max: v[n - 1]!, n }
}

/** `0.71 (0.65–0.78)` — the median, then min–max; `unit` follows each number. */
export const formatSpread = (s: Spread, digits = 2, unit = ""): string =>
  Number.isFinite(s.median)
    ? `${s.median.toFixed(digits)}${unit} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)}${unit})`
    : "n/a"

const width = (rows: ReadonlyArray<ReadonlyArray<string>>, i: number): number =>
  Math.max(...rows.map((r) => [...(r[i] ?? "")].length))

const pad = (s: string, n: number): string => s + " ".repeat(Math.max(0, n - [...s].length))

/** A plain-text table (one line per row, notes below). */
export const formatTable = (rows: ReadonlyArray<BenchRow>): string => {
  const cells = [
    ["#", "figure", "measured", "spread (min–max of rounds)", "goal", "met"],
    ...rows.map((r, i) => [
      String(i + 1),
      r.figure,
      r.measured,
      r.spread ?? "–",
      r.goal,
      r.met === undefined ? "–" : r.met ? "yes" : "NO"
    ])
  ]
  const widths = cells[0]!.map((_, i) => width(cells, i))
  const line = (c: ReadonlyArray<string>) => c.map((x, i) => pad(x, widths[i]!)).join(" │ ")
  const rule = widths.map((w) => "─".repeat(w)).join("─┼─")
  const out = [line(cells[0]!), rule, ...cells.slice(1).map(line), ""]
  rows.forEach((r, i) => out.push(`${i + 1}. ${r.note}`))
  return out.join("\n")
}

/** A Markdown table of the same rows (for docs/benchmarks.md). */
export const markdownTable = (rows: ReadonlyArray<BenchRow>): string =>
  [
    "| # | figure | measured | spread (min–max of rounds) | goal | met | conditions |",
    "|---|---|---|---|---|---|---|",
    ...rows.map(
      (r, i) =>
        `| ${i + 1} | ${r.figure} | ${r.measured} | ${r.spread ?? "–"} | ${r.goal} | ${r.met === undefined ? "–" : r.met ? "yes" : "**no**"} | ${r.note} |`
    )
  ].join("\n")
