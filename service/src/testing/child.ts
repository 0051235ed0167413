/** Run the service as a child process (`tsx src/main.ts`), as operators and the chaos suite do. */
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

const SERVICE_DIR = fileURLToPath(new URL("../../", import.meta.url))

export interface ServiceProcess {
  readonly child: ChildProcess
  /** Resolves with the URL from `workbridge listening on <url>`. */
  readonly ready: Promise<string>
  /** Resolves with the exit signal (or code) once the process ends. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  output(): string
}

/** `args`: node's arguments, by default the sources through tsx; `["dist/main.js"]` runs the compiled service. */
export const spawnService = (
  env: Readonly<Record<string, string>>,
  args: ReadonlyArray<string> = ["--import", "tsx", "src/main.ts"]
): ServiceProcess => {
  // `node --import tsx`: one process (the tsx CLI would put a wrapper process in front of the service).
  const child = spawn(process.execPath, [...args], {
    cwd: SERVICE_DIR,
    env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let out = ""
  const ready = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString("utf8")
      const m = /workbridge listening on (\S+)/.exec(out)
      if (m !== null) resolve(m[1]!)
    }
    child.stdout!.on("data", onData)
    child.stderr!.on("data", (c: Buffer) => {
      out += c.toString("utf8")
    })
    child.once("exit", (code, signal) =>
      reject(new Error(`service exited before listening (code ${code}, signal ${signal}):\n${out}`))
    )
  })
  ready.catch(() => undefined)
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }))
  })
  return { child, ready, exited, output: () => out }
}

/** SIGTERM every process still running in `running` (emptying it) and wait for each to exit. */
export const stopServices = async (running: Array<ServiceProcess>): Promise<void> => {
  for (const p of running.splice(0)) {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      p.child.kill("SIGTERM")
      await p.exited
    }
  }
}
