/** The catalog a stack provisions: the default catalog, or the override file named by `workbridge:catalogFile`. */
import type { Catalog } from "@workbridge/catalog"
import { defaultCatalog, parseCatalogFile } from "@workbridge/catalog"

/**
 * Load the catalog: `defaultCatalog` when no file is set, else the file parsed and checked by the catalog package
 * (`parseCatalogFile`: `.json`, `.yaml` or `.yml` overrides over the default catalog); the error names the file,
 * the path and the problem.
 */
export function loadCatalog(fileName: string | undefined, readFile: (fileName: string) => string): Catalog {
  if (fileName === undefined) return defaultCatalog
  let text: string
  try {
    text = readFile(fileName)
  } catch (err) {
    throw new Error(
      `workbridge:catalogFile: cannot read ${fileName}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`
    )
  }
  const result = parseCatalogFile(text, fileName)
  if (result._tag === "Left") {
    const e = result.left
    throw new Error(`workbridge:catalogFile: ${e.file}: ${e.path}: ${e.problem}`)
  }
  return result.right
}
