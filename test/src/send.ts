/**
 * Sends a storm's deliveries to one or more service URLs the way helpdesks do: signed at send time, retried on
 * network errors, 5xx and 429 (honouring `Retry-After`, capped) until the service answers.
 *
 * Requests go out through `node:http` with keep-alive connections, not `fetch`: on two cores shared with the
 * service, `fetch` (its web streams and abort signals) cost the sender about as much CPU per request as the
 * service's accept, so the sender, not the service, set how fast a storm arrived.
 *
 * With several URLs it sends as a helpdesk does through a load balancer in front of the replicas: an attempt whose
 * connection is refused (a replica that is down: the request was never sent) goes at once to the next URL, as
 * nginx's default `proxy_next_upstream error timeout` passes it to the next server
 * (<https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_next_upstream>). An attempt that failed after
 * it was sent (the replica died with it: a reset, a timeout) is not passed on — nginx does not pass on a POST once
 * sent — nor one that every URL refused in a row: those are the helpdesk's to retry, after `retryDelayMs`.
 */
import { Agent, request } from "node:http"
import { setTimeout as sleep } from "node:timers/promises"
import type { Delivery, Storm } from "./storm.js"
import { signedHeaders } from "./storm.js"

export interface SendOptions {
  /** Service base URLs; deliveries are spread round-robin, a refused connection passed to the next (see above). */
  readonly urls: ReadonlyArray<string>
  readonly storm: Pick<Storm, "credentials">
  readonly deliveries: ReadonlyArray<Delivery>
  /** Requests in flight at once; default 16. */
  readonly concurrency?: number
  /** Attempts per delivery before it counts as failed; default 1000 (a helpdesk keeps retrying). */
  readonly maxAttempts?: number
  /** Delay before retrying after a network error; default 200 ms. */
  readonly retryDelayMs?: number
  /** Cap of a `Retry-After` wait; default 5 s. */
  readonly maxRetryAfterMs?: number
  /** Called every `progressEvery` completed deliveries; default 1000. */
  readonly onProgress?: (done: number, total: number) => void
  readonly progressEvery?: number
  /** How long a request may wait without any answer from the service (a socket idle timeout); default 30 s. */
  readonly timeoutMs?: number
  /** Stops sending (deliveries not yet answered count as failed). */
  readonly signal?: AbortSignal
}

export interface SendResult {
  /** Deliveries the service acknowledged with 202 (accepted or recognised as a duplicate). */
  readonly accepted: ReadonlyArray<Delivery>
  /** When each of `accepted` was answered, in ms from the first send (same order). */
  readonly acceptedAtMs: ReadonlyArray<number>
  /** Deliveries answered with a final non-202 status (an authentic, valid delivery should never be). */
  readonly refused: ReadonlyArray<{ readonly delivery: Delivery; readonly status: number; readonly body: string }>
  /** Deliveries that never got an answer within `maxAttempts`. */
  readonly failed: ReadonlyArray<Delivery>
  readonly duplicatesAcknowledged: number
  readonly attempts: number
  /** Attempts passed at once to the next URL because the connection was refused (never sent). */
  readonly nextUpstream: number
  readonly retries: number
  readonly durationMs: number
}

const positive = (name: string, value: number | undefined, fallback: number): number => {
  const v = value ?? fallback
  if (!Number.isInteger(v) || v < 1)
    throw new Error(`send option ${name} must be a whole number ≥ 1 (got ${String(value)})`)
  return v
}

interface Answer {
  readonly status: number
  readonly retryAfter: string | undefined
  readonly text: string
}

/** The connection was refused: the request never reached a service. */
const isRefused = (e: unknown): boolean =>
  typeof e === "object" && e !== null && (e as { code?: unknown }).code === "ECONNREFUSED"

/** One POST over `agent`; rejects on a network error or a timeout (or when the agent is destroyed). */
const post = (
  agent: Agent,
  url: URL,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number
): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: "POST",
        agent,
        headers: {
          ...(Object.keys(headers).some((h) => h.toLowerCase() === "content-type")
            ? {}
            : { "content-type": "application/json" }),
          ...headers,
          "content-length": String(Buffer.byteLength(body))
        },
        timeout: timeoutMs
      },
      (res) => {
        const chunks: Array<Buffer> = []
        res.on("data", (c: Buffer) => chunks.push(c))
        res.on("end", () => {
          const retryAfter = res.headers["retry-after"]
          resolve({ status: res.statusCode ?? 0, retryAfter, text: Buffer.concat(chunks).toString("utf8") })
        })
        res.on("error", reject)
      }
    )
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)))
    req.on("error", reject)
    req.end(body)
  })

/** Send every delivery; resolves when each was answered (or gave up). */
export const sendDeliveries = async (options: SendOptions): Promise<SendResult> => {
  if (options.urls.length === 0) throw new Error("send option urls must list at least one service URL")
  const concurrency = positive("concurrency", options.concurrency, 16)
  const maxAttempts = positive("maxAttempts", options.maxAttempts, 1000)
  const retryDelayMs = options.retryDelayMs ?? 200
  // At most one keep-alive connection per lane and service URL.
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency })
  // Stopping ends the requests in flight with their connections (one listener, not one per request).
  const stop = () => agent.destroy()
  options.signal?.addEventListener("abort", stop, { once: true })
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 5000
  const progressEvery = positive("progressEvery", options.progressEvery, 1000)
  const timeoutMs = options.timeoutMs ?? 30_000
  const started = Date.now()
  const accepted: Array<Delivery> = []
  const acceptedAtMs: Array<number> = []
  const refused: Array<{ delivery: Delivery; status: number; body: string }> = []
  const failed: Array<Delivery> = []
  let duplicatesAcknowledged = 0
  let attempts = 0
  let retries = 0
  let nextUpstream = 0
  let done = 0
  let next = 0
  let rr = 0

  const one = async (d: Delivery): Promise<void> => {
    // URLs that refused the connection in a row for this delivery: the load balancer's next upstream.
    let refusedInARow = 0
    for (let attempt = 1; attempt <= maxAttempts && options.signal?.aborted !== true; attempt++) {
      attempts++
      const url = options.urls[rr++ % options.urls.length]!
      let wait = retryDelayMs
      try {
        const res = await post(agent, new URL(`${url}${d.path}`), signedHeaders(options.storm, d), d.body, timeoutMs)
        if (res.status === 202) {
          accepted.push(d)
          acceptedAtMs.push(Date.now() - started)
          if (res.text.includes('"duplicate"')) duplicatesAcknowledged++
          return
        }
        if (res.status !== 429 && res.status < 500) {
          refused.push({ delivery: d, status: res.status, body: res.text.slice(0, 500) })
          return
        }
        const retryAfter = Number(res.retryAfter)
        if (Number.isFinite(retryAfter) && retryAfter > 0) wait = Math.min(maxRetryAfterMs, retryAfter * 1000)
        refusedInARow = 0
      } catch (e) {
        if (isRefused(e) && ++refusedInARow < options.urls.length) {
          // Never sent: a load balancer passes it to the next upstream at once (see the header).
          nextUpstream++
          continue
        }
        refusedInARow = 0
        // reset or timed out once sent (the service died with it), or every URL refused: retry like a helpdesk
      }
      retries++
      await sleep(wait)
    }
    failed.push(d)
  }

  const lane = async (): Promise<void> => {
    while (next < options.deliveries.length && options.signal?.aborted !== true) {
      const d = options.deliveries[next++]!
      await one(d)
      done++
      if (options.onProgress !== undefined && done % progressEvery === 0)
        options.onProgress(done, options.deliveries.length)
    }
  }
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, options.deliveries.length) }, lane))
  } finally {
    options.signal?.removeEventListener("abort", stop)
    agent.destroy()
  }
  return {
    accepted,
    acceptedAtMs,
    refused,
    failed,
    duplicatesAcknowledged,
    attempts,
    retries,
    nextUpstream,
    durationMs: Date.now() - started
  }
}
