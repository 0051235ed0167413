/** What the service reads webhooks with: the catalog and the source adapters with their credentials. */
import * as fs from "node:fs"
import * as path from "node:path"
import { type Adapter, adapters, makeGenericAdapter, type SourceCredentials } from "@workbridge/adapters"
import { type Catalog, defaultCatalog, parseCatalogFile } from "@workbridge/catalog"
import { Either } from "effect"
import { ConfigError, secretVariableFor } from "./Config.js"
import { DEMO_BASIC_AUTH_SOURCES, DEMO_WEBHOOK_BASIC_AUTH, DEMO_WEBHOOK_SECRET } from "../demo/credentials.js"

/** The catalog: the default one, with the overrides of `WORKBRIDGE_CATALOG_FILE` applied. */
export const loadCatalog = (file: string | undefined): Catalog => {
  if (file === undefined) return defaultCatalog
  let text: string
  try {
    text = fs.readFileSync(file, "utf8")
  } catch (e) {
    throw new ConfigError(
      "WORKBRIDGE_CATALOG_FILE",
      `cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`
    )
  }
  const r = parseCatalogFile(text, path.basename(file))
  if (Either.isLeft(r)) throw new ConfigError("WORKBRIDGE_CATALOG_FILE", r.left.message)
  return r.right
}

/** Built-in adapters plus a generic JSON adapter for every other source that has credentials configured. */
export const makeSources = (credentials: Readonly<Record<string, SourceCredentials>>): Record<string, Adapter> => {
  const out: Record<string, Adapter> = { ...adapters }
  for (const name of Object.keys(credentials)) {
    if (Object.hasOwn(out, name)) continue
    try {
      out[name] = makeGenericAdapter({ name })
    } catch (e) {
      throw new ConfigError(secretVariableFor(name), e instanceof Error ? e.message : String(e))
    }
  }
  return out
}

/** The demo's webhook credentials of every built-in source (no `WEBHOOK_*` variable set, bundled emulator). */
export const demoCredentials = (): Record<string, SourceCredentials> => {
  const out: Record<string, SourceCredentials> = {}
  for (const [name, adapter] of Object.entries(adapters)) {
    out[name] =
      adapter.credentialKinds.includes("secret") && !DEMO_BASIC_AUTH_SOURCES.includes(name)
        ? { secret: DEMO_WEBHOOK_SECRET }
        : { basicAuth: DEMO_WEBHOOK_BASIC_AUTH }
  }
  return out
}
