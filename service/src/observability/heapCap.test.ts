import { spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { HEAP_GROWING_PERCENT, heapGrowthFlag, SEMI_SPACE_GROWTH_FACTOR, youngGenerationFlag } from "./heapCap.js"

describe("heapGrowthFlag", () => {
  it("caps the old generation's growth when the process has no heap growth flag of its own", () => {
    expect(heapGrowthFlag(["--import", "tsx"], undefined)).toBe(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`)
    expect(heapGrowthFlag([], "--max-old-space-size=512")).toBe(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`)
  })

  it("leaves an operator's own --heap-growing-percent alone (command line or NODE_OPTIONS, either spelling)", () => {
    expect(heapGrowthFlag(["--heap-growing-percent=50", "--import", "tsx"], undefined)).toBeUndefined()
    expect(heapGrowthFlag([], "--import tsx --heap_growing_percent=30")).toBeUndefined()
  })
})

describe("youngGenerationFlag", () => {
  it("keeps the semi-spaces at their initial size when the process has no semi-space flag of its own", () => {
    expect(youngGenerationFlag(["--import", "tsx"], undefined)).toBe(
      `--semi-space-growth-factor=${SEMI_SPACE_GROWTH_FACTOR}`
    )
    expect(youngGenerationFlag(["--heap-growing-percent=50"], "--max-old-space-size=512")).toBe(
      `--semi-space-growth-factor=${SEMI_SPACE_GROWTH_FACTOR}`
    )
  })

  it("leaves an operator's own semi-space sizing alone (command line or NODE_OPTIONS, either spelling)", () => {
    expect(youngGenerationFlag(["--max-semi-space-size=8"], undefined)).toBeUndefined()
    expect(youngGenerationFlag([], "--min_semi_space_size=2")).toBeUndefined()
    expect(youngGenerationFlag(["--semi-space-growth-factor", "2"], undefined)).toBeUndefined()
  })

  it("is a flag this node's V8 knows and applies from inside the process: the young generation stays small", () => {
    // A child process allocates enough surviving objects that V8 would grow the semi-spaces, with and without
    // the flag set the way main.ts sets it; the new space's size is compared.
    const script = `
      const v8 = require("node:v8")
      if (process.argv[1] === "capped") v8.setFlagsFromString(${JSON.stringify(youngGenerationFlag([], undefined))})
      const keep = []
      for (let i = 0; i < 2e6; i++) { const o = { i, s: "x" + i }; if (i % 50 === 0) keep.push(o) }
      const ns = v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space")
      process.stdout.write(String(ns.space_size))`
    const newSpace = (mode: string) => {
      const r = spawnSync(process.execPath, ["-e", script, mode], {
        encoding: "utf8",
        cwd: fileURLToPath(new URL(".", import.meta.url))
      })
      expect(r.status).toBe(0)
      return Number(r.stdout)
    }
    const capped = newSpace("capped")
    const grown = newSpace("default")
    expect(capped).toBeLessThanOrEqual(4 * 1024 * 1024)
    expect(grown).toBeGreaterThan(capped)
  })
})

describe("youngGenerationUnderLoad", () => {
  // A child process keeps the semi-spaces small as main.ts does at start (tsx's loader has grown them to 2 MB each
  // by then), then lets them grow under load up to a cap: allocating with surviving objects across event-loop turns,
  // the new space grows past its start size and stops at the cap (V8 doubles it: it reaches the cap, never passes
  // it); with a cap above V8's own bound it grows past that cap.
  const run = (mode: "starting" | "started" | "uncapped") => {
    const script = `
      import * as v8 from "node:v8"
      v8.setFlagsFromString("--semi-space-growth-factor=1")
      const { youngGenerationUnderLoad } = await import(${JSON.stringify(new URL("./heapCap.ts", import.meta.url).href)})
      if (process.argv[1] !== "starting") youngGenerationUnderLoad((process.argv[1] === "started" ? 16 : 64) * 1024 * 1024)
      let keep = []
      for (let k = 0; k < 3000; k++) {
        for (let i = 0; i < 1000; i++) keep.push({ i, s: "x" + i })
        if (keep.length > 50000) keep = keep.slice(25000)
        await new Promise((r) => setImmediate(r))
      }
      const ns = v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space")
      process.stdout.write(String(ns.space_size))`
    const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script, mode], {
      encoding: "utf8",
      cwd: fileURLToPath(new URL(".", import.meta.url))
    })
    expect(r.status, r.stderr).toBe(0)
    return Number(r.stdout)
  }

  it("lets the new space grow with the load once started, up to the cap", () => {
    const starting = run("starting")
    const started = run("started")
    expect(starting).toBeLessThanOrEqual(4 * 1024 * 1024)
    expect(started).toBeGreaterThan(starting)
    expect(started).toBeLessThanOrEqual(16 * 1024 * 1024)
    expect(run("uncapped")).toBeGreaterThan(16 * 1024 * 1024)
  })
})
