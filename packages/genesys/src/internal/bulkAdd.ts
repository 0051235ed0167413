/**
 * `bulkAddWorkitems`: bulk add jobs of up to 50 workitems, one after another — per job, create it, queue it, read its
 * status with backoff until it has finished, read its results (docs/genesys-api.md §2.12).
 */
import { Clock, Duration, Effect, Schedule } from "effect"
import { backoff, GENESYS_LIMITS } from "@workbridge/catalog"
import type { BulkAddItemResult, BulkAddOptions } from "../Genesys.js"
import { GenesysError } from "../GenesysError.js"
import { BulkJobCreated, BulkJobResults, BulkJobState, decodeResponse } from "../Responses.js"
import type { Call } from "./call.js"
import type { TaskManagement } from "./operations.js"

/** Workitems per bulk add job (developer.genesys.cloud "Bulk Operations": 1 to 50). */
export const BULK_ADD_PER_JOB = GENESYS_LIMITS.bulkAddEntitiesPerJob

/** How long a bulk add job took to be seen finished, once one needed more than one status read (0: none yet). */
export interface BulkPacing {
  expectedJobMs: number
}

interface JobTiming {
  readonly firstPollMs: number
  readonly maxPollMs: number
  readonly jobTimeoutMs: number
}

type Body = Readonly<Record<string, unknown>>
type JobState = typeof BulkJobState.Type

const finished = (j: JobState) => j.state === "Succeeded" || j.state === "Failed" || j.state === "Cancelled"

/** Create a job for the chunk and queue it; answers the job's id and the read of its status. */
const createAndQueue = (call: Call, tm: TaskManagement, chunk: ReadonlyArray<Body>) =>
  Effect.gen(function* () {
    // A new job is Idle and creates nothing until queued, so creating it again after an unknown outcome is safe.
    // Held back while creates are paused, like the queueing: a job created then could not be queued and would
    // be left Idle.
    const job = yield* call<unknown>(
      "createBulkAddJob",
      () =>
        tm.postTaskmanagementWorkitemsBulkAddJobs({ entities: chunk } as unknown as Parameters<
          typeof tm.postTaskmanagementWorkitemsBulkAddJobs
        >[0]),
      (e) => e.transient,
      { scopes: [{ kind: "creates" }] }
    ).pipe(Effect.flatMap(decodeResponse(BulkJobCreated, "createBulkAddJob")))
    const readJob = call<unknown>("getBulkAddJob", () => tm.getTaskmanagementWorkitemsBulkAddJob(job.id)).pipe(
      Effect.flatMap(decodeResponse(BulkJobState, "getBulkAddJob"))
    )
    // Queueing creates the workitems: held back while creates are paused. Queueing twice is refused (400: only
    // an Idle job can be queued), so after a retried PATCH a 400 is read as "already queued" when the job
    // is no longer Idle.
    yield* call(
      "queueBulkAddJob",
      () => tm.patchTaskmanagementWorkitemsBulkAddJob(job.id, { state: "Queued" }),
      (e) => e.transient,
      {
        scopes: [{ kind: "creates" }]
      }
    ).pipe(
      Effect.catchIf(
        (e) => e.reason === "BadRequest",
        (e) =>
          Effect.flatMap(readJob, (j) => (j.state === "Idle" || j.state === "Cancelled" ? Effect.fail(e) : Effect.void))
      )
    )
    return { id: job.id, readJob }
  })

/**
 * One status read after the job's expected duration, then doubling waits (capped) until it has finished; answers
 * its final state. Not finished within the timeout, or cancelled, fails.
 */
const awaitJob = (
  jobId: string,
  readJob: Effect.Effect<JobState, GenesysError>,
  pacing: BulkPacing,
  timing: JobTiming
) =>
  Effect.gen(function* () {
    const { maxPollMs, jobTimeoutMs } = timing
    const started = yield* Clock.currentTimeMillis
    const first = Math.min(Math.max(timing.firstPollMs, pacing.expectedJobMs), maxPollMs)
    const polls = backoff({ baseMs: first * 2, maxMs: maxPollMs, jitter: false }).pipe(
      Schedule.upTo(Duration.millis(Math.max(0, jobTimeoutMs - first)))
    )
    let reads = 0
    let last: JobState = {}
    const read = Effect.tap(readJob, (j) =>
      Effect.sync(() => {
        last = j
        reads++
      })
    )
    yield* Effect.sleep(Duration.millis(first)).pipe(
      Effect.zipRight(Effect.repeat(read, { schedule: polls, until: finished }))
    )
    const state = last.state
    if (!finished(last))
      return yield* Effect.fail(
        new GenesysError({
          reason: "Timeout",
          operation: "getBulkAddJob",
          body: { message: `bulk add job ${jobId} still ${String(state)} after ${jobTimeoutMs} ms` }
        })
      )
    // A job that needed more than one read took longer than expected: the next ones wait that long first.
    if (reads > 1) pacing.expectedJobMs = (yield* Clock.currentTimeMillis) - started
    if (state === "Cancelled")
      return yield* Effect.fail(
        new GenesysError({
          reason: "Conflict",
          operation: "getBulkAddJob",
          body: { message: `bulk add job ${jobId} was cancelled` }
        })
      )
    return state
  })

/** The finished job's results, one per workitem of the chunk, in order. */
const jobResults = (call: Call, tm: TaskManagement, jobId: string, state: string | undefined, size: number) =>
  Effect.gen(function* () {
    const r = yield* call<unknown>("getBulkAddJobResults", () =>
      tm.getTaskmanagementWorkitemsBulkAddJobResults(jobId)
    ).pipe(Effect.flatMap(decodeResponse(BulkJobResults, "getBulkAddJobResults")))
    const results = r.results ?? []
    if (results.length !== size)
      return yield* Effect.fail(
        new GenesysError({
          reason: "ServerError",
          operation: "getBulkAddJobResults",
          body: {
            message: `bulk add job ${jobId} (${String(state)}) has ${results.length} results for ${size} workitems`
          }
        })
      )
    return results.map(
      (x): BulkAddItemResult =>
        x.entity?.id !== undefined
          ? { ok: true, workitemId: x.entity.id }
          : {
              ok: false,
              ...(x.error?.code !== undefined ? { code: x.error.code } : {}),
              message: x.error?.message ?? "no workitem and no error in the job's results"
            }
    )
  })

export const bulkAddWorkitems = (
  call: Call,
  tm: TaskManagement,
  pacing: BulkPacing,
  bodies: ReadonlyArray<Body>,
  options: BulkAddOptions | undefined
): Effect.Effect<ReadonlyArray<BulkAddItemResult>, GenesysError> =>
  Effect.gen(function* () {
    const timing: JobTiming = {
      firstPollMs: options?.firstPollMs ?? 1000,
      maxPollMs: options?.maxPollMs ?? 15_000,
      jobTimeoutMs: options?.jobTimeoutMs ?? 600_000
    }
    const out: Array<BulkAddItemResult> = []
    for (let start = 0; start < bodies.length; start += BULK_ADD_PER_JOB) {
      const chunk = bodies.slice(start, start + BULK_ADD_PER_JOB)
      const job = yield* createAndQueue(call, tm, chunk)
      const state = yield* awaitJob(job.id, job.readJob, pacing, timing)
      out.push(...(yield* jobResults(call, tm, job.id, state, chunk.length)))
    }
    return out
  })
