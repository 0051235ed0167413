export {
  DEFAULTS,
  ROUTES,
  startEmulator,
  type Emulator,
  type EmulatorOptions,
  type EmulatorStats,
  type FaultKind,
  type FaultRule,
  type LoggedRequest,
  type RuntimeOptions,
  type State
} from "./Emulator.js"
export { KNOWN_PERMISSIONS } from "./internal/auth.js"
export { prng } from "./internal/faults.js"
export { bucketExcess, maxInWindow } from "./windows.js"
export { DEFAULT_RETRY_DELAYS_MS } from "./internal/dispatch.js"
export { WORKITEM_TOPIC } from "./internal/events.js"
export { EVENT_JSON_EXPRESSION } from "./internal/flows.js"
