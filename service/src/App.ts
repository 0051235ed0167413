/** The HTTP edge: see http/app.ts (the app), its route modules and middleware. */
export { type AppDeps, makeApp, withSignatureHeaders } from "./http/app.js"
export { HttpError } from "./http/httpError.js"
export { ADMIN_OPEN_VARIABLE, bearerMatches, isLoopbackHost } from "./http/middleware/adminAuth.js"
export { MAX_WEBHOOK_BYTES } from "./http/middleware/body.js"
export { type EdgeRunner, type EdgeRuntime, makeEdgeRunner } from "./http/runtime.js"
