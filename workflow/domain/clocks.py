"""A clock's times worked out from its rules: the one definition that a calendar load,
a policy migration, its preview and the history replay all use.

A run's due time is its start plus the policy's duration on its track (working days on
the business calendar), plus every second it spent paused; its warning comes at the
policy's warning fraction of that span (unless it already warned). Pure: the clock is
any mapping with the `deadlines` columns.

What an action does to a complaint's clocks is decided here too (`Clocks`): from the
clocks as loaded, the final value of every row it starts, stops, pauses or resumes,
every history entry (`clock_events`: started, paused, resumed, and how a run ended:
met, missed, ended, restarted; see `ending`) and the complaint's next due time. The
store writes that plan as it is (`workflow.store.plan`); no rule of it is in SQL.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from states.calendar import SHANGHAI, BusinessCalendar
from states.clocks import CYCLE, RULES, ClockRule
from states.policy import Policy

LIVE = ("active", "paused")
#: A fired clock whose step was never done stays open (overdue) until its step stops it.
OPEN = (*LIVE, "fired")
#: The clocks whose due time counts for `complaints.next_due_at` (see `next_due`).
DUE = ("active", "fired")


@dataclass(frozen=True)
class Times:
    """A clock's times under some policy and calendar."""

    duration: str
    warn_at: datetime
    due_at: datetime
    next_at: datetime | None
    confirmed: bool


def recompute(clock, policy: Policy, calendar: BusinessCalendar,
              paused_seconds: int | None = None) -> Times | None:
    """The clock's times under `policy` and `calendar` (None: the policy has no such
    clock on its track). `paused_seconds` defaults to the clock's own count."""
    duration = policy.deadline(clock["track"], clock["kind"])
    if duration is None:
        return None
    started = clock["started_at"]
    due, confirmed = calendar.add(started, duration)
    paused = timedelta(seconds=clock["paused_seconds"] if paused_seconds is None
                       else paused_seconds)
    if clock["warned_at"] is not None:
        warn = clock["warn_at"]
    else:
        warn = started + (due - started) * policy.warning_fraction + paused
    due += paused
    if clock["status"] != "active":
        next_at = None
    else:
        next_at = due if clock["warned_at"] is not None else warn
    return Times(duration.text, warn, due, next_at, confirmed)


def replay(entries: list, policies, calendar: BusinessCalendar) -> datetime | None:
    """The due time of a clock's latest run rebuilt from its history alone: the run's
    start (when, track, policy version), the policy version of its last move by a
    migration, and the seconds of every resume. `entries` are the clock's
    `clock_events` rows in order; `policies(number)` gives a version."""
    runs = [e for e in entries if e["event"] == "started"]
    if not runs:
        return None
    run = runs[-1]["run"]
    mine = [e for e in entries if e["run"] == run]
    version = mine[0]["policy_version"]
    for e in mine:
        if e["event"] == "moved" and e["reason"] == "policy":
            version = e["policy_version"]
    paused = sum(e["seconds"] for e in mine if e["event"] == "resumed")
    first = mine[0]
    clock = dict(kind=first["kind"], track=first["track"], started_at=first["at"],
                 paused_seconds=paused, warned_at=None, warn_at=None, status="stopped")
    times = recompute(clock, policies(version), calendar)
    return times.due_at if times else None


@dataclass(frozen=True)
class DaysCounted:
    """For a working-day clock: the calendar days it crossed that were not plain
    weekdays or weekends, as the calendar answered them."""

    holidays: list[date]          # weekdays skipped (法定节假日)
    workdays: list[date]          # weekend days counted (调休上班)
    fallback: list[date]          # days answered by the Monday-to-Friday fallback


def days_counted(calendar: BusinessCalendar, start: datetime, due: datetime) -> DaysCounted:
    """Which special days lie between `start` and `due` (local dates, both exclusive of
    the start day, as `BusinessCalendar.add` counts)."""
    day, last = start.astimezone(SHANGHAI).date(), due.astimezone(SHANGHAI).date()
    holidays, workdays, fallback = [], [], []
    while day < last:
        day += timedelta(days=1)
        workday, sure = calendar.is_workday(day)
        if not sure:
            fallback.append(day)
        if day.weekday() < 5 and not workday:
            holidays.append(day)
        elif day.weekday() >= 5 and workday:
            workdays.append(day)
    return DaysCounted(holidays, workdays, fallback)


#: What the domain reads of a clock an action does not touch: its order, and `next_due`.
BRIEF = ("id", "complaint_id", "kind", "status", "due_at")
#: What a plan carries of each clock row it updates as the domain loaded it: every column
#: the timer worker or a calendar's move of due times changes without bumping the
#: complaint's version (a warning, a breach, a fired mark, a restart, a new due time;
#: a move changes `warn_at` only with `due_at`, and a policy migration changes the
#: complaint's policy version, which the write checks too). The write takes effect only
#: while every such row is still as loaded (`workflow.store.plan`).
AS_LOADED = ("run", "status", "due_at", "next_at", "warned_at", "breached_at")


def touched(rule: ClockRule | None) -> frozenset[str]:
    """The clock kinds `Clocks.apply(rule)` may change or read whole; of the others it
    reads only `BRIEF`."""
    if rule is None:
        return frozenset()
    kinds = {*rule.start, *rule.stop, *rule.pause, *rule.resume}
    if rule.retrack:
        kinds |= {*CYCLE, *RULES["pause"].pause}
    return frozenset(kinds)


def next_due(clocks) -> datetime | None:
    """The complaint's nearest open due time: of its running clocks, and of the fired
    (missed) ones its step has not yet stopped, so that a missed clock keeps the
    complaint overdue in the queue until the step is done."""
    return min((c["due_at"] for c in clocks if c["status"] in DUE), default=None)


def ending(clock, now: datetime, *, restarted: bool = False) -> tuple[str, int] | None:
    """How a run that is stopped (or `restarted`) at `now` ended: (event, seconds), or
    None when the timer worker is firing it at this very moment (it records the miss
    itself). Met: `seconds` of margin; missed: `seconds` late (paused time excluded,
    since pauses move the due time); ended: stopped after it was missed."""
    if clock["breached_at"] is not None:
        if clock["breached_at"] == now:
            return None
        return "ended", max(0, int((now - clock["due_at"]).total_seconds()))
    left = clock["due_at"] - (clock["paused_at"] if clock["paused_at"] is not None else now)
    seconds = abs(int(left.total_seconds()))
    if left.total_seconds() >= 0:
        return ("restarted" if restarted else "met"), seconds
    return "missed", seconds


def entry(clock, event: str, at: datetime, version: int, *, seconds: int | None = None,
          reason: str = "", actor: str = "", data: dict | None = None, **changed) -> dict:
    """One `clock_events` row for `clock` (a deadlines row; `changed` overrides its
    values, e.g. the new due time of a move)."""
    values = dict(complaint_id=clock["complaint_id"], kind=clock["kind"], run=clock["run"],
                  at=at, event=event, policy_version=version, track=clock["track"],
                  duration=clock["duration"], warn_at=clock["warn_at"],
                  due_at=clock["due_at"], confirmed=clock["confirmed"], seconds=seconds,
                  reason=reason, actor=actor, data=data or {})
    values.update(changed)
    return values


@dataclass
class ClockPlan:
    """What to write for a complaint's clocks: their final values, nothing to work out."""

    inserts: list[dict] = field(default_factory=list)    # new `deadlines` rows
    updates: list[tuple[int, dict]] = field(default_factory=list)  # (id, columns -> values)
    entries: list[dict] = field(default_factory=list)    # `clock_events` rows, in order
    next_due: datetime | None = None
    loaded: dict[int, dict] = field(default_factory=dict)  # id -> `AS_LOADED` values

    def __bool__(self) -> bool:
        return bool(self.inserts or self.updates or self.entries)


class Clocks:
    """A complaint's clocks as loaded (`deadlines` rows), changed in memory by what an
    action or the timer does to them; `plan()` says what to write."""

    def __init__(self, complaint, rows, policy: Policy, calendar: BusinessCalendar,
                 now: datetime, *, reason: str = "", actor: str = ""):
        self.complaint, self.policy, self.calendar, self.now = complaint, policy, calendar, now
        self.how = dict(reason=reason, actor=actor)
        # The rows are this object's to change: a store read hands over fresh dicts.
        self.rows = {r["kind"]: r for r in sorted(rows, key=lambda r: r["id"])}
        self._changed: dict[str, dict] = {}      # kind -> the columns changed
        self._new: list[str] = []                # kinds inserted
        self._loaded: dict[str, dict] = {}       # kind -> `AS_LOADED` before any change
        self.entries: list[dict] = []

    def _set(self, row: dict, **values) -> None:
        if row["kind"] not in self._new and row["kind"] not in self._loaded:
            self._loaded[row["kind"]] = {c: row[c] for c in AS_LOADED}
        row.update(values)
        if row["kind"] not in self._new:
            self._changed.setdefault(row["kind"], {}).update(values)

    def _log(self, row, event, **more) -> None:
        self.entries.append(entry(row, event, self.now, self.complaint.policy_version,
                                  **self.how, **more))

    def apply(self, rule: ClockRule | None, *, fresh: bool = False) -> "Clocks":
        """Do an action's clock rule (`states.clocks.RULES`): stop, pause, resume,
        retrack, start, in that order."""
        if rule is not None:
            self.stop(rule.stop)
            self.pause(rule.pause)
            self.resume(rule.resume)
            if rule.retrack:
                self.retrack()
            self.start(rule.start, fresh=fresh)
        return self

    def _of(self, kinds, statuses):
        return [r for r in self.rows.values() if r["kind"] in kinds and r["status"] in statuses]

    def stop(self, kinds) -> None:
        """Stop the clocks `kinds` if they are open; each run's end goes into its history."""
        for row in self._of(kinds, OPEN):
            self._set(row, status="stopped", next_at=None, stopped_at=self.now)
            end = ending(row, self.now)
            if end is not None:
                self._log(row, end[0], seconds=end[1])

    def pause(self, kinds) -> None:
        """Pause running clocks: they stop counting until resumed."""
        for row in self._of(kinds, ("active",)):
            self._set(row, status="paused", paused_at=self.now, next_at=None)
            self._log(row, "paused")

    def resume(self, kinds) -> None:
        """Resume paused clocks, moving their times on by the paused span."""
        for row in self._of(kinds, ("paused",)):
            # Whole seconds, as `paused_seconds` counts them: the due time stays what the
            # clock's history replays to (`replay`).
            span = int((self.now - row["paused_at"]).total_seconds())
            before = row["due_at"]
            warn_at = row["warn_at"] + timedelta(seconds=span) if row["warned_at"] is None \
                else row["warn_at"]
            due_at = before + timedelta(seconds=span)
            self._set(row, status="active", paused_at=None, warn_at=warn_at, due_at=due_at,
                      next_at=warn_at if row["warned_at"] is None else due_at,
                      paused_seconds=row["paused_seconds"] + span)
            self._log(row, "resumed", seconds=span, data={"due_before": before.isoformat()})

    def retrack(self) -> None:
        """Restart every running clock of the cycle on the complaint's (new) track."""
        self.start([r["kind"] for r in self._of(CYCLE, LIVE)])
        if self.complaint.paused_at is not None:  # still waiting on the customer: so is the new clock
            self.pause(RULES["pause"].pause)

    def start(self, kinds, *, fresh: bool = False) -> None:
        """(Re)start the clocks `kinds` from now on the complaint's track (a kind without
        a duration on it is left as it is); a run replaced while open ends "restarted"
        (or missed). `fresh`: the complaint has no clocks yet."""
        started = []
        for kind in kinds:
            duration = self.policy.deadline(self.complaint.track, kind)
            if duration is None:
                continue
            due, confirmed = self.calendar.add(self.now, duration)
            warn = self.now + (due - self.now) * self.policy.warning_fraction
            started.append(dict(track=self.complaint.track, cycle=self.complaint.cycle,
                                duration=duration.text, status="active", started_at=self.now,
                                warn_at=warn, due_at=due, next_at=warn, warned_at=None,
                                breached_at=None, stopped_at=None, paused_at=None,
                                paused_seconds=0, confirmed=confirmed, kind=kind))
        if not fresh:
            for row in self._of([s["kind"] for s in started], OPEN):
                end = ending(row, self.now, restarted=True)
                if end is not None:
                    self._log(row, end[0], seconds=end[1])
        for values in started:
            kind = values.pop("kind")
            old = self.rows.get(kind)
            if old is None:
                row = self.rows[kind] = dict(values, complaint_id=self.complaint.id,
                                             kind=kind, run=1)
                self._new.append(kind)
            else:
                row = old
                self._set(row, **values, run=old["run"] + 1)
            self._log(row, "started")

    def plan(self) -> ClockPlan:
        """The rows to write, the history entries, the complaint's next due time."""
        return ClockPlan(
            inserts=[dict(self.rows[kind]) for kind in self._new],
            updates=[(self.rows[kind]["id"], values) for kind, values in self._changed.items()],
            entries=self.entries, next_due=next_due(self.rows.values()),
            loaded={self.rows[kind]["id"]: values for kind, values in self._loaded.items()})
