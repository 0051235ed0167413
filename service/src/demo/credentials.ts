/** Demo webhook credentials: used with the bundled emulator when no `WEBHOOK_*` variable is set. Never in production. */
export const DEMO_WEBHOOK_SECRET = "workbridge-demo-secret"
export const DEMO_WEBHOOK_BASIC_AUTH = "workbridge:workbridge-demo-password"
/** Sources that sign nothing and take Basic auth in the demo. */
export const DEMO_BASIC_AUTH_SOURCES: ReadonlyArray<string> = ["servicenow", "freshdesk"]

/**
 * Demo Data Action credential: with the bundled emulator and no `WORKBRIDGE_DATA_ACTION_*` variable, the service's
 * Data Action endpoints accept it and the emulator's integration sends it. Never in production.
 */
export const DEMO_DATA_ACTION_BASIC_AUTH = "genesys:workbridge-demo-data-action-password"
