/** The catalog a stack provisions: the default catalog, or the override file named by `workbridge:catalogFile`. */
import * as catalogModule from "@workbridge/catalog"
import type { Catalog } from "@workbridge/catalog"
import { defaultCatalog } from "@workbridge/catalog"

type Parse = (text: string, fileName: string) => { _tag: "Left"; left: { message: string } } | { _tag: "Right"; right: Catalog }

/**
 * Load the catalog: `defaultCatalog` when no file is set, else the file parsed and checked by the catalog package
 * (`parseCatalogFile`), whose error names the file, the path and the problem.
 */
export function loadCatalog(fileName: string | undefined, readFile: (fileName: string) => string): Catalog {
  if (fileName === undefined) return defaultCatalog
  let text: string
  try {
    text = readFile(fileName)
  } catch (err) {
    throw new Error(`workbridge:catalogFile: cannot read ${fileName}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  const parse = (catalogModule as unknown as { parseCatalogFile?: Parse }).parseCatalogFile
  if (parse === undefined) throw new Error("workbridge:catalogFile: this build of @workbridge/catalog cannot read catalog files")
  const result = parse(text, fileName)
  if (result._tag === "Left") throw new Error(`workbridge:catalogFile: ${result.left.message}`)
  return result.right
}
