import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { defaultCatalog } from "./DefaultCatalog.js"
import { applyOverrides } from "./Overrides.js"
import { validateCatalog } from "./Validate.js"
import {
  DEFAULT_WRITE_BACK_STATUSES,
  fieldDirection,
  flowsToGenesys,
  flowsToHelpdesk,
  writeBackStatus
} from "./WriteBack.js"

const withOverrides = (overrides: unknown) => {
  const result = applyOverrides(defaultCatalog, overrides, "deploy.yaml")
  if (Either.isLeft(result)) throw new Error(result.left.message)
  return result.right
}
const overrideError = (overrides: unknown): string => {
  const result = applyOverrides(defaultCatalog, overrides, "deploy.yaml")
  if (Either.isRight(result)) throw new Error("expected the overrides to be refused")
  return result.left.message
}

describe("field direction", () => {
  it("is helpdesk → Genesys unless declared, and each direction flows where it says", () => {
    // The default catalog's status flows both ways (an agent's status change is written back); every other field
    // flows only to Genesys.
    expect(
      defaultCatalog.fields.filter((f) => fieldDirection(f) !== "toGenesys").map((f) => [f.key, f.direction])
    ).toEqual([["status", "both"]])
    expect([flowsToGenesys({}), flowsToHelpdesk({})]).toEqual([true, false])
    expect([flowsToGenesys({ direction: "toHelpdesk" }), flowsToHelpdesk({ direction: "toHelpdesk" })]).toEqual([
      false,
      true
    ])
    expect([flowsToGenesys({ direction: "both" }), flowsToHelpdesk({ direction: "both" })]).toEqual([true, true])
  })

  it("is set per existing field by the overrides' directions, and a bad one names its path", () => {
    const catalog = withOverrides({ directions: { status: "both" } })
    expect(catalog.fields.find((f) => f.key === "status")?.direction).toBe("both")
    expect(overrideError({ directions: { status: "sideways" } })).toMatch(
      /deploy\.yaml: directions\.status: "sideways" is not a field direction \(toGenesys, toHelpdesk, both\)/
    )
    expect(overrideError({ directions: { nonexistent: "both" } })).toMatch(
      /deploy\.yaml: directions\.nonexistent: "nonexistent" is not a field of the catalog/
    )
  })

  it("is checked in a catalog built in code too", () => {
    const fields = defaultCatalog.fields.map((f) => (f.key === "status" ? { ...f, direction: "upwards" as never } : f))
    const result = validateCatalog({ ...defaultCatalog, fields })
    expect(Either.isLeft(result) && result.left.message).toMatch(
      /fields\[\d+\]\.direction: "upwards" is not a field direction/
    )
  })
})

describe("writeBackStatus", () => {
  const twoWay = defaultCatalog

  it("writes nothing while the status field flows only to Genesys", () => {
    const oneWay = withOverrides({ directions: { status: "toGenesys" } })
    expect(writeBackStatus(oneWay, "zendesk", "Resolved")).toBeUndefined()
    expect(writeBackStatus(defaultCatalog, "zendesk", "Resolved")).toBe("solved")
  })

  it("maps a closing Genesys status to each vendor's own status", () => {
    const resolved = Object.keys(DEFAULT_WRITE_BACK_STATUSES).map((source) => [
      source,
      writeBackStatus(twoWay, source, "Resolved")
    ])
    expect(Object.fromEntries(resolved)).toEqual({
      zendesk: "solved",
      servicenow: "6",
      jira: "category:done",
      freshdesk: "4",
      github: "closed"
    })
    expect(writeBackStatus(twoWay, "servicenow", "Closed")).toBe("7")
    expect(writeBackStatus(twoWay, "freshdesk", "Closed")).toBe("5")
  })

  it("maps a reopened workitem (Open) and one in progress to each vendor's open status", () => {
    const reopened = Object.keys(DEFAULT_WRITE_BACK_STATUSES).map((source) => [
      source,
      writeBackStatus(twoWay, source, "Open"),
      writeBackStatus(twoWay, source, "In Progress")
    ])
    expect(reopened).toEqual([
      ["zendesk", "open", "open"],
      ["servicenow", "2", "2"],
      ["jira", "category:new", "category:indeterminate"],
      ["freshdesk", "2", "2"],
      ["github", "open", "open"]
    ])
  })

  it("writes nothing for a status no value is mapped back for, or a source without defaults", () => {
    expect(writeBackStatus(twoWay, "zendesk", "Waiting")).toBeUndefined()
    expect(writeBackStatus(twoWay, "acme", "Resolved")).toBeUndefined()
    expect(writeBackStatus(twoWay, "zendesk", "No Such Status")).toBeUndefined()
  })

  it("takes a deployment's mapping over the defaults, for any source", () => {
    const catalog = withOverrides({
      directions: { status: "toHelpdesk" },
      writeBackStatuses: { zendesk: { open: "open", solved: "closed" }, acme: { solved: "DONE" } }
    })
    expect(writeBackStatus(catalog, "zendesk", "In Progress")).toBe("open")
    expect(writeBackStatus(catalog, "zendesk", "Resolved")).toBe("closed")
    expect(writeBackStatus(catalog, "zendesk", "Closed")).toBe("solved")
    expect(writeBackStatus(catalog, "acme", "Resolved")).toBe("DONE")
  })

  it("refuses a mapping from a value the status field does not have, or to an empty status, naming the path", () => {
    expect(overrideError({ writeBackStatuses: { zendesk: { finished: "solved" } } })).toMatch(
      /deploy\.yaml: writeBackStatuses\.zendesk\.finished: "finished" is not a value of field "status"/
    )
    expect(overrideError({ writeBackStatuses: { jira: { solved: " " } } })).toMatch(
      /writeBackStatuses\.jira\.solved: must name the helpdesk's status/
    )
  })
})
