/** Start-up and listener limits: the data directory check, the HTTP timeouts, readiness from a cached view. */
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import type { AddressInfo } from "node:net"
import { afterAll, describe, expect, it } from "vitest"
import { ConfigError, loadConfig } from "../src/config/Config.js"
import { cachedHealth } from "../src/http/Readiness.js"
import { checkDataDir, createListener, HTTP_TIMEOUTS, startService } from "../src/Service.js"

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wb-limits-"))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

describe("data directory", () => {
  it("a data directory that cannot be written stops the start with an error naming the path and WORKBRIDGE_DATA_DIR", async () => {
    const file = path.join(dir, "a-file")
    fs.writeFileSync(file, "")
    const dataDir = path.join(file, "data")
    expect(() => checkDataDir(dataDir)).toThrow(ConfigError)
    const e = await startService(loadConfig({ WORKBRIDGE_DATA_DIR: dataDir, GENESYS_EMULATOR_PORT: "0" }, dir), {
      print: () => undefined
    }).then(
      () => undefined,
      (err: unknown) => err
    )
    expect(e).toBeInstanceOf(ConfigError)
    expect((e as ConfigError).variable).toBe("WORKBRIDGE_DATA_DIR")
    expect((e as ConfigError).message).toContain(dataDir)
  })

  it("a writable one passes and is created", () => {
    const ok = path.join(dir, "new", "data")
    checkDataDir(ok)
    expect(fs.statSync(ok).isDirectory()).toBe(true)
  })
})

describe("HTTP server timeouts", () => {
  it("are set explicitly on the listener", () => {
    const server = createListener((_req, res) => res.end("ok"), undefined)
    expect(server.headersTimeout).toBe(HTTP_TIMEOUTS.headersTimeoutMs)
    expect(server.requestTimeout).toBe(HTTP_TIMEOUTS.requestTimeoutMs)
    expect(server.keepAliveTimeout).toBe(HTTP_TIMEOUTS.keepAliveTimeoutMs)
    server.close()
  })

  it("a client that never finishes its headers gets 408 and the connection is closed", async () => {
    const server = createListener((_req, res) => res.end("ok"), undefined, {
      headersTimeoutMs: 200,
      requestTimeoutMs: 400,
      keepAliveTimeoutMs: 100,
      checkIntervalMs: 50
    })
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r))
    const port = (server.address() as AddressInfo).port
    const answer = await new Promise<string>((resolve) => {
      const socket = net.connect(port, "127.0.0.1", () =>
        socket.write("POST /webhooks/generic HTTP/1.1\r\nHost: x\r\nX-Slow: ")
      )
      let text = ""
      socket.on("data", (d) => (text += d.toString()))
      socket.on("close", () => resolve(text))
    })
    expect(answer).toMatch(/^HTTP\/1\.1 408/)
    server.close()
  })
})

describe("readiness from a cached view of Genesys health", () => {
  it("answers from the cached view while a slow probe is in flight, and says not ready once the probe is stale", async () => {
    let calls = 0
    let release: () => void = () => undefined
    const check = () => {
      calls++
      // the first probe answers at once; the later ones hang like a Genesys queued behind 20 s creates
      return calls === 1 ? Promise.resolve() : new Promise<void>((r) => (release = r))
    }
    const ready = cachedHealth(check, { ttlMs: 0, staleMs: 30 })
    await ready()
    // the view is old (ttl 0): a new probe starts and hangs, but the answer comes from the cached view
    await expect(ready()).resolves.toBeUndefined()
    await new Promise((r) => setTimeout(r, 40))
    await expect(ready()).rejects.toThrow(/has not answered the health probe/)
    expect(calls).toBe(2)
    release()
  })

  it("reports the probe's failure", async () => {
    const ready = cachedHealth(() => Promise.reject(new Error("Genesys getWorktype: Unauthorized (HTTP 401)")))
    await expect(ready()).rejects.toThrow(/Unauthorized/)
  })
})
