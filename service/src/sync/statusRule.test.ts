/** The "both" rule for the status over a link's status log (docs/write-back.md, "Who wins"). */
import { defaultCatalog } from "@workbridge/catalog"
import { describe, expect, it } from "vitest"
import type { StatusLog, StatusSeen } from "../domain/records.js"
import {
  beginWrite,
  dropWriteIntent,
  EMPTY_STATUS_LOG,
  helpdeskStatusNow,
  INTENT_ECHO_WINDOW_MS,
  newestHelpdeskChange,
  observeAgent,
  observeHelpdesk,
  observeWorkitemRead,
  observeWritten,
  STATUS_SEEN_CAP,
  statusContext,
  statusTargets,
  workitemNeedsMove,
  workitemStatusNow,
  writeDone,
  writeNotDone
} from "./statusRule.js"

/** Seconds after a fixed origin, as ISO-8601. */
const t = (s: number) => new Date(Date.UTC(2026, 0, 1) + s * 1000).toISOString()
/** A helpdesk event at second `s` (its revision orders like its time). */
const seen = (s: number, value: string | null, raw = value ?? undefined): StatusSeen => ({
  revision: `${String(s * 1_000_000).padStart(16, "0")}:0000:e${s}`,
  at: t(s),
  value,
  ...(raw === undefined ? {} : { raw })
})
const helpdesk = (...events: ReadonlyArray<StatusSeen>): StatusLog => observeHelpdesk(EMPTY_STATUS_LOG, events)

/** Zendesk-like: Genesys statuses by id, the catalog's values and the vendor's write-back statuses. */
const CATALOG: Record<string, { status: string; value: string; helpdesk?: string }> = {
  open: { status: "s-open", value: "open", helpdesk: "open" },
  on_hold: { status: "s-waiting", value: "on_hold" },
  solved: { status: "s-resolved", value: "solved", helpdesk: "solved" },
  closed: { status: "s-closed", value: "closed", helpdesk: "solved" }
}
const ctx = {
  statusIdOf: (value: string | null) => (value === null ? undefined : CATALOG[value]?.status),
  agentTarget: (statusId: string) => {
    const entry = Object.values(CATALOG).find((c) => c.status === statusId && c.helpdesk !== undefined)
    return entry === undefined ? undefined : { value: entry.value, status: entry.helpdesk! }
  },
  helpdeskStatusOf: (value: string | null) => (value === null ? undefined : CATALOG[value]?.helpdesk)
}
/** An agent's change (its client named) at second `s`. */
const agent = (log: StatusLog, s: number, statusId: string, own?: string) =>
  observeAgent(log, { statusId, dateModified: t(s), modifiedBy: "agent" }, own)

describe("newestHelpdeskChange", () => {
  it("is the first event of the newest run of one status; a change of another field does not move it", () => {
    const log = helpdesk(seen(10, "open"), seen(20, "on_hold"), seen(30, "on_hold"))
    expect(newestHelpdeskChange(log)?.at).toBe(t(20))
  })

  it("moves when a late event shows the status changed earlier — or changed back in between", () => {
    const late = observeHelpdesk(helpdesk(seen(85, "open"), seen(922, "solved")), [seen(577, "solved")])
    expect(newestHelpdeskChange(late)?.at).toBe(t(577))
    const flipped = observeHelpdesk(helpdesk(seen(16, "open"), seen(327, "on_hold"), seen(798, "on_hold")), [
      seen(496, "solved")
    ])
    expect(newestHelpdeskChange(flipped)?.at).toBe(t(798))
  })

  it("knows the echo when a person changed another field between the write's read and its write", () => {
    // The write-back read the ticket at 10 (open) and wrote solved; a person's edit of the subject landed in between
    // (20, still open); the write's echo comes at 30.
    const written = observeWritten(helpdesk(seen(10, "open")), { after: t(10), value: "solved" })
    const raced = observeHelpdesk(written, [seen(20, "open"), seen(30, "solved")])
    expect(newestHelpdeskChange(raced)?.at).toBe(t(10))
    // A status change seen after the read (the person set on_hold, then solved) makes the solved a person's.
    const changed = observeHelpdesk(written, [seen(20, "on_hold"), seen(25, "on_hold"), seen(30, "solved")])
    expect(newestHelpdeskChange(changed)?.at).toBe(t(30))
  })

  it("knows the echo by the write's own update time, whatever a person changed between the write's read and it", () => {
    // Read at 10 (open); a person set on_hold at 20; the write of solved landed at 30 and answered with that time.
    const written = observeWritten(helpdesk(seen(10, "open")), { after: t(10), at: t(30), value: "solved" })
    const raced = observeHelpdesk(written, [seen(20, "on_hold"), seen(30, "solved")])
    // The person's on_hold is their newest change; the solved at 30 is the write's echo.
    expect(newestHelpdeskChange(raced)?.at).toBe(t(20))
    // What the helpdesk has now is the write's status (its echo may still be on the way).
    expect(helpdeskStatusNow(observeHelpdesk(written, [seen(20, "on_hold")]))?.value).toBe("solved")
    // A person's solved at another time, after the echo and a reopen, is theirs.
    const later = observeHelpdesk(written, [seen(30, "solved"), seen(40, "open"), seen(50, "solved")])
    expect(newestHelpdeskChange(later)?.at).toBe(t(50))
    // An echo stamped more coarsely than the API answered (a trigger body's minute) is still known by the rules.
    const coarse = observeWritten(helpdesk(seen(10, "open")), { after: t(10), at: t(70), value: "solved" })
    expect(newestHelpdeskChange(observeHelpdesk(coarse, [seen(60, "solved")]))?.at).toBe(t(10))
  })

  it("does not take a write's intent for the helpdesk's status (the write may never have gone out)", () => {
    const log = observeHelpdesk(EMPTY_STATUS_LOG, [seen(10, "open")])
    const intended = observeWritten(log, { after: t(10), value: "solved", intent: true })
    expect(helpdeskStatusNow(intended)?.value).toBe("open")
    expect(helpdeskStatusNow(observeWritten(log, { after: t(10), value: "solved" }))?.value).toBe("solved")
  })

  it("does not count the echo of a write-back as a person's change", () => {
    const written = observeWritten(helpdesk(seen(10, "open")), { after: t(10), value: "solved" })
    const echoed = observeHelpdesk(written, [seen(30, "solved")])
    expect(newestHelpdeskChange(echoed)?.at).toBe(t(10))
    // A person choosing the same status later, with another status seen in between, is a change of theirs.
    const again = observeHelpdesk(echoed, [seen(40, "open"), seen(50, "solved")])
    expect(newestHelpdeskChange(again)?.at).toBe(t(50))
  })

  it("knows the echo when the API's update time read before the write has whole seconds and the events milliseconds", () => {
    const before = helpdesk(seen(10, "open"), seen(20.4, "on_hold"))
    const echoed = observeHelpdesk(observeWritten(before, { after: t(20), value: "solved" }), [seen(22, "solved")])
    expect(newestHelpdeskChange(echoed)?.at).toBe(t(20.4))
  })

  it("keeps one event per revision and only the newest ones", () => {
    const many = helpdesk(...Array.from({ length: STATUS_SEEN_CAP + 5 }, (_, i) => seen(i + 1, "open")))
    expect(many.helpdesk).toHaveLength(STATUS_SEEN_CAP)
    expect(observeHelpdesk(many, [seen(STATUS_SEEN_CAP + 5, "solved")])).toBe(many)
  })
})

describe("observeAgent", () => {
  it("times the agent's status by its last move; an edit keeping the status does not move it", () => {
    const closed = agent(EMPTY_STATUS_LOG, 100, "s-closed", "s-open")
    expect(closed.agent).toMatchObject({ statusId: "s-closed", statusAt: t(100) })
    const edited = agent(closed, 120, "s-closed", "s-open")
    expect(edited.agent).toMatchObject({ statusId: "s-closed", statusAt: t(100), eventAt: t(120) })
    // Older than the newest recorded and older than the agent's status change known: ignored.
    expect(agent(edited, 90, "s-open", "s-open")).toBe(edited)
  })

  it("does not take the status Workbridge set for an agent's change", () => {
    const log = { ...EMPTY_STATUS_LOG, movedAt: t(50) }
    expect(agent(log, 60, "s-waiting", "s-waiting").agent?.statusAt).toBeUndefined()
    // The workitem is at the agent's status only when the agent's change came after Workbridge's move.
    const closed = agent(EMPTY_STATUS_LOG, 40, "s-closed", "s-open")
    expect(workitemStatusNow({ ...closed, movedAt: t(50) }, "s-waiting")).toBe("s-waiting")
    expect(workitemStatusNow({ ...closed, movedAt: t(30) }, "s-waiting")).toBe("s-closed")
  })
})

describe("observeAgent, a move Workbridge made after the agent's change but before its event came", () => {
  it("still takes the agent's change as a move from the status before it", () => {
    // Created Open (10); the agent closes (20) and reopens (40); Workbridge moves the workitem to Open at 50 (it
    // knew of neither change); then the reopen's event comes, after the close's.
    const closed = agent({ ...EMPTY_STATUS_LOG, moves: [{ at: t(10), to: "s-open" }] }, 20, "s-closed", "s-open")
    const moved: StatusLog = {
      ...closed,
      movedAt: t(50),
      movedTo: "s-open",
      moves: [...closed.moves!, { at: t(50), to: "s-open" }]
    }
    expect(agent(moved, 40, "s-open", "s-open").agent).toMatchObject({ statusId: "s-open", statusAt: t(40) })
  })
})

describe("observeAgent, a change whose event lists its changes", () => {
  it("takes a status change the event names as a move, even from a status the log did not know the workitem had", () => {
    // The agent closed (20); Workbridge moved the workitem to Open at 30 but lost the PATCH's answer (a timeout, a
    // kill), so the log has no move; the agent closes again at 40. Judged by the log alone, Closed → Closed is no
    // move; the event's changes (statusId Open → Closed) say it is.
    const closed = agent(EMPTY_STATUS_LOG, 20, "s-closed", "s-open")
    expect(agent(closed, 40, "s-closed", "s-open").agent?.statusAt).toBe(t(20))
    const named = observeAgent(
      closed,
      { statusId: "s-closed", statusChanged: true, dateModified: t(40), modifiedBy: "agent" },
      "s-open"
    )
    expect(named.agent).toMatchObject({ statusId: "s-closed", statusAt: t(40) })
  })

  it("does not take a change of another field for a status change when the log thought the status was elsewhere", () => {
    const log: StatusLog = {
      ...EMPTY_STATUS_LOG,
      movedAt: t(10),
      movedTo: "s-open",
      moves: [{ at: t(10), to: "s-open" }]
    }
    const edit = { statusId: "s-waiting", statusChanged: false, dateModified: t(40), modifiedBy: "agent" }
    const edited = observeAgent(log, edit, "s-open")
    expect(edited.agent?.statusAt).toBeUndefined()
    expect(edited.agent?.lastStatusId).toBe("s-waiting")
  })
})

describe("observeAgent, a read that says when the status changed", () => {
  it("times the agent's status by dateStatusChanged, not by the workitem's last change of another field", () => {
    // The agent closed at 20 (its event not delivered); a person set on_hold at 30; Workbridge PATCHed another field
    // at 40, and the reconciliation's read says modified at 40, status changed at 20: the person's change is newer.
    const log = observeHelpdesk(
      { ...EMPTY_STATUS_LOG, movedAt: t(10), movedTo: "s-open", moves: [{ at: t(10), to: "s-open" }] },
      [seen(10, "open"), seen(30, "on_hold")]
    )
    const read = observeAgent(log, { statusId: "s-closed", dateModified: t(40), statusChangedAt: t(20) }, "s-open")
    expect(read.agent).toMatchObject({ statusId: "s-closed", statusAt: t(20), eventAt: t(40) })
    expect(statusTargets(read, ctx)?.winner).toMatchObject({ side: "helpdesk", at: t(30) })
  })
})

describe("observeAgent, a workitem read by the write-back reconciliation", () => {
  it("takes a status nobody is named for as Workbridge's when its latest move up to then set it", () => {
    const log: StatusLog = {
      ...EMPTY_STATUS_LOG,
      movedAt: t(90),
      movedTo: "s-resolved",
      moves: [
        { at: t(50), to: "s-closed" },
        { at: t(90), to: "s-resolved" }
      ]
    }
    // Read at 60, after Workbridge's move to Closed at 50: Workbridge's own status, not an agent's change.
    expect(observeAgent(log, { statusId: "s-closed", dateModified: t(60) }, "s-resolved")).toBe(log)
    // Another status than the one the workitem had then: an agent's change.
    expect(observeAgent(log, { statusId: "s-open", dateModified: t(60) }, "s-resolved").agent?.statusAt).toBe(t(60))
    expect(
      observeAgent(log, { statusId: "s-closed", dateModified: t(95), modifiedBy: "agent" }, "s-resolved").agent
        ?.statusAt
    ).toBe(t(95))
    // An agent named, at the status Workbridge's move before it set: no change of the status.
    expect(
      observeAgent(log, { statusId: "s-closed", dateModified: t(60), modifiedBy: "agent" }, "s-resolved").agent
        ?.statusAt
    ).toBeUndefined()
  })

  it("takes it as the agent's known status when an agent's status change came after Workbridge's move", () => {
    // The agent closed at 40; Workbridge PATCHed another field at 60 (named last), then moved the status at 90.
    const closed = agent({ ...EMPTY_STATUS_LOG, moves: [{ at: t(10), to: "s-open" }] }, 40, "s-closed", "s-open")
    const log: StatusLog = {
      ...closed,
      movedAt: t(90),
      movedTo: "s-open",
      moves: [...closed.moves!, { at: t(90), to: "s-open" }]
    }
    expect(observeAgent(log, { statusId: "s-closed", dateModified: t(60) }, "s-open")).toBe(log)
  })
})

describe("observeAgent, a change whose event came after a newer one's", () => {
  // Seed 19 of the two-way chaos (zendesk/40): created Open (207); a person set pending (429), solved (649); the agent
  // closed (767) and reopened (877) while the service was down, the trigger chain retrying both deliveries; after the
  // restart Workbridge moved the workitem to Resolved for the person's solved (959, knowing of neither agent change),
  // and the reconciliation's read (Open, its status changed at 877) came before the close's delivery.
  const base = (): StatusLog => ({
    ...helpdesk(seen(207, "new"), seen(429, "pending"), seen(649, "solved"), seen(660, "solved")),
    movedAt: t(959),
    movedTo: "s-resolved",
    moves: [
      { at: t(207), to: "s-open" },
      { at: t(959), to: "s-resolved" }
    ]
  })
  const read = { statusId: "s-open", dateModified: t(877), statusChangedAt: t(877), modifiedBy: "agent" }
  const close = { statusId: "s-closed", statusChanged: true, dateModified: t(767), modifiedBy: "agent" }

  it("takes the late close as showing that the newer change's status is the agent's move", () => {
    // The newer change alone, as an event listing no changes: Open, the status the workitem was created with, is no
    // change as far as the log knows. (The read's own `dateStatusChanged` says so too: below.)
    const { statusChangedAt: _at, ...unlisted } = read
    const afterRead = observeAgent(base(), unlisted, "s-resolved")
    expect(afterRead.agent?.statusAt).toBeUndefined()
    expect(statusTargets(afterRead, ctx)?.winner.side).toBe("helpdesk")
    // The close's late delivery shows the workitem was Closed at 767: the Open seen at 877 is the agent's reopen,
    // newer than the person's solved — written back, and the workitem moved back to Open.
    const late = observeAgent(afterRead, close, "s-resolved")
    expect(late.agent).toMatchObject({ statusId: "s-open", statusAt: t(877), eventAt: t(877) })
    const targets = statusTargets(late, ctx)
    expect(targets).toMatchObject({ winner: { side: "agent", statusId: "s-open" }, statusId: "s-open" })
    expect(targets?.helpdesk).toEqual({ status: "open", value: "open" })
    expect(workitemNeedsMove(targets, workitemStatusNow(late, "s-resolved"))).toBe(true)
    // The read, whose status changed at 877 with no move of Workbridge's then, is the agent's reopen by itself.
    expect(observeAgent(base(), read, "s-resolved").agent).toMatchObject({ statusId: "s-open", statusAt: t(877) })
  })

  it("takes the late change as the agent's newest when the newer one kept its status (an edit)", () => {
    const edit = { statusId: "s-closed", statusChanged: false, dateModified: t(800), modifiedBy: "agent" }
    const edited = observeAgent(base(), edit, "s-resolved")
    expect(edited.agent?.statusAt).toBeUndefined()
    expect(observeAgent(edited, close, "s-resolved").agent).toMatchObject({ statusId: "s-closed", statusAt: t(767) })
  })

  it("leaves the late change the agent's newest when a move of Workbridge's explains the newer status", () => {
    const moved: StatusLog = { ...base(), moves: [...base().moves!, { at: t(800), to: "s-open" }] }
    const afterRead = observeAgent(moved, { ...read, statusChangedAt: t(800) }, "s-resolved")
    expect(observeAgent(afterRead, close, "s-resolved").agent).toMatchObject({
      statusId: "s-closed",
      statusAt: t(767)
    })
  })

  it("ignores a late change older than the agent's status change known, or that moved nothing", () => {
    const reopened = observeAgent(base(), { ...read, statusChanged: true }, "s-resolved")
    expect(reopened.agent).toMatchObject({ statusId: "s-open", statusAt: t(877) })
    expect(observeAgent(reopened, close, "s-resolved")).toBe(reopened)
    const afterRead = observeAgent(base(), read, "s-resolved")
    expect(observeAgent(afterRead, { ...close, statusChanged: false }, "s-resolved")).toBe(afterRead)
  })
})

describe("observeAgent, a read of the workitem whose status changed after everything the log knows", () => {
  // Seed 23 of the two-way chaos (zendesk/27): the agent closed at 431 (written back); a person set pending at 543;
  // Workbridge moved the workitem to Waiting but was killed before it wrote the link, and the retry found it there
  // and sent nothing — the move is not in the log; the agent closed it again at 831, and the reconciliation's read
  // (Closed, its status changed at 831) came before the delivery, which was then a duplicate.
  const log = (): StatusLog => {
    const closed = agent({ ...EMPTY_STATUS_LOG, moves: [{ at: t(150), to: "s-open" }] }, 431, "s-closed", "s-open")
    return observeHelpdesk(closed, [seen(150, "new"), seen(432, "solved"), seen(543, "pending"), seen(740, "pending")])
  }
  const read = { statusId: "s-closed", dateModified: t(831), statusChangedAt: t(831), modifiedBy: "agent" }

  it("takes the read's status change as the agent's, though the log thought the workitem at that status", () => {
    const reclosed = observeAgent(log(), read, "s-closed")
    expect(reclosed.agent).toMatchObject({ statusId: "s-closed", statusAt: t(831) })
    expect(statusTargets(reclosed, ctx)?.winner).toMatchObject({ side: "agent", statusId: "s-closed" })
  })

  it("not when the log knows the status change it names: the agent's, or a move of Workbridge's", () => {
    expect(
      observeAgent(log(), { ...read, dateModified: t(900), statusChangedAt: t(431) }, "s-closed").agent?.statusAt
    ).toBe(t(431))
    const ours: StatusLog = { ...log(), moves: [...log().moves!, { at: t(831), to: "s-closed" }] }
    expect(observeAgent(ours, read, "s-closed").agent?.statusAt).toBe(t(431))
    // A read naming nobody is judged by Workbridge's moves as before.
    const { modifiedBy: _by, ...nobody } = read
    const before = log()
    expect(observeAgent(before, nobody, "s-closed")).toBe(before)
  })
})

describe("observeAgent, a read naming an agent whose last change was its status change", () => {
  // The link keeps no move of Workbridge's (the workitem was created with its status and the log began after), and
  // the workitem's status as the log knows it is the one the read shows: only the read's own times say the agent set it.
  const log = (): StatusLog => observeHelpdesk(EMPTY_STATUS_LOG, [seen(150, "new"), seen(300, "solved")])
  const read = { statusId: "s-resolved", dateModified: t(500), statusChangedAt: t(500), modifiedBy: "agent" }

  it("takes it as the agent's status change, whatever moves the log keeps", () => {
    const after = observeAgent(log(), read, "s-resolved")
    expect(after.agent).toMatchObject({ statusId: "s-resolved", statusAt: t(500) })
    const full: StatusLog = {
      ...log(),
      moves: Array.from({ length: 8 }, (_, i) => ({ at: t(600 + i), to: i % 2 === 0 ? "s-open" : "s-resolved" }))
    }
    expect(observeAgent(full, read, "s-resolved").agent).toMatchObject({ statusId: "s-resolved", statusAt: t(500) })
  })

  it("not when its last change was of another field: the status's own time says nothing the log did not know", () => {
    expect(observeAgent(log(), { ...read, dateModified: t(520) }, "s-resolved").agent?.statusAt).toBeUndefined()
  })
})

describe("observeWorkitemRead: the status Workbridge's walk read", () => {
  it("places the workitem where it was read, so that an agent's older change does not look like where it is", () => {
    // Seed 23 of the two-way chaos (zendesk/3): the agent closed at 484 and reopened at 710 (its event late); a
    // person set on_hold at 601; Workbridge walked the workitem to Waiting at 720 but a kill cut off the link write;
    // the retry read it at Waiting (its status changed at 720).
    const closed = agent({ ...EMPTY_STATUS_LOG, moves: [{ at: t(25), to: "s-open" }] }, 484, "s-closed", "s-open")
    const log = observeHelpdesk(closed, [seen(25, "open"), seen(485, "solved"), seen(601, "on_hold")])
    const read = observeWorkitemRead(log, { at: t(720), to: "s-waiting" })
    expect(read).toMatchObject({ movedAt: t(720), movedTo: "s-waiting" })
    expect(observeWorkitemRead(read, { at: t(720), to: "s-waiting" })).toBe(read)
    const reopen = { statusId: "s-open", statusChanged: true, dateModified: t(710), modifiedBy: "agent" }
    const reopened = observeAgent(read, reopen, "s-waiting")
    const targets = statusTargets(reopened, ctx)
    expect(targets?.winner).toMatchObject({ side: "agent", statusId: "s-open" })
    // The workitem is at Waiting (read after the reopen): it must be moved to the agent's Open.
    expect(workitemStatusNow(reopened, "s-waiting")).toBe("s-waiting")
    expect(workitemNeedsMove(targets, workitemStatusNow(reopened, "s-waiting"))).toBe(true)
    // Without the read, the log takes the workitem for being at the agent's Open.
    expect(workitemStatusNow(observeAgent(log, reopen, "s-waiting"), "s-waiting")).toBe("s-open")
  })

  it("keeps the moves in time order: a read of an older status goes before newer moves", () => {
    const log: StatusLog = {
      ...EMPTY_STATUS_LOG,
      movedAt: t(50),
      movedTo: "s-open",
      moves: [{ at: t(50), to: "s-open" }]
    }
    const read = observeWorkitemRead(log, { at: t(40), to: "s-waiting" })
    expect(read.moves).toEqual([
      { at: t(40), to: "s-waiting" },
      { at: t(50), to: "s-open" }
    ])
    expect(read.movedTo).toBe("s-open")
  })
})

describe("observeAgent, a change made while Workbridge's status walk was between two steps", () => {
  // Seed 25 of the two-way chaos (zendesk/5): the agent closed at 412 (written back); a person set pending at 557;
  // Workbridge walked the workitem Closed → Open (766.0, a step) → Waiting (767.1); the agent, who had read it
  // Closed, reopened it at 766.1 — the PATCH found it Open already, so the event names no change of the status.
  const walked = (): StatusLog => {
    const closed = agent({ ...EMPTY_STATUS_LOG, moves: [{ at: t(34), to: "s-open" }] }, 412, "s-closed", "s-open")
    return {
      ...observeHelpdesk(closed, [seen(34, "open"), seen(413, "solved"), seen(557, "on_hold"), seen(730, "on_hold")]),
      movedAt: t(767.1),
      movedTo: "s-waiting",
      moves: [...closed.moves!, { at: t(766), to: "s-open", via: true }, { at: t(767.1), to: "s-waiting" }]
    }
  }

  it("takes the agent's change at the status the walk passed through as the agent's status change", () => {
    const reopened = agent(walked(), 766.1, "s-open", "s-closed")
    expect(reopened.agent).toMatchObject({ statusId: "s-open", statusAt: t(766.1) })
    const targets = statusTargets(reopened, ctx)
    expect(targets).toMatchObject({ winner: { side: "agent", statusId: "s-open" }, statusId: "s-open" })
    expect(workitemNeedsMove(targets, workitemStatusNow(reopened, "s-waiting"))).toBe(true)
  })

  it("does not when the event says the status did not change, or at the walk's end", () => {
    const edit = { statusId: "s-open", statusChanged: false, dateModified: t(766.1), modifiedBy: "agent" }
    expect(observeAgent(walked(), edit, "s-closed").agent?.statusAt).toBe(t(412))
    // After the walk's last step, at the status it set: Workbridge's own status.
    expect(agent(walked(), 800, "s-waiting", "s-waiting").agent?.statusAt).toBe(t(412))
  })
})

describe("the echo of a write whose status the helpdesk reads as another value than the one written", () => {
  // ServiceNow-like: an agent's Open writes the catalog's `new` as state 2, which the adapter reads as `open`; a
  // person's state 1 reads as `new`.
  const sn = {
    ...ctx,
    statusIdOf: (value: string | null) => (value === "new" || value === "open" ? "s-open" : ctx.statusIdOf(value)),
    agentTarget: (statusId: string) => (statusId === "s-open" ? { value: "new", status: "2" } : undefined),
    helpdeskStatusOf: (value: string | null) => (value === "new" || value === "open" ? "2" : undefined),
    personStatusOf: (value: string | null) => (value === "new" ? "1" : value === "open" ? "2" : undefined)
  }
  // Seed 20 of the two-way chaos (servicenow/INC0010026): state 2 since 479; the agent reopened at 655; the service
  // recorded the intent of writing state 2 and was killed; a person set state 1 at 736.
  const before = agent(helpdesk(seen(137, "new"), seen(479, "open")), 655, "s-open", "s-closed")

  it("does not take a person's change to a status read as the value written for the write's echo", () => {
    const intent = observeWritten(before, {
      after: t(479),
      value: "new",
      status: "2",
      matches: ["open"],
      intent: true
    })
    const person = observeHelpdesk(intent, [seen(736, "new")])
    expect(newestHelpdeskChange(person)?.at).toBe(t(736))
    expect(statusTargets(person, sn)?.winner.side).toBe("helpdesk")
    // The write's echo itself (state 2, read as `open`) is still known as Workbridge's.
    const echo = observeHelpdesk(intent, [seen(700, "open")])
    expect(newestHelpdeskChange(echo)?.at).toBe(t(479))
  })

  it("records what the source's adapter reads the status written as", () => {
    const context = statusContext(defaultCatalog, "servicenow", () => [])
    expect(context.echoValuesOf?.("2")).toEqual(["open"])
    expect(statusContext(defaultCatalog, "zendesk", () => []).echoValuesOf?.("solved")).toEqual(["solved"])
    // A source the adapters do not know: the values the write-back writes as that status.
    expect(statusContext(defaultCatalog, "acme", () => []).echoValuesOf?.("open")).toEqual([])
  })

  it("writes the person's status back over a write that raced it", () => {
    // The write read the ticket at 479, the person set state 1 at 736, the write of state 2 landed at 737.
    const written = observeWritten(before, { after: t(479), at: t(737), value: "new", status: "2", matches: ["open"] })
    const raced = observeHelpdesk(written, [seen(736, "new"), seen(737, "open")])
    expect(helpdeskStatusNow(raced)).toEqual({ value: "open", raw: "2" })
    expect(statusTargets(raced, sn)).toMatchObject({ winner: { side: "helpdesk", at: t(736) }, value: "new" })
    expect(statusTargets(raced, sn)?.helpdesk).toEqual({ status: "1", value: "new" })
  })
})

describe("a write's intent", () => {
  const intent = { after: t(10), value: "closed", status: "solved", matches: ["solved"] }
  it("is recorded before the write and replaced by the write's record", () => {
    const attempt = beginWrite(helpdesk(seen(10, "open")), intent)
    expect(attempt.recorded).toBe(true)
    expect(attempt.log.written).toEqual([{ ...intent, intent: true }])
    expect(writeDone(attempt, { ...intent, at: t(20) }).written).toEqual([{ ...intent, at: t(20) }])
  })
  it("goes when the write cannot have landed, and stays when it may have", () => {
    const attempt = beginWrite(helpdesk(seen(10, "open")), intent)
    expect(writeNotDone(attempt, false).written).toEqual([])
    expect(writeNotDone(attempt, true).written).toEqual([{ ...intent, intent: true }])
    // The ticket had the status already: this attempt's intent goes.
    expect(writeDone(attempt, undefined).written).toEqual([])
  })
  it("explains only a change within INTENT_ECHO_WINDOW_MS of the read before it: a later one to that status is a person's", () => {
    // Seeds 43 and 68 of the two-way chaos (Freshdesk): a write-back of the agent's close read the ticket, recorded
    // its intent and was killed before its write went out. The agent reopened; minutes later a person closed the
    // ticket, and that close was taken for the killed write's echo: the agent's older reopen was written over it.
    const killed = writeNotDone(beginWrite(helpdesk(seen(10, "open")), { ...intent, readAt: t(12) }), true)
    const person = observeHelpdesk(killed, [seen(200, "solved")])
    expect(newestHelpdeskChange(person)?.at).toBe(t(200))
    // Within the window: the write's echo.
    const echo = observeHelpdesk(killed, [seen(12 + INTENT_ECHO_WINDOW_MS / 1000, "solved")])
    expect(newestHelpdeskChange(echo)?.at).toBe(t(10))
    // A later attempt of the same write (its answer lost again) times the intent by its own read.
    const again = beginWrite(killed, { ...intent, after: t(150), readAt: t(152) })
    expect(again.recorded).toBe(false)
    expect(again.log.written).toEqual([{ ...intent, intent: true, readAt: t(152) }])
    expect(newestHelpdeskChange(observeHelpdesk(writeNotDone(again, true), [seen(200, "solved")]))?.at).toBe(t(10))
    // An earlier read does not move it back.
    expect(beginWrite(again.log, { ...intent, readAt: t(100) }).log).toBe(again.log)
    // An intent recorded without the helpdesk's time of the read explains the first change to its status, however late.
    const unbounded = writeNotDone(beginWrite(helpdesk(seen(10, "open")), intent), true)
    expect(newestHelpdeskChange(observeHelpdesk(unbounded, [seen(200, "solved")]))?.at).toBe(t(10))
  })
  it("of an earlier attempt stays the one: a later attempt neither records nor drops it", () => {
    const earlier = writeNotDone(beginWrite(helpdesk(seen(10, "open")), intent), true)
    const again = beginWrite(earlier, { ...intent, after: t(15) })
    expect(again.recorded).toBe(false)
    expect(writeNotDone(again, false)).toBe(earlier)
    expect(writeDone(again, undefined)).toBe(earlier)
    expect(dropWriteIntent(earlier, "solved").written).toEqual([])
  })
})

describe("statusTargets", () => {
  it("the agent's newer change wins: both sides at the agent's status", () => {
    const log = agent(helpdesk(seen(10, "open"), seen(50, "open")), 40, "s-closed", "s-open")
    expect(statusTargets(log, ctx)).toMatchObject({
      winner: { side: "agent", statusId: "s-closed" },
      value: "closed",
      statusId: "s-closed",
      helpdesk: { status: "solved", value: "closed" }
    })
  })

  it("a person's newer change wins: the workitem follows the helpdesk, nothing is written there", () => {
    const log = agent(helpdesk(seen(10, "open"), seen(60, "on_hold")), 40, "s-closed", "s-open")
    const targets = statusTargets(log, ctx)
    expect(targets).toMatchObject({ winner: { side: "helpdesk" }, value: "on_hold", statusId: "s-waiting" })
    expect(targets?.helpdesk).toBeUndefined()
  })

  it("flips when a late helpdesk event shows the person's change came before the agent's", () => {
    const before = agent(helpdesk(seen(85, "open"), seen(922, "solved")), 611, "s-open", "s-resolved")
    expect(statusTargets(before, ctx)?.winner.side).toBe("helpdesk")
    const after = observeHelpdesk(before, [seen(577, "solved"), seen(603, "solved")])
    expect(statusTargets(after, ctx)).toMatchObject({
      winner: { side: "agent" },
      statusId: "s-open",
      helpdesk: { status: "open", value: "open" }
    })
  })

  it("writes a person's newer status back when a write-back replaced it", () => {
    const log = observeWritten(
      agent(helpdesk(seen(16, "open"), seen(327, "on_hold"), seen(798, "on_hold")), 797, "s-closed", "s-waiting"),
      {
        after: t(798),
        value: "closed"
      }
    )
    // Until the late event, the agent's change looks newer and the helpdesk has its status.
    expect(statusTargets(log, ctx)).toMatchObject({ winner: { side: "agent" } })
    expect(statusTargets(log, ctx)?.helpdesk).toBeUndefined()
    expect(helpdeskStatusNow(log)?.value).toBe("closed")
    const late = observeHelpdesk(log, [seen(496, "solved", "solved")])
    expect(statusTargets(late, ctx)).toMatchObject({
      winner: { side: "helpdesk", at: t(798) },
      value: "on_hold",
      statusId: "s-waiting",
      helpdesk: { status: "on_hold", value: "on_hold" }
    })
  })

  it("writes a person's status back as the helpdesk's API names it", () => {
    const log = observeHelpdesk(
      observeWritten(agent(helpdesk(seen(10, "open"), seen(30, "new", "new")), 20, "s-closed", "s-open"), {
        after: t(30),
        value: "closed"
      }),
      []
    )
    // The person's New (30) is newer than the agent's close (20): the write-back of Closed is undone with the
    // vendor's own status for `new` (ServiceNow state 1), not the write-back map's (state 2).
    const targets = statusTargets(log, { ...ctx, personStatusOf: (v) => (v === "new" ? "1" : undefined) })
    expect(targets?.helpdesk).toEqual({ status: "1", value: "new" })
  })

  it("moves the workitem to the winner's status wherever it is: an older agent's change that arrived late included", () => {
    // A person's close (60) applied first; the agent's older reopen (50) arrives after it and moved the workitem.
    const log = agent(helpdesk(seen(10, "open"), seen(60, "solved")), 50, "s-open", "s-resolved")
    const targets = statusTargets(log, ctx)
    expect(targets).toMatchObject({ winner: { side: "helpdesk" }, statusId: "s-resolved" })
    expect(workitemNeedsMove(targets, workitemStatusNow(log, "s-resolved"))).toBe(true)
    expect(workitemNeedsMove(targets, "s-resolved")).toBe(false)
    // An agent's status with no catalog value is left where it is.
    expect(workitemNeedsMove({ winner: { side: "agent", at: t(1), statusId: "x" }, statusId: "x" }, "y")).toBe(false)
  })

  it("decides nothing without a change on either side", () => {
    expect(statusTargets(EMPTY_STATUS_LOG, ctx)).toBeUndefined()
  })
})
