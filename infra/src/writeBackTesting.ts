/**
 * Test helpers for the write-back chain: the service's write-back Data Action definition, and a small HTTP receiver
 * standing in for the service's endpoint.
 */
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { defaultCatalog } from "@workbridge/catalog"
import { buildDataActionDefinitions } from "@workbridge/data-actions"
import { WRITE_BACK_ACTION_NAME } from "@workbridge/genesys"
import type { ActionDefinition } from "./components/dataActions.js"

/**
 * The service's write-back Data Action (`Workbridge - Workitem event` of `buildDataActionDefinitions`), pointing at
 * `baseUrl` (it POSTs the event to `<baseUrl>/data-actions/workitem-event`).
 */
export const writeBackActionDefinition = (baseUrl: string): ActionDefinition => {
  const d = buildDataActionDefinitions(defaultCatalog, { baseUrl, credentialType: "basicAuth" }).find(
    (x) => x.name === WRITE_BACK_ACTION_NAME
  )
  if (d === undefined) throw new Error(`the service defines no "${WRITE_BACK_ACTION_NAME}" Data Action`)
  return d
}

export interface Receiver {
  /** The base URL: the action POSTs to `<baseUrl>/data-actions/workitem-event`. */
  readonly baseUrl: string
  /** Every request received: its JSON body and Authorization header. */
  readonly received: Array<{
    readonly path: string | undefined
    readonly body: unknown
    readonly authorization: string | undefined
  }>
  close(): Promise<void>
}

/** An HTTP server answering 202 `{accepted: true}` to every POST, recording what it received. */
export async function startReceiver(): Promise<Receiver> {
  const received: Array<{ path: string | undefined; body: unknown; authorization: string | undefined }> = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8")
      let body: unknown = text
      try {
        body = JSON.parse(text)
      } catch {
        // kept as text
      }
      received.push({ path: req.url, body, authorization: req.headers.authorization })
      res.writeHead(202, { "Content-Type": "application/json" })
      res.end(JSON.stringify({ accepted: true }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}
