/**
 * The Data Actions the service mounts at `/data-actions`: authentication first (so nothing is parsed for an
 * unauthenticated caller), then a size-limited JSON body, then the three actions (the workitem event's when the
 * service gives it an intake). Every failure answers the JSON error body of `errors.ts`. Mounted on the app
 * (`makeDataActions(...).mountOn`) each action's route is a route of the app itself; `makeDataActionsRouter` gives
 * the same as one router.
 */
import express from "express"
import type { IRouter, NextFunction, Request, Response } from "express"
import type { Catalog } from "@workbridge/catalog"
import { Either } from "effect"
import { sendJson } from "../http/sendJson.js"
import type { TicketSyncStatus } from "../sync/TicketStatus.js"
import type { DataActionAuth } from "./auth.js"
import { authMiddleware, dataActionAuthCheck } from "./auth.js"
import { DATA_ACTION_PATHS } from "@workbridge/data-actions"
import { issuesMessage, sendError } from "./errors.js"
import { makeNormalizeTicketAction } from "./normalizeTicket.js"
import { requireJsonThen } from "./requireJson.js"
import { decodeTicketStatusInput, toTicketStatusOutput } from "./ticketStatus.js"

/** What the workitem-event action answers (the write-back's intake, writeBack/Intake.ts). */
export type WorkitemEventAnswer =
  | { readonly _tag: "Invalid"; readonly issues: ReadonlyArray<{ readonly field: string; readonly problem: string }> }
  | { readonly _tag: "Ignored"; readonly reason: string }
  | { readonly _tag: "Accepted"; readonly duplicate: boolean }

/** Largest request body accepted by default: 64 KiB (a full ticket is far smaller; see docs/data-actions.md). */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024

/** How long the ticket-status action waits for the link store by default, well inside the action's timeout. */
export const DEFAULT_STATUS_TIMEOUT_MS = 5_000

export interface DataActionsRouterOptions {
  readonly catalog: Catalog
  readonly auth: DataActionAuth
  /** The sync status of a ticket, `undefined` when the link store does not know it. */
  readonly ticketStatus: (source: string, ticketId: string) => Promise<TicketSyncStatus | undefined>
  /** Largest accepted request body in bytes; larger bodies get 413. Default {@link DEFAULT_MAX_BODY_BYTES}. */
  readonly maxBodyBytes?: number
  /** Deadline for `ticketStatus`; past it the action answers 504. Default {@link DEFAULT_STATUS_TIMEOUT_MS}. */
  readonly statusTimeoutMs?: number
  /**
   * The workitem-event action (write-back): takes the request body, the workitem event itself. Without it the
   * action answers 404.
   */
  readonly workitemEvent?: (body: unknown) => Promise<WorkitemEventAnswer>
  /** Seconds a caller is told to wait when the inbox cannot take a workitem event now (default 5). */
  readonly retryAfterSeconds?: number
  /** Told about unexpected failures (a rejected `ticketStatus`, an internal error) that were answered 5xx. */
  readonly onError?: (error: unknown, context: { readonly action: string }) => void
}

/** The Data Actions, made once, to mount on an app or to use as a router. */
export interface DataActions {
  /**
   * Mount them on `app` at `at` (e.g. `/data-actions`): each action's route on the app itself, its error answers as
   * the route's last layer, so a call passes through no nested router; everything else under `at` (authentication
   * of any other path and method, 405, 404) in a router mounted there after them.
   */
  readonly mountOn: (app: express.Express, at: string) => void
  /** The same as one router, to mount anywhere (`app.use(at, router)`): one more dispatch on each call. */
  readonly router: () => express.Router
}

type Action = { readonly path: string; readonly handler: (req: Request, res: Response) => unknown }

/**
 * The Data Actions. Throws an `Error` naming the problem when the catalog collides with the action outputs, a
 * credential is malformed or an option is out of range.
 */
export const makeDataActions = (options: DataActionsRouterOptions): DataActions => {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1) {
    throw new Error(`maxBodyBytes must be a positive whole number of bytes, got ${maxBodyBytes}`)
  }
  const statusTimeoutMs = options.statusTimeoutMs ?? DEFAULT_STATUS_TIMEOUT_MS
  if (!Number.isFinite(statusTimeoutMs) || statusTimeoutMs <= 0) {
    throw new Error(`statusTimeoutMs must be a positive number of milliseconds, got ${statusTimeoutMs}`)
  }
  const normalize = makeNormalizeTicketAction(options.catalog)
  const onError = options.onError ?? (() => undefined)

  // Each action's route checks the credentials, then the media type (and that there is a body), then parses the
  // body (the parser does not check the media type again), in one layer; any other path checks the credentials
  // in the `use` layer after the actions, so an unauthenticated caller learns nothing of what is mounted.
  // One check of the credentials (decoded once, accepted headers remembered once) for both places.
  const authorizedCall = dataActionAuthCheck(options.auth)
  const jsonBody = requireJsonThen(
    express.json({ limit: maxBodyBytes, strict: true, type: () => true }),
    authorizedCall
  )

  const actions: Array<Action> = []
  actions.push({
    path: DATA_ACTION_PATHS.normalizeTicket,
    handler: function normalizeTicket(req: Request, res: Response) {
      const answer = normalize.run(req.body)
      if (Either.isRight(answer)) sendJson(res, 200, answer.right)
      else sendError(res, 400, { error: "malformed_input", message: issuesMessage(answer.left), issues: answer.left })
    }
  })

  actions.push({
    path: DATA_ACTION_PATHS.ticketStatus,
    handler: async function ticketStatus(req: Request, res: Response) {
      const input = decodeTicketStatusInput(req.body)
      if (Either.isLeft(input)) {
        sendError(res, 400, { error: "malformed_input", message: issuesMessage(input.left), issues: input.left })
        return
      }
      const { source, ticketId } = input.right
      const outcome = await withDeadline(
        Promise.resolve().then(() => options.ticketStatus(source, ticketId)),
        statusTimeoutMs
      )
      switch (outcome._tag) {
        case "Done":
          res.status(200).json(toTicketStatusOutput(input.right, outcome.value))
          return
        case "Failed":
          onError(outcome.error, { action: "ticket-status" })
          sendError(res, 503, {
            error: "status_unavailable",
            message: "the sync status store is unavailable; retry later"
          })
          return
        case "TimedOut":
          onError(new Error(`ticket status lookup took longer than ${statusTimeoutMs} ms`), { action: "ticket-status" })
          sendError(res, 504, {
            error: "status_timeout",
            message: `the sync status store did not answer within ${statusTimeoutMs} ms`
          })
          return
      }
    }
  })

  const workitemEvent = options.workitemEvent
  if (workitemEvent !== undefined) {
    actions.push({
      path: DATA_ACTION_PATHS.workitemEvent,
      handler: async function workitemEventAction(req: Request, res: Response) {
        let answer: WorkitemEventAnswer
        try {
          answer = await workitemEvent(req.body)
        } catch (error) {
          const full = typeof error === "object" && error !== null && (error as { _tag?: unknown })._tag === "InboxFull"
          if (!full) onError(error, { action: "workitem-event" })
          res.setHeader("Retry-After", String(options.retryAfterSeconds ?? 5))
          sendError(res, 503, {
            error: "status_unavailable",
            message: full ? "the inbox is full; retry later" : "the inbox is unavailable; retry later"
          })
          return
        }
        switch (answer._tag) {
          case "Invalid":
            sendError(res, 400, {
              error: "malformed_input",
              message: issuesMessage(answer.issues),
              issues: answer.issues
            })
            return
          case "Ignored":
            res.status(200).json({ accepted: false, ignored: answer.reason })
            return
          case "Accepted":
            res.status(202).json({ accepted: true, ignored: "", ...(answer.duplicate ? { duplicate: true } : {}) })
            return
        }
      }
    })
  }

  /** Everything under the mount point that is not an action's POST: authentication first, then 405 or 404. */
  const rest = express.Router()
  rest.use(authMiddleware(authorizedCall))
  const mounted = Object.values(DATA_ACTION_PATHS).filter(
    (path) => path !== DATA_ACTION_PATHS.workitemEvent || workitemEvent !== undefined
  )
  for (const path of mounted) {
    rest.all(path, function methodNotAllowed(_req: Request, res: Response) {
      res.setHeader("Allow", "POST")
      sendError(res, 405, { error: "method_not_allowed", message: "Data Actions are called with POST" })
    })
  }
  rest.use(function notFound(req: Request, res: Response) {
    sendError(res, 404, { error: "not_found", message: `no Data Action at ${req.path}` })
  })
  const dataActionErrors = function dataActionErrors(
    error: unknown,
    _req: Request,
    res: Response,
    _next: NextFunction
  ) {
    const type = typeof error === "object" && error !== null && "type" in error ? error.type : undefined
    switch (type) {
      case "entity.too.large":
        sendError(res, 413, {
          error: "payload_too_large",
          message: `request body is larger than ${maxBodyBytes} bytes`
        })
        return
      case "entity.parse.failed":
        sendError(res, 400, {
          error: "malformed_input",
          message: "malformed input: body: is not valid JSON",
          issues: [{ field: "body", problem: "is not valid JSON" }]
        })
        return
      case "encoding.unsupported":
      case "charset.unsupported":
        sendError(res, 415, { error: "unsupported_media_type", message: "request body must be UTF-8 JSON" })
        return
      case "request.aborted":
        return
      default:
        // A body whose Content-Encoding does not decode (corrupt gzip, deflate or br): body-parser marks zlib's
        // error 400 without a type of its own.
        if (
          typeof error === "object" &&
          error !== null &&
          "status" in error &&
          error.status === 400 &&
          "code" in error
        ) {
          sendError(res, 400, {
            error: "malformed_input",
            message: "malformed input: body: could not be decoded (corrupt Content-Encoding)",
            issues: [{ field: "body", problem: "could not be decoded (corrupt Content-Encoding)" }]
          })
          return
        }
        onError(error, { action: "data-actions" })
        sendError(res, 500, { error: "internal", message: "internal error" })
    }
  }
  rest.use(dataActionErrors)
  /** Each action's route on `target` under `at`, then the rest mounted there. */
  const mount = (target: IRouter, at: string) => {
    for (const { path, handler } of actions) target.post(`${at}${path}`, jsonBody, handler, dataActionErrors)
    target.use(at === "" ? "/" : at, rest)
  }
  return {
    mountOn: mount,
    router: () => {
      const router = express.Router()
      mount(router, "")
      return router
    }
  }
}

/** The Data Actions as one router (see {@link makeDataActions}); throws as it does. */
export const makeDataActionsRouter = (options: DataActionsRouterOptions): express.Router =>
  makeDataActions(options).router()

type Outcome<A> =
  | { readonly _tag: "Done"; readonly value: A }
  | { readonly _tag: "Failed"; readonly error: unknown }
  | { readonly _tag: "TimedOut" }

const withDeadline = <A>(promise: Promise<A>, ms: number): Promise<Outcome<A>> =>
  new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ _tag: "TimedOut" }), ms)
    promise.then(
      (value) => {
        clearTimeout(timer)
        resolve({ _tag: "Done", value })
      },
      (error: unknown) => {
        clearTimeout(timer)
        resolve({ _tag: "Failed", error })
      }
    )
  })
