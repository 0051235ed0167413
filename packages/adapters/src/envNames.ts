/**
 * The one rule for naming a per-source environment variable: `<PREFIX>_<SOURCE>`, the source name upper-cased
 * with every character other than a letter or digit written as `_` — `WEBHOOK_SECRET_ZENDESK`,
 * `WEBHOOK_TOKEN_MY_SOURCE` for `my-source`, `HELPDESK_URL_GITHUB`, `WORKBRIDGE_RECONCILE_INTERVAL_JIRA`.
 */

/** The suffix a source's variables end with: `my-source` → `MY_SOURCE`. */
export const sourceEnvSuffix = (source: string): string => source.toUpperCase().replace(/[^A-Z0-9]/g, "_")

/** The variable `<prefix>_<SOURCE>` of one source: `sourceVariable("WEBHOOK_SECRET", "my-source")` → `WEBHOOK_SECRET_MY_SOURCE`. */
export const sourceVariable = (prefix: string, source: string): string => `${prefix}_${sourceEnvSuffix(source)}`
