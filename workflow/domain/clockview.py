"""How a clock is shown: one rule deciding a clock's display state, for the work queue,
the complaint page, the dashboard and the API alike. Pure Python: no database, no clock
reads (`now` is passed in).

A clock (a `deadlines` row, or anything with its attributes) is in one display state:

- `overdue`: running past its due time (the worker has not fired it yet), or fired
  (missed) and still open, i.e. not yet stopped by the step it waits for; how long
  overdue is `now - due_at`.
- `warned`: running and past its warning time (or already warned), not yet due.
- `paused`: waiting on the customer; `left` is the time it had left when paused,
  `paused_for` how long it has waited, and `resume_by` when the policy's total pause
  allowance runs out (given the complaint's earlier pauses).
- `running`: running, before its warning time.
- `done`: stopped (its step was done, or the complaint closed).

`headline` picks the clock a one-line summary (a queue row) shows: the most urgent.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

#: Display states, most urgent first.
STATES = ("overdue", "warned", "paused", "running", "done")
#: The states of a clock that still counts (open: not done).
OPEN_STATES = STATES[:-1]
#: Shown in colour on a queue row, and named there.
ALERT_STATES = ("overdue", "warned")
_RANK = {state: rank for rank, state in enumerate(STATES)}


@dataclass(frozen=True)
class ClockDisplay:
    """One clock as pages show it."""

    kind: str
    state: str                          # one of STATES
    due_at: datetime | None
    warn_at: datetime | None = None
    overdue_for: timedelta | None = None    # overdue: now - due_at
    left: timedelta | None = None           # running, warned: due_at - now; paused: frozen
    paused_since: datetime | None = None
    paused_for: timedelta | None = None
    resume_by: datetime | None = None       # paused: when the pause allowance runs out
    stopped_at: datetime | None = None
    breached_at: datetime | None = None
    confirmed: bool = True

    @property
    def alert(self) -> bool:
        """Whether a queue row is coloured for it (overdue or warned)."""
        return self.state in ALERT_STATES

    @property
    def is_open(self) -> bool:
        """Whether the clock still counts (anything but done)."""
        return self.state != "done"


def display(clock, now: datetime, *, pause_allowance: timedelta | None = None) -> ClockDisplay:
    """The display state of one clock at `now`.

    `clock` has the `deadlines` columns (kind, status, warn_at, due_at, warned_at,
    breached_at, stopped_at, paused_at, confirmed). `pause_allowance` is how long the
    complaint may still wait on the customer in all (the policy's total less its earlier
    pauses); without it a paused clock has no resume-by time."""
    status, due, warn = clock.status, clock.due_at, clock.warn_at
    common = dict(kind=clock.kind, due_at=due, warn_at=warn,
                  confirmed=bool(getattr(clock, "confirmed", True)))
    if status == "stopped":
        return ClockDisplay(state="done", stopped_at=clock.stopped_at,
                            breached_at=clock.breached_at, **common)
    if status == "paused":
        since = clock.paused_at
        resume_by = since + max(pause_allowance, timedelta(0)) if (
            pause_allowance is not None and since is not None) else None
        return ClockDisplay(state="paused", left=due - since if since else None,
                            paused_since=since, paused_for=now - since if since else None,
                            resume_by=resume_by, breached_at=clock.breached_at, **common)
    if status == "fired" or due <= now:
        return ClockDisplay(state="overdue", overdue_for=now - due,
                            breached_at=clock.breached_at, **common)
    warned = clock.warned_at is not None or warn <= now
    return ClockDisplay(state="warned" if warned else "running", left=due - now, **common)


def pause_allowance(policy, complaint) -> timedelta | None:
    """How long the complaint may still wait on the customer (the policy's total pause
    less the pauses it has already had), for a paused clock's resume-by time."""
    total = getattr(policy, "max_pause_total", None)
    if total is None or total.is_workdays:     # working days: no fixed end to show
        return None
    return timedelta(seconds=total.seconds - (complaint.paused_seconds or 0))


def display_all(clocks, now: datetime, *, policy=None, complaint=None) -> list[ClockDisplay]:
    """Every clock of one complaint, in the order given."""
    allowance = pause_allowance(policy, complaint) if policy is not None and complaint else None
    return [display(c, now, pause_allowance=allowance) for c in clocks]


def headline(displays) -> ClockDisplay | None:
    """The most urgent open clock: overdue before warned before paused before running,
    the earliest due first within a state; None when no clock is open."""
    open_ = [d for d in displays if d.is_open]
    if not open_:
        return None
    return min(open_, key=lambda d: (_RANK[d.state], (d.resume_by or d.due_at)
                                     if d.state == "paused" else d.due_at))


def row_state(displays) -> str:
    """The state a one-line summary shows: the headline's, or "none" without open clocks."""
    top = headline(displays)
    return top.state if top else "none"
