import { SERVICE_OPERATIONS, servicePermissions } from "@workbridge/catalog"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { policyPermissions } from "../providers/role.js"
import { serviceRolePolicies, toPermissionPolicies } from "./permissions.js"

describe("toPermissionPolicies", () => {
  it("groups permissions by domain and entity, actions sorted", () => {
    expect(
      toPermissionPolicies(["workitems:workitem:view", "workitems:worktype:view", "workitems:workitem:add"])
    ).toEqual([
      { domain: "workitems", entityName: "workitem", actionSet: ["add", "view"] },
      { domain: "workitems", entityName: "worktype", actionSet: ["view"] }
    ])
  })

  it.each([["*"], ["workitems:*:view"], ["workitems:workitem:*"], ["*:*:*"]])("refuses the wildcard %s", (p) => {
    expect(() => toPermissionPolicies(["workitems:workitem:view", p])).toThrow(
      /permissions\[1\]: wildcards are not allowed/
    )
  })

  it.each([["workitems"], ["workitems:workitem"], ["a:b:c:d"], [""], ["workitems: workitem:view"]])(
    "refuses the malformed %j",
    (p) => {
      expect(() => toPermissionPolicies([p])).toThrow(/permissions\[0\]: expected domain:entity:action/)
    }
  )

  it("refuses an empty list", () => {
    expect(() => toPermissionPolicies([])).toThrow(/at least one permission/)
  })

  it("round-trips: the policies grant exactly the permissions given", () => {
    const name = fc.stringMatching(/^[a-z][a-zA-Z0-9]{0,8}$/)
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc.tuple(name, name, name).map(([d, e, a]) => `${d}:${e}:${a}`),
          { minLength: 1 }
        ),
        (perms) => {
          expect(policyPermissions(toPermissionPolicies(perms))).toEqual([...new Set(perms)].sort())
        }
      )
    )
  })
})

describe("serviceRolePolicies", () => {
  it("grants exactly the permissions of the operations the service calls", () => {
    const fromOperations = [...new Set(Object.values(SERVICE_OPERATIONS).map((op) => op.permission))].sort()
    expect(policyPermissions(serviceRolePolicies())).toEqual(fromOperations)
    expect(policyPermissions(serviceRolePolicies())).toEqual(servicePermissions())
  })

  it("holds no wildcard and no add/delete on configuration objects", () => {
    const perms = policyPermissions(serviceRolePolicies())
    expect(perms.some((p) => p.includes("*"))).toBe(false)
    expect(perms.filter((p) => /:(worktype|workbin|workitemSchema|status):(add|edit|delete)$/.test(p))).toEqual([])
  })
})
