/**
 * The helpdesk API clients of the configured sources, built once: the feeds' read clients (reconciliation,
 * fetch-on-notify, backfill) and the write-back's writers, with the feed settings they were built from.
 */
import type { HelpdeskClient, HelpdeskConfigs, HelpdeskWriter } from "@workbridge/helpdesk-clients"
import { Context, Effect, Layer, Option } from "effect"
import { feedSettingsFromEnv, type FeedSettings, type ServiceConfig } from "../config/Config.js"
import { DemoHelpdesksOption } from "../demo/helpdesks.js"
import { makeClients } from "./Feeds.js"

/** The feeds' settings: configured, or the demo helpdesks' (with fetch-on-notify for Freshdesk). */
export class FeedSettingsTag extends Context.Tag("@workbridge/service/FeedSettings")<FeedSettingsTag, FeedSettings>() {}

/** The helpdesk API clients of the configured sources: the read clients of the feeds, and the write-back's writers. */
export interface HelpdeskClientsService {
  /** Source → its read client (reconciliation, fetch-on-notify, backfill). */
  readonly readers: Partial<Record<string, HelpdeskClient>>
  /**
   * Source → the client the write-back writes with, for the sources with write-back on: the same configuration
   * (URL, credentials) as the read client, with no waiting on a rate limit inside a call — a 429 puts the ticket back
   * in the inbox for as long as the vendor asks, instead of holding a worker (docs/write-back.md).
   */
  readonly writers: Readonly<Record<string, HelpdeskWriter>>
}

export class HelpdeskClients extends Context.Tag("@workbridge/service/HelpdeskClients")<
  HelpdeskClients,
  HelpdeskClientsService
>() {}

const isWriter = (c: HelpdeskClient | undefined): c is HelpdeskClient & HelpdeskWriter =>
  c !== undefined && typeof (c as Partial<HelpdeskWriter>).writeBack === "function"

/** No waiting on rate limits inside a write: the write-back's own retry (the inbox) waits instead. */
const noInCallRetry = (configs: HelpdeskConfigs): HelpdeskConfigs =>
  Object.fromEntries(
    Object.entries(configs).map(([source, c]) => [source, { ...c, retry: { ...c.retry, maxRetries: 0 } }])
  ) as HelpdeskConfigs

/**
 * The feeds' settings (configured, or the demo helpdesks' with fetch-on-notify for Freshdesk) and the helpdesk
 * clients; `helpdeskClients` (test-only) replaces the clients, and those of them that write are the writers.
 */
export const HelpdeskClientsLive = (
  config: ServiceConfig,
  helpdeskClients?: Partial<Record<string, HelpdeskClient>>
): Layer.Layer<HelpdeskClients | FeedSettingsTag, never, DemoHelpdesksOption> =>
  Layer.effectContext(
    Effect.gen(function* () {
      const demoHelpdesks = yield* DemoHelpdesksOption
      const settings = Option.match(demoHelpdesks, {
        onNone: () => config.feeds,
        onSome: (d) => feedSettingsFromEnv({ WORKBRIDGE_FETCH_ON_NOTIFY_FRESHDESK: "true" }, d.configs)
      })
      const readers = helpdeskClients ?? makeClients(settings.helpdesks)
      const candidates: Partial<Record<string, HelpdeskClient>> =
        helpdeskClients ?? makeClients(noInCallRetry(settings.helpdesks))
      const writers: Record<string, HelpdeskWriter> = {}
      for (const source of Object.keys(settings.writeBack)) {
        const c = candidates[source]
        if (isWriter(c)) writers[source] = c
      }
      return Context.make(HelpdeskClients, { readers, writers }).pipe(Context.add(FeedSettingsTag, settings))
    })
  )
