"""A clock's times worked out from its rules: the one definition that a calendar load,
a policy migration, its preview and the history replay all use.

A run's due time is its start plus the policy's duration on its track (working days on
the business calendar), plus every second it spent paused; its warning comes at the
policy's warning fraction of that span (unless it already warned). Pure: the clock is
any mapping with the `deadlines` columns.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from states.calendar import SHANGHAI, BusinessCalendar
from states.policy import Policy


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
