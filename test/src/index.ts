/** @workbridge/test: the storm generator, the invariant checker and the storm runner, for the chaos and benchmark suites. */
export * from "./vendors.js"
export * from "./storm.js"
export * from "./send.js"
export * from "./genesys.js"
export * from "./checker.js"
export * from "./runStorm.js"
export * from "./serviceProcess.js"
export * from "./stack.js"
