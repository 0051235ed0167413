/** The Velocity subset of Data Action requests and the trigger criteria, as pure functions. */
import { describe, expect, it } from "vitest"
import { renderTemplate } from "./internal/dispatch.js"
import { criterionHolds, readPath } from "./internal/events.js"

describe("renderTemplate (Velocity subset of Data Action requests)", () => {
  const input = { event: '{"a":"x\\"y"}', id: "42" }
  it("substitutes formal, silent and shorthand references, credentials and $esc.jsonString", () => {
    expect(renderTemplate("https://h/t/${input.id}?q=$input.id", input, {})).toBe("https://h/t/42?q=42")
    expect(renderTemplate("${input.event}", input, {})).toBe('{"a":"x\\"y"}')
    expect(renderTemplate('{"e": "$esc.jsonString(${input.event})"}', input, {})).toBe(
      '{"e": "{\\"a\\":\\"x\\\\\\"y\\"}"}'
    )
    expect(JSON.parse(renderTemplate('{"e": "$esc.jsonString(${input.event})"}', input, {})).e).toBe(input.event)
    expect(renderTemplate("Key ${credentials.apiKey}", input, { apiKey: "k" })).toBe("Key k")
  })
  it("leaves a missing formal reference as written and renders a missing silent one empty", () => {
    expect(renderTemplate("${input.nope}|$!{input.nope}", input, {})).toBe("${input.nope}|")
  })
})

describe("trigger criteria", () => {
  const event = {
    typeId: "t1",
    modifiedBy: "c1",
    changes: [{ field: "statusId" }],
    customFields: { a: { value: "v" } }
  }
  it("reads dotted, $-prefixed and indexed paths", () => {
    expect(readPath(event, "typeId")).toBe("t1")
    expect(readPath(event, "$.customFields.a.value")).toBe("v")
    expect(readPath(event, "$.changes[0].field")).toBe("statusId")
    expect(readPath(event, "$['typeId']")).toBe("t1")
    expect(readPath(event, "missing.path")).toBeUndefined()
  })
  it.each([
    [{ jsonPath: "typeId", operator: "Equal", value: "t1" }, true],
    [{ jsonPath: "typeId", operator: "Equal", value: "t2" }, false],
    [{ jsonPath: "modifiedBy", operator: "NotEqual", value: "c1" }, false],
    [{ jsonPath: "modifiedBy", operator: "NotEqual", value: "c2" }, true],
    [{ jsonPath: "typeId", operator: "In", values: ["t0", "t1"] }, true],
    [{ jsonPath: "typeId", operator: "NotIn", values: ["t0", "t1"] }, false],
    [{ jsonPath: "customFields.a.value", operator: "Contains", value: "v" }, true],
    [{ jsonPath: "missing", operator: "Equal", value: "x" }, false],
    [{ jsonPath: "missing", operator: "NotEqual", value: "x" }, true]
  ])("%j holds: %s", (criterion, expected) => {
    expect(criterionHolds(criterion, event)).toBe(expected)
  })
})
