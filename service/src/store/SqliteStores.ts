/**
 * The embedded stores: the inbox and the link store on one SQLite database file (WAL). The one place they are
 * composed — the service, the edge's and the engine's tests build the same layer.
 */
import { Layer } from "effect"
import type { StoreError } from "../domain/errors.js"
import type { Inbox } from "../inbox/Inbox.js"
import type { LinkStore } from "../links/LinkStore.js"
import * as Sqlite from "./Sqlite.js"
import * as SqliteInbox from "../inbox/SqliteInbox.js"
import * as SqliteLinkStore from "../links/SqliteLinkStore.js"

/**
 * The inbox and the link store on the database at `file` (`":memory:"` for a throw-away one), which the layer
 * also hands out for the other tables kept beside them (audit trail, feed cursors); closed with the layer.
 */
export const SqliteStoresLive = (
  file: string,
  inbox: SqliteInbox.SqliteInboxOptions
): Layer.Layer<Inbox | LinkStore | Sqlite.Sqlite, StoreError> =>
  Layer.merge(SqliteInbox.layer(inbox), SqliteLinkStore.layer).pipe(Layer.provideMerge(Sqlite.layer(file)))
