/**
 * The sync engine: the Engine service (sync/Engine.ts) over the effectful apply (sync/apply.ts) and its pure
 * planning (sync/plan.ts, sync/statusWalk.ts). This module is the engine's public face.
 */
export { Engine, type EngineService, layer, make } from "./Engine.js"
export {
  type ApplyResult,
  crashIfAt,
  type EngineOptions,
  type MissPolicy,
  type SyncTarget,
  worktypeMarkerKey
} from "./core.js"
export { AmbiguousCreate, AmbiguousUpdate, LinkConflict } from "./errors.js"
