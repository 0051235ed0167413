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
  /** Raw numbers behind the row. */
  readonly data?: Readonly<Record<string, unknown>>
}

const width = (rows: ReadonlyArray<ReadonlyArray<string>>, i: number): number => Math.max(...rows.map((r) => [...(r[i] ?? "")].length))

const pad = (s: string, n: number): string => s + " ".repeat(Math.max(0, n - [...s].length))

/** A plain-text table (one line per row, notes below). */
export const formatTable = (rows: ReadonlyArray<BenchRow>): string => {
  const cells = [["#", "figure", "measured", "goal", "met"], ...rows.map((r, i) => [String(i + 1), r.figure, r.measured, r.goal, r.met === undefined ? "–" : r.met ? "yes" : "NO"])]
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
    "| # | figure | measured | goal | met | conditions |",
    "|---|---|---|---|---|---|",
    ...rows.map((r, i) => `| ${i + 1} | ${r.figure} | ${r.measured} | ${r.goal} | ${r.met === undefined ? "–" : r.met ? "yes" : "**no**"} | ${r.note} |`)
  ].join("\n")
