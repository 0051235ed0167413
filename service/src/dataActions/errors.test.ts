import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import type { DataActionErrorCode } from "./errors.js"

describe("docs/data-actions.md", () => {
  const docs = readFileSync(fileURLToPath(new URL("../../../docs/data-actions.md", import.meta.url)), "utf8")

  it("documents every error code", () => {
    // Completeness is checked by the compiler: every code of the union must be a key here.
    const codes = Object.keys({
      unauthorized: true,
      malformed_input: true,
      payload_too_large: true,
      unsupported_media_type: true,
      not_found: true,
      method_not_allowed: true,
      status_unavailable: true,
      status_timeout: true,
      internal: true
    } satisfies Record<DataActionErrorCode, true>)
    expect(codes.filter((code) => !docs.includes(`\`${code}\``))).toEqual([])
  })
})
