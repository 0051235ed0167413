/**
 * The sync service as a child process (`node --import tsx service/src/main.ts`, or the production build
 * `node service/dist/main.js` with `compiled`), configured from the environment
 * only, as in production. It can be killed with SIGKILL and restarted on the same port and data directory, and its
 * resident memory is read from /proc.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { createWriteStream, existsSync, readFileSync } from "node:fs"
import { createServer } from "node:net"
import { fileURLToPath } from "node:url"

/** The repository root (this file is test/src/serviceProcess.ts). */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url))
const MAIN = fileURLToPath(new URL("../../service/src/main.ts", import.meta.url))
/** The production build's entry (`pnpm build`). */
export const COMPILED_MAIN = fileURLToPath(new URL("../../service/dist/main.js", import.meta.url))

export interface ServiceProcessOptions {
  /** Environment of the service (merged over a minimal base: PATH, HOME). */
  readonly env: Readonly<Record<string, string>>
  /** Run the production build (`service/dist/main.js`, plain node) instead of the sources through tsx. */
  readonly compiled?: boolean
  /** Port; default a free one chosen once, so restarts keep the URL. */
  readonly port?: number
  /** File that receives the service's stdout and stderr (appended); default none. */
  readonly logFile?: string
  /** How long to wait for `workbridge listening on …`; default 90 s. */
  readonly startTimeoutMs?: number
  /** Starts `restart()` tries before giving up (a supervisor restarts a service that fails to start); default 5. */
  readonly restartAttempts?: number
  /** Told about each failed restart attempt. */
  readonly onRestartFailure?: (attempt: number, error: unknown) => void
}

export interface ServiceProcess {
  readonly url: string
  readonly port: number
  /** The node process's pid (the one `kill -9` hits). */
  pid(): number | undefined
  /** Whether the process is running. */
  running(): boolean
  /** SIGKILL the process and wait for it to exit. */
  kill9(): Promise<void>
  /** Start it again (same port, same environment — with `env` over it from now on, if given — same data directory). */
  restart(env?: Readonly<Record<string, string>>): Promise<void>
  /** SIGTERM and wait (SIGKILL after 15 s). */
  stop(): Promise<void>
  /** Current resident set size in bytes (Linux /proc), or undefined. */
  rssBytes(): number | undefined
  /** Peak resident set size of the current process in bytes (VmHWM), or undefined. */
  peakRssBytes(): number | undefined
  /** How many times the process has been started. */
  starts(): number
}

/** A TCP port that was free a moment ago. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

const procStatusBytes = (pid: number | undefined, field: "VmRSS" | "VmHWM"): number | undefined => {
  if (pid === undefined || !existsSync(`/proc/${pid}/status`)) return undefined
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"))
    return m === null ? undefined : Number(m[1]) * 1024
  } catch {
    return undefined
  }
}

/**
 * The service's output as the launcher watches it: the kept tail (the last 4,000 characters, for error messages) and
 * whether the listening line has been printed. The line is looked for before the tail is trimmed: one chunk may carry
 * it and more than 4,000 characters after it (a debug log right after start).
 */
export const watchOutput = (tail: string, chunk: string): { readonly tail: string; readonly listening: boolean } => {
  const seen = tail + chunk
  return { tail: seen.slice(-4000), listening: /workbridge listening on /.test(seen) }
}

/** Start the service and resolve once it listens. Rejects with the tail of its output when it exits first. */
export const startServiceProcess = async (options: ServiceProcessOptions): Promise<ServiceProcess> => {
  const port = options.port ?? (await freePort())
  const url = `http://127.0.0.1:${port}`
  const log = options.logFile === undefined ? undefined : createWriteStream(options.logFile, { flags: "a" })
  let env: Record<string, string> = {
    PATH: process.env["PATH"] ?? "/usr/bin:/bin",
    HOME: process.env["HOME"] ?? "/tmp",
    ...options.env,
    PORT: String(port),
    HOST: "127.0.0.1"
  }
  let child: ChildProcess | undefined
  let exited: Promise<void> = Promise.resolve()
  let starts = 0

  const launch = (): Promise<void> =>
    new Promise((resolve, reject) => {
      starts++
      const c = spawn(process.execPath, options.compiled === true ? [COMPILED_MAIN] : ["--import", "tsx", MAIN], {
        cwd: REPO_ROOT,
        env,
        stdio: ["ignore", "pipe", "pipe"]
      })
      child = c
      let tail = ""
      let listening = false
      const timer = setTimeout(() => {
        if (!listening) {
          c.kill("SIGKILL")
          reject(
            new Error(
              `the service did not print "workbridge listening on" within ${options.startTimeoutMs ?? 90_000} ms; output:\n${tail}`
            )
          )
        }
      }, options.startTimeoutMs ?? 90_000)
      const onData = (chunk: Buffer) => {
        log?.write(chunk)
        if (!listening) {
          const next = watchOutput(tail, chunk.toString("utf8"))
          tail = next.tail
          if (next.listening) {
            listening = true
            clearTimeout(timer)
            resolve()
          }
        }
      }
      c.stdout?.on("data", onData)
      c.stderr?.on("data", onData)
      exited = new Promise((done) => {
        c.once("exit", (code, signal) => {
          clearTimeout(timer)
          if (!listening) reject(new Error(`the service exited (${signal ?? code}) before listening; output:\n${tail}`))
          done()
        })
      })
    })

  // Never leave the service behind when this process ends.
  const reap = () => {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
  }
  process.once("exit", reap)
  await launch()
  const running = () => child !== undefined && child.exitCode === null && child.signalCode === null
  return {
    url,
    port,
    pid: () => child?.pid,
    running,
    starts: () => starts,
    kill9: async () => {
      if (running()) child!.kill("SIGKILL")
      await exited
    },
    restart: async (overrides) => {
      if (running()) throw new Error("restart: the service is still running (kill it first)")
      if (overrides !== undefined) env = { ...env, ...overrides }
      // Like a process supervisor: a start that fails (e.g. Genesys unreachable at start-up) is tried again.
      let last: unknown
      for (let attempt = 1; attempt <= (options.restartAttempts ?? 5); attempt++) {
        try {
          await launch()
          return
        } catch (e) {
          last = e
          options.onRestartFailure?.(attempt, e)
          await new Promise((r) => setTimeout(r, 1000))
        }
      }
      throw last
    },
    stop: async () => {
      if (running()) {
        child!.kill("SIGTERM")
        const force = setTimeout(() => child?.kill("SIGKILL"), 15_000)
        await exited
        clearTimeout(force)
      }
      process.off("exit", reap)
      await new Promise<void>((r) => (log === undefined ? r() : log.end(() => r())))
    },
    rssBytes: () => (running() ? procStatusBytes(child?.pid, "VmRSS") : undefined),
    peakRssBytes: () => (running() ? procStatusBytes(child?.pid, "VmHWM") : undefined)
  }
}
