import { describe, expect, it } from "vitest"
import { type BenchRow, formatTable, markdownTable } from "./table.js"

const rows: Array<BenchRow> = [
  { id: "a", figure: "calls per ticket", measured: "1.20", goal: "≤ 1.5", met: true, note: "10k events" },
  { id: "b", figure: "peak RSS", measured: "350 MB", goal: "≤ 300 MB", met: false, note: "100k events" },
  { id: "c", figure: "extra row", measured: "n/a", goal: "–", met: undefined, note: "added by another suite" }
]

describe("bench table", () => {
  it("prints one aligned line per row, whatever the rows, with their notes below", () => {
    const text = formatTable(rows)
    const lines = text.split("\n")
    expect(lines[0]).toMatch(/^# │ figure\s+│ measured\s+│ goal\s+│ met$/)
    expect(lines.filter((l) => l.includes("│"))).toHaveLength(4)
    const bar = (l: string) => [...l].findIndex((c, i) => c === "│" && i > 2)
    expect(new Set(lines.filter((l) => l.includes("│")).map(bar)).size).toBe(1)
    expect(text).toContain("│ yes")
    expect(text).toContain("│ NO")
    expect(text).toContain("3. added by another suite")
  })

  it("renders the same rows as Markdown", () => {
    const md = markdownTable(rows).split("\n")
    expect(md).toHaveLength(5)
    expect(md[3]).toBe("| 2 | peak RSS | 350 MB | ≤ 300 MB | **no** | 100k events |")
  })
})
