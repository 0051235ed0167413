/**
 * Workitem bulk add jobs (docs/genesys-api.md §2.12): create (Idle), PATCH to `Queued` (runs it) or `Terminated` (it
 * then reads `Cancelled`), DELETE while Idle, read the job and its per-entity results.
 */
import { GENESYS_LIMITS } from "@workbridge/catalog"
import { ApiError, badRequest, notFound } from "./errors.js"
import { type Ctx, type Route, noContent, ok, ref } from "./route.js"
import type { BulkAddJob, State } from "./State.js"
import { TM } from "./taskmanagement.js"
import { type Json, isObject, onlyKeys, requireBody } from "./validate.js"
import { BULK_CREATE_KEYS, createWorkitem } from "./workitems.js"

/** Entities per job: developer.genesys.cloud "Bulk Operations" ("a minimum of 1 and a maximum of 50"). */
export const BULK_ADD_MAX_ENTITIES = GENESYS_LIMITS.bulkAddEntitiesPerJob
/** How long a queued job waits before it runs (the emulator's choice; Genesys publishes no figure). */
export const BULK_ADD_RUN_DELAY_MS = 250

const JOBS = `${TM}/workitems/bulk/add/jobs`

const jobJson = (j: BulkAddJob): Json => {
  const done = j.results ?? []
  const failed = done.filter((r) => r.error !== undefined).length
  return {
    id: j.id,
    state: j.state,
    action: "AddWorkitems",
    totalCount: j.entities.length,
    successfulCount: done.length - failed,
    failedCount: failed,
    ...(j.dateStarted === undefined ? {} : { dateStarted: j.dateStarted }),
    ...(j.dateFinished === undefined ? {} : { dateFinished: j.dateFinished }),
    dateModified: j.dateModified,
    selfUri: `${JOBS}/${j.id}`
  }
}

const getJob = (s: State, id: string): BulkAddJob => {
  const j = s.bulkAddJobs.get(id)
  if (j === undefined) throw notFound("Bulk add job", id)
  return j
}

/**
 * Runs every queued job whose delay has passed: each entity is created as `POST …/workitems` would create it (same
 * validation, same daily creation limit); a refused entity becomes an `error` result and the others still run.
 * Called before every authenticated request is handled; returns whether anything ran.
 */
export const runDueBulkAddJobs = (c: Ctx): boolean => {
  let ran = false
  for (const j of c.state.bulkAddJobs.values()) {
    if (j.state !== "Queued" || j.queuedAt === undefined || c.now < j.queuedAt + BULK_ADD_RUN_DELAY_MS) continue
    const ctx: Ctx = { ...c, clientId: j.clientId }
    j.results = j.entities.map((e) => {
      try {
        const w = createWorkitem(ctx, e, BULK_CREATE_KEYS, "WorkitemCommonCreate")
        return {
          entity: {
            id: w.id,
            name: w.name,
            workbin: ref(w.workbinId, `${TM}/workbins`),
            type: ref(w.typeId, `${TM}/worktypes`),
            selfUri: `${TM}/workitems/${w.id}`
          }
        }
      } catch (err) {
        if (!(err instanceof ApiError)) throw err
        return { error: { message: err.message, code: err.code } }
      }
    })
    j.state = "Succeeded"
    j.dateStarted = c.nowIso
    j.dateFinished = c.nowIso
    j.dateModified = c.nowIso
    ran = true
  }
  return ran
}

export const bulkRoutes: ReadonlyArray<Route> = [
  {
    method: "POST",
    template: JOBS,
    permissions: ["workitems:bulkAddJob:add"],
    handler: (c) => {
      const b = requireBody(c.body)
      onlyKeys(b, ["entities"], "BulkJobAddRequest")
      const entities = b["entities"]
      if (!Array.isArray(entities) || entities.length < 1 || entities.length > BULK_ADD_MAX_ENTITIES)
        throw badRequest(
          `entities must hold 1 to ${BULK_ADD_MAX_ENTITIES} workitems (got ${Array.isArray(entities) ? entities.length : typeof entities})`,
          "entities"
        )
      entities.forEach((e, i) => {
        if (!isObject(e)) throw badRequest(`entities[${i}] must be an object`, `entities[${i}]`)
        for (const key of Object.keys(e))
          if (!BULK_CREATE_KEYS.includes(key))
            throw badRequest(
              `Unrecognized field "${key}" in entities[${i}] (WorkitemCommonCreate)`,
              `entities[${i}].${key}`
            )
        for (const key of ["name", "typeId"])
          if (typeof e[key] !== "string")
            throw badRequest(`entities[${i}].${key} is required and must be a string`, `entities[${i}].${key}`)
      })
      const job: BulkAddJob = {
        id: c.state.newId(),
        clientId: c.clientId,
        state: "Idle",
        entities: structuredClone(entities as Array<Json>),
        dateCreated: c.nowIso,
        dateModified: c.nowIso
      }
      c.state.bulkAddJobs.set(job.id, job)
      return ok(jobJson(job))
    }
  },
  {
    method: "GET",
    template: `${JOBS}/{bulkJobId}`,
    permissions: ["workitems:bulkAddJob:view"],
    handler: (c) => ok(jobJson(getJob(c.state, c.params["bulkJobId"] ?? "")))
  },
  {
    method: "PATCH",
    template: `${JOBS}/{bulkJobId}`,
    permissions: ["workitems:bulkAddJob:edit"],
    handler: (c) => {
      const j = getJob(c.state, c.params["bulkJobId"] ?? "")
      const b = requireBody(c.body)
      onlyKeys(b, ["state"], "BulkJobUpdate")
      const state = b["state"]
      if (state !== "Queued" && state !== "Terminated")
        throw badRequest(`state must be Queued or Terminated (got ${JSON.stringify(state)})`, "state")
      if (j.state !== "Idle")
        throw badRequest(`Bulk add job ${j.id} is ${j.state}: only an Idle job can be queued or terminated`, "state")
      // BulkJobUpdate's destinations are Queued|Terminated, but BulkJob.state has no Terminated: a terminated job reads
      // Cancelled (the emulator's reading; docs/genesys-api.md §2.12).
      j.state = state === "Queued" ? "Queued" : "Cancelled"
      j.dateModified = c.nowIso
      if (state === "Queued") j.queuedAt = c.now
      return ok(jobJson(j))
    }
  },
  {
    method: "DELETE",
    template: `${JOBS}/{bulkJobId}`,
    permissions: ["workitems:bulkAddJob:delete"],
    handler: (c) => {
      const j = getJob(c.state, c.params["bulkJobId"] ?? "")
      if (j.state !== "Idle")
        throw badRequest(`Bulk add job ${j.id} is ${j.state}: only an Idle job can be deleted`, "bulkJobId")
      c.state.bulkAddJobs.delete(j.id)
      return noContent
    }
  },
  {
    method: "GET",
    template: `${JOBS}/{bulkJobId}/results`,
    permissions: ["workitems:bulkAddJobResults:view"],
    handler: (c) => {
      const j = getJob(c.state, c.params["bulkJobId"] ?? "")
      if (j.results === undefined)
        throw badRequest(`Bulk add job ${j.id} is ${j.state}: results exist once it has run`, "bulkJobId")
      const errorIndexes = j.results.flatMap((r, i) => (r.error === undefined ? [] : [i]))
      return ok({ results: j.results, errorCount: errorIndexes.length, errorIndexes })
    }
  }
]
