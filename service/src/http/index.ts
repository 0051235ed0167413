/** The HTTP edge: see http/app.ts (the app), its route modules and middleware. */
export { type AppDeps, makeApp, withSignatureHeaders } from "./app.js"
export { HttpError } from "./httpError.js"
export { ADMIN_OPEN_VARIABLE, bearerMatches, isLoopbackHost } from "./middleware/adminAuth.js"
export { MAX_WEBHOOK_BYTES } from "./middleware/body.js"
export { type EdgeRunner, type EdgeRuntime, makeEdgeRunner } from "./runtime.js"
