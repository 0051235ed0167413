/**
 * @workbridge/data-actions: the contracts (input and output JSON Schemas) and definitions (contract + config, in the
 * Genesys export/import format) of the Workbridge Architect Data Actions, derived from the catalog. Pure: no I/O.
 * The service's router answers them; `infra/` publishes them; `pnpm data-action:export` writes them.
 */
export * from "./contracts.js"
export * from "./definitions.js"
