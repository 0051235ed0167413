/** Test support: a local HTTP endpoint that records the webhooks an emulator sends (headers and raw bytes). */
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import type { WebhookRequest } from "@workbridge/adapters"

export interface WebhookReceiver {
  readonly url: string
  /** Every request received, as the adapters' `WebhookRequest` (lower-case headers, raw body). */
  readonly received: Array<WebhookRequest>
  close(): Promise<void>
}

/** Listen on an ephemeral port; answers `status` (default 200) to every POST. */
export const startWebhookReceiver = async (status = 200): Promise<WebhookReceiver> => {
  const received: Array<WebhookRequest> = []
  const server = createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => {
      const headers: Record<string, string> = {}
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v
      received.push({ headers, rawBody: Buffer.concat(chunks), receivedAt: new Date() })
      res.statusCode = status
      res.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}/webhooks`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}
