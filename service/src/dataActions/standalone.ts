/**
 * An Express app holding only the Data Actions, mounted at `/data-actions` as the service mounts them — for
 * benchmarks (compared with a bare route in the same app) and for tests. It never listens.
 */
import express from "express"
import type { DataActionsRouterOptions } from "./router.js"
import { makeDataActions } from "./router.js"
import { DATA_ACTIONS_MOUNT } from "@workbridge/data-actions"

export const makeDataActionApp = (options: DataActionsRouterOptions): express.Express => {
  const app = express()
  app.disable("x-powered-by")
  makeDataActions(options).mountOn(app, DATA_ACTIONS_MOUNT)
  return app
}
