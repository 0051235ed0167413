/** Names of the Genesys objects Workbridge provisions, from one prefix. */

export interface ResourceNames {
  readonly workbin: string
  readonly schema: string
  readonly worktype: string
  readonly role: string
  readonly oauthClient: string
  readonly integration: string
  readonly credential: string
  readonly dataActionCategory: string
  /** The write-back workflow and the trigger starting it. */
  readonly workflow: string
  readonly trigger: string
}

const PREFIX = /^[A-Za-z][A-Za-z0-9 _-]{0,63}$/

/**
 * Names derived from `namePrefix` (letters, digits, space, `_`, `-`; 1-64 characters, starting with a letter).
 * `schemaName` is the catalog's schema name, which the schema keeps (prefixed: `<prefix>_<schemaName>`).
 */
export function resourceNames(namePrefix: string, schemaName: string): ResourceNames {
  if (typeof namePrefix !== "string" || !PREFIX.test(namePrefix)) {
    throw new Error(
      `workbridge:namePrefix: 1-64 letters, digits, spaces, "_" or "-", starting with a letter; got ${JSON.stringify(namePrefix)}`
    )
  }
  const slug = namePrefix.toLowerCase().replace(/[^a-z0-9]+/g, "_")
  return {
    workbin: `${namePrefix} Tickets`,
    schema: `${slug}_${schemaName}`,
    worktype: `${namePrefix} Ticket`,
    role: `${namePrefix} Sync Service`,
    oauthClient: `${namePrefix} Sync Service`,
    integration: `${namePrefix} Data Actions`,
    credential: `${namePrefix} Data Actions Basic Auth`,
    dataActionCategory: `${namePrefix} Data Actions`,
    workflow: `${namePrefix} write-back`,
    trigger: `${namePrefix} write-back`
  }
}
