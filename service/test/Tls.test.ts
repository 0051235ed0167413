/** Native HTTPS (WORKBRIDGE_TLS_CERT / WORKBRIDGE_TLS_KEY), with TLS 1.2 as the minimum. */
import * as fs from "node:fs"
import * as https from "node:https"
import * as os from "node:os"
import * as path from "node:path"
import type * as tls from "node:tls"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { loadConfig } from "../src/config/Config.js"
import type { Provisioned } from "@workbridge/genesys"
import { type RunningService, startService, tlsServerOptions } from "../src/Service.js"
import { baseEnv, startEmulatorAndProvision } from "../src/testing/harness.js"
import type { Emulator } from "@workbridge/genesys-emulator"

const TLS_DIR = fileURLToPath(new URL("../src/testing/tls/", import.meta.url))
const ca = fs.readFileSync(path.join(TLS_DIR, "test-cert.pem"))

let emulator: Emulator
let provisioned: Provisioned
let service: RunningService
let dir: string
beforeAll(async () => {
  ;({ emulator, provisioned } = await startEmulatorAndProvision())
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "wb-tls-"))
  service = await startService(
    loadConfig({
      ...baseEnv(emulator, provisioned, dir),
      WORKBRIDGE_TLS_CERT: path.join(TLS_DIR, "test-cert.pem"),
      WORKBRIDGE_TLS_KEY: path.join(TLS_DIR, "test-key.pem")
    }),
    { print: () => undefined }
  )
})
afterAll(async () => {
  await service?.close()
  await emulator?.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

const get = (url: string, options: https.RequestOptions) =>
  new Promise<{ status: number; body: string; protocol: string | null }>((resolve, reject) => {
    https
      .get(url, { ca, ...options }, (res) => {
        let body = ""
        const protocol = (res.socket as tls.TLSSocket).getProtocol()
        res.on("data", (c: Buffer) => (body += c.toString("utf8")))
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body, protocol }))
      })
      .on("error", reject)
  })

describe("native HTTPS", () => {
  it("serves https; the listener requires TLS 1.2 at least", async () => {
    expect(service.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
    const ok = await get(`${service.url}/healthz`, {})
    expect(ok.status).toBe(200)
    expect(ok.protocol).toMatch(/^TLSv1\.[23]$/)
    expect(JSON.parse(ok.body)).toEqual({ status: "ok" })
    const options = tlsServerOptions({
      certFile: path.join(TLS_DIR, "test-cert.pem"),
      keyFile: path.join(TLS_DIR, "test-key.pem")
    })
    expect(options.minVersion).toBe("TLSv1.2")
  })

  it("names the variable of an unreadable certificate or key", () => {
    expect(() =>
      tlsServerOptions({ certFile: "/nonexistent/cert.pem", keyFile: path.join(TLS_DIR, "test-key.pem") })
    ).toThrow(/WORKBRIDGE_TLS_CERT/)
    expect(() =>
      tlsServerOptions({ certFile: path.join(TLS_DIR, "test-cert.pem"), keyFile: "/nonexistent/key.pem" })
    ).toThrow(/WORKBRIDGE_TLS_KEY/)
  })
})
