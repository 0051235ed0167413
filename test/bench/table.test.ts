import { describe, expect, it } from "vitest"
import { type BenchRow, formatSpread, formatTable, markdownTable, spreadOf } from "./table.js"

const rows: Array<BenchRow> = [
  { id: "a", figure: "calls per ticket", measured: "1.20", goal: "≤ 1.5", met: true, note: "10k events" },
  { id: "b", figure: "peak RSS", measured: "350 MB", goal: "≤ 300 MB", met: false, note: "100k events" },
  {
    id: "r",
    figure: "ingest vs echo",
    measured: "0.70×",
    spread: "0.61–0.78×; p99 9–14 ms",
    goal: "≥ 0.8×",
    met: false,
    note: "5 rounds"
  },
  { id: "c", figure: "extra row", measured: "n/a", goal: "–", met: undefined, note: "added by another suite" }
]

describe("bench table", () => {
  it("prints one aligned line per row, whatever the rows, with their notes below", () => {
    const text = formatTable(rows)
    const lines = text.split("\n")
    expect(lines[0]).toMatch(/^# │ figure\s+│ measured\s+│ spread \(min–max of rounds\)\s+│ goal\s+│ met$/)
    expect(lines.filter((l) => l.includes("│"))).toHaveLength(5)
    const bar = (l: string) => [...l].findIndex((c, i) => c === "│" && i > 2)
    expect(new Set(lines.filter((l) => l.includes("│")).map(bar)).size).toBe(1)
    expect(text).toContain("│ yes")
    expect(text).toContain("│ NO")
    expect(text).toContain("4. added by another suite")
    const spreadColumn = (l: string) => l.split(" │ ")[3]!.trim()
    expect(
      lines
        .filter((l) => l.includes("│"))
        .slice(1)
        .map(spreadColumn)
    ).toEqual(["–", "–", "0.61–0.78×; p99 9–14 ms", "–"])
  })

  it("renders the same rows as Markdown", () => {
    const md = markdownTable(rows).split("\n")
    expect(md).toHaveLength(6)
    expect(md[0]).toBe("| # | figure | measured | spread (min–max of rounds) | goal | met | conditions |")
    expect(md[3]).toBe("| 2 | peak RSS | 350 MB | – | ≤ 300 MB | **no** | 100k events |")
    expect(md[4]).toBe("| 3 | ingest vs echo | 0.70× | 0.61–0.78×; p99 9–14 ms | ≥ 0.8× | **no** | 5 rounds |")
  })
})

describe("rounds", () => {
  it("summarizes interleaved rounds as median and min–max, whatever order they come in", () => {
    expect(spreadOf([0.7, 0.5, 0.9, 0.6, 0.8])).toEqual({ median: 0.7, min: 0.5, max: 0.9, n: 5 })
    expect(spreadOf([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4, n: 4 })
    expect(spreadOf([]).n).toBe(0)
    expect(Number.isNaN(spreadOf([]).median)).toBe(true)
  })

  it("prints a spread as the median followed by its range", () => {
    expect(formatSpread(spreadOf([0.71, 0.65, 0.78]), 2, "×")).toBe("0.71× (0.65–0.78×)")
    expect(formatSpread(spreadOf([12.25, 9, 14]), 1, " ms")).toBe("12.3 ms (9.0–14.0 ms)")
    expect(formatSpread(spreadOf([]))).toBe("n/a")
  })
})
