/**
 * Reading Genesys (or the emulator) through the official SDK for the checker: one logged-in client, calls that
 * honour `Retry-After` and retry transient failures, and paging over a worktype's workitems.
 */
import { setTimeout as sleep } from "node:timers/promises"
import platformClient from "purecloud-platform-client-v2"

/** Where Genesys is and who reads it (a client holding `workitems:workitem:view` and `workitems:status:view`). */
export interface GenesysReader {
  /** `http(s)://host:port` of a gateway, e.g. the emulator. */
  readonly gatewayUrl: string
  readonly clientId: string
  readonly clientSecret: string
}

export interface Session {
  readonly tm: platformClient.TaskManagementApi
}

/** A fresh SDK client pointed at a gateway, with extended responses (status and headers on failures). */
export const sdkClient = (gatewayUrl: string): InstanceType<typeof platformClient.ApiClientClass> => {
  const u = new URL(gatewayUrl)
  const client = new platformClient.ApiClientClass()
  client.config.live_reload_config = false
  client.setGateway({
    host: u.hostname,
    protocol: u.protocol === "https:" ? "https" : "http",
    port: Number(u.port) || (u.protocol === "https:" ? 443 : 80)
  })
  client.setReturnExtendedResponses(true)
  return client
}

export const openSession = async (reader: GenesysReader): Promise<Session> => {
  const client = sdkClient(reader.gatewayUrl)
  try {
    await client.loginClientCredentialsGrant(reader.clientId, reader.clientSecret)
  } catch (e) {
    const status = (e as { response?: { status?: number } }).response?.status
    throw new Error(`Genesys login at ${reader.gatewayUrl} failed${status === undefined ? "" : ` (HTTP ${status})`}`)
  }
  return { tm: new platformClient.TaskManagementApi(client) }
}

/** Await an SDK call's body; retries 429 (after `Retry-After`), 5xx and network errors up to `attempts` times. */
export const sdkCall = async <T>(what: string, f: () => Promise<unknown>, attempts = 20): Promise<T> => {
  let last = ""
  for (let i = 0; i < attempts; i++) {
    try {
      const r = (await f()) as { body?: unknown }
      return (r.body ?? r) as T
    } catch (e) {
      const o = e as {
        status?: number
        headers?: Record<string, string>
        body?: { message?: string }
        code?: string
        message?: string
      }
      const status = o.status
      if (typeof status === "number" && status !== 429 && status < 500) {
        throw new Error(`${what} failed: HTTP ${status} ${o.body?.message ?? ""}`.trim())
      }
      last = typeof status === "number" ? `HTTP ${status}` : (o.code ?? o.message ?? "network error")
      const retryAfter = Number(o.headers?.["retry-after"])
      await sleep(Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter * 1000, 10_000) : 200 * (i + 1))
    }
  }
  throw new Error(`${what} failed after ${attempts} attempts (${last})`)
}

export type WorkitemRecord = Readonly<Record<string, unknown>> & {
  readonly id: string
  readonly customFields?: Readonly<Record<string, unknown>> | null
  readonly status?: { readonly id?: string }
}

/** Every workitem of a worktype (query anchored on `typeId`, pages of 200). */
export const allWorkitems = async (s: Session, typeId: string): Promise<Array<WorkitemRecord>> => {
  const out: Array<WorkitemRecord> = []
  let after: string | undefined
  for (let page = 0; page < 100_000; page++) {
    const body = {
      filters: [{ name: "typeId", type: "String", operator: "EQ", values: [typeId] }],
      pageSize: 200,
      ...(after === undefined ? {} : { after })
    }
    const r = await sdkCall<{ entities?: Array<WorkitemRecord>; after?: string }>("workitem query", () =>
      s.tm.postTaskmanagementWorkitemsQuery(body as never)
    )
    out.push(...(r.entities ?? []))
    if (r.after === undefined || r.after === "" || (r.entities ?? []).length === 0) break
    after = r.after
  }
  return out
}

/** Status name → id of a worktype. */
export const statusIds = async (s: Session, typeId: string): Promise<Record<string, string>> => {
  const r = await sdkCall<{ entities?: Array<{ id: string; name: string }> }>("worktype statuses", () =>
    s.tm.getTaskmanagementWorktypeStatuses(typeId)
  )
  return Object.fromEntries((r.entities ?? []).map((e) => [e.name, e.id]))
}
