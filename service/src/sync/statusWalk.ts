/**
 * Status transitions: Genesys lets a workitem move only to its status's destinations (empty: any). To reach a
 * target status Workbridge walks the shortest allowed path, one PATCH per step.
 */
import type { WorktypeStatus } from "@workbridge/genesys"

/**
 * The statuses to set, in order, to go from `from` to `to` (excluding `from`): `[]` when already there,
 * `undefined` when no allowed path exists. Breadth-first, so the path is a shortest one; ties follow the
 * order of the destination lists.
 */
export const shortestStatusPath = (
  statuses: ReadonlyArray<WorktypeStatus>,
  from: string,
  to: string
): ReadonlyArray<string> | undefined => {
  if (from === to) return []
  const byId = new Map<string, WorktypeStatus>(statuses.map((s) => [s.id, s]))
  if (!byId.has(to)) return undefined
  const next = (id: string): ReadonlyArray<string> => {
    const s = byId.get(id)
    if (s === undefined) return []
    return s.destinationStatusIds.length === 0
      ? statuses.map((x) => x.id).filter((x) => x !== id)
      : s.destinationStatusIds
  }
  const previous = new Map<string, string>()
  const seen = new Set([from])
  let frontier = [from]
  while (frontier.length > 0) {
    const following: Array<string> = []
    for (const id of frontier) {
      for (const d of next(id)) {
        if (seen.has(d) || !byId.has(d)) continue
        seen.add(d)
        previous.set(d, id)
        if (d === to) {
          const path = [d]
          let cur = id
          while (cur !== from) {
            path.unshift(cur)
            cur = previous.get(cur)!
          }
          return path
        }
        following.push(d)
      }
    }
    frontier = following
  }
  return undefined
}
