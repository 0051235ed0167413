/**
 * Test helpers for the write-back chain: a definition shaped like the service's write-back Data Action (the
 * `workitemEvent` definition of `@workbridge/data-actions`, used here as a stand-in), and a small HTTP receiver
 * standing in for the service's endpoint.
 */
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { WRITE_BACK_ACTION_NAME } from "@workbridge/genesys"
import type { ActionDefinition } from "./components/dataActions.js"

/** A Data Action definition with one required `event` input, POSTed raw (`${input.event}`) to `url`. */
export const writeBackActionStandIn = (url: string, name = WRITE_BACK_ACTION_NAME): ActionDefinition => ({
  name,
  contract: {
    input: {
      inputSchema: {
        type: "object",
        properties: { event: { type: "string", description: "The workitem event as JSON text" } },
        required: ["event"],
        additionalProperties: false
      }
    },
    output: {
      successSchema: {
        type: "object",
        properties: { accepted: { type: "boolean" } },
        additionalProperties: true
      }
    }
  },
  config: {
    request: {
      requestUrlTemplate: url,
      requestType: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      requestTemplate: "${input.event}"
    },
    response: {
      translationMap: { accepted: "$.accepted" },
      translationMapDefaults: { accepted: "false" },
      successTemplate: '{"accepted": ${accepted}}'
    },
    timeoutSeconds: 10
  }
})

export interface Receiver {
  readonly url: string
  /** Every request received: its JSON body and Authorization header. */
  readonly received: Array<{ readonly body: unknown; readonly authorization: string | undefined }>
  close(): Promise<void>
}

/** An HTTP server answering 202 `{accepted: true}` to every POST, recording what it received. */
export async function startReceiver(): Promise<Receiver> {
  const received: Array<{ body: unknown; authorization: string | undefined }> = []
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
      received.push({ body, authorization: req.headers.authorization })
      res.writeHead(202, { "Content-Type": "application/json" })
      res.end(JSON.stringify({ accepted: true }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/data-actions/workitem-event`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}
