/** What a Genesys route is: method, path template, the permissions it checks, and its handler. */
import type { State } from "./State.js"

export interface Config {
  /** When set, every token lives this long; otherwise the OAuth client's `accessTokenValiditySeconds` − 1. */
  tokenTtlSeconds: number | undefined
  rateLimitPerMinute: number
  workitemUpdatesPerMinute: number
  dailyWorkitemCreates: number
  dailyWorkitemUpdates: number
  /** Seconds a role change (a role's policies, a client's roles) takes to apply; 0 = at once. */
  permissionDelaySeconds: number
  quiet: boolean
}

export interface Ctx {
  readonly params: Readonly<Record<string, string>>
  readonly query: URLSearchParams
  readonly body: unknown
  readonly state: State
  readonly config: Config
  /** The calling OAuth client. */
  readonly clientId: string
  readonly now: number
  readonly nowIso: string
  readonly path: string
  /** `http://<host>` as the caller reached the emulator (for URLs it hands out, e.g. an upload URL). */
  readonly origin: string
}

export interface Result {
  readonly status: number
  readonly body?: unknown
}

export interface Route {
  readonly method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE"
  readonly template: string
  /** The caller needs ANY of these; an empty list means any valid token. */
  readonly permissions: ReadonlyArray<string>
  readonly handler: (ctx: Ctx) => Result
}

export const ok = (body: unknown): Result => ({ status: 200, body })
/** 200 with every entity on one page (the list endpoints that ignore paging parameters). */
export const okOnePage = (entities: ReadonlyArray<unknown>, selfUri: string): Result =>
  ok({ entities, total: entities.length, pageSize: entities.length, pageNumber: 1, pageCount: 1, selfUri })
export const noContent: Result = { status: 204 }

export const ref = (id: string, kind: string, name?: string): Record<string, string> =>
  name === undefined ? { id, selfUri: `${kind}/${id}` } : { id, name, selfUri: `${kind}/${id}` }
