/**
 * Servers the bench compares against, each run as its own process:
 * - `echo`: a bare Express app whose `POST /echo` parses JSON and answers it (the baseline of webhook ingest);
 * - `data-actions`: the Data Action app (`makeDataActionApp`) with a bare `POST /bare` JSON route in the same app,
 *   served as the service serves its app (`createListener`: Express's prototypes on requests from birth).
 * Prints `listening on <url>` once it accepts connections.
 */
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { defaultCatalog } from "@workbridge/catalog"
import { createListener } from "@workbridge/service"
import { makeDataActionApp } from "@workbridge/service/data-actions"
import express from "express"

export const DATA_ACTION_BASIC_AUTH = "bench:bench-password"

const echoApp = (): express.Express => {
  const app = express()
  app.disable("x-powered-by")
  app.set("etag", false)
  app.post("/echo", express.json({ limit: "512kb" }), (req, res) => {
    res.status(202).json({ status: "accepted", echo: req.body })
  })
  return app
}

const dataActionApp = (): express.Express => {
  const app = makeDataActionApp({
    catalog: defaultCatalog,
    auth: { basicAuth: DATA_ACTION_BASIC_AUTH },
    ticketStatus: async () => undefined
  })
  app.set("etag", false)
  app.post("/bare", express.json({ limit: "64kb" }), (req, res) => {
    res.json({ ok: true, echo: req.body })
  })
  return app
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const mode = process.argv[2]
  if (mode !== "echo" && mode !== "data-actions") {
    process.stderr.write("usage: servers.ts echo|data-actions\n")
    process.exit(2)
  }
  // The echo is bare Express as an app is usually started (`app.listen` is `http.createServer(app)`); the Data Action
  // app as the service starts it.
  const server = mode === "echo" ? http.createServer(echoApp()) : createListener(dataActionApp(), undefined)
  server.listen(0, "127.0.0.1", () => {
    process.stdout.write(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}\n`)
  })
  process.on("SIGTERM", () => server.close(() => process.exit(0)))
}
