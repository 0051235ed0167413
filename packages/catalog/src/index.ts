export * from "./Field.js"
export * from "./DefaultCatalog.js"
export * from "./Revision.js"
export * from "./TicketEvent.js"
