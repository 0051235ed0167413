/**
 * `pnpm build` (after `pnpm typecheck`): compiles the service to JavaScript in `service/dist/` with esbuild, for
 * production (`pnpm start:prod`, i.e. `node service/dist/main.js`): no TypeScript loader in the running process.
 *
 * - `src/main.ts` is the entry; the modules it imports with `await import(…)` (configuration, the service) become
 *   chunks loaded at that point, so `main.ts` still caps the heap's growth before they load (see src/observability/heapCap.ts).
 * - The workspace packages (`@workbridge/*`) are compiled into the output, and so are `effect` and the `@effect/*`
 *   packages, tree-shaken: only the modules the service uses, instead of `effect`'s index, which loads every module
 *   of it (a start's CPU time 1.8–2.0 s → 1.4 s, its RSS at listening 116–128 → 101–113 MB; docs/service.md). They
 *   are compiled in together, so there is one copy of `effect` (no external package imports it). The service's other
 *   dependencies (package.json `dependencies`: express, better-sqlite3, the Genesys SDK, …) stay in node_modules and
 *   are loaded by Node, each once; anything else a workspace package needs (pure JavaScript, e.g. `yaml`) is
 *   compiled in.
 */
import { readFileSync, rmSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { build, type Plugin } from "esbuild"

const SERVICE_DIR = fileURLToPath(new URL("./", import.meta.url))
const OUT_DIR = `${SERVICE_DIR}dist`

const manifest = JSON.parse(readFileSync(`${SERVICE_DIR}package.json`, "utf8")) as {
  dependencies?: Record<string, string>
}
/** Dependencies compiled into the output rather than loaded from node_modules (see the header). */
const compiledIn = (name: string): boolean =>
  name.startsWith("@workbridge/") || name === "effect" || name.startsWith("@effect/")
const own = new Set(Object.keys(manifest.dependencies ?? {}).filter((name) => !compiledIn(name)))

/** The package name of a bare import (`@scope/name/sub` → `@scope/name`, `name/sub` → `name`). */
export const packageName = (specifier: string): string => {
  const parts = specifier.split("/")
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!
}

const serviceDependenciesExternal: Plugin = {
  name: "service-dependencies-external",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      own.has(packageName(args.path)) ? { path: args.path, external: true } : undefined
    )
  }
}

/** Compile into `outDir` (default `service/dist`; it must lie inside `service/` for Node to find node_modules). */
export const buildService = async (outDir: string = OUT_DIR): Promise<void> => {
  rmSync(outDir, { recursive: true, force: true })
  await build({
    entryPoints: { main: `${SERVICE_DIR}src/main.ts` },
    outdir: outDir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    sourcemap: true,
    chunkNames: "chunks/[name]-[hash]",
    plugins: [serviceDependenciesExternal],
    // CommonJS code compiled into the ESM output may call require() (for Node built-ins).
    banner: {
      js: 'import { createRequire as __workbridgeCreateRequire } from "node:module";\nconst require = __workbridgeCreateRequire(import.meta.url);'
    },
    logLevel: "warning"
  })
  process.stdout.write(`built ${outDir}/main.js\n`)
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  buildService().catch((e: unknown) => {
    process.stderr.write(`build: ${e instanceof Error ? e.message : String(e)}\n`)
    process.exit(1)
  })
}
