import { describe, expect, it } from "vitest"
import { watchOutput } from "./serviceProcess.js"

describe("watchOutput", () => {
  it("sees the listening line in a chunk that carries more than the kept tail after it", () => {
    const chunk = `workbridge listening on http://127.0.0.1:1\n${"x".repeat(5000)}`
    const r = watchOutput("", chunk)
    expect(r.listening).toBe(true)
    expect(r.tail).toHaveLength(4000)
  })

  it("sees a line split across two chunks, and not one that was never printed", () => {
    const first = watchOutput("starting\nworkbridge list", "")
    expect(first.listening).toBe(false)
    expect(watchOutput(first.tail, "ening on http://127.0.0.1:1\n").listening).toBe(true)
    expect(watchOutput("", "workbridge started\n").listening).toBe(false)
  })
})
