/** Test support: a WAL sync (`SyncFile`) that the test holds, then lets succeed or fail, one call at a time. */
import type { SyncFile } from "../store/Sqlite.js"

export interface HeldSyncCall {
  readonly file: string
  readonly done: (error: Error | null) => void
}

/** A sync held until the test calls its `done`: `calls` lists every sync asked for, in order. */
export const heldSync = (): { readonly calls: Array<HeldSyncCall>; readonly sync: SyncFile } => {
  const calls: Array<HeldSyncCall> = []
  return { calls, sync: (file, done) => void calls.push({ file, done }) }
}
