import * as fs from "node:fs"
import * as path from "node:path"
import { ConfigError } from "../config/Config.js"

/**
 * The data directory exists (created if needed) and takes writes; else a ConfigError naming the path and
 * `WORKBRIDGE_DATA_DIR` (a read-only directory would otherwise surface as "unable to open database file").
 */
export const checkDataDir = (dir: string): void => {
  try {
    fs.mkdirSync(dir, { recursive: true })
    const probe = path.join(dir, `.write-check-${process.pid}`)
    fs.writeFileSync(probe, "")
    fs.rmSync(probe)
  } catch (e) {
    throw new ConfigError(
      "WORKBRIDGE_DATA_DIR",
      `the data directory ${dir} is not writable (${e instanceof Error ? e.message : String(e)}); point WORKBRIDGE_DATA_DIR at a writable directory`
    )
  }
}

/** The SQLite database file of the embedded stores, in the data directory. */
export const databaseFile = (dataDir: string): string => path.join(dataDir, "workbridge.sqlite")
