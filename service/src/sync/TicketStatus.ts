import type { EventOrigin } from "@workbridge/catalog"

/**
 * The sync status of one ticket, as `GET /tickets/:source/:id` and the Data Action endpoint report it.
 */
export interface TicketSyncStatus {
  /** Source name (`zendesk`, `servicenow`, …, or a generic source's name). */
  readonly source: string
  /** The ticket's id in its source. */
  readonly ticketId: string
  /** The linked Genesys workitem, once one exists. */
  readonly workitemId?: string
  /** The newest revision written to the workitem. */
  readonly appliedRevision?: string
  /** Accepted events of this ticket not yet applied, superseded or dead-lettered. */
  readonly pendingEvents: number
  /** The reason of the ticket's newest dead letter, when its newest event could not be applied. */
  readonly lastError?: string
  /** ISO-8601 time of the last successful apply. */
  readonly lastAppliedAt?: string
  /** Seconds between the oldest pending event's acceptance and now (0 when nothing is pending). */
  readonly lagSeconds?: number
  /**
   * How the applied state arrived: `webhook` (pushed), `fetch` (read on a webhook's notice), `reconcile` (a
   * reconciliation pass) or `backfill`. Present with `workitemId`.
   */
  readonly arrivedBy?: EventOrigin
  /** The write-back of agents' changes in Genesys to this ticket, once one was handled (docs/write-back.md). */
  readonly writeBack?: TicketWriteBackStatus
}

export interface TicketWriteBackStatus {
  /** The helpdesk status last written (or found already there), in the vendor's vocabulary. */
  readonly status?: string
  /** The helpdesk agent last assigned (or found already assigned), as the source names agents. */
  readonly assignee?: string
  /** ISO-8601 time of the last write to the helpdesk. */
  readonly lastWrittenAt?: string
  /** What became of the newest agent's change: `written`, `unchanged`, `unmapped`, `dead`, … */
  readonly outcome?: string
  /** Why the last attempt failed. */
  readonly lastError?: string
  /** True while a write-back waits to be retried (a transient failure or the write budget). */
  readonly pending: boolean
}
