/**
 * The HTTP(S) listener: the native TLS options, the server's timeouts, and listening as a scoped resource (the
 * server stops taking connections and drops the open ones when its scope closes).
 */
import * as fs from "node:fs"
import * as http from "node:http"
import * as https from "node:https"
import type { AddressInfo } from "node:net"
import { Effect, type Scope } from "effect"
import { ConfigError } from "../config/Config.js"

/** HTTPS options of the native TLS listener: the configured PEM files, TLS 1.2 as the minimum. */
export const tlsServerOptions = (files: {
  readonly certFile: string
  readonly keyFile: string
}): https.ServerOptions => {
  const read = (variable: string, file: string) => {
    try {
      return fs.readFileSync(file)
    } catch (e) {
      throw new ConfigError(variable, `cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`)
    }
  }
  return {
    cert: read("WORKBRIDGE_TLS_CERT", files.certFile),
    key: read("WORKBRIDGE_TLS_KEY", files.keyFile),
    minVersion: "TLSv1.2"
  }
}

/**
 * The HTTP server's timeouts, set explicitly (docs/service.md, "Limits"): a client must send its request headers
 * within `headersTimeoutMs` and the whole request within `requestTimeoutMs` (else 408 and the connection is
 * closed; slow senders cannot hold connections open), and an idle keep-alive connection is closed after
 * `keepAliveTimeoutMs`. `checkIntervalMs` is how often the server looks for requests past their timeouts.
 */
export interface HttpTimeouts {
  readonly headersTimeoutMs: number
  readonly requestTimeoutMs: number
  readonly keepAliveTimeoutMs: number
  readonly checkIntervalMs: number
}

export const HTTP_TIMEOUTS: HttpTimeouts = {
  headersTimeoutMs: 20_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  checkIntervalMs: 1_000
}

/** A constructor of `base`'s instances whose prototype is `prototype` from birth (which must derive from `base`'s). */
const bornWith = <T extends object>(base: T, prototype: object): T => {
  function Born(this: object, ...args: Array<unknown>): void {
    Reflect.apply(base as unknown as (...a: Array<unknown>) => void, this, args)
  }
  Born.prototype = prototype
  return Born as unknown as T
}

/**
 * For an Express app: the server's request and response classes, whose instances have the app's own prototypes
 * (`app.request`, `app.response`) from birth. Express gives every request and response those prototypes with
 * `Object.setPrototypeOf` as it takes them (`app.handle`, express/lib/application.js); on the objects Node's
 * classes had just made, that change made each request's objects outlive the young generation's collections
 * (measured in docs/benchmarks.md, "Requests born with Express's prototypes"). When an object already has the
 * prototype, setting it again changes nothing. Node's `http.createServer` takes the classes as its
 * `IncomingMessage` and `ServerResponse` options (https://nodejs.org/api/http.html#httpcreateserveroptions-requestlistener).
 * Any other request listener gets Node's own classes.
 */
export const messageClassesOf = (
  app: http.RequestListener
): Pick<http.ServerOptions, "IncomingMessage" | "ServerResponse"> => {
  const { request, response } = app as { request?: unknown; response?: unknown }
  if (!(request instanceof http.IncomingMessage) || !(response instanceof http.ServerResponse)) return {}
  return {
    IncomingMessage: bornWith(http.IncomingMessage, request),
    ServerResponse: bornWith(http.ServerResponse, response)
  }
}

/**
 * The HTTP(S) listener of `app` with the timeouts applied (TLS when `tls` is given); an Express app's requests and
 * responses are made with its prototypes (`messageClassesOf`).
 */
export const createListener = (
  app: http.RequestListener,
  tls: https.ServerOptions | undefined,
  timeouts: HttpTimeouts = HTTP_TIMEOUTS
): http.Server => {
  const options: http.ServerOptions = {
    headersTimeout: timeouts.headersTimeoutMs,
    requestTimeout: timeouts.requestTimeoutMs,
    connectionsCheckingInterval: timeouts.checkIntervalMs,
    ...messageClassesOf(app)
  }
  const server = tls !== undefined ? https.createServer({ ...tls, ...options }, app) : http.createServer(options, app)
  server.keepAliveTimeout = timeouts.keepAliveTimeoutMs
  return server
}

const listen = (server: http.Server, port: number, host: string): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen(port, host, () => {
      server.off("error", reject)
      resolve((server.address() as AddressInfo).port)
    })
  })

const close = (server: http.Server): Promise<void> =>
  new Promise<void>((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })

/** `server` listening on `host:port` (the port it got) until the scope closes; a failure to listen is a defect. */
export const serve = (server: http.Server, port: number, host: string): Effect.Effect<number, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(() => listen(server, port, host)),
    () => Effect.promise(() => close(server))
  )

/** The URL the service answers on: scheme, host (IPv6 in brackets) and the port it got. */
export const serviceUrl = (host: string, port: number, secure: boolean): string =>
  `${secure ? "https" : "http"}://${host.includes(":") ? `[${host}]` : host}:${port}`
